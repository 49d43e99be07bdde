// compare.mjs — the peer of `pinggu compare` for bench/compare.sh: the same rules
// (rules/compare.json, read here and translated into SQL) over the same files, in DuckDB.
//
//   node compare.mjs --rules R.json --registry DIR --departments DIR --ref 2019-12-31
//                    --today 2026-11-01 [--threads 2] [--out flags.csv]
//
// DIR (registry) is `pinggu export` output (counties.csv, households.csv, members.csv);
// DIR (departments) holds UTF-8 copies of the department files (DuckDB's GB18030 support is
// an extension it would download). Resident IDs are normalised and validated as pinggu's
// ids_parse does (trim, Excel's apostrophe, full-width digits, lowercase x, 15-digit
// upgrade; province, birth date, not after today, ISO 7064 check). Prints one line per rule
// "rule<TAB>flags", the invalid IDs per file, and the time; --out writes the flags as
// rule,household_id,resident_id (the format of departments-truth.csv).
//
// Every rule of the file is translated — the 20 shipped ones included (issue 9 added
// registered_unsafe_house, no_illness_insurance, missed_disaster, missed_resettled, all in the
// language the translation already covers: "any" or "none", member or household scope, text
// lists and relative dates). A file's "show" columns only decorate pinggu's evidence: they
// are mapped (so the header must have them, as pinggu requires) but decide nothing here.
import { DuckDBInstance } from '@duckdb/node-api';
import fs from 'node:fs';

const args = Object.fromEntries(process.argv.slice(2).reduce((a, v, i, all) => {
  if (v.startsWith('--')) a.push([v.slice(2), all[i + 1]]);
  return a;
}, []));
for (const k of ['rules', 'registry', 'departments', 'ref', 'today'])
  if (!args[k]) { console.error(`compare.mjs: --${k} is required`); process.exit(64); }
const rules = JSON.parse(fs.readFileSync(args.rules, 'utf8'));
const refInt = Number(args.ref.replaceAll('-', ''));
const today = args.today.replaceAll('-', '');
const q = (s) => `'${String(s).replaceAll("'", "''")}'`;
const ident = (s) => `"${s.replaceAll('"', '""')}"`;

// Dates of the rules: "2019-12-31", "ref", "ref-2y", "ref+6m", "ref-30d" (pinggu's cmp_date_shift).
function shift(ref, n, unit) {
  let y = Math.floor(ref / 10000), m = Math.floor(ref / 100) % 100, d = ref % 100;
  if (unit === 'd') {
    const t = new Date(Date.UTC(y, m - 1, d) + n * 86400000);
    return t.getUTCFullYear() * 10000 + (t.getUTCMonth() + 1) * 100 + t.getUTCDate();
  }
  if (unit === 'y') y += n;
  else { const mm = y * 12 + (m - 1) + n; y = Math.floor(mm / 12); m = mm % 12 + 1; }
  const dim = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return y * 10000 + m * 100 + Math.min(d, dim);
}
function dateSpec(s, dflt) {
  if (s === undefined) return dflt;
  if (s.startsWith('ref')) {
    const m = /^ref(?:([+-])(\d+)([ymd]))?$/.exec(s);
    return m[1] ? shift(refInt, (m[1] === '-' ? -1 : 1) * Number(m[2]), m[3]) : refInt;
  }
  return Number(s.replaceAll('-', '').replaceAll('/', ''));
}
const dlit = (v) => `DATE '${String(v).slice(0, 4)}-${String(v).slice(4, 6)}-${String(v).slice(6, 8)}'`;

// The header each mapped column has in the file (the first alias present).
function headerOf(path) {
  const fd = fs.openSync(path, 'r');
  const buf = Buffer.alloc(65536);
  const n = fs.readSync(fd, buf, 0, buf.length, 0);
  fs.closeSync(fd);
  let line = buf.subarray(0, n).toString('utf8').split('\n')[0].replace(/\r$/, '').replace(/^\uFEFF/, '');
  return line.split(',').map((h) => h.trim().replace(/^"|"$/g, ''));
}

const T0 = Date.now();
const inst = await DuckDBInstance.create(':memory:', { threads: String(args.threads || 2) });
const con = await inst.connect();
const run = (sql) => con.run(sql);
const one = async (sql) => (await con.runAndReadAll(sql)).getRows();

// ids_parse in SQL, step by step (a macro would repeat its argument's expression at every
// use): trim white space and U+3000, drop Excel's apostrophe, map full-width digits and x,
// upgrade a 15-digit ID, then validate. Clean 18-character cells take the first branches.
const provinces = [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45,
  46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83].map((p) => `'${p}'`).join(',');
const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
await run(`CREATE MACRO id_check(b) AS substr('10X98765432', ((${w.map((k, i) =>
  `${k}*(ascii(substr(b, ${i + 1}, 1)) - 48)`).join(' + ')}) % 11) + 1, 1)`);
