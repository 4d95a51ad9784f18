"""Regenerates the Pillow reference outputs used by core/data/*_test.ts.

Run from tests/testdata/photos/:  /usr/bin/python3 pil_reference/make_reference.py
(Debian bookworm python3-pil 9.4.0 + python3-numpy 1.24.2; no torchvision needed:
its Resize/CenterCrop size arithmetic is copied below verbatim. The "floor" entries
restate ElasticTok's frame transform, elastic/data.py `_image_resize_shortest` +
`_image_center_crop` at LargeWorldModel/ElasticTok a175cdb: Pillow bilinear.)
"""
import hashlib, json, sys
import numpy as np
import PIL
from PIL import Image

PHOTOS = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg",
          "heldout/keong_macan.png", "heldout/bliznaca.png"]
SIZES = [32, 64, 128, 224, 256, 299, 384, 512]
FILTERS = {"bicubic": Image.BICUBIC, "bilinear": Image.BILINEAR}
FREE = [(123, 77), (451, 299), (17, 500), (1, 1), (900, 40), (300, 301)]


def sha(im):
    return hashlib.sha256(im.tobytes()).hexdigest()


def resized_size(w, h, size):  # torchvision _compute_resized_output_size, size = int
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size, int(size * long / short)
    return (new_short, new_long) if w <= h else (new_long, new_short)


def floor_size(w, h, size):  # ElasticTok elastic/data.py _image_resize_shortest, restated
    if w > h:
        tw, th = int(w * (size / h)), size
        tw = size if tw == size - 1 else tw
    else:
        tw, th = size, int(h * (size / w))
        th = size if th == size - 1 else th
    return tw, th


def floor_crop(im, size):  # ElasticTok _image_center_crop: floor offsets
    w, h = im.size
    left, top = (w - size) // 2, (h - size) // 2
    return im.crop((left, top, left + size, top + size))


def center_crop(im, size):  # torchvision F.center_crop without padding
    w, h = im.size
    top, left = int(round((h - size) / 2.0)), int(round((w - size) / 2.0))
    return im.crop((left, top, left + size, top + size))


out = {"pillow": PIL.__version__, "numpy": np.__version__, "photos": {}}
for name in PHOTOS:
    for variant in ("", "transposed"):
        im = Image.open(name).convert("RGB")
        if variant:
            im = im.transpose(Image.TRANSPOSE)  # portrait: exercises the w <= h branch
        key = name + (":" + variant if variant else "")
        entry = {"width": im.size[0], "height": im.size[1], "decoded": sha(im), "eval": {}, "free": {},
                 "floor": {}}
        for size in SIZES:
            w, h = floor_size(*im.size, size)
            r = im.resize((w, h), Image.BILINEAR)
            entry["floor"][f"bilinear/{size}"] = {"resized": [w, h], "crop_sha": sha(floor_crop(r, size))}
        for fname, f in FILTERS.items():
            for size in SIZES:
                w, h = resized_size(*im.size, size)
                r = im.resize((w, h), f) if (w, h) != im.size else im
                c = center_crop(r, size)
                entry["eval"][f"{fname}/{size}"] = {"resized": [w, h], "resized_sha": sha(r), "crop_sha": sha(c)}
                if size == 64 and fname == "bicubic" and not variant:
                    np.save("pil_reference/" + name.replace("heldout/", "heldout_").rsplit(".", 1)[0]
                            + "_bicubic64.npy", np.asarray(c))
            for w, h in FREE:
                entry["free"][f"{fname}/{w}x{h}"] = sha(im.resize((w, h), f))
        out["photos"][key] = entry
json.dump(out, open("pil_reference/reference.json", "w"), indent=1, sort_keys=True)
print("wrote", len(out["photos"]), "entries", file=sys.stderr)
