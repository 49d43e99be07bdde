/*
 * cmd_audit.c — `pinggu audit verify|log --db DB`: the change log (store.h, docs/audit.md).
 *
 * verify checks the chain and the rows (audit_verify), then that the store extends every
 * signed checkpoint in the store's checkpoint file (the latest above all: a log cut short, an
 * older copy put back, or a re-hashed tail differs from it), and — with --checkpoint — one
 * held elsewhere. Without one held elsewhere it says so: the local file lies beside the store
 * and can be cut short by whoever can edit the store.
 */
#include "cli.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char help[] =
    "usage: pinggu audit verify --db DB [--checkpoint FILE|LINE|HEX] [--pubkey HEX]\n"
    "       pinggu audit log --db DB [-n N]\n\n"
    "verify  recomputes the change log's hash chain / 校验变更日志: every entry's hash, its\n"
    "        link to the previous entry, the sequence and the head; then re-hashes every\n"
    "        logged batch of rows and compares it with the entry's digest; then checks every\n"
    "        signed checkpoint of DB.checkpoints (or --checkpoints FILE): its signature, and\n"
    "        that the store's entry at its count has its hash — so a log cut short, an older\n"
    "        copy of the store, or a re-hashed tail fails. Exit 0 if intact; otherwise exit 1\n"
    "        naming the first problem.\n"
    "        --checkpoint  a checkpoint held elsewhere (independent of the store's folder): a\n"
    "                      checkpoint file, one checkpoint line (--print-checkpoint prints\n"
    "                      them), or a published head hash (64 hex digits). Without it the\n"
    "                      result says \"local checkpoint only — not independent\".\n"
    "        --pubkey      the published public key every checkpoint must be signed with.\n"
    "log     lists the last N entries (default 20; 0 for all).\n\n"
    "Every command that writes appends a signed checkpoint (docs/audit.md); the global\n"
    "options --checkpoints FILE and --print-checkpoint choose the file and print it.\n";

struct cpstate {
    int64_t problems;
    char first[700];
};

static void problem(struct cpstate *c, const char *fmt, ...) PG_PRINTF(2, 3);
static void problem(struct cpstate *c, const char *fmt, ...)
{
    va_list ap;
    if (c->problems++) return;
    va_start(ap, fmt);
    vsnprintf(c->first, sizeof c->first, fmt, ap);
    va_end(ap);
}

/* Checks every checkpoint line of file against the store; *latest = the one with the highest
 * count. Returns 1 if the file exists (found), 0 if not, negative on an I/O error. */
static int check_file(struct store *s, const char *file, const char *pubkey,
                      struct checkpoint *latest, int64_t *nlines, char keys[65],
                      struct cpstate *c, struct error *e)
{
    FILE *f = fopen(file, "r");
    char line[1024];
    long lineno = 0;
    *nlines = 0;
    keys[0] = '\0';
    memset(latest, 0, sizeof *latest);
    latest->count = -1;
    if (!f) return access(file, F_OK) ? 0 : error_set(e, ERR_IO, "%s: cannot read", file);
    while (fgets(line, sizeof line, f)) {
        struct checkpoint cp;
        struct error pe;
        lineno++;
        if (line[0] == '#' || line[0] == '\n') continue;
        if (checkpoint_parse(line, &cp, &pe)) {
            problem(c, "%s:%ld: %s", file, lineno, pe.msg);
            continue;
        }
        (*nlines)++;
        if (pubkey && strcmp(cp.pubkey, pubkey))
            problem(c, "%s:%ld: signed by key %.16s…, not the published key %.16s…", file,
                    lineno, cp.pubkey, pubkey);
        if (!keys[0]) memcpy(keys, cp.pubkey, 65);
        else if (strcmp(keys, cp.pubkey))
            problem(c, "%s:%ld: signed by key %.16s…, earlier lines by %.16s… (checkpoints "
                       "re-signed by someone else?)",
                    file, lineno, cp.pubkey, keys);
        if (checkpoint_check(s, &cp, &pe)) {
            if (pe.code != ERR_VERIFY) {
                fclose(f);
                *e = pe;
                return pe.code;
            }
            problem(c, "%s:%ld (checkpoint of entry %lld): %s", file, lineno,
                    (long long)cp.count, pe.msg);
        }
        if (cp.count > latest->count) *latest = cp;
    }
    fclose(f);
    return 1;
}

