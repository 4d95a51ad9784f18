/**
 * The MaskGIT-VQGAN convolutional encoder and decoder (open-muse port of
 * google-research/maskgit), shared by TiTok, MARVEL and ALIT. No attention;
 * GroupNorm(32, eps 1e-6) + SiLU; TF "SAME" padding; nearest ×2 + conv up
 * (computed as one folded ConvTranspose, core/nn/upsample_conv.ts); 2×2
 * average pooling down.
 *
 * One network, two checkpoint namings ({@link VqganNaming}): TiTok's
 * `pixel_decoder` ({@link MASKGIT_NAMING}: `mid.0`, `up.1.upsample_conv`) and
 * taming's, which MAGE's VQGAN uses and ALIT stores under
 * `base_tokenizer.vqgan.*` ({@link TAMING_NAMING}: `mid.block_1`,
 * `up.1.upsample.conv`). The layers, their order, biases and maths are the same
 * in both (taming's `Encoder` pools with `avg_pool2d` because
 * `resamp_with_conv` is off, its 3×3 convs pad 1 = SAME, its blocks have no
 * time embedding); only taming's middle is always two blocks where MaskGIT's
 * has `numResBlocks` — equal for every released config.
 *
 * Quirk kept on purpose: when a residual block changes width, the 1×1
 * `nin_shortcut` is applied to the block's own output, and the input is
 * discarded (out = h + conv1×1(h)), as in the original JAX code.
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { add, avgPool } from "../ops/mod.ts";
import { silu } from "./activations.ts";
import { conv2d } from "./conv.ts";
import { groupNorm } from "./norm.ts";
import { upsampleConv3x3 } from "./upsample_conv.ts";

/** Size of a MaskGIT-VQGAN; the released one is {@link MASKGIT_VQGAN_F16}. */
export interface VqganConfig {
  channelMult: number[];
  hiddenChannels: number;
  numResBlocks: number;
  zChannels: number;
}

/** The fixed configuration of the released MaskGIT-VQGAN (f16, 256 px). */
export const MASKGIT_VQGAN_F16: VqganConfig = {
  channelMult: [1, 1, 2, 2, 4],
  hiddenChannels: 128,
  numResBlocks: 2,
  zChannels: 256,
};

/** Scope paths of the parameters whose names differ between the two namings. */
export interface VqganNaming {
  /** Number of middle residual blocks for a config. */
  midBlocks(c: VqganConfig): number;
  /** Scope path of the j-th middle block, inside `mid`. */
  mid(j: number): string[];
  /** Scope path of an up level's upsampling conv, inside `up.<i>`. */
  upsampleConv: string[];
}

/** TiTok's / open-muse's names: `mid.<j>`, `up.<i>.upsample_conv`. */
export const MASKGIT_NAMING: VqganNaming = {
  midBlocks: (c) => c.numResBlocks,
  mid: (j) => [String(j)],
  upsampleConv: ["upsample_conv"],
};

/** taming-transformers' names (MAGE's VQGAN in ALIT): `mid.block_1|2`, `up.<i>.upsample.conv`. */
export const TAMING_NAMING: VqganNaming = {
  midBlocks: () => 2,
  mid: (j) => [`block_${j + 1}`],
  upsampleConv: ["upsample", "conv"],
};

/**
 * Maps a taming-named key to the MaskGIT name of the same tensor
 * (`…mid.block_2.conv1.weight` → `…mid.1.conv1.weight`,
 * `…up.3.upsample.conv.bias` → `…up.3.upsample_conv.bias`); other keys pass
 * unchanged. Lets MAGE/ALIT VQGAN weights load into a MaskGIT-named graph.
 */
export function tamingToMaskgitKey(key: string): string {
  return key
    .replace(/(^|\.)mid\.block_(\d+)\./, (_, pre, j) => `${pre}mid.${Number(j) - 1}.`)
    .replace(/(^|\.)upsample\.conv\./, "$1upsample_conv.");
}

