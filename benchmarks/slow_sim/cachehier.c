/* cachehier: a two-level cache hierarchy simulator, the slow external program of
 * benchmarks/bench_proxy.py (compiled there and in the tests with gcc; no binary is kept).
 *
 * usage: cachehier CONFIG ACCESSES
 *   CONFIG    lines "key value": l1_kb, l1_assoc, l2_kb, l2_assoc, line_b, prefetch
 *   ACCESSES  length of the address trace (about 0.3 s per 10^7 on one core)
 * prints one JSON line: {"amat_ns": ..., "energy_uj": ..., "area_mm2": ...}
 *
 * The trace interleaves three streams, as a blocked matrix kernel sees them: a blocked
 * 256x256 double GEMM walk (reuse at the block size), a sequential stream (spatial
 * locality, helped by prefetch) and pointer chasing over 4 MB (misses everywhere). Both
 * levels are set-associative LRU, write-allocate; the L1 prefetches the next `prefetch`
 * lines on a miss. Latencies and energies grow with capacity and associativity the way
 * CACTI's do (sqrt of size, log of ways); area is linear in capacity plus tags.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int sets, ways, line_shift;
    unsigned long long *tag;
    unsigned int *age;
    unsigned long long hits, misses;
} Cache;

static int log2i(int x) {
    int s = 0;
    while ((1 << s) < x) s++;
    return s;
}

static void init(Cache *c, int kb, int ways, int line_b) {
    c->ways = ways;
    c->line_shift = log2i(line_b);
    c->sets = kb * 1024 / (line_b * ways);
    if (c->sets < 1) c->sets = 1;
    c->tag = calloc((size_t)c->sets * ways, sizeof *c->tag);
    c->age = calloc((size_t)c->sets * ways, sizeof *c->age);
    for (long i = 0; i < (long)c->sets * ways; i++) c->tag[i] = ~0ULL;
    c->hits = c->misses = 0;
}

/* Returns 1 on a hit; on a miss the LRU way is refilled. */
static int access_line(Cache *c, unsigned long long line, int count) {
    int set = (int)(line % (unsigned long long)c->sets);
    unsigned long long *t = c->tag + (long)set * c->ways;
    unsigned int *a = c->age + (long)set * c->ways;
    int victim = 0;
    for (int w = 0; w < c->ways; w++) {
        if (t[w] == line) {
            for (int v = 0; v < c->ways; v++) if (a[v] < a[w]) a[v]++;
            a[w] = 0;
            if (count) c->hits++;
            return 1;
        }
        if (a[w] > a[victim]) victim = w;
    }
    for (int v = 0; v < c->ways; v++) a[v]++;
    t[victim] = line;
    a[victim] = 0;
    if (count) c->misses++;
    return 0;
}

static unsigned long long rng = 88172645463325252ULL;
static unsigned long long xorshift(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: cachehier CONFIG ACCESSES\n");
        return 2;
    }
    long accesses = atol(argv[2]);
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror("cachehier: cannot open config");
        return 2;
    }
    int l1_kb = 0, l1_assoc = 0, l2_kb = 0, l2_assoc = 0, line_b = 0, prefetch = -1;
    char key[64];
    int value;
    while (fscanf(f, "%63s %d", key, &value) == 2) {
        if (!strcmp(key, "l1_kb")) l1_kb = value;
        else if (!strcmp(key, "l1_assoc")) l1_assoc = value;
        else if (!strcmp(key, "l2_kb")) l2_kb = value;
        else if (!strcmp(key, "l2_assoc")) l2_assoc = value;
        else if (!strcmp(key, "line_b")) line_b = value;
        else if (!strcmp(key, "prefetch")) prefetch = value;
    }
    fclose(f);
    if (l1_kb <= 0 || l1_assoc <= 0 || l2_kb <= 0 || l2_assoc <= 0 || line_b <= 0 || prefetch < 0 ||
        accesses <= 0) {
        fprintf(stderr, "cachehier: config needs positive l1_kb l1_assoc l2_kb l2_assoc line_b, prefetch >= 0\n");
        return 2;
    }
    Cache l1, l2;
    init(&l1, l1_kb, l1_assoc, line_b);
    init(&l2, l2_kb, l2_assoc, line_b);
    const int N = 256, B = 32;
    unsigned long long A = 0x10000000ULL, Bm = 0x20000000ULL, S = 0x40000000ULL, P = 0x80000000ULL;
    long i = 0, j = 0, k = 0, bi = 0, bj = 0, bk = 0, s = 0;
    unsigned long long chase = 0, prefetches = 0;
    for (long n = 0; n < accesses; n++) {
        unsigned long long addr;
        int kind = n % 8;
        if (kind < 5) { /* blocked GEMM: A[i][k] and B[k][j] in turn */
            addr = (n & 1) ? Bm + 8ULL * ((bk + k) * N + bj + j) : A + 8ULL * ((bi + i) * N + bk + k);
            if (++k == B) { k = 0; if (++j == B) { j = 0; if (++i == B) { i = 0;
                if ((bk += B) == N) { bk = 0; if ((bj += B) == N) { bj = 0; if ((bi += B) == N) bi = 0; } } } } }
        } else if (kind < 7) { /* sequential stream */
            addr = S + 8ULL * (unsigned long long)(s++ % (1 << 20));
        } else { /* pointer chase over 4 MB */
            chase = (chase * 6364136223846793005ULL + (xorshift() & 0xffff)) % (4ULL << 20);
            addr = P + (chase & ~7ULL);
        }
        unsigned long long line = addr >> l1.line_shift;
        if (!access_line(&l1, line, 1)) {
            access_line(&l2, line, 1);
            for (int p = 1; p <= prefetch; p++) {
                prefetches++;
                if (!access_line(&l1, line + p, 0)) access_line(&l2, line + p, 0);
            }
        }
    }
    /* CACTI-like scaling: access time and energy grow with sqrt(capacity) and log2(ways). */
    double l1_ns = 0.4 + 0.12 * sqrt(l1_kb) + 0.08 * log2(l1_assoc) + 0.002 * line_b;
    double l2_ns = 2.0 + 0.25 * sqrt(l2_kb) + 0.15 * log2(l2_assoc) + 0.004 * line_b;
    double mem_ns = 60.0 + line_b / 8.0;
    double m1 = (double)l1.misses / (l1.hits + l1.misses);
    double m2 = l2.hits + l2.misses ? (double)l2.misses / (l2.hits + l2.misses) : 0.0;
    double amat = l1_ns + m1 * (l2_ns + m2 * mem_ns);
    double e1 = 0.005 * sqrt(l1_kb) * (1 + 0.25 * l1_assoc) * (line_b / 64.0 + 0.5);
    double e2 = 0.02 * sqrt(l2_kb) * (1 + 0.1 * l2_assoc) * (line_b / 64.0 + 0.5);
    double edram = 1.5 * line_b / 64.0;
    double energy_nj = accesses * e1 + (l1.misses + prefetches) * e2 + (l2.misses + prefetches * m2) * edram;
    double area = 0.011 * l1_kb * (1 + 0.03 * l1_assoc) + 0.006 * l2_kb * (1 + 0.01 * l2_assoc) +
                  0.0004 * (l1_kb + l2_kb) * 1024.0 / line_b;
    printf("{\"amat_ns\": %.6f, \"energy_uj\": %.6f, \"area_mm2\": %.6f}\n", amat, energy_nj / 1000.0, area);
    return 0;
}
