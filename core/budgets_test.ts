import assert from "node:assert/strict";
import { UsageError } from "./errors.ts";
import { BUDGETS, describeValue, imagePixelBudget, overBudget } from "./budgets.ts";

Deno.test("budgets: a refusal names the file, what exceeded and the budget", () => {
  const e = overBudget("m.pth", "a pickle integer of 5000 bytes", "pickleIntBytes");
  assert.ok(e instanceof UsageError);
  assert.match(
    e.message,
    /^m\.pth: a pickle integer of 5000 bytes exceeds the pickleIntBytes budget of 1024 /,
  );
  assert.match(overBudget("a.png", "x", "imagePixels", 7).message, /imagePixels budget of 7 /);
});

Deno.test("budgets: Pillow's image thresholds; TOK1D_MAX_IMAGE_PIXELS raises the refusal", () => {
  assert.equal(BUDGETS.imageWarnPixels, 89_478_485);
  assert.equal(BUDGETS.imagePixels, 2 * BUDGETS.imageWarnPixels);
  const old = Deno.env.get("TOK1D_MAX_IMAGE_PIXELS");
  try {
    Deno.env.delete("TOK1D_MAX_IMAGE_PIXELS");
    assert.equal(imagePixelBudget(), BUDGETS.imagePixels);
    Deno.env.set("TOK1D_MAX_IMAGE_PIXELS", "400000000");
    assert.equal(imagePixelBudget(), 4e8);
    for (const bad of ["-1", "1e9", "lots", "0"]) {
      Deno.env.set("TOK1D_MAX_IMAGE_PIXELS", bad);
      assert.throws(
        imagePixelBudget,
        (e) => e instanceof UsageError && /TOK1D_MAX_IMAGE_PIXELS/.test(e.message),
      );
    }
  } finally {
    if (old === undefined) Deno.env.delete("TOK1D_MAX_IMAGE_PIXELS");
    else Deno.env.set("TOK1D_MAX_IMAGE_PIXELS", old);
  }
});

Deno.test("budgets: describeValue survives bigints, cycles and depth", () => {
  const cyc: unknown[] = [1];
  cyc.push(cyc);
  assert.equal(describeValue([2n ** 70n, "a"]), '[1180591620717411303424, "a"]');
  assert.equal(describeValue(cyc), "[1, [1, […]]]");
  assert.equal(describeValue(new Map()), "<Map>");
});
