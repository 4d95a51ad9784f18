import { strictEqual, throws } from "node:assert";
import { tokenAgreement } from "./agreement.ts";

const ids = (v: number[]) => ({
  dtype: "int64" as const,
  shape: [2, v.length / 2],
  data: BigInt64Array.from(v, BigInt),
});

Deno.test("token agreement: equal ids over compared positions, -1 padding skipped", () => {
  strictEqual(tokenAgreement(ids([1, 2, 3, 4]), ids([1, 2, 3, 4])), 1);
  strictEqual(tokenAgreement(ids([1, 2, 3, 4]), ids([1, 0, 3, 0])), 0.5);
  // The padded position (item 2's second id) counts in neither.
  strictEqual(tokenAgreement(ids([1, 2, 3, -1]), ids([1, 5, 3, -1])), 2 / 3);
  throws(() => tokenAgreement(ids([1, 2]), ids([1, 2, 3, 4])), /shapes \[2,1\] and \[2,2\] differ/);
});
