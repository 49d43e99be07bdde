/*
 * ticket.c — Rivest's consistent-sampling tickets (DESIGN §5), bit-compatible with the
 * public `consistent_sampler` package so that its Python implementation can check ours:
 *
 *   sha256_uniform(s) = "0." + reverse(decimal(int(sha256_hex(s), 16)) zero-padded to >= 64)
 *   ticket(id, seed)  = sha256_uniform(sha256_hex(seed) + id)
 *
 * Tickets compare as strings. Because the digits are reversed, the first digits of a ticket
 * are the *least* significant decimal digits of the hash: ticket_key takes the first 18 as
 * an integer (the integer's value mod 10^18, digits reversed), which orders tickets exactly
 * except for ties in those 18 digits, where callers compare the full strings.
 *
 * Invariant: no floating point anywhere in ticket computation.
 */
#include "plan.h"

#include <string.h>

void ticket_uniform(const char *s, size_t n, char out[TICKET_MAX])
{
    unsigned char h[32];
    uint64_t limb[4]; /* big-endian limbs: limb[0] most significant */
    char dec[100];    /* decimal digits, least significant first */
    size_t nd = 0;
    hash_sha256(s, n, h);
    for (int i = 0; i < 4; i++) {
        limb[i] = 0;
        for (int j = 0; j < 8; j++) limb[i] = (limb[i] << 8) | h[i * 8 + j];
    }
    /* repeated division by 10^19 yields 19 decimal digits at a time */
    for (;;) {
        unsigned __int128 rem = 0;
        int zero = 1;
        uint64_t r;
        for (int i = 0; i < 4; i++) {
            unsigned __int128 cur = (rem << 64) | limb[i];
            limb[i] = (uint64_t)(cur / 10000000000000000000ULL);
            rem = cur % 10000000000000000000ULL;
            if (limb[i]) zero = 0;
        }
        r = (uint64_t)rem;
        for (int k = 0; k < 19; k++) {
            dec[nd++] = (char)('0' + r % 10);
            r /= 10;
        }
        if (zero) break;
    }
    /* strip the leading zeros of the decimal number (at the end of dec) */
    while (nd > 1 && dec[nd - 1] == '0') nd--;
    while (nd < 64) dec[nd++] = '0'; /* zero-pad the number to 64 digits */
    out[0] = '0';
    out[1] = '.';
    memcpy(out + 2, dec, nd); /* dec is already reversed: least significant first */
    out[2 + nd] = '\0';
}

void ticket_seed_hex(const char *seed, char seed_hex[65])
{
    hash_sha256_hex(seed, strlen(seed), seed_hex);
}

void ticket_of(const char seed_hex[65], const char *id, char out[TICKET_MAX])
{
    char buf[512];
    size_t n = strlen(id);
    if (n > sizeof buf - 65) n = sizeof buf - 65; /* unit ids are far shorter */
    memcpy(buf, seed_hex, 64);
    memcpy(buf + 64, id, n);
    ticket_uniform(buf, 64 + n, out);
}

uint64_t ticket_key(const char *t)
{
    uint64_t k = 0;
    for (int i = 0; i < 18; i++) k = k * 10 + (uint64_t)(t[2 + i] - '0');
    return k;
}

double ticket_fraction(const char *t)
{
    return (double)ticket_key(t) / 1e18;
}

void seed_commitment(const char *seed, char out[65])
{
    hash_sha256_hex(seed, strlen(seed), out);
}
