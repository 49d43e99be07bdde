/*
 * ids.c — resident IDs (居民身份证号码, GB 11643-1999) and calendar dates (base.h).
 *
 * An 18-character ID is: 6-digit region code (first two digits: a province of GB/T 2260),
 * 8-digit birth date YYYYMMDD, 3-digit sequence (odd: male, even: female), and an ISO 7064
 * MOD 11-2 check character (0-9 or X). Legacy 15-character IDs lack the century and the check
 * character; they are upgraded by inserting "19" and computing the check.
 *
 * Registry files come out of Excel, so two kinds of damage get their own diagnosis:
 * scientific notation ("3.40123E+17": the column was numeric) and a trailing "000" with a
 * failing check (Excel keeps 15 significant digits). A valid ID may end in 000, so the
 * second diagnosis is made only when the check character also fails.
 *
 * Invariant: ids_parse never reads past in[len) and never allocates.
 */
#include "base.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const int weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
static const char checks[11] = "10X98765432";

char ids_check_char(const char *d)
{
    int sum = 0;
    for (int i = 0; i < 17; i++) sum += (d[i] - '0') * weights[i];
    return checks[sum % 11];
}

int ids_province_valid(int code)
{
    static const int valid[] = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41,
                                42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71,
                                81, 82, 83};
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++)
        if (valid[i] == code) return 1;
    return 0;
}

const char *ids_problem_name(enum ids_problem p)
{
    static const char *names[IDS_PROBLEM_COUNT] = {
        "ok", "empty", "excel_scientific", "excel_trailing_000", "length",
        "characters", "province", "date", "future", "check"};
    return (unsigned)p < IDS_PROBLEM_COUNT ? names[p] : "unknown";
}

