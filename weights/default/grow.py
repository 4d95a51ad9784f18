# Deepens a trained TiTok-layout model: appends ViT blocks to the encoder and the decoder that start as
# identities (zero output projections of attention and MLP; LayerNorms at γ = 1, β = 0; the input
# projections drawn N(0, 1/width) so that the new blocks have gradients from the first step). The grown
# model computes exactly what the trained one did; training then uses the extra depth.
#
# How the embedded default was grown from its 2-layer sitting (weights/default/README.md, "Training"):
#   python3 weights/default/grow.py runs/default/model/model.safetensors runs/grown.safetensors 4
# Needs numpy only (Debian: python3-numpy); reads and writes safetensors itself. The draws are numpy's
# default_rng(7), so the grown file is the same on every machine.
import json
import struct
import sys

import numpy as np


def read(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + n])
    tensors = {}
    for key, info in header.items():
        if key == "__metadata__":
            continue
        if info["dtype"] != "F32":
            sys.exit(f"{path}: {key} is {info['dtype']}, expected F32")
        begin, end = info["data_offsets"]
        data = np.frombuffer(raw[8 + n + begin : 8 + n + end], dtype="<f4")
        tensors[key] = data.reshape(info["shape"]).copy()
    return tensors


def write(path, tensors):
    header, blobs, offset = {}, [], 0
    for key in sorted(tensors):
        blob = tensors[key].astype("<f4").tobytes()
        header[key] = {"dtype": "F32", "shape": list(tensors[key].shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: grow.py <model.safetensors> <out.safetensors> <layers per half>")
    src, dst, layers = sys.argv[1], sys.argv[2], int(sys.argv[3])
    t = read(src)
    rng = np.random.default_rng(7)
    for half in ("encoder", "decoder"):
        have = len({k.split(".")[2] for k in t if k.startswith(f"{half}.transformer.")})
        width = t[f"{half}.transformer.0.ln_1.weight"].shape[0]
        hidden = t[f"{half}.transformer.0.mlp.c_fc.weight"].shape[0]
        if layers < have:
            sys.exit(f"{src}: the {half} has {have} layers already, more than {layers}")
        for i in range(have, layers):
            p = f"{half}.transformer.{i}."
            for ln in ("ln_1", "ln_2"):
                t[p + ln + ".weight"] = np.ones(width, np.float32)
                t[p + ln + ".bias"] = np.zeros(width, np.float32)
            t[p + "attn.in_proj_weight"] = rng.standard_normal((3 * width, width)) / np.sqrt(width)
            t[p + "attn.in_proj_bias"] = np.zeros(3 * width, np.float32)
            t[p + "attn.out_proj.weight"] = np.zeros((width, width), np.float32)
            t[p + "attn.out_proj.bias"] = np.zeros(width, np.float32)
            t[p + "mlp.c_fc.weight"] = rng.standard_normal((hidden, width)) / np.sqrt(width)
            t[p + "mlp.c_fc.bias"] = np.zeros(hidden, np.float32)
            t[p + "mlp.c_proj.weight"] = np.zeros((width, hidden), np.float32)
            t[p + "mlp.c_proj.bias"] = np.zeros(width, np.float32)
    write(dst, t)
    print(f"{dst}: {len(t)} tensors, {layers} layers per half")


main()
