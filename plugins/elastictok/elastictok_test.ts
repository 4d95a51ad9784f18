/**
 * ElasticTok: KV-cached block-by-block decoding (the `decode` program) against
 * one pass of `decoder_full` under the block-causal mask; the bisection against
 * brute force on a tiny config; upstream's binary result and linear candidates;
 * the released `params` layout loading through loadCheckpoint (every tensor
 * mapped, a wrong shape refused by name).
 */
import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { openTokenizer, parameterShapes, type Tokenizer } from "../../core/tokenizer.ts";
import { loadTokenizer } from "../../core/tokenizer.ts";
import { Session } from "../../core/runtime/mod.ts";
import type { Tensor } from "../../core/tensor.ts";
import { UsageError } from "../../core/errors.ts";
import { elasticTree, writeParamsFile } from "../../core/weights/_msgpack_params_fixture.ts";
import { elastictok } from "./mod.ts";
import { blockMse } from "./programs.ts";
import { bisection, type CountSearch, linearCandidates, linearScan, upstreamBisection } from "./search.ts";

/**
 * A tiny tokenizer with weights whose output depends on the kept count:
 * norm scales 1, matrices std 1/√fan_in (the generic random init gives
 * near-constant outputs here). Set before any session opens.
 */
async function open(preset: string, extra: Record<string, unknown>, seed = 3): Promise<Tokenizer> {
  const config = elastictok.schema.parse({ ...(elastictok.presets[preset] as object), ...extra });
  const tok = await openTokenizer(
    { plugin: elastictok as never, config, variant: preset, configSource: "test" },
    { random: true, seed, threads: 1 },
  );
  let state = seed * 7919 + 1;
  const uniform = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (const [name, t] of tok.weights) {
    const d = t.data as Float32Array;
    if (/(norm|ln_f)\.kernel$/.test(name)) d.fill(1);
    else {
      const std = 1 / Math.sqrt(t.shape[0]);
      for (let i = 0; i < d.length; i++) d[i] = std * (uniform() + uniform() + uniform() - 1.5) * 2;
    }
  }
  return tok;
}

function video(b: number, f: number, s: number, seed: number): Tensor<"float32"> {
  const n = b * f * 3 * s * s;
  // Smooth content (a low-frequency pattern per frame) with some noise.
  return {
    dtype: "float32",
    shape: [b, f, 3, s, s],
    data: Float32Array.from({ length: n }, (_, i) => {
      const x = i % s, y = Math.floor(i / s) % s, fr = Math.floor(i / (3 * s * s));
      return 0.5 + 0.3 * Math.sin((x + seed) / 3 + fr) * Math.cos(y / 4) +
        0.05 * Math.sin(i * 12.9898 + seed);
    }),
  };
}

