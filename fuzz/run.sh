#!/usr/bin/env bash
# Coverage-guided fuzzing on the stable toolchain, without cargo-fuzz's full rebuild.
#
#   fuzz/run.sh SECONDS [TARGET...]     (default: every target, one after the other)
#
# Builds the fuzz targets with libFuzzer's coverage instrumentation (the sancov flags
# cargo-fuzz passes) on prep's own code and the targets only: the dependencies are the
# ones `cargo test` built, reused from the same target folder (fuzz/Cargo.toml has the main
# crate's dev profile and fuzz/Cargo.lock its versions), so the build costs one compile of
# prep. Then runs each target for SECONDS from its committed seeds; what libFuzzer adds
# goes to fuzz/corpus/<target>/, failing inputs to fuzz/artifacts/<target>/ (neither is
# committed). Dependencies' code (symphonia, midly, csv, the YAML parser) runs but is not
# instrumented: `cargo +nightly fuzz` instruments it too, at the cost of rebuilding every
# dependency (docs/robustness.md, "Fuzzing").
set -euo pipefail

# Called by cargo as RUSTC_WRAPPER: instrument prep and the targets, nothing else.
if [ -n "${PREP_FUZZ_WRAPPER:-}" ]; then
    rustc="$1"
    shift
    case " $* " in
    *" --crate-name prep "* | *" --crate-name abc_read "* | *" --crate-name reward "* | \
        *" --crate-name midi_read "* | *" --crate-name audio_decode "* | *" --crate-name labels "* | \
        *" --crate-name pipeline_yaml "*)
        exec "$rustc" "$@" -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
            -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
            -Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing ;;
    *) exec "$rustc" "$@" ;;
    esac
fi

seconds="${1:?usage: fuzz/run.sh SECONDS [TARGET...]}"
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(abc_read reward midi_read audio_decode labels pipeline_yaml)
fuzz="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$fuzz")"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
PREP_FUZZ_WRAPPER=1 RUSTC_WRAPPER="$fuzz/run.sh" cargo build --manifest-path "$fuzz/Cargo.toml" --bins

for target in "${targets[@]}"; do
    # The repository's own files of the target's kind are seeds too.
    case "$target" in
    midi_read) more=("$root/tests/fixtures/realworld") ;;
    pipeline_yaml) more=("$root/pipelines") ;;
    *) more=() ;;
    esac
    mkdir -p "$fuzz/corpus/$target" "$fuzz/artifacts/$target"
    "$CARGO_TARGET_DIR/debug/$target" "$fuzz/corpus/$target" "$root/tests/fixtures/fuzz/$target/seeds" "${more[@]}" \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$fuzz/artifacts/$target/"
done
