/**
 * Helper networks and initial weights go through the family's declarations:
 * a helper's file through its own key map (or under its prefix), seeded
 * random weights for tests, a missing file named from the declaration; and
 * `weights` files through the family's `load` before they meet the graph's
 * parameter names.
 */
import { deepStrictEqual, throws } from "node:assert";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import type { HelperNetwork, Plugin } from "../plugin.ts";
import type { Tensor } from "../tensor.ts";
import { writeSafetensors } from "../weights/safetensors.ts";
import { helperParam, loadHelpers } from "./helpers.ts";
import { applyWeights } from "./weights.ts";

const t = (shape: number[], v: number): Tensor => ({
  dtype: "float32",
  shape,
  data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(v),
});

const encoder: HelperNetwork<unknown> = {
  prefix: "foundation.",
  stages: ["distill"],
  what: "DINO encoder weights",
  file: "dino.pth",
  published: "the dino repository",
  // Upstream's Flax-style kernel is transposed into the graph's layout.
  load: (ts) => new Map([["foundation.proj.weight", { ...ts.get("proj/kernel")!, shape: [2, 3] }]]),
};
const teacher: HelperNetwork<unknown> = {
  prefix: "teacher.",
  stages: ["distill"],
  what: "teacher weights",
  file: "teacher.bin",
  published: "the HF repo x/y",
  flag: "--teacher",
};
const plugin = { name: "fake", helpers: { encoder, teacher } } as unknown as Plugin<unknown>;
const shapes = new Map([["foundation.proj.weight", [2, 3]], ["teacher.w", [4]], ["decoder.w", [4]]]);

Deno.test("helpers: loaded through their key map or prefix, random on request, missing ones named from the declaration", () => {
  const given = {
    encoder: new Map([["proj/kernel", t([3, 2], 1)]]),
    teacher: new Map([["w", t([4], 2)], ["decoder.w", t([4], 9)]]),
  };
  const w = loadHelpers(plugin, {}, "distill", shapes, { given, quiet: true });
  deepStrictEqual([...w.keys()].sort(), ["foundation.proj.weight", "teacher.w"]);
  deepStrictEqual(w.get("teacher.w")!.data, t([4], 2).data);
  const random = loadHelpers(plugin, {}, "distill", shapes, {
    given: {},
    random: { seed: 1, scheme: "titok" },
    quiet: true,
  });
  deepStrictEqual(random.get("teacher.w")!.shape, [4]);
  throws(
    () => loadHelpers(plugin, {}, "distill", shapes, { given: { encoder: given.encoder } }),
    (e: Error) =>
      e instanceof UsageError &&
      e.message ===
        "--teacher: this stage needs the teacher weights (teacher.bin, published in the HF repo x/y); " +
          "pass the file with --teacher",
  );
  throws(
    () => loadHelpers(plugin, {}, "distill", shapes, { given: { teacher: given.teacher } }),
    /--helper encoder=<file>: this stage needs the DINO encoder weights \(dino\.pth/,
  );
  throws(
    () => loadHelpers(plugin, {}, "distill", shapes, { given: { dino: "x" } }),
    /--helper dino: the fake family has helpers encoder, teacher/,
  );
  const isHelper = helperParam(plugin);
  deepStrictEqual([...shapes.keys()].filter(isHelper), ["foundation.proj.weight", "teacher.w"]);
  // A stage whose graph has no helper parameters needs no file.
  deepStrictEqual(
    loadHelpers(plugin, {}, "pixels", new Map([["decoder.w", [4]]]), { given: {}, quiet: true }).size,
    0,
  );
});

Deno.test("weights: each file goes through the family's load before it is matched to parameters", () => {
  const dir = mkdtempSync(join(tmpdir(), "tok1d-load-"));
  const file = join(dir, "upstream.safetensors");
  writeSafetensors(file, new Map([["dec/w", t([4], 3)], ["unused", t([1], 0)]]));
  const weights = new Map([["decoder.w", t([4], 0)]]);
  const rename = (ts: Map<string, Tensor>) =>
    new Map([...ts].map(([k, v]) => [k.replace("dec/", "decoder."), v] as [string, Tensor]));
  deepStrictEqual(applyWeights(weights, new Map([["decoder.w", [4]]]), [{ path: file }], rename), [1]);
  deepStrictEqual(weights.get("decoder.w")!.data, t([4], 3).data);
  throws(
    () => applyWeights(weights, new Map([["decoder.w", [4]]]), [{ path: file }]),
    /none of its 2 tensors is a parameter of this model/,
  );
  const refuse = () => {
    throw new UsageError("checkpoint key dec/w is not this config's");
  };
  throws(
    () => applyWeights(weights, new Map(), [{ path: file }], refuse),
    /--weights .*upstream\.safetensors: checkpoint key dec\/w/,
  );
});
