/*
 * validate.c — one questionnaire's answers and their validation against its form (survey.h
 * "answers", docs/forms.md "Validation").
 *
 * Shape. A struct answers holds frames of slots: the top-level frame has one slot per form
 * row; each repeat instance (one household member) is a frame with one slot per row inside
 * the repeat (slot = row - begin_repeat - 1). A slot is the answer text (NULL: unanswered),
 * the submitted text of a calculation (to compare after recomputing) and a few state bits.
 * Texts live in the answers' arena; frames and slot arrays are reused by answers_reset, so an
 * import validates questionnaire after questionnaire without touching malloc once warm.
 *
 * answers_validate runs in this order, each step on the result of the one before:
 *   1. unknown names (recorded by answers_set) become errors;
 *   2. every answer is normalised by its type — integers, numbers, dates (to YYYY-MM-DD),
 *      locations, choices (a choice name, its Chinese or English label, the paper's number
 *      1, 2, ... or ①②...) — or flagged as an error; a flagged answer reads as unanswered in
 *      expressions and is not checked further;
 *   3. relevance and calculations are computed together to a fixed point (a relevant may read
 *      a calculation and a calculation is empty when not relevant); a question is relevant when
 *      its own `relevant` holds and its enclosing groups are relevant; then answers to
 *      questions that are not relevant are dropped — with a warning in strict mode, silently in
 *      lenient mode — and the fixed point is recomputed, until nothing is dropped;
 *   4. a submitted calculation that differs from the recomputed value is replaced (warning);
 *   5. a required, relevant, unanswered question is an error;
 *   6. each check of a relevant, answered question is evaluated with '.' = the answer; a false
 *      result is an issue of the check's severity.
 *
 * Invariants: after answers_validate every non-NULL slot holds normalised text (or the raw
 * text of an answer flagged in step 2); no slot of a non-relevant question holds an answer;
 * every calculation holds its recomputed value. Validation evaluates each expression a bounded
 * number of times (the fixed point is capped), so a questionnaire takes microseconds.
 */
#include "survey.h"

#include <math.h>
#include <string.h>

enum {
    ST_BAD = 1, /* failed its type check (step 2) */
    ST_REL = 2  /* relevant (step 3) */
};

struct frame {
    const char **val;  /* current value per slot; NULL = unanswered */
    const char **sub;  /* calculations: the submitted value */
    unsigned char *st; /* ST_* */
};

struct rep {
    int row;            /* its begin_repeat row */
    size_t width;       /* slots per instance: end - row - 1 */
    struct frame *inst; /* owned (mem); the slot arrays are in the arena */
    size_t n, cap;
};

enum unknown_why { UNK_NOT_IN_FORM, UNK_IN_REPEAT, UNK_NOT_IN_REPEAT };

struct unknown {
    const char *name; /* arena */
    long instance;
    enum unknown_why why;
};

struct answers {
    const struct form *f;
    struct arena arena; /* texts and instance slot arrays; released by answers_reset */
    struct frame top;   /* f->nrows slots (owned, mem) */
    struct rep *reps;   /* owned; one per begin_repeat row */
    size_t nreps;
    int *rep_of;         /* owned; begin_repeat row -> index into reps, else -1 */
    struct unknown *unk; /* owned */
    size_t nunk, capunk;
    struct strbuf scratch; /* normalisation */
};

/* ---------------------------------------------------------------- issues */

void issues_init(struct issues *is)
{
    memset(is, 0, sizeof *is);
    arena_init(&is->arena, 16 * 1024);
}

void issues_reset(struct issues *is)
{
    is->n = is->errors = is->warnings = 0;
    arena_release(&is->arena);
}

void issues_release(struct issues *is)
{
    arena_release(&is->arena);
    mem_free(is->items);
    memset(is, 0, sizeof *is);
}

const struct issue *issues_find(const struct issues *is, const char *name, long instance)
{
    for (size_t i = 0; i < is->n; i++)
        if (is->items[i].name && !strcmp(is->items[i].name, name) &&
            is->items[i].instance == instance)
            return &is->items[i];
    return NULL;
}

/* Copies s into buf, cut at about 60 bytes on a character boundary. */
static const char *clip(const char *s, char *buf, size_t size)
{
    size_t n = strlen(s), max = size > 64 ? 60 : size - 4;
    if (n <= max) return s;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80) max--;
    snprintf(buf, size, "%.*s…", (int)max, s);
    return buf;
}

