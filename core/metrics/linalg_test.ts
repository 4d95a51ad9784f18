import { ok } from "node:assert";
import { Rng } from "../init.ts";
import { eye, Float64Kernels, type Matrix } from "./linalg.ts";

const rng = new Rng(3);
const random = (rows: number, cols: number): Matrix => ({
  rows,
  cols,
  data: Float64Array.from({ length: rows * cols }, () => rng.normal()),
});
const at = (m: Matrix, i: number, j: number) => m.data[i * m.cols + j];
/** (A − V Wᵀ − W Vᵀ)[i][j] with [V W] and [W V] given side by side. */
const lowRank = (a: Matrix, vw: Matrix, wv: Matrix, i: number, j: number) => {
  let s = at(a, i, j);
  for (let c = 0; c < vw.cols; c++) s -= at(vw, i, c) * at(wv, j, c);
  return s;
};
const close = (a: number, b: number, what: string) =>
  ok(Math.abs(a - b) < 1e-12 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

Deno.test("linalg: products, Schur rows and the low-rank kernels equal plain loops", async () => {
  const la = new Float64Kernels({ threads: 1 });
  const a = random(6, 6), b = random(6, 3);
  const ab = await la.product(a, b), atb = await la.product(a, b, true);
  for (let i = 0; i < 6; i++) {
    for (let j = 0; j < 3; j++) {
      let s = 0, t = 0;
      for (let k = 0; k < 6; k++) (s += at(a, i, k) * at(b, k, j)), (t += at(a, k, i) * at(b, k, j));
      close(at(ab, i, j), s, `AB[${i}][${j}]`);
      close(at(atb, i, j), t, `AᵀB[${i}][${j}]`);
    }
  }
  close(at(await la.product(a, eye(6)), 4, 5), at(a, 4, 5), "A·I");
  const lsl = await la.sandwich(b, a); // Bᵀ A B, 3 × 3
  let want = 0;
  for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) want += at(b, i, 2) * at(a, i, j) * at(b, j, 1);
  close(at(lsl, 2, 1), want, "LᵀSL");

  const keep = [4, 1], lRows = random(2, 2), lAll = random(6, 2);
  const sch = await la.schur(a, keep, lRows, lAll);
  for (const [r, i] of keep.entries()) {
    for (let j = 0; j < 6; j++) {
      close(
        at(sch, r, j),
        at(a, i, j) - at(lRows, r, 0) * at(lAll, j, 0) - at(lRows, r, 1) * at(lAll, j, 1),
        "schur",
      );
    }
  }

  const vw = random(6, 4), wv = random(6, 4);
  const cols = await la.lowRankColumns(a, vw, wv, [5, 2]);
  for (let i = 0; i < 6; i++) close(at(cols, i, 1), lowRank(a, vw, wv, i, 2), `columns[${i}]`);
  const upd = await la.lowRankUpdate(a, vw, wv, 2);
  ok(upd.rows === 4 && upd.cols === 4);
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 4; j++) close(at(upd, i, j), lowRank(a, vw, wv, i + 2, j + 2), "update");
  }

  // panelUpdate: X − ½ Y (Tᵀ Yᵀ X) with X = (A − [V W][W V]ᵀ) Y T.
  const y = random(6, 2), t = random(2, 2);
  const got = await la.panelUpdate(a, vw, wv, y, t);
  const z = [0, 1, 2, 3, 4, 5].map((i) =>
    [0, 1].map((j) => at(y, i, 0) * at(t, 0, j) + at(y, i, 1) * at(t, 1, j))
  );
  const x = [0, 1, 2, 3, 4, 5].map((i) =>
    [0, 1].map((j) => z.reduce((s, zr, k) => s + lowRank(a, vw, wv, i, k) * zr[j], 0))
  );
  const ytx = [0, 1].map((p) => [0, 1].map((j) => x.reduce((s, xr, i) => s + at(y, i, p) * xr[j], 0)));
  const c = [0, 1].map((p) => [0, 1].map((j) => at(t, 0, p) * ytx[0][j] + at(t, 1, p) * ytx[1][j]));
  for (let i = 0; i < 6; i++) {
    for (let j = 0; j < 2; j++) {
      close(at(got, i, j), x[i][j] - 0.5 * (at(y, i, 0) * c[0][j] + at(y, i, 1) * c[1][j]), "panel");
    }
  }
  await la.release();
});
