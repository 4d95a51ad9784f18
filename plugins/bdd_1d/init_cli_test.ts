/**
 * `tok1d train --model bdd_1d/tiny --init <file>` from the command line, on
 * small crafted checkpoints of every foundation family in its published
 * layouts (timm DINO, HF MAE with its decoder, HF CLIP vision tower with
 * separate q/k/v, HF DINOv2 and original Depth-Anything v2 with 14×14 kernels):
 * after one step at learning rate 0 every mapped tensor equals its source,
 * positions and prompt tokens are as upstream (zero) or interpolated
 * (`--pos-embed interpolate`), and unused/filled keys are reported on stderr
 * and in `--json`. Shapes that cannot map, bad `--pos-embed` values and
 * families without a mapper exit 2 naming the file, key or flag.
 */
import { deepStrictEqual, ok } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../../cli/_test_run.ts";
import { resamplePosEmbed } from "../../core/weights/pos_embed_resample.ts";
import { readSafetensors, writeSafetensors } from "../../core/weights/safetensors.ts";
import { resamplePatchKernel } from "./patch_resample.ts";
import { cases, MLP, rand, timm, W } from "./_foundation_fixture.ts";
import type { Tensor } from "../../core/tensor.ts";

const PHOTOS = new URL("../../tests/testdata/photos", import.meta.url).pathname;

const equal = (a: Tensor, b: Tensor) =>
  a.data.length === b.data.length && a.data.every((v, i) => v === b.data[i]);

async function train(dir: string, file: string, extra: string[] = []) {
  return await run([
    "train",
    "--model",
    "bdd_1d/tiny",
    "--data",
    PHOTOS,
    "--out",
    join(dir, "run"),
    "--overwrite",
    "--steps",
    "1",
    "--batch-size",
    "1",
    "--lr",
    "0",
    "--warmup",
    "0",
    "--no-perceptual",
    "--threads",
    "2",
    "--init",
    file,
    "--json",
    ...extra,
  ]);
}

Deno.test("train --init: every foundation layout maps tensor for tensor; unused and filled keys reported", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tok1d-bdd-init-"));
  try {
    const all = cases();
    for (const c of all) {
      const file = join(dir, `${c.layout}.safetensors`);
      writeSafetensors(file, c.file);
      const r = await train(dir, file);
      ok(r.code === 0, `${c.name}: ${r.err}`);
      const report = JSON.parse(r.out).init;
      deepStrictEqual(
        [report.layout, report.unused, report.filled],
        [c.layout, c.unused, c.filled ?? []],
        c.name,
      );
      ok(new RegExp(`--init: \\d+ parameters from .*layout ${c.layout}`).test(r.err), `${c.name}: ${r.err}`);
      for (const k of c.unused) ok(r.err.includes(k), `${c.name}: stderr lists ${k}`);
      const params = readSafetensors(join(dir, "run", "checkpoint.safetensors")).tensors;
      const got = (k: string) => params.get(`param.encoder.${k}`)!;
      for (const [k, t] of c.source) {
        if (k.startsWith("head.") || k === "pos_embed") continue;
        const want = k === "patch_embed.proj.weight" && t.shape[2] !== 16
          ? resamplePatchKernel(t, 16, 16)
          : t;
        ok(equal(got(k), want), `${c.name}: encoder.${k} equals its source`);
      }
      ok(
        got("pos_embed").data.every((v) => v === 0) && got("prompt_tokens").data.every((v) => v === 0),
        c.name,
      );
      if (c.filled) ok(got("patch_embed.proj.bias").data.every((v) => v === 0), `${c.name}: zero conv bias`);
      deepStrictEqual(
        report.untouched.encoder,
        undefined,
        `${c.name}: the whole encoder comes from the file`,
      );
      ok(report.untouched.decoder > 0 && report.untouched.quantize === 1, c.name);
    }
    // --pos-embed interpolate: class row kept, patch rows resampled as timm (antialiased bicubic), prompt rows zero.
    const dino = all[0];
    const file = join(dir, "dino.safetensors");
    const r = await train(dir, file, ["--pos-embed", "interpolate"]);
    ok(r.code === 0, r.err);
    const pos = readSafetensors(join(dir, "run", "checkpoint.safetensors")).tensors.get(
      "param.encoder.pos_embed",
    )!;
    const want = resamplePosEmbed(dino.source.get("pos_embed")!, 1, 2, { antialias: true });
    deepStrictEqual(pos.shape, [1, 1 + 4 + 8, W]);
    ok(equal({ ...pos, data: pos.data.slice(0, 5 * W) }, want), "interpolated rows");
    ok(pos.data.slice(5 * W).every((v) => v === 0), "prompt rows zero");
    deepStrictEqual(JSON.parse(r.out).init.posEmbed, "interpolate");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("train --init: shapes that cannot map, a bad --pos-embed and families without a mapper exit 2", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tok1d-bdd-init-bad-"));
  try {
    const wide = timm(16);
    wide.set("blocks.1.mlp.fc1.weight", rand([MLP, W + 16]));
    const file = join(dir, "wide.safetensors");
    writeSafetensors(file, wide);
    let r = await train(dir, file);
    ok(
      r.code === 2 &&
        /--init .*wide\.safetensors: encoder\.blocks\.1\.mlp\.fc1\.weight is \(128, 48\)/.test(r.err),
      r.err,
    );
    const noPatch = new Map([...timm(16)].filter(([k]) => !k.startsWith("patch_embed")));
    writeSafetensors(file, noPatch);
    r = await train(dir, file);
    ok(r.code === 2 && /--init .*wide\.safetensors: .*no patch embedding/.test(r.err), r.err);
    writeSafetensors(file, timm(16));
    r = await train(dir, file, ["--pos-embed", "sideways"]);
    ok(r.code === 2 && /--pos-embed sideways: expected one of as-upstream, interpolate/.test(r.err), r.err);
    r = await run([
      "train",
      "--model",
      "titok/tiny",
      "--data",
      PHOTOS,
      "--out",
      join(dir, "t"),
      "--init",
      file,
      "--steps",
      "1",
    ]);
    ok(r.code === 2 && /--init: the titok family has no initialisation/.test(r.err), r.err);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
