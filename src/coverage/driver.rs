//! The coverage driver: a C program, written per run, that exercises every
//! entry point of a generated model through its public API only.
//!
//! Why it exists: structural coverage is only evidence when the code is
//! driven the way its users drive it. The driver therefore includes
//! nothing but `model.h`, and works for any generated model (sizes come
//! from `TIMBER_N_FEATURES` / `TIMBER_N_OUTPUTS`). It calls
//! `timber_infer_single` on every vector, `timber_infer` on all rows at
//! once (and on batches sized around the block size of `model.c`, so the
//! blocked path sees a full block, a partial block and more than one
//! block), every error path (NULL pointers, zero rows, row counts that
//! overflow `size_t`, NaN inputs), `timber_strerror` for every status code
//! plus an unknown one, and the three version/identity functions.
//!
//! The driver checks what it can check without knowing the model (status
//! codes, the identity strings against the header) and exits non-zero
//! when anything is off, so a coverage figure is never measured on a run
//! that misbehaved.

use std::fmt::Write as _;

/// The driver's file name in the build directory (never counted).
pub const DRIVER_FILE: &str = "timber_coverage_driver.c";

/// `TIMBER_BLOCK_ROWS` of a generated `model.c` (0 when the model is
/// evaluated row by row and the macro is absent).
pub fn block_rows(model_c: &str) -> usize {
    for line in model_c.lines() {
        let Some(rest) = line.trim().strip_prefix("#define TIMBER_BLOCK_ROWS") else {
            continue;
        };
        // ((size_t)64U): the first run of digits ("size_t" has none).
        let digits: String = rest
            .chars()
            .skip_while(|c| !c.is_ascii_digit())
            .take_while(char::is_ascii_digit)
            .collect();
        if let Ok(n) = digits.parse::<usize>() {
            return n;
        }
    }
    0
}

/// The driver's C text for `vectors` (row-major float rows of equal
/// length; the length is checked in C against `TIMBER_N_FEATURES`).
pub fn driver_c(vectors: &[Vec<f32>], n_features: usize, block: usize) -> String {
    let n_rows = vectors.len();
    // Batches of block and block + 1 rows are built by cycling clean rows.
    let batch_max = n_rows.max(block + 1).max(1);
    let mut s = String::new();
    s.push_str(DRIVER_HEAD);
    let _ = writeln!(s, "#define COV_N_ROWS ((size_t){n_rows}U)");
    let _ = writeln!(s, "#define COV_ROW_LEN ((size_t){n_features}U)");
    let _ = writeln!(s, "#define COV_BLOCK ((size_t){block}U)");
    let _ = writeln!(s, "#define COV_BATCH_MAX ((size_t){batch_max}U)");
    s.push_str("\n/* Input float bits, row-major. */\nstatic const uint32_t cov_vectors[] = {\n");
    for row in vectors {
        s.push_str("   ");
        for v in row {
            let _ = write!(s, " 0x{:08x}u,", v.to_bits());
        }
        s.push('\n');
    }
    if vectors.iter().all(|r| r.is_empty()) {
        s.push_str("    0u\n");
    }
    s.push_str("};\n");
    s.push_str(DRIVER_BODY);
    s
}

const DRIVER_HEAD: &str = r#"/*
 * timber coverage driver (generated per run; not part of the model).
 * Drives the generated model through its public API only, so that gcov and
 * llvm-cov measure the coverage that real calls achieve. Exits 0 when every
 * call returned what the API promises, 1 otherwise.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "model.h"

"#;

const DRIVER_BODY: &str = r#"
static timber_float32_t cov_in[COV_BATCH_MAX * TIMBER_N_FEATURES];
static timber_float32_t cov_out[COV_BATCH_MAX * TIMBER_N_OUTPUTS];
/* Rows without NaN (or one zero row when there are none). */
static timber_float32_t cov_clean[COV_BATCH_MAX * TIMBER_N_FEATURES];
static size_t cov_n_clean;
static unsigned long cov_calls;
static unsigned long cov_failures;

