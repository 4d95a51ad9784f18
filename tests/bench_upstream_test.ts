/**
 * `deno task bench:upstream` (bench/upstream.ts): help, bad flags, a missing
 * torch asked for, and a quick tok1d-only run whose table and JSON have one
 * row per (model, batch, phase) with measured figures.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { summarize, table, TABLE_HEADER } from "../bench/_upstream_report.ts";

const SCRIPT = new URL("../bench/upstream.ts", import.meta.url).pathname;

async function bench(args: string[]) {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SCRIPT, ...args],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  return { code: r.code, out: new TextDecoder().decode(r.stdout), err: new TextDecoder().decode(r.stderr) };
}

Deno.test("bench:upstream --help prints the flags and exits 0; compare.ts --help too", async () => {
  const r = await bench(["--help"]);
  strictEqual(r.code, 0, r.err);
  for (const flag of ["--models", "--batches", "--rounds", "--families", "--no-torch", "--json", "--quick"]) {
    ok(r.out.includes(flag), `help lacks ${flag}`);
  }
  const c = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../bench/compare.ts", import.meta.url).pathname, "--help"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  strictEqual(c.code, 0, new TextDecoder().decode(c.stderr));
  ok(new TextDecoder().decode(c.stdout).includes("--torch-env"));
});

Deno.test("bench:upstream: bad input exits 2 naming the flag, before any work", async () => {
  for (
    const [args, needle] of [
      [["--bogus"], "--bogus"],
      [["--models", "s999"], "s999"],
      [["--rounds", "0"], "--rounds"],
      [["--families", "titok,vqgan"], "vqgan"],
      [["--torch", "on", "--python", "/nonexistent/python3"], "python3"],
    ] as const
  ) {
    const r = await bench([...args]);
    strictEqual(r.code, 2, `${args.join(" ")}: ${r.err}`);
    ok(r.err.includes(needle), `${args.join(" ")}: ${r.err}`);
    strictEqual(r.out, "");
  }
});

Deno.test("bench:upstream --quick --no-torch: one table row per (model, batch, phase) with tok1d's figures", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tok1d-bench-upstream-"));
  try {
    const json = join(dir, "out.json");
    const r = await bench(["--quick", "--no-torch", "--dir", dir, "--json", json]);
    strictEqual(r.code, 0, r.err);
    const lines = r.out.split("\n").filter((l) => l.startsWith("|"));
    const cells = (l: string) => l.split("|").slice(1, -1).map((c) => c.trim());
    deepStrictEqual(cells(lines[0]), [...TABLE_HEADER]);
    const rows = lines.slice(2).map(cells);
    deepStrictEqual(rows.map((c) => c.slice(0, 3)), [
      ["tiny", "1", "encode"],
      ["tiny", "1", "decode"],
      ["tiny", "4", "encode"],
      ["tiny", "4", "decode"],
    ]);
    for (const c of rows) {
      strictEqual(c[3], "—"); // no upstream side
      ok(Number(c[4]) > 0, `tok1d seconds ${c[4]}`);
      strictEqual(c[5], "—");
      ok(/^— \/ \d+$/.test(c[6]) && Number(c[6].split("/ ")[1]) > 50, `peak RSS ${c[6]}`);
      ok(/^— \/ [\d.]+$/.test(c[8]) && Number(c[8].split("/ ")[1]) > 0, `CPU ${c[8]}`);
    }
    const report = JSON.parse(readFileSync(json, "utf8"));
    strictEqual(report.rows.length, 4);
    deepStrictEqual(report.torch, { missing: "off" });
    for (const row of report.rows) {
      ok(Number.isFinite(row.tok1dSeconds) && row.tok1dSeconds > 0);
      ok(row.tok1dLoadSeconds > 0 && row.tok1dPeakMiB > 50 && row.tok1dCpuSeconds > 0);
      strictEqual(row.ratio, undefined);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("bench:upstream summary: medians per side, paired ratios with their min and max", () => {
  const run = (encode: number, decode: number, load = 1, peakMiB = 100) => ({
    encode,
    decode,
    load,
    peakMiB,
  });
  const [enc, dec] = summarize([{
    model: "s128",
    batch: 4,
    tok1d: [run(1, 4, 2, 900), run(2, 5, 3, 1000), run(1, 6, 4, 1100)],
    upstream: [run(1.5, 8), run(2, 5), run(3, 9, 5, 1500)],
  }]);
  deepStrictEqual(
    [enc.tok1dSeconds, enc.upstreamSeconds, enc.ratio, enc.tok1dPeakMiB, enc.tok1dLoadSeconds, enc.rounds],
    [1, 2, { median: 1.5, min: 1, max: 3 }, 1000, 3, 3],
  );
  deepStrictEqual([dec.phase, dec.tok1dSeconds, dec.upstreamSeconds, dec.ratio], [
    "decode",
    5,
    8,
    { median: 1.5, min: 1, max: 2 },
  ]);
  ok(table([enc, dec]).includes("| 1.50× (1.00–3.00)"));
});
