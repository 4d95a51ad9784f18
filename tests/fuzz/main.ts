/**
 * `deno task fuzz`: thousands of cases per loader (default 5000), each in a
 * watched child process; prints a table (cases, outcomes, untyped errors,
 * hangs, slow and over-memory cases, max time, max peak RSS), then each
 * crafted regression file's outcome, time and peak RSS (`--no-crafted` to
 * skip), and exits 1 if any fuzz case failed.
 *
 *   deno task fuzz [--cases 5000] [--seed 1] [--targets npy,tar] [--json out.json]
 *   deno task fuzz --targets npy --seed 1 --from 417 --cases 1 --save /tmp/cases   # replay one case
 *
 * @module
 */
import { writeFileSync } from "node:fs";
import { fuzzTarget, LIMITS, runCrafted, type Stats } from "./driver.ts";
import { CRAFTED } from "./crafted.ts";
import { TARGETS } from "./targets.ts";

function flag(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
}

/** One markdown table row per target. */
export function table(rows: Stats[]): string {
  const head =
    "| loader | cases | ok | UsageError | untyped | hangs | > 5 s | > RSS | max ms | max RSS MiB |";
  const lines = rows.map((s) =>
    `| ${s.target} | ${s.cases} | ${s.ok} | ${s.usage} | ${s.untyped} | ${s.hangs} | ${s.slow} | ${s.overMemory} | ` +
    `${s.maxMs.toFixed(0)} | ${s.maxRssMiB.toFixed(0)} |`
  );
  return [head, "|" + " --- |".repeat(10), ...lines].join("\n");
}

async function main(args: string[]): Promise<number> {
  const cases = Number(flag(args, "cases", "5000"));
  const seed = Number(flag(args, "seed", "1"));
  const from = Number(flag(args, "from", "0"));
  const names = flag(args, "targets", TARGETS.map((t) => t.name).join(",")).split(",");
  const save = flag(args, "save", "");
  if (save) {
    const cmd = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("./run.ts", import.meta.url).pathname,
        names[0],
        String(seed),
        String(from),
        String(from + cases),
        "--save",
        save,
      ],
    });
    return (await cmd.output()).code;
  }
  const rows: Stats[] = [];
  for (const name of names) {
    const t = performance.now();
    const s = await fuzzTarget(name, { cases, seed, from });
    rows.push(s);
    console.error(
      `${name}: ${s.cases} cases in ${
        ((performance.now() - t) / 1000).toFixed(0)
      } s, ${s.failures.length} failing`,
    );
    for (const f of s.failures.slice(0, 10)) console.error(`  case ${f.case}: ${f.kind} ${f.detail}`);
  }
  console.log(
    `seed ${seed}, cases ${from}..${
      from + cases
    }, limits ${LIMITS.caseMs} ms and ${LIMITS.rssMiB} MiB per case\n`,
  );
  console.log(table(rows));
  const crafted = [];
  if (!args.includes("--no-crafted")) {
    console.log("\n| crafted file | outcome | ms | peak RSS MiB |\n| --- | --- | --- | --- |");
    for (const c of CRAFTED) {
      const r = await runCrafted(c.name);
      crafted.push({ name: c.name, ...r });
      console.log(`| ${c.name} | ${r.kind} | ${r.ms.toFixed(0)} | ${r.rssMiB.toFixed(0)} |`);
    }
  }
  const json = flag(args, "json", "");
  if (json) writeFileSync(json, JSON.stringify({ loaders: rows, crafted }, null, 1));
  return rows.some((s) => s.failures.length) ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
