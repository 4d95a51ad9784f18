/**
 * retainOnly: dropped entries leave the map, survivors that shared a buffer
 * with them move (values and typed-array kinds kept) and the buffer is
 * detached (freed at once); survivors alone in their buffer stay as they are. And the Tokenizer: a
 * weight leaves JS once every graph using it has a session; `encode` keeps
 * the decoder's; reopening after release says what to do; keepWeights keeps all.
 */
import { deepStrictEqual, notStrictEqual, ok, rejects, strictEqual } from "node:assert";
import type { Tensor } from "./tensor.ts";
import { retainOnly } from "./tokenizer_weights.ts";
import { loadTokenizer } from "./tokenizer.ts";
import { writeSafetensors } from "./weights/safetensors.ts";

Deno.test("retainOnly: survivors move out of a buffer they shared with dropped tensors, which is freed", () => {
  const shared = new ArrayBuffer(1 << 20);
  const f = new Float32Array(shared, 64, 16); // 64 bytes dropped, 22 kept: worth moving
  f.fill(1);
  const ids = new BigInt64Array(shared, 0, 2);
  ids.set([7n, -1n]);
  const half = new Uint16Array(shared, 16, 3);
  half.set([1, 2, 3]);
  const alone = new Float32Array([9, 8]);
  const weights = new Map<string, Tensor>([
    ["dropped", { dtype: "float32", shape: [16], data: f }],
    ["ids", { dtype: "int64", shape: [2], data: ids }],
    ["half", { dtype: "float16", shape: [3], data: half }],
    ["alone", { dtype: "float32", shape: [2], data: alone }],
  ]);
  const copied = retainOnly(weights, new Set(["ids", "half", "alone"]));
  deepStrictEqual([...weights.keys()], ["ids", "half", "alone"]);
  strictEqual(copied, 16 + 8); // 16 bytes of ids, 6 of half padded to 8
  const movedIds = weights.get("ids")!.data as BigInt64Array;
  const movedHalf = weights.get("half")!.data as Uint16Array;
  ok(movedIds instanceof BigInt64Array && movedHalf instanceof Uint16Array);
  deepStrictEqual([[...movedIds], [...movedHalf]], [[7n, -1n], [1, 2, 3]]);
  notStrictEqual(movedIds.buffer, shared);
  strictEqual(movedIds.buffer, movedHalf.buffer); // one allocation for all survivors
  strictEqual(weights.get("alone")!.data, alone);
  // Detached: its memory is freed now, not at the next collection.
  deepStrictEqual([shared.byteLength, f.length], [0, 0]);
});

Deno.test("retainOnly: a small dropped buffer is left to the collector (it may be a slice of a pool)", () => {
  const small = new Float32Array([1, 2, 3]);
  const weights = new Map<string, Tensor>([["a", { dtype: "float32", shape: [3], data: small }]]);
  retainOnly(weights, new Set());
  deepStrictEqual([weights.size, small.length], [0, 3]);
});

Deno.test("retainOnly: nothing dropped, nothing copied", () => {
  const data = new Float32Array([1, 2]);
  const weights = new Map<string, Tensor>([["a", { dtype: "float32", shape: [2], data }]]);
  strictEqual(retainOnly(weights, new Set(["a"])), 0);
  strictEqual(weights.get("a")!.data, data);
});

Deno.test("Tokenizer: weights leave JS as their graphs' sessions open; reopening after release is explained", async () => {
  const tok = await loadTokenizer("titok/tiny", { random: true, threads: 1 });
  const count = tok.parameterCount;
  // What the graphs without a session use: what must still be in JS.
  const unopened = () =>
    new Set(
      tok.graphNames.filter((g) => !tok.openedGraphs.includes(g)).flatMap((
        g,
      ) => [...tok.graph(g).params.keys()]),
    );
  const images: Tensor = {
    dtype: "float32",
    shape: [1, 3, 32, 32],
    data: new Float32Array(3 * 32 * 32).fill(0.5),
  };
  const t = await tok.encode(images);
  deepStrictEqual(tok.openedGraphs, ["encoder"]);
  deepStrictEqual(new Set(tok.weights.keys()), unopened());
  ok(tok.weights.size < [...new Set(tok.graphNames.flatMap((g) => [...tok.graph(g).params.keys()]))].length);
  const first = await tok.decode(t.tokens);
  deepStrictEqual(new Set(tok.weights.keys()), unopened());
  await tok.decodeLatent(t.latent!);
  deepStrictEqual(tok.openedGraphs.length, tok.graphNames.length);
  strictEqual(tok.weights.size, 0);
  strictEqual(tok.parameterCount, count);
  // Sessions keep working without the JS copy.
  deepStrictEqual((await tok.decode(t.tokens)).data, first.data);
  await tok.release();
  await rejects(tok.encode(images), /dropped once ONNX Runtime held it; load with keepWeights: true/);
});

