import { ok } from "node:assert";
import { Graph } from "../graph/graph.ts";
import { fixtureInputs, reference, runWithFixtureWeights } from "./_perceptual_fixture.ts";
import { convnextLogitsLoss } from "./convnext_logits.ts";

Deno.test("convnext_logits: the MSE of ConvNeXt-S logits (64 px resized to 224, antialiased) matches PyTorch", async () => {
  const { combined_real: real, combined_fake: fake } = fixtureInputs();
  const g = new Graph("convnext_loss");
  const r = g.input("real", "float32", real.shape);
  const f = g.input("fake", "float32", fake.shape);
  g.output(g.scope("perceptual", () => convnextLogitsLoss(g, r, f)), "loss");
  const { loss } = await runWithFixtureWeights(g, { real, fake });
  const want = reference("combined_losses").data[1];
  const got = Number(loss.data[0]);
  ok(Math.abs(got - want) <= 1e-5 * want, `ConvNeXt MSE ${got}, PyTorch ${want}`);
});
