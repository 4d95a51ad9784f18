/**
 * `--no-winograd`: the same reconstruction of a VQGAN-decoder model by direct
 * convs — token ids equal, images within Winograd's float32 error, and not
 * bit-identical (so the flag did change how the decoder ran).
 */
import { deepStrictEqual, ok } from "node:assert";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { photoFolder, run, tmp } from "../cli/_test_run.ts";
import { readNpy } from "../core/data/npy.ts";

Deno.test("cli --no-winograd: titok/s128 reconstructs the same tokens and images within 1e-3", async () => {
  const dir = tmp();
  try {
    const photos = await photoFolder(dir, 256, ["astronaut.png", "chelsea.png"]);
    const out = (name: string) => join(dir, name);
    const line = [
      "reconstruct",
      "--model",
      "titok/s128",
      "--random",
      "--batch-size",
      "2",
      "--threads",
      "2",
      "--npy",
    ];
    const fast = await run([...line, "--out", out("fast"), ...photos]);
    const direct = await run([...line, "--no-winograd", "--out", out("direct"), ...photos]);
    ok(fast.code === 0 && direct.code === 0, fast.err + direct.err);
    deepStrictEqual(
      readNpy(join(out("direct"), "tokens.npy")).data,
      readNpy(join(out("fast"), "tokens.npy")).data,
    );
    const a = readNpy(join(out("fast"), "images.npy")).data as Float32Array;
    const b = readNpy(join(out("direct"), "images.npy")).data as Float32Array;
    let max = 0;
    for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
    ok(max > 0 && max < 1e-3, `max |Δ| ${max}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
