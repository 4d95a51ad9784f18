/**
 * A run's numbers: the caller's options win over the family's recipe, which
 * wins over the trainer's defaults; a bad accumulation is refused by flag.
 */
import { deepStrictEqual, throws } from "node:assert";
import { UsageError } from "../errors.ts";
import type { TrainHooks } from "../plugin.ts";
import { withRecipe } from "./recipe.ts";

const hooks = (recipe?: TrainHooks<unknown>["recipe"]) => ({ recipe }) as unknown as TrainHooks<unknown>;
const base = { model: "m", data: "d", out: "o", quiet: true };
const pick = (o: ReturnType<typeof withRecipe>) => [o.lr, o.warmup, o.schedule, o.accumulate, o.endLr];

Deno.test("recipe: defaults, then the family's recipe (scaled by batch and accumulation), then the caller's options", () => {
  deepStrictEqual(pick(withRecipe(base, hooks(), {}, "s", "f")), [1e-4, 100, "cosine", 1, 1e-5]);
  const scaled = hooks((_c, _s, o) => ({
    accumulate: o.accumulate ?? 16,
    lr: 1e-6 * o.batch * (o.accumulate ?? 16),
    warmup: 5000,
    schedule: "constant",
  }));
  deepStrictEqual(pick(withRecipe({ ...base, batchSize: 4 }, scaled, {}, "s", "f")), [
    6.4e-5,
    5000,
    "constant",
    16,
    1e-5,
  ]);
  deepStrictEqual(
    pick(
      withRecipe({ ...base, batchSize: 4, accumulate: 2, warmup: 7, lr: undefined }, scaled, {}, "s", "f"),
    ),
    [8e-6, 7, "constant", 2, 1e-5],
  );
  deepStrictEqual(
    pick(withRecipe({ ...base, lr: 3e-3, schedule: "cosine" }, scaled, {}, "s", "f")).slice(0, 3),
    [
      3e-3,
      5000,
      "cosine",
    ],
  );
  throws(
    () => withRecipe({ ...base, accumulate: 0 }, hooks(), {}, "s", "f"),
    (e: Error) =>
      e instanceof UsageError && /--accumulate: expected a whole number ≥ 1, got '0'/.test(e.message),
  );
});