struct vstate {
    struct answers *a;
    struct issues *is;
    enum answers_mode mode;
    int today;
    int nomem;
};

static void add_issue(struct vstate *v, enum issue_kind kind, enum form_severity sev,
                      const char *name, int row, long inst, int check, const char *zh,
                      const char *en)
{
    struct issues *is = v->is;
    struct issue *it;
    if (!zh || !en || !name) {
        v->nomem = 1;
        return;
    }
    if (is->n == is->cap) {
        size_t cap = is->cap ? 2 * is->cap : 16;
        struct issue *p = mem_realloc(is->items, cap * sizeof *p);
        if (!p) {
            v->nomem = 1;
            return;
        }
        is->items = p;
        is->cap = cap;
    }
    it = &is->items[is->n++];
    it->kind = kind;
    it->severity = sev;
    it->name = name;
    it->row = row;
    it->instance = inst;
    it->check = check;
    it->zh = zh;
    it->en = en;
    if (sev == FORM_ERROR)
        is->errors++;
    else
        is->warnings++;
}

/* ---------------------------------------------------------------- answers */

int answers_new(const struct form *f, struct answers **out, struct error *e)
{
    struct answers *a;
    size_t n = f->nrows ? f->nrows : 1;
    *out = NULL;
    a = mem_calloc(1, sizeof *a);
    if (!a) return error_set(e, ERR_NOMEM, "out of memory");
    a->f = f;
    arena_init(&a->arena, 8 * 1024);
    sb_init(&a->scratch);
    a->top.val = mem_calloc(n, sizeof *a->top.val);
    a->top.sub = mem_calloc(n, sizeof *a->top.sub);
    a->top.st = mem_calloc(n, 1);
    a->rep_of = mem_alloc(n * sizeof *a->rep_of);
    for (size_t i = 0; i < f->nrows; i++) a->nreps += f->rows[i].type == FORM_BEGIN_REPEAT;
    a->reps = mem_calloc(a->nreps ? a->nreps : 1, sizeof *a->reps);
    if (!a->top.val || !a->top.sub || !a->top.st || !a->rep_of || !a->reps) {
        answers_free(a);
        return error_set(e, ERR_NOMEM, "out of memory");
    }
    a->nreps = 0;
    for (size_t i = 0; i < f->nrows; i++) {
        a->rep_of[i] = -1;
        if (f->rows[i].type != FORM_BEGIN_REPEAT) continue;
        a->rep_of[i] = (int)a->nreps;
        a->reps[a->nreps].row = (int)i;
        a->reps[a->nreps].width = (size_t)(f->rows[i].end - (int)i - 1);
        a->nreps++;
    }
    *out = a;
    return 0;
}

void answers_free(struct answers *a)
{
    if (!a) return;
    arena_release(&a->arena);
    mem_free(a->top.val);
    mem_free(a->top.sub);
    mem_free(a->top.st);
    for (size_t i = 0; a->reps && i < a->nreps; i++) mem_free(a->reps[i].inst);
    mem_free(a->reps);
    mem_free(a->rep_of);
    mem_free(a->unk);
    sb_release(&a->scratch);
    mem_free(a);
}

void answers_reset(struct answers *a)
{
    size_t n = a->f->nrows;
    arena_release(&a->arena);
    memset(a->top.val, 0, n * sizeof *a->top.val);
    memset(a->top.sub, 0, n * sizeof *a->top.sub);
    memset(a->top.st, 0, n);
    for (size_t i = 0; i < a->nreps; i++) a->reps[i].n = 0;
    a->nunk = 0;
}

const struct form *answers_form(const struct answers *a)
{
    return a->f;
}

static int remember_unknown(struct answers *a, const char *name, long inst, enum unknown_why why)
{
    struct unknown *u;
    for (size_t i = 0; i < a->nunk; i++)
        if (a->unk[i].instance == inst && !strcmp(a->unk[i].name, name)) return 0;
    if (a->nunk == a->capunk) {
        size_t cap = a->capunk ? 2 * a->capunk : 4;
        struct unknown *p = mem_realloc(a->unk, cap * sizeof *p);
        if (!p) return ERR_NOMEM;
        a->unk = p;
        a->capunk = cap;
    }
    u = &a->unk[a->nunk];
    u->name = arena_strdup(&a->arena, name);
    if (!u->name) return ERR_NOMEM;
    u->instance = inst;
    u->why = why;
    a->nunk++;
    return 0;
}

