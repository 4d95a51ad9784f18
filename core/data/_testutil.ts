/**
 * Test helpers shared by the `core/data` tests: finding a Python 3 that has
 * NumPy (and optionally Pillow) to compare against, and running snippets in it.
 * Tests that need it are declared with `ignore: !python` so they skip cleanly.
 *
 * @example
 * ```ts
 * const py = findPython(["numpy", "PIL"]);
 * Deno.test({ name: "parity", ignore: !py, fn: () => void runPython(py!, "print(1)") });
 * ```
 * @module
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const CANDIDATES = ["python3", "/usr/bin/python3", "python"];

/** Returns the first Python interpreter that imports every module in `modules`, or undefined. */
export function findPython(modules: string[]): string | undefined {
  for (const py of CANDIDATES) {
    try {
      execFileSync(py, ["-c", modules.map((m) => `import ${m}`).join("; ") || "pass"], { stdio: "ignore" });
      return py;
    } catch {
      // not there, or lacks a module: try the next one
    }
  }
  console.warn(`python3 with ${modules.join(", ")} not found: parity tests are skipped`);
  return undefined;
}

/** Runs a Python snippet with arguments and returns its stdout bytes. */
export function runPython(py: string, code: string, args: string[] = [], input?: Uint8Array): Uint8Array {
  return execFileSync(py, ["-c", code, ...args], { input, maxBuffer: 1 << 28 });
}

const removedAtExit: string[] = [];
globalThis.addEventListener("unload", () => {
  for (const dir of removedAtExit) rmSync(dir, { recursive: true, force: true });
});

/**
 * A fresh temporary folder named `<prefix>XXXXXX`, removed when the test process ends: for tests that
 * write large files (checkpoints, datasets, networks), so that runs do not pile up in the temporary folder.
 */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  removedAtExit.push(dir);
  return dir;
}
