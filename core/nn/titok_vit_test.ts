/**
 * The shared TiTok ViT halves: parameter names and shapes are upstream's
 * state-dict keys (tests/testdata/titok/*\/keys.txt), the encoder reproduces
 * upstream's raw output, and each head emits what it should.
 */
import { deepStrictEqual, ok } from "node:assert";
import { readFileSync } from "node:fs";
import { Graph } from "../graph/graph.ts";
import { readNpy } from "../data/npy.ts";
import { Session } from "../runtime/mod.ts";
import { readSafetensors } from "../weights/safetensors.ts";
import {
  MASKGIT_CODES,
  TITOK_VIT_SIZES,
  type VitTokenArch,
  vitTokenDecoder,
  vitTokenEncoder,
} from "./titok_vit.ts";

const TITOK = new URL("../../tests/testdata/titok/", import.meta.url).pathname;
const PIXEL = { channelMult: [1, 1, 2, 2], hiddenChannels: 32, numResBlocks: 2, zChannels: 256 };

function arch(isLegacy: boolean, tokenDim: number): VitTokenArch {
  return { image: 32, patch: 8, ...TITOK_VIT_SIZES.tiny, numTokens: 8, tokenDim, isLegacy };
}

/** name → shape of every parameter the two halves declare. */
function declared(legacy: boolean, tokenDim: number): Map<string, number[]> {
  const g = new Graph("keys");
  const a = arch(legacy, tokenDim);
  const raw = vitTokenEncoder(g, g.input("image", "float32", [1, 3, 32, 32]), {
    ...a,
    outChannels: tokenDim,
  });
  vitTokenDecoder(g, raw, { ...a, pixelDecoder: legacy ? PIXEL : undefined });
  return new Map([...g.params.values()].map((p) => [p.name, p.shape]));
}

function upstreamKeys(name: string): Map<string, number[]> {
  const lines = readFileSync(`${TITOK}${name}/keys.txt`, "utf8").trim().split("\n");
  return new Map(
    lines.map((l) => l.split("\t")).filter(([k]) => !k.startsWith("quantize.")).map((
      [k, s],
    ) => [k, JSON.parse(s)]),
  );
}

Deno.test("titok_vit: legacy two-stage halves declare exactly upstream's keys and shapes", () => {
  const got = declared(true, 12);
  const want = upstreamKeys("vq_two_stage");
  deepStrictEqual([...got.keys()].sort(), [...want.keys()].sort());
  for (const [k, s] of want) deepStrictEqual(got.get(k), s, k);
});

Deno.test("titok_vit: non-legacy halves declare exactly upstream's keys and shapes", () => {
  const got = declared(false, 16);
  const want = upstreamKeys("vq_single_stage");
  deepStrictEqual([...got.keys()].sort(), [...want.keys()].sort());
  for (const [k, s] of want) deepStrictEqual(got.get(k), s, k);
});

Deno.test("titok_vit: the legacy encoder reproduces upstream's raw output (row-major reshape)", async () => {
  const g = new Graph("enc");
  const out = vitTokenEncoder(g, g.input("image", "float32", ["batch", 3, 32, 32]), {
    ...arch(true, 12),
    outChannels: 12,
  });
  g.output(out, "raw");
  const s = await Session.create(g, readSafetensors(`${TITOK}vq_two_stage/model.safetensors`).tensors, {
    threads: 1,
  });
  const r = await s.run({ image: readNpy(`${TITOK}vq_two_stage/input.npy`) });
  await s.release();
  const want = readNpy(`${TITOK}vq_two_stage/encoder_out.npy`);
  deepStrictEqual(r.raw.shape, [2, 12, 1, 8]);
  const diff = Math.max(
    ...(r.raw.data as Float32Array).map((v, i) => Math.abs(v - (want.data[i] as number))),
  );
  ok(diff < 1e-4, `max |diff| ${diff}`);
});

Deno.test("titok_vit: heads — legacy logits alone, legacy with a pixel decoder, direct pixels", () => {
  for (
    const [legacy, pixel, shape] of [
      [true, false, [2, MASKGIT_CODES, 4, 4]],
      [true, true, [2, 3, 32, 32]],
      [false, false, [2, 3, 32, 32]],
    ] as const
  ) {
    const g = new Graph("dec");
    const out = vitTokenDecoder(g, g.input("z", "float32", [2, 12, 1, 8]), {
      ...arch(legacy, 12),
      pixelDecoder: pixel ? PIXEL : undefined,
    });
    deepStrictEqual(out.image.shape, shape);
    deepStrictEqual(out.logits !== undefined, legacy);
  }
});