static int put(struct answers *a, const char **slot, const char *text)
{
    if (!text) {
        *slot = NULL;
        return 0;
    }
    *slot = arena_strdup(&a->arena, text);
    return *slot ? 0 : ERR_NOMEM;
}

int answers_set(struct answers *a, const char *name, const char *text)
{
    int r = form_find(a->f, name);
    if (r < 0) return remember_unknown(a, name, -1, UNK_NOT_IN_FORM);
    if (a->f->rows[r].repeat >= 0) return remember_unknown(a, name, -1, UNK_IN_REPEAT);
    return put(a, &a->top.val[r], text);
}

int answers_add_instance(struct answers *a, const char *repeat, long *instance)
{
    int r = form_find(a->f, repeat);
    struct rep *rp;
    struct frame *fr;
    if (r < 0 || a->f->rows[r].type != FORM_BEGIN_REPEAT) return ERR_NOTFOUND;
    rp = &a->reps[a->rep_of[r]];
    if (rp->n == rp->cap) {
        size_t cap = rp->cap ? 2 * rp->cap : 8;
        struct frame *p = mem_realloc(rp->inst, cap * sizeof *p);
        if (!p) return ERR_NOMEM;
        rp->inst = p;
        rp->cap = cap;
    }
    fr = &rp->inst[rp->n];
    fr->val = arena_alloc(&a->arena, (rp->width ? rp->width : 1) * sizeof *fr->val);
    fr->sub = arena_alloc(&a->arena, (rp->width ? rp->width : 1) * sizeof *fr->sub);
    fr->st = arena_alloc(&a->arena, rp->width ? rp->width : 1);
    if (!fr->val || !fr->sub || !fr->st) return ERR_NOMEM;
    memset(fr->val, 0, (rp->width ? rp->width : 1) * sizeof *fr->val);
    memset(fr->sub, 0, (rp->width ? rp->width : 1) * sizeof *fr->sub);
    memset(fr->st, 0, rp->width ? rp->width : 1);
    *instance = (long)rp->n++;
    return 0;
}

int answers_set_in(struct answers *a, const char *name, long instance, const char *text)
{
    int r = form_find(a->f, name), rr;
    struct rep *rp;
    if (r < 0) return remember_unknown(a, name, instance, UNK_NOT_IN_FORM);
    rr = a->f->rows[r].repeat;
    if (rr < 0) return remember_unknown(a, name, instance, UNK_NOT_IN_REPEAT);
    rp = &a->reps[a->rep_of[rr]];
    if (instance < 0 || (size_t)instance >= rp->n) return ERR_NOTFOUND;
    return put(a, &rp->inst[instance].val[r - rr - 1], text);
}

/* The frame and slot of row in instance inst (-1: top). NULL if there is none. */
static struct frame *frame_of(const struct answers *a, int row, long inst, size_t *slot)
{
    int rr = a->f->rows[row].repeat;
    const struct rep *rp;
    if (rr < 0) {
        *slot = (size_t)row;
        return (struct frame *)&a->top;
    }
    rp = &a->reps[a->rep_of[rr]];
    if (inst < 0 || (size_t)inst >= rp->n) return NULL;
    *slot = (size_t)(row - rr - 1);
    return &rp->inst[inst];
}

const char *answers_value(const struct answers *a, int row, long instance)
{
    struct frame *fr;
    size_t s;
    if (row < 0 || (size_t)row >= a->f->nrows) return NULL;
    if ((a->f->rows[row].repeat < 0) != (instance < 0)) return NULL;
    fr = frame_of(a, row, instance, &s);
    return fr ? fr->val[s] : NULL;
}

const char *answers_get(const struct answers *a, const char *name)
{
    return answers_value(a, form_find(a->f, name), -1);
}

long answers_instances(const struct answers *a, const char *repeat)
{
    int r = form_find(a->f, repeat);
    if (r < 0 || a->f->rows[r].type != FORM_BEGIN_REPEAT) return 0;
    return (long)a->reps[a->rep_of[r]].n;
}

/* ---------------------------------------------------------------- expression environment */

struct ectx {
    const struct answers *a;
    int rep;   /* the repeat the expression runs in, -1 at top */
    long inst; /* its instance */
};

static const char *readable(const struct frame *fr, size_t s)
{
    return (fr->st[s] & ST_BAD) ? NULL : fr->val[s];
}

