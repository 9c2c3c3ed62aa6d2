#!/usr/bin/env bash
# Benchmarks timber's generated C against the C that treelite + tl2cgen and
# m2cgen emit for the same XGBoost models, and writes docs/benchmarks.md.
#
#   bash scripts/bench-peers.sh [MODEL.json ...]
#
# Default models: tests/fixtures/xgboost/binary_nan.json (50 trees) and
# tests/fixtures/xgboost/large_500.json (500 trees, depth 8); each needs its
# <name>.inputs.csv and <name>.expected.csv beside it.
#
# It needs python3 (with venv), cc, arm-none-eabi-gcc/-size/-nm, cargo and
# access to PyPI. The peers (treelite, tl2cgen, m2cgen, xgboost, numpy,
# scikit-learn) go into a throwaway venv under build/bench-peers/venv (reused
# on the next run); nothing is installed anywhere else and none of it is a
# dependency of timber or its tests. Scratch files: build/bench-peers/.
#
# Environment (defaults in brackets):
#   BENCH_REPEATS [21]        timed passes per peer (median reported; >= 11)
#   BENCH_MIN_ROWS [20000]    rows per pass (fixture rows repeated)
#   BENCH_COMPILE_REPS [3]    compiler runs per peer (median reported)
#   BENCH_WORK [build/bench-peers]  scratch directory
#   BENCH_OUT [docs/benchmarks.md]  report
#   CC [cc]                   host compiler (flags: -std=c99 -O2 -ffp-contract=off)
#   CARGO_TARGET_DIR          as for cargo
#
# Exit codes: 0 report written; 1 a step failed; 2 bad usage or missing
# fixture; 3 a needed tool is missing.
set -euo pipefail

STARTED="$(date +%s)"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HERE="$ROOT/scripts/bench_peers"
WORK="${BENCH_WORK:-$ROOT/build/bench-peers}"
OUT="${BENCH_OUT:-$ROOT/docs/benchmarks.md}"
CC="${CC:-cc}"
COMMAND="bash scripts/bench-peers.sh${*:+ $*}"
for v in BENCH_REPEATS BENCH_MIN_ROWS BENCH_COMPILE_REPS; do
    if [ -n "${!v:-}" ]; then COMMAND="$v=${!v} $COMMAND"; fi
done

# Pinned peer versions (XGBoost as the fixtures were made with).
PY_PACKAGES=(
    "xgboost-cpu==3.2.0"
    "treelite==4.8.1"
    "tl2cgen==1.0.0"
    "m2cgen==0.10.0"
    "scikit-learn"
    "numpy"
)

say() { printf '[bench-peers] %s\n' "$*"; }
fail() { printf '[bench-peers] ERROR: %s\n' "$1" >&2; exit "${2:-1}"; }
trap 'rc=$?; if [ $rc -ne 0 ]; then printf "[bench-peers] FAILED (exit %s) at line %s: %s\n" "$rc" "$LINENO" "$BASH_COMMAND" >&2; fi' ERR

need() {
    command -v "$1" >/dev/null 2>&1 ||
        fail "'$1' is not installed or not on PATH. $2" 3
}
need python3 "Install Python 3 (Debian: apt-get install python3 python3-venv)."
need "$CC" "Install a C compiler (Debian: apt-get install build-essential)."
need cargo "Install Rust (https://rustup.rs)."
need git "Install git."
for t in arm-none-eabi-gcc arm-none-eabi-size arm-none-eabi-nm; do
    need "$t" "Install the Arm GNU toolchain: bash scripts/install-toolchains.sh (Debian: apt-get install gcc-arm-none-eabi binutils-arm-none-eabi libnewlib-arm-none-eabi)."
done
python3 -c 'import venv, ensurepip' 2>/dev/null ||
    fail "python3 has no venv/ensurepip module. Debian: apt-get install python3-venv" 3

if [ $# -eq 0 ]; then
    set -- "$ROOT/tests/fixtures/xgboost/binary_nan.json" "$ROOT/tests/fixtures/xgboost/large_500.json"
fi
MODELS=()
for m in "$@"; do
    [ -f "$m" ] || fail "model file '$m' not found" 2
    MODELS+=("$(cd "$(dirname "$m")" && pwd)/$(basename "$m")")
done

mkdir -p "$WORK" "$(dirname "$OUT")"
say "scratch directory $WORK; report $OUT"
say "load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"

# 1. The throwaway venv with the peers.
VENV="$WORK/venv"
PY="$VENV/bin/python"
stamp="$VENV/.bench-peers-packages"
if [ ! -x "$PY" ] || [ "$(cat "$stamp" 2>/dev/null)" != "${PY_PACKAGES[*]}" ]; then
    say "creating venv $VENV and installing ${PY_PACKAGES[*]} from PyPI"
    rm -rf "$VENV"
    python3 -m venv "$VENV" || fail "python3 -m venv $VENV failed" 3
    "$PY" -m pip install --quiet --disable-pip-version-check "${PY_PACKAGES[@]}" ||
        fail "pip could not install ${PY_PACKAGES[*]} (is PyPI reachable?)" 3
    printf '%s' "${PY_PACKAGES[*]}" >"$stamp"
else
    say "reusing venv $VENV"
fi
"$PY" -c 'import treelite, tl2cgen, m2cgen, xgboost, numpy, sklearn' ||
    fail "the venv $VENV lacks a peer package; delete it and rerun" 3
say "peers: $("$PY" -c 'import treelite, tl2cgen, m2cgen, xgboost; print("treelite", treelite.__version__, "tl2cgen", tl2cgen.__version__, "m2cgen", m2cgen.__version__, "xgboost", xgboost.__version__)' 2>/dev/null)"

# 2. timber itself.
say "building timber (cargo build --release)"
(cd "$ROOT" && cargo build --release --quiet --bin timber) || fail "cargo build --release failed"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
TIMBER_BIN="$TARGET_DIR/release/timber"
[ -x "$TIMBER_BIN" ] || fail "timber binary not found at $TIMBER_BIN"

# 3. Generate, compile, time, size, compare; write the report.
python3 "$HERE/run.py" \
    --root "$ROOT" --work "$WORK" --out "$OUT" \
    --venv-python "$PY" --timber-bin "$TIMBER_BIN" --command "$COMMAND" --started "$STARTED" \
    --cc "$CC" \
    --repeats "${BENCH_REPEATS:-21}" --min-rows "${BENCH_MIN_ROWS:-20000}" \
    --compile-reps "${BENCH_COMPILE_REPS:-3}" \
    "${MODELS[@]}"
say "done in $(( $(date +%s) - STARTED )) s: $OUT"
