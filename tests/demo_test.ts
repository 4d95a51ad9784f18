/**
 * `tok1d demo`: the default model reconstructs the held-out photos only, says
 * so, prints the first photo's token ids, and writes a grid whose tiles are at
 * least 128 px on screen with a caption strip under each.
 */
import { deepStrictEqual, match, ok } from "node:assert";
import { readdirSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { run, tmp } from "../cli/_test_run.ts";
import { heldoutPhotos } from "../cli/demo.ts";
import { decodeImage } from "../core/data/image.ts";
import { LABEL_STRIP } from "../core/data/png.ts";

Deno.test("demo: held-out photos only, token ids of the first, a labelled grid of ≥ 128-px tiles", async () => {
  const dir = tmp();
  try {
    const r = await run(["demo", "--out", dir, "--threads", "2"]);
    deepStrictEqual(r.code, 0, r.err);
    const photos = heldoutPhotos();
    ok(photos.length >= 8 && photos.every((p) => p.includes("/heldout/")));
    match(r.out, new RegExp(`reconstructs ${photos.length} held-out photos that it never saw in training`));
    // Only the held-out photos were reconstructed.
    deepStrictEqual(
      readdirSync(join(dir, "images")).sort(),
      photos.map((p) => basename(p).replace(/\.\w+$/, ".png")).sort(),
    );
    const lines = r.out.split("\n");
    const at = lines.findIndex((l) => l.startsWith(`token ids of ${basename(photos[0])}`));
    ok(at >= 0, r.out);
    const ids = lines[at + 1].trim().split(/\s+/).map(Number);
    deepStrictEqual(ids.length, 128);
    ok(ids.every((v) => Number.isInteger(v) && v >= 0 && v < 625), lines[at + 1]);
    // 64-px model → tiles enlarged 2× to 128 px, 8 per line; 16 photos → 2 blocks of (original, reconstruction).
    const grid = await decodeImage(join(dir, "grid.png"));
    const pad = 2, tile = 128;
    deepStrictEqual(grid.width, 8 * (tile + pad) + pad);
    deepStrictEqual(grid.height, Math.ceil(photos.length / 8) * 2 * (tile + LABEL_STRIP + pad) + pad);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("demo: the model flags its help lists act (a preset with --random, --batch-size)", async () => {
  const dir = tmp();
  try {
    const r = await run([
      "demo",
      "--model",
      "titok/tiny_fsq",
      "--random",
      "--batch-size",
      "4",
      "--out",
      dir,
      "--json",
    ]);
    deepStrictEqual(r.code, 0, r.err);
    const summary = JSON.parse(r.out);
    deepStrictEqual(summary.images, heldoutPhotos().length);
    const bad = await run(["demo", "--model", "titok/tiny_fsq", "--out", dir]);
    deepStrictEqual(bad.code, 2, "a preset without --weights or --random is refused, so --model was read");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