static const char *cb_value(void *ctx, const struct expr_ref *ref)
{
    const struct ectx *c = ctx;
    const struct form_row *r;
    size_t s;
    struct frame *fr;
    if (ref->row < 0) return NULL;
    r = &c->a->f->rows[ref->row];
    if (r->repeat >= 0 && r->repeat != c->rep) return NULL; /* form.c forbids it */
    fr = frame_of(c->a, ref->row, c->inst, &s);
    return fr ? readable(fr, s) : NULL;
}

static long cb_instances(void *ctx, const struct expr_ref *ref)
{
    const struct ectx *c = ctx;
    int rr;
    if (ref->row < 0) return 0;
    rr = ref->is_repeat ? ref->row : c->a->f->rows[ref->row].repeat;
    if (rr < 0) return 0;
    return (long)c->a->reps[c->a->rep_of[rr]].n;
}

static const char *cb_item(void *ctx, const struct expr_ref *ref, long i)
{
    const struct ectx *c = ctx;
    size_t s;
    struct frame *fr;
    if (ref->row < 0 || ref->is_repeat) return NULL;
    fr = frame_of(c->a, ref->row, i, &s);
    return fr ? readable(fr, s) : NULL;
}

static void env_for(struct expr_env *env, struct ectx *c, const struct answers *a, int row,
                    long inst, int today)
{
    c->a = a;
    c->rep = a->f->rows[row].repeat;
    c->inst = inst;
    memset(env, 0, sizeof *env);
    env->ctx = c;
    env->value = cb_value;
    env->instances = cb_instances;
    env->item = cb_item;
    env->today = today;
}

/* ---------------------------------------------------------------- step 2: types */

static int blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n') return 0;
    return 1;
}

/* The span of s without surrounding blanks. */
static const char *trim(const char *s, size_t *n)
{
    size_t m;
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') s++;
    m = strlen(s);
    while (m && (s[m - 1] == ' ' || s[m - 1] == '\t' || s[m - 1] == '\r' || s[m - 1] == '\n')) m--;
    *n = m;
    return s;
}

static const char circled[][4] = {"①", "②", "③", "④", "⑤", "⑥", "⑦", "⑧", "⑨", "⑩",
                                  "⑪", "⑫", "⑬", "⑭", "⑮", "⑯", "⑰", "⑱", "⑲", "⑳"};

/* The choice tok (len n) names: its name, Chinese label, English label (any case), the
 * paper's number (1-based) or circled number. -1 if none. */
static int match_choice(const struct form_list *l, const char *tok, size_t n)
{
    size_t k;
    int num = 0, digits = 1;
    for (k = 0; k < l->n; k++)
        if (strlen(l->choices[k].name) == n && !memcmp(l->choices[k].name, tok, n)) return (int)k;
    for (k = 0; k < l->n; k++)
        if (l->choices[k].zh && strlen(l->choices[k].zh) == n && !memcmp(l->choices[k].zh, tok, n))
            return (int)k;
    for (k = 0; k < l->n; k++)
        if (l->choices[k].en && str_ieq(tok, n, l->choices[k].en)) return (int)k;
    for (k = 0; k < n && k < 4; k++) {
        if (tok[k] < '0' || tok[k] > '9')
            digits = 0;
        else
            num = num * 10 + (tok[k] - '0');
    }
    if (n && n < 4 && digits && num >= 1 && (size_t)num <= l->n) return num - 1;
    for (k = 0; k < sizeof circled / sizeof circled[0] && k < l->n; k++)
        if (n == 3 && !memcmp(circled[k], tok, 3)) return (int)k;
    return -1;
}

/* "yes, no" (names only, at most 12) for messages. */
static void list_names(const struct form_list *l, struct strbuf *sb)
{
    for (size_t k = 0; k < l->n && k < 12; k++)
        sb_addf(sb, "%s%s", k ? ", " : "", l->choices[k].name);
    if (l->n > 12) sb_adds(sb, ", …");
}

/* Splits a select_multiple answer: blanks, commas, 、 and ；/; separate. Returns the length
 * of the separator run at s (0 if none). */
static size_t separator(const char *s)
{
    size_t n = 0;
    for (;;) {
        if (s[n] == ' ' || s[n] == '\t' || s[n] == ',' || s[n] == ';' || s[n] == '\r' ||
            s[n] == '\n')
            n++;
        else if (!strncmp(s + n, "、", 3) || !strncmp(s + n, "，", 3) || !strncmp(s + n, "；", 3) ||
                 !strncmp(s + n, "　", 3))
            n += 3;
        else
            return n;
    }
}

