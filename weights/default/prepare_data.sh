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
  lomiri-wallpapers-20.04 >/dev/null 2>&1)
for deb in "$work"/*.deb; do dpkg -x "$deb" "$work/x"; done
mkdir -p "$out"
sk="$work/x/usr/lib/python3/dist-packages/skimage/data"
mate="$work/x/usr/share/backgrounds/mate/nature"
kde="$work/x/usr/share/wallpapers"
lom="$work/x/usr/share/backgrounds"
# python3-skimage: public domain or CC0 (skimage/data/_fetchers.py).
for f in astronaut.png chelsea.png coffee.png rocket.jpg hubble_deep_field.jpg retina.jpg camera.png; do
  cp "$sk/$f" "$out/skimage_$f"
done
# mate-backgrounds: the nature photos, GPL-2+ (debian/copyright).
for f in Aqua Blinds Dune FreshFlower Garden GreenMeadow LadyBird RainDrops Storm TwoWings Wood YellowFlower; do
  cp "$mate/$f.jpg" "$out/mate_$f.jpg"
done
# plasma-workspace-wallpapers: the photographs among the wallpapers, GPL-2+ (debian/copyright).
for f in BytheWater EveningGlow FallenLeaf Grey Kite OneStandsOut Path summer_1am; do
  cp "$kde/$f/contents/images/640x480.jpg" "$out/plasma_$f.jpg"
done
cp "$kde/Volna/contents/images/5120x2880.jpg" "$out/plasma_Volna.jpg"
# lomiri-wallpapers-20.04: Kleiber by Lukas Baubkus, CC-BY-SA-3.0 (debian/copyright).
cp "$lom/Kleiber_by_Lukas_Baubkus.jpg" "$out/lomiri_Kleiber.jpg"
ls "$out" | wc -l
