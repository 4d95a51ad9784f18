import { deepStrictEqual, ok } from "node:assert";
import { escapeXml, lineChart, ticks } from "./chart.ts";

Deno.test("chart: round ticks, escaped labels, one polyline per series", () => {
  deepStrictEqual(ticks(0, 10), [0, 2, 4, 6, 8, 10]);
  deepStrictEqual(ticks(8.1367, 8.1368, 2), [8.1367, 8.13675, 8.1368]);
  deepStrictEqual(ticks(3, 3), [3]);
  deepStrictEqual(escapeXml(`<a & "b">`), "&lt;a &amp; &quot;b&quot;&gt;");
  const svg = lineChart([
    { name: "PSNR <dB>", points: [[32, 18], [64, 20], [128, Infinity]] },
    { name: "SSIM", points: [[32, 0.4], [64, 0.5]] },
  ], { xLabel: "tokens", yLabel: "quality" });
  deepStrictEqual((svg.match(/<polyline/g) ?? []).length, 2);
  deepStrictEqual((svg.match(/<circle/g) ?? []).length, 4); // the non-finite point is left out
  ok(svg.includes("PSNR &lt;dB&gt;") && svg.startsWith("<svg"));
});
