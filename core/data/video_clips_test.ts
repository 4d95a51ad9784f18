import { deepStrictEqual } from "node:assert";
import { videoOutputName } from "./video_clips.ts";

Deno.test("videoOutputName: base names, shard members without ':', repeats numbered so none is overwritten", () => {
  const taken = new Set<string>();
  deepStrictEqual(
    [
      "/data/a/clip.mp4",
      "/data/b/clip.webm",
      "/shards/train-000.tar:clip.mp4",
      "/shards/train-001.tar:clip.mp4",
      "/shards/train-000.tar:sub/x.avi",
      "/shards/train-000.tar:clip.mp4",
    ].map((f) => videoOutputName(f, taken)),
    ["clip", "clip-2", "train-000_clip", "train-001_clip", "train-000_x", "train-000_clip-2"],
  );
});
