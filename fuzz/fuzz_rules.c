/*
 * fuzz_rules.c — libFuzzer target for comparison rules files (compare.h
 * compare_rules_parse): any bytes give loaded rules or a list of errors with JSON paths, never
 * a crash or a leak. Loaded rules also have their relative dates resolved, as a run would.
 */
#include <stdlib.h>

#include "compare/compare.h"
#include "compare/compare_int.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    struct compare_rules *r = NULL;
    struct errlist errs;
    struct error e;
    errlist_init(&errs, 10);
    if (compare_rules_parse("fuzz.json", (const char *)data, size, &r, &errs, &e) == 0) {
        for (size_t i = 0; i < r->nrules; i++)
            for (size_t k = 0; k < r->rules[i].nsrc; k++)
                for (size_t c = 0; c < r->rules[i].src[k].ncond; c++) {
                    const struct cmp_cond *cd = &r->rules[i].src[k].cond[c];
                    (void)cmp_date_resolve(&cd->from, r->reference_date, 0);
                    (void)cmp_date_resolve(&cd->to, r->reference_date, 99991231);
                }
        compare_rules_free(r);
    }
    errlist_release(&errs);
    return 0;
}
