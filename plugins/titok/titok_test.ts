/**
 * TiTok parity with upstream: outputs of bytedance/1d-tokenizer run on random
 * weights (tests/testdata/titok/README.md) for the two-stage legacy VQ path,
 * the single-stage VQ path and the VAE path.
 */
import { deepStrictEqual, ok, throws } from "node:assert";
import { readFileSync } from "node:fs";
import { parseConfig, readConfigFile } from "../../core/config.ts";
import { readNpy } from "../../core/data/npy.ts";
import { UsageError } from "../../core/errors.ts";
import { Session } from "../../core/runtime/mod.ts";
import { loadTokenizer } from "../../core/tokenizer.ts";
import { readTorchCheckpoint } from "../../core/weights/torch_zip.ts";
import { readSafetensors } from "../../core/weights/safetensors.ts";
import { titokSchema } from "./config.ts";
import { buildGraphs } from "../../core/tokenizer.ts";
import { titokDecodeGraph } from "./model.ts";
import { titok } from "./mod.ts";
import { near } from "../../core/nn/_parity.ts";

const DATA = new URL("../../tests/testdata/titok/", import.meta.url).pathname;
const fixture = (name: string, file: string) => readNpy(`${DATA}${name}/${file}`);

for (const name of ["vq_two_stage", "vq_single_stage"]) {
  Deno.test(`titok ${name}: tokens, latents and images match upstream`, async () => {
    const tok = await loadTokenizer(`${DATA}${name}`, { threads: 2 });
    try {
      const x = fixture(name, "input.npy");
      const enc = await tok.encode(x);
      deepStrictEqual(enc.tokens.dtype, "int64");
      deepStrictEqual([...enc.tokens.data], [...fixture(name, "indices.npy").data], "token ids");
      near(enc.latent!, fixture(name, "z_quantized.npy"), 1e-4, "z_quantized");
      near(await tok.decodeLatent(enc.latent!), fixture(name, "decoded.npy"), 1e-4, "decoded");
      near(await tok.decode(enc.tokens), fixture(name, "decoded_from_tokens.npy"), 1e-4, "decode_tokens");
    } finally {
      await tok.release();
    }
  });
}

Deno.test("titok vq_two_stage: legacy logits over the 1024 MaskGIT codes match upstream", async () => {
  const dir = `${DATA}vq_two_stage`;
  const config = parseConfig(titokSchema, readConfigFile(`${dir}/config.yaml`), "config.yaml");
  const s = await Session.create(
    titokDecodeGraph(config),
    readSafetensors(`${dir}/model.safetensors`).tensors,
    {
      threads: 2,
    },
  );
  const r = await s.run({ latent: fixture("vq_two_stage", "z_quantized.npy") });
  near(r.logits, fixture("vq_two_stage", "logits.npy"), 1e-4, "logits");
  await s.release();
});

Deno.test("titok vae: posterior mean/logvar and decoded mode match upstream", async () => {
  const tok = await loadTokenizer(`${DATA}vae`, { threads: 2, keepWeights: true });
  const x = fixture("vae", "input.npy");
  const enc = await tok.encode(x);
  near(enc.tokens, fixture("vae", "posterior_mean.npy"), 1e-4, "mean");
  near(await tok.decode(enc.tokens), fixture("vae", "decoded_mode.npy"), 1e-4, "decoded mode");
  await tok.release();
  const s = await Session.create(tok.graph("encoder"), tok.weights, { threads: 1 });
  near((await s.run({ image: x })).logvar, fixture("vae", "posterior_logvar.npy"), 1e-4, "logvar");
  await s.release();
});

Deno.test("titok vae --sample: mean + std·ε with given noise matches upstream's sample()", async () => {
  const tok = await loadTokenizer(`${DATA}vae`, { threads: 2, sample: true });
  const enc = await tok.encode(fixture("vae", "input.npy"), {
    inputs: { noise: fixture("vae", "noise.npy") },
  });
  near(enc.tokens, fixture("vae", "sample.npy"), 1e-4, "sample");
  near(await tok.decode(enc.tokens), fixture("vae", "decoded_sample.npy"), 1e-4, "decoded sample");
  await tok.release();
});

for (const name of ["vq_two_stage", "vq_single_stage", "vae"]) {
  Deno.test(`titok ${name}: .safetensors and .bin load identical tensors`, () => {
    const a = readSafetensors(`${DATA}${name}/model.safetensors`).tensors;
    const b = readTorchCheckpoint(`${DATA}${name}/pytorch_model.bin`).tensors;
    deepStrictEqual([...a.keys()].sort(), [...b.keys()].sort());
    for (const [k, t] of a) {
      deepStrictEqual(b.get(k)!.shape, t.shape, k);
      deepStrictEqual(b.get(k)!.data, t.data, k);
    }
  });
}

Deno.test("titok: the .bin checkpoint gives the same tokens as the .safetensors one", async () => {
  const dir = `${DATA}vq_single_stage`;
  const a = await loadTokenizer(dir, { weights: `${dir}/model.safetensors`, threads: 1 });
  const b = await loadTokenizer(dir, { weights: `${dir}/pytorch_model.bin`, threads: 1 });
  const x = fixture("vq_single_stage", "input.npy");
  deepStrictEqual((await a.encode(x)).tokens, (await b.encode(x)).tokens);
  deepStrictEqual(
    await a.decodeLatent((await a.encode(x)).latent!),
    await b.decodeLatent((await b.encode(x)).latent!),
  );
  await a.release();
  await b.release();
});

