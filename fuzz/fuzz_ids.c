/*
 * fuzz_ids.c — libFuzzer target for the resident-ID parser (base.h ids_parse): any bytes
 * must give a verdict without reading out of bounds; a valid verdict must round-trip
 * through pack/unpack and re-parse to itself.
 */
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    struct rid r, again;
    char why[256], out[19];
    enum ids_problem p = ids_parse((const char *)data, size, 20261101, &r, why, sizeof why);
    if (p != IDS_OK) return 0;
    ids_unpack(r.key, out);
    if (memcmp(out, r.s, 19)) abort();
    if (ids_parse(r.s, 18, 20261101, &again, why, sizeof why) != IDS_OK) abort();
    if (again.key != r.key || again.birth != r.birth || again.sex != r.sex) abort();
    return 0;
}