/* 1 if file lies in the same folder as the store (so it is not held elsewhere). */
static int beside_store(const char *file, const char *store)
{
    char a[PATH_MAX], b[PATH_MAX], fa[PATH_MAX], fb[PATH_MAX];
    const char *sa = strrchr(file, '/'), *sb = strrchr(store, '/');
    snprintf(a, sizeof a, "%.*s", sa ? (int)(sa - file) + 1 : 1, sa ? file : ".");
    snprintf(b, sizeof b, "%.*s", sb ? (int)(sb - store) + 1 : 1, sb ? store : ".");
    return realpath(a, fa) && realpath(b, fb) && !strcmp(fa, fb);
}

/* --checkpoint: a file, a checkpoint line, or a head hash. ERR_USAGE-ish problems are input
 * errors (exit 2); a mismatch is a problem. */
static int check_independent(struct store *s, const char *arg, const char *pubkey,
                             struct cpstate *c, int *local, struct error *e)
{
    struct checkpoint cp;
    int rc;
    if (access(arg, F_OK) == 0) {
        *local = beside_store(arg, store_path(s));
        int64_t n;
        char keys[65];
        struct cpstate own = {0, ""};
        rc = check_file(s, arg, pubkey, &cp, &n, keys, &own, e);
        if (rc < 0) return rc;
        if (!n && !own.problems)
            return error_set(e, ERR_INVALID, "%s: no checkpoint in it", arg);
        if (own.problems) problem(c, "independent checkpoint %s", own.first);
        else printf("independent checkpoint %s: entry %lld, head %.12s…: the store extends it\n",
                    arg, (long long)cp.count, cp.head);
        return 0;
    }
    if (!strncmp(arg, CHECKPOINT_TAG " ", strlen(CHECKPOINT_TAG) + 1)) {
        struct error pe;
        rc = checkpoint_parse(arg, &cp, &pe);
        if (rc == ERR_PARSE) {
            *e = pe;
            return ERR_INVALID;
        }
        if (rc) return problem(c, "independent checkpoint: %s", pe.msg), 0;
        if (pubkey && strcmp(cp.pubkey, pubkey))
            return problem(c, "independent checkpoint: signed by key %.16s…, not the published "
                              "key %.16s…",
                           cp.pubkey, pubkey),
                   0;
        rc = checkpoint_check(s, &cp, &pe);
        if (rc == ERR_VERIFY) problem(c, "independent checkpoint: %s", pe.msg);
        else if (rc) return *e = pe, rc;
        else printf("independent checkpoint: entry %lld, head %.12s…: the store extends it\n",
                    (long long)cp.count, cp.head);
        return 0;
    }
    if (strlen(arg) == 64 && strspn(arg, "0123456789abcdef") == 64) {
        int64_t seq;
        rc = audit_find_hash(s, arg, &seq, e);
        if (rc) return rc;
        if (seq)
            printf("independent head %.12s…: entry %lld of the store — the store extends it\n",
                   arg, (long long)seq);
        else
            problem(c, "independent head %.12s… is no entry of the store's log: the log was cut "
                       "short, put back to an older copy, or rewritten",
                    arg);
        return 0;
    }
    return error_set(e, ERR_INVALID,
                     "--checkpoint %s: neither a file, a checkpoint line (%s COUNT HEAD PUBKEY "
                     "SIGNATURE) nor a head hash (64 lower-case hex digits)",
                     arg, CHECKPOINT_TAG);
}

