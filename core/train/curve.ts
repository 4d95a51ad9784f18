/**
 * Draws loss curves as a PNG (no plotting library): one polyline per series
 * on a log-scaled y axis (losses) or a linear one (values that change sign,
 * such as discriminator logits), with a frame and tick lines.
 * @module
 */
import { writePng } from "../data/png.ts";

const COLOURS: [number, number, number][] = [[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [
  148,
  103,
  189,
]];

/** How a panel maps values to heights. */
export type CurveScale = "log" | "linear";

/** Renders `series` (name → [step, value][]) into an RGB image. */
export function renderCurves(
  series: Record<string, [number, number][]>,
  width = 640,
  height = 360,
  scale: CurveScale = "log",
): Uint8Array {
  const rgb = new Uint8Array(width * height * 3).fill(255);
  // Round first, then bounds-check the pixel actually written (a y in [height - 0.5, height) rounds to height).
  const set = (x: number, y: number, c: [number, number, number]) => {
    const [ix, iy] = [Math.round(x), Math.round(y)];
    if (!(ix >= 0 && iy >= 0 && ix < width && iy < height)) return;
    rgb.set(c, (iy * width + ix) * 3);
  };
  const plotted = ([, v]: [number, number]) => Number.isFinite(v) && (scale === "linear" || v > 0);
  const fy = scale === "log" ? Math.log10 : (v: number) => v;
  const pts = Object.values(series).flat().filter(plotted);
  if (!pts.length) return rgb;
  const [x0, x1] = [Math.min(...pts.map((p) => p[0])), Math.max(...pts.map((p) => p[0]))];
  const [y0, y1] = [fy(Math.min(...pts.map((p) => p[1]))), fy(Math.max(...pts.map((p) => p[1])))];
  const m = 30;
  const px = (x: number) => m + ((x - x0) / Math.max(1e-9, x1 - x0)) * (width - 2 * m);
  const py = (v: number) => height - m - ((fy(v) - y0) / Math.max(1e-9, y1 - y0)) * (height - 2 * m);
  const grey: [number, number, number] = [200, 200, 200];
  // Tick lines: each power of ten (log), or zero (linear).
  const ticks = scale === "log"
    ? Array.from({ length: Math.ceil(y1) - Math.floor(y0) + 1 }, (_, i) => 10 ** (Math.floor(y0) + i))
    : y0 <= 0 && y1 >= 0
    ? [0]
    : [];
  for (const t of ticks) {
    const y = py(t);
    for (let x = m; x < width - m; x += 2) set(x, y, grey);
  }
  for (let x = m; x <= width - m; x++) [m, height - m].forEach((y) => set(x, y, [0, 0, 0]));
  for (let y = m; y <= height - m; y++) [m, width - m].forEach((x) => set(x, y, [0, 0, 0]));
  Object.values(series).forEach((points, k) => {
    const c = COLOURS[k % COLOURS.length];
    const ok = points.filter(plotted);
    for (let i = 1; i < ok.length; i++) {
      const [ax, ay, bx, by] = [px(ok[i - 1][0]), py(ok[i - 1][1]), px(ok[i][0]), py(ok[i][1])];
      const n = Math.max(1, Math.ceil(Math.hypot(bx - ax, by - ay)));
      for (let t = 0; t <= n; t++) set(ax + ((bx - ax) * t) / n, ay + ((by - ay) * t) / n, c);
    }
    // A legend swatch per series, top right.
    for (let x = 0; x < 14; x++) for (let y = 0; y < 4; y++) set(width - m - 20 + x, m + 6 + 10 * k + y, c);
  });
  return rgb;
}

/**
 * Writes the curves to `path` (atomic); `linear` series, if any, get a
 * second, linear-scaled panel below the first.
 */
export async function writeCurvesPng(
  path: string,
  series: Record<string, [number, number][]>,
  linear: Record<string, [number, number][]> = {},
): Promise<void> {
  const top = renderCurves(series, 640, 360);
  if (!Object.keys(linear).length) return await writePng(path, top, 640, 360);
  const both = new Uint8Array(640 * 720 * 3);
  both.set(top);
  both.set(renderCurves(linear, 640, 360, "linear"), top.length);
  await writePng(path, both, 640, 720);
}
