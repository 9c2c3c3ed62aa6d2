/* Bench driver for the C that tl2cgen emits: predict() takes one row of
 * union Entry (missing = -1 marks a missing value, as tl2cgen's own runtime
 * fills it for NaN), adds into a zeroed result and applies the sigmoid or
 * other postprocessor. The generated C has no batch function, so a batch is
 * a loop over rows here. PEER_N_FEATURES comes from the script (-D). */
#define _POSIX_C_SOURCE 199309L
#include <stddef.h>
#include "header.h"

#define PEER_BATCH_KIND "loop over predict() (no batch API in the generated C)"

static void peer_row(const float *x, float *y)
{
    union Entry d[PEER_N_FEATURES];
    float r[N_TARGET * MAX_N_CLASS];
    size_t j;
    for (j = 0U; j < PEER_N_FEATURES; j++) {
        if (x[j] != x[j]) {
            d[j].missing = -1;
        } else {
            d[j].fvalue = x[j];
        }
    }
    for (j = 0U; j < (size_t)(N_TARGET * MAX_N_CLASS); j++) {
        r[j] = 0.0f;
    }
    predict(d, 0, r);
    *y = r[0];
}

static void peer_batch(const float *x, size_t n, float *y)
{
    size_t i;
    for (i = 0U; i < n; i++) {
        peer_row(&x[i * PEER_N_FEATURES], &y[i]);
    }
}

#include "bench_common.h"
