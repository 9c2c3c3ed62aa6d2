#!/usr/bin/env bash
# Wall-clock time and peak memory of `timber check` on hostile nesting
# shapes (issue 15, finding 5) at about 10 KB and at 80 KB, on ordinary C of
# a given number of lines, and on the generated C of the 500-tree fixture.
# A linear checker takes about eight times as long at 80 KB as at 10 KB.
#
#   bash scripts/bench-check.sh [LINES]
#
# LINES: size of the ordinary-C file (default 100000).
#
# Environment (defaults in brackets):
#   BENCH_CHECK_WORK [build/bench-check]  scratch directory
#   TIMBER [target/release/timber]         the binary measured (built when absent)
#
# Prints one row per input: name, bytes, seconds, peak resident KB.
# Exit codes: 0 done; 1 a check crashed or a step failed; 3 a tool is missing.
set -euo pipefail

lines=${1:-100000}
work=${BENCH_CHECK_WORK:-build/bench-check}
timber=${TIMBER:-target/release/timber}
for tool in awk /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "bench-check: $tool is missing" >&2; exit 3; }
done
if [ ! -x "$timber" ]; then
    cargo build --release --quiet
fi
mkdir -p "$work"

# rep STRING COUNT: STRING repeated COUNT times.
rep() { awk -v s="$1" -v n="$2" 'BEGIN { for (i = 0; i < n; i++) printf "%s", s }'; }

# shape NAME N PREFIX_UNIT MIDDLE SUFFIX_UNIT HEAD TAIL
shape() {
    local name=$1 n=$2 pre=$3 mid=$4 post=$5 head=$6 tail=$7
    for k in 1 8; do
        {
            printf '%s' "$head"
            rep "$pre" $((n * k))
            printf '%s' "$mid"
            rep "$post" $((n * k))
            printf '%s\n' "$tail"
        } >"$work/$name-$k.c"
    done
}

shape casts 2000 '(int)' 'x' '' 'int f(int x){ return ' '; }'
shape subscripts 3300 '' 'int f(int *a){ return a' '[2]' '' '; }'
shape unary-minus 5000 '- ' 'x' '' 'int f(int x){ return ' '; }'
shape dereferences 10000 '*' 'x' '' 'int f(int *x){ return ' '; }'
shape products 2500 '' 'x' ' * x' 'int f(int x){ return ' '; }'
shape right-and 1500 'x && (' 'x' ')' 'int f(int x){ return ' '; }'
shape conditionals 1500 '(x ? ' 'x' ' : x)' 'int f(int x){ return ' '; }'
shape sizeof 1400 'sizeof ' 'x' '' 'int f(int x){ return (int)' '; }'
shape increments 2000 '' 'a' '[i++]' 'int f(int *a, int i){ return ' '; }'
shape nested-ifs 1000 'if (x) {' 'x++;' '}' 'void f(int x){ ' ' }'
shape nested-loops 300 'for (i = 0; i < 9; i++) { x++; ' 'x++;' '}' 'void f(int x){ int i; ' ' }'

# Ordinary C: functions of loops and branches, LINES lines in all.
awk -v lines="$lines" 'BEGIN {
    print "#include <stdint.h>"; n = 1; i = 0
    while (n < lines) {
        printf "static int32_t fn%d(const int32_t *x, int32_t m)\n{\n    int32_t acc = 0;\n    int32_t k;\n    for (k = 0; k < m; k++) {\n", i
        for (j = 0; j < 20; j++) {
            printf "        if (x[k] > %d) {\n            acc = acc + (x[k] * %d);\n        } else {\n            acc = acc - %d;\n        }\n", j, j + 1, j
        }
        printf "    }\n    return acc;\n}\n\n"
        n += 109; i++
    }
}' >"$work/ordinary.c"

# The 500-tree fixture's generated C.
rm -rf "$work/large_500"
"$timber" compile --model tests/fixtures/xgboost/large_500.json --out "$work/large_500" >/dev/null

printf '%-28s %10s %8s %10s\n' input bytes seconds peak-KB
measure() {
    local name=$1
    shift
    local bytes
    bytes=$(cat "$@" | wc -c)
    local status=0
    /usr/bin/time -f '%e %M' -o "$work/time.txt" "$timber" check "$@" >/dev/null 2>&1 || status=$?
    # 0 clean, 1 findings; anything else is a crash or refusal.
    if [ "$status" -gt 1 ]; then
        echo "bench-check: timber check $name exited $status" >&2
        exit 1
    fi
    # GNU time adds a line before the figures when the exit status is not 0.
    read -r secs kb < <(tail -n 1 "$work/time.txt")
    printf '%-28s %10s %8s %10s\n' "$name" "$bytes" "$secs" "$kb"
}
for f in "$work"/*-1.c; do
    base=$(basename "$f" -1.c)
    measure "$base (1x)" "$f"
    measure "$base (8x)" "$work/$base-8.c"
done
measure "ordinary C, $lines lines" "$work/ordinary.c"
measure "large_500 generated C" "$work/large_500/model.c" "$work/large_500/model_data.c" "$work/large_500/model.h"
