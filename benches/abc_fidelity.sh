#!/usr/bin/env bash
# Fidelity of `prep midi2abc` on real-world MIDI, side by side with abcMIDI's midi2abc.
#
# The corpus (benches/realworld/make_corpus.py + vienna4x22.py, outside the repository):
# music21's public-domain scores exported to MIDI (renaissance, trecento, folk, ensemble
# sets), a performed copy of each with human timing, and real piano performances (Vienna
# 4x22) with their scores. Each tool's ABC is rendered by abc2midi and compared with the
# input (benches/realworld/fidelity.py says how); MV2H scores the performed sets.
#
# Usage: benches/abc_fidelity.sh [SETS] [RUNS]   (SETS: comma-separated, default all)
# Environment: CORPUS (default /work/corpus-data/corpus), BENCH_VENV (default
# /work/corpus-data/venv; created with benches/realworld/requirements.txt when missing),
# WORK (scratch folder, default a temporary one), NO_MV2H=1 to skip MV2H.
set -euo pipefail
cd "$(dirname "$0")/.."
sets=${1:-}
runs=${2:-3}
corpus=${CORPUS:-/work/corpus-data/corpus}
venv=${BENCH_VENV:-/work/corpus-data/venv}
target=${CARGO_TARGET_DIR:-target}

for tool in midi2abc abc2midi; do
    command -v "$tool" > /dev/null || { echo "abcMIDI's $tool is not installed (apt-get install abcmidi)" >&2; exit 1; }
done
if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet -r benches/realworld/requirements.txt
fi
if [[ ! -f "$corpus/manifest.csv" ]]; then
    "$venv/bin/python" benches/realworld/make_corpus.py "$corpus"
fi
if [[ ! -f "$corpus/vienna4x22/pairs.csv" ]]; then
    "$venv/bin/python" benches/realworld/vienna4x22.py "$corpus"
fi
mv2h=()
if [[ -z "${NO_MV2H:-}" ]]; then
    mv2h=(--mv2h "$(benches/realworld/mv2h.sh)")
fi
cargo build --release --quiet
work=${WORK:-$(mktemp -d)}
[[ -n "${WORK:-}" ]] || trap 'rm -rf "$work"' EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(midi2abc -ver 2>&1 | head -1); prep $(git rev-parse --short HEAD); $(date -u +%F)"
echo
"$venv/bin/python" benches/realworld/fidelity.py "$corpus" "$work" --prep "$target/release/prep" \
    --runs "$runs" ${sets:+--sets "$sets"} "${mv2h[@]}" --json "$work/fidelity.json"
