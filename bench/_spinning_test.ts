import { deepStrictEqual, throws } from "node:assert";
import { parseSpinning } from "./_spinning.ts";

Deno.test("parseSpinning: default, on, off and microseconds; anything else names the flag", () => {
  deepStrictEqual(
    ["default", "on", "off", "50", "0"].map(parseSpinning),
    [undefined, true, false, 50, 0],
  );
  throws(() => parseSpinning("yes"), /--spinning: expected default, on, off or microseconds, got 'yes'/);
  throws(() => parseSpinning("-5"), /--spinning/);
});