/* Normalises the answer in slot s of fr for row r (step 2). */
static void normalise(struct vstate *v, struct frame *fr, size_t s, int r, long inst)
{
    struct answers *a = v->a;
    const struct form *f = a->f;
    const struct form_row *row = &f->rows[r];
    const char *raw = fr->val[s], *t, *out = NULL;
    struct strbuf *sb = &a->scratch;
    char cbuf[80];
    size_t n;
    int ok = 1;
    enum issue_kind kind = ISSUE_TYPE;
    const char *zh = NULL, *en = NULL;
    if (!raw) return;
    if (!form_type_answers(row->type)) {
        add_issue(v, ISSUE_NO_ANSWER, FORM_ERROR, row->name, r, inst, -1,
                  arena_printf(&v->is->arena, "“%s”是%s,不能填答", row->name,
                               row->type == FORM_NOTE ? "说明" : "分组"),
                  arena_printf(&v->is->arena, "\"%s\" is a %s and takes no answer", row->name,
                               form_type_name(row->type)));
        fr->val[s] = NULL;
        return;
    }
    if (row->type == FORM_CALCULATE) {
        fr->sub[s] = blank(raw) ? NULL : raw;
        fr->val[s] = NULL;
        return;
    }
    if (blank(raw)) {
        fr->val[s] = NULL;
        return;
    }
    t = trim(raw, &n);
    sb_reset(sb);
    if (row->type == FORM_INTEGER || row->type == FORM_DECIMAL || row->type == FORM_DATE) {
        sb_add(sb, t, n); /* the parsers want a NUL-terminated copy */
        if (sb_ok(sb)) {
            v->nomem = 1;
            return;
        }
    }
    switch (row->type) {
    case FORM_INTEGER: {
        int64_t x;
        if (parse_int64(sb->buf, &x)) {
            ok = 0;
            zh = "不是整数";
            en = "not a whole number";
        } else {
            sb_reset(sb);
            sb_addf(sb, "%lld", (long long)x);
        }
        break;
    }
    case FORM_DECIMAL: {
        double x;
        if (parse_double(sb->buf, &x)) {
            ok = 0;
            zh = "不是数字";
            en = "not a number";
        }
        break;
    }
    case FORM_DATE: {
        int d;
        if (parse_date(sb->buf, &d)) {
            ok = 0;
            zh = "不是日期(年-月-日)";
            en = "not a date (YYYY-MM-DD)";
        } else {
            sb_reset(sb);
            sb_addf(sb, "%04d-%02d-%02d", d / 10000, d / 100 % 100, d % 100);
        }
        break;
    }
    case FORM_GEOPOINT: {
        double x[4];
        int k = 0;
        const char *p = t, *end = t + n;
        char num[64];
        while (p < end && ok) {
            size_t m = 0;
            p += separator(p);
            if (p >= end) break;
            while (p + m < end && !separator(p + m)) m++;
            if (k == 4 || m >= sizeof num) {
                ok = 0;
                break;
            }
            memcpy(num, p, m);
            num[m] = '\0';
            if (parse_double(num, &x[k])) ok = 0;
            k++;
            p += m;
        }
        if (ok &&
            (k < 2 || x[0] < -90 || x[0] > 90 || x[1] < -180 || x[1] > 180 || (k == 4 && x[3] < 0)))
            ok = 0;
        if (!ok) {
            zh = "不是坐标(纬度 经度 [高度 精度])";
            en = "not a location (latitude longitude [altitude accuracy])";
        } else {
            for (int j = 0; j < k; j++) sb_addf(sb, "%s%.10g", j ? " " : "", x[j]);
        }
        break;
    }
    case FORM_SELECT_ONE: {
        const struct form_list *l = &f->lists[row->list];
        int c = match_choice(l, t, n);
        kind = ISSUE_CHOICE;
        if (c < 0)
            ok = 0;
        else
            sb_adds(sb, l->choices[c].name);
        break;
    }
    case FORM_SELECT_MULTIPLE: {
        const struct form_list *l = &f->lists[row->list];
        const char *p = t, *end = t + n;
        unsigned char seen[64];
        kind = ISSUE_CHOICE;
        memset(seen, 0, sizeof seen);
        while (p < end) {
            size_t m = 0;
            int c;
            p += separator(p);
            if (p >= end) break;
            while (p + m < end && !separator(p + m)) m++;
            c = match_choice(l, p, m);
            if (c < 0) {
                ok = 0;
                t = p; /* name the bad token */
                n = m;
                break;
            }
            if (c >= 64 || !seen[c]) {
                if (c < 64) seen[c] = 1;
                sb_addf(sb, "%s%s", sb->len ? " " : "", l->choices[c].name);
            }
            p += m;
        }
        break;
    }
    case FORM_IMAGE:
    case FORM_AUDIO: {
        /* the attachment's file name, as a field app submits it (OpenRosa): one name, never a
         * path — the evidence store keeps the bytes by their hash */
        size_t k;
        for (k = 0; k < n && t[k] != '/' && t[k] != '\\' && (unsigned char)t[k] >= 0x20; k++) {}
        if (k < n || n > 255 || (n == 1 && t[0] == '.') || (n == 2 && !memcmp(t, "..", 2))) {
            ok = 0;
            zh = "不是附件文件名(不得含路径)";
            en = "not an attachment's file name (no path allowed)";
        } else
            sb_add(sb, t, n);
        break;
    }
    default: /* text: kept as typed */
        return;
    }
    if (!ok) {
        struct strbuf names = STRBUF_INIT;
        char tok[200];
        snprintf(tok, sizeof tok, "%.*s", (int)(n > 150 ? 150 : n), t);
        if (kind == ISSUE_CHOICE) {
            const struct form_list *l = &f->lists[row->list];
            list_names(l, &names);
            zh = arena_printf(&v->is->arena, "“%s”不是选项表%s中的选项(%s)",
                              clip(tok, cbuf, sizeof cbuf), l->name, names.buf);
            en = arena_printf(&v->is->arena, "'%s' is not a choice of list %s (%s)",
                              clip(tok, cbuf, sizeof cbuf), l->name, names.buf);
            if (sb_ok(&names)) v->nomem = 1;
            sb_release(&names);
        } else {
            const char *c = clip(tok, cbuf, sizeof cbuf);
            zh = arena_printf(&v->is->arena, "%s:“%s”", zh, c);
            en = arena_printf(&v->is->arena, "%s: '%s'", en, c);
        }
        add_issue(v, kind, FORM_ERROR, row->name, r, inst, -1, zh, en);
        fr->st[s] |= ST_BAD;
        return;
    }
    if (sb_ok(sb)) {
        v->nomem = 1;
        return;
    }
    if (strcmp(sb->buf, raw)) {
        out = arena_strndup(&a->arena, sb->buf, sb->len);
        if (!out)
            v->nomem = 1;
        else
            fr->val[s] = out;
    }
}

