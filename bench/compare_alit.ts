/**
 * tok1d (ONNX Runtime) vs PyTorch eager (bench/torch_alit.py, Debian's torch) on ALIT (issue 13):
 * the adaptive encode and decoding from ids, same random weights, same images, same thread count.
 *
 *   deno run -A bench/compare_alit.ts [--model tiny] [--batch 4] [--decide 0,2,4,6] [--threshold auto|<L1>]
 *     [--threads 2] [--spinning default|on|off|<µs>] [--rounds 3] [--iters 1] [--warmup 0] [--cases adaptive,decode,stages]
 *     [--logit-scale 20] [--embed-scale 0.05] [--python /usr/bin/python3] [--torch-env tuned|installed]
 *     [--json out.json] [--keep dir]
 *
 * (a) Loads `alit/<model>` with seeded random weights, shaped as `perturb` says (bias/norm noise, peaked
 * code logits, a decoder that mostly reads the latent count), writes them with writeSafetensors for torch,
 * plus the sizes (arch.json). Image b is built to be reconstructed best at iteration `--decide[b]`
 * (`benchImages`; `-` = pure noise, never decides).
 * (b) Parity: the same images and halting draws (`halting_u`) through both; torch runs the whole rollout
 * once and reports each image's L1 at every iteration. Compared: ids of iterations 0 and 7, their
 * reconstructions, decoding tok1d's ids at 32 and 256 tokens, and the lengths tok1d's `encodeAdaptive`
 * picks (per image, and `perBatch`) against the rules applied to torch's L1s.
 * (c) `--threshold auto` picks, from torch's L1s, the threshold at which the images decide at the most
 * distinct iterations (ties: the most images deciding, then the latest decisions = the most work for tok1d).
 * (d) Timing, `--rounds` rounds alternating which side goes first: tok1d in-process (adaptive per image,
 * adaptive per batch, decode at 256 and 32 tokens, and the stages iter_0, iter_7, pixels on their own
 * sessions, opened and run once before), torch in a fresh process (upstream's encode — every iteration, a
 * reconstruction at each, the halting draws — the same decodes and stages). A round's figure is its median
 * call; the table has the median over rounds (min–max), the ratio of medians, and the paired ratio (median
 * of the rounds' own ratios, min–max).
 * @module
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readNpy, writeNpy } from "../core/data/npy.ts";
import { loadTokenizer, type Tokenizer } from "../core/tokenizer.ts";
import { Session } from "../core/runtime/session.ts";
import type { Tensor } from "../core/tensor.ts";
import type { Tokens } from "../core/tokens.ts";
import { writeSafetensors } from "../core/weights/safetensors.ts";
import { type AlitConfig, alitDims } from "../plugins/alit/config.ts";
import { median, randomImages, Rng, timeCalls } from "./_titok_util.ts";
import { torchEnvironment } from "./_torch_env.ts";
import { benchArgs } from "./_cli.ts";
import { parseSpinning } from "./_spinning.ts";

const USAGE =
  `tok1d (ONNX Runtime) vs PyTorch eager (bench/torch_alit.py) on ALIT: adaptive encode and decode.

  deno run -A bench/compare_alit.ts [--model tiny] [--batch 4] [--decide 0,2,4,6] [--threshold auto|<L1>]
    [--threads 2] [--spinning default|on|off|<µs>] [--rounds 3] [--iters 1] [--warmup 0] [--cases adaptive,decode,stages]
    [--logit-scale 20] [--embed-scale 0.05] [--python /usr/bin/python3] [--torch-env tuned|installed]
    [--json out.json] [--keep dir]

See bench/README.md; all TiTok/ALIT/BDD comparisons: deno task bench:upstream --help.`;
const args = benchArgs(USAGE, {
  model: { type: "string", default: "tiny" },
  batch: { type: "string", default: "4" },
  threshold: { type: "string", default: "auto" },
  threads: { type: "string", default: "2" },
  rounds: { type: "string", default: "3" },
  iters: { type: "string", default: "1" },
  warmup: { type: "string", default: "0" },
  cases: { type: "string", default: "adaptive,decode,stages" },
  python: { type: "string", default: "/usr/bin/python3" },
  "torch-env": { type: "string", default: "tuned" },
  "logit-scale": { type: "string", default: "20" },
  "embed-scale": { type: "string", default: "0.05" },
  decide: { type: "string", default: "0,2,4,6" },
  spinning: { type: "string", default: "default" },
  json: { type: "string" },
  keep: { type: "string" },
});
const batch = Number(args.batch), threads = Number(args.threads), rounds = Number(args.rounds);
/** ORT's idle workers: the library's default short spin, a full spin, sleep at once or a budget (µs). */
const spinning = parseSpinning(args.spinning);
const iters = Number(args.iters), warmup = Number(args.warmup);
const cases = new Set(args.cases.split(","));
const TORCH = new URL("./torch_alit.py", import.meta.url).pathname;
const { env: torchEnv, tunedVars } = torchEnvironment(args["torch-env"]);
const fmt = (x: number) => x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
const range = (xs: number[]) => `${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`;

