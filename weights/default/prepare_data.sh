#!/usr/bin/env bash
# Gathers the training photos of the embedded default model from Debian packages
# (CC0 / public domain; see README.md) into the folder given as $1.
# The held-out photos (keong_macan, bliznaca) are deliberately left out.
set -euo pipefail
out=${1:?usage: prepare_data.sh <output-folder>}
work=$(mktemp -d)
(cd "$work" && apt-get download python3-skimage libjxl-testdata >/dev/null)
for deb in "$work"/*.deb; do dpkg -x "$deb" "$work/x"; done
mkdir -p "$out"
sk="$work/x/usr/lib/python3/dist-packages/skimage/data"
ws="$work/x/usr/share/libjxl-testdata/external/wesaturate"
for f in astronaut.png chelsea.png coffee.png rocket.jpg; do cp "$sk/$f" "$out/skimage_$f"; done
cp "$ws/500px/tmshre_riaphotographs_srgb8.png" "$out/"
for f in Nikon-D3-14bit a2d1un_nkitzmiller l1qnb5_nkitzmiller phu1or_alfann24 q3a0b3_d17ws ra0ed45_alfann24 \
  t0gho7_orlaustral tmshre_riaphotographs vgqcws_vin; do
  cp "$ws/64px/${f}_srgb8.png" "$out/64px_${f}_srgb8.png"
done
rm -rf "$work"
ls "$out" | wc -l
