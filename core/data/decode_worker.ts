/**
 * Worker entry of {@link DecodePool}: decodes image bytes (or a file), applies
 * the transform with the sample's own seed and sends the float32 CHW array
 * back (transferred, not copied). One job at a time; errors come back as text.
 *
 * @module
 */
import { Rng } from "../init.ts";
import { decodeRgb } from "./decode_fast.ts";
import type { DecodeJob, DecodeReply } from "./decode_pool.ts";
import { transformToChw } from "./transform.ts";

const scope = self as unknown as {
  onmessage: ((e: MessageEvent<DecodeJob>) => void) | null;
  postMessage(message: DecodeReply, transfer?: Transferable[]): void;
};

scope.onmessage = async ({ data: job }) => {
  try {
    const chw = transformToChw(
      await decodeRgb(job.source, job.name),
      job.transform,
      new Rng(job.seed),
    );
    scope.postMessage({ id: job.id, data: chw }, [chw.buffer as ArrayBuffer]);
  } catch (e) {
    scope.postMessage({ id: job.id, error: String((e as Error)?.message ?? e) });
  }
};
