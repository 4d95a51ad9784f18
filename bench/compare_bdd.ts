/**
 * tok1d (ONNX Runtime) vs PyTorch eager (bench/torch_bdd.py, Debian's torch) on BDD-1D (issue 14): encode
 * (image → ids) and decode (ids → image) at full size, same random weights, same images, same threads.
 *
 *   deno run -A bench/compare_bdd.ts [--model k64] [--batch 4] [--threads 2] [--rounds 3] [--spinning default|on|off|<µs>]
 *     [--python /usr/bin/python3] [--torch-env tuned|installed] [--profile] [--json out.json] [--keep dir]
 *
 * (a) Loads `bdd_1d/<model>` with seeded random weights; biases and norm parameters get seeded noise
 * (the initialiser's exact 0 and 1 would hide a misplaced bias) and the codebook rows are L2-normalised
 * (what loading a checkpoint does); writes them with writeSafetensors for torch, plus the sizes (arch.json).
 * (b) Parity: the same images through both: ids equal, decoded images within float32 noise.
 * (c) Timing, `--rounds` rounds alternating which side goes first: tok1d in-process (encode, decode from
 * ids; sessions opened and run once before), torch in a fresh process (one untimed call, then one timed).
 * The table has the median over rounds (min–max), the ratio of medians and the paired ratio (median of
 * the rounds' own ratios). (d) `--profile`: ORT kernel time of the two graphs by op type and by module.
 * @module
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { readNpy, writeNpy } from "../core/data/npy.ts";
import { Session } from "../core/runtime/session.ts";
import type { Tensor } from "../core/tensor.ts";
import { loadTokenizer } from "../core/tokenizer.ts";
import { writeSafetensors } from "../core/weights/safetensors.ts";
import type { BddConfig } from "../plugins/bdd_1d/config.ts";
import { dims, normaliseCodebook } from "../plugins/bdd_1d/model.ts";
import { median, randomImages, Rng, timeCalls } from "./_titok_util.ts";
import { torchEnvironment } from "./_torch_env.ts";
import { benchArgs } from "./_cli.ts";
import { kernelEvents } from "./profile_train.ts";
import { parseSpinning } from "./_spinning.ts";

const USAGE = `tok1d (ONNX Runtime) vs PyTorch eager (bench/torch_bdd.py) on BDD-1D encode and decode.

  deno run -A bench/compare_bdd.ts [--model k64] [--batch 4] [--threads 2] [--rounds 3] [--spinning default|on|off|<µs>]
    [--python /usr/bin/python3] [--torch-env tuned|installed] [--profile] [--json out.json] [--keep dir]

See bench/README.md; all TiTok/ALIT/BDD comparisons: deno task bench:upstream --help.`;
const args = benchArgs(USAGE, {
  model: { type: "string", default: "k64" },
  batch: { type: "string", default: "4" },
  threads: { type: "string", default: "2" },
  rounds: { type: "string", default: "3" },
  python: { type: "string", default: "/usr/bin/python3" },
  "torch-env": { type: "string", default: "tuned" },
  spinning: { type: "string", default: "default" },
  profile: { type: "boolean", default: false },
  json: { type: "string" },
  keep: { type: "string" },
});
const batch = Number(args.batch), threads = Number(args.threads), rounds = Number(args.rounds);
const spinning = parseSpinning(args.spinning);
const TORCH = new URL("./torch_bdd.py", import.meta.url).pathname;
const { env: torchEnv, tunedVars } = torchEnvironment(args["torch-env"]);
const fmt = (x: number) => x.toFixed(2);
const range = (xs: number[]) => `${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`;

function torch(extra: string[]): Record<string, unknown> {
  const out = execFileSync(args.python, [TORCH, "--threads", String(threads), ...extra], {
    env: torchEnv,
    encoding: "utf8",
    maxBuffer: 1 << 24,
  });
  return JSON.parse(out.trim().split("\n").pop()!);
}

const root = args.keep ?? Deno.makeTempDirSync({ prefix: "tok1d-compare-bdd-" });
mkdirSync(root, { recursive: true });
const report: Record<string, unknown> = {
  model: `bdd_1d/${args.model}`,
  batch,
  threads,
  spinning: args.spinning,
};
try {
  const tok = await loadTokenizer(`bdd_1d/${args.model}`, {
    random: true,
    seed: 0,
    threads,
    spinning,
    batchSize: batch,
  });
  const rng = new Rng(1);
  for (const [name, t] of tok.weights) {
    if (name === "quantize.embedding.weight") tok.weights.set(name, normaliseCodebook(t));
    if (!/(bias|norm\w*\.weight)$/.test(name)) continue;
    const d = t.data as Float32Array;
    for (let i = 0; i < d.length; i++) d[i] += 0.05 * rng.normal();
  }
  const cfg = tok.model.config as BddConfig;
  const d = dims(cfg);
  const weights = join(root, "model.safetensors"), arch = join(root, "arch.json");
  writeSafetensors(weights, tok.weights);
  writeFileSync(
    arch,
    JSON.stringify({
      image: d.image,
      patch: d.vit.patch,
      depth: d.vit.depth,
      heads: d.vit.heads,
      k: d.k,
      grid: d.grid,
      ch_mult: d.taming.chMult,
      num_res_blocks: d.taming.numResBlocks,
      attn_resolutions: d.taming.attnResolutions,
    }),
  );
  const base = ["--weights", weights, "--arch", arch];

  // ---- Parity.
  const images = randomImages(batch, d.image, 7);
  const check = join(root, "check");
  mkdirSync(check, { recursive: true });
  writeNpy(join(check, "image.npy"), images);
  const { tokens } = await tok.encode(images);
  const decoded = await tok.decode({ tokens });
  torch([...base, "--check", check]);
  const tIds = readNpy(join(check, "torch_ids.npy")).data as BigInt64Array;
  const ids = tokens.data as BigInt64Array;
  const same = ids.filter((v, i) => v === tIds[i]).length;
  const tDec = readNpy(join(check, "torch_decoded.npy")).data as Float32Array;
  let maxDiff = 0;
  for (let i = 0; i < tDec.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(tDec[i] - (decoded.data[i] as number)));
  }
  report.parity = { idsEqual: `${same}/${ids.length}`, decodedMaxAbsDiff: maxDiff };
  console.log(`parity: ids equal ${same}/${ids.length}; decoded images max |Δ| ${maxDiff.toExponential(2)}`);

  // ---- Timing.
  const ours = { encode: [] as number[], decode: [] as number[] };
  const theirs = { encode: [] as number[], decode: [] as number[] };
  for (let r = 0; r < rounds; r++) {
    const runOurs = async () => {
      ours.encode.push(median(await timeCalls(() => tok.encode(images), 0, 1)));
      ours.decode.push(median(await timeCalls(() => tok.decode({ tokens }), 0, 1)));
    };
    const runTorch = () => {
      const t = torch([
        ...base,
        "--batch",
        String(batch),
        "--ops",
        "encode,decode",
        "--iters",
        "1",
        "--warmup",
        "1",
      ]);
      theirs.encode.push(median(t.encode as number[]));
      theirs.decode.push(median(t.decode as number[]));
      report.torch = { version: t.torch, openblas_core: t.openblas_core, env: tunedVars };
    };
    if (r % 2) (runTorch(), await runOurs());
    else (await runOurs(), runTorch());
    console.error(
      `round ${r + 1}/${rounds}: tok1d ${ours.encode.at(-1)!.toFixed(2)} / ${
        ours.decode.at(-1)!.toFixed(2)
      } s, ` +
        `torch ${theirs.encode.at(-1)!.toFixed(2)} / ${theirs.decode.at(-1)!.toFixed(2)} s`,
    );
  }
  const rows: Record<string, unknown> = {};
  console.log(`\nbdd_1d/${args.model}, batch ${batch}, ${d.image} px, ${threads} threads (seconds per call)`);
  console.log("case     tok1d               torch               torch/tok1d  paired");
  for (const k of ["encode", "decode"] as const) {
    const ratio = median(theirs[k]) / median(ours[k]);
    const paired = median(theirs[k].map((t, i) => t / ours[k][i]));
    rows[k] = { tok1d: ours[k], torch: theirs[k], ratio, paired };
    console.log(
      `${k.padEnd(8)} ${range(ours[k]).padEnd(19)} ${range(theirs[k]).padEnd(19)} ${
        ratio.toFixed(2).padStart(6)
      }×     ${paired.toFixed(2)}×`,
    );
  }
  report.timing = rows;

  // ---- Profile: ORT kernel time by op type and by module.
  if (args.profile) {
    const cases: [string, Record<string, Tensor>][] = [["encoder", { image: images }], ["decode_tokens", {
      tokens,
    }]];
    const profile: Record<string, unknown> = {};
    for (const [name, feeds] of cases) {
      const prefix = join(root, `profile_${name}`);
      const s = await Session.create(tok.graph(name), tok.weights, { threads, profile: prefix });
      await s.run(feeds);
      await s.run(feeds);
      s.endProfiling();
      await s.release();
      const file = readdirSync(dirname(prefix)).map((f) => join(dirname(prefix), f))
        .filter((f) => f.startsWith(`${prefix}_`) && f.endsWith(".json")).sort().at(-1)!;
      const all = kernelEvents(file);
      const events = all.slice(all.length / 2);
      const total = events.reduce((x, e) => x + e.us, 0);
      const group = (key: (n: string, op: string) => string) => {
        const m = new Map<string, number>();
        for (const e of events) m.set(key(e.node, e.op), (m.get(key(e.node, e.op)) ?? 0) + e.us);
        return [...m].sort((a, b) => b[1] - a[1]).slice(0, 10).map((
          [k, us],
        ) => [k, us / 1e6, (100 * us) / total]);
      };
      // Node names are `<scope>/<Op>_<n>`: group encoder blocks together, the decoder by mid and up level.
      const module = (n: string) => {
        if (!n.includes("/")) return "(fused, unscoped)";
        const parts = n.split("/")[0].split(".");
        if (parts[1] === "blocks") return `${parts[0]}.blocks.*`;
        return parts.slice(0, parts[1] === "up" ? 3 : 2).join(".");
      };
      const byOp = group((_, op) => op), byModule = group((n) => module(n));
      profile[name] = { kernelSeconds: total / 1e6, byOp, byModule };
      console.log(`\n${name}: kernel time ${(total / 1e6).toFixed(2)} s`);
      for (const [k, s, p] of [...byOp, ...byModule]) {
        console.log(
          `  ${String(k).padEnd(34)} ${(s as number).toFixed(3).padStart(7)} s ${
            (p as number).toFixed(1).padStart(5)
          } %`,
        );
      }
    }
    report.profile = profile;
  }
  await tok.release();
  if (args.json) writeFileSync(args.json, JSON.stringify(report, null, 2));
} finally {
  if (!args.keep) rmSync(root, { recursive: true, force: true });
}
