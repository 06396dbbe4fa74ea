#!/usr/bin/env bash
# docs/plugin-authoring.md as a user meets it: installs ganflow from the build tree into a
# temporary prefix, copies every file the page shows (code blocks whose first line is
# "// file: NAME" or "# file: NAME") into a folder, builds that plugin against the installed
# SDK with find_package(ganflow), then lists, describes and runs the page's two graphs with
# the installed `ganflow`.
set -euo pipefail
src=$1 build=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
# A plugin takes its C++ standard from ganflow::sdk (C++20 where ganflow's LibTorch needs it).
targets=$(find "$work/prefix" -name ganflowTargets.cmake)
grep -q 'INTERFACE_COMPILE_FEATURES "cxx_std_' "$targets" || { echo "ganflow::sdk carries no C++ standard"; exit 1; }

plugin="$work/my_plugins"
mkdir -p "$plugin"
awk -v dir="$plugin" '
  /^```/ { if (inblock) { inblock = 0; if (out) close(out); out = "" } else { inblock = 1; first = 1 }; next }
  inblock && first { first = 0; if (match($0, /^(\/\/|#) file: /)) { out = dir "/" substr($0, RLENGTH + 1); next } }
  inblock && out { print > out }
' "$src/docs/plugin-authoring.md"
echo "extracted: $(cd "$plugin" && ls | tr '\n' ' ')"
# One translation unit (unity build) keeps this test's compile time to one torch parse.
cmake -S "$plugin" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_UNITY_BUILD=ON \
  -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
ninja -C "$work/build" >/dev/null
export GANFLOW_PLUGIN_PATH="$work/build"
gf="$work/prefix/bin/ganflow"

# (captured first: grep -q closing the pipe early would fail the pipeline under pipefail)
listed=$("$gf" plugins)
for t in example_checkers example_uniform_noise example_mlp example_conditional_mlp example_cross_entropy example_ns_gen example_ns_crit \
         example_warmup_switcher example_accuracy example_sample_stats basic_generator; do
  grep -q "^$t " <<<"$listed" || { echo "$t not listed"; exit 1; }
done
described=$("$gf" describe example_warmup_switcher --json)
grep -q '"warmup"' <<<"$described" || { echo "describe lacks params"; exit 1; }

# The classifier (model, loss, metric) must learn: train_loss well below ln(10) = 2.30, accuracy
# well above chance (0.1).
"$gf" run "$plugin/classifier.json" --out "$work/classifier"
test -f "$work/classifier/fit_model.pt" || { echo "no trained model saved"; exit 1; }
last=$(grep '"kind":"epoch"' "$work/classifier/metrics.jsonl" | tail -1)
/usr/bin/python3 -c "import json,sys; r=json.loads(sys.argv[1]); sys.exit(0 if r['train_loss'] < 1.5 and r['accuracy'] > 0.5 else 1)" \
  "$last" || { echo "the example classifier did not learn: $last"; exit 1; }

# The GAN (source, noise, GAN losses, switcher) and the stage after it. 2 epochs of 8 batches:
# the switcher flips after every batch from step 4 on, 13 times.
"$gf" run "$plugin/gan.json" --out "$work/gan" | tee "$work/gan.txt"
grep -q "switcher: 13 switches after a warmup of 4" "$work/gan.txt" || { echo "switcher info line missing"; exit 1; }
/usr/bin/python3 -c "import json,sys,math; s=json.load(open(sys.argv[1])); sys.exit(0 if s['n'] == 64 and math.isfinite(s['std']) else 1)" \
  "$work/gan/sample_stats.json" || { echo "the example stage wrote no statistics"; exit 1; }
echo "sdk_consumer: ok"
