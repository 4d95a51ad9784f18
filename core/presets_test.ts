import { deepStrictEqual } from "node:assert";
import { PLUGINS } from "../plugins/mod.ts";
import { presetRecipe, recipeCommand } from "./presets.ts";

Deno.test("recipeCommand: the header's train command for this preset, continuation lines joined", () => {
  const yaml = [
    "# A recipe. Train it with:",
    "#   deno task tok1d train --model fam/small --data photos/ \\",
    "#     --out runs/x --steps 10 \\",
    "#     --no-gan",
    "# (a note after the command)",
    "model:",
    "  width: 8 # tok1d train --model fam/other in a value's comment is not the header",
  ].join("\n");
  deepStrictEqual(
    recipeCommand(yaml, "fam/small"),
    "deno task tok1d train --model fam/small --data photos/ --out runs/x --steps 10 --no-gan",
  );
  // Another preset's command, a mention in passing, or a command below the header: not a recipe.
  deepStrictEqual(recipeCommand(yaml, "fam/big"), undefined);
  deepStrictEqual(recipeCommand("# makes `tok1d train` run stage2\nmodel: {}\n", "fam/small"), undefined);
  deepStrictEqual(recipeCommand("model: {}\n# tok1d train --model fam/small\n", "fam/small"), undefined);
  deepStrictEqual(
    recipeCommand("# tok1d train --model fam/small --out o\r\nx: 1\r\n", "fam/small"),
    "tok1d train --model fam/small --out o",
  );
});

Deno.test("presetRecipe: exactly the five small training recipes of configs/, each naming its run's model", () => {
  const recipes = Object.values(PLUGINS).flatMap((p) =>
    Object.keys(p.presets).flatMap((n) => {
      const r = presetRecipe(p.presets[n]);
      return r ? [[`${p.name}/${n}`, r.model]] : [];
    })
  );
  deepStrictEqual(recipes, [
    ["alit/small_recipe", "runs/a/model"],
    ["bdd_1d/small", "runs/b/model"],
    ["elastictok/small", "runs/e/model"],
    ["marvel/small", "runs/m/model"],
    ["titok/small", "runs/small/model"],
  ]);
  deepStrictEqual(presetRecipe(undefined), undefined);
  deepStrictEqual(presetRecipe({ a: 1 }), undefined);
});
