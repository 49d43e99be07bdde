/*
 * schema.c — the store's schema as an ordered list of migrations (store_int.h).
 *
 * Rules: a migration is never edited once released — a change is a new migration appended
 * at the end; SQL stays in the portable subset (see store.h). Every audited table has
 * `row_no INTEGER PRIMARY KEY` (insertion order, the order its batch digest is computed in)
 * and `log_id` (the change-log entry that wrote the row), with log_id its last column.
 * Resident IDs are stored packed (ids_pack: the 17-digit body as an integer). There is no
 * index on them: the importer proves them unique in memory, and every stage that joins on
 * them (the comparison) builds its own in-memory index; an index would cost the import of a
 * 10-million-member province about 6 s and buy nothing.
 */
#include "store_int.h"

static const char v1[] =
    /* change log: see audit.c */
    "CREATE TABLE audit_log ("
    " seq INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,"
    " tbl TEXT NOT NULL, key TEXT NOT NULL, nrows INTEGER NOT NULL, digest TEXT NOT NULL,"
    " detail TEXT NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL);"
    "CREATE TABLE audit_old ("
    " seq INTEGER NOT NULL, tbl TEXT NOT NULL, row_no INTEGER NOT NULL,"
    " old_log INTEGER NOT NULL, encoding BLOB NOT NULL, content TEXT);"
    "CREATE INDEX audit_old_tbl ON audit_old (tbl, old_log, row_no);"
    "CREATE TABLE audit_head (one INTEGER PRIMARY KEY CHECK (one = 1),"
    " seq INTEGER NOT NULL, hash TEXT NOT NULL);"

    /* registry (DESIGN §3, docs/formats.md) */
    "CREATE TABLE counties ("
    " row_no INTEGER PRIMARY KEY, code INTEGER NOT NULL, name TEXT NOT NULL,"
    " city_code INTEGER NOT NULL, city_name TEXT NOT NULL, region TEXT NOT NULL,"
    " type TEXT NOT NULL, exit_year INTEGER, rural_population INTEGER NOT NULL,"
    " allowance_standard REAL NOT NULL, paired_with INTEGER,"
    " reported_incidence REAL, reported_wrong_exit REAL, reported_missed REAL,"
    " reported_approval REAL, log_id INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX counties_code ON counties (code);"

    "CREATE TABLE townships ("
    " row_no INTEGER PRIMARY KEY, code INTEGER NOT NULL, name TEXT NOT NULL,"
    " key_township INTEGER NOT NULL, county INTEGER NOT NULL, log_id INTEGER NOT NULL);"
    "CREATE INDEX townships_county ON townships (county);"
    "CREATE UNIQUE INDEX townships_code ON townships (code);"

    "CREATE TABLE villages ("
    " row_no INTEGER PRIMARY KEY, code INTEGER NOT NULL, name TEXT NOT NULL,"
    " poor INTEGER NOT NULL,"
    " exit_year INTEGER, population INTEGER NOT NULL, groups INTEGER NOT NULL,"
    " general_households INTEGER, remoteness REAL NOT NULL,"
    " road_hardened INTEGER, road_width REAL, narrow_road_exception INTEGER NOT NULL,"
    " bus_feasible INTEGER, bus_distance REAL, water_quality INTEGER, water_litres REAL,"
    " water_minutes REAL, water_guarantee REAL, power_production REAL, power_household REAL,"
    " tv_household REAL, culture_items INTEGER, clinic_area REAL, clinic_rooms INTEGER,"
    " clinic_staff INTEGER, village_doctor INTEGER, fibre INTEGER, broadband REAL,"
    " collective_income REAL, township INTEGER NOT NULL, county INTEGER NOT NULL,"
    " log_id INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX villages_code ON villages (code);"
    "CREATE INDEX villages_county ON villages (county);"

    "CREATE TABLE households ("
    " row_no INTEGER PRIMARY KEY, household_id TEXT NOT NULL, village INTEGER NOT NULL,"
    " grp INTEGER NOT NULL, registered INTEGER NOT NULL, identified_year INTEGER,"
    " exit_year INTEGER, returned INTEGER NOT NULL, return_year INTEGER,"
    " edge INTEGER NOT NULL, monitored INTEGER NOT NULL, allowance INTEGER NOT NULL,"
    " hardship INTEGER NOT NULL, disability INTEGER NOT NULL, illness INTEGER NOT NULL,"
    " unsafe_house INTEGER NOT NULL, relocated INTEGER NOT NULL, income REAL,"
    " log_id INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX households_id ON households (household_id);"
    "CREATE INDEX households_village ON households (village);"

    "CREATE TABLE members ("
    " row_no INTEGER PRIMARY KEY, resident INTEGER NOT NULL, household INTEGER NOT NULL,"
    " name TEXT NOT NULL, relation TEXT NOT NULL, education TEXT NOT NULL,"
    " in_school INTEGER NOT NULL, health TEXT NOT NULL, labour TEXT NOT NULL,"
    " medical_insurance INTEGER NOT NULL, illness_insurance INTEGER NOT NULL,"
    " pension_insurance INTEGER NOT NULL, disability_cert INTEGER NOT NULL,"
    " log_id INTEGER NOT NULL);"
    "CREATE INDEX members_household ON members (household);"

    "CREATE TABLE projects ("
    " row_no INTEGER PRIMARY KEY, project_id TEXT NOT NULL, county INTEGER NOT NULL,"
    " village INTEGER, name TEXT NOT NULL, kind TEXT NOT NULL, funds REAL NOT NULL,"
    " year INTEGER NOT NULL, status TEXT NOT NULL, paired INTEGER NOT NULL,"
    " log_id INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX projects_id ON projects (project_id);"

    "CREATE TABLE evaluators ("
    " row_no INTEGER PRIMARY KEY, evaluator_id TEXT NOT NULL, name TEXT NOT NULL,"
    " home_city INTEGER NOT NULL, unit_level TEXT NOT NULL, position TEXT NOT NULL,"
    " experienced INTEGER NOT NULL, exam_score REAL NOT NULL, log_id INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX evaluators_id ON evaluators (evaluator_id);";

