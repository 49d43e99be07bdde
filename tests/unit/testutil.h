/*
 * testutil.h — shared by the cmocka unit tests (tests/unit/test_*.c): includes, temporary
 * folders and files. Each test binary is one process (scripts/run-unit.sh).
 */
#ifndef PINGGU_TESTUTIL_H
#define PINGGU_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/base.h"

/* A fresh temporary folder; the caller frees the string (free()) and may leave the folder. */
static inline char *tu_tmpdir(void)
{
    char tmpl[] = "/tmp/pinggu-test-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

/* Writes text to dir/name. */
static inline void tu_write(const char *dir, const char *name, const char *text)
{
    char path[1024];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    fclose(f);
}

/* Reads dir/name into a malloc'd string (free()). */
static inline char *tu_read(const char *dir, const char *name)
{
    char path[1024];
    FILE *f;
    long n;
    char *buf;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static inline void tu_rmrf(const char *dir)
{
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

#endif
