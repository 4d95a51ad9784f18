#!/usr/bin/python3
"""Independent PyTorch (eager, CPU) implementation of BDD-1D's inference, for bench/compare_bdd.ts.

Plain torch functions over a parameter dict (upstream's state-dict keys), written from the architecture
notes (plugins/bdd_1d/README.md): timm ViT-B/16 over [cls, patches, K prompt tokens] + pos_embed, the K
prompt rows -> Linear `ln` -> L2-normalised -> nearest row of the (normalised) codebook; the decoder embeds
the codes, appends them to [cls, G^2 mask tokens] + positions, runs the taming decoder's conv_in and mid
stage over that sequence as an (L x 1) image, reshapes positions 1..G^2 to G x G and runs the up path.
Nothing of upstream is imported. It loads the `model.safetensors` compare_bdd.ts writes from tok1d's weights
(bench/torch_titok.py's reader) and either times or checks against tok1d:

- `encode`: image (B,3,S,S) in [0,1] -> ids (B,K) (upstream's `encode`: ViT, projection, quantiser);
- `decode`: ids (B,K) -> image (upstream's `decode_code` on normalised rows: lookup + decoder).

    /usr/bin/python3 bench/torch_bdd.py --weights DIR/model.safetensors --arch DIR/arch.json --threads 2 \
        --batch 4 --ops encode,decode [--iters 1] [--warmup 1]
    /usr/bin/python3 bench/torch_bdd.py --weights DIR/model.safetensors --arch DIR/arch.json --check DIR

--check reads DIR/image.npy and writes DIR/torch_ids.npy and DIR/torch_decoded.npy. Prints one JSON object.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# torch_titok sets OPENBLAS_NUM_THREADS / OMP_NUM_THREADS from --threads before it imports torch.
from torch_titok import openblas_core, read_safetensors, timed  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def linear(w, p, x):
    return F.linear(x, w[p + ".weight"], w[p + ".bias"])


def layer_norm(w, p, x, eps):
    return F.layer_norm(x, x.shape[-1:], w[p + ".weight"], w[p + ".bias"], eps)


def vit_block(w, p, x, heads):
    b, n, c = x.shape
    h = layer_norm(w, p + ".norm1", x, 1e-6)
    q, k, v = linear(w, p + ".attn.qkv", h).reshape(b, n, 3, heads, c // heads).permute(2, 0, 3, 1, 4)
    att = ((q * (c // heads) ** -0.5) @ k.transpose(-2, -1)).softmax(-1)
    x = x + linear(w, p + ".attn.proj", (att @ v).transpose(1, 2).reshape(b, n, c))
    h = layer_norm(w, p + ".norm2", x, 1e-6)
    return x + linear(w, p + ".mlp.fc2", F.gelu(linear(w, p + ".mlp.fc1", h)))


def encode(w, a, image):
    x = image * 2 - 1
    x = F.conv2d(x, w["encoder.patch_embed.proj.weight"], w["encoder.patch_embed.proj.bias"], stride=a["patch"])
    x = x.flatten(2).transpose(1, 2)
    b = x.shape[0]
    x = torch.cat([w["encoder.cls_token"].expand(b, -1, -1), x, w["encoder.prompt_tokens"].expand(b, -1, -1)], 1)
    x = x + w["encoder.pos_embed"]
    for i in range(a["depth"]):
        x = vit_block(w, f"encoder.blocks.{i}", x, a["heads"])
    x = layer_norm(w, "encoder.norm", x, 1e-6)
    z = F.normalize(linear(w, "ln", x[:, -a["k"]:]), dim=-1)  # (B, K, C)
    book = w["quantize.embedding.weight"]
    d = (z ** 2).sum(-1, keepdim=True) + (book ** 2).sum(-1) - 2 * z @ book.t()
    return d.argmin(-1)


def group_norm(w, p, x):
    return F.group_norm(x, 32, w[p + ".weight"], w[p + ".bias"], 1e-6)


def conv(w, p, x, pad):
    return F.conv2d(x, w[p + ".weight"], w[p + ".bias"], padding=pad)


def resnet(w, p, x):
    h = conv(w, p + ".conv1", F.silu(group_norm(w, p + ".norm1", x)), 1)
    h = conv(w, p + ".conv2", F.silu(group_norm(w, p + ".norm2", h)), 1)
    if p + ".nin_shortcut.weight" in w:
        x = conv(w, p + ".nin_shortcut", x, 0)
    return x + h


def attn(w, p, x):
    b, c, hh, ww = x.shape
    h = group_norm(w, p + ".norm", x)
    q, k, v = (conv(w, f"{p}.{n}", h, 0).reshape(b, c, hh * ww) for n in ("q", "k", "v"))
    att = (q.transpose(1, 2) @ k * c ** -0.5).softmax(-1)  # (B, HW, HW)
    return x + conv(w, p + ".proj_out", (v @ att.transpose(1, 2)).reshape(b, c, hh, ww), 0)


def decode(w, a, ids):
    codes = w["quantize.embedding.weight"][ids]  # (B, K, C), rows normalised at load as tok1d does
    b, g = ids.shape[0], a["grid"]
    x = linear(w, "decoder.decoder_embed", codes) + w["decoder.latent_token_positional_embedding"][: a["k"]]
    cls = w["decoder.class_embedding"].reshape(1, 1, -1).expand(b, -1, -1)
    masks = w["decoder.mask_token"].expand(b, g * g, -1)
    seq = torch.cat([torch.cat([cls, masks], 1) + w["decoder.positional_embedding"], x], 1)  # (B, L, W)
    length = seq.shape[1]
    h = conv(w, "decoder.conv_in", seq.transpose(1, 2).unsqueeze(-1), 1)
    h = resnet(w, "decoder.mid.block_1", h)
    h = attn(w, "decoder.mid.attn_1", h)
    h = resnet(w, "decoder.mid.block_2", h)
    h = h.reshape(b, -1, length)[:, :, 1:1 + g * g].reshape(b, -1, g, g)
    res = g
    for level in reversed(range(len(a["ch_mult"]))):
        for i in range(a["num_res_blocks"] + 1):
            h = resnet(w, f"decoder.up.{level}.block.{i}", h)
            if res in a["attn_resolutions"]:
                h = attn(w, f"decoder.up.{level}.attn.{i}", h)
        if level != 0:
            h = conv(w, f"decoder.up.{level}.upsample.conv", F.interpolate(h, scale_factor=2.0, mode="nearest"), 1)
            res *= 2
    h = conv(w, "decoder.conv_out", F.silu(group_norm(w, "decoder.norm_out", h)), 1)
    return (h + 1) / 2


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--weights", required=True)
    ap.add_argument("--arch", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--ops", default="encode,decode")
    ap.add_argument("--iters", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--min-time", type=float, default=0.0)
    ap.add_argument("--check")
    o = ap.parse_args()
    torch.set_num_threads(o.threads)
    a = json.load(open(o.arch))
    w = {k: v for k, v in read_safetensors(o.weights).items()}
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "openblas_core": openblas_core()}
    with torch.inference_mode():
        if o.check:
            image = torch.from_numpy(np.load(os.path.join(o.check, "image.npy")))
            ids = encode(w, a, image)
            np.save(os.path.join(o.check, "torch_ids.npy"), ids.numpy().astype(np.int64))
            np.save(os.path.join(o.check, "torch_decoded.npy"), decode(w, a, ids).numpy())
            out["checked"] = True
        else:
            gen = torch.Generator().manual_seed(0)
            image = torch.rand(o.batch, 3, a["image"], a["image"], generator=gen)
            ids = encode(w, a, image)
            for op in o.ops.split(","):
                fn = (lambda: encode(w, a, image)) if op == "encode" else (lambda: decode(w, a, ids))
                out[op] = timed(fn, o.warmup, o.iters, o.min_time)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
