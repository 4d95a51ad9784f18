/**
 * reshapeLike: back to a value's shape also when that shape has a symbol
 * where the reshaped value has a flattened `B*T` (the rule Reshape's
 * gradient uses for the rows core/nn/linear.ts flattens).
 */
import { deepStrictEqual } from "node:assert";
import { Graph } from "../graph/graph.ts";
import { Session } from "../runtime/session.ts";
import { i64const, rnd } from "./mod.ts";
import { reshapeLike } from "./reshape.ts";

Deno.test("reshapeLike: [B*T, 4] back to [B, T, 4] reads the target shape at run time", async () => {
  const g = new Graph("like");
  const x = g.input("x", "float32", ["B", "T", 4]);
  const flat =
    g.addNode("Reshape", [x, i64const(g, [-1, 4])], {}, [{ dtype: "float32", shape: ["B*T", 4] }])[0];
  const back = reshapeLike(g, flat, x);
  deepStrictEqual(back.shape, ["B", "T", 4]);
  deepStrictEqual(g.nodes.map((n) => n.op), ["Reshape", "Shape", "Reshape"]);
  g.output(back, "y");
  const s = await Session.create(g, new Map(), { threads: 1 });
  const xt = rnd([2, 3, 4], 1);
  const { y } = await s.run({ x: xt });
  await s.release();
  deepStrictEqual([y.shape, [...y.data]], [[2, 3, 4], [...xt.data]]);
});

Deno.test("reshapeLike: a symbol at the same position stays a static Reshape", () => {
  const g = new Graph("static");
  const x = g.input("x", "float32", ["B", 6]);
  const y = g.input("y", "float32", ["B", 2, 3]);
  deepStrictEqual(reshapeLike(g, x, y).shape, ["B", 2, 3]);
  deepStrictEqual(g.nodes.map((n) => n.op), ["Reshape"]);
});