Deno.test("Tokenizer: keepWeights keeps every weight after the sessions open", async () => {
  const tok = await loadTokenizer("titok/tiny", { random: true, threads: 1, keepWeights: true });
  const before = tok.weights.size;
  const images: Tensor = {
    dtype: "float32",
    shape: [1, 3, 32, 32],
    data: new Float32Array(3 * 32 * 32).fill(0.5),
  };
  await tok.reconstruct(images);
  strictEqual(tok.weights.size, before);
  await tok.release();
  await tok.encode(images); // reopens
  await tok.release();
});

Deno.test("retainOnly: a buffer mostly still in use is not copied; its survivors stay where they are", () => {
  const shared = new ArrayBuffer(1 << 20);
  const big = new Float32Array(shared, 0, 1000);
  const small = new Float32Array(shared, 4000, 10);
  const weights = new Map<string, Tensor>([
    ["big", { dtype: "float32", shape: [1000], data: big }],
    ["small", { dtype: "float32", shape: [10], data: small }],
  ]);
  strictEqual(retainOnly(weights, new Set(["big"])), 0);
  deepStrictEqual([...weights.keys()], ["big"]);
  strictEqual(weights.get("big")!.data, big);
  strictEqual(shared.byteLength, 1 << 20);
});

Deno.test("Tokenizer: graphs opened at once from one checkpoint buffer both work (creations run in turn)", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "tok1d-weights-" });
  try {
    const src = await loadTokenizer("titok/tiny", { random: true, seed: 3, threads: 1, keepWeights: true });
    const images: Tensor = {
      dtype: "float32",
      shape: [2, 3, 32, 32],
      data: new Float32Array(6 * 32 * 32).fill(0.25),
    };
    const enc = await src.encode(images);
    const want = await src.decodeLatent(enc.latent!);
    await src.release();
    writeSafetensors(`${dir}/model.safetensors`, src.weights);
    // One file, one buffer: whichever graph opens first moves the other's weights out of it and
    // detaches it; the Tokenizer runs creations in turn so that no creation is reading it then.
    const tok = await loadTokenizer("titok/tiny", {
      weights: `${dir}/model.safetensors`,
      threads: 1,
      programs: ["encode", "decodeLatent"],
    });
    const [y, t] = await Promise.all([tok.decodeLatent(enc.latent!), tok.encode(images)]);
    deepStrictEqual(t.tokens, enc.tokens);
    deepStrictEqual(y, want);
    strictEqual(tok.weights.size, 0);
    await tok.release();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("Tokenizer: a job's fp32 weights from a file are read by ONNX Runtime from it, none held in JS", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "tok1d-file-weights-" });
  try {
    const src = await loadTokenizer("titok/tiny", { random: true, seed: 5, threads: 1, keepWeights: true });
    const images: Tensor = {
      dtype: "float32",
      shape: [2, 3, 32, 32],
      data: Float32Array.from({ length: 6 * 32 * 32 }, (_, i) => (i % 97) / 97),
    };
    const want = await src.reconstruct(images);
    writeSafetensors(`${dir}/model.safetensors`, src.weights);
    await src.release();
    const open = () =>
      loadTokenizer("titok/tiny", {
        weights: `${dir}/model.safetensors`,
        threads: 1,
        programs: ["reconstruct"],
      });
    const tok = await open();
    strictEqual(tok.weights.size, 0, "no weight in JS before any session opens");
    deepStrictEqual(await tok.reconstruct(images), want, "the same outputs as from weights in JS");
    await tok.release();
    // int8 rewrites weights on the host: those stay in JS.
    const int8 = await loadTokenizer("titok/tiny", {
      weights: `${dir}/model.safetensors`,
      threads: 1,
      programs: ["reconstruct"],
      precision: "int8",
      calibrate: false,
    });
    ok(int8.weights.size > 0);
    await int8.release();
    // The file changing between the load and a session's creation is refused, naming it.
    const changed = await open();
    const bytes = Deno.readFileSync(`${dir}/model.safetensors`);
    Deno.writeFileSync(`${dir}/model.safetensors`, bytes.subarray(0, bytes.length - 4));
    await rejects(changed.reconstruct(images), /model\.safetensors changed after it was loaded/);
    await changed.release();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
