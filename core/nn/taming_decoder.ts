/**
 * The taming-transformers / latent-diffusion convolutional decoder
 * (`taming.modules.diffusionmodules.model.Decoder`, CompVis), parameterised:
 * conv_in 3×3 → mid (ResnetBlock, AttnBlock, ResnetBlock) → up levels from the
 * coarsest (`num_res_blocks + 1` ResnetBlocks each, an AttnBlock after every
 * block at the resolutions in `attnResolutions`, nearest ×2 + 3×3 conv between
 * levels) → GroupNorm → swish → conv_out 3×3. GroupNorm(32, eps 1e-6); every
 * conv has a bias; a width-changing ResnetBlock applies its 1×1
 * `nin_shortcut` to the block's *input* (unlike MaskGIT's, core/nn/maskgit_vqgan.ts).
 *
 * Parameter names are taming's (`mid.block_1`, `mid.attn_1`,
 * `up.{level}.block.{j}`, `up.{level}.attn.{j}`, `up.{level}.upsample.conv`,
 * `norm_out`, `conv_out`). The blocks are core/nn/kl16_vae.ts's
 * `ldmResnetBlock` / `ldmAttnBlock` (the same modules). With no attention
 * resolutions and no hook this is exactly kl16_vae.ts's `kl16DecoderNet`
 * (LDM's AutoencoderKL decoder: z → conv_in directly), so that one can be
 * expressed through this file. BDD-1D runs conv_in and mid over its token
 * sequence laid out as an (L × 1) image and reshapes to the grid in between —
 * the `between` hook of {@link tamingDecoder}.
 *
 * @example
 * ```ts
 * const c = { inChannels: 768, ch: 128, chMult: [1, 1, 2, 2, 4], numResBlocks: 2,
 *   attnResolutions: [16], resolution: 256, outChannels: 3 };
 * const img = g.scope("decoder", () => tamingDecoder(g, z, c)); // z (B,768,16,16) → (B,3,256,256)
 * ```
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { silu } from "./activations.ts";
import { conv2d } from "./conv.ts";
import { ldmAttnBlock, ldmResnetBlock } from "./kl16_vae.ts";
import { groupNorm } from "./norm.ts";
import { upsampleConv3x3 } from "./upsample_conv.ts";

/** The size of a taming decoder (its constructor's arguments). */
export interface TamingDecoderConfig {
  /** Channels of the input of `conv_in` (taming's z_channels; BDD: the model width). */
  inChannels: number;
  /** Base channels (`ch`). */
  ch: number;
  /** Per-level channel multipliers (`ch_mult`), finest first. */
  chMult: number[];
  /** `num_res_blocks`; each up level runs one more. */
  numResBlocks: number;
  /** Resolutions whose up level has attention (`attn_resolutions`). */
  attnResolutions: number[];
  /** Output side (`resolution`); the coarsest level is resolution / 2^(levels−1). */
  resolution: number;
  /** `out_ch`. */
  outChannels: number;
}

const norm = (g: Graph, x: Value, c: number) => groupNorm(g, x, 32, c, 1e-6);

/** Channels of the coarsest level (`ch · ch_mult[-1]`), what conv_in emits. */
export function tamingBlockIn(c: TamingDecoderConfig): number {
  return c.ch * c.chMult[c.chMult.length - 1];
}

/**
 * z → image, parameters in the current scope. `between` (BDD-1D) reshapes the
 * mid output to the coarsest grid; without it z is already that grid (LDM, taming).
 */
export function tamingDecoder(
  g: Graph,
  z: Value,
  c: TamingDecoderConfig,
  between?: (h: Value) => Value,
): Value {
  const levels = c.chMult.length;
  let blockIn = tamingBlockIn(c);
  let res = c.resolution / 2 ** (levels - 1);
  let h = g.scope("conv_in", () => conv2d(g, z, c.inChannels, blockIn, 3, { padding: 1 }));
  g.scope("mid", () => {
    h = g.scope("block_1", () => ldmResnetBlock(g, h, blockIn, blockIn));
    h = g.scope("attn_1", () => ldmAttnBlock(g, h, blockIn));
    h = g.scope("block_2", () => ldmResnetBlock(g, h, blockIn, blockIn));
  });
  if (between) h = between(h);
  g.scope("up", () => {
    for (let i = levels - 1; i >= 0; i--) {
      g.scope(i, () => {
        const out = c.ch * c.chMult[i];
        const attn = c.attnResolutions.includes(res);
        for (let j = 0; j <= c.numResBlocks; j++) {
          const inC = blockIn;
          h = g.scope("block", () => g.scope(j, () => ldmResnetBlock(g, h, inC, out)));
          blockIn = out;
          if (attn) h = g.scope("attn", () => g.scope(j, () => ldmAttnBlock(g, h, out)));
        }
        if (i !== 0) {
          h = g.scope(
            "upsample",
            () => g.scope("conv", () => upsampleConv3x3(g, h, out, out)),
          );
          res *= 2;
        }
      });
    }
  });
  h = g.scope("norm_out", () => norm(g, h, blockIn));
  return g.scope("conv_out", () => conv2d(g, silu(g, h), blockIn, c.outChannels, 3, { padding: 1 }));
}
