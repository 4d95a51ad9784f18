/**
 * The two parity cases of ALIT's base tokenizers (tests/testdata/alit_base/):
 * MAGE's VQGAN in taming naming and MAR's KL-16 VAE, both at full size on
 * 32×32 images, with seeded weights that the test and the reference
 * generator both build from here — so the fixture holds inputs and upstream's
 * outputs, not the 55 M + 70 M weights.
 * @module
 */
import { Graph, type Value } from "../graph/graph.ts";
import { randomWeights, Rng } from "../init.ts";
import { reshape, transpose } from "../ops/mod.ts";
import type { Tensor } from "../tensor.ts";
import { vqQuantize } from "../quantizers/vq.ts";
import { KL16, KL16_LATENT_SCALE, kl16Decode, kl16Latent } from "./kl16_vae.ts";
import { MASKGIT_VQGAN_F16, TAMING_NAMING, vqganDecoder, vqganEncoder } from "./maskgit_vqgan.ts";

/** Batch and side of the parity images. */
export const BASE_IMAGE: [number, number, number, number] = [2, 3, 32, 32];
/** Seeds of the two weight sets. */
export const VQGAN_SEED = 1301;
export const KL16_SEED = 1302;

/**
 * Seeded weights for `params`: conv/linear weights N(0, 1/fan_in) truncated at
 * 2σ; every 1-D tensor perturbed away from torch's 1/0 (norm scales U(0.5, 1.5),
 * shifts and biases U(−0.2, 0.2)) so a swapped or dropped term shows;
 * codebooks N(0, 1).
 */
export function seededWeights(g: Graph, seed: number): Map<string, Tensor> {
  const w = randomWeights(g.params.values(), seed, "fanin");
  const r = new Rng(seed + 7);
  for (const [k, t] of w) {
    const d = t.data as Float32Array;
    if (t.shape.length === 1) {
      const scale = /norm\w*\.weight$/.test(k);
      for (let i = 0; i < d.length; i++) d[i] = scale ? 0.5 + r.next() : 0.4 * r.next() - 0.2;
    } else if (k.endsWith("embedding.weight")) {
      for (let i = 0; i < d.length; i++) d[i] = r.normal();
    }
  }
  return w;
}

/**
 * MAGE VQGAN as ALIT holds it (`base_tokenizer.vqgan.*`): image → encoder
 * output `h` (ALIT's continuous "vqgan tokens"), taming's argmin `indices`
 * (B, h·w) over the un-normalised codebook, and the decoder applied to the
 * codebook rows of those indices (`decoded`).
 */
export function vqganGraph(): Graph {
  const g = new Graph("alit_vqgan");
  const image = g.input("image", "float32", BASE_IMAGE);
  g.scope("base_tokenizer", () =>
    g.scope("vqgan", () => {
      const h = g.scope("encoder", () => vqganEncoder(g, image, MASKGIT_VQGAN_F16, TAMING_NAMING));
      const [b, c, hh, ww] = h.shape as number[];
      const flat = transposeToLast(g, h, b, c, hh * ww);
      const q = g.scope(
        "quantize",
        () =>
          vqQuantize(g, flat, {
            codebookSize: 1024,
            dim: c,
            l2norm: false,
            commitment: 0.25,
            beta: "codebook",
          }),
      );
      const zq = transposeBack(g, q.codes, b, c, hh, ww);
      g.output(h, "h");
      g.output(q.indices, "indices");
      g.output(g.scope("decoder", () => vqganDecoder(g, zq, MASKGIT_VQGAN_F16, TAMING_NAMING)), "decoded");
    }));
  return g;
}

/**
 * KL-16 as ALIT holds it (`base_tokenizer.vae.*`): image → posterior `mean`,
 * `logvar`, ALIT's latent sample·0.2325 with fed `noise` (`latent`), and
 * `vae.decode` of that latent as ALIT calls it, without unscaling (`decoded`).
 */
export function kl16Graph(): Graph {
  const g = new Graph("alit_kl16");
  const [b, , s] = BASE_IMAGE;
  const image = g.input("image", "float32", BASE_IMAGE);
  const side = s / 16;
  const noise = g.input("noise", "float32", [b, KL16.zChannels, side, side]);
  g.scope("base_tokenizer", () =>
    g.scope("vae", () => {
      const p = kl16Latent(g, image, { noise, scale: KL16_LATENT_SCALE });
      g.output(p.mean, "mean");
      g.output(p.logvar, "logvar");
      g.output(p.latent, "latent");
      g.output(kl16Decode(g, p.latent), "decoded");
    }));
  return g;
}

function transposeToLast(g: Graph, h: Value, b: number, c: number, n: number): Value {
  return transpose(g, reshape(g, h, [b, c, n]), [0, 2, 1]);
}

function transposeBack(g: Graph, codes: Value, b: number, c: number, hh: number, ww: number): Value {
  return reshape(g, transpose(g, codes, [0, 2, 1]), [b, c, hh, ww]);
}
