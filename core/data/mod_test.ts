import assert from "node:assert/strict";
import * as data from "./mod.ts";

Deno.test("data/mod: re-exports the public API", () => {
  for (
    const name of [
      "readNpy",
      "writeNpy",
      "encodeNpy",
      "decodeNpy",
      "decodeImage",
      "resize",
      "resizeCenterCrop",
      "centerCrop",
      "shorterSideSize",
      "loadImages",
      "imageToTensor",
      "toUint8Image",
      "writePng",
      "encodePng",
      "makeGrid",
      "gridRows",
    ]
  ) assert.equal(typeof (data as Record<string, unknown>)[name], "function", name);
  assert.deepEqual([data.MAX_SIDE, data.MAX_PIXELS], [16384, 178_956_970]);
});
