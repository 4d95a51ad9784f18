/**
 * glibc allocator settings for training loops. Every run, onnxruntime-node
 * returns each output in a fresh ArrayBuffer — even an output ORT already
 * wrote into a fed buffer (core/runtime/in_place.ts) — which the runner frees
 * right away: hundreds of MB a step for an S-128-sized model. With glibc's
 * defaults, buffers above the (dynamic) mmap threshold are fresh mappings and
 * a freed heap top above the trim threshold goes back to the kernel, so each
 * step page-faults that memory in again. A fixed 32 MiB mmap threshold (glibc's
 * maximum) and a 2 GiB trim threshold keep freed memory for the next step: a
 * S-128-shaped train step goes from 2.37 to 2.06 s (bench/README.md, "In-place
 * state"). The cost is that the process keeps its peak heap mapped.
 *
 * Same effect as `MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=2147483647`
 * in the environment, applied from inside the process through `mallopt` (Deno FFI). On other C
 * libraries or without `--allow-ffi` it does nothing.
 *
 * @example
 * ```ts
 * keepFreedMemory(); // once, before a training loop
 * ```
 * @module
 */

const M_TRIM_THRESHOLD = -1;
const M_MMAP_THRESHOLD = -3;
/** glibc refuses larger mmap thresholds (HEAP_MAX_SIZE / 2 on 64-bit). */
const MMAP_THRESHOLD = 32 * 1024 * 1024;
const TRIM_THRESHOLD = 2 ** 31 - 1;

let applied: boolean | undefined;

/** Applies the settings once per process; returns whether glibc accepted them. */
export function keepFreedMemory(): boolean {
  if (applied !== undefined) return applied;
  applied = false;
  if (Deno.build.os !== "linux") return applied;
  let lib: Deno.DynamicLibrary<{ mallopt: { parameters: ["i32", "i32"]; result: "i32" } }> | undefined;
  try {
    lib = Deno.dlopen("libc.so.6", { mallopt: { parameters: ["i32", "i32"], result: "i32" } });
    applied = lib.symbols.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) === 1 &&
      lib.symbols.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) === 1;
  } catch {
    // Not glibc (musl has no libc.so.6 or no mallopt) or no FFI permission: keep the defaults.
  } finally {
    lib?.close();
  }
  return applied;
}
