/**
 * Video members of shards: listed from the headers (bytes skipped), copied
 * one at a time from their offset into a temporary file that `release`
 * removes; a member past the budget is refused by `<shard>:<member>` before
 * anything is written, also when the shard really holds that many bytes (a
 * sparse file here). No ffmpeg needed.
 */
import { deepStrictEqual, ok, rejects, throws } from "node:assert";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUDGETS } from "../budgets.ts";
import { UsageError } from "../errors.ts";
import { packTar, tarHeader } from "./tar.ts";
import { checkMemberSize, listVideoMembers, memberFile } from "./video_members.ts";

const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255);

Deno.test("video members: headers only, copied from their offsets, removed on release", async () => {
  const dir = mkdtempSync(join(tmpdir(), "video-members-"));
  try {
    const a = bytes(5000, 1), b = bytes(70_000, 2);
    const shard = join(dir, "s-000000.tar");
    Deno.writeFileSync(
      shard,
      packTar([
        { name: "k1.mp4", data: a },
        { name: "k1.json", data: bytes(10, 3) },
        { name: "sub/k2.webm", data: b },
        { name: "k3.mp4", data: new Uint8Array(0) },
      ]),
    );
    const members = await listVideoMembers(shard);
    deepStrictEqual(members.map((m) => [m.member, m.size]), [["k1.mp4", 5000], ["sub/k2.webm", 70_000], [
      "k3.mp4",
      0,
    ]]);
    for (const [m, want] of [[members[0], a], [members[1], b], [members[2], new Uint8Array(0)]] as const) {
      const f = await memberFile(m, 100_000);
      deepStrictEqual(new Uint8Array(readFileSync(f.path)), want);
      ok(f.path.endsWith(m.member.split("/").pop()!));
      f.release();
      f.release();
      ok(!existsSync(f.path), "removed on release");
    }
    // A smaller budget refuses the larger member by shard and member name, writing nothing.
    await rejects(
      () => memberFile(members[1], 69_999),
      (e: Error) =>
        e instanceof UsageError &&
        e.message.startsWith(
          `${shard}:sub/k2.webm: a video member of 70000 bytes exceeds the videoMemberBytes`,
        ),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("video members: a member past BUDGETS.videoMemberBytes is refused before it is copied", async () => {
  const dir = mkdtempSync(join(tmpdir(), "video-members-big-"));
  try {
    // A shard whose member really holds budget + 1 bytes: header, then a hole (sparse, no disk used).
    const size = BUDGETS.videoMemberBytes + 1;
    const shard = join(dir, "big.tar");
    const fd = openSync(shard, "w");
    writeSync(fd, tarHeader("huge.mp4", size));
    closeSync(fd);
    Deno.truncateSync(shard, 512 + size + 511 - ((size + 511) % 512) + 1024);
    const [m] = await listVideoMembers(shard);
    deepStrictEqual([m.member, m.size, m.offset], ["huge.mp4", size, 512]);
    throws(
      () => checkMemberSize(m),
      (e: Error) => e instanceof UsageError && e.message.includes(`${shard}:huge.mp4`),
    );
    // Temporary folders go to a private TMPDIR here, to see that none was made.
    const tmp = join(dir, "tmp");
    Deno.mkdirSync(tmp);
    const saved = Deno.env.get("TMPDIR");
    Deno.env.set("TMPDIR", tmp);
    try {
      const small = await memberFile({ ...m, size: 3 }); // within budget: written under TMPDIR
      ok(small.path.startsWith(tmp), small.path);
      small.release();
      await rejects(
        () => memberFile(m),
        (e: Error) => e instanceof UsageError && /videoMemberBytes/.test(e.message),
      );
    } finally {
      if (saved === undefined) Deno.env.delete("TMPDIR");
      else Deno.env.set("TMPDIR", saved);
    }
    deepStrictEqual([...Deno.readDirSync(tmp)], [], "no temporary folder was made");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
