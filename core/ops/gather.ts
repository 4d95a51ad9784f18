/**
 * ONNX `Gather`: picks entries of `x` along an axis by integer indices
 * (embedding lookup). Indices carry no gradient.
 * @module
 */
import { type Graph, int, type Value } from "../graph/graph.ts";
import { axis as norm } from "../graph/shape.ts";
import { f32, type OpDef, rnd, t } from "./op.ts";
import { matmul } from "./matmul.ts";
import { reshape } from "./reshape.ts";
import { transpose } from "./transpose.ts";
import { oneHot } from "./one_hot.ts";
import { intAttr, staticShape } from "./_grad/rule.ts";

/** out = x.take(indices, axis): shape x[:axis] + indices + x[axis+1:]. */
export function gather(g: Graph, x: Value, indices: Value, axis = 0): Value {
  const a = norm(axis, x.shape.length, "Gather");
  const shape = [...x.shape.slice(0, a), ...indices.shape, ...x.shape.slice(a + 1)];
  return g.addNode("Gather", [x, indices], { axis: int(a) }, [{ dtype: x.dtype, shape }])[0];
}

export const def: OpDef = {
  key: "Gather",
  type: "Gather",
  emit: (g, [x, i], o) => [gather(g, x, i, o?.axis ?? 0)],
  cases: [{
    name: "embedding rows",
    inputs: [f32([3, 2], [1, 2, 3, 4, 5, 6]), t("int64", [2, 2], [2, 0, 1, 1])],
    expected: [f32([2, 2, 2], [5, 6, 1, 2, 3, 4, 3, 4])],
  }],
  // Rows picked by the indices receive dy, summed where indices repeat: onehot(idx)ᵀ · dy.
  vjp: (g, ctx, [dy]) => {
    const [x, idx] = ctx.inputs;
    if (intAttr(ctx, "axis", 0) !== 0) throw new Error("Gather gradient: only axis 0 is supported");
    const shape = staticShape(x, "Gather");
    const n = staticShape(idx, "Gather").reduce((a, b) => a * b, 1);
    const rest = shape.slice(1).reduce((a, b) => a * b, 1);
    const hot = reshape(g, oneHot(g, idx, shape[0], x.dtype), [n, shape[0]]);
    const flat = reshape(g, dy!, [n, rest]);
    return [reshape(g, matmul(g, transpose(g, hot, [1, 0]), flat), shape), undefined];
  },
  gradCases: [{ name: "repeated rows", inputs: [rnd([3, 2], 1), t("int64", [4], [2, 0, 2, 1])] }],
};
