/* Bench driver for the C that m2cgen emits: score() takes a row of double.
 * Classifiers write one double per class (the positive class is the last);
 * regressors return a double (the script defines M2C_SCALAR for them). The
 * float32 row is widened to double and the result rounded to float32, which
 * is what a caller holding float32 sensor data and float32 outputs does.
 * m2cgen emits no batch function, so a batch is a loop over rows here.
 * PEER_N_FEATURES and M2C_N_OUT come from the script (-D). */
#define _POSIX_C_SOURCE 199309L
#include <stddef.h>

#ifdef M2C_SCALAR
double score(double *input);
#else
void score(double *input, double *output);
#endif

#define PEER_BATCH_KIND "loop over score() (no batch API in the generated C)"

static void peer_row(const float *x, float *y)
{
    double d[PEER_N_FEATURES];
    size_t j;
    for (j = 0U; j < PEER_N_FEATURES; j++) {
        d[j] = (double)x[j];
    }
#ifdef M2C_SCALAR
    *y = (float)score(d);
#else
    {
        double o[M2C_N_OUT];
        score(d, o);
        *y = (float)o[M2C_N_OUT - 1];
    }
#endif
}

static void peer_batch(const float *x, size_t n, float *y)
{
    size_t i;
    for (i = 0U; i < n; i++) {
        peer_row(&x[i * PEER_N_FEATURES], &y[i]);
    }
}

#include "bench_common.h"
