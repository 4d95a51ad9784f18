/**
 * ONNX `ScatterElements` with `reduction="add"` (opset 18) on a vector:
 * `out = data; out[indices[k]] += updates[k]`, repeated indices adding up.
 * tok1d emits it for the MaxPool gradient (each pooled gradient goes to the
 * flat index of its window's maximum).
 * @module
 */
import { type Graph, int, str, type Value } from "../graph/graph.ts";
import { f32, type OpDef, rnd, t } from "./op.ts";
import { gather } from "./gather.ts";

/** data (M) with updates (K) added at int64 indices (K) in [0, M). */
export function scatterAdd(g: Graph, data: Value, indices: Value, updates: Value): Value {
  if (data.shape.length !== 1 || indices.shape.length !== 1 || updates.shape.length !== 1) {
    throw new Error(
      `ScatterElements: vectors only, got [${data.shape}], [${indices.shape}], [${updates.shape}]`,
    );
  }
  return g.addNode("ScatterElements", [data, indices, updates], { axis: int(0), reduction: str("add") }, [
    { dtype: data.dtype, shape: data.shape },
  ])[0];
}

export const def: OpDef = {
  key: "ScatterElements",
  type: "ScatterElements",
  emit: (g, [d, i, u]) => [scatterAdd(g, d, i, u)],
  cases: [{
    // Index 1 is hit twice: 20 + 1 + 2; index 3 once: 40 + 3.
    name: "repeated index adds",
    inputs: [f32([4], [10, 20, 30, 40]), t("int64", [3], [1, 3, 1]), f32([3], [1, 3, 2])],
    expected: [f32([4], [10, 23, 30, 43])],
  }],
  // The data passes through; each update lands at one place, so its gradient is read back from there.
  vjp: (g, ctx, [dy]) => [dy, undefined, gather(g, dy!, ctx.inputs[1], 0)],
  gradCases: [{
    name: "repeated index",
    inputs: [rnd([5], 1), t("int64", [4], [2, 0, 2, 4]), rnd([4], 2)],
  }],
};
