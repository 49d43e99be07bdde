/*
 * cmd_attendance.c — `pinggu attendance import|summary|recall`: village work-team attendance
 * (monitor.h, docs/monitoring.md; seed 001: 每月驻村时间不少于20天, GPS, 召回).
 */
#include "cli.h"
#include "../monitor/monitor.h"

#include <string.h>

static const char help[] =
    "usage: pinggu attendance import --db S --villages V.csv --roster R.csv --checkins C.csv\n"
    "       pinggu attendance summary --db S --month YYYY-MM [--out DIR]\n"
    "       pinggu attendance recall --db S --month YYYY-MM [--county CODE]\n"
    "       (each also takes --rules FILE, default rules/monitor.json)\n\n"
    "驻村考勤 / village work-team attendance (seed 001, 湖南: "
    "\"规定每月驻村时间不少于20天,实行GPS\n"
    "定位管理,建立驻村工作队员召回问责机制,杜绝'走读'、挂虚名等现象\").\n"
    "  import   village locations (village, name, county, latitude, longitude[, radius_m]),\n"
    "           the roster (member, name, village, from[, role, to, left_for]) and the GPS\n"
    "           check-ins (member, time, latitude, longitude[, source]); all or nothing, a bad\n"
    "           row is refused with file:line:column (exit 2); replaces the previous import.\n"
    "  summary  per member: days in the village (a morning and an evening check-in inside the\n"
    "           village radius), day visits (走读), never present (挂虚名), impossible movement;\n"
    "           --out DIR writes attendance-YYYY-MM.html and .xlsx.\n"
    "  recall   the recall list (召回): members under 20 days, by county.\n";

static int load_rules(const char *file, struct monitor_rules *r)
{
    struct strbuf path = STRBUF_INIT;
    struct error e;
    int rc;
    if (data_find(file, &path) < 0) {
        error_set(&e, ERR_NOMEM, "out of memory");
        return cli_fail(&e);
    }
    rc = monitor_rules_load(path.buf, r, &e);
    sb_release(&path);
    return rc ? cli_fail(&e) : 0;
}

static int parse_month(const char *s, int *out)
{
    int64_t y, m;
    char buf[8];
    if (!s || strlen(s) != 7 || s[4] != '-') return -1;
    memcpy(buf, s, 4);
    buf[4] = 0;
    if (parse_int64(buf, &y) || y < 2000 || y > 2100) return -1;
    if (parse_int64(s + 5, &m) || m < 1 || m > 12) return -1;
    *out = (int)(y * 100 + m);
    return 0;
}

