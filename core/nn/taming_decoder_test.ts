/**
 * The generic taming decoder: without attention resolutions or a hook it is
 * kl16_vae.ts's LDM decoder (same parameters, same outputs); with them it
 * places attention after every up block of the listed resolutions. BDD-1D's
 * upstream parity (plugins/bdd_1d/bdd_1d_test.ts) covers the hooked form.
 */
import { deepStrictEqual, ok } from "node:assert";
import { Graph } from "../graph/graph.ts";
import { randomWeights } from "../init.ts";
import { Session } from "../runtime/mod.ts";
import { kl16DecoderNet } from "./kl16_vae.ts";
import { tamingDecoder } from "./taming_decoder.ts";

const SMALL = { ch: 32, chMult: [1, 2], numResBlocks: 1, resolution: 16, zChannels: 4 };

function build(kind: "ldm" | "taming", attn: number[] = []): Graph {
  const g = new Graph(kind);
  const z = g.input("z", "float32", [2, 4, 8, 8]);
  const out = g.scope(
    "decoder",
    () =>
      kind === "ldm" ? kl16DecoderNet(g, z, { ...SMALL, attnResolutions: [16] }) : tamingDecoder(g, z, {
        inChannels: 4,
        ch: 32,
        chMult: [1, 2],
        numResBlocks: 1,
        attnResolutions: attn,
        resolution: 16,
        outChannels: 3,
      }),
  );
  g.output(out, "image");
  return g;
}

const shapes = (g: Graph) => Object.fromEntries([...g.params.values()].map((p) => [p.name, p.shape]));

Deno.test("taming decoder: without attention resolutions it is the LDM (KL-16) decoder, parameter for parameter", async () => {
  const ldm = build("ldm"), taming = build("taming");
  deepStrictEqual(shapes(taming), shapes(ldm));
  const w = randomWeights([...ldm.params.values()], 3);
  const z = {
    dtype: "float32" as const,
    shape: [2, 4, 8, 8],
    data: Float32Array.from({ length: 512 }, (_, i) => Math.sin(i)),
  };
  const a = await Session.create(ldm, w, { threads: 1 }), b = await Session.create(taming, w, { threads: 1 });
  const ya = (await a.run({ z })).image, yb = (await b.run({ z })).image;
  deepStrictEqual(ya.shape, [2, 3, 16, 16]);
  deepStrictEqual(yb.data, ya.data);
  await a.release();
  await b.release();
});

Deno.test("taming decoder: attention follows every up block at the listed resolutions", () => {
  const keys = Object.keys(shapes(build("taming", [8]))).filter((k) => k.endsWith(".q.weight"));
  deepStrictEqual(keys, [
    "decoder.mid.attn_1.q.weight",
    "decoder.up.1.attn.0.q.weight",
    "decoder.up.1.attn.1.q.weight",
  ]);
  ok(!Object.keys(shapes(build("taming", [16]))).some((k) => k.startsWith("decoder.up.1.attn")));
});
