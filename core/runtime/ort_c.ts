/**
 * The few entries of ONNX Runtime's C API (`OrtApi`) that {@link DirectEngine}
 * calls, reached through Deno FFI on the `libonnxruntime` that onnxruntime-node
 * ships. `OrtApi` is a table of function pointers that only ever grows at the
 * end, so an entry's index is fixed for good: the indices below were counted in
 * `onnxruntime_c_api.h` (API version 29) and are checked at load time by a
 * round trip through `CreateStatus` / `GetErrorCode` / `GetErrorMessage`.
 *
 * @module
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { existsSync } from "node:fs";

/** The API version requested: AddExternalInitializersFromFilesInMemory (index 279) needs ≥ 18. */
const API_VERSION = 20;

const P = "pointer" as const;
const fn = <
  const A extends readonly Deno.NativeType[],
  const R extends Deno.NativeResultType,
  const NB extends boolean = false,
>(
  index: number,
  parameters: A,
  result: R,
  nonblocking?: NB,
) => ({ index, def: { parameters, result, nonblocking: (nonblocking ?? false) as NB } });

/** Index and signature of each entry used (all return an `OrtStatus*` unless noted). */
const ENTRIES = {
  CreateStatus: fn(0, ["i32", "buffer"], P),
  GetErrorCode: fn(1, [P], "i32"),
  GetErrorMessage: fn(2, [P], P),
  CreateEnv: fn(3, ["i32", "buffer", "buffer"], P),
  CreateSessionFromArray: fn(8, [P, "buffer", "usize", P, "buffer"], P),
  Run: fn(9, [P, P, "buffer", "buffer", "usize", "buffer", "usize", "buffer"], P, true),
  CreateSessionOptions: fn(10, ["buffer"], P),
  SetSessionExecutionMode: fn(13, [P, "i32"], P),
  EnableProfiling: fn(14, [P, "buffer"], P),
  EnableMemPattern: fn(16, [P], P),
  DisableMemPattern: fn(17, [P], P),
  EnableCpuMemArena: fn(18, [P], P),
  DisableCpuMemArena: fn(19, [P], P),
  SetSessionGraphOptimizationLevel: fn(23, [P, "i32"], P),
  SetIntraOpNumThreads: fn(24, [P, "i32"], P),
  SetInterOpNumThreads: fn(25, [P, "i32"], P),
  CreateTensorWithDataAsOrtValue: fn(49, [P, P, "usize", "buffer", "usize", "i32", "buffer"], P),
  GetTensorMutableData: fn(51, [P, "buffer"], P),
  GetTensorElementType: fn(60, [P, "buffer"], P),
  GetDimensionsCount: fn(61, [P, "buffer"], P),
  GetDimensions: fn(62, [P, "buffer", "usize"], P),
  GetTensorTypeAndShape: fn(65, [P, "buffer"], P),
  CreateCpuMemoryInfo: fn(69, ["i32", "i32", "buffer"], P),
  AllocatorFree: fn(76, [P, P], P),
  GetAllocatorWithDefaultOptions: fn(78, ["buffer"], P),
  ReleaseStatus: fn(93, [P], "void"),
  ReleaseMemoryInfo: fn(94, [P], "void"),
  ReleaseSession: fn(95, [P], "void"),
  ReleaseValue: fn(96, [P], "void"),
  ReleaseTensorTypeAndShapeInfo: fn(99, [P], "void"),
  ReleaseSessionOptions: fn(100, [P], "void"),
  SessionEndProfiling: fn(110, [P, P, "buffer"], P),
  AddSessionConfigEntry: fn(130, [P, "buffer", "buffer"], P),
  AddExternalInitializersFromFilesInMemory: fn(279, [P, "buffer", "buffer", "buffer", "usize"], P),
};

type Entries = typeof ENTRIES;
/** The callable entries. */
export type OrtC = {
  [K in keyof Entries]: Deno.UnsafeFnPointer<Entries[K]["def"]>["call"];
};

/** A NUL-terminated UTF-8 copy of `s` (keep it alive while C reads it). */
export const cString = (s: string): Uint8Array<ArrayBuffer> => new TextEncoder().encode(s + "\0");

/** Where onnxruntime-node keeps `libonnxruntime` for this platform. */
function libraryPath(): string {
  const pkg = dirname(createRequire(import.meta.url).resolve("onnxruntime-node/package.json"));
  const arch = Deno.build.arch === "aarch64" ? "arm64" : "x64";
  const os = Deno.build.os;
  const name = os === "darwin"
    ? "libonnxruntime.1.dylib"
    : os === "windows"
    ? "onnxruntime.dll"
    : "libonnxruntime.so.1";
  const platform = os === "windows" ? "win32" : os;
  return join(pkg, "bin", "napi-v6", platform, arch, name);
}

let loaded: OrtC | Error | undefined;

/**
 * The C API, loaded once; throws with the reason if it cannot be (no FFI permission, library
 * not found, a table that fails the status round trip).
 */
export function ortC(): OrtC {
  if (!loaded) {
    try {
      loaded = load();
    } catch (e) {
      loaded = e instanceof Error ? e : new Error(String(e));
    }
  }
  if (loaded instanceof Error) throw loaded;
  return loaded;
}

function load(): OrtC {
  const path = libraryPath();
  if (!existsSync(path)) throw new Error(`ONNX Runtime's C library was not found at ${path}`);
  const lib = Deno.dlopen(path, { OrtGetApiBase: { parameters: [], result: P } });
  const base = lib.symbols.OrtGetApiBase();
  if (!base) throw new Error("OrtGetApiBase returned null");
  const getApi = new Deno.UnsafeFnPointer(new Deno.UnsafePointerView(base).getPointer(0)!, {
    parameters: ["u32"],
    result: P,
  });
  const api = getApi.call(API_VERSION);
  if (!api) throw new Error(`this ONNX Runtime does not offer C API version ${API_VERSION}`);
  const table = new Deno.UnsafePointerView(api);
  const c = {} as Record<string, unknown>;
  for (const [name, e] of Object.entries(ENTRIES)) {
    const f = new Deno.UnsafeFnPointer(table.getPointer(e.index * 8)!, e.def as Deno.ForeignFunction);
    c[name] = f.call.bind(f);
  }
  const ort = c as OrtC;
  // Misnumbered entries would crash later; a round trip through three of them catches a wrong table.
  const status = ort.CreateStatus(2, cString("tok1d probe"));
  const code = ort.GetErrorCode(status);
  const message = Deno.UnsafePointerView.getCString(ort.GetErrorMessage(status)!);
  ort.ReleaseStatus(status);
  if (code !== 2 || message !== "tok1d probe") {
    throw new Error("ONNX Runtime's C API table is not the expected one");
  }
  return ort;
}

/** Throws ORT's message if `status` is an error (and releases it). */
export function check(ort: OrtC, status: Deno.PointerValue, what: string): void {
  if (!status) return;
  const message = Deno.UnsafePointerView.getCString(ort.GetErrorMessage(status)!);
  ort.ReleaseStatus(status);
  throw new Error(`${what}: ${message}`);
}

/** A pointer-sized out-parameter slot and its value after the call. */
export function outPointer(): { slot: BigUint64Array<ArrayBuffer>; get: () => Deno.PointerValue } {
  const slot = new BigUint64Array(1);
  return { slot, get: () => Deno.UnsafePointer.create(slot[0]) };
}
