import { deepStrictEqual, ok, throws } from "node:assert";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CodebookUsage } from "./codebook.ts";
import type { EvaluationState } from "./evaluate.ts";
import { loadEvaluationStates, saveEvaluationState } from "./eval_state.ts";
import { FeatureStatistics } from "./fid_stats.ts";
const FEATURE_DIM = 16; // any width: parts carry their own

function part(images: number, seed: number): EvaluationState {
  const stats = () => {
    const s = new FeatureStatistics(FEATURE_DIM);
    const mean = Float64Array.from({ length: FEATURE_DIM }, (_, i) => Math.sin(i + seed));
    const scatter = new Float64Array(FEATURE_DIM * FEATURE_DIM);
    for (let i = 0; i < FEATURE_DIM; i++) scatter[i * FEATURE_DIM + i] = seed;
    s.merge(images, mean, scatter);
    return s;
  };
  const codebook = new CodebookUsage(4);
  codebook.add({ dtype: "int64", shape: [2], data: BigInt64Array.of(BigInt(seed % 4), 3n) });
  return {
    images,
    real: stats(),
    points: [{
      tokensPerImage: 8,
      psnrSum: 20 * images,
      ssimSum: 0.5 * images,
      l1Sum: 0.1 * images,
      fake: stats(),
    }],
    codebook,
    perImage: Array.from({ length: images }, (_, i) => ({
      source: `s${seed}-${i}`,
      psnr: 20,
      ssim: 0.5,
      l1: 0.1,
      tokens: 8,
    })),
  };
}

const sample = { dtype: "float32" as const, shape: [1, 3, 2, 2], data: new Float32Array(12) };

Deno.test("eval state: parts saved and merged equal the in-memory merge; mismatched parts are refused", () => {
  const dir = mkdtempSync(join(tmpdir(), "tok1d-evalstate-"));
  const [a, b] = [part(3, 1), part(5, 2)];
  const meta = { model: "titok/tiny_vq", family: "titok" };
  saveEvaluationState(join(dir, "a"), a, { originals: sample, reconstructions: [sample] }, {
    ...meta,
    shard: "0/2",
  });
  saveEvaluationState(join(dir, "b"), b, { originals: sample, reconstructions: [sample] }, {
    ...meta,
    shard: "1/2",
  });
  const { state } = loadEvaluationStates([join(dir, "a"), join(dir, "b")]);
  deepStrictEqual([state.images, state.points[0].psnrSum, state.points[0].ssimSum], [8, 160, 4]);
  deepStrictEqual([...state.codebook!.counts], [0, 1, 1, 2]);
  deepStrictEqual(state.points[0].l1Sum, 0.1 * 3 + 0.1 * 5);
  deepStrictEqual(state.perImage.map((r) => r.source), [
    "s1-0",
    "s1-1",
    "s1-2",
    "s2-0",
    "s2-1",
    "s2-2",
    "s2-3",
    "s2-4",
  ]);
  const want = new FeatureStatistics(FEATURE_DIM);
  want.merge(a.real!.count, a.real!.mean, a.real!.scatter);
  want.merge(b.real!.count, b.real!.mean, b.real!.scatter);
  deepStrictEqual(state.real!.count, 8);
  ok(state.real!.mean.every((v, i) => Math.abs(v - want.mean[i]) < 1e-15));
  ok(state.real!.scatter.every((v, i) => Math.abs(v - want.scatter[i]) < 1e-12));

  saveEvaluationState(join(dir, "c"), part(2, 3), { originals: sample, reconstructions: [sample] }, {
    ...meta,
    model: "other",
  });
  throws(() => loadEvaluationStates([join(dir, "a"), join(dir, "c")]), /other settings/);
});
