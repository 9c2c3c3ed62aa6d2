/*
 * timber verification harness (not part of the generated model).
 *
 * Runs timber_infer_single() on every compiled-in test vector and prints,
 * one line per row:
 *     R <row> <status> <out0 bits> <out1 bits> ...   (hex, 8 digits)
 * then, on targets built with TIMBER_STACK_PAINT=<bytes>, the peak stack
 * the model used (measured by painting the stack below the caller's frame
 * before each call and scanning it afterwards):
 *     S <peak bytes> <painted bytes>
 * A single-row call that raised the invalid or divide-by-zero exception
 * prints, after its R line,
 *     E <row> <flags>
 * and after all calls the flags raised by the single-row calls and by the
 * batch calls (1 invalid, 2 divide-by-zero, 4 overflow, 8 underflow,
 * 16 inexact; hex), or `G -` on a target whose FPU flags cannot be read
 * (soft float):
 *     G <single flags> <batch flags>
 * and finally a running FNV-1a hash over all output bits and the row count:
 *     H <fnv1a-32> <rows>
 * Built with TIMBER_HARNESS_BATCH (the model has the batch API), it then
 * runs timber_infer() over all rows again in blocks of 1 row, of 7 rows
 * and of the whole set, and compares every output bit with the single-row
 * call of the same row. For each block size it prints
 *     X <block> <first row> <status>          for a call that returned non-OK
 *     Y <block> <row> <output> <batch bits> <single bits>
 *                                             for every output that differs
 *                                             (for a refused call: an output it
 *                                             wrote; the single bits are then
 *                                             the untouched fill pattern)
 *     B <block> <calls> <fnv1a-32 of all batch outputs>
 * The outputs are filled with BATCH_FILL before each block size, so an
 * output a call should have left untouched keeps that pattern.
 * The program exits with status 0 when it ran every row. On bare-metal
 * targets (TIMBER_BARE_METAL) a CPU fault or RISC-V trap prints `F <kind>`
 * and exits 70.
 *
 * vectors.c (generated per run) defines timber_vectors[] (input float bits,
 * row-major) and timber_n_rows; with TIMBER_HARNESS_BATCH also the buffers
 * timber_batch_in[], timber_single_out[] and timber_batch_out[], sized for
 * its rows (so a board whose RAM cannot hold them fails to link).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "model.h"

extern const uint32_t timber_vectors[];
extern const uint32_t timber_n_rows;
#ifdef TIMBER_HARNESS_BATCH
extern float timber_batch_in[];
extern float timber_single_out[];
extern float timber_batch_out[];
/* Fill pattern of the batch outputs (a quiet NaN no model returns by
 * accident: payload 0x0dead). */
#define BATCH_FILL 0x7fc0deadu
#endif

static void put_hex(char *dst, uint32_t v)
{
    static const char digits[] = "0123456789abcdef";
    int i;
    for (i = 7; i >= 0; i--) {
        dst[i] = digits[v & 0xFu];
        v >>= 4;
    }
}

static char *put_dec(char *dst, uint32_t v)
{
    char tmp[10];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + (v % 10u));
        v /= 10u;
    } while (v != 0u);
    while (n > 0) {
        *dst++ = tmp[--n];
    }
    return dst;
}

/* One output line: a tag, decimal fields, then 8-digit hex fields. */
static void put_line(char tag, const uint32_t *dec, int n_dec, const uint32_t *hex, int n_hex)
{
    char line[16 + 11 * 4 + 9 * 2];
    char *w = line;
    int i;
    *w++ = tag;
    for (i = 0; i < n_dec; i++) {
        *w++ = ' ';
        w = put_dec(w, dec[i]);
    }
    for (i = 0; i < n_hex; i++) {
        *w++ = ' ';
        put_hex(w, hex[i]);
        w += 8;
    }
    *w++ = '\n';
    *w = '\0';
    fputs(line, stdout);
}

static uint32_t fnv1a_word(uint32_t hash, uint32_t bits)
{
    int b;
    for (b = 0; b < 4; b++) {
        hash ^= (bits >> (8 * b)) & 0xFFu;
        hash *= 16777619u;
    }
    return hash;
}

/* Floating-point exception flags: the cumulative status bits of the
 * target's FPU, read directly (no <fenv.h>, no libm), mapped to
 *     1 invalid, 2 divide-by-zero, 4 overflow, 8 underflow, 16 inexact.
 * Soft-float targets have no flags to read (FP_READABLE 0). */
