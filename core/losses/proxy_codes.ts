/**
 * Stage-1 "proxy codes" loss of TiTok and MARVEL (architectures.md §1.6,
 * §4.5): a frozen MaskGIT-VQGAN (`teacher.*` parameters) encodes the image to
 * a grid of 1024-way codes, and the tokenizer decoder's logits are trained
 * with cross-entropy against them (mean over positions and batch).
 *
 * @example
 * ```ts
 * const ce = proxyCodeCrossEntropy(g, image, decoderLogits, 16); // logits (B,1024,16,16)
 * ```
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { UsageError } from "../errors.ts";
import { MASKGIT_VQGAN_F16, vqganEncoder } from "../nn/maskgit_vqgan.ts";
import {
  argmin,
  f32,
  log,
  matmul,
  mul,
  oneHot,
  reduceMean,
  reduceSum,
  reshape,
  softmax,
  sub,
  transpose,
} from "../ops/mod.ts";

/** Size of the MaskGIT-VQGAN codebook the proxy codes index. */
export const PROXY_CODEBOOK = 1024;

const c = (g: Graph, v: number) => g.constant(f32([], [v]), "w");

/** The frozen teacher's codes of `image` (B,3,S,S in [0,1]): int64 (B, S/16, S/16). */
export function teacherCodes(g: Graph, image: Value): Value {
  return g.scope("teacher", () => {
    const h = g.scope("encoder", () => vqganEncoder(g, image, MASKGIT_VQGAN_F16));
    const e = g.scope("quantize", () => g.scope("embedding", () => g.param("weight", [PROXY_CODEBOOK, 256])));
    const z = transpose(g, h, [0, 2, 3, 1]); // (B, G, G, 256)
    const dist = sub(
      g,
      reduceSum(g, mul(g, e, e), [-1], false),
      mul(g, matmul(g, z, transpose(g, e, [1, 0])), c(g, 2)),
    );
    return argmin(g, dist, -1); // ‖z‖² is constant per row
  });
}

/** Mean cross-entropy of logits (B,1024,G,G) against the teacher's codes of `image`. */
export function proxyCodeCrossEntropy(g: Graph, image: Value, logits: Value, grid: number): Value {
  const codes = teacherCodes(g, image);
  const b = image.shape[0] as number;
  const logp = log(g, softmax(g, logits, 1));
  const picked = mul(g, transpose(g, logp, [0, 2, 3, 1]), oneHot(g, codes, PROXY_CODEBOOK));
  const nll = reduceSum(g, reshape(g, picked, [b, grid * grid, PROXY_CODEBOOK]), [2], false);
  return mul(g, reduceMean(g, nll, [0, 1], false), c(g, -1));
}

/** The teacher's stride: proxy codes lie on an (S/16)² grid. */
export const PROXY_CODE_STRIDE = 16;

/**
 * Refuses a TiTok-layout config that cannot train on proxy codes: it needs the
 * legacy logit head on the teacher's f16 grid (the message names the key).
 */
export function checkProxyCodeConfig(
  m: { is_legacy: boolean; vit_dec_patch_size: number },
  crop: number,
): void {
  if (!m.is_legacy) {
    throw new UsageError("model.vq_model.is_legacy: stage1 (proxy codes) needs the legacy logit head (true)");
  }
  if (m.vit_dec_patch_size !== PROXY_CODE_STRIDE || crop % PROXY_CODE_STRIDE) {
    throw new UsageError(
      `model.vq_model.vit_dec_patch_size ${m.vit_dec_patch_size} with crop_size ${crop}: stage1's proxy codes come ` +
        `from the f16 MaskGIT-VQGAN (a ${crop / PROXY_CODE_STRIDE}² grid), so the decoder patch must be 16`,
    );
  }
}

/** The proxy-code teacher both TiTok and MARVEL declare (`teacher.*`, upstream's keys under that prefix). */
export const MASKGIT_TEACHER = {
  prefix: "teacher.",
  stages: ["stage1"],
  what: "MaskGIT-VQGAN weights",
  file: "maskgit-vqgan-imagenet-f16-256.bin",
  published: "the HF repo fun-research/TiTok",
  flag: "--teacher",
} as const;
