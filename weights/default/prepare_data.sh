#!/usr/bin/env bash
# Gathers the training photos of the embedded default model from Debian bookworm packages into the
# folder given as $1 (package, file and licence of each: README.md, "Data"). Nothing comes from
# anywhere but Debian's archive. The held-out photos (tests/testdata/photos/heldout: libjxl-testdata's
# wesaturate photos and lomiri-wallpapers-16.04) come from packages this script never fetches.
set -euo pipefail
out=${1:?usage: prepare_data.sh <output-folder>}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download python3-skimage mate-backgrounds plasma-workspace-wallpapers \
  lomiri-wallpapers-20.04 python-matplotlib-data python3-scipy >/dev/null 2>&1)
for deb in "$work"/*.deb; do dpkg -x "$deb" "$work/x"; done
mkdir -p "$out"
sk="$work/x/usr/lib/python3/dist-packages/skimage/data"
mate="$work/x/usr/share/backgrounds/mate/nature"
kde="$work/x/usr/share/wallpapers"
lom="$work/x/usr/share/backgrounds"
# python3-skimage: public domain, CC0 or "no known copyright restrictions" (ihc, coins), as
# skimage/data/_fetchers.py states for each.
for f in astronaut.png chelsea.png coffee.png rocket.jpg hubble_deep_field.jpg retina.jpg camera.png \
  ihc.png coins.png brick.png grass.png gravel.png; do
  cp "$sk/$f" "$out/skimage_$f"
done
# mate-backgrounds: the nature photos, GPL-2+ (debian/copyright).
for f in Aqua Blinds Dune FreshFlower Garden GreenMeadow LadyBird RainDrops Storm TwoWings Wood YellowFlower; do
  cp "$mate/$f.jpg" "$out/mate_$f.jpg"
done
# plasma-workspace-wallpapers: the photographs among the wallpapers, GPL-2+ (debian/copyright).
for f in BytheWater ColdRipple EveningGlow FallenLeaf Grey Kite OneStandsOut Path summer_1am; do
  cp "$kde/$f/contents/images/640x480.jpg" "$out/plasma_$f.jpg"
done
cp "$kde/Volna/contents/images/5120x2880.jpg" "$out/plasma_Volna.jpg"
# lomiri-wallpapers-20.04: Kleiber by Lukas Baubkus, CC-BY-SA-3.0 (debian/copyright).
cp "$lom/Kleiber_by_Lukas_Baubkus.jpg" "$out/lomiri_Kleiber.jpg"
# python-matplotlib-data: Grace Hopper's portrait, a U.S. Navy photograph (public domain).
cp "$work/x/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg" "$out/matplotlib_grace_hopper.jpg"
# python3-scipy: scipy.misc.face, a raccoon from public-domain-image.com (public domain), stored as
# bz2-compressed 768×1024 RGB bytes; written out as a PNG with Python's standard library only.
python3 - "$work/x/usr/lib/python3/dist-packages/scipy/misc/face.dat" "$out/scipy_face.png" <<'EOF'
import bz2, struct, sys, zlib
w, h = 1024, 768
raw = bz2.decompress(open(sys.argv[1], "rb").read())
assert len(raw) == w * h * 3, len(raw)
rows = b"".join(b"\0" + raw[y * w * 3:(y + 1) * w * 3] for y in range(h))
chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
png = chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(rows, 9))
open(sys.argv[2], "wb").write(b"\x89PNG\r\n\x1a\n" + png + chunk(b"IEND", b""))
EOF
ls "$out" | wc -l
