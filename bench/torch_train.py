#!/usr/bin/python3
"""Independent PyTorch (eager autograd, CPU) implementation of TiTok's single-stage VQ train step.

Reference for bench/compare_train.ts. The model is TiTok's non-legacy single-stage layout (encoder ViT over
[cls, patches, K latent queries] -> 1x1 conv to C, VQ with straight-through, decoder ViT -> 1x1 conv to
patch*patch*3 channels -> depth-to-space -> 3x3 conv), built from bench/torch_titok.py's ViT modules, so its
state-dict keys are upstream's and it loads tok1d's safetensors with strict=True. One step is:

    loss = MSE(recon, x) + 1.0 * (beta * mean((sg(q) - z)^2) + mean((q - sg(z))^2))
    loss.backward(); clip_grad_norm_(params, 1.0); AdamW.step(); EMA <- d * EMA + (1 - d) * params

with z l2-normalised when the config says so, AdamW (betas, eps, weight decay) and upstream's no-decay
groups (params with < 2 dims, or whose name mentions ln, bias, latent_tokens, mask_token, embedding, norm,
gamma or embed). Written from the architecture notes, not from upstream's code.

    /usr/bin/python3 bench/torch_train.py --weights DIR/model.safetensors --config DIR/arch.json \
        --image DIR/image.npy --threads 2 --steps 5 --warmup 1 [--lr 1e-4] [--ema-decay 0.999]
    /usr/bin/python3 bench/torch_train.py --check-fixture tests/testdata/titok/vq_single_stage

arch.json: {"width", "layers", "heads", "patch", "image", "k", "c", "codebook", "l2", "commitment",
"beta1", "beta2", "eps", "weight_decay", "clip"} (bench/compare_train.ts writes it from the tok1d config).
Prints one JSON object on stdout: per-step losses, wall seconds and process CPU seconds (warm-up steps
included, flagged), the medians of the timed steps, and memory (ru_maxrss and VmHWM in KiB). See torch_titok.py for the OpenBLAS environment notes.
"""

import json
import os
import re
import resource
import sys
import time

import numpy as np

sys.dont_write_bytecode = True  # no __pycache__ inside bench/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# torch_titok sets OPENBLAS_NUM_THREADS / OMP_NUM_THREADS from --threads before torch loads.
from torch_titok import Decoder, Encoder, l2n, openblas_core, read_safetensors, run_blocks  # noqa: E402

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402


def proc_status_kib(field):
    """VmRSS / VmHWM of this process in KiB (Linux)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return None


class SingleStageEncoder(Encoder):
    """The encoder with the non-legacy layout: (B,K,W) -> (B,W,K,1) by a transpose, then conv_out."""

    def to_map(self, x):
        return x.reshape(x.shape[0], self.k, x.shape[2], 1).permute(0, 2, 1, 3)


class PixelHeadDecoder(Decoder):
    """The decoder ViT with the direct pixel head: ffn.0 (1x1 conv to p*p*3), depth-to-space, conv_out 3x3."""

    def __init__(self, p):
        super().__init__(p)
        self.patch = p["patch"]
        self.ffn = nn.Sequential(nn.Conv2d(p["width"], self.patch ** 2 * 3, 1))
        self.conv_out = nn.Conv2d(3, 3, 3, padding=1)

    def forward(self, z):
        x = super().forward(z)  # (B, p*p*3, g, g), channels ordered (p1, p2, c)
        b, g, p = x.shape[0], self.grid, self.patch
        x = x.reshape(b, p, p, 3, g, g).permute(0, 3, 4, 1, 5, 2).reshape(b, 3, g * p, g * p)
        return self.conv_out(x)


class TrainVQ(nn.Module):
    """Nearest-code VQ with straight-through and TiTok's two loss terms; z is (B,C,1,K)."""

    def __init__(self, n, dim, l2, beta):
        super().__init__()
        self.embedding = nn.Embedding(n, dim)
        self.l2, self.beta = l2, beta

    def forward(self, z):
        z = z.permute(0, 2, 3, 1)  # (B, 1, K, C)
        if self.l2:
            z = l2n(z)
        e = l2n(self.embedding.weight) if self.l2 else self.embedding.weight
        flat = z.reshape(-1, z.shape[-1])
        with torch.no_grad():
            d = (flat * flat).sum(1, keepdim=True) + (e * e).sum(1) - 2 * flat @ e.t()
            idx = d.argmin(1)
        q = e[idx].reshape(z.shape)
        commitment = self.beta * ((q.detach() - z) ** 2).mean()
        codebook = ((q - z.detach()) ** 2).mean()
        straight = z + (q - z).detach()
        return straight.permute(0, 3, 1, 2), commitment, codebook


