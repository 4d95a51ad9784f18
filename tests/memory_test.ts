/**
 * Weights held once: TiTok-S-128-sized random weights (319 MiB), loaded for a
 * reconstruct job, encoder and decoder sessions opened (in a fresh process,
 * tests/_memory_probe.ts). RSS must grow by less than half a copy of the
 * weights over the load (a second copy would be a whole one): ONNX Runtime's
 * prepacked copy replaces the JS one (dropped once the sessions hold it), and
 * glibc gives back the staging copies ORT freed. Before, opening the sessions
 * added 2.4× the weights (bench/README.md, "Memory"). The same holds with the
 * Winograd rewrite (the CPU default): its convs make their filter transforms
 * as they run, from the weights as loaded (held as 4× transforms, they added
 * 393 MiB).
 */
import { deepStrictEqual, ok } from "node:assert";
import { loadTokenizer } from "../core/tokenizer.ts";
import { writeSafetensors } from "../core/weights/safetensors.ts";

async function probe(winograd: "on" | "off", file?: string) {
  const path = new URL("./_memory_probe.ts", import.meta.url).pathname;
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", path, winograd, ...(file ? [file] : [])],
    stderr: "inherit",
  })
    .output();
  ok(r.success, "the probe ran");
  return JSON.parse(new TextDecoder().decode(r.stdout).trim().split("\n").at(-1)!);
}

Deno.test("titok/s128: opening both sessions leaves about one copy of the weights resident", async () => {
  const m = await probe("off");
  deepStrictEqual(m.left, 0, "no weight is left in JS");
  // ORT's copy (≈ 1.1×) replaces the dropped JS one: about +0.1×.
  const grown = m.opened - m.loaded;
  ok(
    grown < 0.5 * m.weightMiB,
    `opening the sessions grew RSS by ${grown.toFixed(0)} MiB over the loaded ${m.loaded.toFixed(0)} MiB ` +
      `(weights: ${m.weightMiB.toFixed(0)} MiB)`,
  );
});

Deno.test("titok/s128 with Winograd (the CPU default): the rewritten convs hold nothing more", async () => {
  const m = await probe("on");
  deepStrictEqual(m.left, 0, "no weight is left in JS");
  ok(m.winogradMiB > 0.5 * m.weightMiB, `the decoder's wide convs are rewritten (${m.winogradMiB} MiB)`);
  // Filter transforms made per run, not held: before, they were (4× the rewritten weights, +393 MiB).
  const grown = m.opened - m.loaded;
  ok(
    grown < 0.5 * m.weightMiB,
    `opening the sessions grew RSS by ${grown.toFixed(0)} MiB over the loaded ${m.loaded.toFixed(0)} MiB ` +
      `(weights: ${m.weightMiB.toFixed(0)} MiB, ${m.winogradMiB.toFixed(0)} of them rewritten)`,
  );
});

Deno.test("titok/s128 from a checkpoint file: ONNX Runtime reads it, so JS never holds a copy", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "tok1d-memory-" });
  try {
    const src = await loadTokenizer("titok/s128", { random: true, keepWeights: true });
    writeSafetensors(`${dir}/model.safetensors`, src.weights);
    const m = await probe("on", `${dir}/model.safetensors`);
    deepStrictEqual(m.leftAtLoad, 0, "no weight in JS after the load");
    // The checkpoint was read (to check it) and its buffer freed at once: about nothing stays.
    ok(
      m.loaded - m.start < 0.25 * m.weightMiB,
      `loading left ${(m.loaded - m.start).toFixed(0)} MiB resident`,
    );
    // ORT's one copy (prepacked) and the runtime it loads: under 1.5× the weights over the start…
    ok(
      m.opened - m.start < 1.5 * m.weightMiB,
      `sessions open: ${(m.opened - m.start).toFixed(0)} MiB over the start (weights ${
        m.weightMiB.toFixed(0)
      })`,
    );
    // …and no moment with two copies plus ORT's (in memory, the JS copy was alive while ORT's was made).
    ok(m.peak - m.start < 2 * m.weightMiB, `peak ${(m.peak - m.start).toFixed(0)} MiB over the start`);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