/* v2: samples (plan.h) — the plan text, seed and commitment, the frozen frame, the units
 * drawn, per-stratum notes; teams and their members. */
static const char v2[] =
    "CREATE TABLE samples ("
    " row_no INTEGER PRIMARY KEY, name TEXT NOT NULL, plan_id TEXT NOT NULL,"
    " plan_hash TEXT NOT NULL, plan_text TEXT NOT NULL, seed TEXT NOT NULL,"
    " commitment TEXT NOT NULL, frame_hash TEXT NOT NULL, frame_rows INTEGER NOT NULL,"
    " algorithm TEXT NOT NULL, created TEXT NOT NULL, log_id INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX samples_name ON samples (name);"
    "CREATE TABLE sample_frame ("
    " row_no INTEGER PRIMARY KEY, sample INTEGER NOT NULL, level TEXT NOT NULL,"
    " key TEXT NOT NULL, parent TEXT NOT NULL, attrs TEXT NOT NULL, log_id INTEGER NOT NULL);"
    "CREATE INDEX sample_frame_sample ON sample_frame (sample);"
    "CREATE TABLE sample_units ("
    " row_no INTEGER PRIMARY KEY, sample INTEGER NOT NULL, stage TEXT NOT NULL,"
    " stratum TEXT NOT NULL, parent TEXT NOT NULL, unit TEXT NOT NULL, code TEXT NOT NULL,"
    " county INTEGER NOT NULL, village INTEGER NOT NULL, quota INTEGER NOT NULL,"
    " rank INTEGER NOT NULL, ticket TEXT NOT NULL, substitute_for TEXT NOT NULL,"
    " reserve INTEGER NOT NULL, certainty INTEGER NOT NULL, pi REAL NOT NULL,"
    " pi_se REAL NOT NULL, category TEXT NOT NULL, grp INTEGER NOT NULL,"
    " log_id INTEGER NOT NULL);"
    "CREATE INDEX sample_units_sample ON sample_units (sample, stage, county);"
    "CREATE INDEX sample_units_code ON sample_units (sample, code);"
    "CREATE TABLE sample_strata ("
    " row_no INTEGER PRIMARY KEY, sample INTEGER NOT NULL, stage TEXT NOT NULL,"
    " stratum TEXT NOT NULL, parent TEXT NOT NULL, county INTEGER NOT NULL,"
    " frame INTEGER NOT NULL, quota INTEGER NOT NULL, taken INTEGER NOT NULL,"
    " shortfall INTEGER NOT NULL, lent INTEGER NOT NULL, log_id INTEGER NOT NULL);"
    "CREATE INDEX sample_strata_sample ON sample_strata (sample, county);"
    "CREATE TABLE teams ("
    " row_no INTEGER PRIMARY KEY, sample INTEGER NOT NULL, team INTEGER NOT NULL,"
    " home_city INTEGER NOT NULL, seed TEXT NOT NULL, round INTEGER NOT NULL,"
    " log_id INTEGER NOT NULL);"
    "CREATE TABLE team_cities ("
    " row_no INTEGER PRIMARY KEY, sample INTEGER NOT NULL, team INTEGER NOT NULL,"
    " city INTEGER NOT NULL, counties INTEGER NOT NULL, log_id INTEGER NOT NULL);"
    "CREATE TABLE team_members ("
    " row_no INTEGER PRIMARY KEY, sample INTEGER NOT NULL, team INTEGER NOT NULL,"
    " evaluator TEXT NOT NULL, role TEXT NOT NULL, pair INTEGER NOT NULL,"
    " ticket TEXT NOT NULL, log_id INTEGER NOT NULL);";

/* v3: fieldwork (survey.h) — questionnaires and their answers (versions kept by the change
 * log), non-response and replacements, evidence blobs and their links; judgments (judge.h)
 * and the problem candidates they raise. */
