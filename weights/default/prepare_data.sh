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
# skimage's public-domain / CC0 photos (licences as stated in skimage/data/_fetchers.py).
for f in astronaut.png chelsea.png coffee.png rocket.jpg hubble_deep_field.jpg retina.jpg camera.png; do
  cp "$sk/$f" "$out/skimage_$f"
done
# wesaturate (CC0). Its 64px set is left out: those files are nearly black HDR test renderings.
cp "$ws/500px/tmshre_riaphotographs_srgb8.png" "$out/"
rm -rf "$work"
ls "$out" | wc -l