int date_valid(int d)
{
    static const int mdays[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y = d / 10000, m = d / 100 % 100, day = d % 100;
    if (y < 1800 || y > 9999 || m < 1 || m > 12 || day < 1 || day > mdays[m]) return 0;
    if (m == 2 && day == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 0;
    return 1;
}

int date_today(void)
{
    const char *env = getenv("PINGGU_TODAY");
    time_t t;
    struct tm tm;
    if (env && *env) {
        int d;
        if (parse_date(env, &d) == 0) return d;
    }
    t = time(NULL);
    localtime_r(&t, &tm);
    return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

int date_age(int birth, int on)
{
    int age = on / 10000 - birth / 10000;
    if (on % 10000 < birth % 10000) age--;
    return age;
}

uint64_t ids_pack(const char *s)
{
    uint64_t v = 0;
    for (int i = 0; i < 17; i++) v = v * 10 + (uint64_t)(s[i] - '0');
    return v;
}

void ids_unpack(uint64_t key, char out[19])
{
    for (int i = 16; i >= 0; i--) {
        out[i] = (char)('0' + key % 10);
        key /= 10;
    }
    out[17] = ids_check_char(out);
    out[18] = '\0';
}

static void why_set(char *why, size_t size, const char *fmt, ...) PG_PRINTF(3, 4);
static void why_set(char *why, size_t size, const char *fmt, ...)
{
    va_list ap;
    if (!why || !size) return;
    va_start(ap, fmt);
    vsnprintf(why, size, fmt, ap);
    va_end(ap);
}

/* Excel's scientific notation: digits, one '.', digits, E or e, optional sign, digits. */
static int looks_scientific(const char *s, size_t n)
{
    size_t i = 0, dig = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++, dig++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++, dig++;
    }
    if (!dig || i >= n || (s[i] != 'E' && s[i] != 'e')) return 0;
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    if (i >= n || s[i] < '0' || s[i] > '9') return 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    return i == n;
}

enum ids_problem ids_parse(const char *in, size_t len, int today, struct rid *out, char *why,
                           size_t why_size)
{
    char s[40];
    size_t n = 0, i = 0, end = len;
    int birth, prov;
    char want;

    /* Trim ASCII white space, U+3000 (ideographic space), and Excel's leading apostrophe. */
    for (;;) {
        if (i < end && (in[i] == ' ' || in[i] == '\t' || in[i] == '\r' || in[i] == '\n'))
            i++;
        else if (end - i >= 3 && (unsigned char)in[i] == 0xE3 &&
                 (unsigned char)in[i + 1] == 0x80 && (unsigned char)in[i + 2] == 0x80)
            i += 3;
        else
            break;
    }
    if (i < end && in[i] == '\'') i++;
    for (;;) {
        if (end > i && (in[end - 1] == ' ' || in[end - 1] == '\t' || in[end - 1] == '\r' ||
                        in[end - 1] == '\n'))
            end--;
        else if (end - i >= 3 && (unsigned char)in[end - 3] == 0xE3 &&
                 (unsigned char)in[end - 2] == 0x80 && (unsigned char)in[end - 1] == 0x80)
            end -= 3;
        else
            break;
    }
    if (i == end) {
        why_set(why, why_size, "resident ID is empty");
        return IDS_EMPTY;
    }
    if (looks_scientific(in + i, end - i)) {
        why_set(why, why_size,
                "'%.*s' is an Excel number in scientific notation: the ID's digits are lost; "
                "re-export the column formatted as text",
                (int)(end - i > 30 ? 30 : end - i), in + i);
        return IDS_EXCEL_SCI;
    }
    /* Normalise full-width digits and x/X into ASCII while copying. */
    while (i < end) {
        unsigned char c = (unsigned char)in[i];
        if (n >= 20) {
            n++;
            break;
        }
        if (c == 0xEF && end - i >= 3) {
            unsigned char c1 = (unsigned char)in[i + 1], c2 = (unsigned char)in[i + 2];
            if (c1 == 0xBC && c2 >= 0x90 && c2 <= 0x99) { /* U+FF10..FF19 */
                s[n++] = (char)('0' + (c2 - 0x90));
                i += 3;
                continue;
            }
            if ((c1 == 0xBC && c2 == 0xB8) || (c1 == 0xBD && c2 == 0x98)) { /* Ｘ ｘ */
                s[n++] = 'X';
                i += 3;
                continue;
            }
        }
        s[n++] = c == 'x' ? 'X' : (char)c;
        i++;
    }
    if (n != 18 && n != 15) {
        why_set(why, why_size, "resident ID has %s%zu characters, expected 18 (or a legacy 15)",
                n > 20 ? "more than " : "", n > 20 ? (size_t)20 : n);
        return IDS_LENGTH;
    }
    for (size_t k = 0; k < n; k++) {
        int last = n == 18 && k == 17;
        if (!((s[k] >= '0' && s[k] <= '9') || (last && s[k] == 'X'))) {
            unsigned char c = (unsigned char)s[k];
            if (c >= 0x20 && c < 0x7f)
                why_set(why, why_size, "character '%c' at position %zu of the resident ID is not %s",
                        s[k], k + 1, last ? "a digit or X" : "a digit");
            else
                why_set(why, why_size, "byte 0x%02X at position %zu of the resident ID is not %s",
                        c, k + 1, last ? "a digit or X" : "a digit");
            return IDS_CHARS;
        }
    }
    out->upgraded = 0;
    if (n == 15) { /* region(6) YYMMDD(6) seq(3) -> region 19YYMMDD seq check */
        memmove(s + 8, s + 6, 9);
        s[6] = '1';
        s[7] = '9';
        s[17] = ids_check_char(s);
        out->upgraded = 1;
    }
    s[18] = '\0';
    prov = (s[0] - '0') * 10 + (s[1] - '0');
    if (!ids_province_valid(prov)) {
        why_set(why, why_size, "resident ID starts with %02d, which is not a province code", prov);
        return IDS_PROVINCE;
    }
    birth = atoi((char[9]){s[6], s[7], s[8], s[9], s[10], s[11], s[12], s[13], 0});
    want = ids_check_char(s);
    if (!date_valid(birth)) {
        if (want != s[17] && !memcmp(s + 15, "000", 3)) goto zeros;
        why_set(why, why_size, "birth date %d in the resident ID is not a real date", birth);
        return IDS_DATE;
    }
    if (today && birth > today) {
        why_set(why, why_size, "birth date %d in the resident ID is in the future", birth);
        return IDS_FUTURE;
    }
    if (want != s[17]) {
        if (!memcmp(s + 15, "000", 3)) goto zeros;
        why_set(why, why_size, "check character is %c, expected %c", s[17], want);
        return IDS_CHECK;
    }
    memcpy(out->s, s, 19);
    out->key = ids_pack(s);
    out->region = atoi((char[7]){s[0], s[1], s[2], s[3], s[4], s[5], 0});
    out->birth = birth;
    out->sex = ((s[16] - '0') % 2) ? 1 : 2;
    return IDS_OK;
zeros:
    why_set(why, why_size,
            "resident ID ends in 000 and its check character fails: Excel kept only 15 "
            "significant digits; re-export the column formatted as text");
    return IDS_EXCEL_ZEROS;
}
