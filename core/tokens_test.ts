import { deepStrictEqual, throws } from "node:assert";
import { UsageError } from "./errors.ts";
import { assertFiniteTokens, concatTokens, sliceTokens, tokenCounts, type Tokens } from "./tokens.ts";

const ids = (rows: bigint[][]): Tokens["tokens"] => ({
  dtype: "int64",
  shape: [rows.length, 1, rows[0].length],
  data: BigInt64Array.from(rows.flat()),
});

Deno.test("tokens: slices and joins keep rows, lengths, block counts and depth together", () => {
  const t: Tokens = { tokens: ids([[1n, 2n, -1n], [3n, -1n, -1n], [4n, 5n, 6n]]), lengths: [2, 1, 3] };
  const parts = [sliceTokens(t, 0, 1), sliceTokens(t, 1, 3)];
  deepStrictEqual(parts[1].lengths, [1, 3]);
  deepStrictEqual(parts[1].tokens.shape, [2, 1, 3]);
  const back = concatTokens(parts);
  deepStrictEqual([...back.tokens.data as BigInt64Array], [...t.tokens.data as BigInt64Array]);
  deepStrictEqual(back.lengths, [2, 1, 3]);
  const blocks: Tokens = { tokens: ids([[1n], [2n]]), blockCounts: [[3, 4], [0, 1]] };
  deepStrictEqual(concatTokens([sliceTokens(blocks, 0, 1), sliceTokens(blocks, 1, 2)]).blockCounts, [[3, 4], [
    0,
    1,
  ]]);
  throws(() => concatTokens([t, blocks]), UsageError);
});

Deno.test("tokens: counts come from lengths, block counts, ids that are not −1, or the family's count", () => {
  deepStrictEqual(tokenCounts({ tokens: ids([[1n], [2n]]), lengths: [5, 7] }, 9), [5, 7]);
  deepStrictEqual(tokenCounts({ tokens: ids([[1n], [2n]]), blockCounts: [[3, 4], [0, 1]] }, 9), [7, 1]);
  deepStrictEqual(tokenCounts({ tokens: ids([[1n, -1n, 0n], [-1n, -1n, -1n]]) }, 9), [2, 0]);
  const latent: Tokens["tokens"] = { dtype: "float32", shape: [2, 4, 1, 8], data: new Float32Array(64) };
  deepStrictEqual(tokenCounts({ tokens: latent }, 8), [8, 8]);
});

Deno.test("tokens: NaN or Inf in a latent is refused naming the source and the entry", () => {
  const latent: Tokens["tokens"] = { dtype: "float32", shape: [1, 3], data: Float32Array.of(0, NaN, 1) };
  throws(() => assertFiniteTokens(latent, "z.npy"), /z\.npy: entry 1 is NaN/);
  assertFiniteTokens(ids([[1n]]), "ids are never checked for finiteness");
});
