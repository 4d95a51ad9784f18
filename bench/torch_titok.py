#!/usr/bin/python3
"""Independent PyTorch (eager, CPU) implementation of TiTok's two-stage legacy forward.

Reference for bench/compare.ts: it loads the `model.safetensors` that tok1d's exportOnnx writes (upstream's
state-dict key names) with strict=True and times encode (image -> tokens + latent) and decode (latent ->
image), or checks its outputs against tok1d's. Written from the architecture notes (encoder / l2 VQ /
decoder ViT / softmax-weighted MaskGIT codebook / MaskGIT-VQGAN conv decoder), not from upstream's code.

    /usr/bin/python3 bench/torch_titok.py --weights DIR/model.safetensors --preset s128 \
        --threads 2 --batch 4 --iters 5 [--warmup 1] [--check DIR]

Prints one JSON object on stdout: per op the median and every call's seconds and the median process CPU
seconds, plus `load_s` (model built + state dict loaded) and `peak_mib` (ru_maxrss). Presets: s128, l32, tiny.
Needs torch and numpy only (the safetensors file is parsed here, each tensor read straight into its buffer).

Debian's torch does its matmuls in OpenBLAS (pthread build), which sizes its own thread pool and picks its
kernels from the CPU model: on an unrecognised CPU it falls back to a generic SSE3 ("Prescott") kernel,
several times slower. Set OPENBLAS_CORETYPE (e.g. SkylakeX) to choose; the JSON reports the kernel used.
Its pthread pool and torch's OpenMP pool also busy-wait against each other on few cores: OMP_WAIT_POLICY=PASSIVE
and OPENBLAS_THREAD_TIMEOUT=4 avoid that (bench/compare.ts sets all three unless --torch-env installed).
"""

import argparse
import ctypes
import json
import os
import resource
import struct
import sys
import time

import numpy as np


def _pre_threads():
    """--threads, read before torch loads OpenBLAS, whose pool size is fixed at load time."""
    for i, arg in enumerate(sys.argv):
        if arg == "--threads" and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
        if arg.startswith("--threads="):
            return arg.split("=", 1)[1]
    return "2"


os.environ.setdefault("OPENBLAS_NUM_THREADS", _pre_threads())
os.environ.setdefault("OMP_NUM_THREADS", _pre_threads())

import torch  # noqa: E402  (after the environment above)
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

# Preset sizes: ViT (width, layers, heads), patch, image, K latent tokens, C token dim, codebook, pixel decoder.
PRESETS = {
    "s128": dict(width=512, layers=8, heads=8, patch=16, image=256, k=128, c=12, codebook=4096,
                 pixel=dict(hidden=128, mult=[1, 1, 2, 2, 4], res_blocks=2, z=256)),
    "l32": dict(width=1024, layers=24, heads=16, patch=16, image=256, k=32, c=12, codebook=4096,
                pixel=dict(hidden=128, mult=[1, 1, 2, 2, 4], res_blocks=2, z=256)),
    "tiny": dict(width=64, layers=2, heads=4, patch=8, image=32, k=8, c=12, codebook=64,
                 pixel=dict(hidden=32, mult=[1, 1, 2, 2], res_blocks=2, z=256)),
}


# ---------------------------------------------------------------------------------------------------------
# safetensors: 8-byte little-endian header length, JSON header {name: {dtype, shape, data_offsets}}, raw data.

def read_safetensors(path):
    """Each tensor read straight into its own buffer: the file is never held whole beside the copies."""
    dtypes = {"F32": torch.float32, "F16": torch.float16, "I64": torch.int64, "I32": torch.int32}
    out = {}
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        start = 8 + n
        for name, meta in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0] if kv[0] != "__metadata__" else -1):
            if name == "__metadata__":
                continue
            b, e = meta["data_offsets"]
            t = torch.empty(meta["shape"], dtype=dtypes[meta["dtype"]])
            f.seek(start + b)
            view = t.numpy().reshape(-1).view(np.uint8)
            if t.numel() and f.readinto(memoryview(view)) != e - b:
                raise ValueError(f"{path}: tensor {name} is truncated")
            out[name] = t
    return out


