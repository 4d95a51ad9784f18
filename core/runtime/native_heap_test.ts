/**
 * trimNativeHeap: on this Linux/glibc host it is available, and it returns
 * heap blocks ONNX Runtime freed while creating a session: a 64 MiB stack of
 * Linear weights leaves less than a second copy resident (measured in a fresh
 * process, _heap_probe.ts; without the trim it grew by 107 MiB).
 */
import { ok, strictEqual } from "node:assert";
import { trimNativeHeap } from "./native_heap.ts";

Deno.test("trimNativeHeap: glibc is found here", () => {
  strictEqual(trimNativeHeap(), true);
});

Deno.test("Session.create: a Linear stack holds about one copy of its weights in ORT", async () => {
  const probe = new URL("./_heap_probe.ts", import.meta.url).pathname;
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", probe],
    stderr: "inherit",
  })
    .output();
  ok(r.success, "the probe ran");
  const { grown, weightMiB } = JSON.parse(new TextDecoder().decode(r.stdout).trim().split("\n").at(-1)!);
  // Prepacked weights ≈ 1×; an untrimmed heap kept ORT's staging copy too (≈ 2×).
  ok(
    grown < 1.5 * weightMiB,
    `session creation grew RSS by ${grown.toFixed(0)} MiB for ${weightMiB} MiB of weights`,
  );
});
