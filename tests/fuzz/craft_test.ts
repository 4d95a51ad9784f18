import assert from "node:assert/strict";
import { inflateRawSync } from "node:zlib";
import { readZip, zipEntryData } from "../../core/weights/zip.ts";
import { readTar } from "../../core/data/tar_read.ts";
import { unpickle } from "../../core/weights/pickle.ts";
import { cat, deflateBomb, P, tarBlock, zip } from "./craft.ts";

Deno.test("craft: the DEFLATE bomb inflates to 1 + 258 × copies zeros", () => {
  const out = inflateRawSync(deflateBomb(1000));
  assert.equal(out.length, 1 + 258 * 1000);
  assert.ok(out.every((v) => v === 0));
});

Deno.test("craft: zip archives, tar headers and pickles the readers accept", async () => {
  const data = new TextEncoder().encode("hello");
  const z = zip([{ name: "a/x", method: 0, data, size: 5 }]);
  assert.deepEqual(zipEntryData(z, readZip(z).get("a/x")!), data);
  const t = cat(tarBlock("f.txt", "00000000005\0"), data, new Uint8Array(507 + 1024));
  const names: string[] = [];
  for await (const m of readTar(t)) names.push(m.name);
  assert.deepEqual(names, ["f.txt"]);
  assert.deepEqual(
    unpickle(cat(P.proto, P.dict, P.str("k"), P.int(7), P.setitem, P.stop)),
    new Map([["k", 7]]),
  );
});