#define FP_INVALID 1u
#define FP_DIVZERO 2u
#define FP_FORBIDDEN (FP_INVALID | FP_DIVZERO)
#if defined(__x86_64__) || (defined(__i386__) && defined(__SSE2_MATH__))
#define FP_READABLE 1
static uint32_t fp_flags(void)
{
    /* MXCSR: IE 0x01, (DE 0x02), ZE 0x04, OE 0x08, UE 0x10, PE 0x20 */
    uint32_t m = __builtin_ia32_stmxcsr();
    return (m & 1u) | ((m >> 1) & 0x1eu);
}
static void fp_clear(void)
{
    __builtin_ia32_ldmxcsr(__builtin_ia32_stmxcsr() & ~0x3fu);
}
#elif defined(__aarch64__)
#define FP_READABLE 1
static uint32_t fp_flags(void)
{
    /* FPSR: IOC 0x01, DZC 0x02, OFC 0x04, UFC 0x08, IXC 0x10 */
    uint64_t v;
    __asm__ volatile("mrs %0, fpsr" : "=r"(v) : : "memory");
    return (uint32_t)v & 0x1fu;
}
static void fp_clear(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, fpsr" : "=r"(v) : : "memory");
    v &= ~(uint64_t)0x9fu;
    __asm__ volatile("msr fpsr, %0" : : "r"(v) : "memory");
}
#elif defined(__arm__) && defined(__ARM_FP)
#define FP_READABLE 1
static uint32_t fp_flags(void)
{
    /* FPSCR: IOC 0x01, DZC 0x02, OFC 0x04, UFC 0x08, IXC 0x10 */
    uint32_t v;
    __asm__ volatile("vmrs %0, fpscr" : "=r"(v) : : "memory");
    return v & 0x1fu;
}
static void fp_clear(void)
{
    uint32_t v;
    __asm__ volatile("vmrs %0, fpscr" : "=r"(v) : : "memory");
    v &= ~0x9fu;
    __asm__ volatile("vmsr fpscr, %0" : : "r"(v) : "memory");
}
#elif defined(__riscv) && defined(__riscv_flen)
#define FP_READABLE 1
static uint32_t fp_flags(void)
{
    /* fflags: NX 0x01, UF 0x02, OF 0x04, DZ 0x08, NV 0x10 */
    unsigned long v;
    __asm__ volatile(".option push\n.option arch, +zicsr\ncsrr %0, fflags\n.option pop"
                     : "=r"(v)
                     :
                     : "memory");
    return (((uint32_t)v >> 4) & 1u) | (((uint32_t)v >> 2) & 2u) | ((uint32_t)v & 4u) |
           (((uint32_t)v << 2) & 8u) | (((uint32_t)v << 4) & 16u);
}
static void fp_clear(void)
{
    __asm__ volatile(".option push\n.option arch, +zicsr\ncsrw fflags, zero\n.option pop"
                     :
                     :
                     : "memory");
}
#elif defined(__powerpc__) && !defined(_SOFT_FLOAT) && !defined(__NO_FPRS__)
#define FP_READABLE 1
static uint32_t ppc_fpscr(void)
{
    double d;
    uint64_t u;
    __asm__ volatile("mffs %0" : "=f"(d) : : "memory");
    memcpy(&u, &d, sizeof u);
    return (uint32_t)u;
}
static uint32_t fp_flags(void)
{
    /* FPSCR: VX 0x20000000 (any invalid), OX 0x10000000, UX 0x08000000,
     * ZX 0x04000000, XX 0x02000000 */
    uint32_t v = ppc_fpscr();
    return ((v >> 29) & 1u) | ((v >> 25) & 2u) | ((v >> 26) & 4u) | ((v >> 24) & 8u) |
           ((v >> 21) & 16u);
}
static void fp_clear(void)
{
    /* FX, OX, UX, ZX, XX and every VX cause bit (VX itself is their OR). */
    uint64_t u = ppc_fpscr() & ~0x9ff80700u;
    double d;
    memcpy(&d, &u, sizeof d);
    __asm__ volatile("mtfsf 0xff, %0" : : "f"(d) : "memory");
}
#else
#define FP_READABLE 0
static uint32_t fp_flags(void) { return 0u; }
static void fp_clear(void) {}
#endif