# ---------------------------------------------------------------------------------------------------------
# ViT parts. Module attribute names are chosen so that state_dict() keys equal upstream's.

class Mlp(nn.Module):
    def __init__(self, w):
        super().__init__()
        self.c_fc = nn.Linear(w, 4 * w)
        self.c_proj = nn.Linear(4 * w, w)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x)))  # exact (erf) GELU


class Block(nn.Module):
    """Pre-norm residual block: x += MHA(LN1(x)); x += MLP(LN2(x)). Sequence-first (L, B, W) like upstream."""

    def __init__(self, w, heads):
        super().__init__()
        self.ln_1 = nn.LayerNorm(w)
        self.attn = nn.MultiheadAttention(w, heads)  # fused in_proj_weight (3W, W), out_proj
        self.ln_2 = nn.LayerNorm(w)
        self.mlp = Mlp(w)

    def forward(self, x):
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.ln_2(x))


def run_blocks(blocks, x):
    x = x.permute(1, 0, 2)  # (B, L, W) -> (L, B, W)
    for b in blocks:
        x = b(x)
    return x.permute(1, 0, 2)


class Encoder(nn.Module):
    def __init__(self, p):
        super().__init__()
        w, self.k, self.grid = p["width"], p["k"], p["image"] // p["patch"]
        n = self.grid ** 2
        self.patch_embed = nn.Conv2d(3, w, p["patch"], stride=p["patch"])
        self.class_embedding = nn.Parameter(torch.zeros(1, w))
        self.positional_embedding = nn.Parameter(torch.zeros(n + 1, w))
        self.latent_token_positional_embedding = nn.Parameter(torch.zeros(p["k"], w))
        self.ln_pre = nn.LayerNorm(w)
        self.transformer = nn.ModuleList(Block(w, p["heads"]) for _ in range(p["layers"]))
        self.ln_post = nn.LayerNorm(w)
        self.conv_out = nn.Conv2d(w, p["c"], 1)

    def forward(self, img, latent_tokens):
        b = img.shape[0]
        x = self.patch_embed(img).flatten(2).transpose(1, 2)  # (B, N, W)
        w = x.shape[-1]
        x = torch.cat([self.class_embedding.expand(b, 1, w), x], 1) + self.positional_embedding
        lat = (latent_tokens + self.latent_token_positional_embedding).expand(b, -1, -1)
        x = self.ln_pre(torch.cat([x, lat], 1))
        x = run_blocks(self.transformer, x)
        n = self.grid ** 2
        x = self.ln_post(x[:, n + 1:])  # the K latent positions, (B, K, W)
        return self.conv_out(self.to_map(x)).reshape(b, -1, 1, self.k)  # (B, C, 1, K)

    def to_map(self, x):
        """(B, K, W) -> (B, W, K, 1). Legacy quirk: the contiguous tensor is *reshaped*, not transposed."""
        return x.reshape(x.shape[0], x.shape[2], self.k, 1)


class Codebook(nn.Module):
    def __init__(self, n, dim):
        super().__init__()
        self.embedding = nn.Embedding(n, dim)


def l2n(x):
    return F.normalize(x, dim=-1)  # x / max(||x||, 1e-12)


class L2VectorQuantizer(Codebook):
    """Nearest code under l2-normalised z and codebook; returns (indices (B,1,K), codes (B,C,1,K))."""

    def forward(self, z):
        b, c, _, k = z.shape
        zf = l2n(z.permute(0, 2, 3, 1).reshape(-1, c))  # (B*K, C)
        e = l2n(self.embedding.weight)
        d = (zf * zf).sum(1, keepdim=True) + (e * e).sum(1) - 2 * zf @ e.t()
        idx = d.argmin(1)
        zq = e[idx].reshape(b, 1, k, c).permute(0, 3, 1, 2)  # straight-through forward value = code
        return idx.reshape(b, 1, k), zq.contiguous()


