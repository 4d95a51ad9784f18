/**
 * Small crafted foundation checkpoints for the `--init` tests: a tiny ViT
 * (width 32, depth 2, MLP 128) in timm's names, its Hugging Face
 * `transformers` renderings (ViT/ViTMAE, DINOv2, CLIP's vision tower with
 * separate q/k/v) and one case per family layout with the keys the mapper must
 * report as unused or filled.
 * @module
 */
import type { Tensor } from "../../core/tensor.ts";

export const W = 32, DEPTH = 2, MLP = 128;

let seed = 7;
export function rand(shape: number[]): Tensor<"float32"> {
  const n = shape.reduce((a, b) => a * b, 1);
  return {
    dtype: "float32",
    shape,
    data: Float32Array.from({ length: n }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647) - 0.5),
  };
}

/** A tiny ViT in timm names: patch p, a 224-px position table. */
export function timm(p: number): Map<string, Tensor> {
  const m = new Map<string, Tensor>([
    ["cls_token", rand([1, 1, W])],
    ["pos_embed", rand([1, 1 + (224 / p) ** 2, W])],
    ["patch_embed.proj.weight", rand([W, 3, p, p])],
    ["patch_embed.proj.bias", rand([W])],
    ["norm.weight", rand([W])],
    ["norm.bias", rand([W])],
    ["head.weight", rand([10, W])],
    ["head.bias", rand([10])],
  ]);
  for (let i = 0; i < DEPTH; i++) {
    for (
      const [k, s] of [
        ["norm1.weight", [W]],
        ["norm1.bias", [W]],
        ["attn.qkv.weight", [3 * W, W]],
        ["attn.qkv.bias", [3 * W]],
        ["attn.proj.weight", [W, W]],
        ["attn.proj.bias", [W]],
        ["norm2.weight", [W]],
        ["norm2.bias", [W]],
        ["mlp.fc1.weight", [MLP, W]],
        ["mlp.fc1.bias", [MLP]],
        ["mlp.fc2.weight", [W, MLP]],
        ["mlp.fc2.bias", [W]],
      ] as [string, number[]][]
    ) m.set(`blocks.${i}.${k}`, rand(s));
  }
  return m;
}

const rows = (t: Tensor, from: number, to: number): Tensor => {
  const n = t.data.length / t.shape[0];
  return { dtype: "float32", shape: [to - from, ...t.shape.slice(1)], data: t.data.slice(from * n, to * n) };
};

/** timm names → a transformers layout (`hf`: ViT/ViTMAE/DINOv2 names under `root`; `clip`: CLIP's vision tower). */
export function toHf(
  src: Map<string, Tensor>,
  kind: "vit" | "dinov2" | "clip",
  root: string,
): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  const put = (k: string, t: Tensor) => out.set(root + k, t);
  for (const [k, t] of src) {
    const b = /^blocks\.(\d+)\.(.+)$/.exec(k);
    if (!b) {
      if (kind === "clip") {
        if (k === "cls_token") put("embeddings.class_embedding", { ...t, shape: [W] });
        else if (k === "pos_embed") {
          put("embeddings.position_embedding.weight", { ...t, shape: t.shape.slice(1) });
        } else if (k === "patch_embed.proj.weight") put("embeddings.patch_embedding.weight", t);
        else if (k.startsWith("norm.")) put(k.replace("norm.", "post_layernorm."), t);
        else if (k === "head.weight") out.set("visual_projection.weight", t);
        continue; // no conv bias in CLIP
      }
      if (k === "cls_token") put("embeddings.cls_token", t);
      else if (k === "pos_embed") put("embeddings.position_embeddings", t);
      else if (k.startsWith("patch_embed.proj.")) {
        put(k.replace("patch_embed.proj.", "embeddings.patch_embeddings.projection."), t);
      } else if (k.startsWith("norm.")) put(k.replace("norm.", "layernorm."), t);
      continue;
    }
    const [, i, rest] = b;
    const layer = kind === "clip" ? `encoder.layers.${i}.` : `encoder.layer.${i}.`;
    if (rest.startsWith("attn.qkv.")) {
      const w = rest.slice("attn.qkv.".length);
      ["q", "k", "v"].forEach((name, j) => {
        const part = rows(t, j * W, (j + 1) * W);
        const full = { q: "query", k: "key", v: "value" }[name];
        put(
          layer + (kind === "clip" ? `self_attn.${name}_proj.${w}` : `attention.attention.${full}.${w}`),
          part,
        );
      });
      continue;
    }
    const names: Record<string, Record<string, string>> = {
      vit: {
        norm1: "layernorm_before",
        norm2: "layernorm_after",
        "attn.proj": "attention.output.dense",
        "mlp.fc1": "intermediate.dense",
        "mlp.fc2": "output.dense",
      },
      dinov2: {
        norm1: "norm1",
        norm2: "norm2",
        "attn.proj": "attention.output.dense",
        "mlp.fc1": "mlp.fc1",
        "mlp.fc2": "mlp.fc2",
      },
      clip: {
        norm1: "layer_norm1",
        norm2: "layer_norm2",
        "attn.proj": "self_attn.out_proj",
        "mlp.fc1": "mlp.fc1",
        "mlp.fc2": "mlp.fc2",
      },
    };
    const [mod, w] = [rest.slice(0, rest.lastIndexOf(".")), rest.slice(rest.lastIndexOf(".") + 1)];
    put(layer + `${names[kind][mod]}.${w}`, t);
  }
  return out;
}

