#!/usr/bin/env bash
# Embedding ganflow as a C++ user does: installs ganflow from the build tree into a temporary
# prefix, builds tests/embed_consumer/embed.cpp against ganflow::framework with
# find_package(ganflow), and runs it on the shipped DCGAN graph: cancelled after epoch 0,
# resumed, the trained generator taken back.
set -euo pipefail
src=$1 build=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$src/tests/embed_consumer" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
ninja -C "$work/build" >/dev/null
export GANFLOW_PLUGIN_PATH="$work/prefix/lib/ganflow/plugins"
out=$("$work/build/embed" "$src/graphs/dcgan_fashion_mnist.json" "$work/run")
echo "$out"
grep -q "^progress: train epoch 0 batch 2/2$" <<<"$out" || { echo "no progress report"; exit 1; }
grep -q '^epoch row: train {.*"epoch":0' <<<"$out" || { echo "no epoch row"; exit 1; }
grep -q "^cancelled after epoch 0$" <<<"$out" || { echo "not cancelled"; exit 1; }
grep -q "^log: train: resumed from .* at epoch 1, batch 0" <<<"$out" || { echo "not resumed at epoch 1"; exit 1; }
grep -q "^generated \[4, 1, 32, 32\]" <<<"$out" || { echo "no images from the trained generator"; exit 1; }
test -f "$work/run/train_generator.pt" || { echo "no final generator file"; exit 1; }
echo "embed_consumer: ok"
