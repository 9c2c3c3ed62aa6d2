/*
 * timber instruction-count driver (not part of the generated model).
 *
 * Built from the same model objects as the verification harness and run
 * under QEMU with one guest instruction per translation block and an
 * execution trace. It does nothing but call timber_infer_single() once per
 * compiled-in test vector, so every traced instruction between the entry
 * of timber_infer_single and the next instruction of main belongs to one
 * call of the model (callees included). At the end it prints one line
 *     H <fnv1a-32 over all output bits> <rows>
 * so the traced image is checked to compute the same bits as the
 * verification run.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "model.h"

extern const uint32_t timber_vectors[];
extern const uint32_t timber_n_rows;

int main(void)
{
    float in[TIMBER_N_FEATURES];
    float out[TIMBER_N_OUTPUTS];
    uint32_t hash = 2166136261u;
    uint32_t row;
    for (row = 0u; row < timber_n_rows; row++) {
        int k;
        memcpy(in, &timber_vectors[row * (uint32_t)TIMBER_N_FEATURES], sizeof in);
        for (k = 0; k < TIMBER_N_OUTPUTS; k++) {
            out[k] = 0.0f;
        }
        (void)timber_infer_single(in, out);
        for (k = 0; k < TIMBER_N_OUTPUTS; k++) {
            uint32_t bits;
            int b;
            memcpy(&bits, &out[k], sizeof bits);
            for (b = 0; b < 4; b++) {
                hash ^= (bits >> (8 * b)) & 0xFFu;
                hash *= 16777619u;
            }
        }
    }
    printf("H %08lx %lu\n", (unsigned long)hash, (unsigned long)timber_n_rows);
    fflush(stdout);
    return 0;
}