for (const preset of ["tiny_fsq", "tiny_vae"]) {
  Deno.test(`elastictok/${preset}: cached block decoding = decoder_full under the block-causal mask`, async () => {
    const tok = await open(preset, { video_frames: 12 });
    const k = elastictok.schema.parse(elastictok.presets[preset]).max_toks;
    // 3 blocks, per-block counts that differ per item and block.
    const x = video(2, 12, 16, 1);
    const enc = await tok.encode(x, { params: { tokensPerBlock: k } });
    const counts = [[k, 3, k - 1], [2, k, 5]];
    const t = enc.tokens;
    const data = t.data.slice() as Float32Array;
    const per = t.data.length / 2 / 3;
    const code = per / k;
    counts.forEach((row, i) =>
      row.forEach((n, j) => {
        const at = (i * 3 + j) * per;
        for (let p = n * code; p < per; p++) data[at + p] = (t.dtype === "int64" ? -1n : 0) as never;
      })
    );
    const tokens = { ...t, data } as Tensor;
    const cached = await tok.decode({ tokens, blockCounts: counts });
    deepStrictEqual(cached.shape, [2, 12, 3, 16, 16]);
    // decoder_full holds 4 blocks: pad a 4th, empty one (later blocks never affect earlier ones).
    const full = 4 * per;
    const padded = new (t.data.constructor as Float32ArrayConstructor)(2 * full);
    if (t.dtype === "int64") (padded as unknown as BigInt64Array).fill(-1n);
    for (let i = 0; i < 2; i++) padded.set(data.subarray(i * 3 * per, (i + 1) * 3 * per), i * full);
    const s = await Session.create(tok.graph("decoder_full"), tok.weights, { threads: 1 });
    try {
      const r = await s.run({
        tokens: {
          dtype: t.dtype,
          shape: [2, 1, ...t.shape.slice(2).map((d, i) => (i === 0 ? (d / 3) * 4 : d))],
          data: padded,
        } as Tensor,
        kept_count: {
          dtype: "int64",
          shape: [2, 4],
          data: BigInt64Array.from(counts.flatMap((r) => [...r, 0]), BigInt),
        },
      });
      const ref = r.video.data as Float32Array;
      const got = cached.data as Float32Array;
      const frame = 12 * 3 * 16 * 16;
      let max = 0;
      for (let i = 0; i < 2; i++) {
        for (let q = 0; q < frame; q++) {
          max = Math.max(max, Math.abs(got[i * frame + q] - ref[i * (frame / 3) * 4 + q]));
        }
      }
      ok(max <= 1e-5, `cached vs full: max |diff| ${max}`);
    } finally {
      await s.release();
      await tok.release();
    }
  });
}

/** Drives a search with a loss function; returns its result and probes. */
function drive(s: CountSearch, loss: (n: number) => number): { result: number; probes: number[] } {
  const probes: number[] = [];
  for (let n = s.next(); n !== undefined; n = s.next()) {
    probes.push(n);
    s.report(loss(n));
  }
  return { result: s.result(), probes };
}

Deno.test("elastictok search: upstream's binary reports the last probe, one below the smallest passing count", () => {
  const loss = (n: number) => (n >= 9 ? 0.001 : 0.01);
  const up = drive(upstreamBisection(2, 16, 0.003, 16), loss);
  deepStrictEqual(up.probes, [9, 5, 7, 8]);
  strictEqual(up.result, 8);
  strictEqual(drive(bisection(2, 16, 0.003, 16), loss).result, 9);
  // Nothing passes: both fall back to the default count.
  strictEqual(drive(upstreamBisection(2, 16, 0.003, 16), () => 1).result, 16);
  strictEqual(drive(bisection(2, 16, 0.003, 16), () => 1).result, 16);
  // Every count passes: the minimum.
  strictEqual(drive(bisection(2, 16, 0.003, 16), () => 0).result, 2);
});

Deno.test("elastictok search: bisection returns the smallest passing count for every monotone threshold", () => {
  for (const [min, max] of [[2, 16], [1, 7], [256, 4096]]) {
    for (let s = min; s <= max; s++) {
      const r = drive(bisection(min, max, 0.5, max), (n) => (n >= s ? 0 : 1));
      strictEqual(r.result, s);
      ok(r.probes.length <= Math.ceil(Math.log2(max - min + 1)) + 1, `${r.probes.length} probes`);
    }
  }
});

Deno.test("elastictok search: linear candidates are upstream's (numpy) and the scan picks the first passing", () => {
  const ref = JSON.parse(
    readFileSync(new URL("../../tests/testdata/elastictok/linear_candidates.json", import.meta.url), "utf8"),
  );
  for (const [min, max] of [[256, 4096], [128, 2048], [2, 16], [2, 8]]) {
    deepStrictEqual(linearCandidates(min, max), ref[`${min}-${max}`], `${min}-${max}`);
  }
  // The loss is not monotone: the scan takes the first candidate (in upstream's order) with loss ≤ threshold.
  const loss = (n: number) => (n === 435 || n >= 2000 ? 0.003 : 0.01);
  strictEqual(drive(linearScan(256, 4096, 0.003, 4096), loss).result, 435);
  strictEqual(drive(linearScan(256, 4096, 0.003, 4096), () => 1).result, 4096);
});

