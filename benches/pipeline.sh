#!/usr/bin/env bash
# `prep run` at URMP size and at 10x that: wall time and peak resident memory.
#
# URMP is 44 pieces and about 1.3 hours of audio. The demo source's pieces last 30-60 s,
# so a corpus of the same total duration takes PIECES=104 of them; the memory check
# runs PIECES*10. Each size is run twice: the first run includes rendering the audio
# with the built-in synthesizer (the demo source's "download"); the second run re-renders
# it too (to hash it) but reuses every finished piece, which shows what the
# dataset stages themselves cost. Usage: benches/pipeline.sh [PIECES]
set -euo pipefail
cd "$(dirname "$0")/.."
pieces=${1:-104}
cargo build --release --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run() {
    local n=$1 label=$2
    cat > "$work/p$n.yaml" <<YAML
output: $work/out$n
source: {kind: demo, pieces: $n, seed: 1}
clips: {length_s: 25}
YAML
    /usr/bin/time -f "%e %M" -o "$work/time" ./target/release/prep run "$work/p$n.yaml" 2> "$work/log" || { cat "$work/log"; exit 1; }
    read -r seconds kib < "$work/time"
    local hours
    hours=$(grep -o '^[0-9.]* hours of audio' "$work/out$n/README.md" | head -1 || true)
    printf '| %s | %d | %s | %.1f | %.0f | %s |\n' "$label" "$n" "$(tail -1 "$work/log" | sed 's/^run: //; s/, dataset in.*//')" "$seconds" "$((kib / 1024))" "$hours"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo
echo "| run | pieces | what it did | wall (s) | peak RSS (MiB) | audio |"
echo "|---|---|---|---|---|---|"
run "$pieces" "clean"
run "$pieces" "re-run (all pieces reused)"
run "$((pieces * 10))" "10x clean"
