import { deepStrictEqual, ok } from "node:assert";
import { UsageError } from "../errors.ts";
import { InceptionFeatures, toUint8Values } from "./features.ts";

Deno.test("features: torch-fidelity input is TiTok's (x * 255).to(torch.uint8)", () => {
  // k/255 in float32 times 255 in float32 truncates to k for every k; out-of-range values clamp.
  const x = Float32Array.from({ length: 256 }, (_, k) => k / 255);
  const u = toUint8Values({ dtype: "float32", shape: [256], data: x }).data;
  deepStrictEqual([...u], Array.from({ length: 256 }, (_, k) => k));
  const edge =
    toUint8Values({ dtype: "float32", shape: [4], data: Float32Array.of(-0.5, 0.99999, 1.5, 0.5) }).data;
  deepStrictEqual([...edge], [0, 254, 255, 127]);
});

Deno.test("features: a batch that is not float32 (B,3,H,W) is a UsageError naming the shape", async () => {
  const inc = await InceptionFeatures.create("random:0", { threads: 1 });
  try {
    await inc.extract({ dtype: "float32", shape: [1, 1, 8, 8], data: new Float32Array(64) });
    ok(false);
  } catch (e) {
    ok(e instanceof UsageError && /expected float32 images \(B,3,H,W\)/.test((e as Error).message));
  } finally {
    await inc.release();
  }
});
