/*
 * u64map.c — open-addressing hash table from nonzero 64-bit keys to 64-bit values (base.h).
 *
 * Used for the registry's in-memory indexes: packed resident IDs (duplicate detection on
 * import, the comparison engine's join) and string keys hashed with u64_hash_str. Linear
 * probing over power-of-two capacity, growth at 50% load; key 0 marks an empty slot.
 */
#include "base.h"

#include <string.h>

static inline uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

void u64map_init(struct u64map *m)
{
    memset(m, 0, sizeof *m);
}

void u64map_release(struct u64map *m)
{
    mem_free(m->keys);
    mem_free(m->vals);
    memset(m, 0, sizeof *m);
}

static int rehash(struct u64map *m, size_t cap)
{
    uint64_t *keys = mem_calloc(cap, sizeof *keys);
    uint64_t *vals = mem_alloc(cap * sizeof *vals);
    if (!keys || !vals) {
        mem_free(keys);
        mem_free(vals);
        return ERR_NOMEM;
    }
    for (size_t i = 0; i < m->cap; i++) {
        uint64_t k = m->keys[i];
        size_t j;
        if (!k) continue;
        for (j = mix(k) & (cap - 1); keys[j]; j = (j + 1) & (cap - 1)) {}
        keys[j] = k;
        vals[j] = m->vals[i];
    }
    mem_free(m->keys);
    mem_free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = cap;
    return 0;
}

int u64map_reserve(struct u64map *m, size_t n)
{
    size_t cap = 16;
    while (cap < n * 2) cap *= 2;
    return cap > m->cap ? rehash(m, cap) : 0;
}

int u64map_put(struct u64map *m, uint64_t key, uint64_t val, uint64_t *old)
{
    size_t j;
    if ((m->n + 1) * 2 > m->cap && rehash(m, m->cap ? m->cap * 2 : 16)) return ERR_NOMEM;
    for (j = mix(key) & (m->cap - 1); m->keys[j]; j = (j + 1) & (m->cap - 1)) {
        if (m->keys[j] == key) {
            if (old) *old = m->vals[j];
            return 0;
        }
    }
    m->keys[j] = key;
    m->vals[j] = val;
    m->n++;
    return 1;
}

uint64_t *u64map_get(const struct u64map *m, uint64_t key)
{
    if (!m->cap) return NULL;
    for (size_t j = mix(key) & (m->cap - 1); m->keys[j]; j = (j + 1) & (m->cap - 1))
        if (m->keys[j] == key) return &m->vals[j];
    return NULL;
}

uint64_t u64_hash_str(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a, then mixed */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    h = mix(h ^ n);
    return h ? h : 1;
}
