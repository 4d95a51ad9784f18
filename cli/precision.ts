/**
 * The `--precision` flag of the model-running commands (encode, decode,
 * reconstruct, demo, eval). Its value is checked, with the device, by
 * core/runtime/precision.ts before any model loads (cli/preflight.ts).
 * @module
 */
import { Option } from "commander";
import { UsageError } from "../core/errors.ts";
import { calibrationFiles } from "../core/tokenizer_calibration.ts";

/** `--precision <p>`: fp32 (default) | int8 | bf16 | fp16, with what each does here in the help. */
export function precisionOption(): Option {
  return new Option(
    "--precision <p>",
    "inference arithmetic: fp32 (default, exact parity); int8 (CPU: Linear layers dynamically " +
      "quantized, convs statically from --calibrate ranges; ViT encoders ~2× faster; ~5 % of token ids change); bf16 (CPU: " +
      "bf16-rounded weights at fp32 speed, NOT faster: ONNX Runtime's x86 CPU provider has no bf16 kernels); " +
      "fp16 (cuda/tensorrt: fp16 graph, norms/softmax/quantizer in fp32)",
  );
}

/**
 * `--calibrate <path>` (repeatable): with `--precision int8`, the images (files or folders) whose
 * float32 run sets the int8 convs' activation ranges; default: the four built-in sample photos;
 * `none`: convs stay fp32 (Linear layers only).
 */
export function calibrateOption(): Option {
  return new Option(
    "--calibrate <path>",
    "with --precision int8: image file or folder (repeatable) whose fp32 run sets the int8 convs' " +
      "activation ranges (default: 4 built-in sample photos); 'none': convs stay fp32",
  ).argParser((v: string, prev?: string[]) => [...(prev ?? []), v]);
}

/** The tokenizer's `calibrate` option from `--calibrate` values (a UsageError when int8 is not asked for). */
export function calibrateFlag(
  values: string[] | undefined,
  precision: string,
): readonly string[] | false | undefined {
  if (!values?.length) return undefined;
  if (precision !== "int8") {
    throw new UsageError(`--calibrate: only with --precision int8 (got ${precision})`);
  }
  if (values.includes("none")) {
    if (values.length > 1) throw new UsageError(`--calibrate none: cannot be combined with paths`);
    return false;
  }
  return calibrationFiles(values);
}