function torch(extra: string[]): Record<string, unknown> {
  const out = execFileSync(args.python, [TORCH, "--threads", String(threads), ...extra], {
    env: torchEnv,
    encoding: "utf8",
    maxBuffer: 1 << 24,
  });
  return JSON.parse(out.trim().split("\n").pop()!);
}

/**
 * Shapes seeded random weights so that a random ALIT behaves like a trained one in the one way the
 * bench needs, reconstructions that change with the iteration:
 * - every bias and norm parameter gets seeded noise (as bench/compare.ts: the initialiser's exact 0 and 1
 *   would hide a misplaced bias);
 * - the VQGAN's codebook is scaled by its size, to U(−1, 1): the initialiser's U(±1/1024) makes the code
 *   so small that the VQGAN decoder sees only its conv_in bias and reconstructs the same image from any code;
 * - the code logits (`decoder.ffn.2`) are scaled by `logitScale`: at the initialiser's scale the softmax
 *   over the 1024 VQGAN codes is almost uniform and every iteration reconstructs the same image;
 * - `decoder.decoder_embed.weight` is scaled by `embedScale`, so the decoder's output depends mostly on how
 *   many latents it reads (the iteration) and only a little on the ids: the reconstruction of iteration k
 *   is then nearly the same for every image, and an image can be built to be reconstructed best there.
 */
export function perturb(tok: Tokenizer, seed: number, logitScale: number, embedScale: number): void {
  const rng = new Rng(seed);
  for (const [name, t] of tok.weights) {
    const d = t.data as Float32Array;
    if (name === "base_tokenizer.vqgan.quantize.embedding.weight") {
      for (let i = 0; i < d.length; i++) d[i] *= t.shape[0];
    }
    if (name.startsWith("decoder.ffn.2.")) { for (let i = 0; i < d.length; i++) d[i] *= logitScale; }
    if (name === "decoder.decoder_embed.weight") { for (let i = 0; i < d.length; i++) d[i] *= embedScale; }
    if (!/(bias|(ln_\w+|norm\w*)\.weight)$/.test(name)) continue;
    for (let i = 0; i < d.length; i++) d[i] += 0.05 * rng.normal();
  }
}

/**
 * The bench's images: image b is half seeded noise, half the (clipped) reconstruction the model gives at
 * iteration `decide[b]` (computed by decoding arbitrary ids at that length), so its L1 is lowest there; an
 * entry < 0 leaves the image pure noise (it never goes under a threshold that the others need).
 */
async function benchImages(
  tok: Tokenizer,
  decide: number[],
  t: number,
  size: number,
): Promise<Tensor<"float32">> {
  const noise = randomImages(decide.length, size, 7);
  const ks = [...new Set(decide.filter((k) => k >= 0))];
  if (!ks.length) return noise;
  const width = Math.max(...ks.map((k) => (k + 1) * t));
  const recs = await tok.decode({
    tokens: { dtype: "int64", shape: [ks.length, 1, width], data: new BigInt64Array(ks.length * width) },
    lengths: ks.map((k) => (k + 1) * t),
  });
  const per = 3 * size * size;
  const out = noise.data;
  decide.forEach((k, b) => {
    if (k < 0) return;
    const r = recs.data as Float32Array, j = ks.indexOf(k);
    for (let p = 0; p < per; p++) {
      out[b * per + p] = 0.5 * out[b * per + p] + 0.5 * Math.min(1, Math.max(0, r[j * per + p]));
    }
  });
  return noise;
}

function maxAbs(a: Tensor, b: Tensor): number {
  let m = 0;
  for (let i = 0; i < a.data.length; i++) {
    m = Math.max(m, Math.abs((a.data[i] as number) - (b.data[i] as number)));
  }
  return m;
}

/** Ids (B,1,W) of a token container → (B,L) int64, the first L of each row. */
function idsOf(t: Tokens, l: number): Tensor<"int64"> {
  const w = t.tokens.shape[2], b = t.tokens.shape[0], src = t.tokens.data as BigInt64Array;
  const data = new BigInt64Array(b * l);
  for (let r = 0; r < b; r++) data.set(src.subarray(r * w, r * w + l), r * l);
  return { dtype: "int64", shape: [b, l], data };
}

