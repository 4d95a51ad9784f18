/**
 * taming-transformers' PatchGAN discriminator (`NLayerDiscriminator`, after
 * pix2pix), as ALIT's stage 2 (`modules/losses/discriminator.py`) and the
 * VQGAN recipes use it: Conv4×4 stride 2 + LeakyReLU(0.2); for n = 1 … L−1
 * Conv4×4 stride 2 (no bias) → BatchNorm → LeakyReLU(0.2), channels
 * ndf·min(2ⁿ, 8); one more such block at stride 1; a final Conv4×4 stride 1
 * to one channel. Every convolution pads 1. A 256-px image gives a 30×30
 * logit map; 64 px gives 6×6.
 *
 * Parameters and buffers use upstream's keys under the caller's scope
 * (`main.0.weight`, `main.3.running_mean`, …). BatchNorm runs in training
 * mode (core/nn/batch_norm.ts), as upstream's discriminator always does while
 * training: batch statistics, running statistics moved per call.
 *
 * @example
 * ```ts
 * const buffers = new Buffers(g);
 * const logits = g.scope("discriminator", () => patchGan(g, image, buffers)); // (B, 1, 30, 30) at 256 px
 * ```
 * @module
 */
import type { Graph, ParamSpec, Value } from "../graph/graph.ts";
import { leakyRelu } from "../ops/mod.ts";
import { Rng } from "../init.ts";
import type { Tensor } from "../tensor.ts";
import { batchNorm2dTrain, batchNormBuffers, type Buffers } from "./batch_norm.ts";
import { conv2d } from "./conv.ts";

/** Size of the PatchGAN; upstream's `NLayerDiscriminator()` is {@link PATCHGAN_DEFAULTS}. */
export interface PatchGanOptions {
  /** Filters of the first convolution (`ndf`). */
  ndf: number;
  /** Stride-2 convolutions (`n_layers`). */
  layers: number;
  inChannels: number;
}

/** taming's defaults (and ALIT's `VQLPIPSWithDiscriminator`): ndf 64, 3 layers, RGB. */
export const PATCHGAN_DEFAULTS: PatchGanOptions = { ndf: 64, layers: 3, inChannels: 3 };

const SLOPE = 0.2;

/** The (index, in, out, stride) of each convolution and the indices of the BatchNorms after them. */
function layout(o: PatchGanOptions) {
  const convs: { index: number; inC: number; outC: number; stride: number; bias: boolean; norm?: number }[] =
    [];
  let i = 0;
  convs.push({ index: i, inC: o.inChannels, outC: o.ndf, stride: 2, bias: true });
  i += 2;
  let mult = 1;
  for (let n = 1; n <= o.layers; n++) {
    const prev = mult;
    mult = Math.min(2 ** n, 8);
    const stride = n < o.layers ? 2 : 1;
    convs.push({ index: i, inC: o.ndf * prev, outC: o.ndf * mult, stride, bias: false, norm: i + 1 });
    i += 3;
  }
  convs.push({ index: i, inC: o.ndf * mult, outC: 1, stride: 1, bias: true });
  return convs;
}

/** Logits (B, 1, h, w) of the PatchGAN on `image` (B, C, H, W); parameters under `main.*` in the current scope. */
export function patchGan(
  g: Graph,
  image: Value,
  buffers: Buffers,
  o: PatchGanOptions = PATCHGAN_DEFAULTS,
): Value {
  return g.scope("main", () => {
    let h = image;
    const convs = layout(o);
    convs.forEach((c, j) => {
      h = g.scope(
        c.index,
        () => conv2d(g, h, c.inC, c.outC, 4, { stride: c.stride, padding: 1, bias: c.bias }),
      );
      if (c.norm !== undefined) h = g.scope(c.norm, () => batchNorm2dTrain(g, h, c.outC, buffers));
      if (j < convs.length - 1) h = leakyRelu(g, h, SLOPE);
    });
    return h;
  });
}

/** The running-statistics buffers of a PatchGAN under `prefix` (e.g. `gan_losses.0.discriminator.`), at torch's initial values. */
export function patchGanBuffers(prefix: string, o: PatchGanOptions = PATCHGAN_DEFAULTS): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const c of layout(o)) {
    if (c.norm === undefined) continue;
    for (const [k, t] of batchNormBuffers(`${prefix}main.${c.norm}`, c.outC)) out.set(k, t);
  }
  return out;
}

/**
 * Upstream's initialisation (`weights_init`): conv weights N(0, 0.02²),
 * BatchNorm weights N(1, 0.02²) and biases 0; conv biases keep torch's
 * default U(±1/√fan_in). Reproducible for a seed.
 */
export function patchGanWeights(specs: Iterable<ParamSpec>, seed: number): Map<string, Tensor> {
  const rng = new Rng(seed);
  const list = [...specs];
  const fanIn = new Map<string, number>();
  for (const p of list) {
    if (p.shape.length === 4) {
      fanIn.set(
        p.name.replace(/weight$/, ""),
        p.shape.slice(1).reduce((a, b) => a * b),
      );
    }
  }
  const out = new Map<string, Tensor>();
  for (const p of list) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const stem = p.name.replace(/(weight|bias)$/, "");
    const fan = fanIn.get(stem);
    if (p.name.endsWith(".weight")) {
      const centre = fan === undefined ? 1 : 0;
      for (let i = 0; i < n; i++) data[i] = centre + 0.02 * rng.normal();
    } else if (fan !== undefined) {
      const bound = 1 / Math.sqrt(fan);
      for (let i = 0; i < n; i++) data[i] = (2 * rng.next() - 1) * bound;
    }
    out.set(p.name, { dtype: "float32", shape: [...p.shape], data });
  }
  return out;
}