export interface Case {
  name: string;
  file: Map<string, Tensor>;
  source: Map<string, Tensor>; // timm names of what the file holds
  layout: string;
  unused: string[];
  filled?: string[];
}

export function cases(): Case[] {
  const dino = timm(16);
  const mae = timm(16);
  const maeHf = toHf(mae, "vit", "vit.");
  maeHf.set("decoder.decoder_embed.weight", rand([16, W]));
  maeHf.set("vit.embeddings.mask_token", rand([1, 1, W]));
  const clip = timm(16);
  clip.delete("patch_embed.proj.bias"); // CLIP's conv has none; the mapper fills zeros
  const clipHf = toHf(clip, "clip", "vision_model.");
  clipHf.set("vision_model.pre_layrnorm.weight", rand([W]));
  clipHf.set("text_model.embeddings.token_embedding.weight", rand([8, 16]));
  const dinov2 = timm(14);
  const dinov2Hf = toHf(dinov2, "dinov2", "");
  for (let i = 0; i < DEPTH; i++) dinov2Hf.set(`encoder.layer.${i}.layer_scale1.lambda1`, rand([W]));
  const da = new Map([...timm(14)].map(([k, t]) => [`pretrained.${k}`, t]));
  da.set("depth_head.scratch.output_conv.weight", rand([1, 4, 1, 1]));
  const daSource = new Map(
    [...da].filter(([k]) => k.startsWith("pretrained.")).map(([k, t]) => [k.slice(11), t]),
  );
  return [
    { name: "timm DINO", file: dino, source: dino, layout: "dino", unused: ["head.bias", "head.weight"] },
    {
      name: "HF MAE",
      file: maeHf,
      source: mae,
      layout: "mae",
      unused: ["decoder.decoder_embed.weight", "mask_token"],
    },
    {
      name: "HF CLIP",
      file: clipHf,
      source: clip,
      layout: "clip",
      unused: ["norm_pre.weight", "text_model.embeddings.token_embedding.weight", "visual_projection.weight"],
      filled: ["encoder.patch_embed.proj.bias"],
    },
    {
      name: "HF DINOv2",
      file: dinov2Hf,
      source: dinov2,
      layout: "dinov2",
      unused: ["blocks.0.ls1.gamma", "blocks.1.ls1.gamma", "head.bias", "head.weight"].filter((k) =>
        !k.startsWith("head")
      ),
    },
    {
      name: "Depth-Anything v2",
      file: da,
      source: daSource,
      layout: "depth_anything_v2",
      unused: ["depth_head.scratch.output_conv.weight", "head.bias", "head.weight"],
    },
  ];
}