function equalCount(a: Tensor, b: Tensor): number {
  let n = 0;
  for (let i = 0; i < a.data.length; i++) {
    n += BigInt(a.data[i] as bigint) === BigInt(b.data[i] as bigint) ? 1 : 0;
  }
  return n;
}

/** Per-image lengths from L1s [image][iteration] (first under thr, else lowest), and the per-batch one. */
function rules(l1: number[][], thr: number, t: number) {
  const perImage = l1.map((row) => {
    const i = row.findIndex((v) => v < thr);
    return ((i >= 0 ? i : row.indexOf(Math.min(...row))) + 1) * t;
  });
  const means = l1[0].map((_, i) => l1.reduce((a, row) => a + row[i], 0) / l1.length);
  const j = means.findIndex((v) => v < thr);
  return { perImage, perBatch: ((j >= 0 ? j : means.indexOf(Math.min(...means))) + 1) * t };
}

/**
 * The threshold at which the images decide (go under it) at the most distinct iterations; ties: the most
 * images deciding, then the latest decisions (the most work for tok1d).
 */
function autoThreshold(l1: number[][], t: number): number {
  const vals = [...new Set(l1.flat())].sort((a, b) => a - b);
  let best = { thr: NaN, distinct: -1, decided: -1, sum: -1 };
  for (let k = 0; k + 1 < vals.length; k++) {
    const thr = Number(((vals[k] + vals[k + 1]) / 2).toPrecision(6));
    const { perImage } = rules(l1, thr, t);
    // Only decisions under the threshold count as "deciding"; images that never go under it run all.
    const decided = perImage.filter((_, i) => l1[i].some((v) => v < thr));
    const distinct = new Set(decided).size;
    const sum = perImage.reduce((a, b) => a + b, 0);
    const key = [distinct, decided.length, sum], cur = [best.distinct, best.decided, best.sum];
    const better = key[0] !== cur[0]
      ? key[0] > cur[0]
      : key[1] !== cur[1]
      ? key[1] > cur[1]
      : key[2] > cur[2];
    if (better) best = { thr, distinct, decided: decided.length, sum };
  }
  return best.thr;
}

