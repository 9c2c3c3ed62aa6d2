"""Writes rows.h for scripts/bench_int/driver.c: the first N rows of a
fixture's <model>.inputs.csv as float literals (NaN and infinities through
GCC builtins; the driver is not generated code)."""
import csv
import sys


def literal(cell):
    v = cell.strip().lower()
    if v == "nan":
        return '__builtin_nanf("")'
    if v in ("inf", "+inf", "infinity"):
        return "__builtin_inff()"
    if v in ("-inf", "-infinity"):
        return "(-__builtin_inff())"
    # float32 round trip: the CSV holds 9 significant digits.
    return repr(float(v)) + "f"


def main():
    src, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(src, newline="") as f:
        rows = list(csv.reader(f))[1:]
    if len(rows) < n:
        sys.exit(f"{src} has {len(rows)} rows, {n} wanted")
    rows = rows[:n]
    width = len(rows[0])
    with open(out, "w") as f:
        f.write("#ifndef BENCH_N_ROWS\n#define BENCH_N_ROWS %dU\n#endif\n" % n)
        f.write("static const timber_float32_t bench_rows[%d] = {\n" % (n * width))
        f.write(",\n".join(", ".join(literal(c) for c in r) for r in rows))
        f.write("\n};\n")


main()
