/**
 * Bias-free dense layers in either checkpoint layout, and the parameter hook
 * the LLaMA-style layers (RMSNorm, SwiGLU, attention) share.
 *
 * - `flax`: `kernel` of shape (in, out), y = x·kernel — Flax `nn.Dense`
 *   (ElasticTok, EasyLM); no transpose is needed at load time.
 * - `torch`: `weight` of shape (out, in), y = x·weightᵀ — `nn.Linear(bias=False)`
 *   (Meta's LLaMA checkpoints).
 *
 * Every layer takes its parameters through a {@link ParamFn} (by default
 * `g.param`), so a test can hand in graph inputs instead and grad-check the
 * weights as well as the activations.
 *
 * @example
 * ```ts
 * const g = new Graph("demo");
 * const x = g.input("x", "float32", ["batch", 16, 64]);
 * const y = g.scope("wq", () => dense(g, x, 64, 64)); // parameter wq.kernel (64, 64)
 * ```
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { f32, matmul } from "../ops/mod.ts";
import { timesTransposed } from "./linear.ts";

/** Parameter naming and layout of a checkpoint family. */
export type Layout = "flax" | "torch";

/** Returns the parameter `local` (in the current scope) of the given shape. */
export type ParamFn = (local: string, shape: number[]) => Value;

/** Options every LLaMA-style layer accepts. */
export interface LayerParams {
  /** `flax` (default): `kernel` (in, out); `torch`: `weight` (out, in). */
  layout?: Layout;
  /** Where parameters come from (default: `g.param`). */
  param?: ParamFn;
}

/** The parameter source of `o` (default: graph parameters). */
export function paramFn(g: Graph, o: LayerParams = {}): ParamFn {
  return o.param ?? ((local, shape) => g.param(local, shape));
}

/** The name a layout gives to a norm's scale or a dense layer's matrix. */
export function weightName(o: LayerParams = {}): string {
  return (o.layout ?? "flax") === "flax" ? "kernel" : "weight";
}

/** y = x·W over the last axis, no bias; W per {@link Layout}, in the current scope. */
export function dense(
  g: Graph,
  x: Value,
  inFeatures: number,
  outFeatures: number,
  o: LayerParams = {},
): Value {
  const p = paramFn(g, o);
  if ((o.layout ?? "flax") === "flax") return matmul(g, x, p("kernel", [inFeatures, outFeatures]));
  return timesTransposed(g, x, p("weight", [outFeatures, inFeatures]));
}

/** A constant of `like`'s float dtype (float32 or float64) with the given shape and values. */
export function constLike(g: Graph, like: Value, shape: number[], values: number[], hint = "c"): Value {
  if (like.dtype === "float64") {
    return g.constant({ dtype: "float64", shape, data: Float64Array.from(values) }, hint);
  }
  return g.constant(f32(shape, values), hint);
}

/**
 * A test helper: a {@link ParamFn} that returns `values[<scope>.<local>]`
 * (e.g. grad-check inputs), checking the shape the layer asks for.
 */
export function paramsFrom(g: Graph, values: Record<string, Value>): ParamFn {
  return (local, shape) => {
    const name = g.path ? `${g.path}.${local}` : local;
    const v = values[name];
    if (!v) throw new Error(`paramsFrom: no value for ${name}`);
    if (v.shape.join() !== shape.join()) {
      throw new Error(`paramsFrom: ${name} is [${v.shape}], wanted [${shape}]`);
    }
    return v;
  };
}
