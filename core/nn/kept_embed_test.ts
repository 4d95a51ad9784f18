/** Kept/masked embeddings and dropped codes, by hand, with the gradient reaching both embeddings. */
import { deepStrictEqual, ok } from "node:assert";
import { Graph } from "../graph/graph.ts";
import { f32, rnd, t } from "../ops/mod.ts";
import { gradCheck } from "../autodiff/gradcheck.ts";
import { runGraph } from "../quantizers/_testutil.ts";
import { paramsFrom } from "./dense.ts";
import { addKeptEmbedding, dropMasked } from "./kept_embed.ts";

Deno.test("kept_embed: kept positions get is_kept_embed, the others is_masked_embed; dropped codes are 0", async () => {
  // x = 0 except 1s, kept = (1, 1, 0): rows 0–1 add (10, 20), row 2 adds (−1, −2); codes of row 2 become 0.
  const out = await runGraph(
    (g) => {
      const kept = g.input("kept", "bool", [1, 3]);
      const x = g.input("x", "float32", [1, 3, 2]);
      return { y: g.scope("encoder", () => addKeptEmbedding(g, x, kept, 2)), z: dropMasked(g, x, kept) };
    },
    { kept: t("bool", [1, 3], [1, 1, 0]), x: f32([1, 3, 2], [1, 1, 0, 0, 5, 6]) },
    new Map([
      ["encoder.is_kept_embed", f32([1, 2], [10, 20])],
      ["encoder.is_masked_embed", f32([1, 2], [-1, -2])],
    ]),
  );
  deepStrictEqual([...out.y.data], [11, 21, 10, 20, 4, 4]);
  deepStrictEqual([...out.z.data], [1, 1, 0, 0, 0, 0]);
});

Deno.test("kept_embed: gradients of x and both embeddings pass the central-difference check", async () => {
  const def = {
    key: "KeptEmbedding",
    type: "KeptEmbedding",
    emit: (g: Graph, [x, kept, a, b]: never[]) => [
      dropMasked(
        g,
        addKeptEmbedding(g, x, kept, 3, { param: paramsFrom(g, { is_kept_embed: a, is_masked_embed: b }) }),
        kept,
      ),
    ],
    cases: [],
    vjp: null,
    gradCases: [],
  };
  const kept = t("bool", [2, 4], [1, 1, 0, 0, 1, 0, 1, 0]);
  const r = await gradCheck(def, {
    name: "B2 L4",
    inputs: [rnd([2, 4, 3], 1), kept, rnd([1, 3], 2), rnd([1, 3], 3)],
  });
  ok(r.relativeError < (r.dtype === "float64" ? 1e-6 : 2e-2), JSON.stringify(r));
});
