import { deepStrictEqual, ok } from "node:assert";
import { listPresets } from "../core/resolve.ts";
import { run, tmp } from "./_test_run.ts";

Deno.test("list: default first, each preset with the upstream files it expects and where they are published", async () => {
  const text = await run(["list"]);
  deepStrictEqual(text.code, 0);
  ok(text.out.startsWith("default "), text.out.slice(0, 80));
  for (
    const s of [
      "config.json + model.safetensors from HF yucornetto/tokenizer_titok_l32_imagenet",
      "tokenizer_titok_l32.bin from HF fun-research/TiTok",
      "→ --model titok/l32 --weights tokenizer_titok_l32.bin",
      "params from HF LargeWorldModel/ElasticTok-FSQ",
      "alit_vqgan_small_quantized_latent.pth from https://www.dropbox.com/",
      "MDQ (PadrickLeee/MDQ) publishes no weights",
    ]
  ) ok(text.out.includes(s), `missing: ${s}`);
  ok(/\n {2}titok\/tiny +test size \(use --random\)\n/.test(text.out));
  const json = JSON.parse((await run(["list", "--json"])).out);
  deepStrictEqual(json.default.name, "default");
  deepStrictEqual(json.presets, listPresets());
  const l32 = json.families.find((f: { name: string }) => f.name === "titok").presets
    .find((p: { name: string }) => p.name === "titok/l32");
  deepStrictEqual(l32.checkpoints[0], {
    where: "yucornetto/tokenizer_titok_l32_imagenet",
    files: ["config.json", "model.safetensors"],
    use: "--model <folder> (the titok/l32 model)",
  });
});

Deno.test("list: training recipes are listed as recipes with their command, apart from upstream's presets", async () => {
  const text = (await run(["list"])).out;
  // A recipe is never "no released weights": it shows the command that trains it and the model it leaves.
  ok(!/titok\/small +no released weights/.test(text), text);
  ok(
    text.includes(
      "  recipes — train from scratch (no weights to fetch):\n" +
        "  titok/small             deno task tok1d train --model titok/small --data photos/ --out runs/small ",
    ),
    text,
  );
  ok(text.includes("--no-gan\n                            → then --model runs/small/model\n"), text);
  // Upstream presets first, then the recipes, then the test sizes.
  const at = (s: string) => text.indexOf(`  ${s} `);
  ok(at("titok/sl256_vq8k") < at("titok/small") && at("titok/small") < at("titok/tiny"));
  ok(/\n {2}alit\/test_vae +test size \(use --random\)\n/.test(text), "a test_* config is a test size");
  ok(
    /\n {2}bdd_1d\/k16 +no released weights/.test(text),
    "upstream configs without weights stay as they were",
  );
  const json = JSON.parse((await run(["list", "--json"])).out);
  deepStrictEqual(json.recipes, [
    "alit/small_recipe",
    "bdd_1d/small",
    "elastictok/small",
    "marvel/small",
    "titok/small",
  ]);
  const entries = json.families.flatMap((f: { presets: { name: string; kind: string }[] }) => f.presets);
  const small = entries.find((p: { name: string }) => p.name === "bdd_1d/small");
  deepStrictEqual([small.kind, small.checkpoints, small.use], ["recipe", [], "--model runs/b/model"]);
  ok(small.train.startsWith("deno task tok1d train --model bdd_1d/small --data photos/ --out runs/b "));
  const kinds = (k: string) => entries.filter((p: { kind: string }) => p.kind === k).length;
  deepStrictEqual([kinds("recipe"), kinds("test"), kinds("upstream")], [5, 14, entries.length - 19]);
  deepStrictEqual(entries.find((p: { name: string }) => p.name === "alit/small").kind, "upstream");
});

Deno.test("a recipe run without weights says how to train it (exit 2), not only 'no weights'", async () => {
  const r = await run([
    "encode",
    "--model",
    "marvel/small",
    "--out",
    tmp(),
    "tests/testdata/photos/coffee.png",
  ]);
  deepStrictEqual(r.code, 2, r.err);
  ok(
    r.err.includes("model marvel/small is a training recipe (no released weights): train it, e.g. "),
    r.err,
  );
  ok(r.err.includes("`deno task tok1d train --model marvel/small --data photos/ --out runs/m "), r.err);
  ok(r.err.includes("then pass --model runs/m/model (or --weights <checkpoint>, or --random)"), r.err);
  // info names the command too; an upstream preset has none.
  const info = JSON.parse((await run(["info", "--model", "marvel/small", "--json"])).out);
  deepStrictEqual([info.weights, info.train.split(" --data")[0]], [
    null,
    "deno task tok1d train --model marvel/small",
  ]);
  deepStrictEqual(
    JSON.parse((await run(["info", "--model", "marvel/l32x1", "--json"])).out).train,
    undefined,
  );
});

Deno.test("--model: an HF repo id names the files to fetch and the folder layout; a preset typo gets did-you-mean", async () => {
  const hf = await run(["info", "--model", "yucornetto/tokenizer_titok_l32_imagenet"]);
  deepStrictEqual(hf.code, 2);
  ok(hf.err.startsWith("tok1d: error: --model yucornetto/tokenizer_titok_l32_imagenet: not a local folder"));
  ok(hf.err.includes("tok1d never downloads"), hf.err);
  ok(hf.err.includes("  tokenizer_titok_l32_imagenet/\n    config.json\n    model.safetensors\n"), hf.err);
  ok(hf.err.includes("--model tokenizer_titok_l32_imagenet (the titok/l32 model)"), hf.err);
  const elastic = await run(["info", "--model", "LargeWorldModel/ElasticTok-VAE"]);
  deepStrictEqual(elastic.code, 2);
  ok(elastic.err.includes("--model elastictok/vae --weights ElasticTok-VAE/params"), elastic.err);
  const unknown = await run(["info", "--model", "someone/some_tokenizer"]);
  deepStrictEqual(unknown.code, 2);
  ok(unknown.err.includes("  some_tokenizer/\n    config.json\n    model.safetensors"), unknown.err);
  const typo = await run(["info", "--model", "titok/s129"]);
  deepStrictEqual(typo.code, 2);
  ok(typo.err.includes("(did you mean titok/s128?)"), typo.err);
  ok(
    (await run(["info", "--model", "marvel/l32x3"])).err.includes(
      "did you mean marvel/l32x1 or marvel/l32x2 or marvel/l32x4?",
    ),
  );
});

Deno.test("info: every preset from its config alone, text and JSON, never an 'undefined'", async () => {
  for (const preset of listPresets()) {
    const r = await run(["info", "--model", preset]);
    deepStrictEqual(r.code, 0, `${preset}: ${r.err}`);
    ok(!/undefined|NaN/.test(r.out), `${preset}:\n${r.out}`);
  }
  const json = JSON.parse((await run(["info", "--model", "titok/tiny_vq", "--random", "--json"])).out);
  ok(!JSON.stringify(json).includes("undefined"));
  deepStrictEqual([json.family, json.randomWeights], ["titok", true]);
});
