/**
 * Positional-table resampling equals torch's F.interpolate(bicubic,
 * align_corners=False), with and without antialias, up (3² → 4², 7²) and down (3² → 2²)
 * (tests/testdata/bdd_1d_train/pos_resample.safetensors); the class row is
 * kept; a non-square table is refused by shape.
 */
import { ok, throws } from "node:assert";
import { UsageError } from "../errors.ts";
import { resamplePosEmbed } from "./pos_embed_resample.ts";
import { readSafetensors } from "./safetensors.ts";

const REF = new URL("../../tests/testdata/bdd_1d_train/pos_resample.safetensors", import.meta.url).pathname;

Deno.test("resamplePosEmbed: torch bicubic (align_corners=False), plain and antialiased, up and down, class row kept", () => {
  const t = readSafetensors(REF).tensors;
  const src = t.get("in")!;
  const cases = [["to4", 4], ["to2", 2], ["to7", 7], ["aa_to4", 4], ["aa_to2", 2], ["aa_to7", 7]] as const;
  for (const [name, size] of cases) {
    const got = resamplePosEmbed(src, 1, size, { antialias: name.startsWith("aa_") });
    const want = t.get(name)!;
    ok(got.shape.join() === want.shape.join(), `${name}: shape ${got.shape}`);
    let max = 0;
    for (let i = 0; i < want.data.length; i++) {
      max = Math.max(max, Math.abs(got.data[i] - (want.data[i] as number)));
    }
    ok(max < 2e-6, `${name}: max |Δ| ${max}`);
    ok(got.data.slice(0, 5).every((v, i) => v === src.data[i]), `${name}: class row`);
  }
  const odd = { dtype: "float32" as const, shape: [1, 1 + 8, 5], data: new Float32Array(45) };
  throws(
    () => resamplePosEmbed(odd, 1, 4),
    (e: Error) => e instanceof UsageError && /square patch grid/.test(e.message),
  );
});
