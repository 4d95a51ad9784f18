/**
 * `tok1d train` and helper networks: the file a stage needs is named from the
 * family's declaration (`--teacher` for TiTok/MARVEL stage 1), `--helper
 * <name>=<file>` passes any declared helper, and unknown or malformed helpers
 * are refused naming the flag.
 */
import { deepStrictEqual, ok } from "node:assert";
import { run, tmp } from "../cli/_test_run.ts";

const PHOTOS = new URL("./testdata/photos", import.meta.url).pathname;
const base = (model: string, extra: string[]) => [
  ...["train", "--model", model, "--data", PHOTOS, "--out", tmp(), "--steps", "1", "--batch-size", "2"],
  ...["--threads", "1", "--no-perceptual", "--json", ...extra],
];

Deno.test("cli train: a stage's helper network is named from the family's declaration; --helper routes to it", async () => {
  const missing = await run(base("marvel/tiny_f16", ["--stage", "stage1"]));
  deepStrictEqual(missing.code, 2);
  ok(
    missing.err.includes(
      "--teacher: this stage needs the MaskGIT-VQGAN weights (maskgit-vqgan-imagenet-f16-256.bin, " +
        "published in the HF repo fun-research/TiTok); pass the file with --teacher",
    ),
    missing.err,
  );
  const routed = await run(
    base("marvel/tiny_f16", ["--stage", "stage1", "--helper", "teacher=/nonexistent.bin"]),
  );
  deepStrictEqual(routed.code, 2);
  ok(/checkpoint not found: \/nonexistent\.bin/.test(routed.err), routed.err);
});

Deno.test("cli train: unknown, malformed and doubly given helpers are refused naming the flag", async () => {
  const unknown = await run(base("titok/tiny_vq", ["--helper", "dino=x.pth"]));
  deepStrictEqual(unknown.code, 2);
  ok(/--helper dino: the titok family has helpers teacher/.test(unknown.err), unknown.err);
  const malformed = await run(base("titok/tiny_vq", ["--helper", "teacher"]));
  deepStrictEqual(malformed.code, 2);
  ok(/--helper teacher: expected <name>=<file>/.test(malformed.err), malformed.err);
  // Files that exist (inputs are checked before anything else), so the double naming is what is refused.
  const dir = Deno.makeTempDirSync();
  for (const f of ["a.bin", "b.bin"]) Deno.writeFileSync(`${dir}/${f}`, new Uint8Array(1));
  const twice = await run(
    base("titok/tiny_vq", ["--helper", `teacher=${dir}/a.bin`, "--teacher", `${dir}/b.bin`]),
  );
  deepStrictEqual(twice.code, 2);
  ok(/--teacher: teacher is also given with --helper/.test(twice.err), twice.err);
});
