/** Pan/zoom clips: the first and last frames are the boxes resized (Pillow bilinear); a still shot repeats. */
import { deepStrictEqual, notDeepStrictEqual } from "node:assert";
import { decodeImage } from "./image.ts";
import { boxAt, panZoomClip } from "./pan_zoom.ts";
import { resize } from "./resize.ts";
import { writeChw } from "./transform.ts";

const PHOTO = new URL("../../tests/testdata/photos/coffee.png", import.meta.url).pathname;

Deno.test("pan/zoom: end frames are the boxes resized; in-between boxes interpolate; still shots repeat", async () => {
  const img = await decodeImage(PHOTO); // 450×300
  const a = { x: 10, y: 20, w: 200, h: 200 }, b = { x: 240, y: 80, w: 100, h: 100 };
  const clip = panZoomClip(img, a, b, 5, 16);
  deepStrictEqual(clip.shape, [5, 3, 16, 16]);
  const frame = (box: typeof a) => {
    const data = new Uint8Array(box.w * box.h * 3);
    for (let r = 0; r < box.h; r++) {
      const at = ((box.y + r) * img.width + box.x) * 3;
      data.set(img.data.subarray(at, at + box.w * 3), r * box.w * 3);
    }
    const out = new Float32Array(768);
    writeChw(resize({ data, width: box.w, height: box.h }, 16, 16, "bilinear"), out);
    return out;
  };
  deepStrictEqual(clip.data.subarray(0, 768), frame(a));
  deepStrictEqual(clip.data.subarray(4 * 768), frame(b));
  deepStrictEqual(boxAt(a, b, 0.5, 450, 300), { x: 125, y: 50, w: 150, h: 150 });
  deepStrictEqual(clip.data.subarray(2 * 768, 3 * 768), frame({ x: 125, y: 50, w: 150, h: 150 }));
  // Boxes are kept inside the image.
  deepStrictEqual(boxAt({ x: 400, y: -5, w: 100, h: 100 }, a, 0, 450, 300), { x: 350, y: 0, w: 100, h: 100 });
  const still = panZoomClip(img, a, a, 3, 16);
  deepStrictEqual(still.data.subarray(0, 768), still.data.subarray(2 * 768));
  notDeepStrictEqual(clip.data.subarray(0, 768), clip.data.subarray(768, 2 * 768));
});
