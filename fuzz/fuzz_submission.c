/*
 * fuzz_submission.c — libFuzzer target for field-app submissions (survey.h submission_parse:
 * an XForm instance as OpenRosa delivers it, read with libxml2 into a questionnaire's answers,
 * src/survey/submission.c). Input: one byte choosing the form (registered-household, with its
 * groups and member repeat; village-exit), then the XML. Any bytes give answers (then
 * validated, as the server would) or an error, never a crash, a leak or a fetched entity.
 *
 * The forms are read once from $PINGGU_FORMS (default "forms", as `make fuzz-run` runs from
 * the repository root).
 */
#include <stdio.h>
#include <stdlib.h>

#include "survey/survey.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static struct form *forms[2];

static void setup(void)
{
    static const char *names[2] = {"registered-household", "village-exit"};
    const char *fd = getenv("PINGGU_FORMS");
    char path[512];
    struct error e;
    if (!fd) fd = "forms";
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s.json", fd, names[i]);
        if (form_load(path, &forms[i], NULL, NULL, &e)) {
            fprintf(stderr, "fuzz_submission: cannot load %s (run from the repository root or "
                            "set PINGGU_FORMS)\n",
                    path);
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    struct answers *a = NULL;
    struct submission_meta m;
    struct issues is;
    struct error e;
    const struct form *f;
    if (!forms[0]) setup();
    if (size < 1) return 0;
    f = forms[data[0] % 2];
    if (answers_new(f, &a, &e)) return 0;
    issues_init(&is);
    if (submission_parse(f, (const char *)data + 1, size - 1, a, &m, &e) == 0)
        answers_validate(a, ANSWERS_LENIENT, 20200630, &is, &e);
    issues_release(&is);
    answers_free(a);
    return 0;
}
