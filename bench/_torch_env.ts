/**
 * The environment both side-by-side benchmarks (compare.ts, compare_train.ts)
 * give the PyTorch process: "tuned" picks OpenBLAS's kernel for this CPU and
 * passive OpenMP waits (bench/README.md, "Debian torch's environment");
 * "installed" leaves the environment as it is.
 * @module
 */
import { readFileSync } from "node:fs";

/** The torch process's environment and a printable list of the variables tuned. */
export function torchEnvironment(mode: string): { env: Record<string, string>; tunedVars: string } {
  const env = Deno.env.toObject();
  if (mode !== "installed") {
    if (mode !== "tuned") throw new Error(`--torch-env: expected tuned or installed, got '${mode}'`);
    const flags = readFileSync("/proc/cpuinfo", "utf8").match(/^flags\s*:(.*)$/m)?.[1].split(" ") ?? [];
    const core = flags.includes("avx512f") ? "SkylakeX" : flags.includes("avx2") ? "Haswell" : undefined;
    if (core) env.OPENBLAS_CORETYPE = core;
    env.OMP_WAIT_POLICY = "PASSIVE";
    env.OPENBLAS_THREAD_TIMEOUT = "4";
  }
  const tunedVars = ["OPENBLAS_CORETYPE", "OMP_WAIT_POLICY", "OPENBLAS_THREAD_TIMEOUT"]
    .filter((k) => env[k] !== undefined).map((k) => `${k}=${env[k]}`).join(" ");
  return { env, tunedVars };
}
