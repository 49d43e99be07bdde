/*
 * fuzz_plan.c — libFuzzer target for plan files (plan.h plan_parse): any bytes give a plan or
 * a list of errors, never a crash or a leak.
 */
#include <stdlib.h>

#include "plan/plan.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    struct plan p;
    struct errlist errs;
    struct error e;
    errlist_init(&errs, 10);
    plan_parse("fuzz.json", (const char *)data, size, &p, &errs, &e);
    plan_release(&p);
    errlist_release(&errs);
    return 0;
}
