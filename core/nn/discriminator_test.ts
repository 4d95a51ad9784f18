/**
 * NLayerDiscriminator against upstream's PyTorch module (float64) on the
 * seeded cases of _discriminator_fixture.ts: logits, the input gradient and
 * every parameter gradient of Σ logits·cotangent; upstream's state-dict keys
 * and shapes for the default size.
 */
import { deepStrictEqual, ok, throws } from "node:assert";
import { gradients } from "../autodiff/grad.ts";
import { Graph } from "../graph/graph.ts";
import { mul, reduceSum } from "../ops/mod.ts";
import { Session } from "../runtime/mod.ts";
import { readSafetensors } from "../weights/safetensors.ts";
import { discriminatorCases } from "./_discriminator_fixture.ts";
import { discriminator, discriminatorWeights, NLAYER_DEFAULTS } from "./discriminator.ts";

const FIXTURE = readSafetensors(
  new URL("../../tests/testdata/gan/discriminator.safetensors", import.meta.url).pathname,
);

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0, norm = 0;
  for (let i = 0; i < b.length; i++) {
    diff += (a[i] - b[i]) ** 2;
    norm += b[i] ** 2;
  }
  return Math.sqrt(diff / Math.max(norm, 1e-30));
}

for (const c of discriminatorCases()) {
  Deno.test(`discriminator (${c.name}): logits and gradients match upstream PyTorch`, async () => {
    const g = new Graph(`d_${c.name}`);
    const image = g.input("image", "float32", c.image.shape);
    const cot = g.input("cotangent", "float32", c.cotangent.shape);
    const logits = discriminator(g, image, c.options);
    const loss = reduceSum(g, mul(g, logits, cot), [0, 1, 2, 3], false);
    const names = ["image", ...g.params.keys()];
    const grads = gradients(g, loss, names);
    g.output(logits, "logits");
    for (const n of names) g.output(grads.get(n)!, `grad.${n}`);
    const s = await Session.create(g, c.weights, { threads: 1 });
    const r = await s.run({ image: c.image, cotangent: c.cotangent });
    await s.release();
    const want = (k: string) => FIXTURE.tensors.get(`${c.name}/${k}`)!;
    deepStrictEqual(r.logits.shape, want("logits").shape);
    const e = relErr(r.logits.data as Float32Array, want("logits").data as Float32Array);
    ok(e < 1e-5, `logits: relative error ${e}`);
    deepStrictEqual(
      names.map((n) => `grad.${n}`).sort(),
      [...FIXTURE.tensors.keys()].filter((k) => k.startsWith(`${c.name}/grad.`)).map((k) =>
        k.slice(c.name.length + 1)
      )
        .sort(),
    );
    for (const n of names) {
      const err = relErr(r[`grad.${n}`].data as Float32Array, want(`grad.${n}`).data as Float32Array);
      ok(err < 1e-4, `${n}: relative gradient error ${err}`);
    }
  });
}

Deno.test("discriminator: the default size has upstream's state-dict keys and shapes (blur buffers aside)", () => {
  const g = new Graph("d");
  const logits = discriminator(g, g.input("image", "float32", [1, 3, 256, 256]));
  deepStrictEqual(logits.shape, [1, 1, 16, 16]);
  const upstream = JSON.parse(FIXTURE.metadata.default_state_dict) as Record<string, number[]>;
  const buffers = Object.keys(upstream).filter((k) => k.endsWith(".kernel"));
  deepStrictEqual(buffers.length, NLAYER_DEFAULTS.numStages);
  for (const k of buffers) delete upstream[k];
  deepStrictEqual(Object.fromEntries([...g.params.values()].map((p) => [p.name, p.shape])), upstream);
  const count = [...g.params.values()].reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0);
  deepStrictEqual(String(count), FIXTURE.metadata.default_parameters);
  // 64-px images give 8×8 features, repeated to the 16×16 logit map.
  const small = new Graph("d64");
  deepStrictEqual(discriminator(small, small.input("image", "float32", [2, 3, 64, 64])).shape, [
    2,
    1,
    16,
    16,
  ]);
});

Deno.test("discriminator: a feature map the 16×16 pool cannot tile is refused", () => {
  const g = new Graph("d");
  throws(
    () => discriminator(g, g.input("image", "float32", [1, 3, 96, 96])),
    /12×12 feature map cannot be pooled/,
  );
});

Deno.test("discriminator: torch's default init — conv U(±1/√fan_in), GroupNorm 1/0", () => {
  const g = new Graph("d");
  discriminator(g, g.input("image", "float32", [1, 3, 32, 32]), {
    hiddenChannels: 32,
    numStages: 1,
    poolSize: 16,
  });
  const w = discriminatorWeights(g.params.values(), 1);
  const conv = w.get("discriminator.blocks.0.0.weight")!.data as Float32Array;
  const bound = 1 / Math.sqrt(32 * 9);
  ok(conv.every((v) => Math.abs(v) <= bound) && Math.max(...conv.map(Math.abs)) > 0.95 * bound);
  ok((w.get("discriminator.blocks.0.2.weight")!.data as Float32Array).every((v) => v === 1));
  ok((w.get("discriminator.blocks.0.2.bias")!.data as Float32Array).every((v) => v === 0));
});
