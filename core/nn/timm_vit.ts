/**
 * timm's `VisionTransformer` (https://github.com/huggingface/pytorch-image-models,
 * `timm/models/vision_transformer.py`, 1.0.x) with timm's parameter names:
 * `patch_embed.proj`, `cls_token`, `pos_embed`, `blocks.{i}.{norm1, attn.qkv,
 * attn.proj, norm2, mlp.fc1, mlp.fc2}`, `norm`. Pre-norm blocks with LayerNorm
 * eps 1e-6, a fused `qkv` projection (bias on), exact GELU; no layer scale.
 *
 * {@link timmVitFeatures} is the `forward_features` of BDD-1D's
 * `VisionTransformerWithPretrainedWts`: `extraTokens` learnable `prompt_tokens`
 * are appended *after* the patches ([cls, patches, prompts]) and one
 * positional table `pos_embed` (1, 1+N+K, W) covers all of them.
 *
 * @example
 * ```ts
 * const arch = { image: 256, patch: 16, width: 768, depth: 12, heads: 12, mlpDim: 3072, extraTokens: 64 };
 * const seq = g.scope("encoder", () => timmVitFeatures(g, image, arch)); // (B, 321, 768)
 * ```
 * @module
 */
import type { Graph, Value } from "../graph/graph.ts";
import { add, concat, expand, f32, matmul, mul, reshape, softmax, split, transpose } from "../ops/mod.ts";
import { gelu } from "./activations.ts";
import { conv2d } from "./conv.ts";
import { linear } from "./linear.ts";
import { layerNorm } from "./norm.ts";

/** The size of a timm ViT (ViT-B/16: width 768, depth 12, heads 12, mlpDim 3072). */
export interface TimmVitArch {
  /** Square input side. */
  image: number;
  patch: number;
  width: number;
  depth: number;
  heads: number;
  mlpDim: number;
  /** Learned tokens appended after the patches (`prompt_tokens`), 0 for none. */
  extraTokens: number;
}

/** timm's ViT-B/16, the encoder of every released BDD-1D model. */
export const TIMM_VIT_B16 = { patch: 16, width: 768, depth: 12, heads: 12, mlpDim: 3072 } as const;

/** timm's LayerNorm eps in ViTs. */
const EPS = 1e-6;

/** timm `Attention`: fused qkv (W → 3W, bias), per-head softmax(q·kᵀ/√d)·v, `proj`. */
export function timmAttention(g: Graph, x: Value, width: number, heads: number): Value {
  const [b, l] = x.shape;
  const hd = width / heads;
  const qkv = g.scope("qkv", () => linear(g, x, width, 3 * width));
  // timm: reshape(B, L, 3, heads, hd).permute(2, 0, 3, 1, 4) — q, k, v are consecutive W-wide slices.
  const [q, k, v] = split(g, qkv, -1, [width, width, width]).map((t) =>
    transpose(g, reshape(g, t, [b, l, heads, hd]), [0, 2, 1, 3])
  );
  const qs = mul(g, q, g.constant(f32([], [hd ** -0.5]), "scale"));
  const att = softmax(g, matmul(g, qs, transpose(g, k, [0, 1, 3, 2])), -1);
  const ctx = reshape(g, transpose(g, matmul(g, att, v), [0, 2, 1, 3]), [b, l, width]);
  return g.scope("proj", () => linear(g, ctx, width, width));
}

/** timm `Block`: x += attn(norm1(x)); x += mlp(norm2(x)), mlp = fc1 → GELU → fc2. */
export function timmBlock(g: Graph, x: Value, width: number, heads: number, mlpDim: number): Value {
  const h = g.scope("norm1", () => layerNorm(g, x, width, EPS));
  x = add(g, x, g.scope("attn", () => timmAttention(g, h, width, heads)));
  const h2 = g.scope("norm2", () => layerNorm(g, x, width, EPS));
  const m = g.scope("mlp", () => {
    const a = g.scope("fc1", () => linear(g, h2, width, mlpDim));
    return g.scope("fc2", () => linear(g, gelu(g, a), mlpDim, width));
  });
  return add(g, x, m);
}

/** A learned (1, n, W) parameter broadcast over the batch of `like`. */
function batched(g: Graph, p: Value, like: Value): Value {
  const [, n, w] = p.shape as number[];
  return expand(g, p, [like.shape[0], n, w], like);
}

/**
 * Image (B,3,S,S) → the final-norm sequence (B, 1+N+K, W) of [cls, N patches,
 * K prompt tokens]; parameters in the current scope.
 */
export function timmVitFeatures(g: Graph, image: Value, a: TimmVitArch): Value {
  const { width: w, patch: p } = a;
  const B = image.shape[0];
  const n = (a.image / p) ** 2;
  let x = g.scope("patch_embed", () => g.scope("proj", () => conv2d(g, image, 3, w, p, { stride: p })));
  x = transpose(g, reshape(g, x, [B, w, n]), [0, 2, 1]);
  const parts = [batched(g, g.param("cls_token", [1, 1, w]), image), x];
  if (a.extraTokens > 0) parts.push(batched(g, g.param("prompt_tokens", [1, a.extraTokens, w]), image));
  x = add(g, concat(g, parts, 1), g.param("pos_embed", [1, 1 + n + a.extraTokens, w]));
  g.scope("blocks", () => {
    for (let i = 0; i < a.depth; i++) x = g.scope(i, () => timmBlock(g, x, w, a.heads, a.mlpDim));
  });
  return g.scope("norm", () => layerNorm(g, x, w, EPS));
}
