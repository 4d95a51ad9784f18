import { deepStrictEqual, ok } from "node:assert";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeImage } from "../data/image.ts";
import type { Evaluation } from "../metrics/evaluate.ts";
import { evaluationJson, reportContent, writeEvaluationReport } from "./eval_report.ts";

const images = (n: number, v: number) => ({
  dtype: "float32" as const,
  shape: [n, 3, 16, 16],
  data: new Float32Array(n * 3 * 256).fill(v),
});

const evaluation: Evaluation = {
  images: 3,
  tokensPerImage: 64,
  psnr: Infinity,
  ssim: 0.75,
  l1: 0.05,
  perImage: [
    { source: "/data/b.png", psnr: 12.5, ssim: 0.5, l1: 0.2, tokens: 64 },
    { source: "/data/a.png", psnr: Infinity, ssim: 1, l1: 0, tokens: 64 },
  ],
  rfid: { fid: 12.5, meanTerm: 1, traceA: 10, traceB: 11, traceSqrt: 4.75, offset: 0 },
  codebook: {
    vocabulary: 16,
    tokens: 192,
    used: 12,
    usage: 0.75,
    usagePercent: 75,
    entropyBits: 3.2,
    perplexity: 9.2,
  },
  curve: [
    { tokensPerImage: 32, psnr: 18, ssim: 0.6, l1: 0.1, rfid: 20 },
    { tokensPerImage: 64, psnr: Infinity, ssim: 0.75, l1: 0.05, rfid: 12.5 },
  ],
  protocol: {
    fid: "torch-fidelity: …",
    transform: "shorter side → 16",
    reconstruction: "8-bit",
    source: "TiTok",
  },
  samples: { originals: images(3, 0.2), reconstructions: [images(3, 0.4), images(3, 0.6)] },
  seconds: 1.5,
};
const ctx = {
  model: "marvel/tiny",
  family: "marvel",
  variant: "tiny",
  data: "photos/",
  randomWeights: true,
  inception: "random:1",
};

Deno.test("eval report: metrics.json has JSON-safe numbers; rows, notes and grids follow the evaluation", async () => {
  const json = evaluationJson(evaluation, ctx) as {
    metrics: Record<string, unknown>;
    curve: { psnr: unknown }[];
    perImage: unknown[];
  };
  deepStrictEqual([json.metrics.psnr, json.metrics.rfid, json.curve[1].psnr], [null, 12.5, null]);
  const c = await reportContent(evaluation, ctx);
  deepStrictEqual(c.metrics.map(([k]) => k), [
    "rFID",
    "PSNR (dB)",
    "SSIM",
    "L1",
    "tokens per image",
    "codebook usage",
    "codebook entropy (bits)",
    "codebook perplexity",
  ]);
  deepStrictEqual(c.metrics[5][1], "75.00 % (12 of 16 codes)");
  deepStrictEqual(json.perImage, [
    { source: "/data/b.png", psnr: 12.5, ssim: 0.5, l1: 0.2, tokens: 64 },
    { source: "/data/a.png", psnr: null, ssim: 1, l1: 0, tokens: 64 },
  ]);
  deepStrictEqual(c.notes.length, 3); // random tokenizer, random Inception, few images
  // 16-px samples are enlarged 8× to 128-px tiles (3 columns, 2-px padding).
  deepStrictEqual(c.grids.map((g) => [g.file, g.width]), [["grid.png", 128 * 3 + 2 * 4], [
    "grid_tokens.png",
    128 * 3 + 2 * 4,
  ]]);
});

Deno.test("eval report: writes metrics.json, the grids, report.html and curve.png", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tok1d-evalreport-"));
  const paths = await writeEvaluationReport(dir, evaluation, ctx);
  deepStrictEqual(paths.map((p) => p.slice(dir.length + 1)), [
    "metrics.json",
    "grid.png",
    "grid_tokens.png",
    "report.html",
    "curve.png",
  ]);
  ok(paths.every(existsSync));
  // curve.png: the PSNR, SSIM and rFID charts stacked (560 × 3·320), as the HTML shows them.
  const png = await decodeImage(readFileSync(paths[4]), { name: "curve.png" });
  deepStrictEqual([png.width, png.height], [560, 960]);
  deepStrictEqual(JSON.parse(readFileSync(paths[0], "utf8")).metrics.codebook.used, 12);
  const html = readFileSync(paths[3], "utf8");
  ok(html.includes("Quality against token count"));
  ok(html.includes('<table id="per-image">') && html.indexOf("b.png") < html.indexOf("a.png"), "worst first");
});
