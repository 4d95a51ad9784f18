import { deepStrictEqual, ok } from "node:assert";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodePng } from "../data/png.ts";
import { renderReport, type ReportContent } from "./html.ts";

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find(existsSync);
if (!CHROMIUM) {
  console.warn("chromium not found (apt-get install -y chromium): the report rendering test is skipped");
}

/** Loads a page in headless Chromium: the DOM after load, and the console messages (logged to stderr). */
function renderWithConsole(path: string): { dom: string; console: string[] } {
  const profile = mkdtempSync(join(tmpdir(), "tok1d-chromium-"));
  const errFile = join(profile, "stderr.txt");
  const dom = execFileSync("sh", [
    "-c",
    `"$0" --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update ` +
    `--no-first-run --user-data-dir="$1" --enable-logging=stderr --v=0 --virtual-time-budget=5000 ` +
    `--dump-dom "file://$2" 2>"$3"`,
    CHROMIUM!,
    profile,
    path,
    errFile,
  ], { encoding: "utf8", timeout: 120_000 });
  const log = Deno.readTextFileSync(errFile);
  return { dom, console: log.split("\n").filter((l) => l.includes(":CONSOLE")) };
}

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
    writeFileSync(page, renderReport(await content()));
    const { dom, console: messages } = renderWithConsole(page);
    deepStrictEqual(messages, []);
    ok(/<body[^>]*data-images-ok="1"/.test(dom), "the image decoded");
    ok(dom.includes('<table id="metrics">') && dom.includes("12.345"), "metrics table");
    ok(dom.includes("<polyline"), "curve drawn");

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
