/**
 * ONNX `Reshape`: row-major reinterpretation. A target dim of -1 is inferred;
 * a symbolic target dim must equal the input dim at the same position (it is
 * emitted as 0, "copy from input").
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { type Dim, fmt, numel } from "../graph/shape.ts";
import { f32, i64const, type OpDef, rnd } from "./op.ts";
import { shapeOf } from "./shape.ts";

/** Reshapes `x` to `shape` (numbers, -1 once, or symbols kept from the input). */
export function reshape(g: Graph, x: Value, shape: readonly Dim[]): Value {
  const spec = shape.map((d, i) => {
    if (typeof d === "number") return d;
    if (x.shape[i] !== d) {
      throw new Error(`Reshape: symbolic dim ${d} must sit where ${x.name}${fmt(x.shape)} has it`);
    }
    return 0;
  });
  const out: Dim[] = [...shape];
  const hole = shape.indexOf(-1);
  if (hole >= 0) {
    const known = numel(shape.filter((d, i) => i !== hole && typeof d === "number"));
    const symbolsIn = x.shape.filter((d) => typeof d === "string");
    const symbolsOut = shape.filter((d) => typeof d === "string");
    const total = numel(x.shape.filter((d) => typeof d === "number"));
    if (symbolsIn.length === symbolsOut.length && total !== undefined && known) out[hole] = total / known;
    else if (symbolsIn.length === 1 && symbolsOut.length === 0 && total === known) out[hole] = symbolsIn[0];
    else throw new Error(`Reshape: cannot infer -1 in ${fmt(shape)} from ${fmt(x.shape)}`);
  }
  const a = numel(x.shape.filter((d) => typeof d === "number"));
  const b = numel(out.filter((d) => typeof d === "number"));
  if (a !== b || !Number.isInteger(out[hole] ?? 0)) {
    throw new Error(`Reshape: ${x.name}${fmt(x.shape)} cannot become ${fmt(shape)}`);
  }
  return g.addNode("Reshape", [x, i64const(g, spec)], {}, [{ dtype: x.dtype, shape: out }])[0];
}

/**
 * `x` reshaped to `like`'s shape. When a symbol of `like` sits where `x` has another dim (x's rows
 * are a flattened `B*T`, say), the target is read at run time from `Shape(like)`.
 */
export function reshapeLike(g: Graph, x: Value, like: Value): Value {
  const positional = like.shape.every((d, i) => typeof d === "number" || x.shape[i] === d);
  if (positional) return reshape(g, x, like.shape);
  return g.addNode("Reshape", [x, shapeOf(g, like)], {}, [{ dtype: x.dtype, shape: like.shape }])[0];
}

export const def: OpDef = {
  key: "Reshape",
  type: "Reshape",
  emit: (g, [x], o) => [reshape(g, x, o.shape)],
  cases: [{
    name: "2x3 -> 3x-1",
    inputs: [f32([2, 3], [1, 2, 3, 4, 5, 6])],
    options: { shape: [3, -1] },
    expected: [f32([3, 2], [1, 2, 3, 4, 5, 6])],
  }],
  vjp: (g, { inputs: [x] }, [dy]) => [reshapeLike(g, dy!, x), undefined],
  gradCases: [{ name: "2x3 -> 3x2", inputs: [rnd([2, 3], 1)], options: { shape: [3, -1] } }],
};
