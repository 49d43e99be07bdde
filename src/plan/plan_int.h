/*
 * plan_int.h — private to src/plan/: frame rows (the frozen frame) and the frozen provider,
 * shared by frame.c, sample.c and manifest.c.
 */
#ifndef PINGGU_PLAN_INT_H
#define PINGGU_PLAN_INT_H

#include "plan.h"

/* One unit of the frozen frame. Strings live in the owning frame_rows' arena. */
struct frame_row {
    char level[12]; /* county township village household project */
    const char *key;
    const char *parent;
    const char *attrs; /* canonical JSON: sorted keys, compact, ASCII */
};

struct frame_rows {
    struct frame_row *rows; /* owned */
    size_t n, cap;
    struct arena arena;
};

void frame_rows_init(struct frame_rows *fr);
void frame_rows_release(struct frame_rows *fr);
/* Sorts by (level, key) and drops duplicate units. */
void frame_rows_normalise(struct frame_rows *fr);
/* SHA-256 (hex) over "level\tkey\tparent\tattrs\n" of each row in (level, key) order. */
void frame_rows_hash(const struct frame_rows *fr, char out[65]);
/* Appends a row (strings copied into the arena); 0 or ERR_NOMEM. */
int frame_rows_add(struct frame_rows *fr, const char *level, const char *key, const char *parent,
                   const char *attrs);

/* The rows the registry provider served (borrowed). */
struct frame_rows *frame_registry_rows(struct frame_registry *r);

/* A provider over frozen rows (borrowed; must outlive it). */
struct frame_frozen;
int frame_frozen_new(const struct frame_rows *rows, struct frame_frozen **out, struct error *e);
void frame_frozen_source(struct frame_frozen *z, struct frame_source *src);
void frame_frozen_free(struct frame_frozen *z);

/* The algorithm this build implements (written into manifests). */
#define SAMPLING_ALGORITHM "pinggu-sampling/2 (consistent_sampler tickets, SHA-256; distinct townships: successive πps, exact π)"

#endif
