"""Step 2 of regenerating the perceptual-loss fixtures (see README.md).

Reads the weights and inputs export_inputs.ts wrote to DIR (first argument)
and writes PyTorch/torchvision reference outputs next to this script. An
independent implementation of the loss from its definition; it uses only
torch and torchvision (torch 1.13, torchvision 0.14; no download).
"""
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F
import torchvision

torch.set_num_threads(1)
DIR = sys.argv[1] if len(sys.argv) > 1 else "/tmp/tok1d-perceptual"
OUT = os.path.dirname(os.path.abspath(__file__))


def safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + n])
    out = {}
    for key, v in header.items():
        if key == "__metadata__":
            continue
        s, e = v["data_offsets"]
        out[key] = torch.from_numpy(np.frombuffer(raw[8 + n + s : 8 + n + e], "<f4").reshape(v["shape"]).copy())
    return out


def image(name):
    return torch.from_numpy(np.load(os.path.join(DIR, name + ".npy")))


def save(name, t):
    np.save(os.path.join(OUT, name + ".npy"), t.detach().numpy().astype(np.float32))


vgg = torchvision.models.vgg16().features.eval()
vgg.load_state_dict({k[len("features.") :]: v for k, v in safetensors(os.path.join(DIR, "vgg.safetensors")).items()})
heads = safetensors(os.path.join(DIR, "lpips.safetensors"))
convnext = torchvision.models.convnext_small().eval()
convnext.load_state_dict(safetensors(os.path.join(DIR, "convnext.safetensors")))
for p in list(vgg.parameters()) + list(convnext.parameters()):
    p.requires_grad_(False)

TAPS = [3, 8, 15, 22, 29]  # indices of relu1_2 … relu5_3 in torchvision's `features`


def vgg_taps(x):
    taps = []
    for i, layer in enumerate(vgg[: TAPS[-1] + 1]):
        x = layer(x)
        if i in TAPS:
            taps.append(x)
    return taps


def lpips(a, b):
    """Per-sample LPIPS of images in [0, 1]: to [-1, 1], shift/scale, VGG taps, unit-normalise, weighted L2."""
    shift = torch.tensor([-0.030, -0.088, -0.188]).view(1, 3, 1, 1)
    scale = torch.tensor([0.458, 0.448, 0.450]).view(1, 3, 1, 1)
    fa, fb = (vgg_taps(((x * 2 - 1) - shift) / scale) for x in (a, b))
    total = 0
    for k, (u, v) in enumerate(zip(fa, fb)):
        u = u / (u.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
        v = v / (v.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
        total = total + F.conv2d((u - v) ** 2, heads[f"lin{k}.model.1.weight"]).mean([2, 3], keepdim=True)
    return total  # (B, 1, 1, 1)


def logits(x):
    x = F.interpolate(x, size=224, mode="bilinear", align_corners=False, antialias=True)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    return convnext((x - mean) / std)


with torch.no_grad():
    for name, t in zip(["relu1_2", "relu2_2", "relu3_3", "relu4_3", "relu5_3"], vgg_taps(image("vgg_image"))):
        save("vgg_" + name, t)
    save("convnext_logits", convnext(image("convnext_image")))
    for name in ["resize_256x64", "resize_40x300"]:
        save(name, F.interpolate(image(name), size=224, mode="bilinear", align_corners=False, antialias=True))

fake = image("lpips_fake").requires_grad_(True)
d = lpips(image("lpips_real"), fake)
d.mean().backward()
save("lpips_distance", d.flatten())
save("lpips_grad", fake.grad)

fake = image("combined_fake").requires_grad_(True)
real = image("combined_real")
lp = lpips(real, fake).mean()
cn = F.mse_loss(logits(real), logits(fake))
loss = (1.0 * lp + 0.1 * cn) / 1.1
loss.backward()
np.save(os.path.join(OUT, "combined_losses.npy"), np.array([lp.item(), cn.item(), loss.item()]))
save("combined_grad", fake.grad)
print(f"lpips {lp.item():.6g} convnext {cn.item():.6g} combined {loss.item():.6g}")
