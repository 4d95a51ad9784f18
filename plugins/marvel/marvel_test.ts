/**
 * MARVEL parity with upstream: outputs of PadrickLeee/MDQ's model code on
 * random weights at depths 1, 2 and 4 (tests/testdata/marvel/README.md) —
 * tokens, latents, logits, reconstructions from the latent and from every
 * prefix of depths, and the training-mode losses; plus checkpoint, config and
 * token-shape handling.
 */
import { deepStrictEqual, ok, rejects, throws } from "node:assert";
import { readFileSync } from "node:fs";
import { parseConfig, readConfigFile } from "../../core/config.ts";
import { readNpy } from "../../core/data/npy.ts";
import { UsageError } from "../../core/errors.ts";
import { Graph } from "../../core/graph/graph.ts";
import { resolveModel } from "../../core/resolve.ts";
import { Session } from "../../core/runtime/mod.ts";
import type { Tensor } from "../../core/tensor.ts";
import { loadTokenizer } from "../../core/tokenizer.ts";
import { readTorchCheckpoint } from "../../core/weights/torch_zip.ts";
import { titok } from "../titok/mod.ts";
import { marvelSchema } from "./config.ts";
import { marvelDecodeGraph, marvelEncoder, marvelQuantize } from "./model.ts";
import { buildGraphs } from "../../core/tokenizer.ts";
import { loadMarvel, marvel } from "./mod.ts";

const DATA = new URL("../../tests/testdata/marvel/", import.meta.url).pathname;
const WEIGHTS = `${DATA}pytorch_model.bin`;
const fixture = (file: string) => readNpy(`${DATA}${file}`);

function near(a: Tensor, b: Tensor, tol: number, what: string) {
  deepStrictEqual(a.shape, b.shape, `${what}: shape`);
  let m = 0;
  for (let i = 0; i < b.data.length; i++) m = Math.max(m, Math.abs(Number(a.data[i]) - Number(b.data[i])));
  ok(m <= tol, `${what}: max |diff| ${m} > ${tol}`);
}

/** The first d depths of tokens (B,1,K,D). */
function prefix(t: Tensor, d: number): Tensor {
  const D = t.shape[3];
  const src = t.data as BigInt64Array;
  const data = new BigInt64Array((src.length / D) * d);
  for (let r = 0; r < src.length / D; r++) data.set(src.subarray(r * D, r * D + d), r * d);
  return { dtype: "int64", shape: [...t.shape.slice(0, 3), d], data };
}

for (const depth of [1, 2, 4]) {
  Deno.test(`marvel ×${depth}: tokens, latent, reconstructions and every depth prefix match MDQ`, async () => {
    const tok = await loadTokenizer(`${DATA}d${depth}/config.yaml`, { weights: WEIGHTS, threads: 2 });
    try {
      deepStrictEqual(tok.info.tokenShape, [1, 8, depth]);
      const enc = await tok.encode(fixture("input.npy"));
      deepStrictEqual(enc.tokens.dtype, "int64");
      deepStrictEqual(enc.tokens.shape, [2, 1, 8, depth]);
      deepStrictEqual([...enc.tokens.data], [...fixture(`d${depth}/indices.npy`).data], "token ids");
      near(enc.latent!, fixture(`d${depth}/z_quantized.npy`), 1e-5, "z_quantized");
      near(await tok.decodeLatent(enc.latent!), fixture(`d${depth}/decoded.npy`), 1e-4, "decoded");
      for (let d = 1; d <= depth; d++) {
        const image = await tok.decode(prefix(enc.tokens, d));
        near(image, fixture(`d${depth}/decoded_prefix_${d}.npy`), 1e-4, `decode of ${d} of ${depth} depths`);
      }
    } finally {
      await tok.release();
    }
  });
}

Deno.test("marvel: legacy logits over the 1024 MaskGIT codes match MDQ", async () => {
  const config = parseConfig(marvelSchema, readConfigFile(`${DATA}d2/config.yaml`), "d2");
  const weights = loadMarvel(readTorchCheckpoint(WEIGHTS).tensors, config);
  const s = await Session.create(marvelDecodeGraph(config), weights, { threads: 2 });
  const r = await s.run({ latent: fixture("d2/z_quantized.npy") });
  await s.release();
  near(r.logits, fixture("d2/logits.npy"), 1e-4, "logits");
});

Deno.test("marvel: training-mode losses (commitment, entropy terms) match MDQ at depths 1, 2, 4", async () => {
  for (const depth of [1, 2, 4]) {
    const config = parseConfig(marvelSchema, readConfigFile(`${DATA}d${depth}/config.yaml`), "cfg");
    const g = new Graph("marvel_losses");
    const q = marvelQuantize(
      g,
      marvelEncoder(g, g.input("image", "float32", [2, 3, 32, 32]), config),
      config,
      true,
    );
    for (const [k, v] of Object.entries(q.losses)) g.output(v, k);
    const s = await Session.create(g, loadMarvel(readTorchCheckpoint(WEIGHTS).tensors, config), {
      threads: 2,
    });
    const r = await s.run({ image: fixture("input.npy") });
    await s.release();
    const want = JSON.parse(readFileSync(`${DATA}d${depth}/losses.json`, "utf8"));
    for (
      const k of ["quantizer_loss", "commitment_loss", "entropy_loss", "per_sample_entropy", "avg_entropy"]
    ) {
      const got = Number(r[k].data[0]);
      ok(Math.abs(got - want[k]) <= 2e-4 * Math.abs(want[k]) + 1e-7, `×${depth} ${k}: ${got} vs ${want[k]}`);
    }
  }
});

