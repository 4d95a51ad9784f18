/**
 * The MaskGIT-VQGAN under taming's names is MAGE's VQGAN as ALIT stores it:
 * every `base_tokenizer.vqgan.*` key of upstream's module is a graph parameter
 * of the same shape (and nothing else is), the taming → MaskGIT key map lands
 * on TiTok's names, and encoder, codes and decoder match upstream's module on
 * seeded full-size weights (tests/testdata/alit_base/).
 */
import { deepStrictEqual, ok } from "node:assert";
import { Graph } from "../graph/graph.ts";
import { reshape, transpose } from "../ops/mod.ts";
import { vqQuantize } from "../quantizers/vq.ts";
import { Session } from "../runtime/mod.ts";
import { readSafetensors } from "../weights/safetensors.ts";
import { seededWeights, VQGAN_SEED, vqganGraph } from "./_alit_base_fixture.ts";
import { absErrors } from "./_parity.ts";
import {
  MASKGIT_NAMING,
  MASKGIT_VQGAN_F16,
  TAMING_NAMING,
  tamingToMaskgitKey,
  vqganDecoder,
  vqganEncoder,
} from "./maskgit_vqgan.ts";

const DIR = new URL("../../tests/testdata/alit_base/", import.meta.url).pathname;
const upstreamKeys = () =>
  JSON.parse(Deno.readTextFileSync(`${DIR}vqgan_keys.json`)) as Record<string, number[]>;
const shapes = (g: Graph) => Object.fromEntries([...g.params.values()].map((p) => [p.name, p.shape]));

Deno.test("maskgit_vqgan: taming naming declares exactly ALIT's base_tokenizer.vqgan.* keys and shapes", () => {
  deepStrictEqual(shapes(vqganGraph()), upstreamKeys());
});

Deno.test("maskgit_vqgan: tamingToMaskgitKey maps ALIT's VQGAN keys onto TiTok's names", () => {
  const g = new Graph("maskgit");
  const x = g.input("x", "float32", [1, 3, 32, 32]);
  const z = g.scope("encoder", () => vqganEncoder(g, x, MASKGIT_VQGAN_F16, MASKGIT_NAMING));
  g.scope("decoder", () => vqganDecoder(g, z, MASKGIT_VQGAN_F16, MASKGIT_NAMING));
  const mapped = Object.fromEntries(
    Object.entries(upstreamKeys())
      .filter(([k]) => !k.includes(".quantize."))
      .map(([k, s]) => [tamingToMaskgitKey(k.replace("base_tokenizer.vqgan.", "")), s]),
  );
  deepStrictEqual(mapped, shapes(g));
  deepStrictEqual(
    tamingToMaskgitKey("decoder.up.4.upsample.conv.weight"),
    "decoder.up.4.upsample_conv.weight",
  );
  deepStrictEqual(tamingToMaskgitKey("encoder.mid.block_2.norm1.bias"), "encoder.mid.1.norm1.bias");
  deepStrictEqual(TAMING_NAMING.mid(0), ["block_1"]);
});

Deno.test("maskgit_vqgan: MAGE VQGAN (taming names) matches ALIT's upstream module", async () => {
  const g = vqganGraph();
  const want = readSafetensors(`${DIR}vqgan.safetensors`).tensors;
  const s = await Session.create(g, seededWeights(g, VQGAN_SEED), { threads: 2 });
  const out = await s.run({ image: want.get("image")! });
  await s.release();
  deepStrictEqual([...out.indices.data], [...want.get("indices")!.data]);
  const h = absErrors(out.h, want.get("h")!, "h");
  const dec = absErrors(out.decoded, want.get("decoded")!, "decoded");
  console.log(
    `encoder h: max ${h.max.toExponential(2)} mean ${h.mean.toExponential(2)}; ` +
      `decoded: max ${dec.max.toExponential(2)} mean ${dec.mean.toExponential(2)}`,
  );
  ok(h.max <= 1e-4, `h: max |Δ| ${h.max}`);
  ok(dec.max <= 1e-3 && dec.mean <= 5e-5, `decoded: max ${dec.max}, mean ${dec.mean}`);
});

Deno.test("maskgit_vqgan: the reduced VQGAN of tests/testdata/alit reproduces ALIT's vqgan tokens and gt ids", async () => {
  const dir = new URL("../../tests/testdata/alit/", import.meta.url).pathname;
  const ref = readSafetensors(`${dir}reference.safetensors`);
  const cfg = JSON.parse(ref.metadata.vqgan_config);
  const c = {
    channelMult: cfg.ddconfig.ch_mult,
    hiddenChannels: cfg.ddconfig.ch,
    numResBlocks: cfg.ddconfig.num_res_blocks,
    zChannels: cfg.ddconfig.z_channels,
  };
  const g = new Graph("alit_vqgan_small");
  const image = g.input("image", "float32", [1, 3, 64, 64]);
  g.scope("base_tokenizer", () =>
    g.scope("vqgan", () => {
      const h = g.scope("encoder", () => vqganEncoder(g, image, c, TAMING_NAMING));
      g.output(h, "h");
      const flat = transpose(g, reshape(g, h, [1, c.zChannels, 256]), [0, 2, 1]);
      const o = { codebookSize: cfg.n_embed, dim: c.zChannels, l2norm: false, commitment: 0.25 };
      g.output(g.scope("quantize", () => vqQuantize(g, flat, o)).indices, "ids");
    }));
  const weights = readSafetensors(`${dir}model.safetensors`).tensors;
  const keys = JSON.parse(Deno.readTextFileSync(`${dir}state_dict_keys.json`));
  deepStrictEqual(Object.fromEntries([...weights].map(([k, t]) => [k, t.shape])), keys);
  const s = await Session.create(g, weights, { threads: 2 });
  const out = await s.run({ image: ref.tensors.get("image")! });
  await s.release();
  deepStrictEqual([...out.ids.data], [...ref.tensors.get("gt_indices")!.data]);
  const e = absErrors(out.h, ref.tensors.get("vqgan_tokens")!, "h");
  ok(e.max <= 1e-4, `vqgan tokens: max |Δ| ${e.max}`);
});
