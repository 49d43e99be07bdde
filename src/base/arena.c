/*
 * arena.c — bump allocation (base.h): one arena per import batch, request or query, freed
 * at once. Blocks are chained newest first; a request larger than the block size gets a
 * block of its own. Alignment is 16 so any type may be placed.
 */
#include "base.h"

#include <string.h>

struct arena_block {
    struct arena_block *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
};

void arena_init(struct arena *a, size_t block_size)
{
    a->head = NULL;
    a->block_size = block_size ? block_size : 64 * 1024;
    a->used = 0;
}

void arena_release(struct arena *a)
{
    struct arena_block *b = a->head, *next;
    for (; b; b = next) {
        next = b->next;
        mem_free(b);
    }
    a->head = NULL;
    a->used = 0;
}

void *arena_alloc(struct arena *a, size_t n)
{
    struct arena_block *b = a->head;
    size_t need = (n + 15) & ~(size_t)15;
    if (need < n) return NULL; /* overflow */
    if (!b || b->size - b->used < need) {
        size_t size = need > a->block_size ? need : a->block_size;
        b = mem_alloc(sizeof *b + size);
        if (!b) return NULL;
        b->size = size;
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    b->used += need;
    a->used += need;
    return b->data + b->used - need;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *d = arena_alloc(a, n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *arena_strdup(struct arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
    va_list ap;
    int n;
    char *d;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    d = arena_alloc(a, (size_t)n + 1);
    if (!d) return NULL;
    va_start(ap, fmt);
    vsnprintf(d, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return d;
}
