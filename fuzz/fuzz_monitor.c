/*
 * fuzz_monitor.c — libFuzzer target for issue 15's CSV parsers of src/monitor/: the attendance
 * files (village locations, work-team roster, check-ins: attendance_import) and the office
 * files (annual poverty-reduction plans, cadre-training sessions: monitor_office_import).
 * The first byte picks the file the rest replaces; the others are a small valid set. Every
 * input must import or be refused cleanly (all or nothing), on one store kept for the run in
 * a private temporary folder.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "monitor/monitor.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static const char villages[] = "village,name,county,latitude,longitude,radius_m\n"
                               "340101001001,甲村,340101,30.000000,117.000000,1000\n";
static const char roster[] = "member,name,village,role,from,to,left_for\n"
                             "A1,甲,340101001001,第一书记,2019-01-01,,\n"
                             "A2,乙,340101001001,队员,2019-01-01,2019-11-20,340101001001\n";
static const char checkins[] = "member,time,latitude,longitude,source\n"
                               "A1,2019-11-01 07:59,30.000000,117.000000,GPS\n"
                               "A1,2019-11-01 18:00,30.000000,117.000000,GPS\n"
                               "A2,2019-11-05 09:00,32.700000,117.000000,APP\n";
static const char plans[] = "county,year,planned\n340121,2019,6\n340121,2018,9\n";
static const char training[] = "county,date,title,participants\n"
                               "340121,2018-01-15,脱贫攻坚业务培训第1期,30\n";

static char dir[256];
static struct store *st;

static void put(const char *name, const void *p, size_t n, char *path, size_t size)
{
    FILE *f;
    snprintf(path, size, "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (!f) abort();
    if (n && fwrite(p, 1, n, f) != n) abort();
    fclose(f);
}

static void setup(void)
{
    struct error e;
    char db[300];
    const char *shm = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(dir, sizeof dir, "%s/pinggu-fuzz-monitor-XXXXXX", shm);
    if (!mkdtemp(dir)) abort();
    setenv("XDG_CONFIG_HOME", dir, 1);
    snprintf(db, sizeof db, "%s/f.db", dir);
    if (store_open(db, STORE_CREATE, &st, &e)) abort();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    struct att_rules r = {20, 720, 1080, 5, 150, 2, 1000};
    struct att_import_stats as;
    struct error e;
    char pv[300], pr[300], pc[300], pp[300], pt[300];
    long np = 0, nt = 0;
    int which;
    if (!st) setup();
    if (size < 1) return 0;
    which = data[0] % 5;
    data++, size--;
    put("v.csv", which == 0 ? (const void *)data : villages, which == 0 ? size : strlen(villages), pv, sizeof pv);
    put("r.csv", which == 1 ? (const void *)data : roster, which == 1 ? size : strlen(roster), pr, sizeof pr);
    put("c.csv", which == 2 ? (const void *)data : checkins, which == 2 ? size : strlen(checkins), pc, sizeof pc);
    put("p.csv", which == 3 ? (const void *)data : plans, which == 3 ? size : strlen(plans), pp, sizeof pp);
    put("t.csv", which == 4 ? (const void *)data : training, which == 4 ? size : strlen(training), pt, sizeof pt);
    if (which <= 2) {
        memset(&as, 0, sizeof as);
        if (attendance_import(st, &r, pv, pr, pc, &as, &e) == 0) {
            struct att_month m;
            memset(&m, 0, sizeof m);
            if (attendance_month(st, &r, 201911, &m, &e) == 0) att_month_release(&m);
        }
    } else {
        (void)monitor_office_import(st, pp, pt, &np, &nt, &e);
    }
    if (store_in_transaction(st)) abort(); /* every import ends its transaction */
    return 0;
}