class Decoder(nn.Module):
    def __init__(self, p):
        super().__init__()
        w, self.grid = p["width"], p["image"] // p["patch"]
        n = self.grid ** 2
        self.decoder_embed = nn.Linear(p["c"], w)
        self.class_embedding = nn.Parameter(torch.zeros(1, w))
        self.positional_embedding = nn.Parameter(torch.zeros(n + 1, w))
        self.mask_token = nn.Parameter(torch.zeros(1, 1, w))
        self.latent_token_positional_embedding = nn.Parameter(torch.zeros(p["k"], w))
        self.ln_pre = nn.LayerNorm(w)
        self.transformer = nn.ModuleList(Block(w, p["heads"]) for _ in range(p["layers"]))
        self.ln_post = nn.LayerNorm(w)
        # Legacy head: 1x1 conv W->2W, tanh, 1x1 conv 2W->1024 MaskGIT-code logits (keys ffn.0, ffn.2).
        self.ffn = nn.Sequential(nn.Conv2d(w, 2 * w, 1), nn.Tanh(), nn.Conv2d(2 * w, 1024, 1))

    def forward(self, z):
        b, c, _, k = z.shape
        n = self.grid ** 2
        x = self.decoder_embed(z.reshape(b, c, k).transpose(1, 2)) + self.latent_token_positional_embedding[:k]
        w = x.shape[-1]
        grid = torch.cat([self.class_embedding.expand(b, 1, w), self.mask_token.expand(b, n, w)], 1)
        x = self.ln_pre(torch.cat([grid + self.positional_embedding, x], 1))
        x = run_blocks(self.transformer, x)
        x = self.ln_post(x[:, 1:n + 1])  # the mask-token positions
        x = x.transpose(1, 2).reshape(b, w, self.grid, self.grid)
        return self.ffn(x)  # (B, 1024, g, g)


# ---------------------------------------------------------------------------------------------------------
# MaskGIT-VQGAN pixel decoder: GroupNorm(32, eps 1e-6) + SiLU, 3x3 convs ("SAME" = pad 1), nearest x2 up.

def gn(c):
    return nn.GroupNorm(32, c, eps=1e-6)


class ResBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.norm1 = gn(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        self.norm2 = gn(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        if cin != cout:
            self.nin_shortcut = nn.Conv2d(cout, cout, 1, bias=False)

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        if hasattr(self, "nin_shortcut"):
            return h + self.nin_shortcut(h)  # quirk: the shortcut reads the block's output; x is dropped
        return h + x


class UpLevel(nn.Module):
    def __init__(self, cin, cout, blocks, upsample):
        super().__init__()
        self.block = nn.ModuleList(ResBlock(cin if j == 0 else cout, cout) for j in range(blocks))
        if upsample:
            self.upsample_conv = nn.Conv2d(cout, cout, 3, padding=1)

    def forward(self, x):
        for blk in self.block:
            x = blk(x)
        if hasattr(self, "upsample_conv"):
            x = self.upsample_conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))
        return x


class PixelDecoder(nn.Module):
    def __init__(self, hidden, mult, res_blocks, z):
        super().__init__()
        levels, top = len(mult), hidden * mult[-1]
        self.conv_in = nn.Conv2d(z, top, 3, padding=1)
        self.mid = nn.ModuleList(ResBlock(top, top) for _ in range(res_blocks))
        # up.{i} is stored by index but run from the top level (i = L-1) down to 0.
        self.up = nn.ModuleList(
            UpLevel(top if i == levels - 1 else hidden * mult[i + 1], hidden * mult[i], res_blocks, i != 0)
            for i in range(levels))
        self.norm_out = gn(hidden * mult[0])
        self.conv_out = nn.Conv2d(hidden * mult[0], 3, 3, padding=1)

    def forward(self, x):
        x = self.conv_in(x)
        for blk in self.mid:
            x = blk(x)
        for lvl in reversed(self.up):
            x = lvl(x)
        return self.conv_out(F.silu(self.norm_out(x)))


