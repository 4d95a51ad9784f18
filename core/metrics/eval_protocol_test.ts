import { deepStrictEqual, ok } from "node:assert";
import { DEFAULT_PROTOCOL, describeProtocol, familyProtocol, quantize8bit } from "./eval_protocol.ts";
import { marvel } from "../../plugins/marvel/mod.ts";
import { titok } from "../../plugins/titok/mod.ts";

Deno.test("eval protocol: reconstructions are clamped and rounded to 8 bits as TiTok's evaluator (half to even)", () => {
  const x = Float32Array.of(-0.2, 0, 0.5, 1 / 255 * 2.5, 1 / 255 * 3.5, 0.99999, 1.7, NaN);
  const q = quantize8bit({ dtype: "float32", shape: [8], data: x }).data;
  // 0.5·255 = 127.5 → 128 (even); 2.5 → 2; 3.5 → 4; NaN → 0.
  deepStrictEqual([...q].map((v) => Math.round(v * 255)), [0, 0, 128, 2, 4, 255, 255, 0]);
  ok(q.every((v) => v === Math.fround(Math.round(v * 255) / 255)), "values are k/255 in float32");
});

Deno.test("eval protocol: each family's declared protocol, pytorch-fid's defaults otherwise", () => {
  deepStrictEqual([familyProtocol(titok.evalProtocol).fid, familyProtocol(titok.evalProtocol).resize], [
    "torch-fidelity",
    "shorter",
  ]);
  deepStrictEqual(familyProtocol(marvel.evalProtocol).fid, "torch-fidelity");
  deepStrictEqual(familyProtocol(undefined), DEFAULT_PROTOCOL);
  const alitLike = { fid: "pytorch-fid" as const, resize: "none" as const, source: "ALIT evaluate_rfid.py" };
  const d = describeProtocol(alitLike, 256, {}, true);
  ok(/centre crop 256×256 of the full-resolution image/.test(d.transform) && /pytorch-fid/.test(d.fid!));
  deepStrictEqual(
    describeProtocol(titok.evalProtocol, 256, { protocol: "pytorch-fid" }, false).fid,
    undefined,
  );
});
