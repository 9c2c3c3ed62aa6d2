#!/usr/bin/env bash
# Instructions executed per row on a Cortex-M3 (no FPU) under QEMU, the
# integer mode (`--numeric int`) against float mode, plus Cortex-M3
# text+rodata and stack; writes the "Integer mode on Cortex-M3" section of
# docs/benchmarks.md (between its begin/end markers, appended when absent).
#
#   bash scripts/bench-int.sh [MODEL.json ...]
#
# Default models: tests/fixtures/xgboost/binary_nan.json (50 trees) and
# tests/fixtures/xgboost/large_500.json (500 trees); each needs its
# <name>.inputs.csv beside it.
#
# Method: the generated C and scripts/bench_int/driver.c (timber_infer_single
# on the first N fixture rows) are built with the cortex-m3 target's flags
# (qemu/targets/cortex-m3.toml) twice, with N rows and with 0 rows, and run
# on qemu-system-arm (mps2-an385, cortex-m3) with one guest instruction per
# translation block (`-singlestep`, or `-accel tcg,one-insn-per-tb=on` on
# QEMU >= 8.1) and `-d exec,nochain`: QEMU then logs one `Trace` line per
# executed instruction. (count(N) - count(0)) / N is the instructions per
# row, start-up and exit removed. The count is deterministic: no timing.
#
# Environment (defaults in brackets):
#   BENCH_INT_ROWS [32]            rows per run (the fixture's first rows)
#   BENCH_INT_WORK [build/bench-int]  scratch directory
#   BENCH_INT_OUT [docs/benchmarks.md] report
#   CARGO_TARGET_DIR               as for cargo
#
# Exit codes: 0 report written; 1 a step failed; 2 bad usage or missing
# fixture; 3 a needed tool is missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HERE="$ROOT/scripts/bench_int"
WORK="${BENCH_INT_WORK:-$ROOT/build/bench-int}"
OUT="${BENCH_INT_OUT:-$ROOT/docs/benchmarks.md}"
ROWS="${BENCH_INT_ROWS:-32}"
COMMAND="bash scripts/bench-int.sh${*:+ $*}"
if [ -n "${BENCH_INT_ROWS:-}" ]; then COMMAND="BENCH_INT_ROWS=$ROWS $COMMAND"; fi

say() { echo "bench-int: $*" >&2; }

for tool in cargo python3 arm-none-eabi-gcc arm-none-eabi-size qemu-system-arm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        say "$tool is missing (scripts/install-toolchains.sh installs the toolchains)"
        exit 3
    fi
done
case "$ROWS" in
    '' | *[!0-9]*) say "BENCH_INT_ROWS must be a positive integer"; exit 2 ;;
esac
if [ "$ROWS" -lt 1 ]; then say "BENCH_INT_ROWS must be >= 1"; exit 2; fi

if [ "$#" -gt 0 ]; then
    MODELS=("$@")
else
    MODELS=(tests/fixtures/xgboost/binary_nan.json tests/fixtures/xgboost/large_500.json)
fi
for m in "${MODELS[@]}"; do
    if [ ! -f "$ROOT/$m" ] || [ ! -f "$ROOT/${m%.json}.inputs.csv" ]; then
        say "$m or its .inputs.csv is missing"
        exit 2
    fi
done

# One instruction per translation block: the option's name changed in QEMU 8.1.
if qemu-system-arm -help 2>/dev/null | grep -q -- '^-singlestep'; then
    ONE_INSN=(-singlestep)
else
    ONE_INSN=(-accel tcg,one-insn-per-tb=on)
fi

say "building timber (release)"
(cd "$ROOT" && cargo build --release --quiet)
TIMBER="${CARGO_TARGET_DIR:-$ROOT/target}/release/timber"
mkdir -p "$WORK" "$(dirname "$OUT")"

# The cortex-m3 target's compile and link flags (qemu/targets/cortex-m3.toml).
CFLAGS=(-std=c99 -ffp-contract=off -O2 -mcpu=cortex-m3 -mthumb --specs=picolibc.specs)
LDFLAGS=(--oslib=semihost --crt0=hosted
    -Wl,--defsym=__flash=0x00000000 -Wl,--defsym=__flash_size=0x00400000
    -Wl,--defsym=__ram=0x20000000 -Wl,--defsym=__ram_size=0x00400000)

# Executed instructions of one image.
count_insns() {
    local n
    n="$(qemu-system-arm -M mps2-an385 -cpu cortex-m3 -display none -monitor none \
        -serial none -semihosting-config enable=on,target=native -kernel "$1" \
        "${ONE_INSN[@]}" -d exec,nochain -D /dev/stdout 2>/dev/null | grep -c '^Trace' || true)"
    if [ -z "$n" ] || [ "$n" -eq 0 ]; then
        say "no instructions counted for $1"
        exit 1
    fi
    echo "$n"
}

# text+rodata of the generated objects only (no driver, no C library).
model_bytes() {
    arm-none-eabi-size -A "$@" | awk '$1 ~ /^\.(text|rodata)/ { s += $2 } END { print s + 0 }'
}

