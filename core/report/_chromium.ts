/**
 * Test helper: loads a local HTML page in headless Chromium (Debian's
 * /usr/bin/chromium) and returns the DOM after load plus the page's console
 * messages, so report and chart tests check what a browser really renders.
 * @module
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The Chromium binary, or undefined (the rendering tests are then skipped with a warning). */
export const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find(existsSync);
if (!CHROMIUM) {
  console.warn("chromium not found (apt-get install -y chromium): the rendering tests are skipped");
}

/** Loads `path` in headless Chromium: the DOM after load, and the console messages. */
export function renderWithConsole(path: string): { dom: string; console: string[] } {
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

/**
 * A script for a test page: after load, measures every `<svg>` and its `<text>` boxes and writes a JSON
 * summary into `<pre id="layout">` (read back from the dumped DOM): each chart's rendered size, its texts,
 * and the texts whose box sticks out of the chart or overlaps another text.
 */
export const LAYOUT_PROBE =
  `addEventListener("load",()=>{const out=[...document.querySelectorAll("body > svg, .charts > svg")].map(s=>{` +
  `const r=s.getBoundingClientRect();const ts=[...s.querySelectorAll("text")].map(t=>({t:t.textContent,c:t.getAttribute("class")||"",b:t.getBoundingClientRect()}));` +
  `const outside=ts.filter(x=>x.b.left<r.left-0.5||x.b.right>r.right+0.5||x.b.top<r.top-0.5||x.b.bottom>r.bottom+0.5).map(x=>x.t);` +
  `const overlap=[];for(let i=0;i<ts.length;i++)for(let j=i+1;j<ts.length;j++){const a=ts[i].b,b=ts[j].b;` +
  `if(a.left<b.right-1&&b.left<a.right-1&&a.top<b.bottom-1&&b.top<a.bottom-1)overlap.push(ts[i].t+" / "+ts[j].t)}` +
  `return{width:r.width,height:r.height,texts:ts.map(x=>[x.c,x.t]),outside,overlap,empty:ts.filter(x=>x.b.width===0).map(x=>x.t)}});` +
  `const p=document.createElement("pre");p.id="layout";p.textContent=JSON.stringify(out);document.body.append(p)});`;

/** The summary {@link LAYOUT_PROBE} left in a dumped DOM. */
export function readLayout(dom: string): {
  width: number;
  height: number;
  texts: [string, string][];
  outside: string[];
  overlap: string[];
  empty: string[];
}[] {
  const m = /<pre id="layout">([^<]*)<\/pre>/.exec(dom);
  if (!m) throw new Error("no layout summary in the page");
  const text = m[1].replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(
    /&amp;/g,
    "&",
  );
  return JSON.parse(text);
}
