/*
 * setup_print.c — the texts of a round's set-up as `pinggu plan check`, `pinggu sample` and
 * `pinggu sample verify` print them (plan.h). The command line and the office's set-up page
 * (src/server/setup.c) both print through these, so the page shows exactly what the CLI shows.
 *
 * Invariant: these only print; they decide nothing the library has not decided already.
 */
#include "plan_int.h"

int plan_check_print(struct store *s, const char *label, const struct plan *p,
                     const char *db_label, FILE *f, struct error *e)
{
    int nwarn = 0, ncounties = 0, rc;
    fprintf(f, "%s: valid plan %s (%s), SHA-256 %s\n", label, p->id, p->title_zh, p->hash);
    if (!s) return 0;
    rc = plan_check_frame(s, p, f, &nwarn, &ncounties, e);
    if (rc) return rc;
    if (nwarn)
        fprintf(f,
                "%d warning%s: the frame of %s cannot fill every quota (%d count%s checked); "
                "the draw will report each shortfall / 抽样框不足以满足配额\n",
                nwarn, nwarn == 1 ? "" : "s", db_label, ncounties, ncounties == 1 ? "y" : "ies");
    else
        fprintf(f, "every quota fits the frame of %s (%d count%s checked) / 抽样框足以满足各配额\n",
                db_label, ncounties, ncounties == 1 ? "y" : "ies");
    return 0;
}

int sample_draw_print(struct store *s, const char *name, const char *seed, FILE *f,
                      struct error *e)
{
    char commit[65];
    int rc = sample_show(s, name, 0, f, e);
    if (rc) return rc;
    seed_commitment(seed, commit);
    fprintf(f, "\nseed commitment %s\n", commit);
    return 0;
}

void sample_verify_print(const struct verify_report *r, int identical, int with_commitment,
                         FILE *f)
{
    if (!identical) {
        fprintf(f, "sample %s: NOT identical: %s\n", r->sample, r->first);
        return;
    }
    fprintf(f, "sample %s: identical — %lld units re-derived from %lld frozen frame rows%s\n",
            r->sample, (long long)r->selections, (long long)r->frame_rows,
            with_commitment ? "; the seed matches the published commitment" : "");
}
