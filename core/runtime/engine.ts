/**
 * What a {@link Session} runs on: onnxruntime-node's binding (every provider)
 * or ONNX Runtime's C API through Deno FFI (CPU; no copies of inputs or of
 * outputs updated in place). Both take the same model bytes and options.
 * @module
 */
import type { Value } from "../graph/graph.ts";
import type { Tensor } from "../tensor.ts";

/** Session settings an engine applies. */
export interface EngineOptions {
  threads?: number;
  /** false: workers sleep between kernels; true: ORT's spin; a number: spin at most that many µs. */
  spinning?: boolean | number;
  memoryArena?: boolean;
  memoryPattern?: boolean;
  profile?: string;
  /** Extra ONNX Runtime session config entries (`session.dynamic_block_base` → "4"), applied last. */
  sessionConfig?: Record<string, string>;
}

/** ORT's config entries for {@link EngineOptions.spinning} (unset: ORT's default, spinning). */
export function spinConfig(spinning: boolean | number | undefined): Record<string, string> {
  const entries: Record<string, string> = {
    "session.intra_op.allow_spinning": spinning === false ? "0" : "1",
  };
  if (typeof spinning === "number") entries["session.intra_op.spin_duration_us"] = String(spinning);
  return entries;
}

/** A session opened on one engine. */
export interface Engine {
  /**
   * Runs with `feeds` (already checked); outputs named in `inPlace` (output → input) are written
   * into that input's buffer and returned as the fed tensor.
   */
  run(
    inputs: readonly Value[],
    feeds: Record<string, Tensor>,
    outputs: readonly Value[],
    inPlace: ReadonlyMap<string, string>,
  ): Promise<Record<string, Tensor>>;
  endProfiling(): void;
  release(): Promise<void>;
}
