/**
 * The C API engine gives what onnxruntime-node gives: same outputs for every
 * dtype tok1d feeds (float32, int64, bool, uint8, float64), scalars, empty
 * tensors, views at an offset, weights as external data, in-place outputs,
 * ORT's errors as exceptions, and a profile file.
 */
import { deepStrictEqual, ok, rejects } from "node:assert";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Graph } from "../graph/graph.ts";
import { add, argmin, cast, equal, f32, gather, matmul, mul, reduceSum } from "../ops/mod.ts";
import type { Tensor } from "../tensor.ts";
import { Session } from "./session.ts";
import { DirectEngine } from "./engine_direct.ts";
import { spinConfig } from "./engine.ts";
import { freeTensors } from "./free.ts";

function mixed() {
  const g = new Graph("mixed");
  const x = g.input("x", "float32", [2, 3]);
  const idx = g.input("idx", "int64", [2]);
  const s = g.input("s", "float32", []);
  const empty = g.input("empty", "float32", [0, 3]);
  const w = g.param("w", [3, 3]);
  const y = mul(g, matmul(g, x, w), s);
  g.output(y, "y");
  g.output(gather(g, y, idx, 0), "picked");
  g.output(argmin(g, y, 1), "arg");
  g.output(equal(g, argmin(g, y, 1), idx), "same");
  g.output(cast(g, x, "uint8"), "bytes");
  g.output(cast(g, x, "float64"), "wide");
  g.output(add(g, empty, g.constant(f32([], [1]), "one")), "still_empty");
  g.output(reduceSum(g, y, [0, 1], false), "total");
  return g;
}

const weights = () => new Map([["w", f32([3, 3], [1, 0, -1, 2, 0.5, 0, 0, 1, 3])]]);

function feeds(): Record<string, Tensor> {
  // x is a view at an offset into a larger buffer: the engine must read from the view's start.
  const backing = new Float32Array([99, 99, 1, 2.5, -3, 4, 0.25, 6, 99]);
  return {
    x: { dtype: "float32", shape: [2, 3], data: backing.subarray(2, 8) },
    idx: { dtype: "int64", shape: [2], data: BigInt64Array.of(1n, 0n) },
    s: f32([], [0.5]),
    empty: { dtype: "float32", shape: [0, 3], data: new Float32Array(0) },
  };
}

Deno.test("DirectEngine: the C API loads here", () => {
  deepStrictEqual(DirectEngine.unavailableReason(), undefined);
});

Deno.test("DirectEngine: every output equals onnxruntime-node's (dtypes, scalars, empty, offset views)", async () => {
  const g = mixed();
  const node = await Session.create(g, weights(), { engine: "node", threads: 1 });
  const direct = await Session.create(g, weights(), { engine: "direct", threads: 1 });
  deepStrictEqual([node.engine, direct.engine], ["node", "direct"]);
  const a = await node.run(feeds());
  const b = await direct.run(feeds());
  for (const v of g.outputs) {
    deepStrictEqual(b[v.name].dtype, a[v.name].dtype, v.name);
    deepStrictEqual(b[v.name].shape, a[v.name].shape, v.name);
    deepStrictEqual(
      [...b[v.name].data as Iterable<unknown>],
      [...a[v.name].data as Iterable<unknown>],
      v.name,
    );
  }
  deepStrictEqual(b.still_empty.shape, [0, 3]);
  deepStrictEqual(b.total.shape, []);
  ok(b.y.data.length === 6 && b.y.data[0] !== 0, "real values came back");
  await node.release();
  await direct.release();
});

Deno.test("DirectEngine: in-place outputs are written into the fed buffers", async () => {
  const g = new Graph("inc");
  const x = g.input("x", "float32", [3]);
  g.output(add(g, x, g.constant(f32([], [1]), "one")), "new.x");
  const s = await Session.create(g, new Map(), { engine: "direct", inPlace: [["x", "new.x"]] });
  const fed = f32([3], [1, 2, 3]);
  const r = await s.run({ x: fed });
  ok(r["new.x"] === fed);
  deepStrictEqual([...fed.data], [2, 3, 4]);
  await s.run({ x: fed });
  deepStrictEqual([...fed.data], [3, 4, 5]);
  await s.release();
});

