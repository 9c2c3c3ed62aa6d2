/* Shared body of the per-peer bench drivers (driver_<peer>.c).
 *
 * A driver defines, before including this file:
 *   PEER_N_FEATURES                      features per row
 *   static void peer_row(const float *x, float *y)              one row, one float output
 *   static void peer_batch(const float *x, size_t n, float *y)  n rows, row-major
 * (peer_batch is the peer's own batch API where it has one, otherwise a loop
 * over peer_row inside the driver; the driver says which in PEER_BATCH_KIND).
 *
 * Usage: driver INPUTS.CSV OUT.txt MIN_ROWS REPEATS
 *   Reads the fixture inputs (header line, then comma-separated float32 text,
 *   parsed with strtof so every value is the exact float32 the fixture means,
 *   "nan"/"inf" included), writes the output of each original row to OUT.txt
 *   (%.9g, one per line), then repeats the rows until at least MIN_ROWS rows and
 *   times REPEATS passes of single-row calls and of batches of 1024 rows.
 *   Prints "rows N", "single_ns_median X", "batch_ns_median Y" and each pass.
 *
 * Each driver defines _POSIX_C_SOURCE (for clock_gettime under -std=c99)
 * before its first #include.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH 1024U

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

static float *read_csv(const char *path, size_t *n_rows)
{
    FILE *f = fopen(path, "r");
    char line[65536];
    size_t cap = 1024U;
    size_t n = 0U;
    float *rows;
    if (f == NULL) {
        fprintf(stderr, "driver: cannot open %s\n", path);
        exit(2);
    }
    rows = malloc(cap * PEER_N_FEATURES * sizeof(float));
    if (fgets(line, sizeof line, f) == NULL) { /* header */
        fprintf(stderr, "driver: %s is empty\n", path);
        exit(2);
    }
    while (fgets(line, sizeof line, f) != NULL) {
        char *p = line;
        size_t j;
        if (line[0] == '\n' || line[0] == '\0') {
            continue;
        }
        if (n == cap) {
            cap *= 2U;
            rows = realloc(rows, cap * PEER_N_FEATURES * sizeof(float));
        }
        for (j = 0U; j < PEER_N_FEATURES; j++) {
            char *end;
            rows[n * PEER_N_FEATURES + j] = strtof(p, &end);
            if (end == p) {
                fprintf(stderr, "driver: %s row %zu column %zu is not a number\n", path, n + 1U, j);
                exit(2);
            }
            p = end;
            if (*p == ',') {
                p++;
            }
        }
        n++;
    }
    fclose(f);
    *n_rows = n;
    return rows;
}

int main(int argc, char **argv)
{
    size_t n_orig;
    size_t n_rows;
    size_t min_rows;
    unsigned repeats;
    float *orig;
    float *in;
    float *out;
    double *single;
    double *batch;
    double check = 0.0;
    FILE *fo;
    size_t i;
    unsigned rep;
    if (argc != 5) {
        fprintf(stderr, "usage: %s INPUTS.CSV OUT.txt MIN_ROWS REPEATS\n", argv[0]);
        return 2;
    }
    orig = read_csv(argv[1], &n_orig);
    min_rows = (size_t)strtoul(argv[3], NULL, 10);
    repeats = (unsigned)strtoul(argv[4], NULL, 10);
    if (n_orig == 0U || repeats == 0U) {
        fprintf(stderr, "driver: no rows or no repeats\n");
        return 2;
    }
    n_rows = ((min_rows + n_orig - 1U) / n_orig) * n_orig;
    in = malloc(n_rows * PEER_N_FEATURES * sizeof(float));
    out = malloc(n_rows * sizeof(float));
    single = malloc(repeats * sizeof(double));
    batch = malloc(repeats * sizeof(double));
    for (i = 0U; i < n_rows; i++) {
        memcpy(&in[i * PEER_N_FEATURES], &orig[(i % n_orig) * PEER_N_FEATURES],
               PEER_N_FEATURES * sizeof(float));
    }

    /* Exactness: the original rows, one call each. */
    fo = fopen(argv[2], "w");
    if (fo == NULL) {
        fprintf(stderr, "driver: cannot write %s\n", argv[2]);
        return 2;
    }
    for (i = 0U; i < n_orig; i++) {
        float y = 0.0f;
        peer_row(&orig[i * PEER_N_FEATURES], &y);
        fprintf(fo, "%.9g\n", (double)y);
    }
    fclose(fo);

    /* Warm-up pass (caches, branch predictors, page faults on out). */
    for (i = 0U; i < n_rows; i++) {
        peer_row(&in[i * PEER_N_FEATURES], &out[i]);
    }
    for (rep = 0U; rep < repeats; rep++) {
        double t0;
        double t1;
        double t2;
        t0 = now_ns();
        for (i = 0U; i < n_rows; i++) {
            peer_row(&in[i * PEER_N_FEATURES], &out[i]);
        }
        t1 = now_ns();
        check += (double)out[n_rows - 1U];
        for (i = 0U; i < n_rows; i += BATCH) {
            size_t n = (n_rows - i < BATCH) ? (n_rows - i) : BATCH;
            peer_batch(&in[i * PEER_N_FEATURES], n, &out[i]);
        }
        t2 = now_ns();
        check += (double)out[0];
        single[rep] = (t1 - t0) / (double)n_rows;
        batch[rep] = (t2 - t1) / (double)n_rows;
        printf("pass %u single_ns %.2f batch_ns %.2f\n", rep, single[rep], batch[rep]);
    }
    qsort(single, repeats, sizeof single[0], cmp_double);
    qsort(batch, repeats, sizeof batch[0], cmp_double);
    printf("rows %zu\n", n_rows);
    printf("batch_kind %s\n", PEER_BATCH_KIND);
    printf("single_ns_median %.2f\n", single[repeats / 2U]);
    printf("batch_ns_median %.2f\n", batch[repeats / 2U]);
    printf("checksum %g\n", check);
    return 0;
}
