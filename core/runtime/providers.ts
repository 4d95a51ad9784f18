/**
 * Execution providers: maps `--device` to ONNX Runtime's provider list and
 * explains how to install the ones onnxruntime-node does not bundle. A missing
 * provider is an error, never a silent CPU fallback.
 *
 * @module
 */
import * as ort from "onnxruntime-node";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { UsageError } from "../errors.ts";

/** Devices tok1d accepts. */
export const DEVICES = ["cpu", "cuda", "tensorrt", "webgpu"] as const;
export type Device = typeof DEVICES[number];

const HOW_TO_INSTALL =
  "onnxruntime-node fetches the CUDA/TensorRT providers in its install script, which Deno runs only when " +
  'approved: add `"allowScripts": ["npm:onnxruntime-node@1.30.0"]` to deno.json (or run `deno approve-scripts`), ' +
  "then reinstall (`rm -rf node_modules && deno install`) on a machine that can reach the NuGet feed, " +
  "with CUDA 12 and cuDNN 9 (and TensorRT 10 for tensorrt) installed. Use --device cpu meanwhile.";

/** Shared libraries a non-bundled provider needs beside the native binding. */
const PROVIDER_LIBRARIES: Partial<Record<Device, string>> = {
  cuda: "libonnxruntime_providers_cuda.so",
  tensorrt: "libonnxruntime_providers_tensorrt.so",
};

/** The folder holding onnxruntime-node's native binding (and any installed providers). */
function bindingFolder(): string | undefined {
  try {
    const pkg = dirname(dirname(createRequire(import.meta.url).resolve("onnxruntime-node")));
    return join(pkg, "bin", "napi-v6", process.platform, process.arch);
  } catch {
    return undefined;
  }
}

/**
 * Whether the provider can be used here. ONNX Runtime falls back to the CPU
 * when a requested provider's library is missing, so this is checked first.
 */
export function providerAvailable(device: Device): boolean {
  const list = ort.listSupportedBackends?.() ?? [];
  const entry = list.find((b: { name: string }) => b.name === device) as { bundled: boolean } | undefined;
  if (!entry) return false;
  if (entry.bundled) return true;
  const lib = PROVIDER_LIBRARIES[device];
  const folder = bindingFolder();
  return !!lib && !!folder && existsSync(join(folder, lib));
}

/** The executionProviders option for `device`; throws a UsageError saying how to install a missing one. */
export function executionProviders(
  device: string,
  deviceId = 0,
): ort.InferenceSession.ExecutionProviderConfig[] {
  if (!(DEVICES as readonly string[]).includes(device)) {
    throw new UsageError(`--device: unknown device '${device}'; use one of ${DEVICES.join(", ")}`);
  }
  if (!providerAvailable(device as Device)) {
    throw new UsageError(
      `--device ${device}: the ${device} execution provider is not installed. ${HOW_TO_INSTALL}`,
    );
  }
  switch (device as Device) {
    case "cpu":
      return ["cpu"];
    case "webgpu":
      return ["webgpu"];
    case "cuda":
      return [{ name: "cuda", deviceId }];
    case "tensorrt":
      return [{ name: "tensorrt", deviceId }, { name: "cuda", deviceId }];
  }
}

/** Rewrites ORT's provider-loading failures into a message that says how to get the provider. */
export function explainProviderError(device: string, error: unknown): Error {
  const msg = String((error as Error)?.message ?? error);
  if (device === "cuda" || device === "tensorrt") {
    return new UsageError(
      `--device ${device}: the ${device} execution provider could not be loaded (${msg}). ${HOW_TO_INSTALL}`,
    );
  }
  if (device === "webgpu") {
    return new UsageError(`--device webgpu: no WebGPU adapter could be used (${msg}). Use --device cpu.`);
  }
  return error instanceof Error ? error : new Error(msg);
}
