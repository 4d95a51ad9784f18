/**
 * The Winograd rewrite replaces exactly the 3×3, stride-1, pad-1, ungrouped
 * convs with initializer weights that the rule accepts, leaves the caller's
 * graph as built, and a session with it on computes what one with it off does.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert";
import { Graph } from "../graph/graph.ts";
import { conv, reduceSum, rnd } from "../ops/mod.ts";
import { randomWeights } from "../init.ts";
import { absErrors } from "../nn/_parity.ts";
import { Session } from "./session.ts";
import { winogradRewrite } from "./winograd_pass.ts";

/** Five convs on a 128-channel input; only `wide` qualifies (weight `fed` is not an initializer). */
function graph(): Graph {
  const g = new Graph("convs");
  const x = g.input("x", "float32", ["batch", 128, 8, 8]);
  const p = (name: string, shape: number[]) => g.scope(name, () => g.param("weight", shape));
  const wide = conv(g, x, p("wide", [128, 128, 3, 3]), g.scope("wide", () => g.param("bias", [128])), {
    pads: [1, 1, 1, 1],
  });
  const narrow = conv(g, x, p("narrow", [64, 128, 3, 3]), undefined, { pads: [1, 1, 1, 1] });
  const strided = conv(g, x, p("strided", [128, 128, 3, 3]), undefined, {
    pads: [1, 1, 1, 1],
    strides: [2, 2],
  });
  const grouped = conv(g, x, p("grouped", [128, 64, 3, 3]), undefined, { pads: [1, 1, 1, 1], group: 2 });
  const fed = conv(g, x, p("fed", [128, 128, 3, 3]), undefined, { pads: [1, 1, 1, 1] });
  for (const [name, v] of Object.entries({ wide, narrow, strided, grouped, fed })) g.output(v, name);
  return g;
}

Deno.test("winograd pass: rewrites only the wide 3×3 stride-1 conv with an initializer weight", () => {
  const g = graph();
  const weights = randomWeights(g.params.values(), 3, "fanin");
  weights.delete("fed.weight"); // fed at run time, as a train step's weights are
  const before = g.nodes.map((n) => n.op).join();
  const view = winogradRewrite(g, weights, { minChannels: 128, minPixels: 64 }).graph;
  deepStrictEqual(g.nodes.map((n) => n.op).join(), before, "the caller's graph is unchanged");
  const convs = (gr: Graph) => gr.nodes.filter((n) => n.op === "Conv").map((n) => n.inputs[1]);
  ok(!convs(view).includes("wide.weight"), "the wide conv is rewritten");
  for (const name of ["narrow", "strided", "grouped", "fed"]) {
    ok(convs(view).includes(`${name}.weight`), name);
  }
  ok(
    view.nodes.some((n) => n.op === "Add" && n.outputs[0] === "wide"),
    "the bias Add writes the output name",
  );
  deepStrictEqual(winogradRewrite(g, new Map()).graph, g, "nothing eligible: the graph itself");
  deepStrictEqual(winogradRewrite(g, weights).graph, g, "the default rule skips an 8×8 image");
});

Deno.test("winograd pass: a session with it on matches one with it off (symbolic batch)", async () => {
  const g = graph();
  const weights = randomWeights(g.params.values(), 3, "fanin");
  weights.delete("fed.weight");
  const feeds = { x: rnd([2, 128, 8, 8], 4), "fed.weight": rnd([128, 128, 3, 3], 5) };
  const run = async (winograd: boolean) => {
    const s = await Session.create(g, weights, {
      threads: 1,
      winograd: winograd && { minChannels: 128, minPixels: 64 },
    });
    try {
      return await s.run(feeds);
    } finally {
      await s.release();
    }
  };
  const [off, on] = [await run(false), await run(true)];
  for (const name of Object.keys(off)) {
    const { max } = absErrors(on[name], off[name], name);
    ok(max < (name === "wide" ? 1e-3 : 1e-6), `${name}: max |Δ| ${max}`);
  }
});

Deno.test("winograd pass, loaded weights: the conv reads its 3×3 weight as stored, kept from folding", () => {
  const g = graph();
  const weights = randomWeights(g.params.values(), 3, "fanin");
  weights.delete("fed.weight");
  const { graph: view, unfolded } = winogradRewrite(g, weights, { minChannels: 128, minPixels: 64 });
  deepStrictEqual([...unfolded], ["wide.weight"], "ORT may not fold U from it");
  deepStrictEqual([...view.params.keys()], [...g.params.keys()], "no parameter added or dropped");
  const reads = view.nodes.filter((n) => n.inputs.includes("wide.weight"));
  deepStrictEqual(reads.map((n) => n.op), ["Reshape"], "one Reshape feeds the filter-transform Gemm");
  ok(view.nodes.some((n) => n.op === "Gemm" && n.inputs[1] === reads[0].outputs[0]));
  ok(
    g.nodes.some((n) => n.op === "Conv" && n.inputs[1] === "wide.weight"),
    "the caller's graph is unchanged",
  );
});

Deno.test("winograd pass: a tile tensor over stripBytes per item runs in strips", () => {
  const g = graph();
  const weights = randomWeights(g.params.values(), 3, "fanin");
  // 8×8 input, 128 channels: 36 · 128 · 4 tiles · 4 B = 73,728 B per item → 3 strips at 30,000 (2 tile rows: 2).
  const slices = (stripBytes?: number) =>
    winogradRewrite(g, weights, { minChannels: 128, minPixels: 64, stripBytes }).graph.nodes.filter((n) =>
      n.op === "Slice"
    ).length;
  strictEqual(slices(), 0);
  strictEqual(slices(73_728), 0, "exactly the budget: one band");
  strictEqual(slices(30_000), 2 * 2, "two bands (clamped to the 2 tile rows), for wide and fed");
});

Deno.test("winograd pass: a weight another kind of node reads too (a backward, say) stays with the direct conv", () => {
  const g = graph();
  g.output(reduceSum(g, g.values.get("wide.weight")!, [0, 1, 2, 3], false), "weightSum");
  const weights = randomWeights(g.params.values(), 3, "fanin");
  const { graph: view, unfolded } = winogradRewrite(g, weights, { minChannels: 128, minPixels: 64 });
  deepStrictEqual([...unfolded], ["fed.weight"], "only the conv whose weight nothing else reads");
  ok(view.nodes.some((n) => n.op === "Conv" && n.inputs[1] === "wide.weight"));
});
