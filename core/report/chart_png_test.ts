import { deepStrictEqual, ok } from "node:assert";
import { decodeImage } from "../data/image.ts";
import { lineChart } from "./chart.ts";
import { svgToPng } from "./chart_png.ts";

const dark = (rgb: Uint8Array) => {
  let n = 0;
  for (let i = 0; i < rgb.length; i += 3) if (rgb[i] + rgb[i + 1] + rgb[i + 2] < 300) n++;
  return n;
};

Deno.test("svgToPng: the chart's size (× scale), text drawn with the bundled font", async () => {
  const svg = lineChart([{ name: "PSNR", points: [[32, 18], [64, 20], [128, 21]] }], {
    xLabel: "tokens per image",
    yLabel: "PSNR (dB)",
  });
  const one = await decodeImage(svgToPng(svg), { name: "chart.png" });
  deepStrictEqual([one.width, one.height], [560, 320]);
  const two = await decodeImage(svgToPng(svg, 2), { name: "chart@2.png" });
  deepStrictEqual([two.width, two.height], [1120, 640]);
  // Text is what the labels add: the same chart with its text elements removed has far fewer dark pixels.
  const bare = await decodeImage(svgToPng(svg.replace(/<text[^>]*>[^<]*<\/text>/g, "")), {
    name: "bare.png",
  });
  const withText = dark(one.data), without = dark(bare.data);
  ok(withText > without + 600, `dark pixels with text ${withText}, without ${without}`);
});