/* ---------------------------------------------------------------- step 3: relevance, calcs */

/* Runs the statements that follow (the variadic part) once for every frame row r lives in,
 * with fr, s and inst naming the frame, the slot and the instance (-1 at top level). A
 * `continue` in the statements moves on to the next frame. */
#define EACH_FRAME(a, r, fr, s, inst, ...)                                                         \
    do {                                                                                           \
        int rr_ = (a)->f->rows[r].repeat;                                                          \
        struct rep *rp_ = rr_ < 0 ? NULL : &(a)->reps[(a)->rep_of[rr_]];                           \
        size_t n_ = rp_ ? rp_->n : 1;                                                              \
        for (size_t k_ = 0; k_ < n_; k_++) {                                                       \
            struct frame *fr = rp_ ? &rp_->inst[k_] : &(a)->top;                                   \
            size_t s = rp_ ? (size_t)((r)-rr_ - 1) : (size_t)(r);                                  \
            long inst = rp_ ? (long)k_ : -1;                                                       \
            __VA_ARGS__                                                                            \
        }                                                                                          \
    } while (0)

/* Is the parent of row r relevant in instance inst? */
static int parent_relevant(const struct answers *a, int r, long inst)
{
    int p = a->f->rows[r].parent;
    size_t s;
    struct frame *fr;
    if (p < 0) return 1;
    if (a->f->rows[p].type == FORM_BEGIN_REPEAT && p == a->f->rows[r].repeat)
        return (a->top.st[p] & ST_REL) != 0; /* the repeat row lives in the top frame */
    fr = frame_of(a, p, inst, &s);
    return fr && (fr->st[s] & ST_REL);
}

