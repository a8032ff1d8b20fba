/* make bench: how long pam_start + pam_authenticate + pam_end take for a
 * stack, N times: "permit" (pam_permit alone, the baseline) against one
 * whose first line loads pam_phonemfa.so and is skipped at once. The
 * difference is what loading the module costs an application. Prints the
 * median in microseconds. */
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int no_conversation(int n, const struct pam_message **m, struct pam_response **r, void *d)
{
    (void)n;
    (void)m;
    (void)r;
    (void)d;
    return PAM_CONV_ERR;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fputs("usage: pam_load_bench CONFDIR SERVICE RUNS\n", stderr);
        return 2;
    }
    int runs = atoi(argv[3]);
    double *times = calloc((size_t)runs, sizeof *times);
    struct pam_conv conv = {no_conversation, NULL};
    if (times == NULL || runs < 1)
        return 2;
    for (int i = 0; i < runs; i++) {
        struct timespec start, end;
        pam_handle_t *pamh = NULL;
        clock_gettime(CLOCK_MONOTONIC, &start);
        if (pam_start_confdir(argv[2], "bench", &conv, argv[1], &pamh) != PAM_SUCCESS)
            return 1;
        (void)pam_authenticate(pamh, PAM_SILENT);
        pam_end(pamh, PAM_SUCCESS);
        clock_gettime(CLOCK_MONOTONIC, &end);
        times[i] = (double)(end.tv_sec - start.tv_sec) * 1e6 + (double)(end.tv_nsec - start.tv_nsec) / 1e3;
    }
    qsort(times, (size_t)runs, sizeof *times, by_value);
    printf("%.1f\n", times[runs / 2]);
    free(times);
    return 0;
}
