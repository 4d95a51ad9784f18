/**
 * The VQ entropy regulariser by hand: two positions over three codes with
 * known distances; and, through vqQuantize's `entropy` option, the same value
 * as `losses.entropy_aux` while `quantizer_loss` is unchanged. (Parity with
 * taming's module in train mode: plugins/bdd_1d/train_test.ts.)
 */
import { ok } from "node:assert";
import { runGraph, scalarOf } from "./_testutil.ts";
import { vqEntropyAux } from "./vq_entropy.ts";
import { vqQuantize } from "./vq.ts";
import { f32 } from "../ops/mod.ts";

const H = (p: number[]) => -p.reduce((s, v) => s + v * Math.log(Math.max(v, 1e-5)), 0);
const softmax = (xs: number[]) => {
  const m = Math.max(...xs), e = xs.map((x) => Math.exp(x - m)), s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

Deno.test("vq entropy: mean per-position entropy − γ·entropy of the mean, from softmax(−d·τ⁻¹)", async () => {
  const d = [[0.01, 0.02, 0.5], [0.3, 0.0, 0.05]];
  const p = d.map((row) => softmax(row.map((v) => -10 * v)));
  const avg = p[0].map((_, j) => (p[0][j] + p[1][j]) / 2);
  const want = (H(p[0]) + H(p[1])) / 2 - 0.5 * H(avg);
  const out = await runGraph(
    (g) => ({
      aux: vqEntropyAux(g, g.input("d", "float32", [2, 3]), { inverseTemperature: 10, gamma: 0.5 }),
    }),
    { d: f32([2, 3], d.flat()) },
    new Map(),
  );
  ok(Math.abs(scalarOf(out.aux) - want) < 1e-6, `${scalarOf(out.aux)} vs ${want}`);
});

Deno.test("vq entropy: vqQuantize's entropy option adds entropy_aux and leaves quantizer_loss alone", async () => {
  const book = f32([3, 2], [0, 0, 1, 0, 0, 2]);
  const z = f32([2, 2], [0.9, 0.1, 0.2, 1.5]);
  const o = { codebookSize: 3, dim: 2, l2norm: false, commitment: 0.25, beta: "codebook" as const };
  const run = (entropy: boolean) =>
    runGraph(
      (g) => {
        const q = vqQuantize(g, g.input("z", "float32", [2, 2]), {
          ...o,
          ...(entropy ? { entropy: { inverseTemperature: 1, gamma: 1 } } : {}),
        });
        return { ...q.losses };
      },
      { z },
      new Map([["embedding.weight", book]]),
    );
  const [plain, withEntropy] = [await run(false), await run(true)];
  ok(plain.entropy_aux === undefined);
  ok(scalarOf(plain.quantizer_loss) === scalarOf(withEntropy.quantizer_loss));
  // distances: (0.9,0.1) → [0.82, 0.02, 4.42]; (0.2,1.5) → [2.29, 2.89, 0.29]
  const p = [[0.82, 0.02, 4.42], [2.29, 2.89, 0.29]].map((r) => softmax(r.map((v) => -v)));
  const avg = p[0].map((_, j) => (p[0][j] + p[1][j]) / 2);
  const want = (H(p[0]) + H(p[1])) / 2 - H(avg);
  ok(
    Math.abs(scalarOf(withEntropy.entropy_aux) - want) < 1e-6,
    `${scalarOf(withEntropy.entropy_aux)} vs ${want}`,
  );
});
