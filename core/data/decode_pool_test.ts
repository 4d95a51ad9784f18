import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Rng } from "../init.ts";
import { PHOTOS } from "./_dataset_fixture.ts";
import { DecodePool } from "./decode_pool.ts";
import { decodeImage } from "./image.ts";
import { transformToChw } from "./transform.ts";

const files = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg"].map((f) => join(PHOTOS, f));
const T = { size: 48, crop: "random" as const, flip: true };

Deno.test("decode_pool: workers give exactly what the calling thread computes, from paths or bytes", async () => {
  const expected = await Promise.all(
    files.map(async (f, i) => transformToChw(await decodeImage(f), T, new Rng(100 + i))),
  );
  for (const n of [0, 2]) {
    const pool = new DecodePool(n);
    try {
      const fromPaths = await Promise.all(files.map((f, i) => pool.decode(f, f, 100 + i, T)));
      const fromBytes = await Promise.all(
        files.map((f, i) => pool.decode(new Uint8Array(readFileSync(f)), f, 100 + i, T)),
      );
      assert.deepEqual(fromPaths, expected, `${n} workers, paths`);
      assert.deepEqual(fromBytes, expected, `${n} workers, bytes`);
    } finally {
      pool.close();
    }
  }
});

Deno.test("decode_pool: a bad image rejects its own job only, with the decoder's message", async () => {
  const pool = new DecodePool(1);
  try {
    const [bad, good] = await Promise.allSettled([
      pool.decode(new TextEncoder().encode("not an image"), "shard-0.tar:0001", 1, T),
      pool.decode(files[0], files[0], 2, T),
    ]);
    assert.equal(bad.status, "rejected");
    assert.match(
      String((bad as PromiseRejectedResult).reason),
      /shard-0\.tar:0001: not an image: the file starts with text/,
    );
    assert.equal(good.status, "fulfilled");
  } finally {
    pool.close();
  }
});
