/* Bench driver for timber's generated C: timber_infer_single per row, and
 * timber_infer (its own batch API) on batches of 1024 rows. */
#define _POSIX_C_SOURCE 199309L
#include "model.h"

#define PEER_N_FEATURES ((size_t)TIMBER_N_FEATURES)
#define PEER_BATCH_KIND "timber_infer (native batch API)"

static void peer_row(const float *x, float *y)
{
    (void)timber_infer_single(x, y);
}

static void peer_batch(const float *x, size_t n, float *y)
{
    (void)timber_infer(x, n, y);
}

#include "bench_common.h"