static int verify(struct store *s, const char *independent, const char *pubkey)
{
    struct audit_report r;
    struct cpstate c = {0, ""};
    struct checkpoint latest;
    struct error e;
    char file[1100], keys[65], local[65], head[65];
    int64_t nlines, count;
    int rc = audit_verify(s, &r, &e), found, beside = 0;
    if (rc && rc != ERR_VERIFY) return cli_fail(&e);
    printf("entries %lld, batches re-hashed %lld, rows %lld, retired %lld\n",
           (long long)r.entries, (long long)r.batches_checked, (long long)r.rows,
           (long long)r.retired);
    if (audit_head_get(s, &count, head, &e)) return cli_fail(&e);
    store_checkpoints_file(s, file, sizeof file);
    found = check_file(s, file, pubkey, &latest, &nlines, keys, &c, &e);
    if (found < 0) return cli_fail(&e);
    if (!found || (!nlines && !c.problems)) {
        if (count > 0 && !independent)
            problem(&c, "no checkpoint in %s: the end of the log cannot be checked (entries cut "
                        "off the end would pass); give --checkpoints FILE or --checkpoint",
                    file);
        else printf("checkpoints: none in %s\n", file);
    } else if (nlines) {
        printf("checkpoints: %s: %lld, the latest at entry %lld (head %.12s…), signed by key "
               "%.16s…",
               file, (long long)nlines, (long long)latest.count, latest.head, keys);
        if (pubkey) printf(" (the published key)\n");
        else if (!checkpoint_local_pubkey(local, NULL))
            printf(!strcmp(local, keys) ? " (this user's key)\n"
                                        : " — not this user's key: compare it with the key "
                                          "published for this store\n");
        else printf(" — compare it with the key published for this store\n");
        if (count > latest.count && latest.count >= 0)
            printf("note: entries %lld to %lld came after the latest checkpoint (not anchored)\n",
                   (long long)latest.count + 1, (long long)count);
    }
    if (independent) {
        rc = check_independent(s, independent, pubkey, &c, &beside, &e);
        if (rc) return cli_fail(&e);
    }
    if (r.problems)
        printf("FAILED: %lld problem%s; the first: %s\n", (long long)r.problems,
               r.problems == 1 ? "" : "s", r.first.what);
    if (c.problems)
        printf("FAILED: the store does not match its checkpoints: %lld problem%s; the first: "
               "%s\n",
               (long long)c.problems, c.problems == 1 ? "" : "s", c.first);
    if (r.problems || c.problems) return EXIT_FAIL;
    printf("ok: the change log is intact, every logged row matches its digest, and the store "
           "extends its checkpoints\n");
    if (!independent || beside)
        printf("local checkpoint only — not independent: %s lies with the store; check against "
               "a checkpoint held elsewhere with --checkpoint FILE|HEX / 仅本地检查点\n",
               beside ? independent : file);
    return EXIT_OK;
}

int cmd_audit(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"checkpoint", required_argument, 0, 'c'},
                                         {"pubkey", required_argument, 0, 'p'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *db = NULL, *sub, *independent = NULL, *pubkey = NULL;
    struct store *s;
    struct error e;
    int64_t n = 20;
    int c, rc;
    if (cli_wants_help(argc, argv) || argc < 2) return argc < 2 ? cli_usage("audit", "verify or log?") : cli_help(help);
    sub = argv[1];
    if (strcmp(sub, "verify") && strcmp(sub, "log"))
        return cli_usage("audit", "unknown sub-command '%s' (verify, log)", sub);
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "hn:", opts, NULL)) != -1) {
        if (c == 'd') db = optarg;
        else if (c == 'c') independent = optarg;
        else if (c == 'p') pubkey = optarg;
        else if (c == 'n' && !parse_int64(optarg, &n)) continue;
        else if (c == 'n') return cli_bad_value("audit", "-n %s is not a number of entries", optarg);
        else if (c == 'h') return cli_help(help);
        else return cli_usage("audit", "bad option");
    }
    if (optind != argc - 1) return cli_usage("audit", "unexpected argument '%s'", argv[optind + 1]);
    if (pubkey && (strlen(pubkey) != 64 || strspn(pubkey, "0123456789abcdef") != 64))
        return cli_usage("audit", "--pubkey takes 64 lower-case hex digits");
    if ((rc = cli_open_store(db, 0, &s))) return rc;
    if (!strcmp(sub, "log")) {
        rc = audit_log_print(s, stdout, n, &e);
        store_close(s);
        return rc ? cli_fail(&e) : EXIT_OK;
    }
    rc = verify(s, independent, pubkey);
    store_close(s);
    return rc;
}
