/**
 * ONNX `DepthToSpace` in DCR mode: channel (p1·b + p2)·C + c moves to pixel
 * (h·b + p1, w·b + p2) of channel c — einops `b (p1 p2 c) h w -> b c (h p1) (w p2)`,
 * TiTok's direct pixel head.
 * @module
 */
import { type Graph, int, str, type Value } from "../graph/graph.ts";
import { f32, type OpDef, rnd } from "./op.ts";
import { spaceToDepth } from "./space_to_depth.ts";
import { intAttr } from "./_grad/rule.ts";

/** Rearranges blocks of channels into b×b spatial blocks. */
export function depthToSpace(g: Graph, x: Value, block: number): Value {
  const [n, c, h, w] = x.shape;
  if (typeof c !== "number" || c % (block * block)) {
    throw new Error(`DepthToSpace: ${c} channels, block ${block}`);
  }
  const up = (d: number | string) => (typeof d === "number" ? d * block : `${d}*${block}`);
  return g.addNode("DepthToSpace", [x], { blocksize: int(block), mode: str("DCR") }, [
    { dtype: x.dtype, shape: [n, c / (block * block), up(h), up(w)] },
  ])[0];
}

export const def: OpDef = {
  key: "DepthToSpace",
  type: "DepthToSpace",
  emit: (g, [x], o) => [depthToSpace(g, x, o.block)],
  cases: [{
    // 8 channels = (p1 p2 c) with c = 2: channel index (p1*2+p2)*2 + c.
    name: "block 2, 2 colours",
    inputs: [f32([1, 8, 1, 1], [0, 1, 2, 3, 4, 5, 6, 7])],
    options: { block: 2 },
    expected: [f32([1, 2, 2, 2], [0, 2, 4, 6, 1, 3, 5, 7])],
  }],
  vjp: (g, ctx, [dy]) => [spaceToDepth(g, dy!, intAttr(ctx, "blocksize", 1))],
  gradCases: [{ name: "block 2", inputs: [rnd([1, 8, 2, 1], 1)], options: { block: 2 } }],
};
