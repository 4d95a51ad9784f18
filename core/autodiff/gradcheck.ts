/**
 * Gradient checks against central finite differences. For an op (or any
 * small graph) with outputs y_j, the check builds L = Σ_j Σ r_j·y_j with
 * fixed random weights r_j, differentiates it with the walker, and compares
 * ⟨∇L, u⟩ with (L(x + εu) − L(x − εu)) / 2ε along a random direction u.
 * Runs in float64 where ONNX Runtime has float64 kernels, else in float32.
 * @module
 */
import { Graph, type Value } from "../graph/graph.ts";
import { mul, reduceSum } from "../ops/mod.ts";
import { add } from "../ops/add.ts";
import type { GradCase, OpDef } from "../ops/op.ts";
import { Session } from "../runtime/session.ts";
import type { DType, Tensor } from "../tensor.ts";
import { gradients } from "./grad.ts";
import { isDifferentiable } from "../ops/_grad/rule.ts";

/** Result of one check. */
export interface GradCheckResult {
  dtype: DType;
  analytic: number;
  numeric: number;
  relativeError: number;
}

function cast(t: Tensor, dtype: DType): Tensor {
  if (!isDifferentiable(t.dtype) || t.dtype === dtype) return t;
  const data = dtype === "float64"
    ? Float64Array.from(t.data as Float32Array)
    : Float32Array.from(t.data as Float64Array);
  return { dtype, shape: t.shape, data } as Tensor;
}

function pseudo(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s ^ (s >>> 15), 2246822507) + 0x6d2b79f5) >>> 0;
    return (s / 4294967296) * 2 - 1;
  });
}

async function checkIn(def: OpDef, c: GradCase, dtype: DType): Promise<GradCheckResult> {
  const g = new Graph(`gradcheck_${def.key}`);
  const inputs = c.inputs.map((t) => cast(t, dtype));
  const xs = inputs.map((t, i) => g.input(`x${i}`, t.dtype, t.shape));
  const ys = def.emit(g, xs, c.options);
  let loss: Value | undefined;
  ys.forEach((y, j) => {
    if (!isDifferentiable(y.dtype)) return;
    const n = y.shape.reduce((a: number, b) => a * (b as number), 1);
    const r = pseudo(n, 7 + j);
    const rt = {
      dtype,
      shape: y.shape as number[],
      data: dtype === "float64" ? Float64Array.from(r) : Float32Array.from(r),
    } as Tensor;
    const term = reduceSum(g, mul(g, y, g.constant(rt, "r")), y.shape.map((_, i) => i), false);
    loss = loss ? add(g, loss, term) : term;
  });
  const wrt = c.wrt ?? inputs.map((t, i) => (isDifferentiable(t.dtype) ? i : -1)).filter((i) => i >= 0);
  const grads = gradients(g, loss!, wrt.map((i) => `x${i}`));
  g.output(loss!, "loss");
  for (const i of wrt) {
    const gv = grads.get(`x${i}`);
    if (!gv) throw new Error(`${def.key} ${c.name}: no gradient reached input ${i}`);
    g.output(gv, `g${i}`);
  }
  const s = await Session.create(g, new Map(), { threads: 1 });
  const feeds = (shift: number, dirs: number[][]) =>
    Object.fromEntries(inputs.map((t, i) => {
      const k = wrt.indexOf(i);
      if (k < 0) return [`x${i}`, t];
      const data = Array.from(t.data as Float64Array, (v, j) => v + shift * dirs[k][j]);
      return [`x${i}`, {
        ...t,
        data: dtype === "float64" ? Float64Array.from(data) : Float32Array.from(data),
      }];
    }));
  const dirs = wrt.map((i, k) => pseudo(inputs[i].data.length, 101 + k));
  const at = await s.run(feeds(0, dirs));
  let analytic = 0;
  wrt.forEach((i, k) => {
    const gi = at[`g${i}`].data as Float64Array;
    for (let j = 0; j < gi.length; j++) analytic += gi[j] * dirs[k][j];
  });
  const eps = dtype === "float64" ? 1e-6 : 1e-2;
  const plus = Number((await s.run(feeds(eps, dirs))).loss.data[0]);
  const minus = Number((await s.run(feeds(-eps, dirs))).loss.data[0]);
  await s.release();
  const numeric = (plus - minus) / (2 * eps);
  const relativeError = Math.abs(analytic - numeric) / Math.max(1e-8, Math.abs(analytic) + Math.abs(numeric));
  return { dtype, analytic, numeric, relativeError };
}

/**
 * Checks one case in float64, falling back to float32 when ONNX Runtime has
 * no float64 kernel for a node of the graph.
 */
export async function gradCheck(def: OpDef, c: GradCase): Promise<GradCheckResult> {
  try {
    return await checkIn(def, c, "float64");
  } catch (e) {
    if (!/implementation|NOT_IMPLEMENTED|not supported|type/i.test(String((e as Error).message))) throw e;
    return await checkIn(def, c, "float32");
  }
}
