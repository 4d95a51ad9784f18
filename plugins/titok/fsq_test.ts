/**
 * TiTok's FSQ bottleneck (tok1d's `quantize_mode: fsq`): config checks name
 * their key, the vocabulary is the product of the levels, and token ids decode
 * to exactly the latent the encoder quantised (ids → codes → decoder equals
 * the reconstruct path).
 */
import { deepStrictEqual, ok, throws } from "node:assert";
import { parseConfig } from "../../core/config.ts";
import { UsageError } from "../../core/errors.ts";
import { loadImages } from "../../core/data/batch.ts";
import { openTokenizer } from "../../core/tokenizer.ts";
import { titok } from "./mod.ts";
import { titokSchema } from "./config.ts";

const PHOTOS = new URL("../../tests/testdata/photos/", import.meta.url).pathname;
const base = () =>
  structuredClone(titok.presets["tiny_fsq"]) as { model: { vq_model: Record<string, unknown> } };

Deno.test("titok fsq config: fsq_levels required, token_size must match them; the key is named", () => {
  const missing = base();
  delete missing.model.vq_model.fsq_levels;
  throws(
    () => parseConfig(titokSchema, missing, "t"),
    (e: Error) => e instanceof UsageError && /fsq_levels/.test(e.message),
  );
  const wrong = base();
  wrong.model.vq_model.token_size = 4;
  throws(
    () => parseConfig(titokSchema, wrong, "t"),
    (e: Error) =>
      e instanceof UsageError && /token_size.*4 differs from the 3 channels of fsq_levels/.test(e.message),
  );
  const c = parseConfig(titokSchema, base(), "t");
  deepStrictEqual(titok.info(c, "tiny_fsq").vocabulary, 125);
  deepStrictEqual(titok.info(c, "tiny_fsq").tokenShape, [1, 8]);
});

Deno.test("titok fsq: decode(encode(x)) equals reconstruct(x); ids lie in [0, 125)", async () => {
  const config = parseConfig(titokSchema, base(), "t");
  const tok = await openTokenizer({ plugin: titok, config, variant: "tiny_fsq", configSource: "t" }, {
    random: true,
    threads: 1,
  });
  try {
    const x = await loadImages(["chelsea.png", "coffee.png"].map((f) => PHOTOS + f), 32);
    const enc = await tok.encode(x);
    deepStrictEqual(enc.tokens.dtype, "int64");
    const ids = Array.from(enc.tokens.data as BigInt64Array, Number);
    ok(ids.every((v) => v >= 0 && v < 125));
    const viaIds = await tok.decode(enc);
    const direct = await tok.reconstruct(x);
    deepStrictEqual(Array.from(viaIds.data as Float32Array), Array.from(direct.images.data as Float32Array));
  } finally {
    await tok.release();
  }
});
