/** Loss curves: a tick line that rounds onto the row past the panel's edge is clipped, not written out of bounds. */
import { deepStrictEqual } from "node:assert";
import { renderCurves } from "./curve.ts";

Deno.test("curves: a log tick 0.4 px above the panel's bottom edge is clipped (was a RangeError)", () => {
  // log10 range [-0.9013, 0.0987]: the 0.1 tick sits at y = 330 + 0.0987·300 ≈ 359.6 of a 360-pixel panel.
  const rgb = renderCurves({ loss: [[1, 10 ** 0.0987], [2, 10 ** -0.9013]] }, 640, 360);
  deepStrictEqual(rgb.length, 640 * 360 * 3);
});
