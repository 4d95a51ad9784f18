/**
 * The short form of the fuzz suite, part of `deno task test`: a few hundred
 * cases per loader (`deno task fuzz` runs thousands). Any non-UsageError,
 * hang, case over 5 s or over the memory limit fails the test, naming the
 * case to replay.
 */
import assert from "node:assert/strict";
import { fuzzTarget } from "./driver.ts";
import { TARGETS } from "./targets.ts";

const CASES = 400;
const SEED = Number(Deno.env.get("TOK1D_FUZZ_SEED") ?? 12);

for (const { name } of TARGETS) {
  Deno.test(`fuzz (short): ${name}, ${CASES} cases, no untyped error, hang or case over budget`, async () => {
    const s = await fuzzTarget(name, { cases: CASES, seed: SEED });
    assert.equal(s.cases, CASES);
    assert.deepEqual(
      s.failures,
      [],
      `replay: deno task fuzz --targets ${name} --seed ${SEED} --from <case> --cases 1 --save /tmp/fuzz`,
    );
  });
}
