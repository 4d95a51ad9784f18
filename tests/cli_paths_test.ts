/**
 * From a folder outside the checkout: `deno task --config <repo>/deno.json tok1d …`
 * resolves relative paths against the folder the user ran it from, and a
 * script there imports mod.ts with the repository's import map.
 */
import { deepStrictEqual, ok } from "node:assert";
import { copyFileSync, existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const REPO = new URL("../", import.meta.url).pathname;
const PHOTO = new URL("./testdata/photos/chelsea.png", import.meta.url).pathname;

async function run(cwd: string, args: string[]) {
  // As from a user's shell: an INIT_CWD inherited from the `deno task test` running this file would win.
  const { INIT_CWD: _, ...env } = Deno.env.toObject();
  const r = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  return { code: r.code, out: new TextDecoder().decode(r.stdout), err: new TextDecoder().decode(r.stderr) };
}

Deno.test("tok1d from another folder: relative inputs and outputs are the user's; mod.ts imports there", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tok1d-user-"));
  copyFileSync(PHOTO, join(dir, "cat.png"));
  const r = await run(dir, [
    "task",
    "--config",
    join(REPO, "deno.json"),
    "tok1d",
    "encode",
    "--model",
    "default",
    "--out",
    "enc",
    "cat.png",
  ]);
  deepStrictEqual(r.code, 0, r.err);
  ok(existsSync(join(dir, "enc", "tokens.npy")), "outputs land in the user's folder");
  ok(!existsSync(join(REPO, "enc")), "nothing is written into the repository");
  writeFileSync(
    join(dir, "script.ts"),
    `import { loadTokenizer, loadImages } from ${JSON.stringify(join(REPO, "mod.ts"))};\n` +
      `const tok = await loadTokenizer("default", { threads: 1 });\n` +
      `const t = await tok.encode(await loadImages(["cat.png"], tok.info.imageSize));\n` +
      `console.log(JSON.stringify(t.tokens.shape));\nawait tok.release();\n`,
  );
  const s = await run(dir, ["run", "-A", "--config", join(REPO, "deno.json"), "script.ts"]);
  deepStrictEqual(s.code, 0, s.err);
  deepStrictEqual(JSON.parse(s.out.trim().split("\n").at(-1)!), [1, 1, 128]);
});
