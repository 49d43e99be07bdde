/*
 * tmpdir.c — the one place a private temporary folder is made (base.h tmpdir_make): under
 * $TMPDIR when it is set and not empty, else /tmp, named PREFIX-XXXXXX by mkdtemp, so it is
 * new, unique and mode 0700 (the server's uploads, downloads and report builds, and the
 * survey stage's submission files, each use one and remove it when done).
 *
 * Invariant: on failure out is the empty string, so a caller's clean-up that removes "out
 * when not empty" never touches another folder.
 */
#include "base.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int tmpdir_make(char *out, size_t size, const char *prefix)
{
    const char *tmp = getenv("TMPDIR");
    int n = snprintf(out, size, "%s/%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", prefix);
    if (n < 0 || (size_t)n >= size || !mkdtemp(out)) {
        if (size) out[0] = '\0';
        return -1;
    }
    return 0;
}

void tmpdir_remove(const char *dir)
{
    DIR *d;
    struct dirent *de;
    char p[1200];
    if (!dir || !*dir) return;
    if ((d = opendir(dir))) {
        while ((de = readdir(d)))
            if (de->d_name[0] != '.') {
                snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
                unlink(p);
            }
        closedir(d);
    }
    rmdir(dir);
}