int cmd_attendance(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"villages", required_argument, 0, 'v'},
                                         {"roster", required_argument, 0, 'r'},
                                         {"checkins", required_argument, 0, 'c'},
                                         {"month", required_argument, 0, 'm'},
                                         {"out", required_argument, 0, 'o'},
                                         {"county", required_argument, 0, 'C'},
                                         {"rules", required_argument, 0, 'R'},
                                         {0, 0, 0, 0}};
    const char *db = NULL, *vf = NULL, *rf = NULL, *cf = NULL, *month_s = NULL, *dir = NULL;
    const char *rules = "rules/monitor.json", *sub;
    struct monitor_rules mr;
    struct store *s = NULL;
    struct att_month am = {0};
    struct error e;
    int c, rc, month = 0;
    int64_t county = 0;
    if (cli_wants_help(argc, argv)) return cli_help(help);
    if (argc < 2) return cli_usage("attendance", "import, summary or recall?");
    sub = argv[1];
    if (strcmp(sub, "import") && strcmp(sub, "summary") && strcmp(sub, "recall"))
        return cli_usage("attendance", "unknown sub-command '%s'", sub);
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 'v':
            vf = optarg;
            break;
        case 'r':
            rf = optarg;
            break;
        case 'c':
            cf = optarg;
            break;
        case 'm':
            month_s = optarg;
            break;
        case 'o':
            dir = optarg;
            break;
        case 'R':
            rules = optarg;
            break;
        case 'C':
            if (parse_int64(optarg, &county) || county < 110000 || county > 829999)
                return cli_bad_value("attendance", "--county %s is not a county code", optarg);
            break;
        default:
            return cli_usage("attendance", "unknown option");
        }
    }
    if (optind < argc - 1)
        return cli_usage("attendance", "unexpected argument '%s'", argv[optind + 1]);
    if (!db) return cli_usage("attendance", "--db is required");
    if ((rc = load_rules(rules, &mr))) return rc;
    if (!strcmp(sub, "import")) {
        struct att_import_stats st;
        if (!vf || !rf || !cf)
            return cli_usage("attendance", "import needs --villages, --roster and --checkins");
        if ((rc = cli_need_input("attendance", vf, 0)) ||
            (rc = cli_need_input("attendance", rf, 0)) ||
            (rc = cli_need_input("attendance", cf, 0)))
            return rc;
        if ((rc = cli_open_store(db, 0, &s))) return rc;
        rc = attendance_import(s, &mr.att, vf, rf, cf, &st, &e);
        store_close(s);
        if (rc) return cli_fail(&e);
        printf("imported %ld villages, %ld roster rows, %ld check-ins\n", st.villages, st.roster,
               st.checkins);
        return EXIT_OK;
    }
    if (!month_s) return cli_usage("attendance", "--month YYYY-MM is required");
    if (parse_month(month_s, &month))
        return cli_bad_value("attendance", "--month '%s' is not YYYY-MM", month_s);
    if ((rc = cli_open_store(db, STORE_READONLY, &s))) return rc;
    rc = attendance_month(s, &mr.att, month, &am, &e);
    store_close(s);
    if (rc) return cli_fail(&e);
    if (!strcmp(sub, "summary")) {
        long under = 0, ghost = 0, visit = 0, jump = 0;
        printf("%-8s %-12s %-10s %-10s %5s %5s %5s  %s\n", "县", "村 village", "队员", "姓名",
               "天数", "来访", "异常", "signs");
        for (size_t i = 0; i < am.n; i++) {
            const struct att_member *m = &am.m[i];
            printf("%-8d %-12lld %-10s %-10s %5d %5d %5d  %s%s%s%s\n", m->county,
                   (long long)m->village, m->member, m->name, m->days, m->visit_days, m->jumps,
                   m->under ? "under " : "", m->ghost ? "挂虚名 " : "",
                   m->day_visitor ? "走读 " : "", m->jumps ? "movement" : "");
            under += m->under, ghost += m->ghost, visit += m->day_visitor, jump += m->jumps > 0;
        }
        printf("%zu members assessed, %ld on the roster for part of the month; under %d days: "
               "%ld; 挂虚名: %ld; 走读: %ld; impossible movement: %ld\n",
               am.n, am.part_month, mr.att.min_days, under, ghost, visit, jump);
        if (dir && (rc = attendance_write(&am, &mr.att, dir, &e))) {
            att_month_release(&am);
            return cli_fail(&e);
        }
    } else {
        int last = 0;
        long n = 0;
        for (size_t i = 0; i < am.n; i++) {
            const struct att_member *m = &am.m[i];
            if (!m->under || (county && m->county != county)) continue;
            if (m->county != last) printf("county %d 召回名单 recall list\n", m->county);
            last = m->county;
            printf("  %s %s village %lld %s: %d days, %s\n", m->member, m->name,
                   (long long)m->village, m->village_name, m->days,
                   m->ghost         ? "挂虚名 never present"
                   : m->day_visitor ? "走读 day visits only"
                                    : "under the days");
            n++;
        }
        printf("%ld members to recall (under %d days in the village in %s)\n", n, mr.att.min_days,
               month_s);
    }
    att_month_release(&am);
    return EXIT_OK;
}
