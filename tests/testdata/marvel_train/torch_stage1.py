#!/usr/bin/python3
"""Independent PyTorch implementation of MARVEL's stage-1 loss and its autograd gradients.

Written from the maths in /work/shared/reference/architectures.md (§1.1 encoder, §1.3 legacy decoder,
§1.4 MaskGIT-VQGAN encoder, §1.6 proxy-code CE, §4.2 multi-depth LFQ and its losses), not from upstream
code; it imports torch and numpy only. Produces this folder's grads.safetensors and loss.json:

    deno run -A plugins/marvel/_train_fixture.ts /tmp/marvel_train
    /usr/bin/python3 tests/testdata/marvel_train/torch_stage1.py /tmp/marvel_train tests/testdata/marvel_train

The model runs in float64 (the stored reference); a float32 run is reported as a diagnostic.
"""

import json
import math
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64}


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, h in header.items():
        if name == "__metadata__":
            continue
        b, e = h["data_offsets"]
        a = np.frombuffer(raw[8 + n + b:8 + n + e], dtype=DTYPES[h["dtype"]]).reshape(h["shape"])
        out[name] = torch.from_numpy(a.copy())
    return out


def write_safetensors(path, tensors):
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        data = tensors[name].detach().to(torch.float32).contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def read_npy(path):
    return torch.from_numpy(np.load(path).astype(np.float32))


# ---------------------------------------------------------------------------------------------------------
# ViT halves (pre-norm blocks, fused-QKV attention, exact GELU) — architectures.md §1.1, §1.3.

def layer_norm(x, P, name):
    return F.layer_norm(x, (x.shape[-1],), P[name + ".weight"], P[name + ".bias"], 1e-5)


