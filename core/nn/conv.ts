/**
 * Conv2d layers with torch naming (`weight` (out, in, k, k), `bias`).
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { conv } from "../ops/mod.ts";

/** Options of {@link conv2d}: stride and symmetric padding ("same" = TF SAME at stride 1). */
export interface Conv2dOptions {
  stride?: number;
  padding?: number | "same";
  bias?: boolean;
}

/**
 * torch.nn.Conv2d(inC, outC, k). `padding: "same"` pads (k-1)/2 on each
 * side, which is exactly TF's SAME padding for the odd kernels at stride 1
 * that MaskGIT's `Conv2dSame` uses.
 */
export function conv2d(
  g: Graph,
  x: Value,
  inC: number,
  outC: number,
  k: number,
  o: Conv2dOptions = {},
): Value {
  const w = g.param("weight", [outC, inC, k, k]);
  const b = o.bias === false ? undefined : g.param("bias", [outC]);
  const p = o.padding === "same" ? (k - 1) / 2 : o.padding ?? 0;
  const s = o.stride ?? 1;
  return conv(g, x, w, b, { strides: [s, s], pads: [p, p, p, p] });
}
