#!/usr/bin/env bash
# One task of a job array on a large generated corpus: is its cost the shard's, not the
# corpus's? `prep run --num-shards N --shard-index 0` on demo corpora of 1,000 and
# CORPUS pieces (default 10,000) with the same number of pieces per shard (PER_SHARD,
# default 100: N = corpus / PER_SHARD), and on the large corpus with 5x the pieces per
# shard. Peak RSS from /usr/bin/time -f %M; pieces/s over the shard's own pieces,
# everything included (listing the whole corpus, rendering the shard's audio, clips, ABC,
# Q&A, Parquet with audio, chat export, card). No embeddings (see the embed benchmark).
# Usage: benches/shard.sh [CORPUS] [PER_SHARD]   (release build; PREP=path overrides)
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-10000}
per_shard=${2:-100}
if [ -z "${PREP:-}" ]; then
    cargo build --release --quiet
    PREP=${CARGO_TARGET_DIR:-target}/release/prep
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

shard() {
    local pieces=$1 shards=$2 out=$work/out-$1-$2
    cat > "$work/p.yaml" <<YAML
output: $out
source: {kind: demo, pieces: $pieces, seed: 1}
clips: {length_s: 25}
YAML
    /usr/bin/time -f "%e %M" -o "$work/time" "$PREP" run "$work/p.yaml" --num-shards "$shards" --shard-index 0 \
        2> "$work/log" || { cat "$work/log"; exit 1; }
    read -r seconds kib < "$work/time"
    local done
    done=$(tail -1 "$work/log" | sed -n 's/^run: \([0-9]*\) pieces.*/\1/p')
    printf '| %d | %d | %s | %.1f | %.2f | %d |\n' "$pieces" "$shards" "$(tail -1 "$work/log" | sed 's/^run: //; s/, dataset in.*//')" \
        "$seconds" "$(echo "$done / $seconds" | bc -l)" "$((kib / 1024))"
    rm -rf "$out"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1 /proc/loadavg)"
echo
echo "| corpus | shards | shard 0 did | wall (s) | pieces/s | peak RSS (MiB) |"
echo "|---|---|---|---|---|---|"
shard 1000 $((1000 / per_shard))
shard "$corpus" $((corpus / per_shard))
shard "$corpus" $((corpus / per_shard / 5))
