/**
 * Test fixture for the dataset tests: an ImageNet-style tree built at test
 * time from the committed CC0 photos (tests/testdata/photos), with the odd
 * but valid inputs real datasets contain (CMYK JPEG, 16-bit PNG, grayscale,
 * alpha, a PNG named .JPEG) and a crafted bad-input set (truncated JPEG, zero
 * bytes, text named .jpg, absurd dimensions, a symlink loop, a broken
 * symlink, a stray file outside any class folder).
 *
 * @example
 * ```ts
 * const dir = Deno.makeTempDirSync();
 * const tree = await makeTree(dir);
 * console.log(tree.good, tree.bad); // files that must be written / skipped per split
 * ```
 * @module
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";

export const PHOTOS = new URL("../../tests/testdata/photos/", import.meta.url).pathname;
export const PYTHON = "/usr/bin/python3";

/** JPEG bytes whose frame header claims `w`×`h` (the scan data is the original's). */
export function withJpegSize(jpeg: Uint8Array, w: number, h: number): Uint8Array {
  const out = new Uint8Array(jpeg); // a copy (Buffer.slice would share memory)
  for (let i = 2; i < out.length - 9;) {
    const marker = out[i + 1];
    if (marker >= 0xc0 && marker <= 0xc2) {
      out[i + 5] = h >> 8, out[i + 6] = h & 255, out[i + 7] = w >> 8, out[i + 8] = w & 255;
      return out;
    }
    i += 2 + ((out[i + 2] << 8) | out[i + 3]);
  }
  throw new Error("no SOF marker");
}

/** What {@link makeTree} made. */
export interface Tree {
  root: string;
  /** Per split: relative paths that must be written, in sorted order. */
  good: Record<string, string[]>;
  /** Per split: relative path → a word the skip reason must contain. */
  bad: Record<string, Record<string, string>>;
}

/**
 * `<dir>/tree/{train,val}/<class>/...` with classes n01443537, n01558993
 * (an ImageNet100 class), n02085620 (ImageNet100) and n09999999 (an empty
 * class folder in val only, to check that indices span all splits).
 */
export async function makeTree(dir: string): Promise<Tree> {
  const root = join(dir, "tree");
  const photo = (n: string) => readFileSync(join(PHOTOS, n));
  const chelsea = sharp(join(PHOTOS, "chelsea.png"));
  const rocket = photo("rocket.jpg");
  const files: Record<string, Uint8Array | string> = {
    "train/n01443537/a_rocket.JPEG": rocket,
    "train/n01443537/b_png_named_jpeg.JPEG": photo("coffee.png"),
    "train/n01443537/c_cmyk.jpg": await chelsea.clone().toColourspace("cmyk").jpeg({ quality: 90 })
      .toBuffer(),
    "train/n01443537/d_truncated.jpg": rocket.subarray(0, rocket.length >> 1),
    "train/n01558993/a_gray16.png": await chelsea.clone().greyscale().toColourspace("grey16").png()
      .toBuffer(),
    "train/n01558993/b_empty.jpg": new Uint8Array(0),
    "train/n01558993/c_alpha.png": await chelsea.clone().resize(160).ensureAlpha(0.5).png().toBuffer(),
    "train/n01558993/d_text.jpg": "<html>404 not found</html>\n",
    "train/n02085620/a_gray.jpg": await chelsea.clone().greyscale().jpeg().toBuffer(),
    "train/n02085620/b_huge.jpg": withJpegSize(rocket, 60000, 40000),
    "train/n02085620/c_astronaut.png": photo("astronaut.png"),
    "train/n02085620/sub/d_nested.webp": await chelsea.clone().resize(200).webp({ quality: 80 }).toBuffer(),
    "train/stray.jpg": rocket,
    "val/n01443537/v1.JPEG": photo("coffee.png"),
    "val/n01558993/v2.JPEG": rocket,
    "val/n02085620/v3.png": photo("chelsea.png"),
  };
  for (const [rel, data] of Object.entries(files)) {
    mkdirSync(join(root, rel, ".."), { recursive: true });
    writeFileSync(join(root, rel), data);
  }
  mkdirSync(join(root, "val/n09999999"), { recursive: true });
  symlinkSync("..", join(root, "train/n02085620/e_loop")); // a folder linking to its parent
  symlinkSync("nowhere.jpg", join(root, "train/n02085620/f_broken.jpg"));
  return {
    root,
    good: {
      train: [
        "n01443537/a_rocket.JPEG",
        "n01443537/b_png_named_jpeg.JPEG",
        "n01443537/c_cmyk.jpg",
        "n01558993/a_gray16.png",
        "n01558993/c_alpha.png",
        "n02085620/a_gray.jpg",
        "n02085620/c_astronaut.png",
        "n02085620/sub/d_nested.webp",
      ],
      val: ["n01443537/v1.JPEG", "n01558993/v2.JPEG", "n02085620/v3.png"],
    },
    bad: {
      train: {
        "n01443537/d_truncated.jpg": "truncated",
        "n01558993/b_empty.jpg": "empty",
        "n01558993/d_text.jpg": "text",
        "n02085620/b_huge.jpg": "absurd",
        "n02085620/e_loop": "loop",
        "n02085620/f_broken.jpg": "broken",
        "stray.jpg": "class folder",
      },
      val: {},
    },
  };
}

/** Runs a Python snippet with Debian's python3; returns stdout. */
export function python(code: string, ...args: string[]): string {
  const out = new Deno.Command(PYTHON, { args: ["-c", code, ...args] }).outputSync();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout);
}
