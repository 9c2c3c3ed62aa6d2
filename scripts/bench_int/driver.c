/*
 * Instruction-count driver for scripts/bench-int.sh: runs timber_infer_single
 * on the first BENCH_N_ROWS rows of rows.h and folds the output bits into a
 * volatile, so no call can be optimised away. Built twice, with N rows and
 * with 0 rows; the difference of the two instruction counts is the cost of
 * N rows without the start-up code.
 */
#include "model.h"
#include "rows.h"

static volatile uint32_t bench_sink;

int main(void)
{
    timber_float32_t out[TIMBER_N_OUTPUTS];
    uint32_t r;
    uint32_t i;
    for (r = 0U; r < (uint32_t)BENCH_N_ROWS; r++) {
        (void)timber_infer_single(&bench_rows[r * TIMBER_N_FEATURES], out);
        for (i = 0U; i < TIMBER_N_OUTPUTS; i++) {
            union {
                timber_float32_t f;
                uint32_t u;
            } b;
            b.f = out[i];
            bench_sink ^= b.u;
        }
    }
    return 0;
}
