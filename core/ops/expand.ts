/**
 * ONNX `Expand`: broadcasts `x` to a larger shape (e.g. a learned token over the batch).
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { broadcast, type Dim } from "../graph/shape.ts";
import { f32, i64const, type OpDef, rnd } from "./op.ts";
import { unbroadcast } from "./_grad/unbroadcast.ts";

/**
 * Broadcasts `x` to `shape`. Symbolic dims are taken at run time from
 * `like` (a value that has them), via Shape; numbers are used as given.
 */
export function expand(g: Graph, x: Value, shape: readonly Dim[], like?: Value): Value {
  let target: Value;
  // Symbolic dims come from `like` at run time (Shape + Concat), numbers are constants.
  if (shape.every((d) => typeof d === "number")) target = i64const(g, shape as number[], "shape");
  else {
    if (!like) throw new Error(`Expand: symbolic shape needs a 'like' value`);
    const dims = shape.map((d) => {
      if (typeof d === "number") return i64const(g, [d], "dim");
      const at = like.shape.indexOf(d);
      if (at < 0) throw new Error(`Expand: ${like.name} has no dim ${d}`);
      return g.addNode("Shape", [like], {
        start: { type: "int", value: at },
        end: { type: "int", value: at + 1 },
      }, [
        { dtype: "int64", shape: [1] },
      ])[0];
    });
    target = g.addNode("Concat", dims, { axis: { type: "int", value: 0 } }, [{
      dtype: "int64",
      shape: [dims.length],
    }])[0];
  }
  return g.addNode("Expand", [x, target], {}, [{
    dtype: x.dtype,
    shape: broadcast(x.shape, shape, "Expand"),
  }])[0];
}

export const def: OpDef = {
  key: "Expand",
  type: "Expand",
  emit: (g, [x], o) => [expand(g, x, o.shape)],
  cases: [{
    name: "row to 2 rows",
    inputs: [f32([1, 2], [1, 2])],
    options: { shape: [2, 2] },
    expected: [f32([2, 2], [1, 2, 1, 2])],
  }],
  vjp: (g, { inputs: [x] }, [dy]) => [unbroadcast(g, dy!, x.shape), undefined],
  gradCases: [{ name: "row to 3 rows", inputs: [rnd([1, 2], 1)], options: { shape: [3, 2] } }],
};
