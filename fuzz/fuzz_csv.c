/*
 * fuzz_csv.c — libFuzzer target for the streaming CSV reader (base.h csv_*): arbitrary bytes
 * (any encoding, quotes, line ends) must parse or fail cleanly, and every field of every row
 * must be valid UTF-8 of the length reported, with line numbers never going backwards.
 */
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    struct csv *c;
    struct error e;
    long last = 0;
    int rc;
    if (csv_open_mem("fuzz.csv", (const char *)data, size, &c, &e)) return 0;
    while ((rc = csv_next(c, &e)) == 1) {
        if (csv_line(c) < last) abort();
        last = csv_line(c);
        for (size_t i = 0; i < csv_nfields(c); i++) {
            const char *f = csv_field(c, i);
            if (strlen(f) > csv_field_len(c, i)) abort(); /* embedded NUL allowed, not more */
            if (!utf8_valid(f, csv_field_len(c, i))) abort();
        }
    }
    csv_close(c);
    return 0;
}
