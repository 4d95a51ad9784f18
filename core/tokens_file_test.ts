import { deepStrictEqual, ok, throws } from "node:assert";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readNpy } from "./data/npy.ts";
import { UsageError } from "./errors.ts";
import { readTokens, TokenWriter, writeTokens } from "./tokens_file.ts";
import type { Tokens } from "./tokens.ts";
import { fromLegacyKeys } from "./tokens_json.ts";

const dir = () => mkdtempSync(join(tmpdir(), "tok1d-tokens-"));
const batch = (start: number, n: number, lengths?: number[]): Tokens => ({
  tokens: {
    dtype: "int64",
    shape: [n, 1, 4],
    data: BigInt64Array.from({ length: n * 4 }, (_, i) => BigInt(start * 4 + i)),
  },
  ...(lengths ? { lengths } : {}),
});

Deno.test("token files: streamed batches equal one write; the sidecar lists sources, counts and lengths", () => {
  const a = dir(), b = dir();
  const w = new TokenWriter(a, 4);
  w.append(batch(0, 2, [4, 2]), ["x.png", "y.png"]);
  w.append(batch(2, 1, [3]), ["z.png"]);
  const side = w.close({ family: "toy" });
  // No temporary file is left behind; the rows are numpy-readable in order.
  deepStrictEqual(readdirSync(a).sort(), ["tokens.json", "tokens.npy"]);
  const t = readNpy(join(a, "tokens.npy"));
  deepStrictEqual(t.shape, [3, 1, 4]);
  deepStrictEqual([...t.data as BigInt64Array].map(Number), Array.from({ length: 12 }, (_, i) => i));
  deepStrictEqual(side.lengths, [4, 2, 3]);
  deepStrictEqual(side.tokenCounts, [4, 2, 3]);
  deepStrictEqual(side.sources, ["x.png", "y.png", "z.png"]);
  deepStrictEqual(side.family, "toy");
  writeTokens(b, { tokens: t, lengths: [4, 2, 3] }, ["x.png", "y.png", "z.png"], {
    family: "toy",
  });
  deepStrictEqual(readFileSync(join(b, "tokens.npy")), readFileSync(join(a, "tokens.npy")));
  const back = readTokens(a);
  deepStrictEqual(back.tokens.lengths, [4, 2, 3]);
  deepStrictEqual(back.meta?.sources, ["x.png", "y.png", "z.png"]);
});

Deno.test("token files: a bare .npy reads as full-budget tokens; a sidecar that does not fit is refused by key", () => {
  const a = dir();
  writeTokens(a, batch(0, 2), ["p", "q"], {});
  writeFileSync(join(a, "other.npy"), readFileSync(join(a, "tokens.npy")));
  deepStrictEqual(readTokens(join(a, "other.npy")).meta, undefined);
  const side = JSON.parse(readFileSync(join(a, "tokens.json"), "utf8"));
  writeFileSync(join(a, "tokens.json"), JSON.stringify({ ...side, lengths: [1] }));
  throws(
    () => readTokens(a),
    (e: Error) => e instanceof UsageError && /lengths must list one entry per row/.test(e.message),
  );
  writeFileSync(join(a, "tokens.json"), "{oops");
  throws(() => readTokens(a), /not valid JSON/);
  throws(() => readTokens(join(a, "missing")), /no such file/);
});

Deno.test("token files: an aborted writer leaves nothing; closing with no rows is an error", () => {
  const a = dir();
  const w = new TokenWriter(a);
  w.append(batch(0, 1), ["p"]);
  w.abort();
  deepStrictEqual(readdirSync(a), []);
  throws(() => new TokenWriter(a).close({}), /no items were encoded/);
  ok(!existsSync(join(a, "tokens.npy")));
});

Deno.test("token files: a family's encoding record is written once, read back into the tokens, checked", () => {
  const a = dir();
  const encoding = { chunk: 2, search: "binary" };
  const w = new TokenWriter(a, 4);
  w.append({ ...batch(0, 1), encoding }, ["x"]);
  throws(() => w.append({ ...batch(1, 1), encoding: { chunk: 3 } }, ["y"]), /encoding/);
  w.append({ ...batch(1, 1), encoding: { ...encoding } }, ["y"]);
  deepStrictEqual(w.close({}).encoding, encoding);
  deepStrictEqual(readTokens(a).tokens.encoding, encoding);
  const side = JSON.parse(readFileSync(join(a, "tokens.json"), "utf8"));
  writeFileSync(join(a, "tokens.json"), JSON.stringify({ ...side, encoding: [2] }));
  throws(
    () => readTokens(a),
    (e: Error) => e instanceof UsageError && /encoding must be an object/.test(e.message),
  );
});

Deno.test("token files: a sidecar written with the old snake_case keys reads as the camelCase one", () => {
  const a = dir();
  const t: Tokens = { tokens: batch(0, 2, [4, 2]).tokens, blockCounts: [[3, 1], [2, 2]], encoding: { x: 1 } };
  writeTokens(a, t, ["x.png", "y.png"], { family: "toy" });
  const current = JSON.parse(readFileSync(join(a, "tokens.json"), "utf8"));
  deepStrictEqual(current.blockCounts, [[3, 1], [2, 2]]);
  deepStrictEqual(current.tokenShape, [2, 1, 4]);
  const legacy = {
    family: "toy",
    token_shape: [2, 1, 4],
    token_dtype: "int64",
    block_counts: [[3, 1], [2, 2]],
    token_counts: current.tokenCounts,
    encoding: { max_blocks_per_chunk: 2 },
    sources: ["x.png", "y.png"],
  };
  writeFileSync(join(a, "tokens.json"), JSON.stringify(legacy));
  const back = readTokens(a);
  deepStrictEqual(back.tokens.blockCounts, [[3, 1], [2, 2]]);
  deepStrictEqual(back.tokens.encoding, { maxBlocksPerChunk: 2 });
  deepStrictEqual(back.meta?.tokenShape, [2, 1, 4]);
  deepStrictEqual(fromLegacyKeys(current), current);
});