Deno.test("elastictok/tiny_fsq: adaptive encode = brute-force smallest passing count per block", async () => {
  const tok = await open("tiny_fsq", { video_frames: 4 }, 5);
  try {
    const x = video(1, 4, 16, 2);
    const losses: number[] = [];
    for (let n = 2; n <= 16; n++) {
      const t = await tok.encode(x, { params: { tokensPerBlock: n } });
      losses[n] = blockMse(await tok.decode(t), x)[0];
    }
    ok(new Set(losses.slice(2).map((l) => l.toFixed(6))).size > 8, "the loss depends on the kept count");
    let checked = 0;
    for (let k = 2; k <= 16; k++) {
      const threshold = Math.max(...losses.slice(k)) * (1 + 1e-6);
      const passing = losses.map((l, n) => (l < threshold ? n : undefined)).filter((n) =>
        n !== undefined
      ) as number[];
      const brute = Math.min(...passing);
      const upward = passing.length === 16 - brute + 1;
      const t = await tok.encodeAdaptive(x, { threshold });
      const got = t.blockCounts![0][0];
      ok(losses[got] < threshold, `count ${got} passes`);
      ok(got === 2 || !(losses[got - 1] < threshold), `count ${got - 1} fails`);
      if (upward) {
        strictEqual(got, brute, `threshold ${threshold}`);
        checked++;
      }
      // The linear scan agrees with brute force over its candidates.
      const lin = await tok.encodeAdaptive(x, { threshold, params: { search: "linear" } });
      const cands = linearCandidates(2, 16);
      strictEqual(lin.blockCounts![0][0], cands.find((n) => losses[n] <= threshold) ?? 16);
      // --upstream-search: upstream's probes, each masking n+1 positions, and its last-probe result.
      const up = await tok.encodeAdaptive(x, { threshold, params: { upstreamSearch: true } });
      const ref = drive(upstreamBisection(2, 16, threshold, 16), (n) => losses[Math.min(n + 1, 16)]).result;
      strictEqual(up.blockCounts![0][0], Math.min(ref + 1, 16));
    }
    ok(checked >= 3, `${checked} thresholds with an upward-closed passing set`);
  } finally {
    await tok.release();
  }
});

Deno.test("elastictok: chunks restart the cache and positions; adaptive counts cover every block", async () => {
  const tok = await open("tiny_vae", { video_frames: 12 }, 7);
  try {
    const x = video(1, 12, 16, 4);
    const a = await tok.encodeAdaptive(x, { threshold: 0.05, params: { maxBlocksPerChunk: 2 } });
    strictEqual(a.blockCounts![0].length, 3);
    // Chunks of one block: block 1 encodes as if it were a video of its own (fresh cache, positions from 0).
    const one = await open("tiny_vae", { video_frames: 4 }, 7);
    const per = 4 * 3 * 16 * 16;
    const alone = await one.encode({ ...x, shape: [1, 4, 3, 16, 16], data: x.data.slice(per, 2 * per) });
    const chunked = await tok.encode(x, { params: { maxBlocksPerChunk: 1 } });
    const k = alone.tokens.data.length;
    deepStrictEqual([...chunked.tokens.data.slice(k, 2 * k)], [...alone.tokens.data]);
    const cached = await tok.encode(x);
    ok(
      chunked.tokens.data.slice(k, 2 * k).some((v, i) => v !== cached.tokens.data[k + i]),
      "the cache matters",
    );
    // The tokens carry how they were chunked, and decode repeats it: block 1 decodes as it does alone.
    deepStrictEqual(chunked.encoding, { maxBlocksPerChunk: 1, tokensPerBlock: 8 });
    deepStrictEqual(a.encoding, { maxBlocksPerChunk: 2, search: "binary", threshold: 0.05 });
    const frames = (await tok.decode(chunked)).data.slice(per, 2 * per);
    deepStrictEqual([...frames], [...(await one.decode(alone)).data]);
    const { encoding: _, ...bare } = chunked;
    ok((await tok.decode(bare)).data.slice(per, 2 * per).some((v, i) => v !== frames[i]), "chunks differ");
    await rejects(
      () => tok.decode({ ...chunked, encoding: { maxBlocksPerChunk: 9 } }),
      (e: Error) => e instanceof UsageError && /encoding.maxBlocksPerChunk/.test(e.message),
    );
    await one.release();
    await rejects(
      () => tok.encode(x, { params: { maxBlocksPerChunk: 5 } }),
      (e: Error) => e instanceof UsageError && /--max-blocks-per-chunk/.test(e.message),
    );
  } finally {
    await tok.release();
  }
});