static const char v3[] =
    "CREATE TABLE questionnaires ("
    " row_no INTEGER PRIMARY KEY, sample INTEGER NOT NULL, form TEXT NOT NULL,"
    " unit TEXT NOT NULL, unit_kind TEXT NOT NULL, county INTEGER NOT NULL,"
    " village INTEGER NOT NULL, team INTEGER NOT NULL, pair TEXT NOT NULL,"
    " survey_date TEXT NOT NULL, duration REAL, lat REAL, lon REAL, status TEXT NOT NULL,"
    " reason TEXT NOT NULL, replaces TEXT NOT NULL, source TEXT NOT NULL,"
    " warnings INTEGER NOT NULL, log_id INTEGER NOT NULL);"
    "CREATE INDEX questionnaires_unit ON questionnaires (sample, unit);"
    "CREATE TABLE answers ("
    " row_no INTEGER PRIMARY KEY, questionnaire INTEGER NOT NULL, name TEXT NOT NULL,"
    " instance INTEGER NOT NULL, value TEXT NOT NULL, log_id INTEGER NOT NULL);"
    "CREATE INDEX answers_questionnaire ON answers (questionnaire);"
    "CREATE TABLE field_issues ("
    " row_no INTEGER PRIMARY KEY, questionnaire INTEGER NOT NULL, name TEXT NOT NULL,"
    " instance INTEGER NOT NULL, severity TEXT NOT NULL, kind TEXT NOT NULL,"
    " message TEXT NOT NULL, log_id INTEGER NOT NULL);"
    "CREATE INDEX field_issues_questionnaire ON field_issues (questionnaire);"
    "CREATE TABLE replacements ("
    " row_no INTEGER PRIMARY KEY, sample INTEGER NOT NULL, unit TEXT NOT NULL,"
    " reason TEXT NOT NULL, replaced_by TEXT NOT NULL, log_id INTEGER NOT NULL);"
    "CREATE INDEX replacements_sample ON replacements (sample);"
    "CREATE TABLE evidence ("
    " row_no INTEGER PRIMARY KEY, sha256 TEXT NOT NULL, size INTEGER NOT NULL,"
    " media TEXT NOT NULL, name TEXT NOT NULL, added TEXT NOT NULL, log_id INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX evidence_sha256 ON evidence (sha256);"
    "CREATE TABLE evidence_links ("
    " row_no INTEGER PRIMARY KEY, evidence TEXT NOT NULL, unit TEXT NOT NULL,"
    " questionnaire INTEGER NOT NULL, problem INTEGER NOT NULL, log_id INTEGER NOT NULL);"
    "CREATE INDEX evidence_links_unit ON evidence_links (unit);"
    "CREATE TABLE judgments ("
    " row_no INTEGER PRIMARY KEY, sample INTEGER NOT NULL, unit TEXT NOT NULL,"
    " unit_kind TEXT NOT NULL, county INTEGER NOT NULL, village INTEGER NOT NULL,"
    " rule TEXT NOT NULL, outcome TEXT NOT NULL, value TEXT NOT NULL, detail TEXT NOT NULL,"
    " log_id INTEGER NOT NULL);"
    "CREATE INDEX judgments_unit ON judgments (sample, unit);"
    "CREATE TABLE problems ("
    " row_no INTEGER PRIMARY KEY, sample INTEGER NOT NULL, county INTEGER NOT NULL,"
    " township INTEGER NOT NULL, village INTEGER NOT NULL, unit TEXT NOT NULL,"
    " kind TEXT NOT NULL, rule TEXT NOT NULL, description TEXT NOT NULL,"
    " source TEXT NOT NULL, status TEXT NOT NULL, found_by TEXT NOT NULL,"
    " found_on TEXT NOT NULL, log_id INTEGER NOT NULL);"
    "CREATE INDEX problems_sample ON problems (sample, county);";

/* v4: the department comparison (compare.h: one row per run, one per flag, its evidence as a
 * JSON array) and scores of scored plans (estimate.h: one row per unit of a scoring tree; the
 * node scores as JSON in detail). */
static const char v4[] =
    "CREATE TABLE compare_runs ("
    " row_no INTEGER PRIMARY KEY, rules_id TEXT NOT NULL, rules_sha256 TEXT NOT NULL,"
    " rules_text TEXT NOT NULL, reference_date TEXT NOT NULL, dept_dir TEXT NOT NULL,"
    " files TEXT NOT NULL, flags INTEGER NOT NULL, log_id INTEGER NOT NULL);"
    "CREATE TABLE compare_flags ("
    " row_no INTEGER PRIMARY KEY, run INTEGER NOT NULL, rule TEXT NOT NULL, kind TEXT NOT NULL,"
    " severity TEXT NOT NULL, county INTEGER NOT NULL, household_id TEXT, resident INTEGER,"
    " name TEXT, records INTEGER NOT NULL, evidence TEXT NOT NULL, log_id INTEGER NOT NULL);"
    "CREATE INDEX compare_flags_household ON compare_flags (household_id);"
    "CREATE INDEX compare_flags_resident ON compare_flags (resident);"
    "CREATE TABLE scores ("
    " row_no INTEGER PRIMARY KEY, sample INTEGER NOT NULL, tree TEXT NOT NULL,"
    " unit TEXT NOT NULL, name TEXT NOT NULL, total REAL NOT NULL, se REAL,"
    " bonus REAL NOT NULL, vetoed INTEGER NOT NULL, below_standard INTEGER NOT NULL,"
    " rank INTEGER NOT NULL, units INTEGER NOT NULL, flags TEXT NOT NULL,"
    " detail TEXT NOT NULL, log_id INTEGER NOT NULL);"
    "CREATE INDEX scores_sample ON scores (sample, tree);";

