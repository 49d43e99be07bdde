/*
 * fuzz_manifest.c — libFuzzer target for sample manifests (plan.h manifest_parse), the file
 * `pinggu sample verify` reads from anyone: any bytes give a validated manifest or one error
 * with its JSON path, never a crash, a leak or an unterminated string.
 */
#include <stdlib.h>
#include <string.h>

#include "plan/plan.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    struct manifest m;
    struct error e;
    if (manifest_parse("fuzz.json", (const char *)data, size, &m, &e) == 0) {
        /* a parsed manifest's strings are whole and terminated within their fields */
        if (strlen(m.plan_hash) != 64 || strlen(m.seed_commitment) != 64 || !*m.sample)
            abort();
        for (size_t i = 0; i < m.nunits; i++)
            if (strlen(m.units[i].unit) >= sizeof m.units[i].unit ||
                strlen(m.units[i].ticket) >= sizeof m.units[i].ticket)
                abort();
        for (size_t i = 0; i < m.nstrata; i++)
            if (strlen(m.strata[i].parent) >= sizeof m.strata[i].parent) abort();
    }
    manifest_release(&m);
    return 0;
}
