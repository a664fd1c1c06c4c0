/* cachesim: a set-associative cache model written for archgym's ExternalSimulator tests.
 *
 * usage: cachesim CONFIG WORKLOAD [--json]
 *   CONFIG   lines "key value": size_kb, assoc, line_b, policy (lru|fifo)
 *   WORKLOAD stream | random | loop (a synthetic address trace)
 * prints miss_rate, amat_ns and area_mm2, as "name: value" lines or one JSON line.
 *
 * It misbehaves on purpose on some designs, like real research code does:
 *   - sets == 0 (a tiny cache with a high associativity and long lines): aborts (SIGABRT);
 *   - fifo with size_kb 64 and assoc 1: forks a helper and both spin forever (a hang);
 *   - line_b 16 with assoc 8: prints garbage (invalid UTF-8 bytes and a malformed number,
 *     or NaN in JSON mode).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ACCESSES 20000

static unsigned long long rng_state = 12345;
static unsigned long long lcg(void) {
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return rng_state >> 33;
}

static unsigned long long address(const char *workload, int i) {
    if (strcmp(workload, "stream") == 0) return (unsigned long long)i * 8;
    if (strcmp(workload, "loop") == 0) return ((unsigned long long)i * 64) % (48 * 1024);
    return (lcg() % (256 * 1024)) & ~7ULL; /* random */
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: cachesim CONFIG WORKLOAD [--json]\n");
        return 2;
    }
    int json = argc > 3 && strcmp(argv[3], "--json") == 0;
    const char *workload = argv[2];
    if (strcmp(workload, "stream") && strcmp(workload, "random") && strcmp(workload, "loop")) {
        fprintf(stderr, "cachesim: unknown workload '%s'\n", workload);
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror("cachesim: cannot open config");
        return 2;
    }
    int size_kb = 0, assoc = 0, line_b = 0;
    char policy[32] = "", key[32], value[32];
    while (fscanf(f, "%31s %31s", key, value) == 2) {
        if (!strcmp(key, "size_kb")) size_kb = atoi(value);
        else if (!strcmp(key, "assoc")) assoc = atoi(value);
        else if (!strcmp(key, "line_b")) line_b = atoi(value);
        else if (!strcmp(key, "policy")) snprintf(policy, sizeof policy, "%s", value);
    }
    fclose(f);
    if (size_kb <= 0 || assoc <= 0 || line_b <= 0 || (strcmp(policy, "lru") && strcmp(policy, "fifo"))) {
        fprintf(stderr, "cachesim: bad config\n");
        return 2;
    }
    int sets = size_kb * 1024 / line_b / assoc;
    if (sets == 0) {
        fprintf(stderr, "cachesim: assertion 'sets > 0' failed (size_kb=%d assoc=%d line_b=%d)\n", size_kb, assoc, line_b);
        fflush(stderr);
        abort();
    }
    if (!strcmp(policy, "fifo") && size_kb == 64 && assoc == 1) {
        pid_t child = fork();
        fprintf(stderr, "cachesim: spinning pid=%d\n", (int)getpid());
        fflush(stderr);
        (void)child;
        for (volatile unsigned long n = 0;; n++) {
        }
    }
    if (line_b == 16 && assoc == 8) {
        if (json) printf("{\"miss_rate\": NaN, \"amat_ns\": 1.0, \"area_mm2\": 1.0}\n");
        else printf("miss_rate: 0.1.2\n\xff\xfe garbage \x80\namat_ns: ???\n");
        return 0;
    }
    unsigned long long *tags = calloc((size_t)sets * assoc, sizeof *tags);
    unsigned long long *stamp = calloc((size_t)sets * assoc, sizeof *stamp);
    int misses = 0;
    for (int i = 0; i < ACCESSES; i++) {
        unsigned long long block = address(workload, i) / line_b;
        int set = (int)(block % sets);
        unsigned long long tag = block / sets + 1; /* 0 marks an empty way */
        unsigned long long *t = tags + (size_t)set * assoc, *s = stamp + (size_t)set * assoc;
        int hit = -1, victim = 0;
        for (int w = 0; w < assoc; w++) {
            if (t[w] == tag) hit = w;
            if (s[w] < s[victim]) victim = w;
        }
        if (hit >= 0) {
            if (!strcmp(policy, "lru")) s[hit] = i + 1;
        } else {
            misses++;
            t[victim] = tag;
            s[victim] = i + 1;
        }
    }
    double miss_rate = (double)misses / ACCESSES;
    double hit_ns = 0.5 + 0.1 * (assoc > 1 ? __builtin_ctz(assoc) : 0) + 0.05 * __builtin_ctz(size_kb);
    double amat_ns = hit_ns + miss_rate * (60.0 + line_b / 16.0);
    double area_mm2 = 0.01 * size_kb * (1.0 + 0.03 * assoc) + 0.002 * line_b;
    if (json) printf("{\"miss_rate\": %.6f, \"amat_ns\": %.6f, \"area_mm2\": %.6f}\n", miss_rate, amat_ns, area_mm2);
    else printf("cachesim 1.0\nmiss_rate: %.6f\namat_ns: %.6f\narea_mm2: %.6f\n", miss_rate, amat_ns, area_mm2);
    free(tags);
    free(stamp);
    return 0;
}