/** Runs `fn` inside the nested scopes of `path`. */
function inScopes<T>(g: Graph, path: string[], fn: () => T): T {
  return path.length === 0 ? fn() : g.scope(path[0], () => inScopes(g, path.slice(1), fn));
}

const norm = (g: Graph, x: Value, c: number) => groupNorm(g, x, 32, c, 1e-6);

/** ResnetBlock(inC → outC) in the current scope. */
export function resnetBlock(g: Graph, x: Value, inC: number, outC: number): Value {
  let h = g.scope("norm1", () => norm(g, x, inC));
  h = g.scope("conv1", () => conv2d(g, silu(g, h), inC, outC, 3, { padding: "same", bias: false }));
  h = g.scope("norm2", () => norm(g, h, outC));
  h = g.scope("conv2", () => conv2d(g, silu(g, h), outC, outC, 3, { padding: "same", bias: false }));
  if (inC === outC) return add(g, h, x);
  const shortcut = g.scope("nin_shortcut", () => conv2d(g, h, outC, outC, 1, { bias: false }));
  return add(g, h, shortcut);
}

/** Decoder: latent (B, z, h, w) → image (B, 3, h·2^(L-1), w·2^(L-1)), unclamped. */
export function vqganDecoder(g: Graph, z: Value, c: VqganConfig, n: VqganNaming = MASKGIT_NAMING): Value {
  const levels = c.channelMult.length;
  const top = c.hiddenChannels * c.channelMult[levels - 1];
  let h = g.scope("conv_in", () => conv2d(g, z, c.zChannels, top, 3, { padding: "same" }));
  g.scope("mid", () => {
    for (let j = 0; j < n.midBlocks(c); j++) h = inScopes(g, n.mid(j), () => resnetBlock(g, h, top, top));
  });
  g.scope("up", () => {
    for (let i = levels - 1; i >= 0; i--) {
      g.scope(i, () => {
        let inC = c.hiddenChannels * (i === levels - 1 ? c.channelMult[levels - 1] : c.channelMult[i + 1]);
        const outC = c.hiddenChannels * c.channelMult[i];
        g.scope("block", () => {
          for (let j = 0; j < c.numResBlocks; j++) {
            h = g.scope(j, () => resnetBlock(g, h, inC, outC));
            inC = outC;
          }
        });
        if (i !== 0) {
          h = inScopes(
            g,
            n.upsampleConv,
            () => upsampleConv3x3(g, h, outC, outC),
          );
        }
      });
    }
  });
  const out = c.hiddenChannels * c.channelMult[0];
  h = g.scope("norm_out", () => norm(g, h, out));
  return g.scope("conv_out", () => conv2d(g, silu(g, h), out, 3, 3, { padding: "same" }));
}

/** Encoder: image (B, 3, H, W) in [0,1] → latent (B, z, H/2^(L-1), W/2^(L-1)). */
export function vqganEncoder(g: Graph, x: Value, c: VqganConfig, n: VqganNaming = MASKGIT_NAMING): Value {
  const levels = c.channelMult.length;
  let h = g.scope("conv_in", () => conv2d(g, x, 3, c.hiddenChannels, 3, { padding: "same", bias: false }));
  const inMult = [1, ...c.channelMult];
  g.scope("down", () => {
    for (let i = 0; i < levels; i++) {
      g.scope(i, () => {
        let inC = c.hiddenChannels * inMult[i];
        const outC = c.hiddenChannels * c.channelMult[i];
        g.scope("block", () => {
          for (let j = 0; j < c.numResBlocks; j++) {
            h = g.scope(j, () => resnetBlock(g, h, inC, outC));
            inC = outC;
          }
        });
        if (i !== levels - 1) h = avgPool(g, h, 2);
      });
    }
  });
  const mid = c.hiddenChannels * c.channelMult[levels - 1];
  g.scope("mid", () => {
    for (let j = 0; j < n.midBlocks(c); j++) h = inScopes(g, n.mid(j), () => resnetBlock(g, h, mid, mid));
  });
  h = g.scope("norm_out", () => norm(g, h, mid));
  return g.scope("conv_out", () => conv2d(g, silu(g, h), mid, c.zChannels, 1));
}
