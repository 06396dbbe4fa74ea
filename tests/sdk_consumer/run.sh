#!/usr/bin/env bash
# Installs ganflow from the build tree into a temporary prefix, builds the consumer plugin
# against that installed SDK with find_package(ganflow), then lists, describes and runs it
# with the installed `ganflow`.
set -euo pipefail
src=$1 build=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$src/tests/sdk_consumer" -B "$work/consumer" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
ninja -C "$work/consumer" >/dev/null
export GANFLOW_PLUGIN_PATH="$work/consumer"
gf="$work/prefix/bin/ganflow"
# (captured first: grep -q closing the pipe early would fail the pipeline under pipefail)
listed=$("$gf" plugins)
grep -q '^consumer_mlp' <<<"$listed" || { echo "consumer_mlp not listed"; exit 1; }
grep -q '^basic_generator' <<<"$listed" || { echo "installed plugins not listed"; exit 1; }
described=$("$gf" describe consumer_mlp --json)
grep -q '"hidden"' <<<"$described" || { echo "describe lacks params"; exit 1; }
"$gf" run "$src/tests/sdk_consumer/graph.json" --out "$work/run" | tee "$work/out.txt"
test -f "$work/run/fit_model.pt" || { echo "no trained model saved"; exit 1; }
# The classifier must have learned: last epoch's train_loss well below ln(10) = 2.30.
last=$(grep '"kind":"epoch"' "$work/run/metrics.jsonl" | tail -1)
/usr/bin/python3 -c "import json,sys; r=json.loads(sys.argv[1]); sys.exit(0 if r['train_loss'] < 1.5 else 1)" "$last" \
  || { echo "consumer model did not learn: $last"; exit 1; }
echo "sdk_consumer: ok"
