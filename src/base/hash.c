/*
 * hash.c — hashing (base.h): SHA-256 for seed commitments and sampling tickets (DESIGN §5
 * fixes SHA-256 so that outside implementations agree), BLAKE2b-256 for row digests (fast in
 * software), a streaming Merkle accumulator for batch digests, and the canonical typed row
 * encoding both the importer and the audit verifier hash. All through libsodium.
 *
 * Invariant: the row encoding is injective — a type tag per value and a length prefix per
 * text — so two different rows never encode to the same bytes.
 */
#include "base.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static void init_sodium(void)
{
    if (sodium_init() < 0) abort(); /* cannot happen on a working libsodium */
}

void hash_sha256(const void *data, size_t len, unsigned char out[32])
{
    pthread_once(&once, init_sodium);
    crypto_hash_sha256(out, data, len);
}

void hash_hex(const unsigned char *in, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[in[i] >> 4];
        out[2 * i + 1] = hx[in[i] & 15];
    }
    out[2 * n] = '\0';
}

void hash_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char h[32];
    hash_sha256(data, len, h);
    hash_hex(h, 32, out);
}

int hash_unhex32(const char *hex, unsigned char out[32])
{
    for (int i = 0; i < 64; i++) {
        char c = hex[i];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (v < 0) return -1;
        if (i % 2 == 0) out[i / 2] = (unsigned char)(v << 4);
        else out[i / 2] |= (unsigned char)v;
    }
    return hex[64] == '\0' ? 0 : -1;
}

_Static_assert(sizeof(crypto_hash_sha256_state) <= sizeof(((struct sha256 *)0)->state),
               "struct sha256 too small for libsodium's state");

void sha256_init(struct sha256 *h)
{
    pthread_once(&once, init_sodium);
    crypto_hash_sha256_init((crypto_hash_sha256_state *)h->state);
}

void sha256_update(struct sha256 *h, const void *data, size_t len)
{
    crypto_hash_sha256_update((crypto_hash_sha256_state *)h->state, data, len);
}

void sha256_final_hex(struct sha256 *h, char out[65])
{
    unsigned char d[32];
    crypto_hash_sha256_final((crypto_hash_sha256_state *)h->state, d);
    hash_hex(d, 32, out);
}

void hash_blake2b(const void *data, size_t len, unsigned char out[32])
{
    pthread_once(&once, init_sodium);
    crypto_generichash(out, 32, data, len, NULL, 0);
}

static void node(const unsigned char *l, const unsigned char *r, unsigned char out[32])
{
    unsigned char in[65];
    in[0] = 1;
    memcpy(in + 1, l, 32);
    memcpy(in + 33, r, 32);
    hash_blake2b(in, sizeof in, out);
}

void merkle_init(struct merkle *m)
{
    m->count = 0;
}

void merkle_add(struct merkle *m, const unsigned char leaf[32])
{
    unsigned char cur[32], in[33];
    int lvl = 0;
    in[0] = 0;
    memcpy(in + 1, leaf, 32);
    hash_blake2b(in, sizeof in, cur);
    /* carry like a binary counter: merge equal-height subtrees */
    while (m->count & ((uint64_t)1 << lvl)) {
        node(m->level[lvl], cur, cur);
        lvl++;
    }
    memcpy(m->level[lvl], cur, 32);
    m->count++;
}

void merkle_root(const struct merkle *m, unsigned char out[32])
{
    unsigned char acc[32];
    int have = 0;
    if (m->count == 0) {
        memset(out, 0, 32);
        return;
    }
    /* fold pending subtrees from the smallest (rightmost) up: an odd subtree is promoted */
    for (int lvl = 0; lvl < 64; lvl++) {
        if (!(m->count & ((uint64_t)1 << lvl))) continue;
        if (!have) {
            memcpy(acc, m->level[lvl], 32);
            have = 1;
        } else {
            node(m->level[lvl], acc, acc);
        }
    }
    memcpy(out, acc, 32);
}

_Static_assert(sizeof(crypto_generichash_state) <= sizeof(((struct rowstream *)0)->state),
               "struct rowstream too small for libsodium's state");

static void chunk_open(struct rowstream *s)
{
    crypto_generichash_init((crypto_generichash_state *)s->state, NULL, 0, 32);
    s->in_chunk = 0;
}

void rowstream_init(struct rowstream *s)
{
    pthread_once(&once, init_sodium);
    merkle_init(&s->mk);
    s->rows = 0;
    chunk_open(s);
}

void rowstream_add(struct rowstream *s, const void *enc, size_t len)
{
    unsigned char n[4];
    for (int i = 0; i < 4; i++) n[i] = (unsigned char)((uint32_t)len >> (8 * i));
    crypto_generichash_update((crypto_generichash_state *)s->state, n, 4);
    crypto_generichash_update((crypto_generichash_state *)s->state, enc, len);
    s->rows++;
    if (++s->in_chunk == ROWSTREAM_CHUNK) {
        unsigned char leaf[32];
        crypto_generichash_final((crypto_generichash_state *)s->state, leaf, 32);
        merkle_add(&s->mk, leaf);
        chunk_open(s);
    }
}

void rowstream_root(struct rowstream *s, unsigned char out[32])
{
    if (s->in_chunk) {
        unsigned char leaf[32];
        crypto_generichash_final((crypto_generichash_state *)s->state, leaf, 32);
        merkle_add(&s->mk, leaf);
        s->in_chunk = 0;
    }
    merkle_root(&s->mk, out);
}

void rowhash_init(struct rowhash *r)
{
    sb_init(&r->buf);
}

void rowhash_release(struct rowhash *r)
{
    sb_release(&r->buf);
}

void rowhash_reset(struct rowhash *r)
{
    sb_reset(&r->buf);
}

void rowhash_null(struct rowhash *r)
{
    sb_addch(&r->buf, 'N');
}

void rowhash_int(struct rowhash *r, int64_t v)
{
    unsigned char b[9];
    uint64_t u = (uint64_t)v;
    b[0] = 'I';
    for (int i = 0; i < 8; i++) b[1 + i] = (unsigned char)(u >> (8 * i));
    sb_add(&r->buf, b, sizeof b);
}

void rowhash_double(struct rowhash *r, double v)
{
    unsigned char b[9];
    uint64_t u;
    if (v == 0) v = 0; /* -0.0 and 0.0 hash alike */
    memcpy(&u, &v, 8);
    b[0] = 'D';
    for (int i = 0; i < 8; i++) b[1 + i] = (unsigned char)(u >> (8 * i));
    sb_add(&r->buf, b, sizeof b);
}

void rowhash_text(struct rowhash *r, const char *s, size_t n)
{
    unsigned char b[5];
    b[0] = 'T';
    for (int i = 0; i < 4; i++) b[1 + i] = (unsigned char)((uint32_t)n >> (8 * i));
    sb_add(&r->buf, b, sizeof b);
    sb_add(&r->buf, s, n);
}

const unsigned char *rowhash_bytes(const struct rowhash *r, size_t *len)
{
    if (sb_ok(&r->buf)) return NULL;
    *len = r->buf.len;
    return (const unsigned char *)r->buf.buf;
}

int rowhash_digest(struct rowhash *r, unsigned char out[32])
{
    if (sb_ok(&r->buf)) return ERR_NOMEM;
    hash_blake2b(r->buf.buf, r->buf.len, out);
    return 0;
}
