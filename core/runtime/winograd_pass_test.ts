/**
 * The Winograd rewrite replaces exactly the 3×3, stride-1, pad-1, ungrouped
 * convs with initializer weights that the rule accepts, leaves the caller's
 * graph as built, and a session with it on computes what one with it off does.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert";
import { Graph } from "../graph/graph.ts";
import { conv, rnd } from "../ops/mod.ts";
import { randomWeights } from "../init.ts";
import { absErrors } from "../nn/_parity.ts";
import { Session } from "./session.ts";
import { winogradRewrite } from "./winograd_pass.ts";
import { winogradFilter } from "../nn/winograd.ts";

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

Deno.test("winograd pass, loaded weights: the conv reads a host-made U (36, O, C); its 3×3 weight leaves the graph", () => {
  const g = graph();
  const weights = randomWeights(g.params.values(), 3, "fanin");
  weights.delete("fed.weight");
  const { graph: view, weights: filters } = winogradRewrite(g, weights, {
    minChannels: 128,
    minPixels: 64,
  });
  deepStrictEqual([...filters.keys()], ["wide.weight.winograd_u"]);
  deepStrictEqual(filters.get("wide.weight.winograd_u")!.shape, [36, 128, 128]);
  ok(!view.params.has("wide.weight"), "ORT is not given the 3×3 weight");
  ok(
    view.params.has("wide.weight.winograd_u") && view.params.has("wide.bias") &&
      view.params.has("fed.weight"),
  );
  ok(
    g.params.has("wide.weight") && !g.params.has("wide.weight.winograd_u"),
    "the caller's graph is unchanged",
  );
  ok(view.nodes.some((n) => n.op === "MatMul" && n.inputs[0] === "wide.weight.winograd_u"));
});

Deno.test("winogradFilter: G g Gᵀ per filter, laid out (36, O, C) with ξ = 6a + b", () => {
  // A filter with a single 1 at (r, s) transforms to the outer product of G's columns r and s.
  const G = [[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6], [1 / 24, 1 / 12, 1 / 6], [
    1 / 24,
    -1 / 12,
    1 / 6,
  ], [0, 0, 1]];
  const o = 2, c = 3, w = new Float32Array(o * c * 9);
  w[(1 * c + 2) * 9 + 0 * 3 + 1] = 1; // filter (o 1, c 2), tap (0, 1)
  const u = winogradFilter(w, o, c);
  for (let a = 0; a < 6; a++) {
    for (let b = 0; b < 6; b++) {
      for (let oc = 0; oc < o * c; oc++) {
        const want = oc === 1 * c + 2 ? Math.fround(G[a][0] * G[b][1]) : 0;
        strictEqual(u[(a * 6 + b) * o * c + oc] + 0, want + 0, `ξ ${a * 6 + b}, filter ${oc}`); // -0 is 0
      }
    }
  }
});
