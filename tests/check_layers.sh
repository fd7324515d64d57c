#!/usr/bin/env bash
# Fails if a folder under src/ includes a folder of the same or a higher layer
# (docs/architecture.md, "Layers"). Generated protobuf headers (*.pb.h) are not layers.
set -euo pipefail
src=${1:-$(dirname "$0")/../src}

declare -A rank=(
  [runtime]=0 [logging]=0
  [gossip]=1
  [election]=2 [discovery]=2 [crypto]=2 [ledger]=2
  [wire]=3 [config]=3 [deliver]=3 [state]=3
  [node]=4
  [sim]=5 [comm]=5 [ops]=5 [orderer]=5
  [daemon]=6 [orderer_daemon]=6 [up]=6
  [cli]=7
)

status=0
for dir in "$src"/*/; do
  folder=$(basename "$dir")
  if [ -z "${rank[$folder]+set}" ]; then
    echo "src/$folder has no layer: add it to tests/check_layers.sh and docs/architecture.md"
    status=1
    continue
  fi
  while IFS=: read -r file line include; do
    target=${include%%/*}
    [ "$target" = "$folder" ] && continue
    [ -z "${rank[$target]+set}" ] && continue  # not a source folder (a proto package)
    if [ "${rank[$target]}" -ge "${rank[$folder]}" ]; then
      echo "${file#"$src"/}:$line: src/$folder (layer ${rank[$folder]}) includes $include (layer ${rank[$target]})"
      status=1
    fi
  done < <(grep -Hn '^#include "[a-z_]*/[^"]*"' "$dir"* 2>/dev/null |
    grep -v '\.pb\.h"' | sed -E 's/^([^:]*):([0-9]*):#include "([^"]*)".*/\1:\2:\3/')
done
[ $status -eq 0 ] && echo "layers: no include runs upward"
exit $status
