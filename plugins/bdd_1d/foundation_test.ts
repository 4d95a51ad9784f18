/**
 * Foundation-model key maps (MAE, DINO, CLIP, DINOv2, Depth-Anything v2) onto
 * BDD-1D's ViT, on synthetic checkpoints in each published layout; and the
 * patch-kernel resampling against timm's `resample_patch_embed`
 * (tests/testdata/bdd_1d/README.md).
 */
import { deepStrictEqual, ok, throws } from "node:assert";
import { readNpy } from "../../core/data/npy.ts";
import type { Tensor } from "../../core/tensor.ts";
import { buildGraphs, loadTokenizer } from "../../core/tokenizer.ts";
import { loadCheckpoint } from "../../core/weights/checkpoint.ts";
import { type FoundationLayout, mapFoundationWeights } from "./foundation.ts";
import { bdd1d, loadBdd } from "./mod.ts";
import { resamplePatchKernel } from "./patch_resample.ts";

const DATA = new URL("../../tests/testdata/bdd_1d/", import.meta.url).pathname;
const config = bdd1d.schema.parse(bdd1d.presets["tiny"]);
const TARGET = { image: 32, patch: 16, extraTokens: 8 };
const W = 32, DEPTH = 2;

/** The encoder parameters of the tiny graph, name → shape. */
const encoderParams = new Map(
  [...buildGraphs(bdd1d, config).encoder.params.values()].filter((p) => p.name.startsWith("encoder."))
    .map((p) => [p.name, p.shape]),
);

let seed = 1;
function rand(shape: number[]): Tensor<"float32"> {
  const n = shape.reduce((a, b) => a * b, 1);
  return {
    dtype: "float32",
    shape,
    data: Float32Array.from({ length: n }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647) - 0.5),
  };
}

/** A timm-named ViT state dict of the tiny size, patch `p`, with pretrained positions for a 224-px grid. */
function timmVit(p: number): Map<string, Tensor> {
  const m = new Map<string, Tensor>();
  for (const [k, shape] of encoderParams) {
    const key = k.slice("encoder.".length);
    if (key === "prompt_tokens") continue;
    if (key === "pos_embed") m.set(key, rand([1, 1 + (224 / p) ** 2, W]));
    else if (key === "patch_embed.proj.weight") m.set(key, rand([W, 3, p, p]));
    else m.set(key, rand(shape));
  }
  return m;
}

function checkTarget(out: Map<string, Tensor>) {
  deepStrictEqual([...out.keys()].sort(), [...encoderParams.keys()].sort());
  for (const [k, t] of out) deepStrictEqual(t.shape, encoderParams.get(k), k);
  ok([...out.get("encoder.pos_embed")!.data].every((v) => v === 0), "pos_embed zeroed as upstream");
  ok([...out.get("encoder.prompt_tokens")!.data].every((v) => v === 0), "prompt tokens at their zero init");
}

Deno.test("foundation: MAE and DINO checkpoints (timm names) map key for key; MAE's decoder is dropped", () => {
  for (const layout of ["mae", "dino"] as FoundationLayout[]) {
    const src = timmVit(16);
    if (layout === "mae") {
      src.set("mask_token", rand([1, 1, 16]));
      src.set("decoder_embed.weight", rand([16, W]));
      src.set("decoder_blocks.0.norm1.weight", rand([16]));
    }
    const r = mapFoundationWeights(src, layout, TARGET);
    checkTarget(r.tensors);
    deepStrictEqual(r.missing, []);
    deepStrictEqual(
      r.dropped,
      layout === "mae" ? ["decoder_blocks.0.norm1.weight", "decoder_embed.weight", "mask_token"] : [],
    );
    deepStrictEqual(r.tensors.get("encoder.blocks.1.mlp.fc2.weight"), src.get("blocks.1.mlp.fc2.weight"));
  }
});

