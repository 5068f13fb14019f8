#!/usr/bin/env bash
# Builds MV2H (McLeod & Steedman, ISMIR 2018; MIT licence; github.com/apmcleod/MV2H) into
# a cache folder outside the repository and prints the class path to run it with.
# Its code is never copied into prep.
#
# Source: MV2H_SRC, a git directory or clone of apmcleod/MV2H (default: the mirror the
# session's fetch tool writes, else a `git clone` from GitHub). The commit is pinned.
# It also compiles BoundedAlignment.java (ours, beside this script) against it.
# Usage: benches/realworld/mv2h.sh  ->  prints e.g. ~/.cache/prep-bench/mv2h-07589ec/bin
set -euo pipefail
commit=07589ecac600e8eaa3a682a3d28b6353cc59f56f
short=${commit:0:7}
cache=${PREP_BENCH_CACHE:-$HOME/.cache/prep-bench}
dest="$cache/mv2h-$short"
here=$(cd "$(dirname "$0")" && pwd)
if [[ -f "$dest/bin/mv2h/Main.class" && "$dest/bin/BoundedAlignment.class" -nt "$here/BoundedAlignment.java" ]]; then
    echo "$dest/bin"
    exit 0
fi
command -v javac > /dev/null || { echo "mv2h.sh: javac not found (install a JDK >= 11)" >&2; exit 1; }
src=${MV2H_SRC:-/work/.mirror/apmcleod+MV2H/repo}
mkdir -p "$cache"
tmp=$(mktemp -d "$cache/mv2h.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if [[ ! -d "$src" ]]; then
    git clone --quiet https://github.com/apmcleod/MV2H "$tmp/clone"
    src="$tmp/clone"
fi
gitdir=$src
[[ -d "$src/.git" ]] && gitdir="$src/.git"
git --git-dir="$gitdir" archive "$commit" src | tar -x -C "$tmp"
mkdir -p "$tmp/bin"
javac -nowarn -d "$tmp/bin" -cp "$tmp/src" $(find "$tmp/src" -name '*.java') > "$tmp/javac.log" 2>&1 || { cat "$tmp/javac.log" >&2; exit 1; }
# Our driver: MV2H's non-aligned mode with a bound on the tied alignments it scores.
javac -nowarn -d "$tmp/bin" -cp "$tmp/bin" "$here/BoundedAlignment.java" >> "$tmp/javac.log" 2>&1 || { cat "$tmp/javac.log" >&2; exit 1; }
rm -rf "$dest"
mkdir -p "$dest"
mv "$tmp/bin" "$dest/bin"
echo "$dest/bin"
