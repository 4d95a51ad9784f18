import { deepStrictEqual, ok } from "node:assert";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CHROMIUM, LAYOUT_PROBE, readLayout, renderWithConsole } from "./_chromium.ts";
import { axisRange, escapeXml, formatTick, lineChart, logTicks, stackCharts, ticks } from "./chart.ts";

/** The y coordinates of the first polyline of `svg`. */
const polylineYs = (svg: string) =>
  /<polyline[^>]*points="([^"]*)"/.exec(svg)![1].split(" ").map((p) => Number(p.split(",")[1]));
const texts = (svg: string, cls: string) =>
  [...svg.matchAll(new RegExp(`class="${cls}"[^>]*>([^<]*)<`, "g"))].map((m) => m[1]);

Deno.test("chart axes: round ticks, labels with the digits the step needs, log ticks", () => {
  deepStrictEqual(ticks(0, 10), [0, 2, 4, 6, 8, 10]);
  deepStrictEqual(ticks(8.1367, 8.1368, 2), [8.1367, 8.13675, 8.1368]);
  deepStrictEqual(ticks(3, 3), [3]);
  deepStrictEqual(ticks(20, 140), [20, 40, 60, 80, 100, 120, 140]); // not just 50, 100
  deepStrictEqual(logTicks(0.01, 1), [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1]);
  deepStrictEqual(logTicks(1e-4, 10), [1e-4, 1e-3, 0.01, 0.1, 1, 10]);
  deepStrictEqual(
    [[0.25, 0.05], [18.5, 0.5], [20, 1], [1200, 100], [1e-5, 1e-6], [2.5e-7, 5e-8], [0, 1], [-0.5, 0.5]].map((
      [v, s],
    ) => formatTick(v, s)),
    ["0.25", "18.5", "20", "1200", "1e-5", "2.5e-7", "0", "-0.5"],
  );
  deepStrictEqual(escapeXml(`<a & "b">`), "&lt;a &amp; &quot;b&quot;&gt;");
});

Deno.test("chart y range: a 1e-5 spread is drawn flat; a real trend fills the panel; non-negative stays ≥ 0", () => {
  const [lo, hi] = axisRange([0.5, 0.50001], "linear", 0.01);
  ok(hi - lo >= 0.005 && lo <= 0.5 && hi >= 0.50001, `range ${lo}..${hi}`);
  const flat = lineChart([{
    name: "loss",
    points: Array.from({ length: 50 }, (_, i) => [i, 0.5 + 1e-5 * Math.sin(i)] as [number, number]),
  }], { xLabel: "step", yLabel: "loss" });
  const ys = polylineYs(flat);
  ok(Math.max(...ys) - Math.min(...ys) < 1, `a 2e-5 wobble spans ${Math.max(...ys) - Math.min(...ys)} px`);
  // The same wobble on a log axis is flat too.
  const flatLog = lineChart([{ name: "loss", points: [[0, 0.5], [1, 0.50001]] }], {
    xLabel: "step",
    yLabel: "loss",
    yScale: "log",
  });
  const yl = polylineYs(flatLog);
  ok(Math.abs(yl[1] - yl[0]) < 1);
  // A real decrease (0.5 → 0.1) spans most of the 256 px panel.
  const trend = polylineYs(
    lineChart([{ name: "loss", points: [[0, 0.5], [1, 0.1]] }], { xLabel: "s", yLabel: "l" }),
  );
  ok(trend[1] - trend[0] > 0.6 * 256, `trend spans ${trend[1] - trend[0]} px`);
  deepStrictEqual(axisRange([0.01, 0.2], "linear", 0.01)[0], 0); // SSIM-like values never get a negative axis
  deepStrictEqual(axisRange([64], "linear", 0, true), [63, 65]); // one token budget: ±1
  // SSIM near 0 with a 2e-5 spread: the absolute floor (0.01) keeps it flat.
  const [s0, s1] = axisRange([0.00902, 0.009], "linear", 0.01, false, 0.01);
  ok(s1 - s0 >= 0.01, `${s0}..${s1}`);
});

Deno.test("chart svg: labels, legend names, one polyline per series, non-finite points left out", () => {
  const svg = lineChart([
    { name: "PSNR <dB>", points: [[32, 18], [64, 20], [128, Infinity]] },
    { name: "SSIM", points: [[32, 0.4], [64, 0.5]] },
  ], { xLabel: "tokens", yLabel: "quality", title: "Quality" });
  deepStrictEqual((svg.match(/<polyline/g) ?? []).length, 2);
  deepStrictEqual((svg.match(/<circle/g) ?? []).length, 4); // the non-finite point is left out
  deepStrictEqual(texts(svg, "legend"), ["PSNR &lt;dB&gt;", "SSIM"]);
  deepStrictEqual(texts(svg, "axis-label x"), ["tokens"]);
  deepStrictEqual(texts(svg, "axis-label y"), ["quality"]);
  deepStrictEqual(texts(svg, "title"), ["Quality"]);
  deepStrictEqual(texts(svg, "tick x"), ["30", "40", "50", "60", "70"]);
  ok(svg.startsWith("<svg") && svg.includes('width="560" height="320"'));
  const log = lineChart([{ name: "loss", points: [[1, 1], [2, 0.01], [3, 0], [4, -1]] }], {
    xLabel: "step",
    yLabel: "loss",
    yScale: "log",
  });
  deepStrictEqual(texts(log, "tick y"), ["0.005", "0.01", "0.02", "0.05", "0.1", "0.2", "0.5", "1", "2"]);
  deepStrictEqual(texts(log, "axis-label y"), ["loss (log scale)"]);
  const two = stackCharts([svg, log]);
  ok(two.includes('width="560" height="640"') && two.includes('<svg x="0" y="320"'));
});

Deno.test({
  name: "chart svg: Chromium lays out every label inside the chart, none overlapping",
  ignore: !CHROMIUM,
  fn: () => {
    const dir = mkdtempSync(join(tmpdir(), "tok1d-chart-"));
    const page = join(dir, "chart.html");
    const steps = Array.from({ length: 400 }, (_, i) => i + 1);
    const charts = [
      lineChart([
        { name: "loss", points: steps.map((s) => [s, 2 * Math.exp(-s / 50) + 1e-3]) },
        { name: "perceptual", points: steps.map((s) => [s, 0.7 * Math.exp(-s / 70) + 2e-4]) },
      ], { xLabel: "step", yLabel: "loss", yScale: "log", title: "training loss", width: 720, height: 380 }),
      lineChart([{ name: "rFID", points: [[32, 123456.5], [64, 0.000123]] }], {
        xLabel: "tokens per image",
        yLabel: "rFID",
      }),
    ];
    writeFileSync(
      page,
      `<!doctype html><html><body style="margin:0">${charts.join("")}<script>${LAYOUT_PROBE}</script>`,
    );
    const { dom, console: messages } = renderWithConsole(page);
    deepStrictEqual(messages, []);
    const layout = readLayout(dom);
    deepStrictEqual(layout.map((c) => [c.width, c.height]), [[720, 380], [560, 320]]);
    for (const c of layout) deepStrictEqual([c.outside, c.overlap, c.empty], [[], [], []]);
    const has = (i: number, cls: string, t: string) => layout[i].texts.some(([c, x]) => c === cls && x === t);
    ok(has(0, "legend", "loss") && has(0, "legend", "perceptual") && has(0, "axis-label x", "step"));
    ok(has(0, "tick y", "0.001") && has(0, "tick y", "1"), JSON.stringify(layout[0].texts));
    ok(has(1, "axis-label y", "rFID") && has(1, "legend", "rFID"));
  },
});