await run(`CREATE MACRO id_ok(f) AS length(f) = 18 AND regexp_full_match(f, '[0-9]{17}[0-9X]')
  AND substr(f, 1, 2) IN (${provinces})
  AND try_strptime(substr(f, 7, 8), '%Y%m%d') IS NOT NULL AND substr(f, 7, 4) >= '1800'
  AND substr(f, 7, 8) <= '${today}' AND substr(f, 18, 1) = id_check(substr(f, 1, 17))`);
const clean18 = `'[0-9]{17}[0-9X]'`;
const ws = `'^[ \\t\\r\\n\\x{3000}]+|[ \\t\\r\\n\\x{3000}]+$'`;
const normId = (inner) => `SELECT CASE WHEN id_ok(f) THEN f END AS nid, * EXCLUDE (raw, tr, t, f) FROM (
  SELECT *, CASE WHEN length(t) = 15 AND regexp_full_match(t, '[0-9]{15}')
    THEN substr(t, 1, 6) || '19' || substr(t, 7, 9) || id_check(substr(t, 1, 6) || '19' || substr(t, 7, 9))
    ELSE t END AS f FROM (
  SELECT *, CASE WHEN regexp_full_match(tr, ${clean18}) THEN tr
    ELSE translate(CASE WHEN starts_with(tr, '''') THEN substr(tr, 2) ELSE tr END,
                   'x０１２３４５６７８９ｘＸ', 'X0123456789XX') END AS t FROM (
  SELECT *, CASE WHEN regexp_full_match(raw, ${clean18}) THEN raw
    ELSE regexp_replace(raw, ${ws}, '', 'g') END AS tr FROM (
  ${inner}))))`;

// The registry: households with their category and eligibility, members with them.
const R = args.registry;
await run(`CREATE TABLE counties AS SELECT CAST(code AS INTEGER) AS code,
  CAST(allowance_standard AS DOUBLE) AS standard
  FROM read_csv('${R}/counties.csv', header = true, all_varchar = true)`);
await run(`CREATE TABLE hh AS SELECT h.household_id,
  CAST(CAST(h.village AS BIGINT) // 1000000 AS INTEGER) AS county,
  h.registered = '1' AS registered,
  CASE WHEN h.registered <> '1' THEN 0 WHEN h.returned = '1' THEN 3
       WHEN h.exit_year IS NULL THEN 1 ELSE 2 END AS cat,
  coalesce(h.registered = '1' AND CAST(h.income AS DOUBLE) < c.standard, false) AS eligible
  FROM read_csv('${R}/households.csv', header = true, all_varchar = true) h
  LEFT JOIN counties c ON c.code = CAST(CAST(h.village AS BIGINT) // 1000000 AS INTEGER)`);
await run(`CREATE TABLE mem AS SELECT m.resident_id AS rid, m.household_id, m.health,
  h.registered, h.cat, h.eligible, h.county
  FROM read_csv('${R}/members.csv', header = true, all_varchar = true) m
  JOIN hh h USING (household_id)`);

// Department files: normalised ID and the mapped columns.
const files = {};
const invalid = {};
for (const f of rules.files) {
  const path = `${args.departments}/${f.file}`;
  if (!fs.existsSync(path)) continue;
  const header = headerOf(path);
  const cols = [];
  for (const [name, spec] of Object.entries(f.columns)) {
    if (name.startsWith('_')) continue;
    const aliases = (Array.isArray(spec) ? spec : spec.split('|')).map((a) => a.toLowerCase());
    const h = header.find((x) => aliases.includes(x.toLowerCase()));
    if (h === undefined) throw new Error(`${f.file}: no column ${aliases.join(' or ')}`);
    cols.push(name === 'id' ? `${ident(h)} AS raw` : `${ident(h)} AS ${ident('c_' + name)}`);
  }
  await run(`CREATE TABLE ${ident('d_' + f.id)} AS ${normId(`SELECT ${cols.join(', ')}
    FROM read_csv(${q(path)}, header = true, all_varchar = true, delim = ',', quote = '"')`)}`);
  files[f.id] = true;
  invalid[f.file] = Number((await one(`SELECT count(*) FROM ${ident('d_' + f.id)} WHERE nid IS NULL`))[0][0]);
}

