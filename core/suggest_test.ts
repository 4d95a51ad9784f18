import { deepStrictEqual } from "node:assert";
import { didYouMean, editDistance, suggest } from "./suggest.ts";

Deno.test("suggest: nearest names by edit distance, none when nothing is close", () => {
  deepStrictEqual(editDistance("kitten", "sitting"), 3);
  deepStrictEqual(editDistance("s128", "s182"), 1); // a swap counts once
  const presets = ["titok/s128", "titok/b64", "titok/l32", "marvel/l32x1", "marvel/l32x2"];
  deepStrictEqual(suggest("titok/s129", presets), ["titok/s128"]);
  deepStrictEqual(suggest("marvel/l32x3", presets), ["marvel/l32x1", "marvel/l32x2"]);
  deepStrictEqual(suggest("TITOK/B64", presets), ["titok/b64"]);
  deepStrictEqual(suggest("resnet50", presets), []);
  deepStrictEqual(didYouMean("--outt", ["--out", "--json"]), " (did you mean --out?)");
  deepStrictEqual(didYouMean("zzz", ["--out"]), "");
});
