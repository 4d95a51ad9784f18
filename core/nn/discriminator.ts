/**
 * The GAN discriminator of TiTok's stage-2 and single-stage recipes
 * (`NLayerDiscriminator`, "Mark Weber's improved" design; architectures.md
 * §1.6): Conv5×5 + LeakyReLU(0.1); per stage Conv3×3 → blur-pool
 * ([1,3,3,1]ᵀ[1,3,3,1]/64, depthwise, stride 2, TF-SAME) → GroupNorm(32) →
 * LeakyReLU(0.1); adaptive max-pool to 16×16; Conv1×1 + LeakyReLU + Conv5×5
 * → a one-channel logit map (B, 1, 16, 16).
 *
 * Parameters are upstream's state-dict keys under `discriminator.`
 * (`discriminator.blocks.0.0.weight`, `discriminator.to_logits.2.bias`); the
 * blur kernel is a fixed buffer upstream, a constant here.
 *
 * @example
 * ```ts
 * const g = new Graph("d");
 * const logits = discriminator(g, g.input("image", "float32", [2, 3, 64, 64]));
 * ```
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import type { ParamSpec } from "../graph/graph.ts";
import { conv, expand, f32, leakyRelu, maxPool, upsampleNearest } from "../ops/mod.ts";
import type { Tensor } from "../tensor.ts";
import { Rng } from "../init.ts";
import { conv2d } from "./conv.ts";
import { groupNorm } from "./norm.ts";

/** Size of the discriminator; upstream's defaults are {@link NLAYER_DEFAULTS}. */
export interface DiscriminatorOptions {
  hiddenChannels: number;
  numStages: number;
  /** Side of the logit map (upstream: AdaptiveMaxPool2d((16, 16))). */
  poolSize: number;
}

/** Upstream's `NLayerDiscriminator()`: 128 hidden channels, 3 stages, 16×16 logits. */
export const NLAYER_DEFAULTS: DiscriminatorOptions = { hiddenChannels: 128, numStages: 3, poolSize: 16 };

const SLOPE = 0.1;

/** TF "SAME" padding of a k-tap, stride-s sweep over i pixels, as [before, after]. */
function samePads(i: number, k: number, s: number): [number, number] {
  const total = Math.max((Math.ceil(i / s) - 1) * s + k - i, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** Depthwise [1,3,3,1]-outer-product blur, stride 2, TF-SAME padding (upstream's BlurBlock). */
function blurPool(g: Graph, x: Value): Value {
  const [, ch, h, w] = x.shape as number[];
  const taps = [1, 3, 3, 1];
  const kernel = taps.flatMap((a) => taps.map((b) => (a * b) / 64));
  const weight = expand(g, g.constant(f32([1, 1, 4, 4], kernel), "blur_kernel"), [ch, 1, 4, 4]);
  const [top, bottom] = samePads(h, 4, 2);
  const [left, right] = samePads(w, 4, 2);
  return conv(g, x, weight, undefined, { strides: [2, 2], pads: [top, left, bottom, right], group: ch });
}

/**
 * torch's AdaptiveMaxPool2d((size, size)) where the side divides `size` or
 * `size` divides the side: a k×k max-pool with k = side/size, or — for
 * small images — each pixel repeated size/side times (what the adaptive
 * windows reduce to then).
 */
function adaptiveMaxPool(g: Graph, x: Value, size: number): Value {
  const [, , h, w] = x.shape as number[];
  if (h !== w) throw new Error(`discriminator: needs square feature maps, got ${h}×${w}`);
  if (h === size) return x;
  if (h > size && h % size === 0) return maxPool(g, x, { kernel: h / size });
  if (h < size && size % h === 0) return upsampleNearest(g, x, size / h);
  throw new Error(
    `discriminator: a ${h}×${h} feature map cannot be pooled to ${size}×${size} ` +
      `(one side must divide the other); use an image side of ${size}·2^k or ${size}/2^k times 2^stages`,
  );
}

/** NLayerDiscriminator on `image` (B, 3, S, S) → logits (B, 1, poolSize, poolSize), in scope `discriminator`. */
export function discriminator(g: Graph, image: Value, o: DiscriminatorOptions = NLAYER_DEFAULTS): Value {
  const act = (v: Value) => leakyRelu(g, v, SLOPE);
  return g.scope("discriminator", () => {
    const hc = o.hiddenChannels;
    let h = g.scope("block_in", () => act(g.scope(0, () => conv2d(g, image, 3, hc, 5, { padding: "same" }))));
    let inC = hc;
    g.scope("blocks", () => {
      for (let i = 0; i < o.numStages; i++) {
        const outC = hc * 2 ** i;
        h = g.scope(i, () => {
          const c = g.scope(0, () => conv2d(g, h, inC, outC, 3, { padding: "same" }));
          const n = g.scope(2, () => groupNorm(g, blurPool(g, c), 32, outC, 1e-5));
          return act(n);
        });
        inC = outC;
      }
    });
    h = adaptiveMaxPool(g, h, o.poolSize);
    return g.scope("to_logits", () => {
      const mid = act(g.scope(0, () => conv2d(g, h, inC, inC, 1)));
      return g.scope(2, () => conv2d(g, mid, inC, 1, 5, { padding: "same" }));
    });
  });
}

/**
 * torch's default initialisation of the discriminator's layers (upstream
 * never re-initialises it): conv weights and biases U(±1/√fan_in),
 * GroupNorm weight 1 and bias 0. Reproducible for a seed.
 */
export function discriminatorWeights(specs: Iterable<ParamSpec>, seed: number): Map<string, Tensor> {
  const rng = new Rng(seed);
  const out = new Map<string, Tensor>();
  const fanIn = new Map<string, number>();
  const list = [...specs];
  for (const p of list) {
    if (p.shape.length === 4) {
      fanIn.set(
        p.name.replace(/weight$/, ""),
        p.shape.slice(1).reduce((a, b) => a * b),
      );
    }
  }
  for (const p of list) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const fan = fanIn.get(p.name.replace(/(weight|bias)$/, ""));
    if (fan === undefined) data.fill(p.name.endsWith(".weight") ? 1 : 0);
    else {
      const bound = 1 / Math.sqrt(fan);
      for (let i = 0; i < n; i++) data[i] = (2 * rng.next() - 1) * bound;
    }
    out.set(p.name, { dtype: "float32", shape: [...p.shape], data });
  }
  return out;
}