static void cov_expect(int ok, const char *what, size_t row)
{
    cov_calls++;
    if (!ok) {
        cov_failures++;
        fprintf(stderr, "coverage driver: %s (row %lu)\n", what, (unsigned long)row);
    }
}

static timber_float32_t cov_float(uint32_t bits)
{
    timber_float32_t f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static int cov_has_nan(const timber_float32_t *v, size_t n)
{
    size_t i;
    int found = 0;
    for (i = 0U; i < n; i++) {
        if (v[i] != v[i]) {
            found = 1;
        }
    }
    return found;
}

/* Fill cov_in with n rows cycled from the clean rows. */
static void cov_fill_clean(size_t n)
{
    size_t r;
    for (r = 0U; r < n; r++) {
        memcpy(&cov_in[r * TIMBER_N_FEATURES], &cov_clean[(r % cov_n_clean) * TIMBER_N_FEATURES],
               sizeof(timber_float32_t) * TIMBER_N_FEATURES);
    }
}

static void cov_batch_clean(size_t n, const char *what)
{
    int32_t st;
    cov_fill_clean(n);
    st = timber_infer(cov_in, n, cov_out);
    cov_expect(st == TIMBER_OK, what, n);
}

int main(void)
{
    timber_float32_t row[TIMBER_N_FEATURES];
    timber_float32_t out[TIMBER_N_OUTPUTS];
    int32_t st;
    size_t r;
    size_t f;
    int any_nan = 0;
    const int32_t codes[6] = {TIMBER_OK, TIMBER_ERR_NULL, TIMBER_ERR_NAN, TIMBER_ERR_BOUNDS,
                              (int32_t)-1, (int32_t)99};

    if ((COV_N_ROWS > 0U) && (COV_ROW_LEN != TIMBER_N_FEATURES)) {
        fprintf(stderr, "coverage driver: rows have %lu values, the model %lu features\n",
                (unsigned long)COV_ROW_LEN, (unsigned long)TIMBER_N_FEATURES);
        return 2;
    }

    /* Every vector, one call each; the clean ones are kept for batches. */
    cov_n_clean = 0U;
    for (r = 0U; r < COV_N_ROWS; r++) {
        int nan_row;
        for (f = 0U; f < TIMBER_N_FEATURES; f++) {
            row[f] = cov_float(cov_vectors[(r * TIMBER_N_FEATURES) + f]);
            cov_in[(r * TIMBER_N_FEATURES) + f] = row[f];
        }
        nan_row = cov_has_nan(row, TIMBER_N_FEATURES);
        any_nan = any_nan || nan_row;
        st = timber_infer_single(row, out);
        if (nan_row) {
            cov_expect((st == TIMBER_OK) || (st == TIMBER_ERR_NAN), "single NaN row", r);
        } else {
            cov_expect(st == TIMBER_OK, "single row", r);
            memcpy(&cov_clean[cov_n_clean * TIMBER_N_FEATURES], row, sizeof row);
            cov_n_clean++;
        }
    }
    if (cov_n_clean == 0U) {
        for (f = 0U; f < TIMBER_N_FEATURES; f++) {
            cov_clean[f] = 0.0f;
        }
        cov_n_clean = 1U;
        st = timber_infer_single(cov_clean, out);
        cov_expect(st == TIMBER_OK, "single zero row", 0U);
    }

    /* All rows in one batch (cov_in holds them in order). */
    st = timber_infer(cov_in, COV_N_ROWS, cov_out);
    if (any_nan) {
        cov_expect((st == TIMBER_OK) || (st == TIMBER_ERR_NAN), "batch of all rows", COV_N_ROWS);
    } else {
        cov_expect(st == TIMBER_OK, "batch of all rows", COV_N_ROWS);
    }
    /* The clean rows, so that a batch computes even when NaN is refused. */
    cov_batch_clean(cov_n_clean, "batch of clean rows");
    /* One full block, a partial one, and more than one block. */
    cov_batch_clean(1U, "batch of one row");
    if (COV_BLOCK > 0U) {
        cov_batch_clean(COV_BLOCK, "batch of one block");
        cov_batch_clean(COV_BLOCK + 1U, "batch of one block and one row");
    }

    /* A NaN input, alone and in a batch: computed (missing) or refused. */
    memcpy(row, cov_clean, sizeof row);
    row[0] = cov_float(0x7fc00000u);
    st = timber_infer_single(row, out);
    cov_expect((st == TIMBER_OK) || (st == TIMBER_ERR_NAN), "single NaN", 0U);
    st = timber_infer(row, 1U, out);
    cov_expect((st == TIMBER_OK) || (st == TIMBER_ERR_NAN), "batch NaN", 0U);

    /* Error paths. */
    memcpy(row, cov_clean, sizeof row);
    st = timber_infer_single(NULL, out);
    cov_expect(st == TIMBER_ERR_NULL, "single in NULL", 0U);
    st = timber_infer_single(row, NULL);
    cov_expect(st == TIMBER_ERR_NULL, "single out NULL", 0U);
    st = timber_infer(NULL, 1U, out);
    cov_expect(st == TIMBER_ERR_NULL, "batch in NULL", 0U);
    st = timber_infer(row, 1U, NULL);
    cov_expect(st == TIMBER_ERR_NULL, "batch out NULL", 0U);
    st = timber_infer(row, 0U, out);
    cov_expect(st == TIMBER_OK, "batch of zero rows", 0U);
    /* Row counts whose element counts overflow size_t: refused before any
     * access. The second bound is only separately reachable when a row has
     * more outputs than features. */
    if ((TIMBER_N_FEATURES > 1U) || (TIMBER_N_OUTPUTS > 1U)) {
        st = timber_infer(row, SIZE_MAX, out);
        cov_expect(st == TIMBER_ERR_BOUNDS, "batch of SIZE_MAX rows", 0U);
    }
    if ((SIZE_MAX / (size_t)TIMBER_N_OUTPUTS) < (SIZE_MAX / (size_t)TIMBER_N_FEATURES)) {
        st = timber_infer(row, (SIZE_MAX / (size_t)TIMBER_N_OUTPUTS) + 1U, out);
        cov_expect(st == TIMBER_ERR_BOUNDS, "batch overflowing the outputs", 0U);
    }

    /* Status texts, the ABI version and the identity strings. */
    for (r = 0U; r < 6U; r++) {
        const char *text = timber_strerror(codes[r]);
        cov_expect((text != NULL) && (text[0] != '\0'), "timber_strerror", r);
    }
    cov_expect(timber_abi_version() == TIMBER_ABI_VERSION, "timber_abi_version", 0U);
    cov_expect(strcmp(timber_model_sha256(), TIMBER_MODEL_SHA256) == 0, "timber_model_sha256", 0U);
    cov_expect(strcmp(timber_generator_version(), TIMBER_GENERATOR_VERSION) == 0,
               "timber_generator_version", 0U);

    printf("timber-coverage calls %lu failures %lu\n", cov_calls, cov_failures);
    return (cov_failures == 0U) ? 0 : 1;
}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_rows_from_model_c() {
        let c = "x\n#define TIMBER_BLOCK_ROWS ((size_t)64U)\n#define TIMBER_LANES (4U)\n";
        assert_eq!(block_rows(c), 64);
        assert_eq!(block_rows("#define TIMBER_LANES (4U)\n"), 0);
    }

    #[test]
    fn driver_embeds_the_vectors() {
        let c = driver_c(&[vec![1.0, f32::NAN]], 2, 0);
        assert!(c.contains("0x3f800000u, 0x7fc00000u,"));
        assert!(c.contains("#define COV_N_ROWS ((size_t)1U)"));
        assert!(c.contains("#define COV_BATCH_MAX ((size_t)1U)"));
    }
}
