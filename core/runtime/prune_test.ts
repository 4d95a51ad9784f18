/**
 * Dead-node elimination: nodes no output depends on are dropped (with the
 * constants only they read), live ones keep their order, and the pruned view
 * runs to the same outputs.
 */
import { deepStrictEqual, ok } from "node:assert";
import { Graph } from "../graph/graph.ts";
import { add, exp, f32, mul } from "../ops/mod.ts";
import { Session } from "./session.ts";
import { liveNodes, pruned } from "./prune.ts";

function demo() {
  const g = new Graph("prune");
  const x = g.input("x", "float32", [2]);
  const dead = exp(g, mul(g, x, g.constant(f32([], [3]), "only_dead")));
  const y = add(g, mul(g, x, x), g.constant(f32([], [1]), "live"));
  g.output(y, "y");
  return { g, dead };
}

Deno.test("liveNodes: drops the nodes no output needs, keeps the rest in order", () => {
  const { g, dead } = demo();
  deepStrictEqual(g.nodes.map((n) => n.op), ["Mul", "Exp", "Mul", "Add"]);
  const live = liveNodes(g);
  deepStrictEqual(live.map((n) => n.op), ["Mul", "Add"]);
  ok(!live.some((n) => n.outputs.includes(dead.name)));
  const view = pruned(g);
  deepStrictEqual(view.nodes.map((n) => n.op), ["Mul", "Add"]);
  deepStrictEqual([...view.constants.keys()].map((k) => k.replace(/_\d+$/, "")), ["live"]);
  deepStrictEqual(view.outputs, g.outputs);
  ok(g.nodes.length === 4, "the graph itself is not changed");
});

Deno.test("pruned: a graph without dead nodes is returned as is; the pruned view runs", async () => {
  const { g } = demo();
  const clean = new Graph("clean");
  clean.output(mul(clean, clean.input("a", "float32", [1]), clean.input("b", "float32", [1])), "c");
  ok(pruned(clean) === clean);
  const s = await Session.create(g, new Map());
  const r = await s.run({ x: f32([2], [2, -3]) });
  await s.release();
  deepStrictEqual([...r.y.data], [5, 10]);
});