Deno.test("DirectEngine: ORT's run errors become exceptions with its message", async () => {
  const g = new Graph("bad_index");
  const x = g.input("x", "float32", [3]);
  const i = g.input("i", "int64", [1]);
  g.output(gather(g, x, i, 0), "y");
  const s = await Session.create(g, new Map(), { engine: "direct" });
  await rejects(
    () => s.run({ x: f32([3], [1, 2, 3]), i: { dtype: "int64", shape: [1], data: BigInt64Array.of(7n) } }),
    /run: .*(out of bounds|indices|7)/i,
  );
  // The session still works after a failed run.
  const r = await s.run({
    x: f32([3], [1, 2, 3]),
    i: { dtype: "int64", shape: [1], data: BigInt64Array.of(2n) },
  });
  deepStrictEqual([...r.y.data], [3]);
  await s.release();
});

Deno.test("DirectEngine: profiling writes ORT's trace file", async () => {
  const dir = Deno.makeTempDirSync({ dir: tmpdir(), prefix: "tok1d-direct-profile-" });
  const g = mixed();
  const s = await Session.create(g, weights(), { engine: "direct", profile: join(dir, "p") });
  await s.run(feeds());
  s.endProfiling();
  await s.release();
  const files = readdirSync(dir).filter((f) => f.startsWith("p_") && f.endsWith(".json"));
  deepStrictEqual(files.length, 1);
  ok(existsSync(join(dir, files[0])));
  rmSync(dir, { recursive: true });
});

Deno.test("Session: engine 'direct' is refused on other devices, naming the device", async () => {
  await rejects(
    () => Session.create(mixed(), weights(), { engine: "direct", device: "cuda" }),
    /engine 'direct' runs on the CPU only, not on cuda/,
  );
});

Deno.test("spinConfig: ORT's spin entries for off, on and a budget in microseconds", () => {
  deepStrictEqual(spinConfig(false), { "session.intra_op.allow_spinning": "0" });
  deepStrictEqual(spinConfig(true), { "session.intra_op.allow_spinning": "1" });
  deepStrictEqual(spinConfig(undefined), { "session.intra_op.allow_spinning": "1" });
  deepStrictEqual(spinConfig(50), {
    "session.intra_op.allow_spinning": "1",
    "session.intra_op.spin_duration_us": "50",
  });
});

Deno.test("Session: sessionConfig entries reach ONNX Runtime on both engines", async () => {
  for (const engine of ["node", "direct"] as const) {
    // A valid entry opens and runs; a value ORT cannot parse fails the creation (so the entry was read).
    const s = await Session.create(mixed(), weights(), {
      engine,
      threads: 2,
      spinning: 20,
      sessionConfig: { "session.dynamic_block_base": "4" },
    });
    deepStrictEqual((await s.run(feeds())).total.data, Float32Array.of(9.4375));
    await s.release();
    await rejects(
      () =>
        Session.create(mixed(), weights(), { engine, sessionConfig: { "session.dynamic_block_base": "x" } }),
      /stoi/,
      engine,
    );
  }
});

Deno.test("DirectEngine: wrapped inputs are reused only while the same memory is fed", async () => {
  const g = new Graph("double");
  const x = g.input("x", "float32", [2]);
  g.output(mul(g, x, g.constant(f32([], [2]), "two")), "y");
  const s = await Session.create(g, new Map(), { engine: "direct" });
  const a = f32([2], [1, 2]);
  deepStrictEqual([...(await s.run({ x: a })).y.data], [2, 4]);
  a.data[0] = 10; // same memory, new contents
  deepStrictEqual([...(await s.run({ x: a })).y.data], [20, 4]);
  deepStrictEqual([...(await s.run({ x: f32([2], [5, 6]) })).y.data], [10, 12]); // other memory
  const b = f32([2], [7, 8]);
  deepStrictEqual([...(await s.run({ x: b })).y.data], [14, 16]);
  freeTensors([b]); // detached: a new tensor must not be read through the stale wrapper
  deepStrictEqual([...(await s.run({ x: f32([2], [3, 4]) })).y.data], [6, 8]);
  await s.release();
});

Deno.test("DirectEngine: overlapping runs with different feeds each get their own result", async () => {
  const g = new Graph("double");
  const x = g.input("x", "float32", [2]);
  g.output(mul(g, x, g.constant(f32([], [2]), "two")), "y");
  const s = await Session.create(g, new Map(), { engine: "direct" });
  const runs = [1, 2, 3, 4].map((k) => s.run({ x: f32([2], [k, -k]) }));
  const results = await Promise.all(runs);
  deepStrictEqual(results.map((r) => [...r.y.data]), [[2, -2], [4, -4], [6, -6], [8, -8]]);
  await s.release();
  await rejects(() => s.run({ x: f32([2], [1, 1]) }), /released/);
});