/* v5 (issue 9): teams.round, the team lottery's redraw count, becomes draw_round — "round"
 * means an assessment round (DESIGN §10). A column rename keeps every value and the column
 * order, so the canonical row encodings, and the change log's digests, are unchanged. (The
 * store's mark, application_id and user_version, is set by every migration: store.c.) */
static const char v5[] = "ALTER TABLE teams RENAME COLUMN round TO draw_round;";

/* v6: the problem life cycle (src/problem/, DESIGN §8.1): one row per move, appended, never
 * updated — a problem's state is its last move's to_state (its problems.status before any move),
 * so a problem keeps its row_no for life. evidence is a JSON array of the SHA-256 hashes the
 * move brought (the blobs and their links to the problem are in evidence/evidence_links). */
static const char v6[] =
    "CREATE TABLE problem_moves ("
    " row_no INTEGER PRIMARY KEY, problem INTEGER NOT NULL, from_state TEXT NOT NULL,"
    " to_state TEXT NOT NULL, actor TEXT NOT NULL, role TEXT NOT NULL, on_day TEXT NOT NULL,"
    " at TEXT NOT NULL, note TEXT NOT NULL, evidence TEXT NOT NULL, deadline TEXT NOT NULL,"
    " measures TEXT NOT NULL, responsible_unit TEXT NOT NULL, responsible_person TEXT NOT NULL,"
    " result TEXT NOT NULL, log_id INTEGER NOT NULL);"
    "CREATE INDEX problem_moves_problem ON problem_moves (problem);"
    /* the same household raised twice (a judgment and a comparison flag): linked, counted once */
    "CREATE TABLE problem_links ("
    " row_no INTEGER PRIMARY KEY, problem INTEGER NOT NULL, other INTEGER NOT NULL,"
    " why TEXT NOT NULL, log_id INTEGER NOT NULL);"
    "CREATE INDEX problem_links_problem ON problem_links (problem);";

/* v7 (issue 10): reports at every level (src/report/levels.c, sign.c, DESIGN §8.1): the team
 * reports' sign-off by 组长 and 副组长 (an Ed25519 signature over the report file's SHA-256,
 * with the signer's public key), the typical experiences (典型经验) a team records per unit and
 * level, and the counties' self-evaluation reports (自评报告, seed 002 六(二)) with their arrival
 * dates (the file itself stored by content hash as evidence). Appended, never updated. */
static const char v7[] =
    "CREATE TABLE report_signatures ("
    " row_no INTEGER PRIMARY KEY, sample INTEGER NOT NULL, file TEXT NOT NULL,"
    " sha256 TEXT NOT NULL, role TEXT NOT NULL, signer TEXT NOT NULL, pubkey TEXT NOT NULL,"
    " signature TEXT NOT NULL, at TEXT NOT NULL, log_id INTEGER NOT NULL);"
    "CREATE INDEX report_signatures_sha256 ON report_signatures (sha256);"
    "CREATE TABLE report_experiences ("
    " row_no INTEGER PRIMARY KEY, sample INTEGER NOT NULL, level TEXT NOT NULL,"
    " unit INTEGER NOT NULL, text TEXT NOT NULL, source TEXT NOT NULL, at TEXT NOT NULL,"
    " log_id INTEGER NOT NULL);"
    "CREATE INDEX report_experiences_sample ON report_experiences (sample, level, unit);"
    "CREATE TABLE self_evaluations ("
    " row_no INTEGER PRIMARY KEY, sample INTEGER NOT NULL, county INTEGER NOT NULL,"
    " sha256 TEXT NOT NULL, name TEXT NOT NULL, arrived TEXT NOT NULL, due TEXT NOT NULL,"
    " log_id INTEGER NOT NULL);"
    "CREATE INDEX self_evaluations_sample ON self_evaluations (sample, county);";
/* v12 (issue 12): field-app tokens get a round and an expiry (src/access/token.c; still only the
 * SHA-256 of the secret is kept; `id` is its first 12 hex digits, for lists and revocation), and
 * the XForm instances received over OpenRosa (src/survey/instance.c): one audited row per
 * instance (the XML as received and its SHA-256, so a re-post is recognised; deprecated_id
 * chains the versions; held: '' when stored as the unit's questionnaire, 'duplicate' when held
 * for the team leader because another user's questionnaire of the unit is in force, then
 * 'kept' or 'discarded' by the leader) and one per attachment stored as evidence. */
