/**
 * The C heap under ONNX Runtime, on Linux with glibc. Opening a session
 * allocates and frees gigabytes in large blocks: ORT's copy of the external
 * data, which prepacking and re-layouts replace, and constant-folded values.
 * glibc serves blocks above its mmap threshold with mmap and unmaps them on
 * free, but it raises that threshold to the size of every such block freed
 * (up to 32 MiB), after which weight-sized blocks come from the heap and stay
 * resident once freed. Measured on a 384 MiB stack of 16 MiB Linear weights:
 * a session held 2× its weights instead of 1.07× until the heap was trimmed
 * (bench/README.md, "Memory"). Fixing the threshold (`mallopt`) instead gave
 * the same resident size and no lower peak on TiTok-L-32, so it is not set.
 *
 * A no-op where glibc is not there (macOS, Windows, musl) or FFI is not
 * allowed.
 * @module
 */

type Glibc = { malloc_trim(pad: bigint): number };

let glibc: Glibc | null | undefined;

function load(): Glibc | null {
  if (glibc !== undefined) return glibc;
  glibc = null;
  if (Deno.build.os !== "linux") return glibc;
  // Never prompt: a process allowed FFI only for ONNX Runtime's library keeps glibc's default.
  if (Deno.permissions.querySync({ name: "ffi", path: "libc.so.6" }).state !== "granted") return glibc;
  try {
    glibc = Deno.dlopen("libc.so.6", {
      malloc_trim: { parameters: ["usize"], result: "i32" },
    }).symbols as unknown as Glibc;
  } catch {
    // Not glibc, or no --allow-ffi: the default allocator behaviour stays.
  }
  return glibc;
}

/** Returns the heap's free pages to the system (glibc `malloc_trim(0)`); whether glibc is there. */
export function trimNativeHeap(): boolean {
  const c = load();
  if (!c) return false;
  c.malloc_trim(0n);
  return true;
}
