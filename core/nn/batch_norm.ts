/**
 * torch.nn.BatchNorm2d in training mode, composed from ops: each call
 * normalises with the batch's own statistics (mean and biased variance per
 * channel over N·H·W) and moves the running statistics as torch does,
 * running ← (1 − momentum)·running + momentum·batch, the variance term
 * unbiased (·n/(n − 1)). The running statistics are graph state: a
 * {@link Buffers} declares each as an input on first read (its checkpoint
 * key, `<scope>.running_mean`) and keeps the latest value, so a network
 * applied twice in one graph (a discriminator on real, then fake images)
 * updates them twice, in order, like two torch forward calls.
 *
 * torch's `num_batches_tracked` only counts calls when a momentum is set;
 * it is not kept.
 *
 * @example
 * ```ts
 * const buffers = new Buffers(g);
 * const y = g.scope("bn", () => batchNorm2dTrain(g, x, 64, buffers));
 * const state = buffers.updates(); // { "bn.running_mean": …, "bn.running_var": … }
 * ```
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { add, div, f32, mul, reduceMean, reshape, sqrt, stopGradient, sub } from "../ops/mod.ts";
import type { Tensor } from "../tensor.ts";

/** Running buffers of a graph: declared as inputs on first read, threaded through updates. */
export class Buffers {
  private readonly current = new Map<string, Value>();
  private readonly declared = new Map<string, Value>();

  constructor(private readonly g: Graph) {}

  /** The latest value of buffer `local` in the current scope (an input the first time). */
  read(local: string, shape: number[]): Value {
    const name = this.g.path ? `${this.g.path}.${local}` : local;
    const known = this.current.get(name);
    if (known) return known;
    const v = this.g.input(name, "float32", shape);
    this.declared.set(name, v);
    this.current.set(name, v);
    return v;
  }

  /** Records the new value of buffer `local` in the current scope. */
  write(local: string, v: Value): void {
    const name = this.g.path ? `${this.g.path}.${local}` : local;
    if (!this.declared.has(name)) throw new Error(`buffer ${name} written before it was read`);
    this.current.set(name, v);
  }

  /** Input name → the buffer's value after every update (a loss builder's `state`). */
  updates(): Record<string, Value> {
    return Object.fromEntries([...this.declared.keys()].map((k) => [k, this.current.get(k)!]));
  }
}

/** BatchNorm2d settings (torch's defaults). */
export interface BatchNormOptions {
  eps?: number;
  momentum?: number;
}

/**
 * BatchNorm2d(channels) in training mode on NCHW `x`: parameters `weight`,
 * `bias`; buffers `running_mean`, `running_var` read from and written to
 * `buffers` (the batch statistics carry no gradient into them).
 */
export function batchNorm2dTrain(
  g: Graph,
  x: Value,
  channels: number,
  buffers: Buffers,
  o: BatchNormOptions = {},
): Value {
  const [n, c, h, w] = x.shape as number[];
  if (c !== channels) throw new Error(`BatchNorm2d(${channels}) on ${c} channels`);
  const eps = o.eps ?? 1e-5, momentum = o.momentum ?? 0.1;
  const k = (v: number) => g.constant(f32([], [v]), "bn_c");
  const mean = reduceMean(g, x, [0, 2, 3], true);
  const centred = sub(g, x, mean);
  const variance = reduceMean(g, mul(g, centred, centred), [0, 2, 3], true);
  const normed = div(g, centred, sqrt(g, add(g, variance, k(eps))));
  const scale = reshape(g, g.param("weight", [channels]), [channels, 1, 1]);
  const shift = reshape(g, g.param("bias", [channels]), [channels, 1, 1]);
  const count = n * h * w;
  const move = (local: string, batch: Value, factor: number) => {
    const old = buffers.read(local, [channels]);
    const stat = mul(g, reshape(g, stopGradient(g, batch), [channels]), k(momentum * factor));
    buffers.write(local, add(g, mul(g, old, k(1 - momentum)), stat));
  };
  move("running_mean", mean, 1);
  move("running_var", variance, count / Math.max(count - 1, 1));
  return add(g, mul(g, normed, scale), shift);
}

/** torch's initial buffers: running_mean 0, running_var 1. */
export function batchNormBuffers(name: string, channels: number): Map<string, Tensor> {
  const t = (v: number): Tensor => ({
    dtype: "float32",
    shape: [channels],
    data: new Float32Array(channels).fill(v),
  });
  return new Map([[`${name}.running_mean`, t(0)], [`${name}.running_var`, t(1)]]);
}