static const char v12[] =
    "ALTER TABLE field_tokens ADD COLUMN round TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE field_tokens ADD COLUMN expires INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE field_tokens ADD COLUMN id TEXT NOT NULL DEFAULT '';"
    "CREATE INDEX field_tokens_user ON field_tokens (user);"
    "CREATE TABLE xform_instances ("
    " row_no INTEGER PRIMARY KEY, instance_id TEXT NOT NULL, sample TEXT NOT NULL,"
    " form TEXT NOT NULL, unit TEXT NOT NULL, user TEXT NOT NULL, xml_sha256 TEXT NOT NULL,"
    " xml TEXT NOT NULL, deprecated_id TEXT NOT NULL, at TEXT NOT NULL, held TEXT NOT NULL,"
    " log_id INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX xform_instances_id ON xform_instances (instance_id);"
    "CREATE INDEX xform_instances_unit ON xform_instances (sample, unit);"
    "CREATE TABLE xform_attachments ("
    " row_no INTEGER PRIMARY KEY, instance_id TEXT NOT NULL, name TEXT NOT NULL,"
    " sha256 TEXT NOT NULL, size INTEGER NOT NULL, log_id INTEGER NOT NULL);"
    "CREATE INDEX xform_attachments_inst ON xform_attachments (instance_id);";
/* v11 (issue 12): the two-level review of questionnaires (src/survey/review.c, DESIGN §10): one
 * row per move, appended; a questionnaire's state is its last move's to_state; status_before is
 * the questionnaire's status when the move was made (a rejection sets it to 'rejected', an
 * approval after one gives it back). */
static const char v11[] =
    "CREATE TABLE questionnaire_reviews ("
    " row_no INTEGER PRIMARY KEY, questionnaire INTEGER NOT NULL, sample INTEGER NOT NULL,"
    " unit TEXT NOT NULL, form TEXT NOT NULL, from_state TEXT NOT NULL, to_state TEXT NOT NULL,"
    " actor TEXT NOT NULL, role TEXT NOT NULL, at TEXT NOT NULL, note TEXT NOT NULL,"
    " comments TEXT NOT NULL, status_before TEXT NOT NULL, log_id INTEGER NOT NULL);"
    "CREATE INDEX questionnaire_reviews_q ON questionnaire_reviews (questionnaire);";
/* v10 (issue 15): between rounds, src/monitor/ (monitor.h). Attendance: village locations,
 * the village work-team roster (one row per member and posting; left_for says where a member
 * was moved), GPS check-ins with local time as "YYYY-MM-DD HH:MM:SS". Each attendance import
 * replaces the three tables (the old rows' entries retired). */
static const char v10[] =
    "CREATE TABLE mon_villages ("
    " row_no INTEGER PRIMARY KEY, village INTEGER NOT NULL, name TEXT NOT NULL,"
    " county INTEGER NOT NULL, latitude REAL NOT NULL, longitude REAL NOT NULL,"
    " radius_m REAL NOT NULL, log_id INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX mon_villages_village ON mon_villages (village);"
    "CREATE TABLE mon_roster ("
    " row_no INTEGER PRIMARY KEY, member TEXT NOT NULL, name TEXT NOT NULL,"
    " village INTEGER NOT NULL, role TEXT NOT NULL, from_day TEXT NOT NULL,"
    " to_day TEXT NOT NULL, left_for TEXT NOT NULL, log_id INTEGER NOT NULL);"
    "CREATE TABLE mon_checkins ("
    " row_no INTEGER PRIMARY KEY, member TEXT NOT NULL, at TEXT NOT NULL,"
    " latitude REAL NOT NULL, longitude REAL NOT NULL, source TEXT NOT NULL,"
    " log_id INTEGER NOT NULL);"
    "CREATE INDEX mon_checkins_member ON mon_checkins (member, at);"
    /* yearly registry snapshots (import --snapshot DATE): what post-exit monitoring compares
     * year on year; written once per date, never updated (an existing date is refused) */
    "CREATE TABLE mon_snap_counties ("
    " row_no INTEGER PRIMARY KEY, snapshot TEXT NOT NULL, county INTEGER NOT NULL,"
    " name TEXT NOT NULL, exit_year INTEGER, log_id INTEGER NOT NULL);"
    "CREATE INDEX mon_snap_counties_snap ON mon_snap_counties (snapshot);"
    "CREATE TABLE mon_snap_villages ("
    " row_no INTEGER PRIMARY KEY, snapshot TEXT NOT NULL, village INTEGER NOT NULL,"
    " name TEXT NOT NULL, poor INTEGER NOT NULL, log_id INTEGER NOT NULL);"
    "CREATE INDEX mon_snap_villages_snap ON mon_snap_villages (snapshot, village);"
    "CREATE TABLE mon_snap_households ("
    " row_no INTEGER PRIMARY KEY, snapshot TEXT NOT NULL, household_id TEXT NOT NULL,"
    " village INTEGER NOT NULL, registered INTEGER NOT NULL, exit_year INTEGER,"
    " returned INTEGER NOT NULL, income REAL, persons INTEGER NOT NULL,"
    " log_id INTEGER NOT NULL);"
    "CREATE INDEX mon_snap_households_id ON mon_snap_households (snapshot, household_id);"
    "CREATE TABLE mon_snap_members ("
    " row_no INTEGER PRIMARY KEY, snapshot TEXT NOT NULL, household_id TEXT NOT NULL,"
    " resident INTEGER NOT NULL, medical_insurance INTEGER NOT NULL,"
    " in_school INTEGER NOT NULL, log_id INTEGER NOT NULL);"
    "CREATE INDEX mon_snap_members_res ON mon_snap_members (snapshot, resident);"
    "CREATE INDEX mon_snap_members_hh ON mon_snap_members (snapshot, household_id);"
    /* office files: annual poverty-reduction plans (persons to exit) and training sessions */
    "CREATE TABLE mon_plans ("
    " row_no INTEGER PRIMARY KEY, county INTEGER NOT NULL, year INTEGER NOT NULL,"
    " planned INTEGER NOT NULL, log_id INTEGER NOT NULL);"
    "CREATE TABLE mon_training ("
    " row_no INTEGER PRIMARY KEY, county INTEGER NOT NULL, day TEXT NOT NULL,"
    " title TEXT NOT NULL, participants INTEGER NOT NULL, log_id INTEGER NOT NULL);";
