/*
 * datadir.c — where pinggu finds its shipped data (plans/, forms/, rules/, calendars/) when it
 * is run from anywhere (base.h data_find).
 *
 * Search order for a relative name such as "plans/anhui-cross-2019.json":
 *   1. the name itself, relative to the working directory (what the user typed wins);
 *   2. $PINGGU_DATA/NAME (an explicit override);
 *   3. the folder the running binary sits in, and its ../share/pinggu (a build tree, where the
 *      binary sits beside plans/, and an installed tree: PREFIX/bin/pinggu with
 *      PREFIX/share/pinggu/);
 *   4. PINGGU_DATADIR, compiled in by `make install PREFIX=...`.
 * Absolute names are used as given. Nothing is cached: the answer depends only on the
 * environment and the file system at the moment of the call.
 */
#include "base.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef PINGGU_DATADIR
#define PINGGU_DATADIR "/usr/local/share/pinggu"
#endif

static int exists(const char *p)
{
    return access(p, F_OK) == 0;
}

static int try_dir(const char *dir, const char *name, struct strbuf *out)
{
    if (!dir || !*dir) return 0;
    sb_reset(out);
    sb_addf(out, "%s/%s", dir, name);
    return sb_ok(out) == 0 && exists(out->buf);
}

int data_find(const char *name, struct strbuf *out)
{
    char exe[PATH_MAX];
    ssize_t n;
    sb_reset(out);
    if (!name || !*name) return -1;
    if (name[0] == '/' || exists(name)) {
        sb_adds(out, name);
        return sb_ok(out) ? -1 : 0;
    }
    if (try_dir(getenv("PINGGU_DATA"), name, out)) return 0;
    n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        char *slash;
        exe[n] = '\0';
        slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            if (try_dir(exe, name, out)) return 0;
            /* build/rel/pinggu and build/san/pinggu sit two folders below the tree */
            sb_reset(out);
            sb_addf(out, "%s/../../%s", exe, name);
            if (sb_ok(out) == 0 && exists(out->buf)) return 0;
            sb_reset(out);
            sb_addf(out, "%s/../share/pinggu/%s", exe, name);
            if (sb_ok(out) == 0 && exists(out->buf)) return 0;
        }
    }
    if (try_dir(PINGGU_DATADIR, name, out)) return 0;
    sb_reset(out);
    sb_adds(out, name); /* not found: the caller's open reports it under the name given */
    return sb_ok(out) ? -1 : 1;
}
