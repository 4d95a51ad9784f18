import assert from "node:assert/strict";
import { drawText, fitText, GLYPH_H, GLYPH_W, textWidth } from "./font.ts";

const blank = (width: number, height: number) => ({
  width,
  height,
  data: new Uint8Array(width * height * 3),
});
const lit = (img: { width: number; data: Uint8Array }, x: number, y: number) =>
  img.data[(y * img.width + x) * 3] > 0;

Deno.test("font: glyphs draw their bitmap; lower case draws as capitals; unknown characters as '?'", () => {
  const img = blank(GLYPH_W, GLYPH_H);
  drawText(img, "I", 0, 0, [255, 255, 255]);
  // "I": a bar on the top and bottom rows (columns 1–3) and a stem in column 2.
  const rows = Array.from(
    { length: GLYPH_H },
    (_, y) => Array.from({ length: GLYPH_W }, (_, x) => (lit(img, x, y) ? "#" : ".")).join(""),
  );
  assert.deepEqual(rows, [".###.", "..#..", "..#..", "..#..", "..#..", "..#..", ".###."]);
  const a = blank(GLYPH_W, GLYPH_H), b = blank(GLYPH_W, GLYPH_H);
  drawText(a, "q", 0, 0, [255, 0, 0]);
  drawText(b, "Q", 0, 0, [255, 0, 0]);
  assert.deepEqual(a.data, b.data);
  const u = blank(GLYPH_W, GLYPH_H), v = blank(GLYPH_W, GLYPH_H);
  drawText(u, "é", 0, 0, [9, 9, 9]);
  drawText(v, "?", 0, 0, [9, 9, 9]);
  assert.deepEqual(u.data, v.data);
  // Off-picture pixels are skipped, not wrapped.
  const small = blank(3, 3);
  drawText(small, "88", -2, -2, [1, 1, 1], 2);
  assert.ok(small.data.length === 27);
});

Deno.test("font: widths and fitting text to a tile", () => {
  assert.equal(textWidth("AB"), 2 * GLYPH_W + 1);
  assert.equal(textWidth("AB", 2), 2 * (2 * GLYPH_W + 1));
  assert.equal(textWidth(""), 0);
  assert.equal(fitText("short.png", 126), "short.png");
  // 126 px hold 21 characters of 6 px (the last one's gap not needed): a cut keeps 20 and a dot.
  assert.equal(fitText("lomiri_picosdeeuropa_long.png", 126), "lomiri_picosdeeuropa.");
  assert.equal(fitText("lomiri_picosdeeuropa_long.png", 126).length, 21);
});
