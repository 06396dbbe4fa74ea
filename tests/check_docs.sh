#!/usr/bin/env bash
# Fails when docs/graph-format.md's generated node reference differs from the registry.
set -euo pipefail
src=$1 gf=$2
marker='<!-- BEGIN GENERATED: ganflow reference -->'
expected=$(env -u GANFLOW_PLUGIN_PATH "$gf" reference)
actual=$(sed "1,/$marker/d" "$src/docs/graph-format.md" | sed '1{/^$/d}')
if [ "$expected" != "$actual" ]; then
  diff <(echo "$expected") <(echo "$actual") | head -20
  echo "docs/graph-format.md is out of date: run scripts/gen-docs"
  exit 1
fi
