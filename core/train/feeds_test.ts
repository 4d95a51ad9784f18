/**
 * Batch feeds: a loss declares how each batch input is filled — the image
 * batch, scaled standard-normal noise (the k-th normal feed seeded as
 * seed·7 + step + k·1000003, the first as tok1d train always drew VAE noise),
 * or a generator of the family's own (here a per-step iteration index) — and
 * an undeclared batch input is refused, naming it.
 */
import { deepStrictEqual, ok, throws } from "node:assert";
import { buildTrainStep } from "../autodiff/train_step.ts";
import type { Graph } from "../graph/graph.ts";
import { f32, mul, reduceMean } from "../ops/mod.ts";
import type { Tensor } from "../tensor.ts";
import { batchFeeder, imagesInput, normal } from "./feeds.ts";

const ADAMW = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, clipNorm: 0 };
const all = (v: { shape: readonly (number | string)[] }) => v.shape.map((_, i) => i);

function step(declare: boolean) {
  return buildTrainStep(
    "feeds",
    (g: Graph) => {
      const x = g.input("pixels", "float32", [2, 3, 4, 4]);
      const z = g.input("z", "float32", [2, 5]);
      const it = g.input("iteration", "float32", [1]);
      const w = g.param("w", []);
      const total = mul(
        g,
        w,
        mul(
          g,
          reduceMean(g, x, all(x), false),
          mul(g, reduceMean(g, z, all(z), false), reduceMean(g, it, [0], false)),
        ),
      );
      const feeds = {
        pixels: { kind: "images" as const },
        z: { kind: "normal" as const, scale: 0.5 },
        iteration: {
          kind: "custom" as const,
          generate: ({ step }: { step: number }) => f32([1], [step + 1]),
        },
      };
      return {
        terms: { t: total },
        total: mul(g, total, g.constant(f32([], [1]), "one")),
        feeds: declare ? feeds : {},
      };
    },
    () => true,
    ADAMW,
  );
}

Deno.test("feeds: images, scaled normal noise and a family's own generator fill the declared inputs by step", async () => {
  const s = step(true);
  deepStrictEqual(imagesInput(s), "pixels");
  const asked: number[] = [];
  const images = {
    at: (n: number) => {
      asked.push(n);
      return Promise.resolve(
        { dtype: "float32", shape: [2, 3, 4, 4], data: new Float32Array(96).fill(n) } as Tensor,
      );
    },
    close: () => Promise.resolve(),
  };
  const feed = batchFeeder(s, { images, seed: 3, noiseScale: 2 });
  const b = await feed(4);
  deepStrictEqual(asked, [4]);
  deepStrictEqual((b.pixels.data as Float32Array)[0], 4);
  deepStrictEqual(b.z, normal([2, 5], 3 * 7 + 4, 0.5 * 2));
  deepStrictEqual([...b.iteration.data as Float32Array], [5]);
  const again = await feed(4);
  deepStrictEqual(again.z, b.z, "the same step draws the same noise (resumes repeat it)");
  ok((await feed(5)).z.data[0] !== b.z.data[0]);
});

Deno.test("feeds: with accumulation N, micro-batch k of step s reads data batch s·N + k; families' feeds get the step", async () => {
  const asked: number[] = [];
  const images = {
    at: (n: number) => {
      asked.push(n);
      return Promise.resolve({ dtype: "float32", shape: [2, 3, 4, 4], data: new Float32Array(96) } as Tensor);
    },
    close: () => Promise.resolve(),
  };
  const feed = batchFeeder(step(true), { images, seed: 3, accumulate: 3 });
  const b = await feed(2, 1);
  deepStrictEqual(asked, [7]);
  deepStrictEqual(b.z, normal([2, 5], 3 * 7 + 7, 0.5), "noise from the data index");
  deepStrictEqual([...b.iteration.data as Float32Array], [3], "the custom feed sees optimiser step 2");
});

Deno.test("feeds: a batch input the loss does not declare is refused, naming it", () => {
  throws(() => batchFeeder(step(false), { seed: 0 }), /batch input pixels has no declared feed/);
});
