/*
 * fuzz_subjson.c — libFuzzer target for JSON questionnaire submissions (survey.h
 * submission_json, src/survey/subjson.c: the body of POST /api/rounds/R/questionnaires read
 * in one pass into field import's CSV files). Any bytes are read without a crash or a leak,
 * and with the result jansson's tree and the server's earlier CSV writer give
 * (tests/unit/subjson_oracle.h): the same bodies refused, the same shape, the same CSV bytes;
 * a difference aborts with what differs.
 */
#include <stdio.h>
#include <stdlib.h>

#include "survey/survey.h"
#include "../tests/unit/subjson_oracle.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    struct json_submission s;
    struct oracle o;
    struct error e;
    const char *why;
    int rc = submission_json((const char *)data, size, &s, &e);
    oracle_read((const char *)data, size, &o);
    if ((why = oracle_differs(&o, &s, rc))) {
        fprintf(stderr, "fuzz_subjson: differs from jansson (%s; subjson: %s)\n", why,
                rc ? e.msg : "read");
        abort();
    }
    submission_json_release(&s);
    oracle_release(&o);
    return 0;
}
