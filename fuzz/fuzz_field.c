/*
 * fuzz_field.c — libFuzzer target for field questionnaire files (survey.h field_check: the
 * reading and checking of FILE.csv and FILE.members.csv that `pinggu field import` does,
 * without a store). Input: one byte choosing the form (registered-household, with its member
 * repeat; general-household; village-exit), then the questionnaire file, then optionally
 * "\n--members--\n" and the members file. Any bytes give counts or a list of errors, never a
 * crash or a leak.
 *
 * The forms are read once from $PINGGU_FORMS (default "forms", as `make fuzz-run` runs from
 * the repository root); the files are written to a private temporary folder (in /dev/shm
 * where there is one).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "survey/survey.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static struct form *forms[3];
static char dir[64], qpath[96], mpath[112];

static void setup(void)
{
    static const char *names[3] = {"registered-household", "general-household", "village-exit"};
    const char *fd = getenv("PINGGU_FORMS");
    char path[512];
    struct error e;
    if (!fd) fd = "forms";
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s.json", fd, names[i]);
        if (form_load(path, &forms[i], NULL, NULL, &e)) {
            fprintf(stderr, "fuzz_field: cannot load %s (run from the repository root or set "
                            "PINGGU_FORMS)\n",
                    path);
            abort();
        }
    }
    snprintf(dir, sizeof dir, "/dev/shm/fuzz_field.XXXXXX"); /* in memory where there is one */
    if (!mkdtemp(dir)) {
        snprintf(dir, sizeof dir, "/tmp/fuzz_field.XXXXXX");
        if (!mkdtemp(dir)) abort();
    }
    snprintf(qpath, sizeof qpath, "%s/q.csv", dir);
    snprintf(mpath, sizeof mpath, "%s/q.members.csv", dir);
}

static void put(const char *path, const unsigned char *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (n && fwrite(p, 1, n, f) != n) abort();
    fclose(f);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static const char sep[] = "\n--members--\n";
    const unsigned char *cut;
    struct errlist errs;
    struct field_stats st;
    struct error e;
    const struct form *f;
    if (!forms[0]) setup();
    if (size < 1) return 0;
    f = forms[data[0] % 3];
    data++, size--;
    cut = memmem(data, size, sep, sizeof sep - 1);
    if (cut) {
        put(qpath, data, (size_t)(cut - data));
        cut += sizeof sep - 1;
        put(mpath, cut, size - (size_t)(cut - data));
    } else {
        put(qpath, data, size);
        unlink(mpath);
    }
    errlist_init(&errs, 10);
    field_check(f, qpath, 1, 20191125, &st, &errs, &e);
    errlist_release(&errs);
    return 0;
}
