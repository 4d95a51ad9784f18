/**
 * ElasticTok training: the loss (MSE under random tail masks, + KL for the
 * VAE) falls on a fixed batch for both bottlenecks and on clips of two blocks
 * (pans and zooms over a photo); the mask draw covers upstream's range.
 */
import { deepStrictEqual, ok } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildTrainStep } from "../../core/autodiff/train_step.ts";
import { randomWeights, Rng } from "../../core/init.ts";
import type { Tensor } from "../../core/tensor.ts";
import { runTraining } from "../../core/train/runner.ts";
import { decodeImage } from "../../core/data/image.ts";
import { panZoomClip } from "../../core/data/pan_zoom.ts";
import { runGraph } from "../../core/quantizers/_testutil.ts";
import { openTokenizer } from "../../core/tokenizer.ts";
import { elastictok } from "./mod.ts";
import { ELASTIC_ADAMW, elasticLoss } from "./train.ts";

function batch(b: number, s: number): Tensor<"float32"> {
  const n = b * 3 * s * s;
  return {
    dtype: "float32",
    shape: [b, 3, s, s],
    data: Float32Array.from({ length: n }, (_, i) => {
      const x = i % s, y = Math.floor(i / s) % s, item = Math.floor(i / (3 * s * s));
      return 0.5 + 0.35 * Math.sin((x + 3 * item) / 3) * Math.cos((y - item) / 4);
    }),
  };
}

for (const preset of ["tiny_fsq", "tiny_vae"]) {
  Deno.test(`elastictok/${preset} train: the loss falls by more than half in 80 steps on a fixed batch`, async () => {
    const c = elastictok.schema.parse(elastictok.presets[preset]);
    const o = { stage: "single", batch: 4 };
    const step = buildTrainStep(preset, elasticLoss(c, o), () => true, ELASTIC_ADAMW);
    deepStrictEqual(step.draws.map((d) => [d.input.name, d.high]), [["kept_draw", c.max_toks - c.min_toks]]);
    const init = randomWeights([...step.trainable, ...step.frozen], 3);
    const x = batch(4, 16);
    const rng = new Rng(9);
    const noise = step.batchInputs.find((v) => v.name === "noise");
    const out = mkdtempSync(join(tmpdir(), "elastic-train-"));
    try {
      const { log } = await runTraining(
        step,
        init,
        () => {
          const feeds: Record<string, Tensor> = { image: x };
          if (noise) {
            const shape = noise.shape as number[];
            const data = Float32Array.from(
              { length: shape.reduce((a, b) => a * b, 1) },
              () => 0.1 * rng.normal(),
            );
            feeds.noise = { dtype: "float32", shape, data };
          }
          return Promise.resolve(feeds);
        },
        {},
        { steps: 80, lr: 3e-3, endLr: 3e-4, warmup: 4, checkpointEvery: 40, threads: 1, quiet: true, out },
      );
      // Masks differ per step: compare the first step with the mean of the last five.
      const first = log[0].loss, last = log.slice(-5).reduce((a, l) => a + l.loss, 0) / 5;
      ok(last < 0.5 * first, `loss ${first} → ${last}`);
      ok(log.every((l) => Number.isFinite(l.grad_norm)));
      if (noise) {
        ok(log.every((l) => Number.isFinite(l.terms.kl)), `kl logged: ${JSON.stringify(log[0].terms)}`);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
}

Deno.test("elastictok/tiny_fsq video train: clips of 2 blocks under the block-causal mask, loss falls", async () => {
  const c = elastictok.schema.parse({ ...(elastictok.presets.tiny_fsq as object), video_frames: 8 });
  const step = buildTrainStep(
    "video",
    elasticLoss(c, { stage: "single", batch: 2 }),
    () => true,
    ELASTIC_ADAMW,
  );
  // One draw per block of each clip; the clip is the declared data feed.
  deepStrictEqual(step.draws.map((d) => [d.input.name, d.input.shape]), [["kept_draw", [2, 2]]]);
  deepStrictEqual(step.feeds.video, { kind: "images" });
  const img = await decodeImage(new URL("../../tests/testdata/photos/chelsea.png", import.meta.url).pathname);
  const pan = panZoomClip(img, { x: 0, y: 20, w: 160, h: 160 }, { x: 200, y: 60, w: 160, h: 160 }, 8, 16);
  const zoom = panZoomClip(img, { x: 100, y: 0, w: 300, h: 300 }, { x: 200, y: 100, w: 100, h: 100 }, 8, 16);
  const clips: Tensor = {
    dtype: "float32",
    shape: [2, 8, 3, 16, 16],
    data: new Float32Array([...pan.data, ...zoom.data]),
  };
  const out = mkdtempSync(join(tmpdir(), "elastic-video-train-"));
  try {
    const { log } = await runTraining(
      step,
      randomWeights([...step.trainable, ...step.frozen], 5),
      () => Promise.resolve({ video: clips }),
      {},
      { steps: 60, lr: 3e-3, endLr: 3e-4, warmup: 4, checkpointEvery: 60, threads: 1, quiet: true, out },
    );
    const first = log[0].loss, last = log.slice(-5).reduce((a, l) => a + l.loss, 0) / 5;
    ok(last < 0.5 * first, `loss ${first} → ${last}`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

Deno.test("elastictok/tiny_fsq video train: the loss graph's MSE = cached encode → decode at the same counts", async () => {
  const c = elastictok.schema.parse({ ...(elastictok.presets.tiny_fsq as object), video_frames: 8 });
  const tok = await openTokenizer(
    { plugin: elastictok as never, config: c, variant: "tiny_fsq", configSource: "test" },
    // The loss graph below runs on the same weights after the sessions opened.
    { random: true, seed: 4, threads: 1, keepWeights: true },
  );
  try {
    const img = await decodeImage(
      new URL("../../tests/testdata/photos/coffee.png", import.meta.url).pathname,
    );
    const x = panZoomClip(img, { x: 0, y: 0, w: 250, h: 250 }, { x: 150, y: 40, w: 200, h: 200 }, 8, 16);
    const clip: Tensor = { ...x, shape: [1, ...x.shape] };
    for (const n of [6, 16]) {
      const rec = await tok.decode(await tok.encode(clip, { params: { tokensPerBlock: n } }));
      let se = 0;
      for (let i = 0; i < x.data.length; i++) se += 4 * (rec.data[i] as number - x.data[i]) ** 2;
      const draw = n - c.min_toks - 1; // the loss keeps draw + min_toks + 1 (upstream's n+1)
      const got = await runGraph(
        (g) => ({ mse: elasticLoss(c, { stage: "single", batch: 1 })(g).terms.mse }),
        {
          video: clip,
          kept_draw: { dtype: "int64", shape: [1, 2], data: new BigInt64Array([BigInt(draw), BigInt(draw)]) },
        },
        tok.weights,
      );
      const mse = (got.mse.data as Float32Array)[0];
      ok(Math.abs(mse - se / x.data.length) < 1e-5, `n=${n}: graph ${mse}, cached ${se / x.data.length}`);
    }
  } finally {
    await tok.release();
  }
});
