/*
 * category.c — household categories of an assessment year (registry.h, DESIGN §3).
 *
 * Exactly one category per household, by precedence: returned > newly identified (in the
 * plan's window) > exited in the year > exited in the earlier window > unexited > general.
 * A registered household that exited outside both windows falls in none of the plan's
 * quotas (CAT_EXITED_OTHER) but is still a registered exited household.
 */
#include "registry.h"

#include <string.h>

static const char *const codes[CAT_COUNT] = {
    "returned", "newly_identified", "exited_current", "exited_earlier",
    "unexited", "general", "exited_other"};
static const char *const zh[CAT_COUNT] = {
    "返贫户", "新识别贫困户", "当年脱贫户", "往年脱贫户", "未脱贫户", "一般农户", "其他年份脱贫户"};

const char *category_code(enum hh_category c)
{
    return (unsigned)c < CAT_COUNT ? codes[c] : "unknown";
}

const char *category_zh(enum hh_category c)
{
    return (unsigned)c < CAT_COUNT ? zh[c] : "未知";
}

int category_parse(const char *s)
{
    for (int i = 0; i < CAT_COUNT; i++)
        if (!strcmp(s, codes[i])) return i;
    return -1;
}

enum hh_category household_category(const struct hh_facts *h, const struct category_windows *w)
{
    if (!h->registered) return CAT_GENERAL;
    if (h->returned) return CAT_RETURNED;
    if (w->new_from && h->identified_year >= w->new_from && h->identified_year <= w->new_to)
        return CAT_NEWLY_IDENTIFIED;
    if (h->exit_year && h->exit_year == w->year) return CAT_EXITED_CURRENT;
    if (h->exit_year && w->earlier_from && h->exit_year >= w->earlier_from &&
        h->exit_year <= w->earlier_to)
        return CAT_EXITED_EARLIER;
    if (!h->exit_year) return CAT_UNEXITED;
    return CAT_EXITED_OTHER;
}