ROWS_MD=""
for m in "${MODELS[@]}"; do
    name="$(basename "${m%.json}")"
    for mode in "float auto" "float compact" "int auto"; do
        set -- $mode
        numeric="$1" layout="$2"
        dir="$WORK/$name/$numeric-$layout"
        rm -rf "$dir"
        mkdir -p "$dir"
        "$TIMBER" compile --model "$ROOT/$m" --out "$dir" --numeric "$numeric" --layout "$layout" \
            2>"$dir/compile.log"
        resolved="$(sed -n 's/.*, layout \([a-z]*\), numeric.*/\1/p' "$dir/compile.log")"
        python3 "$HERE/rows.py" "$ROOT/${m%.json}.inputs.csv" "$ROWS" "$dir/rows.h"
        for n in 0 "$ROWS"; do
            arm-none-eabi-gcc "${CFLAGS[@]}" "${LDFLAGS[@]}" -I"$dir" -DBENCH_N_ROWS="${n}U" \
                "$HERE/driver.c" "$dir/model.c" "$dir/model_data.c" -o "$dir/bench$n.elf"
        done
        c0="$(count_insns "$dir/bench0.elf")"
        cn="$(count_insns "$dir/bench$ROWS.elf")"
        per_row=$(( (cn - c0) / ROWS ))
        (cd "$dir" && arm-none-eabi-gcc "${CFLAGS[@]}" -c model.c model_data.c)
        bytes="$(model_bytes "$dir/model.o" "$dir/model_data.o")"
        # Bit-identity and stack from timber verify on the same target.
        "$TIMBER" verify --model "$ROOT/$m" --targets cortex-m3 --numeric "$numeric" \
            --layout "$layout" >"$dir/verify.log" 2>&1 || {
            say "timber verify failed for $name $numeric $layout (see $dir/verify.log)"
            exit 1
        }
        peak="$(sed -n 's/.*measured peak \([0-9]*\) B.*/\1/p' "$dir/verify.log" | head -1)"
        estimate="$(sed -n 's/.*generator estimate \([0-9]*\) B.*/\1/p' "$dir/verify.log" | head -1)"
        rows_checked="$(sed -n 's/.*identical *\([0-9]*\)\/.*/\1/p' "$dir/verify.log" | head -1)"
        say "$name $numeric/$resolved: $per_row insns/row, $bytes B, stack $peak B"
        ROWS_MD+="| $name | $numeric | $resolved | $per_row | $bytes | $peak | $estimate | $rows_checked |"$'\n'
    done
done

QEMU_VERSION="$(qemu-system-arm --version | head -1)"
GCC_VERSION="$(arm-none-eabi-gcc --version | head -1)"
COMMIT="$(cd "$ROOT" && git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
SECTION="$WORK/section.md"
{
    echo "<!-- bench-int: begin (written by scripts/bench-int.sh; do not edit by hand) -->"
    echo "## Integer mode on Cortex-M3 (\`--numeric int\`)"
    echo
    echo "Written by \`scripts/bench-int.sh\` (run it after \`scripts/bench-peers.sh\`, which rewrites this file)."
    echo
    echo "- Command: \`$COMMAND\`; timber at commit \`$COMMIT\`; \`$GCC_VERSION\`; \`$QEMU_VERSION\`."
    echo "- Instructions per row: the generated C and a driver calling \`timber_infer_single\` on the fixture's first $ROWS rows (\`<model>.inputs.csv\`: rows on thresholds, next floats, NaN, infinities, random rows) built with the cortex-m3 target's flags (\`-O2 -mcpu=cortex-m3 -mthumb\`, soft float), run on \`qemu-system-arm -M mps2-an385 -cpu cortex-m3\` with one instruction per translation block (\`${ONE_INSN[*]}\`) and \`-d exec,nochain\`, which logs one line per executed instruction; (count with $ROWS rows - count with 0 rows) / $ROWS. Exact and deterministic, not a timing; soft-float library calls (\`__aeabi_fcmplt\`, \`__aeabi_fadd\`, ...) are counted, they are the cost float mode pays without an FPU."
    echo "- text+rodata: \`arm-none-eabi-size -A\` of the generated \`model.o\` and \`model_data.o\` only (\`.text*\` + \`.rodata*\`), same flags. Stack: \`timber verify --targets cortex-m3\`: measured peak (painted stack) and the generator's estimate for one call. Rows bit-identical: the rows \`timber verify\` ran on cortex-m3, all equal to the reference evaluator."
    echo
    echo "| model | numeric | layout | instructions / row | text+rodata, B | stack peak, B | stack estimate, B | rows bit-identical |"
    echo "|---|---|---|---:|---:|---:|---:|---:|"
    printf '%s' "$ROWS_MD"
    echo "<!-- bench-int: end -->"
} >"$SECTION"

python3 - "$OUT" "$SECTION" <<'EOF'
import sys
out, section = sys.argv[1], sys.argv[2]
text = open(section).read()
try:
    doc = open(out).read()
except FileNotFoundError:
    doc = ""
begin, end = "<!-- bench-int: begin", "<!-- bench-int: end -->"
if begin in doc and end in doc:
    a = doc.index(begin)
    b = doc.index(end) + len(end) + 1
    doc = doc[:a] + text + doc[b:]
else:
    doc = doc.rstrip("\n") + "\n\n" + text
open(out, "w").write(doc)
EOF
say "wrote $OUT"