class SingleStageTiTok(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.latent_tokens = nn.Parameter(torch.zeros(p["k"], p["width"]))
        self.encoder = SingleStageEncoder(p)
        self.quantize = TrainVQ(p["codebook"], p["c"], p["l2"], p["commitment"])
        self.decoder = PixelHeadDecoder(p)

    def forward(self, img):
        """-> (total loss, {mse, commitment, codebook}, reconstruction)."""
        z, commitment, codebook = self.quantize(self.encoder(img, self.latent_tokens))
        recon = self.decoder(z)
        mse = F.mse_loss(recon, img)
        return mse + 1.0 * (commitment + codebook), {"mse": mse, "commitment": commitment,
                                                     "codebook": codebook}, recon


NO_DECAY = re.compile(r"(ln|bias|latent_tokens|mask_token|embedding|norm|gamma|embed)")


def param_groups(model, weight_decay):
    decay, plain = [], []
    for name, p in model.named_parameters():
        (plain if p.ndim < 2 or NO_DECAY.search(name) else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": plain, "weight_decay": 0.0}]


def check_fixture(folder):
    """Forward of this implementation vs upstream's outputs in tests/testdata/titok/vq_single_stage."""
    load = lambda n: torch.from_numpy(np.load(os.path.join(folder, n + ".npy")))  # noqa: E731
    p = dict(width=64, layers=2, heads=4, patch=8, image=32, k=8, c=16, codebook=64, l2=False, commitment=0.25)
    model = SingleStageTiTok(p)
    model.load_state_dict(read_safetensors(os.path.join(folder, "model.safetensors")), strict=True)
    with torch.no_grad():
        img = load("input")
        raw = model.encoder(img, model.latent_tokens)
        zq, commitment, codebook = model.quantize(raw)
        recon = model.decoder(zq)
    want = json.load(open(os.path.join(folder, "losses.json")))
    print(json.dumps({
        "encoder_out_max_abs_diff": float((raw - load("encoder_out")).abs().max()),
        "z_quantized_max_abs_diff": float((zq - load("z_quantized")).abs().max()),
        "decoded_max_abs_diff": float((recon - load("decoded")).abs().max()),
        "commitment_diff": float(commitment) - want["commitment_loss"],
        "codebook_diff": float(codebook) - want["codebook_loss"],
    }))


def main():
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--weights", help="tok1d-exported model.safetensors")
    ap.add_argument("--config", help="arch.json (see the module doc)")
    ap.add_argument("--image", help="the batch, float32 (B,3,S,S) .npy; every step uses it")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5, help="timed steps")
    ap.add_argument("--warmup", type=int, default=1, help="untimed steps first (they still train)")
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--ema-decay", type=float, default=0.999)
    ap.add_argument("--check-fixture", metavar="DIR", help="check the forward against upstream's fixture")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    if a.check_fixture:
        return check_fixture(a.check_fixture)
    rss_start = proc_status_kib("VmRSS")

    p = json.load(open(a.config))
    model = SingleStageTiTok(p).train()
    model.load_state_dict(read_safetensors(a.weights), strict=True)
    img = torch.from_numpy(np.load(a.image))
    params = list(model.parameters())
    opt_kw = dict(lr=a.lr, betas=(p["beta1"], p["beta2"]), eps=p["eps"])
    try:  # the multi-tensor implementation is the faster one on CPU too
        opt = torch.optim.AdamW(param_groups(model, p["weight_decay"]), foreach=True, **opt_kw)
    except TypeError:
        opt = torch.optim.AdamW(param_groups(model, p["weight_decay"]), **opt_kw)
    ema = [t.detach().clone() for t in params]
    rss_ready = proc_status_kib("VmRSS")

    def step():
        opt.zero_grad(set_to_none=True)
        total, terms, _ = model(img)
        total.backward()
        norm = torch.nn.utils.clip_grad_norm_(params, p["clip"])
        opt.step()
        with torch.no_grad():
            torch._foreach_mul_(ema, a.ema_decay)
            torch._foreach_add_(ema, [t.detach() for t in params], alpha=1 - a.ema_decay)
        return float(total), {k: float(v) for k, v in terms.items()}, float(norm)

    log = []
    for s in range(a.warmup + a.steps):
        t, cpu = time.perf_counter(), time.process_time()
        loss, terms, norm = step()
        log.append({"step": s + 1, "loss": loss, "terms": terms, "grad_norm": norm,
                    "seconds": time.perf_counter() - t, "cpu_s": time.process_time() - cpu,
                    "warmup": s < a.warmup})
    timed = [e for e in log if not e["warmup"]]
    print(json.dumps({
        "threads": a.threads, "batch": int(img.shape[0]), "torch": torch.__version__,
        "openblas_core": openblas_core(), "median_s": float(np.median([e["seconds"] for e in timed])),
        "median_cpu_s": float(np.median([e["cpu_s"] for e in timed])), "log": log,
        "params": sum(t.numel() for t in params),
        "rss_start_kib": rss_start, "rss_ready_kib": rss_ready,
        "vmhwm_kib": proc_status_kib("VmHWM"),
        "ru_maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }))


if __name__ == "__main__":
    main()