class TiTok(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.latent_tokens = nn.Parameter(torch.zeros(p["k"], p["width"]))  # top-level, as upstream
        self.encoder = Encoder(p)
        self.quantize = L2VectorQuantizer(p["codebook"], p["c"])
        self.decoder = Decoder(p)
        self.pixel_quantize = Codebook(1024, p["pixel"]["z"])
        px = p["pixel"]
        self.pixel_decoder = PixelDecoder(px["hidden"], px["mult"], px["res_blocks"], px["z"])

    def encode(self, img):
        """Image (B,3,S,S) in [0,1] -> (tokens int64 (B,1,K), latent (B,C,1,K))."""
        return self.quantize(self.encoder(img, self.latent_tokens))

    def decode(self, latent):
        """Latent (B,C,1,K) -> image (B,3,S,S), unclamped."""
        probs = self.decoder(latent).softmax(1)  # over the 1024 MaskGIT codes
        codes = torch.einsum("nchw,cd->ndhw", probs, self.pixel_quantize.embedding.weight)
        return self.pixel_decoder(codes)


# ---------------------------------------------------------------------------------------------------------

def timed(fn, warmup, iters, min_time, cpu=None):
    """Per-call seconds after `warmup` untimed calls: at least `iters` calls and `min_time` seconds.
    Process CPU seconds per call are appended to `cpu` when given."""
    for _ in range(warmup):
        fn()
    out = []
    while len(out) < iters or sum(out) < min_time:
        t, c = time.perf_counter(), time.process_time()
        fn()
        out.append(time.perf_counter() - t)
        if cpu is not None:
            cpu.append(time.process_time() - c)
    return out


def openblas_core():
    try:
        lib = ctypes.CDLL("libopenblas.so.0")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        return lib.openblas_get_corename().decode()
    except (OSError, AttributeError):
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--weights", required=True, help="tok1d's exported model.safetensors")
    ap.add_argument("--preset", choices=sorted(PRESETS), required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--min-time", type=float, default=1.0, help="keep timing until this many seconds")
    ap.add_argument("--ops", default="encode,decode", help="comma list of encode, decode")
    ap.add_argument("--check", metavar="DIR",
                    help="compare with tok1d's outputs in DIR (image, tokens, latent, recon .npy) instead of timing")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    p = PRESETS[a.preset]
    t0 = time.perf_counter()
    model = TiTok(p).eval()
    model.load_state_dict(read_safetensors(a.weights), strict=True)  # same keys, same shapes, nothing left over
    load_s = time.perf_counter() - t0

    with torch.inference_mode():
        if a.check:
            load = lambda name: torch.from_numpy(np.load(os.path.join(a.check, name + ".npy")))  # noqa: E731
            img, tok_tokens, tok_latent, tok_recon = (load(n) for n in ("image", "tokens", "latent", "recon"))
            tokens, latent = model.encode(img)
            recon_from_tok_latent = model.decode(tok_latent)  # decoder alone, on tok1d's latent
            recon = model.decode(latent)  # full torch reconstruction
            print(json.dumps({
                "preset": a.preset,
                "batch": int(img.shape[0]),
                "tokens_equal": int((tokens == tok_tokens).sum()),
                "tokens_total": int(tokens.numel()),
                "latent_max_abs_diff": float((latent - tok_latent).abs().max()),
                "decode_max_abs_diff": float((recon_from_tok_latent - tok_recon).abs().max()),
                "recon_max_abs_diff": float((recon - tok_recon).abs().max()),
                "recon_max_abs": float(tok_recon.abs().max()),
            }))
            return

        g = torch.Generator().manual_seed(0)
        img = torch.rand(a.batch, 3, p["image"], p["image"], generator=g)
        _, latent = model.encode(img)
        res = {"preset": a.preset, "batch": a.batch, "threads": a.threads, "torch": torch.__version__,
               "openblas_core": openblas_core(), "load_s": load_s}
        fns = {"encode": lambda: model.encode(img), "decode": lambda: model.decode(latent)}
        for op in a.ops.split(","):
            cpu = []
            secs = timed(fns[op], a.warmup, a.iters, a.min_time, cpu)
            med = float(np.median(secs))
            res[op] = {"median_s": med, "images_per_s": a.batch / med, "runs_s": secs, "cpu_s": float(np.median(cpu))}
        res["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        print(json.dumps(res))


if __name__ == "__main__":
    main()