/** The fixture's tiny sizes as an ElasticTok config (core/weights/_msgpack_params_fixture.ts). */
function fixtureConfig(b: "fsq" | "vae"): Record<string, unknown> {
  return {
    hidden_size: 8,
    intermediate_size: 12,
    num_encoder_layers: 2,
    num_decoder_layers: 2,
    num_attention_heads: 2,
    frames_per_block: 4,
    resolution: 8,
    bottleneck_type: b,
    patch_size: b === "fsq" ? [1, 8, 8] : [2, 8, 8],
    max_toks: b === "fsq" ? 4 : 2,
    min_toks: 1,
    max_sequence_length: b === "fsq" ? 16 : 8,
    ...(b === "vae" ? { vae_bottleneck_dim: 8 } : {}),
  };
}

for (const b of ["fsq", "vae"] as const) {
  Deno.test(`elastictok: the ${b} params fixture maps every tensor through loadCheckpoint`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "elastic-"));
    try {
      const cfg = join(dir, "config.json");
      writeFileSync(cfg, JSON.stringify(fixtureConfig(b)));
      const file = new URL(`../../tests/testdata/elastictok/${b}.params`, import.meta.url).pathname;
      const tok = await loadTokenizer(cfg, { weights: file, threads: 1 });
      const shapes = parameterShapes(elastictok.graphs(tok.model.config as never, {}));
      deepStrictEqual([...tok.weights.keys()].sort(), [...shapes.keys()].sort());
      // Layer 1 of the scanned wq is the second slice of the stacked array.
      const tree = new Map(elasticTree(b).map(([p, t]) => [p.join("/"), t]));
      const wq = tree.get("encoder/encoder_blocks/scan_decoder/attention/wq/kernel")!;
      deepStrictEqual(
        [...tok.weights.get("encoder.encoder_blocks.1.attention.wq.kernel")!.data],
        [...wq.data.subarray(64, 128)],
      );
      const x = video(1, 4, 8, 1);
      const y = await tok.decode(
        await tok.encode({ ...x, shape: [1, 3, 8, 8], data: x.data.subarray(0, 192) }),
      );
      ok([...y.data as Float32Array].every(Number.isFinite));
      await tok.release();
      // An HF snapshot folder of ElasticTok holds `params` (and a README): the folder loads too.
      mkdirSync(join(dir, "snapshot"));
      copyFileSync(file, join(dir, "snapshot", "params"));
      await (await loadTokenizer(cfg, { weights: join(dir, "snapshot"), threads: 1 })).release();
      // A wrong shape is refused by name.
      const bad = elasticTree(b).map(([p, t]): [string[], Tensor<"float32">] =>
        p.join("/") === "decoder/ln_f/kernel"
          ? [p, { dtype: "float32", shape: [9], data: new Float32Array(9) }]
          : [p, t]
      );
      writeParamsFile(join(dir, "params"), bad);
      await rejects(
        () => loadTokenizer(cfg, { weights: join(dir, "params"), threads: 1 }),
        (e: Error) => e instanceof UsageError && /decoder\.ln_f\.kernel \[9\]/.test(e.message),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