function condSql(c) {
  const col = `${ident('c_' + c.column)}`;
  const txt = `lower(trim(${col}, ' \t'))`;
  if (c.in) return `${txt} IN (${c.in.map((v) => q(String(v).trim().toLowerCase())).join(',')})`;
  if (c.not_in) return `(${txt} <> '' AND ${txt} NOT IN (${c.not_in.map((v) => q(String(v).trim().toLowerCase())).join(',')}))`;
  for (const op of ['>', '>=', '<', '<=', '='])
    if (c[op] !== undefined) return `TRY_CAST(trim(${col}, ' \t') AS DOUBLE) ${op} ${Number(c[op])}`;
  if (c.from !== undefined || c.to !== undefined) {
    const d = `coalesce(try_strptime(trim(${col}, ' \t'), '%Y-%m-%d'), try_strptime(trim(${col}, ' \t'), '%Y/%m/%d'), try_strptime(trim(${col}, ' \t'), '%Y%m%d'))::DATE`;
    return `${d} BETWEEN ${dlit(dateSpec(c.from, 18000101))} AND ${dlit(dateSpec(c.to, 99991231))}`;
  }
  if (c.empty !== undefined) return `${c.empty ? '' : 'NOT '}(coalesce(trim(${col}, ' \t'), '') = '')`;
  throw new Error('unknown condition ' + JSON.stringify(c));
}
const health = { healthy: 'healthy', chronic: 'chronic', serious: 'serious', disabled: 'disabled',
  '健康': 'healthy', '长期慢性病': 'chronic', '患有大病': 'serious', '残疾': 'disabled' };
function subjectSql(s, m, idcol) {
  const p = [];
  switch (s.who) {
    case 'registered': p.push(`${m}.registered`); break;
    case 'general': p.push(`${m}.rid IS NOT NULL AND NOT ${m}.registered`); break;
    case 'not_registered': p.push(`(${m}.rid IS NULL OR NOT ${m}.registered)`); break;
    case 'absent': p.push(`${m}.rid IS NULL`); break;
    default: break;
  }
  if (s.category) p.push(`${m}.cat IN (${s.category.map((c) => ({ unexited: 1, exited: 2, returned: 3 })[c]).join(',')})`);
  if (s.health) p.push(`${m}.health IN (${s.health.map((h) => q(health[h])).join(',')})`);
  if (s.income_below_allowance_standard) p.push(`${m}.eligible`);
  if (s.age) {
    const b = `CAST(substr(${idcol}, 7, 8) AS INTEGER)`;
    const age = `(${Math.floor(refInt / 10000)} - ${b} // 10000 - CASE WHEN ${refInt % 10000} < ${b} % 10000 THEN 1 ELSE 0 END)`;
    p.push(`${age} BETWEEN ${s.age[0]} AND ${s.age[1]}`);
  }
  return p.length ? p.join(' AND ') : 'true';
}

const counts = [];
await run(`CREATE TABLE flags (rule VARCHAR, household_id VARCHAR, resident_id VARCHAR)`);
for (const r of rules.rules) {
  if (!r.sources.every((s) => files[s.file])) { counts.push([r.id, null]); continue; }
  const scopeHh = r.scope === 'household';
  const srcSql = (s) => `SELECT nid FROM ${ident('d_' + s.file)} WHERE nid IS NOT NULL${(s.when || []).map((c) => ' AND ' + condSql(c)).join('')}`;
  let sql;
  if (r.match !== 'none') {
    const parts = r.sources.map((s) => `SELECT d.nid, m.household_id, m.rid FROM (${srcSql(s)}) d
      LEFT JOIN mem m ON m.rid = d.nid WHERE ${subjectSql(r.subject, 'm', 'd.nid')}`);
    sql = scopeHh
      ? `SELECT DISTINCT ${q(r.id)}, household_id, CASE WHEN household_id IS NULL THEN nid ELSE '' END FROM (${parts.join(' UNION ALL ')})`
      : `SELECT DISTINCT ${q(r.id)}, coalesce(household_id, ''), nid FROM (${parts.join(' UNION ALL ')})`;
  } else {
    const seen = r.sources.map(srcSql).join(' UNION ');
    if (scopeHh)
      sql = `SELECT ${q(r.id)}, h.household_id, '' FROM hh h ANTI JOIN (SELECT DISTINCT m.household_id FROM mem m
        JOIN (${seen}) s ON s.nid = m.rid) x ON x.household_id = h.household_id
        WHERE ${subjectSql(r.subject, 'h', null).replaceAll('h.rid IS NOT NULL AND ', '')}`;
    else
      sql = `SELECT ${q(r.id)}, m.household_id, m.rid FROM mem m ANTI JOIN (${seen}) s ON s.nid = m.rid
        WHERE ${subjectSql(r.subject, 'm', 'm.rid')}`;
  }
  await run(`INSERT INTO flags ${sql}`);
}
for (const [rule, n] of await one(`SELECT rule, count(*) FROM flags GROUP BY rule`)) counts.push([rule, Number(n)]);
if (args.out) await run(`COPY (SELECT * FROM flags ORDER BY ALL) TO ${q(args.out)} (HEADER, DELIMITER ',', QUOTE '')`);
const seconds = (Date.now() - T0) / 1000;
const byRule = Object.fromEntries(counts.filter(([, n]) => n !== null));
for (const r of rules.rules) console.log(`${r.id}\t${byRule[r.id] ?? 0}`);
for (const [f, n] of Object.entries(invalid)) console.log(`invalid\t${f}\t${n}`);
console.log(`seconds\t${seconds.toFixed(2)}`);
