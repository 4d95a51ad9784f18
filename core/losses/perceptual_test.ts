import { deepStrictEqual, ok, throws } from "node:assert";
import { gradients } from "../autodiff/grad.ts";
import { UsageError } from "../errors.ts";
import { Graph } from "../graph/graph.ts";
import { fixtureInputs, reference, relativeL2, runWithFixtureWeights } from "./_perceptual_fixture.ts";
import { parsePerceptualSpec, perceptualLoss } from "./perceptual.ts";

Deno.test("perceptual: upstream's model strings parse; anything else is a UsageError naming the value", () => {
  deepStrictEqual(parsePerceptualSpec("lpips"), { lpips: 1 });
  deepStrictEqual(parsePerceptualSpec("convnext_s"), { convnext: 1 });
  deepStrictEqual(parsePerceptualSpec("lpips-convnext_s-1.0-0.1"), { lpips: 1, convnext: 0.1 });
  deepStrictEqual(parsePerceptualSpec("lpips-convnext_s-2-1e-1"), { lpips: 2, convnext: 0.1 });
  for (
    const bad of [
      "vgg",
      "lpips-convnext_s",
      "lpips-convnext_s-1.0",
      "lpips-convnext_s-a-b",
      "lpips-convnext_s-0-0",
    ]
  ) {
    throws(
      () => parsePerceptualSpec(bad),
      (e: Error) =>
        e instanceof UsageError && e.message.includes(JSON.stringify(bad)) && e.message.includes('"lpips"'),
      bad,
    );
  }
});

function build(spec: string, shape: number[]) {
  const g = new Graph("perceptual");
  const real = g.input("real", "float32", shape);
  const fake = g.input("fake", "float32", shape);
  const loss = perceptualLoss(g, real, fake, spec);
  return { g, loss };
}

Deno.test("perceptual: parameters live under perceptual.; the real image gets no gradient", () => {
  const { g, loss } = build("lpips-convnext_s-1.0-0.1", [1, 3, 32, 32]);
  deepStrictEqual(loss.shape, []);
  ok(
    [...g.params.keys()].every((k) =>
      k.startsWith("perceptual.lpips.") || k.startsWith("perceptual.convnext.")
    ),
  );
  deepStrictEqual(g.params.size, 26 + 5 + 344);
  const grads = gradients(g, loss, ["real", "fake"]);
  deepStrictEqual([...grads.keys()], ["fake"]);
});

Deno.test("perceptual: lpips-convnext_s-1.0-0.1 and its gradient in the reconstruction match PyTorch (64 px)", async () => {
  const { combined_real: real, combined_fake: fake } = fixtureInputs();
  const { g, loss } = build("lpips-convnext_s-1.0-0.1", real.shape);
  g.output(gradients(g, loss, ["fake"]).get("fake")!, "grad");
  g.output(loss, "loss");
  const out = await runWithFixtureWeights(g, { real, fake });
  const want = reference("combined_losses").data[2];
  const got = Number(out.loss.data[0]);
  ok(Math.abs(got - want) <= 1e-5 * want, `loss ${got}, PyTorch ${want}`);
  const r = relativeL2(out.grad, reference("combined_grad"));
  ok(r <= 1e-4, `gradient relative L2 ${r}`);
});

Deno.test("perceptual: lpips alone is the batch mean of the LPIPS distances", async () => {
  const { lpips_real: real, lpips_fake: fake } = fixtureInputs();
  const { g, loss } = build("lpips", real.shape);
  g.output(loss, "loss");
  const out = await runWithFixtureWeights(g, { real, fake });
  const d = reference("lpips_distance").data;
  const want = (d[0] + d[1]) / 2;
  ok(Math.abs(Number(out.loss.data[0]) - want) < 1e-6, `${out.loss.data[0]} vs ${want}`);
});
