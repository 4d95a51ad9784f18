/**
 * What lets the Tokenizer drop its copy of the weights once a session is
 * open: ONNX Runtime copies in-memory external data when the session is
 * created, on both engines, for every kind of use a tokenizer has
 * (prepacked Gemm/MatMul operands, re-laid-out conv weights, norms, gathers,
 * elementwise operands), large or small. Overwriting the buffers afterwards
 * must not change a single output. Or ORT reads them from their checkpoint
 * file itself (`fileWeights`), with the same outputs.
 */
import { deepStrictEqual, ok, rejects } from "node:assert";
import { type FileSpan, fileSpanOf } from "../weights/file_spans.ts";
import { readSafetensors, writeSafetensors } from "../weights/safetensors.ts";
import { Graph } from "../graph/graph.ts";
import { add, conv, gather, layerNorm, matmul, mul, reshape } from "../ops/mod.ts";
import { linear } from "../nn/linear.ts";
import type { Tensor } from "../tensor.ts";
import { Session } from "./session.ts";

const D = 512; // a 1 MiB Linear weight: far above any small-initializer special case

function graph(): Graph {
  const g = new Graph("uses");
  const image = g.input("image", "float32", ["B", 3, 8, 8]);
  const ids = g.input("ids", "int64", ["B", 4]);
  const c = g.scope(
    "conv",
    () => conv(g, image, g.param("weight", [8, 3, 3, 3]), g.param("bias", [8]), { pads: [1, 1, 1, 1] }),
  );
  const tokens = reshape(g, c, ["B", 8, 64]);
  const emb = gather(g, g.param("embed", [16, 64]), ids, 0);
  let x = add(g, matmul(g, emb, g.param("kernel", [64, D])), g.param("shift", [D]));
  x = g.scope("fc", () => linear(g, x, D, D));
  x = layerNorm(g, x, g.param("ln.weight", [D]), g.param("ln.bias", [D]), -1, 1e-5);
  g.output(mul(g, x, g.param("gain", [D])), "y");
  g.output(tokens, "tokens");
  return g;
}

function weightsInOneBuffer(g: Graph): { weights: Map<string, Tensor>; buffer: Float32Array } {
  const specs = [...g.params.values()];
  const sizes = specs.map((p) => p.shape.reduce((a, b) => a * b, 1));
  const buffer = new Float32Array(sizes.reduce((a, b) => a + b, 0));
  for (let i = 0; i < buffer.length; i++) buffer[i] = Math.sin(i * 0.37) * 0.1;
  const weights = new Map<string, Tensor>();
  let at = 0;
  specs.forEach((p, i) => {
    weights.set(p.name, { dtype: "float32", shape: p.shape, data: buffer.subarray(at, at + sizes[i]) });
    at += sizes[i];
  });
  return { weights, buffer };
}

const feeds = () =>
  ({
    image: {
      dtype: "float32",
      shape: [2, 3, 8, 8],
      data: Float32Array.from({ length: 384 }, (_, i) => i / 384),
    },
    ids: { dtype: "int64", shape: [2, 4], data: BigInt64Array.from([0n, 3n, 7n, 15n, 1n, 2n, 9n, 4n]) },
  }) as Record<string, Tensor>;

for (const engine of ["node", "direct"] as const) {
  Deno.test(`Session (${engine}): weights ORT reads from their safetensors file give the in-memory outputs`, async () => {
    const g = graph();
    const { weights } = weightsInOneBuffer(g);
    const dir = Deno.makeTempDirSync({ prefix: "tok1d-file-weights-" });
    try {
      writeSafetensors(`${dir}/w.safetensors`, weights);
      const fileWeights = new Map<string, FileSpan>();
      for (const [name, t] of readSafetensors(`${dir}/w.safetensors`).tensors) {
        fileWeights.set(name, fileSpanOf(t)!);
      }
      const onDisk = await Session.create(g, new Map(), { engine, threads: 1, fileWeights });
      const inMemory = await Session.create(g, weights, { engine, threads: 1 });
      // Some in JS, the rest on disk: ORT takes external data all from memory or all from files.
      const mixed = await Session.create(g, new Map([...weights].filter(([k]) => k.startsWith("fc."))), {
        engine,
        threads: 1,
        fileWeights,
      });
      const [got, want, both] = [
        await onDisk.run(feeds()),
        await inMemory.run(feeds()),
        await mixed.run(feeds()),
      ];
      for (const s of [onDisk, inMemory, mixed]) await s.release();
      deepStrictEqual([...both.y.data], [...want.y.data]);
      deepStrictEqual(onDisk.inputs.map((v) => v.name), ["image", "ids"], "nothing is left to feed");
      deepStrictEqual([...got.y.data], [...want.y.data]);
      deepStrictEqual([...got.tokens.data], [...want.tokens.data]);
      await rejects(
        Session.create(g, new Map(), { engine, fileWeights, precision: "int8" }),
        /fileWeights need precision fp32/,
      );
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  });

  Deno.test(`Session (${engine}): overwriting the weight buffers after create changes no output`, async () => {
    const g = graph();
    const { weights, buffer } = weightsInOneBuffer(g);
    const s = await Session.create(g, weights, { engine, threads: 1 });
    const feeds = {
      image: {
        dtype: "float32",
        shape: [2, 3, 8, 8],
        data: Float32Array.from({ length: 384 }, (_, i) => i / 384),
      },
      ids: { dtype: "int64", shape: [2, 4], data: BigInt64Array.from([0n, 3n, 7n, 15n, 1n, 2n, 9n, 4n]) },
    } as Record<string, Tensor>;
    const before = await s.run(feeds);
    buffer.fill(Number.NaN);
    const after = await s.run(feeds);
    await s.release();
    ok((before.y.data as Float32Array).every(Number.isFinite));
    deepStrictEqual([...after.y.data], [...before.y.data]);
    deepStrictEqual([...after.tokens.data], [...before.tokens.data]);
  });
}
