import { deepStrictEqual, ok } from "node:assert";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeImage } from "../data/image.ts";
import { curvesSvg, writeCurvesPng } from "./curve.ts";

const steps = Array.from({ length: 200 }, (_, i) => i + 1);
const losses = {
  loss: steps.map((s) => [s, 0.8 * Math.exp(-s / 40) + 0.02] as [number, number]),
  l2: steps.map((s) => [s, 0.5 * Math.exp(-s / 40) + 0.01] as [number, number]),
};
const signed = { gan: steps.filter((s) => s > 100).map((s) => [s, Math.sin(s / 9)] as [number, number]) };
const legend = (svg: string) => [...svg.matchAll(/class="legend"[^>]*>([^<]*)</g)].map((m) => m[1]);

Deno.test("loss.png: one panel (log) or two (signed terms, linear), legends named, axes labelled", () => {
  const one = curvesSvg(losses);
  deepStrictEqual(legend(one), ["loss", "l2"]);
  ok(one.includes(">step</text>") && one.includes(">loss (log scale)</text>"));
  const two = curvesSvg(losses, signed);
  deepStrictEqual(legend(two), ["loss", "l2", "gan"]);
  ok(two.includes('width="720" height="700"') && two.includes(">adversarial terms</text>"));
  // A loss that reaches 0 cannot go on a log axis: that panel turns linear.
  ok(!curvesSvg({ loss: [[1, 1], [2, 0]] }).includes("log scale"));
});

Deno.test("loss.png: rasterised at the chart's size, with curve colours and dark text pixels", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tok1d-curve-"));
  const path = join(dir, "loss.png");
  writeCurvesPng(path, losses, signed);
  const img = await decodeImage(readFileSync(path), { name: "loss.png" });
  deepStrictEqual([img.width, img.height], [720, 700]);
  const px = (
    x: number,
    y: number,
  ) => [...img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3)];
  let blue = 0, red = 0, dark = 0, darkLeft = 0, white = 0;
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const [r, g, b] = px(x, y);
      if (r > 250 && g > 250 && b > 250) white++;
      if (b > 150 && r < 80 && g < 150) blue++; // #1f77b4, the first series
      if (r > 180 && g < 80 && b < 80) red++; // #d62728, the second
      if (r < 90 && g < 90 && b < 90) {
        dark++;
        if (x < 30) darkLeft++; // the rotated y-axis label
      }
    }
  }
  const n = img.width * img.height;
  ok(white > 0.7 * n && white < 0.99 * n, `white ${white / n}`);
  ok(blue > 300 && red > 300, `series pixels: blue ${blue}, red ${red}`);
  ok(dark > 2000 && darkLeft > 50, `text and frame pixels: ${dark}, left label ${darkLeft}`);
});

Deno.test("loss.png: degenerate values (NaN, ±Infinity, 0, negatives, 1e300, no points) still render", () => {
  const dir = mkdtempSync(join(tmpdir(), "tok1d-curve-"));
  const cases: Record<string, [number, number][]>[] = [
    { loss: [] },
    { loss: [[1, NaN], [2, Infinity], [3, -Infinity]] },
    { loss: [[1, 0], [2, -1]] },
    { loss: [[1, 1e300], [2, 1e-300]] },
    { loss: [[5, 0.3]] },
    { loss: [[1, 0.5], [1e12, 0.5]] },
  ];
  for (const [i, c] of cases.entries()) {
    const path = join(dir, `c${i}.png`);
    writeCurvesPng(path, c, { "d.loss": [[1, -0], [2, 0]] });
    const bytes = readFileSync(path);
    deepStrictEqual(
      [...bytes.subarray(1, 4)].map((b) => String.fromCharCode(b)).join(""),
      "PNG",
      `case ${i}`,
    );
    ok(!curvesSvg(c).includes("NaN"), `case ${i}: no NaN coordinates`);
  }
});