/* v9 (issue 11): accounts and access for `pinggu serve` (src/access/). Audited: users (a
 * password is kept only as its Argon2id string; must_change set at creation and reset),
 * grants (role, round, unit scope) and releases (numbered, immutable snapshots of a round).
 * Not audited, on purpose: sessions and field-app tokens (only SHA-256 hashes of the secrets;
 * they churn with every login), login failures (lockout counters) and the security log of
 * refused attempts — a flood of refusals must never bloat the change log (DESIGN §8.2); the
 * security log is itself rate-limited (one row per kind, address and minute, with a count). */
static const char v9[] =
    "CREATE TABLE users ("
    " row_no INTEGER PRIMARY KEY, name TEXT NOT NULL, pwhash TEXT NOT NULL,"
    " home_unit INTEGER NOT NULL, must_change INTEGER NOT NULL, disabled INTEGER NOT NULL,"
    " created TEXT NOT NULL, log_id INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX users_name ON users (name);"
    "CREATE TABLE grants ("
    " row_no INTEGER PRIMARY KEY, user TEXT NOT NULL, role TEXT NOT NULL, round TEXT NOT NULL,"
    " scope INTEGER NOT NULL, log_id INTEGER NOT NULL);"
    "CREATE INDEX grants_user ON grants (user);"
    "CREATE TABLE sessions ("
    " id_hash TEXT PRIMARY KEY, user TEXT NOT NULL, csrf_hash TEXT NOT NULL,"
    " created INTEGER NOT NULL, last_seen INTEGER NOT NULL);"
    "CREATE INDEX sessions_user ON sessions (user);"
    "CREATE TABLE field_tokens ("
    " token_hash TEXT PRIMARY KEY, user TEXT NOT NULL, created INTEGER NOT NULL,"
    " revoked INTEGER NOT NULL);"
    "CREATE TABLE login_failures ("
    " kind TEXT NOT NULL, key TEXT NOT NULL, count INTEGER NOT NULL,"
    " locked_until INTEGER NOT NULL, PRIMARY KEY (kind, key));"
    "CREATE TABLE security_log ("
    " id INTEGER PRIMARY KEY, minute INTEGER NOT NULL, kind TEXT NOT NULL, addr TEXT NOT NULL,"
    " user TEXT NOT NULL, detail TEXT NOT NULL, count INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX security_log_key ON security_log (minute, kind, addr);"
    "CREATE TABLE releases ("
    " row_no INTEGER PRIMARY KEY, round TEXT NOT NULL, number INTEGER NOT NULL,"
    " created TEXT NOT NULL, snapshot TEXT NOT NULL, sha256 TEXT NOT NULL,"
    " log_id INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX releases_number ON releases (round, number);"
    /* idempotency keys of questionnaire submissions: a retried submission answers again */
    "CREATE TABLE submissions ("
    " key TEXT NOT NULL, user TEXT NOT NULL, at INTEGER NOT NULL, status INTEGER NOT NULL,"
    " response TEXT NOT NULL, PRIMARY KEY (user, key));";
/* v8 (issue 10, src/problem/): the recheck sample of closed problems (recheck.c) — the draw with
 * its seed, commitment and frozen frame (text, "ID|COUNTY|UNIT" lines, and its SHA-256), the
 * last problem move it saw, and the drawn problems with rank and ticket; the questionnaires of
 * the scheme's other checks (checks.c); the county synthesis' judgments (synthesis.c);
 * interference and discipline records and fieldwork stops (discipline.c). */
