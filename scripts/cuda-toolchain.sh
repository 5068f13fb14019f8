#!/usr/bin/env bash
# Installs what `cargo build --features cuda` needs -- nvcc, the CUDA headers and the libraries
# candle links against -- from NVIDIA's PyPI wheels into a prefix, with no root, no system
# CUDA toolkit and no GPU, then prints the environment the build (and the built binary) needs.
#
# Usage:
#   scripts/cuda-toolchain.sh               install (idempotent), then print the exports
#   scripts/cuda-toolchain.sh --print-env   install if needed, print only the export lines:
#                                           eval "$(scripts/cuda-toolchain.sh --print-env)"
#   source scripts/cuda-toolchain.sh        install if needed and export into this shell
# and then:
#   CARGO_TARGET_DIR=target/cuda cargo build --release --features cuda
#
# Environment:
#   CUDA_WHEELS_PREFIX  where to install (default $HOME/.local/cuda-wheels, ~1.3 GB)
#   CUDA_COMPUTE_CAP    GPU architecture the kernels are compiled for (default 90: H100/H200;
#                       there is no nvidia-smi to ask on a machine without a GPU)
#   PYTHON, CC          the Python with pip that installs the wheels, the C compiler that
#                       builds the libcuda link stub (default python3, cc)
#
# What it lays out, under $CUDA_WHEELS_PREFIX/site/nvidia/cu13 (which becomes CUDA_HOME):
#   bin/nvcc, nvvm/, include/ (runtime, cccl, cublas, curand, nvrtc headers) from the wheels;
#   lib/lib{cudart,cublas,cublasLt,curand,nvrtc}.so: unversioned links for the linker;
#   lib64 -> lib, as candle's and cudarc's build scripts and nvcc.profile expect;
#   lib/stubs/libcuda.so: a link-time stand-in for the driver library. candle-core turns on
#   cudarc's `dynamic-linking`, so the binary names libcuda.so.1 (and libcudart, libcublas,
#   libcublasLt, libcurand, libnvrtc) as needed libraries: it starts only where the NVIDIA
#   driver is installed and LD_LIBRARY_PATH below points at the wheels' libraries. Like
#   NVIDIA's own stub, every function of this one returns CUDA_ERROR_STUB_LIBRARY, and it is
#   not found at run time (the loader looks for libcuda.so.1) -- except on a machine with no
#   NVIDIA driver: there the exports also put lib/no-driver/libcuda.so.1 (the same stub) on
#   LD_LIBRARY_PATH, so the binary starts, runs everything on the CPU, and `--device cuda`
#   fails with CUDA_ERROR_STUB_LIBRARY. Where a driver is installed it is left alone.
#
# CUDA 13.0 because NVIDIA ships nvcc itself on PyPI only from 13.0 (the -cu12 nvcc wheels hold
# ptxas alone) and cudarc 0.19.10 knows CUDA up to 13.4. Running needs an NVIDIA driver >= 580.

# Sourced: run this script as a child (its `set -euo pipefail` must not leak into the caller's
# shell) and evaluate the exports it prints.
if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then
    cuda_toolchain_env="$(bash "${BASH_SOURCE[0]}" --print-env)" || return 1
    eval "$cuda_toolchain_env"
    unset cuda_toolchain_env
    return 0
fi

set -euo pipefail

# One CUDA release, 13.0 update 2: compiler, its front end and NVVM, runtime, C++ core
# libraries, and the libraries cudarc links (NVRTC, cuBLAS/cuBLASLt, cuRAND).
WHEELS=(
    nvidia-cuda-nvcc==13.0.88
    nvidia-cuda-crt==13.0.88
    nvidia-nvvm==13.0.88
    nvidia-cuda-runtime==13.0.96
    nvidia-cuda-cccl==13.0.85
    nvidia-cuda-nvrtc==13.0.88
    nvidia-cublas==13.0.2.14
    nvidia-curand==10.4.0.35
)
LINKED_LIBRARIES=(cudart cublas cublasLt curand nvrtc)
# CUresult of every function of the libcuda stub (CUDA_ERROR_STUB_LIBRARY in cuda.h).
CUDA_ERROR_STUB_LIBRARY=34

prefix="${CUDA_WHEELS_PREFIX:-$HOME/.local/cuda-wheels}"
site="$prefix/site"
cuda_home="$site/nvidia/cu13"
stamp="$prefix/installed-wheels.txt"

log() { echo "cuda-toolchain: $*" >&2; }

