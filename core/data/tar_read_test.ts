import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { python } from "./_dataset_fixture.ts";
import { packTar } from "./tar.ts";
import { readTar, type TarMember } from "./tar_read.ts";

const dir = mkdtempSync(join(tmpdir(), "tok1d-tarread-"));
const collect = async (src: string | Uint8Array, chunkSize?: number, skipData?: boolean) => {
  const out: TarMember[] = [];
  for await (const m of readTar(src, { chunkSize, skipData })) out.push(m);
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
      // Headers only: the same members, offsets and sizes, no bytes.
      const heads = await collect(join(dir, f), chunk, true);
      assert.deepEqual(
        heads.map((m) => [m.name, m.type, m.offset, m.size]),
        ms.map((m) => [m.name, m.type, m.offset, m.size]),
      );
      assert.deepEqual(heads.map((m) => m.data.length), [0, 0, 0, 0, 0]);
      assert.deepEqual(ms.slice(1, 4).map((m) => m.size), [600, 1, 4]);
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
    size: 2000,
  }]);
});

Deno.test({ name: "tar_read: cleanup", fn: () => rmSync(dir, { recursive: true }) });

Deno.test("tar_read: sizes must fit the file and parse strictly, before anything is allocated (issue 12)", async () => {
  const good = packTar([{ name: "a.jpg", data: new Uint8Array(600).fill(1) }]);
  const setSize = (field: number[] | string) => {
    const b = good.slice();
    b.set(typeof field === "string" ? new TextEncoder().encode(field) : field, 124);
    b.fill(0x20, 148, 156);
    const sum = b.subarray(0, 512).reduce((a, v) => a + v, 0);
    b.set(new TextEncoder().encode(sum.toString(8).padStart(6, "0") + "\0 "), 148);
    return b;
  };
  const tmp = mkdtempSync(join(tmpdir(), "tok1d-tarbudget-"));
  const refuses = async (bytes: Uint8Array, re: RegExp) => {
    for (const src of [bytes, join(tmp, "bad.tar")]) {
      writeFileSync(join(tmp, "bad.tar"), bytes);
      await assert.rejects(collect(src), (e: Error) => e instanceof UsageError && re.test(e.message));
    }
  };
  await refuses(
    setSize("100000000000"),
    /truncated tar member at byte 512 \(8589934592 bytes announced, \d+ left/,
  );
  await refuses(
    setSize([0x80, 0, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0]),
    /bad size field in the tar header at byte 0/,
  );
  await refuses(
    setSize([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
    /bad size field/,
  );
  await refuses(setSize("0000001x250\0"), /bad size field/);
  const pax = (record: string) =>
    new Uint8Array([
      ...packTar([{ name: "x", data: new TextEncoder().encode(record) }]).subarray(0, 1024),
      ...good,
    ]).map((v, i) => (i === 156 ? 0x78 : v));
  const fixed = (b: Uint8Array) => { // the 'x' flag changed the first header's checksum
    b.fill(0x20, 148, 156);
    const sum = b.subarray(0, 512).reduce((a, v) => a + v, 0);
    b.set(new TextEncoder().encode(sum.toString(8).padStart(6, "0") + "\0 "), 148);
    return b;
  };
  await refuses(fixed(pax("12 size=NaN\n")), /PAX size 'NaN' is not a decimal byte count/);
  await refuses(fixed(pax("13 size=1e12\n")), /PAX size '1e12'/);
  await refuses(fixed(pax("99 size=1\n")), /malformed PAX record/);
  assert.equal((await collect(fixed(pax("12 size=600\n"))))[0].data.length, 600);
  rmSync(tmp, { recursive: true });
});
