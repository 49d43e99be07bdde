/*
 * mem.c — the one allocation wrapper (STYLE.md rule 6).
 *
 * Every allocation in pinggu goes through mem_*, so that unit tests can make the n-th
 * allocation fail (mem_fail_after) and check that each caller reports ERR_NOMEM and leaks
 * nothing. The counter is process-global on purpose: it is a test hook, not state that any
 * result depends on. Threads: the importer's reader thread allocates too, so the counter is
 * atomic; injection itself is only used by single-threaded tests.
 */
#include "base.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_long fail_at;  /* 0: off; else the allocation number that fails */
static atomic_long counted;  /* allocations since the last mem_fail_after */
static atomic_int fail_sticky;

static int should_fail(void)
{
    long n = atomic_fetch_add(&counted, 1) + 1;
    long at = atomic_load(&fail_at);
    if (at == 0) return 0;
    if (n == at) return 1;
    return atomic_load(&fail_sticky) && n > at;
}

long mem_fail_after(long n, int sticky)
{
    long was = atomic_exchange(&counted, 0);
    atomic_store(&fail_at, n);
    atomic_store(&fail_sticky, sticky);
    return was;
}

void *mem_alloc(size_t n)
{
    if (should_fail()) return NULL;
    return malloc(n ? n : 1);
}

void *mem_calloc(size_t n, size_t size)
{
    if (should_fail()) return NULL;
    return calloc(n ? n : 1, size ? size : 1);
}

void *mem_realloc(void *p, size_t n)
{
    if (should_fail()) return NULL;
    return realloc(p, n ? n : 1);
}

void mem_free(void *p)
{
    free(p);
}

char *mem_strndup(const char *s, size_t n)
{
    char *d;
    if (!s) return NULL;
    d = mem_alloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *mem_strdup(const char *s)
{
    return s ? mem_strndup(s, strlen(s)) : NULL;
}
