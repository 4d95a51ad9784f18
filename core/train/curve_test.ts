import assert from "node:assert/strict";
import { deepStrictEqual } from "node:assert";
import { renderCurves } from "./curve.ts";

/** A small seeded PRNG (mulberry32) so every run draws the same cases. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("renderCurves: a tick line that rounds onto the last row stays inside the image (issue 12)", () => {
  // min 10^0.1, max 10^1.105: the tick at 10^0 lands at y = 330 + 300 * 0.1 / 1.005 = 359.85.
  const series = { loss: [[0, 10 ** 0.1], [1, 10 ** 1.105]] as [number, number][] };
  const rgb = renderCurves(series, 640, 360);
  assert.equal(rgb.length, 640 * 360 * 3);
  assert.deepEqual([...rgb.subarray(rgb.length - 3)], [255, 255, 255]);
});

Deno.test("renderCurves: many sizes and values never write past the buffer", () => {
  const r = rng(12);
  const special = [0, -0, 1e-300, 1e300, -1, NaN, Infinity, -Infinity, 1, 10, 0.1, 9.999999, 10.000001];
  for (let c = 0; c < 1500; c++) {
    const width = 1 + Math.floor(r() * 200), height = 1 + Math.floor(r() * 200);
    const scale = r() < 0.5 ? "log" : "linear";
    const series: Record<string, [number, number][]> = {};
    for (let k = 0; k < 1 + Math.floor(r() * 6); k++) {
      const n = Math.floor(r() * 40), spread = 10 ** (r() * 12 - 6);
      series[`s${k}`] = Array.from({ length: n }, (_, i) => {
        const v = r() < 0.1 ? special[Math.floor(r() * special.length)] : (r() - 0.2) * spread;
        return [r() < 0.05 ? i * 1e12 : i, v] as [number, number];
      });
    }
    const rgb = renderCurves(series, width, height, scale);
    assert.equal(rgb.length, width * height * 3, `case ${c}`);
  }
});

Deno.test("curves: a log tick 0.4 px above the panel's bottom edge is clipped (was a RangeError)", () => {
  // log10 range [-0.9013, 0.0987]: the 0.1 tick sits at y = 330 + 0.0987·300 ≈ 359.6 of a 360-pixel panel.
  const rgb = renderCurves({ loss: [[1, 10 ** 0.0987], [2, 10 ** -0.9013]] }, 640, 360);
  deepStrictEqual(rgb.length, 640 * 360 * 3);
});
