/**
 * `tok1d train` warns — on stderr, in `--json` output and in the library's
 * result — when the warm-up is not shorter than the run, and when training
 * tokens collapse: a tiny FSQ TiTok with upstream's small initialisation maps
 * every photo to the same code, and at a learning rate too small to move it
 * stays there, so both the same-tokens and the low-usage warnings fire.
 */
import { deepStrictEqual, match, ok } from "node:assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../cli/_test_run.ts";
import { trainTokenizer } from "../core/train/train.ts";

const PHOTOS = new URL("./testdata/photos/", import.meta.url).pathname;
const TINY_FSQ = `model:
  vq_model:
    quantize_mode: fsq
    fsq_levels: [5, 5, 5]
    token_size: 3
    vit_enc_model_size: tiny
    vit_dec_model_size: tiny
    vit_enc_patch_size: 8
    vit_dec_patch_size: 8
    num_latent_tokens: 4
    finetune_decoder: false
    is_legacy: false
dataset:
  preprocessing:
    crop_size: 16
`;

Deno.test("train warns when the warm-up is not shorter than the run (CLI: stderr and --json)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tok1d-warn-"));
  try {
    const r = await run([
      "train",
      ...["--model", "titok/tiny_vae", "--data", PHOTOS, "--out", join(dir, "run")],
      ...["--steps", "2", "--warmup", "100", "--batch-size", "2", "--no-perceptual", "--no-gan"],
      ...["--threads", "1", "--json"],
    ]);
    deepStrictEqual(r.code, 0, r.err);
    match(r.err, /warning: --warmup 100 is not shorter than the run \(--steps 2\)/);
    deepStrictEqual(JSON.parse(r.out).warnings.length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("train warns when every image maps to the same tokens and when codebook usage is low", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tok1d-warn-"));
  try {
    const config = join(dir, "tiny_fsq.yaml");
    writeFileSync(config, TINY_FSQ);
    const seen: string[] = [];
    const { warnings } = await trainTokenizer({
      model: config,
      data: PHOTOS,
      out: join(dir, "run"),
      steps: 70,
      batchSize: 4,
      lr: 1e-9,
      endLr: 1e-9,
      warmup: 1,
      perceptual: false,
      gan: false,
      threads: 1,
      quiet: true,
      onWarning: (m) => seen.push(m),
    });
    deepStrictEqual(seen, warnings);
    ok(
      warnings.some((w) => /^step 21: every image of the batch \(4\) maps to the same tokens/.test(w)),
      warnings.join("\n"),
    );
    // 4 images × 4 tokens × 50 judged steps = 800 ids, vocabulary 125: one id of 125 possible.
    ok(
      warnings.some((w) => /^steps 21–70: codebook usage 0\.8 % \(1 distinct ids of 125 possible\)/.test(w)),
      warnings.join("\n"),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
