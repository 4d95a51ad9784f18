/**
 * MAR's KL-16 VAE (LTH14/mar `models/vae.py`, LDM's AutoencoderKL), the "vae"
 * base tokenizer of ALIT (`base_tokenizers/vae_ldm.py`, which ALIT stores
 * under `base_tokenizer.vae.*`). Parameter names are upstream's keys inside
 * the caller's scope: `encoder.*`, `decoder.*`, `quant_conv.*`,
 * `post_quant_conv.*` (MAR's `kl16.ckpt["model"]` and ALIT's checkpoints alike).
 *
 * The network (ch 128, ch_mult (1,1,2,2,4), 2 res-blocks per level, z 16):
 * GroupNorm(32, eps 1e-6) + SiLU; residual blocks with biased 3×3 convs and
 * a 1×1 `nin_shortcut` on the block's *input* when the width changes (the
 * standard form, unlike the MaskGIT-VQGAN quirk); downsampling by a 3×3
 * stride-2 conv after zero padding right/bottom by one; upsampling nearest ×2 +
 * 3×3 conv. Single-head spatial self-attention (`AttnBlock`: 1×1 q/k/v/proj_out,
 * scale C^-½) follows each encoder res-block at the level whose nominal
 * resolution (256 / 2^level, fixed by the config, not by the input) is in
 * `attnResolutions` — level 4 (16²) — and sits between the two middle blocks
 * of encoder and decoder. The decoder has `numResBlocks + 1` blocks per level
 * and no attention outside its middle (upstream passes no attn_resolutions to it).
 *
 * Encoding gives moments (B, 2z, h, w) → mean ‖ logvar (clamped to [−30, 20]);
 * {@link kl16Latent} takes the mean or a sample with fed noise, times a scale.
 * ALIT and MAR both scale latents by {@link KL16_LATENT_SCALE}; MAR divides
 * by it again before `decode`, ALIT does not (see tests/testdata/alit_base/README.md).
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { add, conv, f32, matmul, mul, reshape, softmax, transpose } from "../ops/mod.ts";
import { gaussianPosterior, gaussianSample } from "../quantizers/gaussian.ts";
import { silu } from "./activations.ts";
import { conv2d } from "./conv.ts";
import { groupNorm } from "./norm.ts";
import { upsampleConv3x3 } from "./upsample_conv.ts";

/** Size of an LDM/MAR AutoencoderKL. */
export interface Kl16Config {
  ch: number;
  chMult: number[];
  numResBlocks: number;
  /** Nominal resolutions (256 / 2^level) at which the encoder attends after each block. */
  attnResolutions: number[];
  /** The nominal input resolution that places the attention levels (upstream's `resolution`). */
  resolution: number;
  zChannels: number;
}

/** MAR's KL-16 as ALIT builds it: `AutoencoderKL(embed_dim=16, ch_mult=(1,1,2,2,4))`. */
export const KL16: Kl16Config = {
  ch: 128,
  chMult: [1, 1, 2, 2, 4],
  numResBlocks: 2,
  attnResolutions: [16],
  resolution: 256,
  zChannels: 16,
};

/** The latent scale MAR and ALIT apply to posterior samples. */
export const KL16_LATENT_SCALE = 0.2325;

const norm = (g: Graph, x: Value, c: number) => groupNorm(g, x, 32, c, 1e-6);
const scalar = (g: Graph, v: number, hint: string) => g.constant(f32([], [v]), hint);

/** LDM ResnetBlock(inC → outC) without time embedding, in the current scope. */
export function ldmResnetBlock(g: Graph, x: Value, inC: number, outC: number): Value {
  let h = g.scope("norm1", () => norm(g, x, inC));
  h = g.scope("conv1", () => conv2d(g, silu(g, h), inC, outC, 3, { padding: 1 }));
  h = g.scope("norm2", () => norm(g, h, outC));
  h = g.scope("conv2", () => conv2d(g, silu(g, h), outC, outC, 3, { padding: 1 }));
  const skip = inC === outC ? x : g.scope("nin_shortcut", () => conv2d(g, x, inC, outC, 1));
  return add(g, skip, h);
}

/** LDM AttnBlock: single-head self-attention over the h·w positions, residual. */
export function ldmAttnBlock(g: Graph, x: Value, c: number): Value {
  const [b, , hh, ww] = x.shape as number[];
  const n = hh * ww;
  const h = g.scope("norm", () => norm(g, x, c));
  const proj = (name: string) => g.scope(name, () => reshape(g, conv2d(g, h, c, c, 1), [b, c, n]));
  const q = proj("q"), k = proj("k"), v = proj("v");
  // w[b,i,j] = Σ_c q[b,c,i]·k[b,c,j] / √C, softmax over j; out[b,c,i] = Σ_j v[b,c,j]·w[b,i,j].
  const w = softmax(g, mul(g, matmul(g, transpose(g, q, [0, 2, 1]), k), scalar(g, c ** -0.5, "scale")), -1);
  const out = reshape(g, matmul(g, v, transpose(g, w, [0, 2, 1])), [b, c, hh, ww]);
  return add(g, x, g.scope("proj_out", () => conv2d(g, out, c, c, 1)));
}