Deno.test("foundation: CLIP (OpenAI/OpenCLIP visual.* keys) converts as timm does; ln_pre, proj and text tower dropped", () => {
  const src = new Map<string, Tensor>([
    ["visual.conv1.weight", rand([W, 3, 16, 16])],
    ["visual.class_embedding", rand([W])],
    ["visual.positional_embedding", rand([197, W])],
    ["visual.ln_pre.weight", rand([W])],
    ["visual.ln_pre.bias", rand([W])],
    ["visual.ln_post.weight", rand([W])],
    ["visual.ln_post.bias", rand([W])],
    ["visual.proj", rand([W, 16])],
    ["token_embedding.weight", rand([10, 16])],
    ["transformer.resblocks.0.ln_1.weight", rand([16])],
    ["logit_scale", rand([])],
  ]);
  for (let i = 0; i < DEPTH; i++) {
    const b = `visual.transformer.resblocks.${i}.`;
    for (
      const [k, shape] of [
        ["ln_1.weight", [W]],
        ["ln_1.bias", [W]],
        ["attn.in_proj_weight", [3 * W, W]],
        ["attn.in_proj_bias", [3 * W]],
        ["attn.out_proj.weight", [W, W]],
        ["attn.out_proj.bias", [W]],
        ["ln_2.weight", [W]],
        ["ln_2.bias", [W]],
        ["mlp.c_fc.weight", [4 * W, W]],
        ["mlp.c_fc.bias", [4 * W]],
        ["mlp.c_proj.weight", [W, 4 * W]],
        ["mlp.c_proj.bias", [W]],
      ] as [string, number[]][]
    ) src.set(b + k, rand(shape));
  }
  const r = mapFoundationWeights(src, "clip", TARGET);
  checkTarget(r.tensors);
  deepStrictEqual(r.missing, ["encoder.patch_embed.proj.bias"]);
  deepStrictEqual(r.dropped, [
    "head.weight",
    "logit_scale",
    "norm_pre.bias",
    "norm_pre.weight",
    "token_embedding.weight",
    "transformer.resblocks.0.ln_1.weight",
  ]);
  const t = r.tensors;
  deepStrictEqual(
    t.get("encoder.blocks.1.attn.qkv.weight")!.data,
    src.get("visual.transformer.resblocks.1.attn.in_proj_weight")!.data,
  );
  deepStrictEqual(
    t.get("encoder.blocks.0.norm2.bias")!.data,
    src.get("visual.transformer.resblocks.0.ln_2.bias")!.data,
  );
  deepStrictEqual(t.get("encoder.norm.weight")!.data, src.get("visual.ln_post.weight")!.data);
  deepStrictEqual(t.get("encoder.cls_token")!.data, src.get("visual.class_embedding")!.data);
  ok([...t.get("encoder.patch_embed.proj.bias")!.data].every((v) => v === 0));
});

Deno.test("foundation: DINOv2 and Depth-Anything v2 drop layer scales and mask_token and resample the 14×14 kernel", () => {
  const dinov2 = timmVit(14);
  dinov2.set("mask_token", rand([1, W]));
  for (let i = 0; i < DEPTH; i++) {
    dinov2.set(`blocks.${i}.ls1.gamma`, rand([W]));
    dinov2.set(`blocks.${i}.ls2.gamma`, rand([W]));
  }
  const da = new Map([...dinov2].map(([k, t]) => [`pretrained.${k}`, t]));
  da.set("depth_head.projects.0.weight", rand([4, W, 1, 1]));
  const gammas = ["blocks.0.ls1.gamma", "blocks.0.ls2.gamma", "blocks.1.ls1.gamma", "blocks.1.ls2.gamma"];
  for (
    const [layout, src, dropped] of [
      ["dinov2", dinov2, [...gammas, "mask_token"]],
      ["depth_anything_v2", da, [...gammas, "depth_head.projects.0.weight", "mask_token"]],
    ] as [FoundationLayout, Map<string, Tensor>, string[]][]
  ) {
    const r = mapFoundationWeights(src, layout, TARGET);
    checkTarget(r.tensors);
    deepStrictEqual(r.dropped, dropped);
    deepStrictEqual(
      r.tensors.get("encoder.patch_embed.proj.weight"),
      resamplePatchKernel(dinov2.get("patch_embed.proj.weight")!, 16, 16),
    );
  }
  throws(() => mapFoundationWeights(new Map(), "dino", TARGET), /patch embedding/);
});

Deno.test("foundation: mapped weights load into the tiny model beside a BDD checkpoint's other keys", async () => {
  const mapped = mapFoundationWeights(timmVit(16), "dino", TARGET).tensors;
  const rest = loadBdd(loadCheckpoint(`${DATA}model.ckpt`).tensors, config, () => {});
  for (const [k, t] of mapped) rest.set(k, t);
  const dir = Deno.makeTempDirSync();
  const { writeSafetensors } = await import("../../core/weights/safetensors.ts");
  writeSafetensors(`${dir}/model.safetensors`, rest);
  Deno.copyFileSync(`${DATA}config.yaml`, `${dir}/config.yaml`);
  const tok = await loadTokenizer(dir, { threads: 1 });
  const enc = await tok.encode(readNpy(`${DATA}input.npy`));
  deepStrictEqual(enc.tokens.shape, [4, 1, 8]);
  await tok.release();
});

Deno.test("patch resample: equals timm's resample_patch_embed (14→16 up, 16→8 down)", () => {
  for (const [src, want, size] of [["kernel14", "kernel16", 16], ["kernel16_in", "kernel8", 8]] as const) {
    const got = resamplePatchKernel(readNpy(`${DATA}patch_resample/${src}.npy`), size, size);
    const ref = readNpy(`${DATA}patch_resample/${want}.npy`);
    deepStrictEqual(got.shape, ref.shape);
    let m = 0;
    for (let i = 0; i < ref.data.length; i++) {
      m = Math.max(m, Math.abs(got.data[i] - (ref.data[i] as number)));
    }
    ok(m < 1e-5, `${src} → ${size}: max |diff| ${m}`);
  }
});
