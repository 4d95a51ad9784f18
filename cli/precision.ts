/**
 * The `--precision` flag of the model-running commands (encode, decode,
 * reconstruct, demo, eval). Its value is checked, with the device, by
 * core/runtime/precision.ts before any model loads (cli/preflight.ts).
 * @module
 */
import { Option } from "commander";

/** `--precision <p>`: fp32 (default) | int8 | bf16 | fp16, with what each does here in the help. */
export function precisionOption(): Option {
  return new Option(
    "--precision <p>",
    "inference arithmetic: fp32 (default, exact parity); int8 (CPU: Linear layers dynamically " +
      "quantized; ViT encoders ~2× faster, conv decoders barely; ~5 % of token ids change); bf16 (CPU: " +
      "bf16-rounded weights at fp32 speed, NOT faster: ONNX Runtime's x86 CPU provider has no bf16 kernels); " +
      "fp16 (cuda/tensorrt: fp16 graph, norms/softmax/quantizer in fp32)",
  );
}
