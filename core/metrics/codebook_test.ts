import { deepStrictEqual, ok, throws } from "node:assert";
import { UsageError } from "../errors.ts";
import { CodebookUsage } from "./codebook.ts";

const tokens = (v: number[]) => ({
  dtype: "int64" as const,
  shape: [1, 1, v.length],
  data: BigInt64Array.from(v, BigInt),
});

Deno.test("codebook: usage, TiTok entropy and perplexity by hand", () => {
  const u = new CodebookUsage(8);
  u.add(tokens([0, 0, 1, 3]));
  u.add(tokens([0, 0, 1, 3]));
  const r = u.result();
  // p = [1/2, 1/4, 0, 1/4, 0…]: 3 of 8 codes used; H = 0.5·1 + 2·0.25·2 = 1.5 bits.
  deepStrictEqual([r.tokens, r.used, r.usage, r.usagePercent], [8, 3, 3 / 8, 37.5]);
  const titok = -(0.5 * Math.log2(0.5 + 1e-8) + 2 * 0.25 * Math.log2(0.25 + 1e-8));
  ok(Math.abs(r.entropyBits - titok) < 1e-12, `${r.entropyBits} vs ${titok}`);
  ok(Math.abs(r.perplexity - 2 ** 1.5) < 1e-12);
});

Deno.test("codebook: shard histograms merge to the one-pass result; bad tokens are UsageErrors", () => {
  const all = new CodebookUsage(5), a = new CodebookUsage(5), b = new CodebookUsage(5);
  all.add(tokens([4, 4, 2, 0, 1]));
  a.add(tokens([4, 4]));
  b.add(tokens([2, 0, 1]));
  a.merge(b.counts);
  deepStrictEqual(a.result(), all.result());
  throws(
    () => all.add(tokens([5])),
    (e: Error) => e instanceof UsageError && /outside the codebook \[0, 5\)/.test(e.message),
  );
  throws(() => all.add({ dtype: "float32", shape: [1], data: Float32Array.of(1) }), UsageError);
});