static const char v8[] =
    "CREATE TABLE recheck_draws ("
    " row_no INTEGER PRIMARY KEY, sample INTEGER NOT NULL, county INTEGER NOT NULL,"
    " seed TEXT NOT NULL, commitment TEXT NOT NULL, frame_hash TEXT NOT NULL,"
    " frame_rows INTEGER NOT NULL, frame TEXT NOT NULL, moves_upto INTEGER NOT NULL,"
    " n INTEGER NOT NULL, actor TEXT NOT NULL, on_day TEXT NOT NULL, log_id INTEGER NOT NULL);"
    "CREATE TABLE recheck_units ("
    " row_no INTEGER PRIMARY KEY, draw INTEGER NOT NULL, problem INTEGER NOT NULL,"
    " rank INTEGER NOT NULL, ticket TEXT NOT NULL, log_id INTEGER NOT NULL);"
    "CREATE INDEX recheck_units_problem ON recheck_units (problem);"
    /* the scheme's other checks (checks.c): project checks, document reviews, cadre interviews;
     * key: what makes one unique in a round (the project; level|unit; level|unit|role|name) */
    "CREATE TABLE check_questionnaires ("
    " row_no INTEGER PRIMARY KEY, sample INTEGER NOT NULL, form TEXT NOT NULL,"
    " level TEXT NOT NULL, unit TEXT NOT NULL, county INTEGER NOT NULL, role TEXT NOT NULL,"
    " mode TEXT NOT NULL, key TEXT NOT NULL, team INTEGER NOT NULL, source TEXT NOT NULL,"
    " answers TEXT NOT NULL, warnings INTEGER NOT NULL, log_id INTEGER NOT NULL);"
    "CREATE INDEX check_questionnaires_unit ON check_questionnaires (sample, form, level, unit);"
    /* the office's final judgment on a county (综合研判, synthesis.c): versions, never updated */
    "CREATE TABLE synthesis_judgments ("
    " row_no INTEGER PRIMARY KEY, sample INTEGER NOT NULL, county INTEGER NOT NULL,"
    " version INTEGER NOT NULL, judgment TEXT NOT NULL, reason TEXT NOT NULL,"
    " actor TEXT NOT NULL, role TEXT NOT NULL, at TEXT NOT NULL, log_id INTEGER NOT NULL);"
    /* interference and discipline (discipline.c, DESIGN §8.2): records of each side, with the
     * SHA-256 of their evidence as a JSON array; the decisions to stop fieldwork in a county */
    "CREATE TABLE discipline_records ("
    " row_no INTEGER PRIMARY KEY, sample INTEGER NOT NULL, county INTEGER NOT NULL,"
    " side TEXT NOT NULL, kind TEXT NOT NULL, note TEXT NOT NULL, evidence TEXT NOT NULL,"
    " actor TEXT NOT NULL, role TEXT NOT NULL, on_day TEXT NOT NULL, at TEXT NOT NULL,"
    " log_id INTEGER NOT NULL);"
    "CREATE TABLE fieldwork_stops ("
    " row_no INTEGER PRIMARY KEY, sample INTEGER NOT NULL, county INTEGER NOT NULL,"
    " reason TEXT NOT NULL, actor TEXT NOT NULL, role TEXT NOT NULL, on_day TEXT NOT NULL,"
    " at TEXT NOT NULL, log_id INTEGER NOT NULL);";

/* v13: the household query (registry.h, seed 003): the store's secret the query codes and
 * hashed resident IDs are keyed with, the hashed IDs of the households given a code, and the
 * public listener's query log (hashed IDs only; also its rate limits' counter). Not audited:
 * `household codes` notes each run in the change log. */
static const char v13[] =
    "CREATE TABLE hq_secret (one INTEGER PRIMARY KEY CHECK (one = 1), secret BLOB NOT NULL,"
    " created TEXT NOT NULL);"
    "CREATE TABLE hq_ids (row_no INTEGER PRIMARY KEY, id_hash TEXT NOT NULL,"
    " household_id TEXT NOT NULL);"
    "CREATE UNIQUE INDEX hq_ids_hash ON hq_ids (id_hash);"
    "CREATE TABLE hq_queries (row_no INTEGER PRIMARY KEY, at INTEGER NOT NULL,"
    " addr TEXT NOT NULL, id_hash TEXT NOT NULL, outcome TEXT NOT NULL,"
    " hashes INTEGER NOT NULL, statements INTEGER NOT NULL);"
    "CREATE INDEX hq_queries_addr ON hq_queries (addr, at);"
    "CREATE INDEX hq_queries_id ON hq_queries (id_hash, at);";

/* v14: the leader's day plan (issue 13, survey.h dayplan_*): which pair visits which sampled
 * unit on which day. Append-only: a unit's latest row is in force, the earlier ones are its
 * history; each row change-logged with the leader who set it. */
static const char v14[] =
    "CREATE TABLE day_assignments (row_no INTEGER PRIMARY KEY, sample INTEGER NOT NULL,"
    " unit TEXT NOT NULL, county INTEGER NOT NULL, day TEXT NOT NULL, pair TEXT NOT NULL,"
    " set_by TEXT NOT NULL, log_id INTEGER NOT NULL);"
    "CREATE INDEX day_assignments_unit ON day_assignments (sample, unit);";

/* v15: PostgreSQL only (SQLite runs nothing) — declarative partitioning by province of the
 * registry's bulk and the comparison flags (docs/scale.md, issue 14). Each table is
 * `PARTITION BY RANGE` on a column that holds the province in its leading digits, so no column
 * is added and `SELECT *` (audit verify's re-hash) is unchanged:
 *   households    village   (12-digit village code)  province = village / 10^10
 *   members       resident  (packed 17-digit ID)     province = resident / 10^15 (the ID's
 *                                                     region: where the person was registered)
 *   compare_flags county    (6-digit county code)    province = county / 10^4
 * One partition per province, TABLE_pNN, made on demand by pinggu_partition(TABLE, NN) (the
 * COPY of a bulk load calls it before a province's first row, store_pg.c), plus TABLE_default
 * for any other insert; pinggu_partition moves the province's rows out of the default
 * partition before attaching, so it can be called at any time. The primary key is
 * (row_no, key) — PostgreSQL requires the partition key in it; row_no stays unique because
 * every audited insert gives it. households_id becomes unique on (household_id, village): a
 * household ID's uniqueness across provinces is the import's check (in C), as it is on SQLite.
 * pinggu_partitioned names each table's key column and its province unit. Existing rows are
 * moved into the new tables, each province getting its partition. */
