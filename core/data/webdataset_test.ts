import assert from "node:assert/strict";
import { python } from "./_dataset_fixture.ts";
import { packTar } from "./tar.ts";
import { readTar } from "./tar_read.ts";
import {
  groupSamples,
  isSafeMemberName,
  type MemberProblem,
  sampleClass,
  sampleImage,
  splitKey,
} from "./webdataset.ts";

const enc = new TextEncoder();
const NAMES = [
  "00000001.jpg",
  "a.b.jpg",
  "dir/x.y/key.seg.png",
  "noext",
  "dir.d/noext",
  ".hidden",
  "a/.b",
  "k.",
  "../x.jpg",
];

Deno.test("webdataset: splitKey agrees with webdataset's base_plus_ext regex (Python re)", () => {
  const py = python(
    `import re, sys, json
rx = re.compile(r"^((?:.*/|)[^.]+)[.]([^/]*)$")
print(json.dumps([list(rx.match(n).groups()) if rx.match(n) else None for n in sys.argv[1:]]))`,
    ...NAMES,
  );
  const expected = JSON.parse(py) as ([string, string] | null)[];
  assert.deepEqual(
    NAMES.map((n) => splitKey(n) ?? null),
    expected.map((g) => (g ? { key: g[0], ext: g[1] } : null)),
  );
  assert.deepEqual(splitKey("a.b.jpg"), { key: "a", ext: "b.jpg" });
});

Deno.test("webdataset: samples group consecutive members; traversal names, links and stray members are reported", async () => {
  const tar = packTar([
    { name: "0001.jpg", data: enc.encode("img1") },
    { name: "0001.cls", data: enc.encode(" 7\n") },
    { name: "0002.PNG", data: enc.encode("img2") },
    { name: "README", data: enc.encode("no extension") },
    { name: "0003.json", data: enc.encode("{}") },
    { name: "0003.json", data: enc.encode("[]") },
  ]);
  // Names our writer refuses, as another tool's archive could hold them.
  const evil = [member("../x.jpg"), member("/abs.jpg")];
  const problems: MemberProblem[] = [];
  const samples = [];
  const members = async function* () {
    for (const m of evil) yield m;
    for await (const m of readTar(tar)) yield m;
    yield { name: "dir/", type: "directory" as const, data: new Uint8Array(0), offset: 0, size: 0 };
    yield { name: "evil.jpg", type: "link" as const, data: new Uint8Array(0), offset: 0, size: 0 };
  };
  for await (const s of groupSamples(members(), (p) => problems.push(p))) samples.push(s);
  assert.deepEqual(samples.map((s) => [s.key, [...s.fields.keys()]]), [["0001", ["jpg", "cls"]], ["0002", [
    "png",
  ]], ["0003", ["json"]]]);
  assert.equal(sampleClass(samples[0]), 7);
  assert.equal(sampleClass(samples[1]), undefined);
  assert.deepEqual(sampleImage(samples[1]), enc.encode("img2"));
  assert.equal(sampleImage(samples[2]), undefined);
  assert.deepEqual(problems.map((p) => p.name), ["../x.jpg", "/abs.jpg", "README", "0003.json", "evil.jpg"]);
  assert.match(problems[0].reason, /unsafe/);
  for (const n of ["../x", "a/../b", "/a", "a\\..\\b"]) assert.equal(isSafeMemberName(n), false, n);
});

function member(name: string) {
  return { name, type: "file" as const, data: enc.encode("x"), offset: 0, size: 1 };
}
