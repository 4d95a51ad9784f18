/**
 * The numbers of README.md for the tiny ElasticTok: on the held-out clips
 * (make_clips.ts, photos never used in training) read through the video
 * pipeline,
 * - the reconstruction curve at n = 1…64 kept tokens per block (PSNR, SSIM, L1
 *   per frame, averaged per clip, then over clips),
 * - adaptive token counts per block at a few thresholds, split by camera move
 *   (still / pan / zoom) and by detail (standard deviation of the block's
 *   pixels, lower half vs upper half),
 * written to curve.json and curve.html (the PSNR curve as SVG).
 *
 *   deno run -A tests/testdata/elastictok_tiny/evaluate.ts /work/et-clips/heldout [model dir]
 */
import { basename, join } from "node:path";
import { openVideoSource } from "../../../core/data/video_sources.ts";
import { videoClips } from "../../../core/data/video_clips.ts";
import { writeFileAtomic } from "../../../core/fs.ts";
import { evaluateVideos } from "../../../core/metrics/evaluate_video.ts";
import { escapeXml, lineChart } from "../../../core/report/chart.ts";
import { loadTokenizer } from "../../../mod.ts";
import type { Tensor } from "../../../core/tensor.ts";

const HERE = new URL(".", import.meta.url).pathname;

/** Standard deviation of the pixel values of block j of clip i, per channel, averaged (0: flat). */
export function blockDetail(v: Tensor, i: number, j: number, frames = 4): number {
  const [, f, c, h, w] = v.shape;
  const x = v.data as Float32Array;
  let sd = 0;
  for (let ch = 0; ch < c; ch++) {
    let s = 0, s2 = 0, n = 0;
    for (let t = j * frames; t < (j + 1) * frames; t++) {
      const base = ((i * f + t) * c + ch) * h * w;
      for (let k = 0; k < h * w; k++) {
        s += x[base + k];
        s2 += x[base + k] ** 2;
        n++;
      }
    }
    sd += Math.sqrt(Math.max(0, s2 / n - (s / n) ** 2)) / c;
  }
  return sd;
}

async function main(clipsDir: string, modelDir: string) {
  const tok = await loadTokenizer(modelDir, { threads: 1 });
  const nb = tok.info.tokensPerItem / 64;
  const source = () => openVideoSource([clipsDir]).then((s) => s!);
  const ns = Array.from({ length: 64 }, (_, k) => k + 1);
  const e = await evaluateVideos(tok, await source(), {
    points: ns.map((n) => ({ tokens: n * nb, params: { tokensPerBlock: n } })),
    batchSize: 8,
  });
  const curve = e.curve!.map((p) => ({
    n: p.tokensPerImage / nb,
    psnr: p.psnr,
    ssim: p.ssim,
    l1: p.l1,
  }));
  const thresholds = [0.05, 0.1, 0.2];
  const adaptive: Record<string, unknown> = {};
  for (const threshold of thresholds) {
    const rows: { file: string; kind: string; block: number; count: number; detail: number }[] = [];
    const batches = videoClips(await source(), {
      size: tok.info.imageSize,
      frames: 8,
      block: 4,
      batch: 8,
      transform: tok.model.plugin.inputTransform,
    });
    for await (const b of batches) {
      const t = await tok.encodeAdaptive(b.video, { threshold });
      b.sources.forEach((s, i) => {
        const kind = basename(b.files[i]).split("_").at(-1)!.replace(".mp4", "");
        t.blockCounts![i].forEach((count, j) => {
          if ((j + 1) * 4 > b.frames[i]) return; // padding frames
          rows.push({ file: s, kind, block: j, count, detail: blockDetail(b.video, i, j) });
        });
      });
    }
    const mean = (r: typeof rows) => r.reduce((a, x) => a + x.count, 0) / Math.max(1, r.length);
    const byDetail = [...rows].sort((a, b) => a.detail - b.detail);
    const half = Math.floor(byDetail.length / 2);
    adaptive[String(threshold)] = {
      blocks: rows.length,
      mean: mean(rows),
      by_move: Object.fromEntries(["still", "pan", "zoom"].map((k) => [k, mean(rows.filter((r) => r.kind === k))])),
      flat_half: mean(byDetail.slice(0, half)),
      detailed_half: mean(byDetail.slice(half)),
      still_later_blocks: mean(rows.filter((r) => r.kind === "still" && r.block > 0)),
      moving_later_blocks: mean(rows.filter((r) => r.kind !== "still" && r.block > 0)),
    };
  }
  await tok.release();
  const out = { clips: e.clips, frames: e.frames, curve, adaptive };
  writeFileAtomic(join(HERE, "curve.json"), JSON.stringify(out, null, 1) + "\n");
  const svg = lineChart([{ name: "PSNR", points: curve.map((p) => [p.n, p.psnr]) }], {
    xLabel: "kept tokens per block (of 64)",
    yLabel: "PSNR (dB), held-out clips",
  });
  const title = "tiny ElasticTok: reconstruction against kept tokens per block";
  writeFileAtomic(
    join(HERE, "curve.html"),
    `<!doctype html><meta charset="utf-8"><title>${escapeXml(title)}</title><h1>${escapeXml(title)}</h1>\n${svg}\n`,
  );
  console.log(JSON.stringify({ ...out, curve: curve.filter((p) => [1, 2, 4, 8, 16, 32, 48, 64].includes(p.n)) }, null, 1));
}

if (import.meta.main) await main(Deno.args[0] ?? "/work/et-clips/heldout", Deno.args[1] ?? HERE);
