/*
 * The fp32 multiply-add ceiling of this CPU: each thread runs independent
 * chains of 512-bit FMAs (enough to hide their latency) and reports GFLOP/s;
 * one and two threads. What a dense fp32 kernel (MLAS's SGEMM) can at most
 * reach here; bench/gemm_ceiling.ts sets TiTok's encoder against it.
 *
 *   gcc -O3 -mavx512f -pthread bench/fma_peak.c -o /tmp/fma_peak && /tmp/fma_peak
 * (-O3: at -O2 gcc keeps the chains in memory and measures the stores, not the FMAs.)
 */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#define CHAINS 12
#define ITERS 200000000L

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static void *chains(void *out) {
  __m512 acc[CHAINS];
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_set1_ps((float)c);
  for (long i = 0; i < ITERS; i++) {
    for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_fmadd_ps(acc[c], a, b);
  }
  float sum = 0;
  for (int c = 0; c < CHAINS; c++) sum += _mm512_reduce_add_ps(acc[c]);
  *(float *)out = sum; /* keeps the chains live */
  return NULL;
}

int main(void) {
  for (int threads = 1; threads <= 2; threads++) {
    pthread_t t[2];
    float sink[2];
    double start = now();
    for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, chains, &sink[i]);
    for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
    double s = now() - start, flop = 2.0 * 16 * CHAINS * (double)ITERS * threads;
    printf("%d thread(s): %.1f GFLOP/s fp32 FMA (%.2f s; sink %g)\n", threads, flop / s / 1e9, s, sink[0]);
  }
  return 0;
}