/* Recomputes every relevance flag (form order: parents first). 1 if any changed. */
static int compute_relevance(struct vstate *v)
{
    struct answers *a = v->a;
    const struct form *f = a->f;
    int changed = 0;
    for (size_t i = 0; i < f->nrows; i++) {
        const struct form_row *row = &f->rows[i];
        int r = (int)i;
        if (row->type == FORM_END_GROUP || row->type == FORM_END_REPEAT) continue;
        EACH_FRAME(a, r, fr, s, inst, {
            int rel = parent_relevant(a, r, inst);
            struct expr_env env;
            struct ectx c;
            if (rel && row->relevant) {
                env_for(&env, &c, a, r, inst, v->today);
                rel = expr_eval_bool(row->relevant, &env);
            }
            if (rel != ((fr->st[s] & ST_REL) != 0)) {
                changed = 1;
                fr->st[s] ^= ST_REL;
            }
        });
    }
    return changed;
}

/* Recomputes every calculation in dependency order. 1 if any value changed. */
static int compute_calcs(struct vstate *v)
{
    struct answers *a = v->a;
    const struct form *f = a->f;
    int changed = 0;
    for (size_t k = 0; k < f->ncalc; k++) {
        int r = f->calc_order[k];
        const struct form_row *row = &f->rows[r];
        EACH_FRAME(a, r, fr, s, inst, {
            const char *val = NULL;
            if (fr->st[s] & ST_REL) {
                struct expr_env env;
                struct ectx c;
                struct expr_value x;
                char buf[48];
                const char *t;
                env_for(&env, &c, a, r, inst, v->today);
                expr_eval(row->calculation, &env, &x);
                t = expr_value_text(&x, buf, sizeof buf);
                if (*t) {
                    if (fr->val[s] && !strcmp(fr->val[s], t))
                        val = fr->val[s];
                    else if (!(val = arena_strdup(&a->arena, t)))
                        v->nomem = 1;
                }
            }
            if (val != fr->val[s]) {
                changed = 1;
                fr->val[s] = val;
            }
        });
    }
    return changed;
}

/* Drops answers to questions that are not relevant. 1 if any was dropped. */
static int drop_irrelevant(struct vstate *v)
{
    struct answers *a = v->a;
    const struct form *f = a->f;
    int dropped = 0;
    for (size_t i = 0; i < f->nrows; i++) {
        const struct form_row *row = &f->rows[i];
        int r = (int)i;
        if (!form_type_answers(row->type) || row->type == FORM_CALCULATE) continue;
        EACH_FRAME(a, r, fr, s, inst, {
            if (fr->val[s] && !(fr->st[s] & ST_REL)) {
                if (v->mode == ANSWERS_STRICT) {
                    char cbuf[80];
                    const char *c = clip(fr->val[s], cbuf, sizeof cbuf);
                    add_issue(v, ISSUE_NOT_RELEVANT, FORM_WARNING, row->name, r, inst, -1,
                              arena_printf(&v->is->arena, "该题不适用(跳题),答案“%s”已删除", c),
                              arena_printf(&v->is->arena,
                                           "answer '%s' to a question that is not relevant "
                                           "was dropped",
                                           c));
                }
                fr->val[s] = NULL;
                fr->st[s] &= (unsigned char)~ST_BAD;
                dropped = 1;
            }
        });
    }
    return dropped;
}

/* ---------------------------------------------------------------- steps 4-6 */

static int same_value(const char *x, const char *y)
{
    double a, b;
    if (!strcmp(x, y)) return 1;
    if (expr_to_number(x, &a) || expr_to_number(y, &b)) return 0;
    return fabs(a - b) <= 1e-9 * (fabs(a) > fabs(b) ? fabs(a) : fabs(b)) || fabs(a - b) < 1e-12;
}

static void report_calcs(struct vstate *v)
{
    struct answers *a = v->a;
    const struct form *f = a->f;
    for (size_t k = 0; k < f->ncalc; k++) {
        int r = f->calc_order[k];
        const struct form_row *row = &f->rows[r];
        EACH_FRAME(a, r, fr, s, inst, {
            if (fr->sub[s] && (!fr->val[s] || !same_value(fr->sub[s], fr->val[s]))) {
                char c1[80], c2[80];
                const char *x = clip(fr->sub[s], c1, sizeof c1);
                const char *y = fr->val[s] ? clip(fr->val[s], c2, sizeof c2) : "";
                add_issue(v, ISSUE_CALCULATE, FORM_WARNING, row->name, r, inst, -1,
                          arena_printf(&v->is->arena, "计算值已更正:填报“%s”,重算为“%s”", x, y),
                          arena_printf(&v->is->arena,
                                       "calculated value replaced: submitted '%s', recomputed "
                                       "'%s'",
                                       x, y));
            }
            fr->sub[s] = NULL;
        });
    }
}

