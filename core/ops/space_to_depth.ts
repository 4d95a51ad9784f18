/**
 * ONNX `SpaceToDepth`: b×b pixel blocks → channels, channel (p1·b + p2)·C + c —
 * the inverse of DepthToSpace in DCR mode (and its gradient).
 * @module
 */
import { type Graph, int, type Value } from "../graph/graph.ts";
import { depthToSpace } from "./depth_to_space.ts";
import { f32, type OpDef, rnd } from "./op.ts";
import { intAttr } from "./_grad/rule.ts";

/** Rearranges b×b spatial blocks into channels. */
export function spaceToDepth(g: Graph, x: Value, block: number): Value {
  const [n, c, h, w] = x.shape;
  const down = (d: number | string) => (typeof d === "number" ? d / block : `${d}/${block}`);
  return g.addNode("SpaceToDepth", [x], { blocksize: int(block) }, [
    { dtype: x.dtype, shape: [n, (c as number) * block * block, down(h), down(w)] },
  ])[0];
}

export const def: OpDef = {
  key: "SpaceToDepth",
  type: "SpaceToDepth",
  emit: (g, [x], o) => [spaceToDepth(g, x, o.block)],
  cases: [{
    name: "inverse of DepthToSpace DCR",
    inputs: [f32([1, 2, 2, 2], [0, 2, 4, 6, 1, 3, 5, 7])],
    options: { block: 2 },
    expected: [f32([1, 8, 1, 1], [0, 1, 2, 3, 4, 5, 6, 7])],
  }],
  vjp: (g, ctx, [dy]) => [depthToSpace(g, dy!, intAttr(ctx, "blocksize", 1))],
  gradCases: [{ name: "block 2", inputs: [rnd([1, 2, 4, 2], 1)], options: { block: 2 } }],
};