Deno.test("titok config: upstream YAML and HF config.json parse unchanged to the same model config", () => {
  for (const name of ["vq_two_stage", "vq_single_stage", "vae"]) {
    const yaml = parseConfig(titokSchema, readConfigFile(`${DATA}${name}/config.yaml`), "yaml");
    const json = parseConfig(
      titokSchema,
      JSON.parse(readFileSync(`${DATA}${name}/config.json`, "utf8")),
      "json",
    );
    deepStrictEqual(yaml.model.vq_model, json.model.vq_model);
  }
  // An inference config as upstream ships it, with its generator section and an OmegaConf interpolation.
  const upstream = {
    experiment: { tokenizer_checkpoint: "tokenizer_titok_l32.bin", output_dir: "titok_l_32" },
    model: {
      vq_model: {
        codebook_size: 4096,
        token_size: 12,
        use_l2_norm: true,
        commitment_cost: 0.25,
        vit_enc_model_size: "large",
        vit_dec_model_size: "large",
        vit_enc_patch_size: 16,
        vit_dec_patch_size: 16,
        num_latent_tokens: 32,
        finetune_decoder: true,
      },
      generator: { model_type: "ViT", image_seq_len: "${model.vq_model.num_latent_tokens}" },
    },
    dataset: { preprocessing: { crop_size: 256 } },
  };
  const c = parseConfig(titokSchema, upstream, "titok_l32.yaml");
  deepStrictEqual(c.model.vq_model.is_legacy, true);
  deepStrictEqual(titok.info(c, "l32").tokenShape, [1, 32]);
});

Deno.test("titok config: a wrong value names the key path and suggests the nearest allowed value", () => {
  const raw = structuredClone(titok.presets["tiny"]) as { model: { vq_model: Record<string, unknown> } };
  raw.model.vq_model.vit_enc_model_size = "lage";
  throws(() => parseConfig(titokSchema, raw, "x.yaml"), (e: Error) => {
    ok(e instanceof UsageError);
    ok(e.message.includes("model.vq_model.vit_enc_model_size"), e.message);
    ok(e.message.includes("did you mean 'large'"), e.message);
    return true;
  });
});

Deno.test("titok presets: every released variant builds with upstream's parameter count", () => {
  const count = (name: string) => {
    const c = titok.schema.parse(titok.presets[name]);
    const g = buildGraphs(titok, c);
    const names = new Map<string, number>();
    for (const graph of Object.values(g)) {
      for (const p of graph.params.values()) names.set(p.name, p.shape.reduce((a, b) => a * b, 1));
    }
    return [...names.values()].reduce((a, b) => a + b, 0);
  };
  // Parameter counts of the upstream modules (architectures.md §1.5), to 0.01 M.
  const expected: Record<string, number> = {
    s128: 83.67,
    b64: 204.81,
    l32: 641.05,
    bl64_vq8k: 390.02,
    sl256_vq8k: 330.26,
  };
  for (const [name, millions] of Object.entries(expected)) {
    const got = count(name) / 1e6;
    ok(Math.abs(got - millions) < 0.01, `${name}: ${got.toFixed(3)} M parameters, upstream ${millions} M`);
  }
});

Deno.test("titok config: vit_enc_num_layers / vit_dec_num_layers set each half's depth (tok1d extension)", () => {
  const params = (layers?: { enc?: number; dec?: number }) => {
    const raw = structuredClone(titok.presets["tiny"]) as { model: { vq_model: Record<string, unknown> } };
    if (layers?.enc) raw.model.vq_model.vit_enc_num_layers = layers.enc;
    if (layers?.dec) raw.model.vq_model.vit_dec_num_layers = layers.dec;
    const g = buildGraphs(titok, titok.schema.parse(raw));
    return new Set(Object.values(g).flatMap((graph) => [...graph.params.keys()]));
  };
  const blocks = (names: Set<string>, half: string) =>
    new Set([...names].flatMap((n) => n.match(new RegExp(`^${half}\\.transformer\\.(\\d+)\\.`))?.[1] ?? []))
      .size;
  const plain = params(), deeper = params({ enc: 4, dec: 3 });
  deepStrictEqual([blocks(plain, "encoder"), blocks(plain, "decoder")], [2, 2], "tiny: 2 layers each");
  deepStrictEqual([blocks(deeper, "encoder"), blocks(deeper, "decoder")], [4, 3]);
  // Every other parameter is the same: the extra blocks are all that is added.
  deepStrictEqual([...plain].filter((n) => !deeper.has(n)), []);
  const raw = structuredClone(titok.presets["tiny"]) as { model: { vq_model: Record<string, unknown> } };
  raw.model.vq_model.vit_enc_num_layers = 0;
  throws(() => parseConfig(titokSchema, raw, "x.yaml"), /model\.vq_model\.vit_enc_num_layers/);
});