static const char v15[] =
    "/*sqlite:*/ /*:sqlite*/"
    "/*pg:"
    "CREATE TABLE pinggu_partitioned (tbl text PRIMARY KEY, col text NOT NULL,"
    " unit bigint NOT NULL);"
    "INSERT INTO pinggu_partitioned VALUES ('households', 'village', 10000000000),"
    " ('members', 'resident', 1000000000000000), ('compare_flags', 'county', 10000);"
    "CREATE FUNCTION pinggu_partition(t text, prov bigint) RETURNS void LANGUAGE plpgsql AS $f$"
    " DECLARE c text; u bigint; part text := t || '_p' || lpad(prov::text, 2, '0');"
    " BEGIN"
    "  SELECT col, unit INTO STRICT c, u FROM pinggu_partitioned WHERE tbl = t;"
    "  IF to_regclass(part) IS NOT NULL THEN RETURN; END IF;"
    "  EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS)', part, t);"
    "  EXECUTE format('WITH m AS (DELETE FROM %I WHERE %I >= %s AND %I < %s RETURNING *)"
    " INSERT INTO %I SELECT * FROM m', t || '_default', c, prov * u, c, (prov + 1) * u, part);"
    "  EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)',"
    " t, part, prov * u, (prov + 1) * u);"
    " END $f$;"
    "CREATE FUNCTION pinggu_partition_table(t text, pk text) RETURNS void LANGUAGE plpgsql AS $f$"
    " DECLARE c text; u bigint; old text := t || '_v14'; p bigint;"
    " BEGIN"
    "  SELECT col, unit INTO STRICT c, u FROM pinggu_partitioned WHERE tbl = t;"
    "  EXECUTE format('ALTER TABLE %I RENAME TO %I', t, old);"
    "  EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', old, pk);"
    "  EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS, PRIMARY KEY (row_no, %I))"
    " PARTITION BY RANGE (%I)', t, old, c, c);"
    "  EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', t || '_default', t);"
    "  FOR p IN EXECUTE format('SELECT DISTINCT %I / %s FROM %I ORDER BY 1', c, u, old) LOOP"
    "   PERFORM pinggu_partition(t, p);"
    "  END LOOP;"
    "  EXECUTE format('INSERT INTO %I SELECT * FROM %I ORDER BY row_no', t, old);"
    "  EXECUTE format('DROP TABLE %I', old);"
    " END $f$;"
    "SELECT pinggu_partition_table('households', 'households_pkey');"
    "CREATE UNIQUE INDEX households_id ON households (household_id, village);"
    "CREATE INDEX households_village ON households (village);"
    "SELECT pinggu_partition_table('members', 'members_pkey');"
    "CREATE INDEX members_household ON members (household);"
    "SELECT pinggu_partition_table('compare_flags', 'compare_flags_pkey');"
    "CREATE INDEX compare_flags_household ON compare_flags (household_id);"
    "CREATE INDEX compare_flags_resident ON compare_flags (resident);"
    "DROP FUNCTION pinggu_partition_table(text, text);"
    "*/";

/* v16: the server's per-submission look-ups (issue 11): a village's units by (sample, county,
 * village) — the (sample, stage, county) index made every submission read its county's units —
 * and a village's replacements by unit (the (sample) index read every replacement of the
 * round). Indexes only; no data changes. */
static const char v16[] =
    "CREATE INDEX sample_units_village ON sample_units (sample, county, village);"
    "CREATE INDEX replacements_unit ON replacements (sample, unit);";

const struct migration store_migrations[] = {
    {1, "registry and change log", v1},
    {2, "samples, frozen frames, teams", v2},
    {3, "fieldwork, evidence, judgments, problem candidates", v3},
    {4, "department comparison, scores of scored plans", v4},
    {5, "teams.round renamed draw_round; stores marked", v5},
    {6, "problem life cycle", v6},
    {7, "report sign-off, typical experiences, self-evaluation reports", v7},
    {8, "recheck samples, checks, synthesis, interference (issue 10)", v8},
    {9, "accounts, grants, sessions, security log, releases (pinggu serve)", v9},
    {10, "between rounds: attendance, registry snapshots, office files (monitor.h)", v10},
    {11, "two-level review of questionnaires", v11},
    {12, "field-app tokens per round with expiry; XForm instances and attachments (OpenRosa)", v12},
    {13, "household query: code secret, hashed IDs, query log (registry.h)", v13},
    {14, "the leader's day plan: units per pair and day (survey.h)", v14},
    {15, "PostgreSQL: registry and comparison flags partitioned by province", v15},
    {16, "indexes for a village's units and replacements (pinggu serve, issue 11)", v16},
};
const size_t store_nmigrations = sizeof store_migrations / sizeof store_migrations[0];
