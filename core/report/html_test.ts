import { deepStrictEqual, ok } from "node:assert";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodePng } from "../data/png.ts";
import { CHROMIUM, LAYOUT_PROBE, readLayout, renderWithConsole } from "./_chromium.ts";
import { renderReport, type ReportContent } from "./html.ts";

async function content(): Promise<ReportContent> {
  const rgb = new Uint8Array(16 * 8 * 3).map((_, i) => (i * 37) % 256);
  return {
    title: "tok1d evaluation — marvel/tiny <test>",
    notes: ["The tokenizer ran with RANDOM weights."],
    details: [["images", "4"], ["FID front end", "torch-fidelity: uint8, TF1 bilinear"]],
    metrics: [["rFID", "12.345"], ["PSNR (dB)", "21.000"]],
    curve: [
      { tokensPerImage: 32, psnr: 18.5, ssim: 0.41, rfid: 30.1 },
      { tokensPerImage: 64, psnr: 20.25, ssim: 0.52, rfid: 12.3 },
      { tokensPerImage: 128, psnr: 21.0, ssim: 0.6, rfid: 6.5 },
      { tokensPerImage: 77.5, psnr: 20.5, ssim: 0.55, adaptive: true },
    ],
    grids: [{
      file: "grid.png",
      caption: "originals and reconstructions",
      png: await encodePng(rgb, 16, 8),
      width: 16,
    }],
  };
}

Deno.test("report html: self-contained (no external URL), escapes text, has the curve", async () => {
  const html = renderReport(await content());
  ok(!/(src|href)="(https?:)?\/\//.test(html), "no external resources");
  ok(html.includes("marvel/tiny &lt;test&gt;"), "title escaped");
  deepStrictEqual((html.match(/<svg /g) ?? []).length, 3); // PSNR, SSIM and rFID against token count
  deepStrictEqual((html.match(/<img /g) ?? []).length, 1);
  ok(html.includes('width="64"'), "a 16 px grid is shown 4× enlarged");
});

Deno.test({
  name: "report html: renders in headless Chromium without console errors, every image decoded",
  ignore: !CHROMIUM,
  fn: async () => {
    const dir = mkdtempSync(join(tmpdir(), "tok1d-report-"));
    const page = join(dir, "report.html");
    writeFileSync(
      page,
      renderReport(await content()).replace("</body>", `<script>${LAYOUT_PROBE}</script></body>`),
    );
    const { dom, console: messages } = renderWithConsole(page);
    deepStrictEqual(messages, []);
    ok(/<body[^>]*data-images-ok="1"/.test(dom), "the image decoded");
    ok(dom.includes('<table id="metrics">') && dom.includes("12.345"), "metrics table");
    ok(dom.includes("<polyline"), "curve drawn");
    // The three charts as Chromium laid them out: declared size, every label inside, none overlapping.
    const charts = readLayout(dom);
    deepStrictEqual(charts.map((c) => [c.width, c.height]), [[560, 320], [560, 320], [560, 320]]);
    for (const [i, metric] of ["PSNR", "SSIM", "rFID"].entries()) {
      const texts = charts[i].texts;
      const has = (cls: string, t: string) => texts.some(([c, x]) => c === cls && x === t);
      ok(has("title", `${metric} against tokens`), `${metric}: title`);
      ok(has("axis-label x", "tokens per image"), `${metric}: x label`);
      ok(texts.some(([c, x]) => c === "axis-label y" && x.startsWith(metric)), `${metric}: y label`);
      ok(has("legend", "fixed budget") && has("legend", "adaptive (mean)"), `${metric}: legend`);
      ok(
        texts.filter(([c]) => c === "tick x").length >= 3 &&
          texts.filter(([c]) => c === "tick y").length >= 3,
      );
      deepStrictEqual([charts[i].outside, charts[i].overlap, charts[i].empty], [[], [], []], metric);
    }
    ok(charts[0].texts.some(([c, x]) => c === "tick y" && x === "20"), "PSNR ticks at round values");

    // The detector itself: a report whose image does not decode must show up as a console error.
    const broken = await content();
    broken.grids[0].png = new Uint8Array([1, 2, 3]);
    writeFileSync(page, renderReport(broken));
    const bad = renderWithConsole(page);
    ok(
      bad.console.some((l) => l.includes("failed to decode")),
      `expected a console error, got ${bad.console}`,
    );
    ok(/data-images-ok="0"/.test(bad.dom));
  },
});
