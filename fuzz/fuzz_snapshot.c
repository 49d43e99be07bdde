/*
 * fuzz_snapshot.c — libFuzzer target for the yearly registry snapshots (issue 15, `pinggu
 * import --snapshot`): the registry files are parsed by registry_import and copied into the
 * snapshot tables by monitor_snapshot_take. The first byte picks which of five small, valid
 * registry files (counties, townships, villages, households, members) the rest replaces; the
 * import must succeed or be refused cleanly (all or nothing), and an imported registry is
 * snapshotted. One store for the run, in a private temporary folder.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "monitor/monitor.h"
#include "registry/registry.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static const char *const names[5] = {"counties.csv", "townships.csv", "villages.csv",
                                     "households.csv", "members.csv"};
static const char *const files[5] = {
    "code,name,city_code,city_name,region,type,exit_year,rural_population,allowance_standard,"
    "paired_with,reported_incidence,reported_wrong_exit,reported_missed,reported_approval\n"
    "340121,清丰县,3401,寨丰市,central,exited,2018,133631,3710,,0.0042,0.004,0.012,0.9208\n",
    "code,name,key_township\n340121101,舒潜镇,0\n",
    "code,name,poor,exit_year,population,groups,general_households,remoteness,road_hardened,"
    "road_width,narrow_road_exception,bus_feasible,bus_distance,water_quality,water_litres,"
    "water_minutes,water_guarantee,power_production,power_household,tv_household,culture_items,"
    "clinic_area,clinic_rooms,clinic_staff,village_doctor,fibre,broadband,collective_income\n"
    "340121101201,桃岭村,0,,870,11,,0.095,1,6,0,1,1,1,76,1,95.7,100,100,100,7,80,4,1,1,1,300,"
    "60200\n",
    "household_id,village,group,registered,identified_year,exit_year,returned,return_year,edge,"
    "monitored,allowance,hardship,disability,illness,unsafe_house,relocated,income\n"
    "3401211012010001,340121101201,1,0,,,0,,0,0,0,0,0,0,0,0,\n"
    "3401211012010002,340121101201,1,1,2014,2017,0,,0,0,0,0,0,1,0,1,5210.5\n",
    "resident_id,household_id,name,relation,sex,birth_date,education,in_school,health,labour,"
    "medical_insurance,illness_insurance,pension_insurance,disability_cert\n"
    "340121195909224777,3401211012010001,郑祥发,head,male,1959-09-22,primary,0,healthy,weak,1,1,0,0\n"
    "340121195812104648,3401211012010001,张萍,spouse,female,1958-12-10,none,0,chronic,normal,1,1,0,0\n"
    "340121196908011491,3401211012010002,袁飞鹏,head,male,1969-08-01,vocational,0,chronic,normal,1,1,1,0\n"};

static char dir[256];
static struct store *st;
static int nsnap;

static void setup(void)
{
    struct error e;
    char db[300];
    const char *shm = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(dir, sizeof dir, "%s/pinggu-fuzz-snapshot-XXXXXX", shm);
    if (!mkdtemp(dir)) abort();
    setenv("XDG_CONFIG_HOME", dir, 1);
    snprintf(db, sizeof db, "%s/f.db", dir);
    if (store_open(db, STORE_CREATE, &st, &e)) abort();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    struct import_opts o;
    struct import_stats is;
    struct errlist errs;
    struct error e;
    int which;
    if (!st) setup();
    if (size < 1) return 0;
    which = data[0] % 5;
    data++, size--;
    for (int i = 0; i < 5; i++) {
        char path[400];
        FILE *f;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        f = fopen(path, "wb");
        if (!f) abort();
        if (i == which) {
            if (size && fwrite(data, 1, size, f) != size) abort();
        } else {
            fputs(files[i], f);
        }
        fclose(f);
    }
    memset(&o, 0, sizeof o);
    memset(&is, 0, sizeof is);
    o.today = 20200101;
    errlist_init(&errs, 20);
    if (registry_import(st, dir, &o, &is, &errs, &e) == 0 && nsnap < 50) {
        /* a snapshot per distinct date, while the run lasts (snapshots are read-only) */
        struct snapshot_stats ss;
        char date[16];
        snprintf(date, sizeof date, "20%02d-12-31", nsnap++);
        memset(&ss, 0, sizeof ss);
        (void)monitor_snapshot_take(st, date, &ss, &e);
    }
    errlist_release(&errs);
    if (store_in_transaction(st)) abort(); /* every import ends its transaction */
    return 0;
}
