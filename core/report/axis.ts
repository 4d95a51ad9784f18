/**
 * Axis arithmetic for the charts: the drawn range (padded, snapped to round
 * ticks, never narrower than a minimum relative span so that a 1e-5 wobble
 * stays a flat line), round tick values on linear and log axes, and tick
 * labels that show as many digits as the tick step needs.
 * @module
 */

/** About `count` round tick values (steps of 1, 2 or 5 × 10^k) inside [lo, hi]. */
export function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const at = (step: number) => {
    const out: number[] = [];
    const first = Math.ceil(lo / step - 1e-9) * step;
    // Index-based (a step below the values' precision would never advance), and bounded.
    for (let i = 0, v = first; v <= hi + step * 1e-9 && i < 50; v = first + ++i * step) {
      out.push(Number(v.toPrecision(12)));
    }
    return [...new Set(out)];
  };
  const step = niceStep((hi - lo) / count);
  const out = at(step);
  // 1-2-5 steps jump by up to 2.5×: too few ticks take the next smaller step.
  return out.length >= Math.max(2, count - 2) ? out : at(smallerStep(step));
}

/** The 1-2-5 step below `step`. */
function smallerStep(step: number): number {
  const mag = 10 ** Math.floor(Math.log10(step) + 1e-9), m = Math.round(step / mag);
  return m === 1 ? mag / 2 : m === 2 ? mag : 2 * mag;
}

/** The smallest of 1, 2, 5, 10 × 10^k that is at least `raw`. */
function niceStep(raw: number): number {
  const mag = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw * (1 - 1e-12))!;
}

/** Ticks of a log axis over [lo, hi] (values, lo > 0): powers of ten, with 2× and 5× when few decades. */
export function logTicks(lo: number, hi: number): number[] {
  if (!(lo > 0 && hi < Infinity)) return [];
  const decades = Math.log10(hi) - Math.log10(lo);
  if (!(decades >= 0.9)) return ticks(lo, hi);
  const mult = decades < 3.5 ? [1, 2, 5] : [1];
  // At most about ten labels: every k-th power of ten over many decades.
  const every = Math.max(1, Math.ceil(decades / 10));
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    if (e % every !== 0) continue;
    for (const m of mult) {
      const v = Number((m * 10 ** e).toPrecision(12));
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
    }
  }
  return out.length >= 2 ? out : ticks(lo, hi);
}

/**
 * The range an axis draws for `values`: padded by 5 %, at least
 * `minRelativeSpan` of the values' magnitude wide (linear) or
 * log10(1 + 10·minRelativeSpan) decades (log), linear ranges snapped to
 * round ticks, and not below zero when no value is. `integer` (x axes of
 * counts) pads a single value by ±1; `minSpan` is an absolute floor on the
 * span (metrics with a known scale: SSIM's 0.01).
 */
export function axisRange(
  values: number[],
  scale: "linear" | "log",
  minRelativeSpan: number,
  integer = false,
  minSpan = 0,
): [number, number] {
  const v = values.filter((x) => Number.isFinite(x) && (scale === "linear" || x > 0));
  if (!v.length) return scale === "log" ? [1, 10] : [0, 1];
  if (scale === "log") {
    // Inside the doubles' normal range, so that 10^a and 10^b stay finite and non-zero.
    let [a, b] = [Math.max(-300, Math.log10(Math.min(...v))), Math.min(300, Math.log10(Math.max(...v)))];
    const minSpan = Math.max(Math.log10(1 + 10 * minRelativeSpan), 1e-9);
    if (b - a < minSpan) [a, b] = [(a + b) / 2 - minSpan / 2, (a + b) / 2 + minSpan / 2];
    const pad = (b - a) * 0.05;
    [a, b] = [Math.max(-300, a - pad), Math.min(300, b + pad)];
    if (b - a < 0.9) return [10 ** a, 10 ** b];
    // Spanning decades: widen to the enclosing ticks, so every value lies between two labels.
    const marks = b - a < 2.5 ? [1, 2, 5] : [1];
    const below = (e: number) =>
      Math.max(...marks.map((m) => m * 10 ** Math.floor(e)).filter((v) => v <= 10 ** e));
    const above = (e: number) =>
      Math.min(
        ...[...marks, 10].map((m) => m * 10 ** Math.floor(e)).filter((v) => v >= 10 ** e * (1 - 1e-12)),
      );
    return [Number(below(a).toPrecision(12)), Number(above(b).toPrecision(12))];
  }
  let [lo, hi] = [Math.min(...v), Math.max(...v)];
  const mid = (lo + hi) / 2;
  const least = Math.max(
    minSpan,
    hi > lo && minRelativeSpan === 0
      ? 0
      : Math.max(Math.abs(mid) * minRelativeSpan, integer || mid === 0 ? 2 : Math.abs(mid) * 1e-9),
  );
  if (hi - lo < least) [lo, hi] = [mid - least / 2, mid + least / 2];
  if (!integer) [lo, hi] = [lo - (hi - lo) * 0.05, hi + (hi - lo) * 0.05];
  const step = niceStep((hi - lo) / 5);
  let [a, b] = [Math.floor(lo / step + 1e-9) * step, Math.ceil(hi / step - 1e-9) * step];
  if (Math.min(...v) >= 0 && a < 0) a = 0;
  if (!(b > a)) b = a + step;
  a = Number(a.toPrecision(12));
  b = Number(b.toPrecision(12));
  return [a, b];
}

/** A tick label with the digits `step` needs: 0.25, 18.5, 1200, 1e-5, 2.5e-7. */
export function formatTick(v: number, step: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v), s = Math.abs(step) || a;
  const decimals = Math.max(0, -Math.floor(Math.log10(s) + 1e-9));
  if (a >= 1e-3 && a < 1e6 && decimals <= 6) return v.toFixed(decimals);
  const digits = Math.min(
    12,
    Math.max(0, Math.floor(Math.log10(a) + 1e-9) - Math.floor(Math.log10(s) + 1e-9)),
  );
  return v.toExponential(digits).replace("e+", "e").replace(/\.?0+e/, "e");
}