#ifdef TIMBER_HARNESS_BATCH
static uint32_t float_bits(const float *f)
{
    uint32_t bits;
    memcpy(&bits, f, sizeof bits);
    return bits;
}

/* timber_infer over every row in blocks of `block` rows, each output
 * compared with the single-row call's (see the file comment). */
/* The exception flags the batch calls raised, over all passes. */
static uint32_t fp_batch_flags;

static void batch_pass(uint32_t block)
{
    const uint32_t n = timber_n_rows;
    const uint32_t n_out = (uint32_t)TIMBER_N_OUTPUTS;
    const uint32_t fill = BATCH_FILL;
    uint32_t i;
    uint32_t start;
    uint32_t calls = 0u;
    uint32_t hash = 2166136261u;
    for (i = 0u; i < n * n_out; i++) {
        memcpy(&timber_batch_out[i], &fill, sizeof fill);
    }
    for (start = 0u; start < n; start += block) {
        uint32_t rows = (n - start < block) ? (n - start) : block;
        uint32_t r;
        int32_t st;
        fp_clear();
        st = timber_infer(&timber_batch_in[start * (uint32_t)TIMBER_N_FEATURES], (size_t)rows,
                          &timber_batch_out[start * n_out]);
        fp_batch_flags |= fp_flags();
        calls++;
        if (st != 0) {
            uint32_t f[3];
            f[0] = block;
            f[1] = start;
            f[2] = (uint32_t)st;
            put_line('X', f, 3, 0, 0);
        }
        for (r = start; r < start + rows; r++) {
            uint32_t k;
            for (k = 0u; k < n_out; k++) {
                uint32_t got = float_bits(&timber_batch_out[r * n_out + k]);
                uint32_t want = (st == 0) ? float_bits(&timber_single_out[r * n_out + k]) : fill;
                if (got != want) {
                    uint32_t f[3];
                    uint32_t h[2];
                    f[0] = block;
                    f[1] = r;
                    f[2] = k;
                    h[0] = got;
                    h[1] = want;
                    put_line('Y', f, 3, h, 2);
                }
            }
        }
    }
    for (i = 0u; i < n * n_out; i++) {
        hash = fnv1a_word(hash, float_bits(&timber_batch_out[i]));
    }
    {
        uint32_t f[2];
        f[0] = block;
        f[1] = calls;
        put_line('B', f, 2, &hash, 1);
    }
}
#endif

#ifdef TIMBER_STACK_PAINT
#define PAINT_WORD 0xC5A5C5A5u
#define PAINT_WORDS ((TIMBER_STACK_PAINT) / 4)
static uint32_t stack_peak;

/* Paint PAINT_WORDS words below this function's stack pointer, call the
 * model, and find the lowest word it changed. Nothing else runs below the
 * stack pointer in between (no interrupts are enabled in the harness). */
__attribute__((noinline)) static int32_t measured_call(const float *in, float *out)
{
    uint32_t *sp;
    uint32_t *p;
    uint32_t *lo;
    int32_t st;
#if defined(__riscv)
    __asm__ volatile("mv %0, sp" : "=r"(sp));
#else
    __asm__ volatile("mov %0, sp" : "=r"(sp));
#endif
    lo = sp - PAINT_WORDS;
    for (p = lo; p < sp; p++) {
        *(volatile uint32_t *)p = PAINT_WORD;
    }
    __asm__ volatile("" ::: "memory");
    st = timber_infer_single(in, out);
    __asm__ volatile("" ::: "memory");
    for (p = lo; p < sp; p++) {
        if (*(volatile uint32_t *)p != PAINT_WORD) {
            break;
        }
    }
    if ((uint32_t)((sp - p) * 4) > stack_peak) {
        stack_peak = (uint32_t)((sp - p) * 4);
    }
    return st;
}
#endif

#ifdef TIMBER_BARE_METAL
#include <stdlib.h>
/* Cortex-M faults would otherwise spin in picolibc's weak handlers until
 * the timeout: report them and exit through semihosting with status 70. */
