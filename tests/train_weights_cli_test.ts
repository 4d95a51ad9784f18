/**
 * `tok1d train --weights`: files layer in order (later ones win), `file@prefix`
 * takes only keys with that prefix, and a file with mis-shaped keys or none of
 * the model's parameters is refused (exit 2) instead of leaving the model at
 * its random initialisation.
 */
import { deepStrictEqual, ok } from "node:assert";
import { join } from "node:path";
import { resolveModel } from "../core/resolve.ts";
import { buildGraphs } from "../core/tokenizer.ts";
import type { Tensor } from "../core/tensor.ts";
import { readSafetensors, writeSafetensors } from "../core/weights/safetensors.ts";
import { run, tmp } from "../cli/_test_run.ts";

const PHOTOS = new URL("./testdata/photos", import.meta.url).pathname;
const train = (out: string, weights: string[]) => [
  ...[
    "train",
    "--model",
    "titok/tiny_vq",
    "--data",
    PHOTOS,
    "--out",
    out,
    "--steps",
    "1",
    "--batch-size",
    "2",
  ],
  ...["--lr", "0", "--end-lr", "0", "--warmup", "0", "--checkpoint-every", "1", "--threads", "1"],
  ...["--no-perceptual", "--no-gan", "--json"],
  ...weights.flatMap((w) => ["--weights", w]),
];

/** Every tiny_vq inference parameter, filled with `value`. */
function filled(value: number, shapeOf = (s: number[]) => s): Map<string, Tensor> {
  const { config, plugin } = resolveModel("titok/tiny_vq");
  const g = buildGraphs(plugin, config);
  const out = new Map<string, Tensor>();
  for (const x of [g.encoder, g.decoder]) {
    for (const p of x.params.values()) {
      const shape = shapeOf(p.shape as number[]);
      out.set(p.name, {
        dtype: "float32",
        shape,
        data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(value),
      });
    }
  }
  return out;
}

Deno.test("cli train --weights: later files win, file@prefix takes only those keys", async () => {
  const dir = tmp();
  const ones = join(dir, "ones.safetensors"), twos = join(dir, "twos.safetensors");
  writeSafetensors(ones, filled(1));
  writeSafetensors(twos, filled(2));
  const out = tmp();
  deepStrictEqual((await run(train(out, [ones, `${twos}@decoder.`]))).code, 0);
  // lr 0: the parameters after one step are the loaded ones, exactly.
  const params = [...readSafetensors(join(out, "checkpoint.safetensors")).tensors].filter(([k]) =>
    k.startsWith("param.")
  );
  ok(
    params.some(([k]) => k.startsWith("param.decoder.")) &&
      params.some(([k]) => k.startsWith("param.encoder.")),
  );
  for (const [k, t] of params) {
    const want = k.startsWith("param.decoder.") ? 2 : 1;
    ok((t.data as Float32Array).every((v) => v === want), `${k} = ${want}`);
  }
});

Deno.test("cli train --weights: mis-shaped keys, foreign files and missing files are refused naming them", async () => {
  const dir = tmp();
  const wrong = join(dir, "wrong_shapes.safetensors");
  writeSafetensors(wrong, filled(1, (s) => [...s, 1]));
  const shaped = await run(train(tmp(), [wrong]));
  deepStrictEqual(shaped.code, 2);
  ok(
    /--weights .*wrong_shapes\.safetensors: \S+ has shape \[.*\], the model's is \[/.test(shaped.err),
    shaped.err,
  );
  const foreign = join(dir, "foreign.safetensors");
  writeSafetensors(
    foreign,
    new Map([[
      "vgg.features.0.weight",
      { dtype: "float32", shape: [1], data: Float32Array.of(0) } as Tensor,
    ]]),
  );
  const none = await run(train(tmp(), [foreign]));
  deepStrictEqual(none.code, 2);
  ok(
    /none of its 1 tensors is a parameter of this model \(e\.g\. 'vgg\.features\.0\.weight'/.test(none.err),
    none.err,
  );
  const filter = await run(train(tmp(), [`${wrong}@nothing.`]));
  deepStrictEqual(filter.code, 2);
  ok(/with prefix nothing\./.test(filter.err), filter.err);
  const missing = await run(train(tmp(), [join(dir, "absent.bin")]));
  deepStrictEqual(missing.code, 2);
  ok(/--weights: .*absent\.bin not found/.test(missing.err), missing.err);
});
