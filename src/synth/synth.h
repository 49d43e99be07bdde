/*
 * synth.h — the synthetic generators (src/synth/): tools that make test data with known
 * truth, not pipeline stages. Every demo, test and benchmark runs on what they write.
 *
 *   province.c     a synthetic province: the seven registry files in the canonical format of
 *                  `pinggu export`, plus truth.csv and truth-counties.csv (docs/synthetic.md)
 *   departments.c  department files for the comparison with injected anomalies and noise,
 *                  plus departments-truth.csv (docs/compare.md §Synthetic departments)
 *
 * Dependencies point one way: synth uses the stages (registry.h for the file tables and
 * codes; compare's date arithmetic and category/health codes through compare_int.h, so the
 * truth is computed exactly as the engine computes flags), and no stage includes synth.h.
 * Only src/cli/cmd_synth.c and the tests call it.
 *
 * Invariants: output depends only on the arguments (no clock, no rand()); memory does not
 * grow with the number of households; files are written under temporary names and renamed
 * only when all are complete.
 */
#ifndef PINGGU_SYNTH_H
#define PINGGU_SYNTH_H

#include "../base/base.h"

struct synth_opts {
    const char *out;    /* directory to write (created) */
    uint64_t seed;
    int province;       /* 2-digit province code, e.g. 34 */
    int counties;       /* number of counties (or 0) */
    int64_t members;    /* add counties until at least this many members (or 0) */
    int year;           /* assessment year: ages are computed at its 31 December (2019) */
    int departments;    /* must be 0: synth_province refuses it; departments/ is written by
                         * synth_departments (cmd_synth calls it after synth_province) */
    int progress;
};

/* Writes the seven registry files plus truth.csv (true income and 两不愁三保障 status per
 * household) and truth-counties.csv into o->out, deterministically for o->seed, streaming
 * (memory does not grow with size). Nothing is returned to own; the files belong to the
 * caller. See docs/synthetic.md. */
int synth_province(const struct synth_opts *o, struct error *e);

/* Reads the synthetic registry in dir (counties.csv, households.csv, members.csv and
 * truth.csv as synth_province wrote them) and writes dir/departments/ (one CSV per
 * department file of rules/compare.json, with injected anomalies and realistic noise) and
 * dir/departments-truth.csv (every flag rules/compare.json must raise, and no other), for
 * the reference date 31 December of `year`. Deterministic for (registry, seed, year);
 * streaming (memory bounded by one county). Files are written to temporary names and
 * renamed when all are complete; the caller owns them. See docs/compare.md. */
int synth_departments(const char *dir, uint64_t seed, int year, struct error *e);

/* Reads the synthetic registry's villages.csv in dir and writes DIR/attendance/ (villages.csv,
 * roster.csv, checkins.csv for month yyyymm, truth.csv): work-team members of known classes —
 * in the village enough, exactly 20 and 19 days, under, 走读, 挂虚名, one impossible jump, a
 * part month — with the counts monitor.h's rule must find (attendance.c, docs/monitoring.md). */
int synth_attendance(const char *dir, uint64_t seed, int yyyymm, struct error *e);

/* Reads the synthetic province in dir (its year is the monitoring year `year`) and writes
 * DIR/snapshots/{year-2,year-1,year}/ (registry folders of a few villages per county, the
 * earlier years before later exits and returns) and DIR/monitor/ (plans, training, work-team
 * roster and the truth of every planted post-exit sign; monitor.c, docs/monitoring.md). */
int synth_monitor(const char *dir, uint64_t seed, int year, struct error *e);

/* Writes DIR/bulletin.csv: three months (ending with yyyymm) of drawn scores of Shaanxi's
 * 11 市(区) and 8 provincial departments, the score sheet of `pinggu bulletin` (for the demo;
 * the bulletin's own tests use hand-made sheets). */
int synth_bulletin(const char *dir, uint64_t seed, int yyyymm, struct error *e);

#endif