static void check_required_and_checks(struct vstate *v)
{
    struct answers *a = v->a;
    const struct form *f = a->f;
    for (size_t i = 0; i < f->nrows; i++) {
        const struct form_row *row = &f->rows[i];
        int r = (int)i;
        if (!form_type_answers(row->type)) continue;
        EACH_FRAME(a, r, fr, s, inst, {
            struct expr_env env;
            struct ectx c;
            if (!(fr->st[s] & ST_REL) || (fr->st[s] & ST_BAD)) continue;
            env_for(&env, &c, a, r, inst, v->today);
            if (!fr->val[s]) {
                if (row->type != FORM_CALCULATE &&
                    (row->required || (row->required_if && expr_eval_bool(row->required_if, &env))))
                    add_issue(v, ISSUE_REQUIRED, FORM_ERROR, row->name, r, inst, -1, "必答题未答",
                              "required answer missing");
                continue;
            }
            env.self = fr->val[s];
            for (size_t k = 0; k < row->nchecks; k++) {
                const struct form_check *ck = &row->checks[k];
                char cbuf[80];
                const char *val;
                if (expr_eval_bool(ck->expr, &env)) continue;
                val = clip(fr->val[s], cbuf, sizeof cbuf);
                add_issue(v, ISSUE_CHECK, ck->severity, row->name, r, inst, (int)k,
                          ck->msg_zh ? ck->msg_zh
                                     : arena_printf(&v->is->arena, "校验未通过:%s(答案“%s”)",
                                                    ck->expr->src, val),
                          ck->msg_en ? ck->msg_en
                                     : arena_printf(&v->is->arena, "check failed: %s (answer '%s')",
                                                    ck->expr->src, val));
            }
        });
    }
}

int answers_validate(struct answers *a, enum answers_mode mode, int today, struct issues *is,
                     struct error *e)
{
    const struct form *f = a->f;
    struct vstate v;
    size_t answered = 0, iter, cap;
    memset(&v, 0, sizeof v);
    v.a = a;
    v.is = is;
    v.mode = mode;
    v.today = today;
    /* step 1 */
    for (size_t i = 0; i < a->nunk; i++) {
        const struct unknown *u = &a->unk[i];
        const char *name = arena_strdup(&is->arena, u->name);
        const char *zh, *en;
        switch (u->why) {
        case UNK_IN_REPEAT:
            zh = arena_printf(&is->arena, "“%s”是重复组内的题目,须按实例填报", u->name);
            en = arena_printf(&is->arena, "\"%s\" is inside a repeat: answer it per instance",
                              u->name);
            break;
        case UNK_NOT_IN_REPEAT:
            zh = arena_printf(&is->arena, "“%s”不是重复组内的题目", u->name);
            en = arena_printf(&is->arena, "\"%s\" is not a question inside a repeat", u->name);
            break;
        default:
            zh = arena_printf(&is->arena, "问卷%s中没有题目“%s”", f->id ? f->id : "", u->name);
            en = arena_printf(&is->arena, "unknown question \"%s\" (not in form %s)", u->name,
                              f->id ? f->id : "");
        }
        add_issue(&v, ISSUE_UNKNOWN, FORM_ERROR, name, -1, u->instance, -1, zh, en);
    }
    /* step 2 (state bits are recomputed: a questionnaire may be validated again) */
    for (size_t i = 0; i < f->nrows; i++) {
        int r = (int)i;
        if (f->rows[r].type == FORM_END_GROUP || f->rows[r].type == FORM_END_REPEAT) continue;
        EACH_FRAME(a, r, fr, s, inst, {
            fr->st[s] = ST_REL;
            fr->sub[s] = NULL;
            normalise(&v, fr, s, r, inst);
            answered += fr->val[s] != NULL;
        });
    }
    /* step 3: fixed point of calculations and relevance, then drop; again until stable */
    cap = answered + 2 * f->ncalc + 16;
    for (iter = 0; iter < cap && !v.nomem; iter++) {
        int changed = compute_calcs(&v);
        changed |= compute_relevance(&v);
        if (changed) continue;
        if (!drop_irrelevant(&v)) break;
    }
    if (iter == cap) {
        compute_calcs(&v); /* an oscillating form: settle on one state */
        drop_irrelevant(&v);
    }
    /* steps 4-6 */
    report_calcs(&v);
    check_required_and_checks(&v);
    if (v.nomem) return error_set(e, ERR_NOMEM, "out of memory validating answers");
    return 0;
}