install_wheels() {
    local wanted
    wanted="$(printf '%s\n' "${WHEELS[@]}")"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" && -x "$cuda_home/bin/nvcc" ]]; then
        return
    fi
    log "installing ${#WHEELS[@]} CUDA wheels into $site"
    rm -rf "$site" "$stamp"
    mkdir -p "$prefix"
    "${PYTHON:-python3}" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps \
        --target "$site" "${WHEELS[@]}" >&2
    echo "$wanted" > "$stamp"
}

link_libraries() {
    local name versioned
    for name in "${LINKED_LIBRARIES[@]}"; do
        versioned="$(cd "$cuda_home/lib" && ls "lib$name.so."[0-9]* | head -n 1)"
        ln -sfn "$versioned" "$cuda_home/lib/lib$name.so"
    done
    ln -sfn lib "$cuda_home/lib64"
}

# Every driver API function cuda.h declares, under its plain, versioned (_v2...) and
# per-thread-stream (_ptsz/_ptds) names, each returning CUDA_ERROR_STUB_LIBRARY.
build_driver_stub() {
    local stub="$cuda_home/lib/stubs/libcuda.so" header="$cuda_home/include/cuda.h"
    [[ -f "$stub" && "$stub" -nt "$header" && -L "$cuda_home/lib/no-driver/libcuda.so.1" ]] \
        && return
    log "building the libcuda link stub"
    mkdir -p "$(dirname "$stub")"
    local defines
    for defines in "" -D__CUDA_API_VERSION_INTERNAL -DCUDA_API_PER_THREAD_DEFAULT_STREAM; do
        "${CC:-cc}" -E -P $defines -I "$cuda_home/include" "$header"
    done | grep -oP '(?<![\w*])cu[A-Z]\w*(?=\s*\()' | sort -u | grep -v '^cuGetError' \
        | sed "s/.*/int &(void) { return $CUDA_ERROR_STUB_LIBRARY; }/" \
        | cat - <(stub_error_functions) \
        | "${CC:-cc}" -x c -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$stub" -
    mkdir -p "$cuda_home/lib/no-driver"
    ln -sfn ../stubs/libcuda.so "$cuda_home/lib/no-driver/libcuda.so.1"
}

# The stub's answers to "what does this error mean", so the error a user sees says why.
stub_error_functions() {
    cat <<'C'
int cuGetErrorName(int error, const char **name) {
    *name = "CUDA_ERROR_STUB_LIBRARY";
    return 0;
}
int cuGetErrorString(int error, const char **text) {
    *text = "no NVIDIA driver on this machine (libcuda.so.1 is a stub)";
    return 0;
}
C
}

# Whether the dynamic loader knows an NVIDIA driver (libcuda.so.1) on this machine.
has_driver() {
    local cache
    cache="$(ldconfig -p 2>/dev/null || true)"
    grep -q 'libcuda\.so\.1 ' <<< "$cache"
}

# PATH-like $2 with $1 in front, once.
prepend() {
    case ":$2:" in
        *":$1:"*) echo "$2" ;;
        *) echo "$1${2:+:$2}" ;;
    esac
}

print_env() {
    printf 'export CUDA_HOME=%q\n' "$cuda_home"
    printf 'export CUDA_PATH=%q\n' "$cuda_home"
    printf 'export PATH=%q\n' "$(prepend "$cuda_home/bin" "$PATH")"
    printf 'export CUDA_COMPUTE_CAP=%q\n' "${CUDA_COMPUTE_CAP:-90}"
    local libraries
    libraries="$(prepend "$cuda_home/lib" "${LD_LIBRARY_PATH:-}")"
    if ! has_driver; then
        echo "# no NVIDIA driver here: libcuda.so.1 is the stub (--device cuda will fail)"
        libraries="$(prepend "$cuda_home/lib/no-driver" "$libraries")"
    fi
    printf 'export LD_LIBRARY_PATH=%q\n' "$libraries"
}

main() {
    case "${1:-}" in
        "" | --print-env) ;;
        *) log "unknown argument \`$1\`; usage: $0 [--print-env]"; exit 2 ;;
    esac
    install_wheels
    link_libraries
    build_driver_stub
    if [[ "${1:-}" == --print-env ]]; then
        print_env
        return
    fi
    "$cuda_home/bin/nvcc" --version | tail -n 2
    echo
    echo "# CUDA toolchain ready; export this (or: source $0), then build with"
    echo "#   CARGO_TARGET_DIR=target/cuda cargo build --release --features cuda"
    print_env
}

main "$@"
