/*
 * fuzz_form.c — libFuzzer target for questionnaire forms (survey.h form_load_mem, the JSON
 * form parser and checker of src/survey/form.c): any bytes give a form or a list of errors,
 * never a crash or a leak. A form that loads is also outlined (both languages), which walks
 * every row, list and expression the loader accepted, and written as an ODK XForm (xform.c,
 * xpath.c): every expression translated or refused.
 */
#include <stdlib.h>

#include "survey/survey.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    struct form *f = NULL;
    struct errlist errs, warns;
    struct error e;
    errlist_init(&errs, 10);
    errlist_init(&warns, 10);
    if (form_load_mem("fuzz.json", (const char *)data, size, &f, &errs, &warns, &e) == 0 && f) {
        struct strbuf sb = STRBUF_INIT;
        struct xform_opts o = {"2020-06-30"};
        struct error xe = {0};
        form_outline(f, FORM_LANG_BOTH, &sb);
        sb_reset(&sb);
        /* a form that loads is also written as an XForm: translated or refused, never a crash */
        form_xform(f, &o, &sb, &xe);
        sb_release(&sb);
    }
    form_free(f);
    errlist_release(&errs);
    errlist_release(&warns);
    return 0;
}
