/**
 * `--precision`: the arithmetic a tokenizer's inference sessions run in. One
 * generic rewrite per precision, applied to the graph when its session opens
 * (no family knows about it):
 *
 * - `fp32` (default): the graph as built, bit-identical to no option.
 * - `int8` (CPU): Linear/MatMul dynamically quantized, convs with calibrated activation ranges
 *   statically (QLinearConv) (core/runtime/int8_pass.ts, int8_conv_pass.ts, calibrate.ts).
 * - `bf16` (CPU): weight-heavy ops' weights rounded to bfloat16 and cast up
 *   (core/runtime/bf16_pass.ts). ONNX Runtime's x86 CPU provider has no bf16
 *   GEMM or conv kernels (MLAS has them for ARM64 only), so this measures the
 *   quality of bf16 weights but is no faster than fp32.
 * - `fp16` (cuda, tensorrt): the whole graph in float16 with float32 inputs and
 *   outputs, keeping the usual mixed-precision islands in float32
 *   (core/runtime/fp16_pass.ts).
 *
 * @example
 * ```ts
 * const precision = parsePrecision("int8", "cpu", "--precision");
 * const { graph: g, weights: added } = applyPrecision(graph, weights, precision);
 * ```
 * @module
 */
import type { Graph } from "../graph/graph.ts";
import { UsageError } from "../errors.ts";
import type { Tensor } from "../tensor.ts";
import { int8Rewrite, type Int8Rule, type Rewritten } from "./int8_pass.ts";
import { bf16Rewrite } from "./bf16_pass.ts";
import { fp16Rewrite } from "./fp16_pass.ts";

/** Precisions tok1d runs inference in. */
export const PRECISIONS = ["fp32", "bf16", "int8", "fp16"] as const;
export type Precision = typeof PRECISIONS[number];

/** Devices each precision runs on. */
const DEVICES_OF: Record<Precision, readonly string[] | "any"> = {
  fp32: "any",
  int8: ["cpu"],
  bf16: ["cpu"],
  fp16: ["cuda", "tensorrt"],
};

/** What the CPU may do instead of a precision it does not run. */
const HINT: Record<Precision, string> = {
  fp32: "",
  int8: "int8 uses ONNX Runtime's CPU integer kernels; use --device cpu",
  bf16: "bf16 is a CPU weight format here; use --device cpu",
  fp16:
    "the CPU provider has no fp16 kernels (it would cast every node back to fp32); use int8 or bf16 on the CPU",
};

/**
 * Checks a precision value (undefined: fp32) against the device; a UsageError naming `flag`, the
 * valid values, and what runs where.
 */
export function parsePrecision(value: string | undefined, device = "cpu", flag = "--precision"): Precision {
  if (value === undefined) return "fp32";
  if (!(PRECISIONS as readonly string[]).includes(value)) {
    throw new UsageError(`${flag}: unknown precision '${value}'; use one of ${PRECISIONS.join(", ")}`);
  }
  const p = value as Precision;
  const devices = DEVICES_OF[p];
  if (devices !== "any" && !devices.includes(device)) {
    throw new UsageError(
      `${flag} ${p}: runs on --device ${devices.join(" or ")}, not ${device} (${HINT[p]})`,
    );
  }
  return p;
}

/** `graph` rewritten for `precision`, with the tensors of any parameters the rewrite added. */
export function applyPrecision(
  graph: Graph,
  weights: ReadonlyMap<string, Tensor>,
  precision: Precision,
  int8Rule?: Int8Rule,
): Rewritten {
  switch (precision) {
    case "fp32":
      return { graph, weights: new Map() };
    case "int8":
      return int8Rewrite(graph, weights, int8Rule);
    case "bf16":
      return bf16Rewrite(graph, weights);
    case "fp16":
      return fp16Rewrite(graph, weights);
  }
}
