import { deepStrictEqual, ok } from "node:assert";
import { gradients } from "../autodiff/grad.ts";
import { Graph } from "../graph/graph.ts";
import { reduceMean } from "../ops/mod.ts";
import {
  fixtureInputs,
  maxAbsDiff,
  reference,
  relativeL2,
  runWithFixtureWeights,
} from "./_perceptual_fixture.ts";
import { lpipsDistance, type LpipsOptions } from "./lpips.ts";

function build(o: LpipsOptions = {}) {
  const g = new Graph("lpips");
  const real = g.input("real", "float32", [2, 3, 32, 32]);
  const fake = g.input("fake", "float32", [2, 3, 32, 32]);
  const d = g.scope("perceptual.lpips", () => lpipsDistance(g, real, fake, o));
  const mean = reduceMean(g, d, [0, 1, 2, 3], false);
  g.output(gradients(g, mean, ["fake"]).get("fake")!, "grad");
  g.output(d, "distance");
  return g;
}

Deno.test("lpips: heads are named as the LPIPS vgg.pth keys, one (1, C, 1, 1) kernel per tap", () => {
  const heads = [...build().params.values()].filter((p) => p.name.includes(".lin"));
  deepStrictEqual(
    heads.map((p) => [p.name, p.shape]),
    [64, 128, 256, 512, 512].map((c, k) => [
      `perceptual.lpips.lin${k}.model.1.weight`,
      [1, c, 1, 1],
    ]),
  );
});

Deno.test("lpips: per-sample distance and its gradient match a PyTorch LPIPS (upstream semantics) on seeded weights", async () => {
  const { lpips_real: real, lpips_fake: fake } = fixtureInputs();
  const out = await runWithFixtureWeights(build(), { real, fake });
  const want = reference("lpips_distance");
  deepStrictEqual(out.distance.shape, [2, 1, 1, 1]);
  const d = maxAbsDiff({ ...out.distance, shape: [2] }, want);
  ok(d < 1e-6, `distance max |Δ| ${d} (values ${[...want.data]})`);
  const r = relativeL2(out.grad, reference("lpips_grad"));
  ok(r < 1e-4, `gradient relative L2 ${r}`);
});

Deno.test("lpips: rescale false feeds the images unmapped — the distance of v equals the default's of (v + 1)/2", async () => {
  const { lpips_real: real, lpips_fake: fake } = fixtureInputs();
  const signed = (t: typeof real) => ({ ...t, data: (t.data as Float32Array).map((v) => 2 * v - 1) });
  const mapped = await runWithFixtureWeights(build(), { real, fake });
  const raw = await runWithFixtureWeights(build({ rescale: false }), {
    real: signed(real),
    fake: signed(fake),
  });
  const d = maxAbsDiff(raw.distance, mapped.distance);
  ok(d < 1e-6, `distance max |Δ| ${d}`);
  // Upstream's [0, 1] input seen unmapped is another distance altogether.
  const unmapped = await runWithFixtureWeights(build({ rescale: false }), { real, fake });
  ok(maxAbsDiff(unmapped.distance, mapped.distance) > 1e-3);
});
