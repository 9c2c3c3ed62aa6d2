#!/usr/bin/env bash
# Long fuzz run: scripts/fuzz.sh HOURS [OUT_DIR]
#
# Drives the `long_run` test of tests/fuzz.rs (every frontend and the C rule
# checker, structure-aware mutations of tests/fixtures/**) in rounds of at
# most ROUND_SECONDS (default 600), each from a fresh random seed, until
# HOURS (a decimal, e.g. 0.5) have passed. Inputs that panic, hang, allocate
# over the cap or fail with an empty message are written to OUT_DIR
# (default fuzz-findings/); an input that kills the process (stack overflow,
# the 2 GiB abort) is kept as crash-<target>-<seed>.bin. At the end it prints
# hours, executions and findings per target and in total, and exits 1 if
# anything was found.
#
# Run it at low priority on a shared machine:  nice -n 19 scripts/fuzz.sh 0.5
# Turn a finding into a regression: copy the file (small) to
# tests/fixtures/fuzz-regressions/<target>/, fix, and
# `cargo test --release --test fuzz regressions` runs it from then on.
set -u

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: scripts/fuzz.sh HOURS [OUT_DIR]" >&2
    exit 2
fi
hours=$1
out=${2:-fuzz-findings}
round_max=${ROUND_SECONDS:-600}
total_secs=$(awk -v h="$hours" 'BEGIN { if (h !~ /^[0-9]*\.?[0-9]+$/) exit 1; printf "%d", h * 3600 }') || {
    echo "fuzz.sh: HOURS must be a positive number, e.g. 0.5 (got '$hours')" >&2
    exit 2
}
if [ "$total_secs" -le 0 ]; then
    echo "fuzz.sh: HOURS must be positive (got '$hours')" >&2
    exit 2
fi

cd "$(dirname "$0")/.." || exit 2
mkdir -p "$out" || exit 2
out=$(cd "$out" && pwd)
log="$out/fuzz.log"
: > "$log"

echo "fuzz.sh: building the harness" >&2
cargo test --release --test fuzz --no-run >&2 || exit 2

start=$(date +%s)
end=$((start + total_secs))
rounds=0
crashes=0
declare -A execs finds
while :; do
    now=$(date +%s)
    left=$((end - now))
    [ "$left" -le 0 ] && break
    secs=$((left < round_max ? left : round_max))
    seed=$(od -An -N8 -tu8 /dev/urandom | tr -d ' ')
    rounds=$((rounds + 1))
    echo "fuzz.sh: round $rounds, seed $seed, $secs s" >&2
    round_log=$(mktemp)
    TIMBER_FUZZ_SECONDS=$secs TIMBER_FUZZ_SEED=$seed TIMBER_FUZZ_OUT=$out \
        cargo test --release --test fuzz -- --ignored --exact long_run --nocapture \
        > "$round_log" 2>&1
    rc=$?
    cat "$round_log" >> "$log"
    while read -r _ target execs_kv finds_kv; do
        t=${target#target=}
        e=${execs_kv#executions=}
        f=${finds_kv#findings=}
        execs[$t]=$(( ${execs[$t]:-0} + e ))
        finds[$t]=$(( ${finds[$t]:-0} + f ))
    done < <(grep '^fuzz-summary ' "$round_log")
    grep '^fuzz-finding ' "$round_log" >&2
    # The process died under an input (no summary): keep what it was running.
    if ! grep -q '^fuzz-summary ' "$round_log"; then
        for cur in "$out"/current-*.bin; do
            [ -e "$cur" ] || continue
            t=$(basename "$cur" .bin)
            t=${t#current-}
            mv "$cur" "$out/crash-$t-$seed.bin"
            echo "fuzz.sh: the process died (exit $rc) on target $t; input kept as crash-$t-$seed.bin" >&2
            crashes=$((crashes + 1))
            finds[$t]=$(( ${finds[$t]:-0} + 1 ))
        done
    fi
    rm -f "$round_log"
done

# --- HTTP request fuzz (server tests) -------------------------------------
# tests/serve_hardening.rs::http_fuzz against a running `timber serve`:
# 100,000 random and mutated requests per hour of budget (about 50 s of
# its own, so it adds little to HOURS), a fresh seed; a failure prints the
# seed and the shrunk request, which reproduce it.
http_cases=$(awk -v h="$hours" 'BEGIN { n = int(h * 100000); if (n < 1000) n = 1000; print n }')
http_seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
echo "fuzz.sh: HTTP request fuzz, $http_cases cases, seed $http_seed" >&2
http_log=$(mktemp)
if TIMBER_HTTP_FUZZ_CASES=$http_cases TIMBER_HTTP_FUZZ_SEED=$http_seed \
    cargo test --release --test serve_hardening -- --exact http_fuzz --nocapture \
    > "$http_log" 2>&1; then
    finds[http]=0
else
    finds[http]=1
    grep -v '^\s*$' "$http_log" | tail -40 >&2
fi
execs[http]=$http_cases
cat "$http_log" >> "$log"
rm -f "$http_log"
# --------------------------------------------------------------------------

elapsed=$(( $(date +%s) - start ))
total_e=0
total_f=0
printf '%-16s %12s %9s\n' target executions findings
for t in $(printf '%s\n' "${!execs[@]}" "${!finds[@]}" | sort -u); do
    printf '%-16s %12d %9d\n' "$t" "${execs[$t]:-0}" "${finds[$t]:-0}"
    total_e=$((total_e + ${execs[$t]:-0}))
    total_f=$((total_f + ${finds[$t]:-0}))
done
printf '%-16s %12d %9d\n' total "$total_e" "$total_f"
awk -v s="$elapsed" -v r="$rounds" -v c="$crashes" \
    'BEGIN { printf "hours %.2f, rounds %d, process crashes %d\n", s / 3600, r, c }'
echo "findings (if any) and the full log: $out" >&2
[ "$total_f" -eq 0 ]
