/*
 * keyfile.c — Ed25519 key files (base.h keyfile_read/keyfile_create): one line of 64 hex
 * digits, the seed, from which libsodium derives the key pair. Two stages keep such keys:
 * the store's checkpoint key (src/store/checkpoint.c) and each signer's key for report
 * sign-off (src/report/sign.c); both read and create them here.
 *
 * Invariants: a key file is written whole, mode 0600, to a temporary and then linked to its
 * name, so a reader never sees it empty or half-written and two threads or processes racing
 * to create it both end up with the one that won; a temporary is always removed; the seed and
 * the text holding it are wiped (sodium_memzero) before returning.
 */
#include "base.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int keyfile_read(const char *path, const char *what, unsigned char pk[32],
                 unsigned char sk[64], struct error *e)
{
    char buf[160];
    unsigned char seed[32];
    size_t len;
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT) return error_set(e, ERR_NOTFOUND, "%s: no such key file", path);
        return error_set(e, ERR_IO, "%s %s: %s", what, path, strerror(errno));
    }
    len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = '\0';
    while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' '))
        buf[--len] = '\0';
    if (len != 64 || hash_unhex32(buf, seed)) {
        sodium_memzero(buf, sizeof buf);
        return error_set(e, ERR_INVALID,
                         "%s %s:1: not a key (64 hex digits, the Ed25519 seed, expected)", what,
                         path);
    }
    crypto_sign_seed_keypair(pk, sk, seed);
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(buf, sizeof buf);
    return 0;
}

int keyfile_create(const char *path, const char *what, unsigned char pk[32],
                   unsigned char sk[64], struct error *e)
{
    unsigned char seed[32];
    char line[66], tmp[4096];
    int fd, rc = 0;
    /* the key is written whole to a temporary of its own (a mkstemp template, mode 0600)
     * and then linked to its name: link() fails with EEXIST when another thread or process
     * won, and a reader never sees the name before the key is in it */
    if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp)
        return error_set(e, ERR_IO, "cannot create %s %s: path too long", what, path);
    fd = mkstemp(tmp);
    if (fd < 0) return error_set(e, ERR_IO, "cannot create %s %s: %s", what, path, strerror(errno));
    randombytes_buf(seed, sizeof seed);
    hash_hex(seed, 32, line);
    line[64] = '\n';
    line[65] = '\0';
    if (write(fd, line, 65) != 65 || fsync(fd)) /* mkstemp made it mode 0600 */
        rc = error_set(e, ERR_IO, "cannot write %s %s: %s", what, tmp, strerror(errno));
    close(fd);
    if (!rc && link(tmp, path)) {
        if (errno == EEXIST) { /* another creator won: use its key */
            unlink(tmp);
            sodium_memzero(seed, sizeof seed);
            sodium_memzero(line, sizeof line);
            return keyfile_read(path, what, pk, sk, e);
        }
        rc = error_set(e, ERR_IO, "cannot create %s %s: %s", what, path, strerror(errno));
    }
    unlink(tmp);
    if (!rc) crypto_sign_seed_keypair(pk, sk, seed);
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(line, sizeof line);
    return rc;
}