const loadStart = Deno.loadavg()[0];
const root = args.keep ?? Deno.makeTempDirSync({ prefix: "tok1d-compare-alit-" });
mkdirSync(root, { recursive: true });
const report: Record<string, unknown> = {};
try {
  const tok = await loadTokenizer(`alit/${args.model}`, {
    random: true,
    seed: 0,
    threads,
    spinning,
    batchSize: batch,
    keepWeights: true, // the stage timings open their own sessions on the same weights
  });
  perturb(tok, 1, Number(args["logit-scale"]), Number(args["embed-scale"]));
  const cfg = tok.model.config as AlitConfig;
  const d = alitDims(cfg);
  const weights = join(root, "model.safetensors");
  writeSafetensors(weights, tok.weights);
  const arch = join(root, "arch.json");
  writeFileSync(
    arch,
    JSON.stringify({
      width: d.width,
      t: d.t,
      iters: d.iters,
      grid: d.grid,
      image: d.image,
      patch: d.patch,
      enc_layers: cfg.alit.encoder_num_layers,
      enc_heads: cfg.alit.encoder_num_heads,
      dec_layers: cfg.alit.decoder_num_layers,
      dec_heads: cfg.alit.decoder_num_heads,
      halting_threshold: cfg.alit.dynamic_halting_threshold,
      ch_mult: cfg.vqgan.ch_mult,
      num_res_blocks: cfg.vqgan.num_res_blocks,
    }),
  );

  // ---- Parity: same images and halting draws through both.
  const decide = args.decide.split(",").map((v) => (v === "-" ? -1 : Number(v)));
  if (decide.length !== batch) throw new Error(`--decide: ${batch} entries expected (one per image)`);
  const images = await benchImages(tok, decide, d.t, d.image);
  const rng = new Rng(11);
  const u: Tensor<"float32"> = {
    dtype: "float32",
    shape: [batch, d.iters, d.n],
    data: Float32Array.from({ length: batch * d.iters * d.n }, () => rng.next()),
  };
  const inputs = { halting_u: u };
  const r0 = await tok.reconstruct(images, { budget: d.t, inputs });
  const rLast = await tok.reconstruct(images, { budget: d.t * d.iters, inputs });
  const dec32 = await tok.decode(r0.tokens), decLast = await tok.decode(rLast.tokens);
  writeNpy(join(root, "image.npy"), images);
  writeNpy(join(root, "halting_u.npy"), u);
  writeNpy(join(root, "ids_32.npy"), idsOf(r0.tokens, d.t));
  writeNpy(join(root, "ids_256.npy"), idsOf(rLast.tokens, d.t * d.iters));
  const tc = torch(["--weights", weights, "--arch", arch, "--check", root]);
  const ld = (n: string) => readNpy(join(root, `torch_${n}.npy`));
  const l1T = ld("l1");
  const l1: number[][] = Array.from(
    { length: batch },
    (_, b) => Array.from({ length: d.iters }, (_, i) => Number(l1T.data[b * d.iters + i])),
  );
  const threshold = args.threshold === "auto" ? autoThreshold(l1, d.t) : Number(args.threshold);
  const want = rules(l1, threshold, d.t);
  const adaptive = await tok.encodeAdaptive(images, { threshold, inputs });
  const adaptiveB = await tok.encodeAdaptive(images, { threshold, inputs, params: { perBatch: true } });
  const parity = {
    ids0_equal: `${equalCount(idsOf(r0.tokens, d.t), ld("ids0"))}/${batch * d.t}`,
    ids7_equal: `${equalCount(idsOf(rLast.tokens, d.t * d.iters), ld("ids7"))}/${batch * d.t * d.iters}`,
    rec0_max_abs_diff: maxAbs(r0.images, ld("rec0")),
    rec7_max_abs_diff: maxAbs(rLast.images, ld("rec7")),
    decode32_max_abs_diff: maxAbs(dec32, ld("dec32")),
    decode256_max_abs_diff: maxAbs(decLast, ld("dec256")),
    recon_max_abs: (rLast.images.data as Float32Array).reduce((m, v) => Math.max(m, Math.abs(v)), 0),
    l1_torch: l1.map((row) => row.map((v) => Number(v.toFixed(5)))),
    threshold,
    lengths_tok1d: adaptive.lengths,
    lengths_torch_rule: want.perImage,
    per_batch_tok1d: adaptiveB.lengths![0],
    per_batch_torch_rule: want.perBatch,
  };
  report.parity = parity;
  report.torchInfo = tc;
  console.error(`parity: ${JSON.stringify(parity)}`);

  // ---- Timing.
  const gen = new Rng(3);
  const randn = (shape: number[]): Tensor<"float32"> => ({
    dtype: "float32",
    shape,
    data: Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => gen.normal()),
  });
  const stageSessions = new Map<string, Session>();
  const stage = async (name: string, feeds: Record<string, Tensor>) => {
    if (!stageSessions.has(name)) {
      stageSessions.set(name, await Session.create(tok.graph(name), tok.weights, { threads, spinning }));
    }
    return await stageSessions.get(name)!.run(feeds);
  };
  const last = d.iters - 1;
  const gt = (await stage("iter_0", { image: images })).gt;
  const stageFeeds: Record<string, Record<string, Tensor>> = {
    iter_0: { image: images },
    [`iter_${last}`]: {
      x_prev: randn([batch, d.n + 1 + d.t * last, d.width]),
      drop: { dtype: "float32", shape: [batch, d.n], data: new Float32Array(batch * d.n) } as Tensor,
      gt,
    },
    pixels: { code: randn([batch, d.z, d.grid, d.grid]) },
  };
  for (const [name, feeds] of Object.entries(stageFeeds)) await stage(name, feeds); // sessions open, arenas grown
  const tokCases: [string, string, () => Promise<unknown>][] = []; // [row, torch op, fn]
  if (cases.has("adaptive")) {
    tokCases.push([
      "adaptive (per image)",
      "encode",
      () => tok.encodeAdaptive(images, { threshold, inputs }),
    ]);
    tokCases.push([
      "adaptive (perBatch)",
      "encode",
      () => tok.encodeAdaptive(images, { threshold, inputs, params: { perBatch: true } }),
    ]);
  }
  if (cases.has("decode")) {
    tokCases.push([`decode ${d.t * d.iters}`, `decode_${d.t * d.iters}`, () => tok.decode(rLast.tokens)]);
    tokCases.push([`decode ${d.t}`, `decode_${d.t}`, () => tok.decode(r0.tokens)]);
  }
  if (cases.has("stages")) {
    tokCases.push([
      "stage iter_0 (VQGAN enc + iteration 0)",
      "iter0",
      () => stage("iter_0", stageFeeds.iter_0),
    ]);
    tokCases.push([
      `stage iter_${last} (longest iteration)`,
      "iter7",
      () => stage(`iter_${last}`, stageFeeds[`iter_${last}`]),
    ]);
    tokCases.push(["stage pixels (VQGAN decoder)", "pixels", () => stage("pixels", stageFeeds.pixels)]);
  }
  const torchOps = [...new Set(tokCases.map((c) => c[1]))];
  const rows = new Map(
    tokCases.map(([row, op]) => [row, { op, tok1d: [] as number[], torch: [] as number[] }]),
  );
  for (let r = 0; r < rounds; r++) {
    const runTorch = () =>
      torch([
        "--weights",
        weights,
        "--arch",
        arch,
        "--inputs",
        root,
        "--ops",
        torchOps.join(","),
        "--threshold",
        String(threshold),
        "--iters",
        String(iters),
        "--warmup",
        String(warmup),
      ]);
    const runTok = async () => {
      const out = new Map<string, number>();
      for (const [row, , fn] of tokCases) out.set(row, median(await timeCalls(fn, warmup, iters)));
      return out;
    };
    let t: Record<string, unknown>, k: Map<string, number>;
    if (r % 2 === 0) {
      k = await runTok();
      t = runTorch();
    } else {
      t = runTorch();
      k = await runTok();
    }
    for (const [row, v] of rows) {
      v.tok1d.push(k.get(row)!);
      v.torch.push((t[v.op] as { median_s: number }).median_s);
      console.error(
        `round ${r + 1}/${rounds} ${row}: tok1d ${fmt(v.tok1d.at(-1)!)} s, torch ${fmt(v.torch.at(-1)!)} s`,
      );
    }
    report.torchPick = t.encode_pick;
  }
  for (const s of stageSessions.values()) await s.release();
  await tok.release();

  // ---- Report.
  const cpu = readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.*)$/m)?.[1];
  console.log(
    `\nALIT alit/${args.model} (random weights), batch ${batch}, ${threads} threads (ORT spinning ${args.spinning}), ${rounds} rounds alternating ` +
      `(${warmup} warm-up + ≥ ${iters} timed calls per side per round); s/call = median over rounds (min–max)`,
  );
  console.log(`1-min load average at start / end: ${loadStart.toFixed(1)} / ${Deno.loadavg()[0].toFixed(1)}`);
  console.log(
    `CPU: ${cpu}; torch ${tc.torch}, OpenBLAS ${tc.openblas_core}; torch env: ${tunedVars || "as installed"}`,
  );
  console.log(
    `threshold ${threshold}: per-image lengths ${adaptive.lengths!.join(", ")}; per-batch ${
      adaptiveB.lengths![0]
    }${
      report.torchPick === undefined
        ? ""
        : `; torch's encode picks iteration ${report.torchPick} (its work is the same whatever it picks)`
    }\n`,
  );
  const header = ["case", "tok1d s", "torch s", "torch/tok1d", "paired (min–max)"];
  const table = [...rows].map(([row, v]) => {
    const paired = v.torch.map((x, i) => x / v.tok1d[i]);
    return [
      row,
      range(v.tok1d),
      range(v.torch),
      `${(median(v.torch) / median(v.tok1d)).toFixed(2)}×`,
      `${median(paired).toFixed(2)}× (${Math.min(...paired).toFixed(2)}–${Math.max(...paired).toFixed(2)})`,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const row of table) console.log(line(row));
  console.log(
    `\nParity (torch vs tok1d, same images and draws): ids iteration 0 ${parity.ids0_equal}, iteration ${last} ` +
      `${parity.ids7_equal}; reconstruction max abs diff ${parity.rec0_max_abs_diff.toExponential(2)} / ` +
      `${parity.rec7_max_abs_diff.toExponential(2)} (max |recon| ${
        parity.recon_max_abs.toFixed(2)
      }); decode of ` +
      `the ids ${parity.decode32_max_abs_diff.toExponential(2)} (32) / ${
        parity.decode256_max_abs_diff.toExponential(2)
      } (256); lengths ${parity.lengths_tok1d} vs torch's L1s ${parity.lengths_torch_rule}; per batch ` +
      `${parity.per_batch_tok1d} vs ${parity.per_batch_torch_rule}`,
  );
  console.log(`L1 per image × iteration (torch): ${JSON.stringify(parity.l1_torch)}`);
  report.rows = Object.fromEntries(rows);
  if (args.json) {
    writeFileSync(args.json, JSON.stringify({ threads, rounds, iters, warmup, batch, ...report }));
  }
} finally {
  if (!args.keep) rmSync(root, { recursive: true, force: true });
}
