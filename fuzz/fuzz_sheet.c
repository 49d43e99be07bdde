/*
 * fuzz_sheet.c — libFuzzer target for score sheets (estimate.h score_sheet_check: the CSV
 * tree,unit,item,value[,name] that `pinggu score --inputs` reads, read against a scored plan
 * without a store). Input: one byte choosing the plan (district-2020h1, Henan's township and
 * department trees; shaanxi-four-rates-2017), then the sheet. Any bytes give a list of
 * problems or none, never a crash or a leak.
 *
 * The plans are read once from $PINGGU_PLANS (default "plans", as `make fuzz-run` runs from
 * the repository root); the sheet is written to a private temporary file (in /dev/shm where
 * there is one).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "estimate/estimate.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static struct plan plans[2];
static int ready;
static char path[64];

static void setup(void)
{
    static const char *names[2] = {"district-2020h1", "shaanxi-four-rates-2017"};
    const char *pd = getenv("PINGGU_PLANS");
    char file[512];
    struct errlist errs;
    struct error e;
    int fd;
    if (!pd) pd = "plans";
    for (int i = 0; i < 2; i++) {
        snprintf(file, sizeof file, "%s/%s.json", pd, names[i]);
        errlist_init(&errs, 10);
        if (plan_load(file, &plans[i], &errs, &e) || !plans[i].scored) {
            fprintf(stderr, "fuzz_sheet: cannot load the scored plan %s (run from the repository "
                            "root or set PINGGU_PLANS)\n",
                    file);
            abort();
        }
        errlist_release(&errs);
    }
    snprintf(path, sizeof path, "/dev/shm/fuzz_sheet.XXXXXX"); /* in memory where there is one */
    fd = mkstemp(path);
    if (fd < 0) {
        snprintf(path, sizeof path, "/tmp/fuzz_sheet.XXXXXX");
        fd = mkstemp(path);
    }
    if (fd < 0) abort();
    close(fd);
    ready = 1;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    struct errlist errs;
    struct error e;
    FILE *f;
    if (!ready) setup();
    if (size < 1) return 0;
    f = fopen(path, "wb");
    if (!f) abort();
    if (size > 1 && fwrite(data + 1, 1, size - 1, f) != size - 1) abort();
    fclose(f);
    errlist_init(&errs, 10);
    score_sheet_check(&plans[data[0] % 2], path, &errs, &e);
    errlist_release(&errs);
    return 0;
}