def attention(x, P, name, heads):
    b, n, w = x.shape
    qkv = x @ P[name + ".in_proj_weight"].T + P[name + ".in_proj_bias"]
    q, k, v = (t.reshape(b, n, heads, w // heads).transpose(1, 2) for t in qkv.split(w, dim=-1))
    a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(w // heads), dim=-1)
    o = (a @ v).transpose(1, 2).reshape(b, n, w)
    return o @ P[name + ".out_proj.weight"].T + P[name + ".out_proj.bias"]


def linear(x, P, name):
    return x @ P[name + ".weight"].T + P[name + ".bias"]


def blocks(x, P, prefix, a):
    for i in range(a["layers"]):
        p = f"{prefix}.transformer.{i}"
        x = x + attention(layer_norm(x, P, p + ".ln_1"), P, p + ".attn", a["heads"])
        h = F.gelu(linear(layer_norm(x, P, p + ".ln_2"), P, p + ".mlp.c_fc"))
        x = x + linear(h, P, p + ".mlp.c_proj")
    return x


def encoder(img, P, cfg):
    a, K = cfg["enc"], cfg["k"]
    b, w = img.shape[0], a["width"]
    x = F.conv2d(img, P["encoder.patch_embed.weight"], P["encoder.patch_embed.bias"], stride=a["patch"])
    x = x.flatten(2).transpose(1, 2)
    n = x.shape[1]
    cls = P["encoder.class_embedding"].expand(b, 1, w)
    x = torch.cat([cls, x], 1) + P["encoder.positional_embedding"]
    lat = (P["latent_tokens"] + P["encoder.latent_token_positional_embedding"]).expand(b, K, w)
    x = layer_norm(torch.cat([x, lat], 1), P, "encoder.ln_pre")
    x = blocks(x, P, "encoder", a)
    x = layer_norm(x[:, 1 + n:], P, "encoder.ln_post")
    x = x.reshape(b, w, K, 1)  # legacy: row-major reshape of (B,K,W), no transpose
    x = F.conv2d(x, P["encoder.conv_out.weight"], P["encoder.conv_out.bias"])
    return x.reshape(b, cfg["c"], 1, K)


def decoder_logits(zq, P, cfg):
    a, K, C = cfg["dec"], cfg["k"], cfg["c"]
    b, w = zq.shape[0], a["width"]
    g = cfg["image"] // a["patch"]
    x = linear(zq.reshape(b, C, K).transpose(1, 2), P, "decoder.decoder_embed")
    x = x + P["decoder.latent_token_positional_embedding"]
    masks = P["decoder.mask_token"].expand(b, g * g, w)
    cls = P["decoder.class_embedding"].expand(b, 1, w)
    seq = torch.cat([cls, masks], 1) + P["decoder.positional_embedding"]
    x = layer_norm(torch.cat([seq, x], 1), P, "decoder.ln_pre")
    x = blocks(x, P, "decoder", a)
    x = layer_norm(x[:, 1:1 + g * g], P, "decoder.ln_post")
    x = x.transpose(1, 2).reshape(b, w, g, g)
    h = torch.tanh(F.conv2d(x, P["decoder.ffn.0.weight"], P["decoder.ffn.0.bias"]))
    return F.conv2d(h, P["decoder.ffn.2.weight"], P["decoder.ffn.2.bias"])


# ---------------------------------------------------------------------------------------------------------
# Multi-depth LFQ with MDQ's losses — architectures.md §4.2.

def lfq(z, cfg, temperature, entropy_weight):
    bits, D = cfg["c"], cfg["depth"]
    x = z.permute(0, 2, 3, 1)  # (B,1,K,C)
    codes = torch.tensor([[1.0 if (k >> i) & 1 else -1.0 for i in range(bits)] for k in range(2 ** bits)],
                         dtype=z.dtype)
    total, commit, affinities, indices = torch.zeros_like(x), 0.0, [], []
    for d in range(D):
        r = x - total
        q = torch.where(r > 0, torch.ones_like(r), -torch.ones_like(r)) * 2.0 ** -d
        indices.append(((q > 0).long() * (2 ** torch.arange(bits))).sum(-1))
        commit = commit + cfg["commitment"] * ((q.detach() - r) ** 2).mean()
        affinities.append(2 * r @ codes.T)
        total = total + q
    commit = commit / D
    logits = torch.stack(affinities).reshape(-1, 2 ** bits) / temperature
    p = torch.softmax(logits, -1)
    per_sample = -(p * torch.log(p.clamp(min=1e-5))).sum(-1).mean()
    mean_p = p.mean(0)
    avg = -(mean_p * torch.log(mean_p.clamp(min=1e-5))).sum() * cfg["gamma"]
    entropy = entropy_weight * (per_sample - avg)
    straight = x + (total - x).detach()
    terms = dict(commitment=commit, entropy=entropy, per_sample_entropy=per_sample, avg_entropy=avg)
    return straight.permute(0, 3, 1, 2), torch.stack(indices, -1), terms


# ---------------------------------------------------------------------------------------------------------
# Frozen MaskGIT-VQGAN encoder (the proxy-code teacher) — architectures.md §1.4.

def group_norm(x, P, name):
    return F.group_norm(x, 32, P[name + ".weight"], P[name + ".bias"], 1e-6)


def res_block(x, P, name):
    h = F.conv2d(F.silu(group_norm(x, P, name + ".norm1")), P[name + ".conv1.weight"], padding=1)
    h = F.conv2d(F.silu(group_norm(h, P, name + ".norm2")), P[name + ".conv2.weight"], padding=1)
    if name + ".nin_shortcut.weight" in P:
        return h + F.conv2d(h, P[name + ".nin_shortcut.weight"])  # MaskGIT's quirk: shortcut of h, not x
    return h + x


def teacher_codes(img, P):
    t = "teacher.encoder"
    mult = [1, 1, 2, 2, 4]
    h = F.conv2d(img, P[t + ".conv_in.weight"], padding=1)
    for i in range(len(mult)):
        for j in range(2):
            h = res_block(h, P, f"{t}.down.{i}.block.{j}")
        if i != len(mult) - 1:
            h = F.avg_pool2d(h, 2)
    for j in range(2):
        h = res_block(h, P, f"{t}.mid.{j}")
    h = F.conv2d(F.silu(group_norm(h, P, t + ".norm_out")), P[t + ".conv_out.weight"], P[t + ".conv_out.bias"])
    z = h.permute(0, 2, 3, 1)
    e = P["teacher.quantize.embedding.weight"]
    dist = (z ** 2).sum(-1, keepdim=True) + (e ** 2).sum(-1) - 2 * z @ e.T
    return dist.argmin(-1)


# ---------------------------------------------------------------------------------------------------------

def stage1(P, img, cfg, temperature, entropy_weight):
    z = encoder(img, P, cfg)
    zq, indices, terms = lfq(z, cfg, temperature, entropy_weight)
    logits = decoder_logits(zq, P, cfg)
    with torch.no_grad():
        codes = teacher_codes(img, P)
    terms["ce"] = F.cross_entropy(logits, codes)
    total = terms["ce"] + 1.0 * (terms["entropy"] + terms["commitment"])
    return total, terms, codes, indices


def run(weights, img, cfg, dtype):
    P = {k: v.to(dtype) for k, v in weights.items()}
    trainable = sorted(k for k in P if not k.startswith("teacher."))
    for k in trainable:
        P[k].requires_grad_(True)
    total, terms, codes, indices = stage1(P, img.to(dtype), cfg, cfg["temperature"], cfg["entropy_weight"])
    grads = torch.autograd.grad(total, [P[k] for k in trainable], retain_graph=True)
    enc = [P[k] for k in trainable if k.startswith("encoder.") or k == "latent_tokens"]
    parts = {}
    for name in ("ce", "commitment", "entropy"):
        g = torch.autograd.grad(terms[name], enc, retain_graph=True, allow_unused=True)
        parts[name] = math.sqrt(sum(float((x ** 2).sum()) for x in g if x is not None))
    with torch.no_grad():
        _, upstream_terms, _, _ = stage1(P, img.to(dtype), cfg, 0.01, 0.02)
    return dict(
        total=total, terms=terms, codes=codes, indices=indices, grads=dict(zip(trainable, grads)),
        encoder_grad_norm_by_term=parts, upstream_terms=upstream_terms,
    )


def main():
    src, out = sys.argv[1], sys.argv[2]
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    cfg = json.load(open(f"{src}/config.json"))
    weights = read_safetensors(f"{src}/weights.safetensors")
    img = read_npy(f"{out}/../marvel/input.npy")
    ref = run(weights, img, cfg, torch.float64)
    f32 = run(weights, img, cfg, torch.float32)
    assert torch.equal(ref["codes"], f32["codes"]) and torch.equal(ref["indices"], f32["indices"])
    worst = max(
        float((ref["grads"][k] - f32["grads"][k].double()).norm() / ref["grads"][k].norm()) for k in ref["grads"]
    )
    write_safetensors(f"{out}/grads.safetensors", ref["grads"])
    scalars = lambda d: {k: float(v) for k, v in sorted(d.items())}  # noqa: E731
    report = {
        "loss": float(ref["total"]),
        "terms": scalars(ref["terms"]),
        "teacher_codes": ref["codes"].reshape(-1).tolist(),
        "lfq_indices": ref["indices"].reshape(-1).tolist(),
        "upstream_settings_terms": scalars(ref["upstream_terms"]),
        "encoder_grad_norm_by_term": ref["encoder_grad_norm_by_term"],
        "float32_run": {"loss": float(f32["total"]), "worst_relative_l2_grad_error": worst},
        "tensors": len(ref["grads"]),
        "elements": sum(g.numel() for g in ref["grads"].values()),
    }
    with open(f"{out}/loss.json", "w") as f:
        json.dump(report, f, indent=1)
        f.write("\n")
    print(json.dumps({k: v for k, v in report.items() if k not in ("teacher_codes", "lfq_indices")}, indent=1))


if __name__ == "__main__":
    main()
