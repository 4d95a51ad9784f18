/**
 * Deterministic random initialisation of a graph's parameters, for tests,
 * benchmarks and training from scratch. Follows TiTok's rules by name:
 * norms → weight 1, bias 0; biases 0; learned embeddings/tokens
 * randn·width^-½; codebooks U(±1/N); other weights trunc-normal(0, 0.02).
 *
 * @module
 */
import type { ParamSpec } from "./graph/graph.ts";
import type { Tensor } from "./tensor.ts";

/** A small seeded PRNG (mulberry32) with Box–Muller normals. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Standard normal. */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
}

function isNorm(name: string): boolean {
  // Flax RMSNorm scales are `<x>_norm.kernel` / `ln_f.kernel` (ElasticTok's LLaMA blocks).
  return /(^|\.)(ln_\w+|ln|norm\w*|norm|\w+_norm)\.(weight|bias|kernel)$/.test(name);
}

/**
 * Weight-matrix scales: `titok` is upstream's trunc-normal(0, 0.02); `fanin`
 * uses std 1/√fan_in (what torch's default layers give, up to a constant),
 * which keeps narrow models' encoders sensitive to the image at the start.
 */
export type InitScheme = "titok" | "fanin";

/** Random tensors for every parameter, reproducible for a seed. */
export function randomWeights(
  params: Iterable<ParamSpec>,
  seed = 0,
  scheme: InitScheme = "titok",
): Map<string, Tensor> {
  const rng = new Rng(seed);
  const out = new Map<string, Tensor>();
  for (const p of params) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const last = p.shape[p.shape.length - 1] ?? 1;
    // Only 1-D tensors are norm scales: BDD-1D's 768→16 projection is a Linear named `ln`, and a
    // weight of ones there makes every token channel equal, so its L2 normalisation divides ~0 by ~0.
    if (isNorm(p.name) && p.shape.length === 1) data.fill(p.name.endsWith(".bias") ? 0 : 1);
    else if (p.name.endsWith(".bias") || p.name.endsWith("_bias")) data.fill(0);
    else if (p.name.endsWith("embedding.weight")) {
      for (let i = 0; i < n; i++) data[i] = (rng.next() * 2 - 1) / p.shape[0];
    } else if (/(embedding|tokens?|mask_token)$/.test(p.name)) {
      for (let i = 0; i < n; i++) data[i] = rng.normal() / Math.sqrt(last);
    } else {
      const fanIn = p.shape.slice(1).reduce((a, b) => a * b, 1);
      const std = scheme === "fanin" ? 1 / Math.sqrt(fanIn) : 0.02;
      for (let i = 0; i < n; i++) {
        let v = rng.normal();
        while (Math.abs(v) > 2) v = rng.normal();
        data[i] = std * v;
      }
    }
    out.set(p.name, { dtype: "float32", shape: [...p.shape], data });
  }
  return out;
}
