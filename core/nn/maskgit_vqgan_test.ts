/**
 * The MaskGIT-VQGAN under taming's names is MAGE's VQGAN as ALIT stores it:
 * every `base_tokenizer.vqgan.*` key of upstream's module is a graph parameter
 * of the same shape (and nothing else is), the taming → MaskGIT key map lands
 * on TiTok's names, and encoder, codes and decoder match upstream's module on
 * seeded full-size weights (tests/testdata/alit_base/).
 */
import { deepStrictEqual, ok } from "node:assert";
import { Graph } from "../graph/graph.ts";
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
