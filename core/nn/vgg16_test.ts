import { deepStrictEqual, ok } from "node:assert";
import { Graph } from "../graph/graph.ts";
import {
  fixtureInputs,
  maxAbsDiff,
  reference,
  runWithFixtureWeights,
  torchvisionKeys,
} from "../losses/_perceptual_fixture.ts";
import { vgg16Features } from "./vgg16.ts";

const TAPS = ["relu1_2", "relu2_2", "relu3_3", "relu4_3", "relu5_3"] as const;

function build(prefix: string) {
  const g = new Graph("vgg16");
  const x = g.input("x", "float32", [2, 3, 16, 16]);
  const taps = g.scope(prefix, () => vgg16Features(g, x));
  for (const k of TAPS) g.output(taps[k], k);
  return g;
}

Deno.test("vgg16: declares torchvision's `features` keys and shapes (classifier aside)", () => {
  const g = build("net");
  const want = [...torchvisionKeys("vgg16")].filter(([k]) => k.startsWith("features."));
  deepStrictEqual(want.length, 26);
  deepStrictEqual(
    [...g.params.values()].map((p) => [p.name, p.shape]),
    want.map(([k, s]) => [`net.${k}`, s]),
  );
});

Deno.test("vgg16: the five taps match torchvision's vgg16().features on seeded weights", async () => {
  const g = build("perceptual.lpips.net");
  const out = await runWithFixtureWeights(g, { x: fixtureInputs().vgg_image });
  for (const k of TAPS) {
    const want = reference(`vgg_${k}`);
    const scale = Math.max(...[...want.data].map(Math.abs));
    const d = maxAbsDiff(out[k], want);
    ok(d <= 1e-5 * scale, `${k}: max |Δ| ${d} (max |value| ${scale})`);
  }
});
