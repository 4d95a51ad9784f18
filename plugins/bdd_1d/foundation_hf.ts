/**
 * Hugging Face `transformers` layouts of the foundation encoders → timm's key
 * names (what foundation.ts maps): `ViTModel` / `ViTMAEModel` (DINO
 * `facebook/dino-vitb16`, MAE `facebook/vit-mae-base`, optionally under
 * `vit.`), `Dinov2Model` (`facebook/dinov2-base`, optionally under
 * `dinov2.`), `DepthAnythingForDepthEstimation` (its DINOv2 `backbone.`;
 * `neck.*` and `head.*` stay unmapped) and CLIP's vision tower
 * (`vision_model.*` of `CLIPVisionModel`/`CLIPModel`). Separate q/k/v
 * projections are fused into timm's `qkv` (rows q, then k, then v); keys with
 * no timm counterpart keep their names, so the caller lists them as unused.
 *
 * @example
 * ```ts
 * const timm = fromHfTransformers(loadCheckpoint("dino-vitb16/model.safetensors").tensors);
 * timm.get("blocks.0.attn.qkv.weight"); // (2304, 768)
 * ```
 * @module
 */
import type { Tensor } from "../../core/tensor.ts";

/** Whether a state dict is in a transformers layout (embeddings/encoder.layer or CLIP's vision_model). */
export function isHfTransformers(tensors: Map<string, Tensor>): boolean {
  return [...tensors.keys()].some((k) =>
    /(^|\.)embeddings\.(cls_token|class_embedding|patch_embeddings?)\b/.test(k)
  );
}

/** Per-layer renames (after the `blocks.<i>.` part is split off). */
const LAYER: [RegExp, string][] = [
  [/^(layernorm_before|norm1|layer_norm1)\./, "norm1."],
  [/^(layernorm_after|norm2|layer_norm2)\./, "norm2."],
  [/^(attention\.output\.dense|self_attn\.out_proj)\./, "attn.proj."],
  [/^intermediate\.dense\./, "mlp.fc1."],
  [/^output\.dense\./, "mlp.fc2."],
  [/^mlp\.(fc1|fc2)\./, "mlp.$1."],
  [/^layer_scale1\.lambda1$/, "ls1.gamma"],
  [/^layer_scale2\.lambda1$/, "ls2.gamma"],
];
const QKV = /^(?:attention\.attention\.(query|key|value)|self_attn\.(q|k|v)_proj)\.(weight|bias)$/;

const TOP: [RegExp, string][] = [
  [/^embeddings\.cls_token$/, "cls_token"],
  [/^embeddings\.mask_token$/, "mask_token"],
  [/^embeddings\.position_embeddings$/, "pos_embed"],
  [/^embeddings\.patch_embeddings\.projection\./, "patch_embed.proj."],
  [/^embeddings\.patch_embedding\./, "patch_embed.proj."],
  [/^pre_layrnorm\./, "norm_pre."],
  [/^(layernorm|post_layernorm)\./, "norm."],
];

function concatRows(parts: Tensor[]): Tensor<"float32"> {
  const data = new Float32Array(parts.reduce((n, t) => n + t.data.length, 0));
  let o = 0;
  for (const t of parts) data.set(t.data as Float32Array, o), (o += t.data.length);
  return {
    dtype: "float32",
    shape: [parts.reduce((n, t) => n + t.shape[0], 0), ...parts[0].shape.slice(1)],
    data,
  };
}

/** A transformers state dict → timm names (unknown keys pass through unchanged). */
export function fromHfTransformers(src: Map<string, Tensor>): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  const qkv = new Map<string, Record<string, Tensor>>();
  for (const [key, t] of src) {
    // CLIP: only the vision tower; DINOv2/ViT wrappers and Depth-Anything's backbone are stripped.
    const inner = key.replace(/^(vision_model|vit|dinov2|backbone)\./, "");
    if (
      key.startsWith("text_model.") ||
      inner === key && /^(neck|head|decoder|pooler|visual_projection)\b/.test(key)
    ) {
      out.set(key, t);
      continue;
    }
    if (inner === "embeddings.class_embedding") {
      out.set("cls_token", { ...t, shape: [1, 1, ...t.shape] });
      continue;
    }
    if (inner === "embeddings.position_embedding.weight") {
      out.set("pos_embed", { ...t, shape: [1, ...t.shape] });
      continue;
    }
    const layer = /^encoder\.layers?\.(\d+)\.(.+)$/.exec(inner);
    if (layer) {
      const [, i, rest] = layer;
      const m = QKV.exec(rest);
      if (m) {
        const which = (m[1] ?? m[2])[0]; // q / k / v
        const slot = `blocks.${i}.attn.qkv.${m[3]}`;
        qkv.set(slot, { ...qkv.get(slot), [which]: t });
        continue;
      }
      const rule = LAYER.find(([re]) => re.test(rest));
      out.set(rule ? `blocks.${i}.${rest.replace(rule[0], rule[1])}` : key, t);
      continue;
    }
    const rule = TOP.find(([re]) => re.test(inner));
    out.set(rule ? inner.replace(rule[0], rule[1]) : key, t);
  }
  for (const [slot, parts] of qkv) {
    if (parts.q && parts.k && parts.v) out.set(slot, concatRows([parts.q, parts.k, parts.v]));
    else for (const [w, t] of Object.entries(parts)) out.set(`${slot}.${w}_only`, t);
  }
  return out;
}
