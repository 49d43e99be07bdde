/*
 * fuzz_public.c — libFuzzer target for the household query listener's one request parser
 * (server.h server_form_value, src/server/public.c): any body must give NUL-terminated values
 * within the output buffer, never longer than the body, for present and absent names alike.
 */
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "server/server.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static const char *const names[] = {"id", "code", "", "i"};
    char *body = malloc(size ? size : 1);
    if (!body) return 0;
    if (size) memcpy(body, data, size);
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        for (size_t cap = 1; cap <= 64; cap *= 4) {
            char out[65];
            memset(out, 'Z', sizeof out);
            server_form_value(body, size, names[k], out, cap);
            if (memchr(out, '\0', cap) == NULL) abort(); /* terminated within the buffer */
            if (out[cap] != 'Z' && cap < sizeof out) abort(); /* nothing written beyond it */
            if (strlen(out) > size) abort();
        }
    }
    free(body);
    return 0;
}
