# Builds tests/testdata/alit/wrapped.pth from tests/testdata/alit/model.safetensors (no upstream code).
import json, struct, sys
import numpy as np, torch
src = sys.argv[1]; out = sys.argv[2]
with open(src, "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]; h = json.loads(f.read(n)); data = f.read()
sd = {}
for k, v in h.items():
    if k == "__metadata__": continue
    a, b = v["data_offsets"]
    sd[k] = torch.from_numpy(np.frombuffer(data[a:b], dtype=np.float32).reshape(v["shape"]).copy())
ema = dict(sd)  # the same storages (saved once) except one tensor
ema["pre_quantizer_mlp.bias"] = sd["pre_quantizer_mlp.bias"] + 0.5
model = dict(sd)
model["gan_losses.0.discriminator.main.0.weight"] = torch.zeros(4, 3, 1, 1)
torch.save({"model": model, "ema": ema, "epoch": 7}, out)
