/**
 * Reading a tokens file for `decode`: an empty batch or a NaN/Inf latent is
 * refused by file name and position (a NaN latent would otherwise decode to
 * black images without a word).
 * @module
 */
import { readNpy } from "../core/data/npy.ts";
import { UsageError } from "../core/errors.ts";
import type { Tensor } from "../core/tensor.ts";

/** Throws unless every value of a float tensor is finite; `what` names the file or flag. */
export function assertFinite(t: Tensor, what: string): void {
  if (t.dtype !== "float32" && t.dtype !== "float64") return;
  const d = t.data as Float32Array | Float64Array;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) {
      const per = t.shape.slice(1).reduce((a, b) => a * b, 1) || 1;
      throw new UsageError(
        `${what}: holds ${d[i]} (item ${Math.floor(i / per)}, element ${i % per}); latents must be finite`,
      );
    }
  }
}

/** Reads `--tokens <file>`: a non-empty `.npy` of ids or finite latents. */
export function readTokensFile(path: string, flag = "--tokens"): Tensor {
  const t = readNpy(path);
  if (!t.shape.length || t.shape.some((n) => n === 0)) {
    throw new UsageError(`${flag} ${path}: holds no tokens (shape [${t.shape}]); expected [B, …] with B ≥ 1`);
  }
  assertFinite(t, `${flag} ${path}`);
  return t;
}