static void fault_exit(const char *what)
{
    fputs("F ", stdout);
    fputs(what, stdout);
    fputs("\n", stdout);
    fflush(stdout);
    _Exit(70);
}
void arm_hardfault_isr(void);
void arm_memmanage_isr(void);
void arm_busfault_isr(void);
void arm_usagefault_isr(void);
void arm_nmi_isr(void);
void arm_hardfault_isr(void) { fault_exit("hardfault"); }
void arm_memmanage_isr(void) { fault_exit("memmanage"); }
void arm_busfault_isr(void) { fault_exit("busfault"); }
void arm_usagefault_isr(void) { fault_exit("usagefault"); }
void arm_nmi_isr(void) { fault_exit("nmi"); }
#if defined(__riscv)
/* picolibc's hosted crt0 installs no trap vector on RISC-V: point mtvec
 * (direct mode, 4-byte aligned) at a handler that reports and exits. */
__attribute__((aligned(4))) static void riscv_trap(void) { fault_exit("trap"); }
#define TIMBER_INSTALL_TRAP()                                                  \
    __asm__ volatile(".option push\n.option arch, +zicsr\ncsrw mtvec, %0\n.option pop" \
                     :                                                        \
                     : "r"(riscv_trap))
#endif
#endif
#ifndef TIMBER_INSTALL_TRAP
#define TIMBER_INSTALL_TRAP() ((void)0)
#endif

int main(void)
{
    float in[TIMBER_N_FEATURES];
    float out[TIMBER_N_OUTPUTS];
    char line[32 + 9 * TIMBER_N_OUTPUTS];
    uint32_t hash = 2166136261u;
    uint32_t row;
    uint32_t fp_single_flags = 0u;
    TIMBER_INSTALL_TRAP();
    for (row = 0u; row < timber_n_rows; row++) {
        int32_t st;
        int k;
        char *w = line;
        memcpy(in, &timber_vectors[row * (uint32_t)TIMBER_N_FEATURES], sizeof in);
        for (k = 0; k < TIMBER_N_OUTPUTS; k++) {
            out[k] = 0.0f;
        }
        fp_clear();
#ifdef TIMBER_STACK_PAINT
        st = measured_call(in, out);
#else
        st = timber_infer_single(in, out);
#endif
        {
            uint32_t raised = fp_flags();
            fp_single_flags |= raised;
            if ((raised & FP_FORBIDDEN) != 0u) {
                put_line('E', &row, 1, &raised, 1);
            }
        }
        *w++ = 'R';
        *w++ = ' ';
        w = put_dec(w, row);
        *w++ = ' ';
        w = put_dec(w, (uint32_t)st);
        for (k = 0; k < TIMBER_N_OUTPUTS; k++) {
            uint32_t bits;
            memcpy(&bits, &out[k], sizeof bits);
            hash = fnv1a_word(hash, bits);
#ifdef TIMBER_HARNESS_BATCH
            memcpy(&timber_single_out[row * (uint32_t)TIMBER_N_OUTPUTS + (uint32_t)k], &bits,
                   sizeof bits);
#endif
            *w++ = ' ';
            put_hex(w, bits);
            w += 8;
        }
        *w++ = '\n';
        *w = '\0';
        fputs(line, stdout);
    }
#ifdef TIMBER_HARNESS_BATCH
    if (timber_n_rows > 0u) {
        memcpy(timber_batch_in, timber_vectors,
               (size_t)timber_n_rows * (size_t)TIMBER_N_FEATURES * sizeof(float));
        batch_pass(1u);
        batch_pass(7u);
        batch_pass(timber_n_rows);
    }
#endif
#ifdef TIMBER_STACK_PAINT
    {
        char *w = line;
        *w++ = 'S';
        *w++ = ' ';
        w = put_dec(w, stack_peak);
        *w++ = ' ';
        w = put_dec(w, (uint32_t)TIMBER_STACK_PAINT);
        *w++ = '\n';
        *w = '\0';
        fputs(line, stdout);
    }
#endif
#if FP_READABLE
    {
        uint32_t h[2];
        h[0] = fp_single_flags;
#ifdef TIMBER_HARNESS_BATCH
        h[1] = fp_batch_flags;
#else
        h[1] = 0u;
#endif
        put_line('G', 0, 0, h, 2);
    }
#else
    fputs("G -\n", stdout);
#endif
    {
        char *w = line;
        *w++ = 'H';
        *w++ = ' ';
        put_hex(w, hash);
        w += 8;
        *w++ = ' ';
        w = put_dec(w, timber_n_rows);
        *w++ = '\n';
        *w = '\0';
        fputs(line, stdout);
    }
    fflush(stdout);
    return 0;
}