function middle(g: Graph, h: Value, c: number): Value {
  return g.scope("mid", () => {
    let y = g.scope("block_1", () => ldmResnetBlock(g, h, c, c));
    y = g.scope("attn_1", () => ldmAttnBlock(g, y, c));
    return g.scope("block_2", () => ldmResnetBlock(g, y, c, c));
  });
}

/** `encoder`: image (B,3,H,W) → (B, 2z, H/2^(L−1), W/2^(L−1)), before `quant_conv`. */
export function kl16EncoderNet(g: Graph, x: Value, c: Kl16Config): Value {
  const levels = c.chMult.length;
  let h = g.scope("conv_in", () => conv2d(g, x, 3, c.ch, 3, { padding: 1 }));
  const inMult = [1, ...c.chMult];
  g.scope("down", () => {
    for (let i = 0; i < levels; i++) {
      g.scope(i, () => {
        const attend = c.attnResolutions.includes(c.resolution / 2 ** i);
        let inC = c.ch * inMult[i];
        const outC = c.ch * c.chMult[i];
        for (let j = 0; j < c.numResBlocks; j++) {
          h = g.scope("block", () => g.scope(j, () => ldmResnetBlock(g, h, inC, outC)));
          if (attend) h = g.scope("attn", () => g.scope(j, () => ldmAttnBlock(g, h, outC)));
          inC = outC;
        }
        if (i !== levels - 1) {
          // Zero pad right and bottom by one, then a 3×3 stride-2 conv without padding.
          h = g.scope("downsample", () =>
            g.scope("conv", () => {
              const w = g.param("weight", [outC, outC, 3, 3]);
              const bias = g.param("bias", [outC]);
              return conv(g, h, w, bias, { strides: [2, 2], pads: [0, 0, 1, 1] });
            }));
        }
      });
    }
  });
  const top = c.ch * c.chMult[levels - 1];
  h = middle(g, h, top);
  h = g.scope("norm_out", () => norm(g, h, top));
  return g.scope("conv_out", () => conv2d(g, silu(g, h), top, 2 * c.zChannels, 3, { padding: 1 }));
}

/** `decoder`: z (B, z, h, w) → image (B, 3, h·2^(L−1), w·2^(L−1)), unclamped. */
export function kl16DecoderNet(g: Graph, z: Value, c: Kl16Config): Value {
  const levels = c.chMult.length;
  let inC = c.ch * c.chMult[levels - 1];
  let h = g.scope("conv_in", () => conv2d(g, z, c.zChannels, inC, 3, { padding: 1 }));
  h = middle(g, h, inC);
  g.scope("up", () => {
    for (let i = levels - 1; i >= 0; i--) {
      g.scope(i, () => {
        const outC = c.ch * c.chMult[i];
        for (let j = 0; j <= c.numResBlocks; j++) {
          h = g.scope("block", () => g.scope(j, () => ldmResnetBlock(g, h, inC, outC)));
          inC = outC;
        }
        if (i !== 0) {
          h = g.scope(
            "upsample",
            () => g.scope("conv", () => upsampleConv3x3(g, h, outC, outC)),
          );
        }
      });
    }
  });
  h = g.scope("norm_out", () => norm(g, h, inC));
  return g.scope("conv_out", () => conv2d(g, silu(g, h), inC, 3, 3, { padding: 1 }));
}

/** AutoencoderKL.encode up to the moments: `encoder` then `quant_conv` → (B, 2z, h, w). */
export function kl16Moments(g: Graph, x: Value, c: Kl16Config = KL16): Value {
  const h = g.scope("encoder", () => kl16EncoderNet(g, x, c));
  return g.scope("quant_conv", () => conv2d(g, h, 2 * c.zChannels, 2 * c.zChannels, 1));
}

/** What {@link kl16Latent} returns: the posterior's pieces and the (scaled) latent. */
export interface Kl16Latent {
  mean: Value;
  logvar: Value;
  std: Value;
  /** (mean, or mean + std·noise) × scale, (B, z, h, w). */
  latent: Value;
}

/**
 * Image → latent: the posterior mean, or a sample mean + std·`noise` (noise
 * (B, z, h, w) fed by the caller, as upstream's `torch.randn`), times `scale`
 * (ALIT: {@link KL16_LATENT_SCALE} on a sample).
 */
export function kl16Latent(
  g: Graph,
  x: Value,
  o: { config?: Kl16Config; noise?: Value; scale?: number } = {},
): Kl16Latent {
  const p = gaussianPosterior(g, kl16Moments(g, x, o.config ?? KL16), 1);
  const z = o.noise ? gaussianSample(g, p, o.noise) : p.mean;
  const latent = o.scale === undefined || o.scale === 1 ? z : mul(g, z, scalar(g, o.scale, "latent_scale"));
  return { ...p, latent };
}

/** AutoencoderKL.decode: `post_quant_conv` then `decoder`, on z exactly as given (no unscaling). */
export function kl16Decode(g: Graph, z: Value, c: Kl16Config = KL16): Value {
  const h = g.scope("post_quant_conv", () => conv2d(g, z, c.zChannels, c.zChannels, 1));
  return g.scope("decoder", () => kl16DecoderNet(g, h, c));
}
