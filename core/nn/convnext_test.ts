import { deepStrictEqual, ok } from "node:assert";
import { Graph } from "../graph/graph.ts";
import {
  fixtureInputs,
  maxAbsDiff,
  reference,
  runWithFixtureWeights,
  torchvisionKeys,
} from "../losses/_perceptual_fixture.ts";
import { convnext, CONVNEXT_SMALL } from "./convnext.ts";

Deno.test("convnext: convnext_small declares torchvision's 344 keys and shapes, 50.2 M parameters", () => {
  const g = new Graph("convnext");
  convnext(g, g.input("x", "float32", [1, 3, 64, 64]), CONVNEXT_SMALL);
  const got = [...g.params.values()].map((p) => [p.name, p.shape]);
  deepStrictEqual(got, [...torchvisionKeys("convnext_small")]);
  deepStrictEqual(
    [...g.params.values()].reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0),
    50223688,
  );
});

Deno.test("convnext: ConvNeXt-S logits match torchvision's convnext_small (eval) on seeded weights", async () => {
  const g = new Graph("convnext");
  const x = g.input("x", "float32", [2, 3, 64, 64]);
  g.output(g.scope("perceptual.convnext", () => convnext(g, x, CONVNEXT_SMALL)), "logits");
  const { logits } = await runWithFixtureWeights(g, { x: fixtureInputs().convnext_image });
  const want = reference("convnext_logits");
  const d = maxAbsDiff(logits, want);
  ok(d < 2e-5, `max |Δ| ${d} over logits of std ~1`);
});
