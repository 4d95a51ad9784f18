/**
 * BDD-1D's un-initialised encoder (`pretrained: False`,
 * `taming.modules.diffusionmodules.model_vit.EncoderVIT`), upstream's
 * "un-initialised" baseline: Conv k=s=patch patch embedding + a learnable
 * (sin-cos initialised) positional table `en_pos_embedding` added *before*
 * the class token is prepended (the class token has no position); K learned
 * `latent_tokens` + `latent_token_positional_embedding` appended; a
 * vit-pytorch style Transformer — pre-norm (LayerNorm eps 1e-5), attention
 * with `heads × dim_head` inner width and a bias-free `to_qkv`, a FeedForward
 * with **Tanh**, final `transformer.norm`; the K latent rows reshaped
 * (B,K,W) → (B,W,K,1) *without* a transpose (the legacy TiTok reshape), then
 * 1×1 `conv_out` W→C → (B,C,1,K). Parameter names are upstream's.
 * @module
 */
import type { Graph, Value } from "../../core/graph/graph.ts";
import {
  add,
  concat,
  expand,
  f32,
  matmul,
  mul,
  reshape,
  slice,
  softmax,
  split,
  tanh,
  transpose,
} from "../../core/ops/mod.ts";
import { conv2d } from "../../core/nn/conv.ts";
import { linear } from "../../core/nn/linear.ts";
import { layerNorm } from "../../core/nn/norm.ts";

/** The scratch encoder's size. */
export interface ScratchEncoderArch {
  image: number;
  patch: number;
  width: number;
  depth: number;
  heads: number;
  dimHead: number;
  mlpDim: number;
  numTokens: number;
  tokenDim: number;
}

/** vit-pytorch `Attention`: to_qkv (no bias) → heads × dim_head → softmax(q·kᵀ·dim_head^−½)·v → to_out. */
function attention(g: Graph, x: Value, a: ScratchEncoderArch): Value {
  const [b, l] = x.shape;
  const inner = a.heads * a.dimHead;
  const qkv = g.scope("to_qkv", () => linear(g, x, a.width, 3 * inner, false));
  const [q, k, v] = split(g, qkv, -1, [inner, inner, inner]).map((t) =>
    transpose(g, reshape(g, t, [b, l, a.heads, a.dimHead]), [0, 2, 1, 3])
  );
  const logits = mul(
    g,
    matmul(g, q, transpose(g, k, [0, 1, 3, 2])),
    g.constant(f32([], [a.dimHead ** -0.5]), "scale"),
  );
  const out = reshape(g, transpose(g, matmul(g, softmax(g, logits, -1), v), [0, 2, 1, 3]), [b, l, inner]);
  // upstream skips to_out only when heads == 1 and dim_head == width.
  if (a.heads === 1 && a.dimHead === a.width) return out;
  return g.scope("to_out", () => linear(g, out, inner, a.width));
}

/** x += attn(LN(x)); x += FF(LN(x)) per layer (`transformer.layers.{i}.{0,1}`), then `transformer.norm`. */
function transformer(g: Graph, x: Value, a: ScratchEncoderArch): Value {
  return g.scope("transformer", () => {
    g.scope("layers", () => {
      for (let i = 0; i < a.depth; i++) {
        g.scope(i, () => {
          x = add(
            g,
            g.scope(0, () => {
              const h = g.scope("norm", () => layerNorm(g, x, a.width));
              return g.scope("fn", () => attention(g, h, a));
            }),
            x,
          );
          x = add(
            g,
            g.scope(1, () => {
              const h = g.scope("norm", () => layerNorm(g, x, a.width));
              return g.scope("fn", () =>
                g.scope("net", () => {
                  const u = tanh(g, g.scope(0, () => linear(g, h, a.width, a.mlpDim)));
                  return g.scope(2, () => linear(g, u, a.mlpDim, a.width));
                }));
            }),
            x,
          );
        });
      }
    });
    return g.scope("norm", () => layerNorm(g, x, a.width));
  });
}

/** Image (B,3,S,S) in [−1,1] → latent (B,C,1,K); parameters in the current scope (`encoder`). */
export function scratchEncoder(g: Graph, x: Value, a: ScratchEncoderArch): Value {
  const B = x.shape[0];
  const w = a.width, n = (a.image / a.patch) ** 2, k = a.numTokens;
  let h = g.scope(
    "to_patch_embedding",
    () => g.scope(0, () => conv2d(g, x, 3, w, a.patch, { stride: a.patch })),
  );
  h = add(g, transpose(g, reshape(g, h, [B, w, n]), [0, 2, 1]), g.param("en_pos_embedding", [1, n, w]));
  const cls = expand(g, reshape(g, g.param("class_embedding", [1, w]), [1, 1, w]), [B, 1, w], x);
  const lat = add(g, g.param("latent_tokens", [k, w]), g.param("latent_token_positional_embedding", [k, w]));
  h = concat(g, [cls, h, expand(g, reshape(g, lat, [1, k, w]), [B, k, w], x)], 1);
  h = slice(g, transformer(g, h, a), 1, 1 + n, 1 + n + k);
  // Upstream reshapes (B,K,W) to (B,W,K,1) without transposing: kept.
  const z = g.scope("conv_out", () => conv2d(g, reshape(g, h, [B, w, k, 1]), w, a.tokenDim, 1));
  return reshape(g, z, [B, a.tokenDim, 1, k]);
}
