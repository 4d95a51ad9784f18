import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { python } from "./_dataset_fixture.ts";
import { packTar } from "./tar.ts";
import { readTar, type TarMember } from "./tar_read.ts";

const dir = mkdtempSync(join(tmpdir(), "tok1d-tarread-"));
const collect = async (src: string | Uint8Array, chunkSize?: number) => {
  const out: TarMember[] = [];
  for await (const m of readTar(src, { chunkSize })) out.push(m);
  return out;
};

// Archives written by Python's tarfile in GNU and PAX formats, with a long name, a folder, a symlink.
python(
  `import tarfile, io, sys
for fmt, name in ((tarfile.GNU_FORMAT, "gnu.tar"), (tarfile.PAX_FORMAT, "pax.tar"), (tarfile.USTAR_FORMAT, "ustar.tar")):
    with tarfile.open(sys.argv[1] + "/" + name, "w", format=fmt) as t:
        d = tarfile.TarInfo("dir"); d.type = tarfile.DIRTYPE; t.addfile(d)
        for n, data in (("dir/00000001.jpg", b"\\xff\\xd8" * 300), ("dir/00000001.cls", b"3"), ("d/" + "k" * 90 + "/" + "e" * 30 + ".png", b"png!")):
            if fmt == tarfile.USTAR_FORMAT and len(n) > 100: n = n[-90:]
            i = tarfile.TarInfo(n); i.size = len(data); t.addfile(i, io.BytesIO(data))
        l = tarfile.TarInfo("link.jpg"); l.type = tarfile.SYMTYPE; l.linkname = "../../etc/passwd"; t.addfile(l)`,
  dir,
);

Deno.test("tar_read: GNU, PAX and ustar archives from Python's tarfile, in small and large chunks", async () => {
  for (const f of ["gnu.tar", "pax.tar", "ustar.tar"]) {
    for (const chunk of [512, 1000, 1 << 22]) {
      const ms = await collect(join(dir, f), chunk);
      assert.deepEqual(ms.map((m) => m.type), ["directory", "file", "file", "file", "link"], f);
      assert.equal(ms[1].name, "dir/00000001.jpg");
      assert.deepEqual(ms[1].data, new Uint8Array(600).map((_, i) => (i % 2 ? 0xd8 : 0xff)));
      assert.equal(new TextDecoder().decode(ms[2].data), "3");
      assert.equal(ms[3].name.endsWith("e".repeat(30) + ".png"), true);
      if (f !== "ustar.tar") assert.equal(ms[3].name.length, 2 + 90 + 1 + 34);
      assert.equal(ms[4].data.length, 0);
      const bytes = readFileSync(join(dir, f));
      assert.deepEqual(bytes.subarray(ms[1].offset, ms[1].offset + 600), Buffer.from(ms[1].data));
    }
  }
});

Deno.test("tar_read: round trip of packTar, bytes in memory", async () => {
  const entries = [{ name: "a/" + "n".repeat(150) + ".jpg", data: new Uint8Array(1000).fill(1) }, {
    name: "b.cls",
    data: new Uint8Array([55]),
  }];
  const ms = await collect(packTar(entries));
  assert.deepEqual(ms.map((m) => [m.name, m.data]), entries.map((e) => [e.name, e.data]));
});

Deno.test("tar_read: damaged archives are UsageErrors naming the file and the offset", async () => {
  const tar = packTar([{ name: "x.jpg", data: new Uint8Array(2000) }]);
  const bad = tar.slice();
  bad[10] ^= 0xff;
  writeFileSync(join(dir, "bad.tar"), bad);
  await assert.rejects(
    collect(join(dir, "bad.tar")),
    (e) => e instanceof UsageError && /bad\.tar: bad tar header checksum at byte 0/.test(e.message),
  );
  writeFileSync(join(dir, "cut.tar"), tar.subarray(0, 1200));
  await assert.rejects(collect(join(dir, "cut.tar")), /cut\.tar: truncated tar member at byte 512/);
  await assert.rejects(collect(join(dir, "none.tar")), /none\.tar: cannot open/);
  assert.deepEqual(await collect(tar.subarray(0, 512 + 2048)), [{
    name: "x.jpg",
    type: "file",
    data: new Uint8Array(2000),
    offset: 512,
  }]);
});

Deno.test({ name: "tar_read: cleanup", fn: () => rmSync(dir, { recursive: true }) });