Deno.test("marvel load: MDQ's quantizer buffers are checked and dropped; a wrong bit order is refused", () => {
  const config = marvel.schema.parse(marvel.presets["tiny"]);
  const raw = readTorchCheckpoint(WEIGHTS).tensors;
  deepStrictEqual(raw.get("quantize.bits_to_indices")!.dtype, "int32");
  const loaded = loadMarvel(raw, config);
  ok(!loaded.has("quantize.bits_to_indices") && !loaded.has("quantize.codebook"));
  deepStrictEqual(loaded.size, raw.size - 2);
  const msb = new Map(raw);
  msb.set("quantize.bits_to_indices", {
    dtype: "int32",
    shape: [12],
    data: Int32Array.from({ length: 12 }, (_, i) => 2 ** (11 - i)),
  });
  throws(
    () => loadMarvel(msb, config),
    (e: Error) => e instanceof UsageError && /bits_to_indices/.test(e.message),
  );
});

Deno.test("marvel decode: a prefix of depths is accepted, other shapes name the allowed ones", async () => {
  const tok = await loadTokenizer("marvel/tiny", { random: true, threads: 1 });
  const tokens = (d: number): Tensor => ({
    dtype: "int64",
    shape: [1, 1, 8, d],
    data: new BigInt64Array(8 * d),
  });
  deepStrictEqual((await tok.decode(tokens(3))).shape, [1, 3, 32, 32]);
  for (const bad of [tokens(5), { ...tokens(4), shape: [1, 8, 4], data: new BigInt64Array(32) }]) {
    await rejects(tok.decode(bad), (e: Error) => e instanceof UsageError && /1 ≤ d ≤ 4/.test(e.message));
  }
  await rejects(tok.decode({ ...tokens(1), data: new BigInt64Array(8).fill(4096n) }), /outside \[-1, 4096\)/);
  await tok.release();
});

Deno.test("marvel config: MDQ's training YAML parses unchanged; the most specific family claims a config", () => {
  // MDQ configs/training/TiTok/stage1/finetune_titok_l32.yaml, model section as shipped (paths shortened).
  const upstream = {
    experiment: {
      project: "titok_l_32_stage1",
      init_weight: "pretrained_ckpt/TiTok/tokenizer_titok_l32.bin",
    },
    model: {
      vq_model: {
        finetune_multi_depth: true,
        token_size: 12,
        commitment_cost: 0.25,
        entropy_loss_weight: 0.02,
        entropy_loss_temperature: 0.01,
        entropy_gamma: 1.0,
        quantize_mode: "lfq",
        vit_enc_model_size: "large",
        vit_dec_model_size: "large",
        vit_enc_patch_size: 16,
        vit_dec_patch_size: 16,
        num_latent_tokens: 32,
        finetune_decoder: false,
        pretrained_tokenizer_weight: "pretrained_ckpt/TiTok/maskgit-vqgan-imagenet-f16-256.bin",
      },
    },
    losses: { quantizer_weight: 1.0 },
    dataset: { preprocessing: { resize_shorter_edge: 256, crop_size: 256, random_crop: true } },
  };
  // TiTok reads any TiTok-layout config; MARVEL recognises its LFQ fork more specifically, so it wins.
  ok(marvel.recognises(upstream) > titok.recognises(upstream) && titok.recognises(upstream) > 0);
  const c = parseConfig(marvelSchema, upstream, "finetune_titok_l32.yaml");
  deepStrictEqual(c.model.vq_model.num_depths, 2); // MDQ's forward hard-codes 2
  deepStrictEqual(marvel.info(c, "stage1").tokenShape, [1, 32, 2]);
  ok(!marvel.recognises(titok.presets["l32"]));
  deepStrictEqual(resolveModel("marvel/l32x4").plugin.name, "marvel");
  const wrong = structuredClone(upstream) as typeof upstream & {
    model: { vq_model: Record<string, unknown> };
  };
  wrong.model.vq_model.codebook_size = 8192;
  throws(() => parseConfig(marvelSchema, wrong, "x.yaml"), /model\.vq_model\.codebook_size/);
  wrong.model.vq_model.codebook_size = 4096;
  wrong.model.vq_model.num_depths = 0;
  throws(() => parseConfig(marvelSchema, wrong, "x.yaml"), /model\.vq_model\.num_depths/);
});

Deno.test("marvel presets: L-32×1/×2/×4 have TiTok-L-32's parameters minus the VQ codebook", () => {
  for (const [name, depth] of [["l32x1", 1], ["l32x2", 2], ["l32x4", 4]] as const) {
    const c = marvel.schema.parse(marvel.presets[name]);
    const g = buildGraphs(marvel, c);
    const sizes = new Map<string, number>();
    for (const graph of Object.values(g)) {
      for (const p of graph.params.values()) sizes.set(p.name, p.shape.reduce((a, b) => a * b, 1));
    }
    const total = [...sizes.values()].reduce((a, b) => a + b, 0);
    // TiTok-L-32: 641,045,… parameters (architectures.md §1.5, 641.05 M) of which 4096×12 are its VQ codebook.
    ok(Math.abs(total / 1e6 - (641.05 - 0.049152)) < 0.01, `${name}: ${total} parameters`);
    deepStrictEqual(marvel.info(c, name).tokenShape, [1, 32, depth]);
    deepStrictEqual(g.decode_tokens.inputs[0].shape, ["batch", 1, 32, depth]);
  }
});
