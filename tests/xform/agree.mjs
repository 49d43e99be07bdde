// agree.mjs — do ODK's engine and pinggu agree on a form? (issue 12: "both engines agree")
//
//   node agree.mjs PINGGU FORM.json FORM.xml N SEED TODAY
//
// Generates N questionnaires of random, well-typed answers from the pinggu form (choices, numbers
// around the thresholds, texts such as '0' and 'false', dates, blanks, 0-3 household members),
// fills each into a fresh instance of the XForm in @getodk/xforms-engine — ODK's own engine
// evaluates relevance, constraints, requirements and calculations — and validates the same
// answers with `pinggu form validate --lenient --json`. For every questionnaire it compares:
//   answered  the questions that are relevant and answered (pinggu drops the others);
//   errors    the questions whose constraint (pinggu: error check) fails;
//   required  the relevant required questions left blank;
//   warnings  the questions with a failing warning check (the XForm's NAME__warnK note shows);
//   values    every calculation (numbers compared to 1e-9 relative: the phone prints
//             JavaScript's shortest form, the server %.15g — docs/forms.md §5);
//   xml       the instance ODK's engine serialises for submission (xml_submission_file), read
//             by pinggu (submission.c), gives the same answers as the questionnaire itself.
// Prints each disagreement and a summary; exit 1 if any. Deterministic for a seed.
import { loadEngine } from './engine.mjs';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [pinggu, formPath, xformPath, nArg, seedArg, today] = process.argv.slice(2);
if (!today) {
  console.error('usage: node agree.mjs PINGGU FORM.json FORM.xml N SEED TODAY');
  process.exit(64);
}
const form = JSON.parse(fs.readFileSync(formPath, 'utf8'));
const xform = fs.readFileSync(xformPath, 'utf8');
const { loadForm } = await loadEngine();
const loaded = await loadForm(xform); // parsed once; an instance per questionnaire
if (loaded.status === 'failure') throw loaded.error;

// a small deterministic generator (mulberry32)
let state = Number(seedArg) >>> 0;
const rand = () => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (a) => a[Math.floor(rand() * a.length)];

const INTS = ['-1', '0', '1', '2', '3', '4', '5', '6', '10', '15', '20', '30', '60', '100', '120', '500', '2000', '4000', '20000'];
const DECS = [...INTS, '0.02', '0.021', '0.5', '1.5', '3999.5', '4000.5'];
const TEXTS = ['abc', '0', 'false', '12', '张三', '1.0', 'yes', '10', '10.0', '-0', '9', '2020-01-01'];
const DATES = ['2014-01-01', '2016-06-30', '2018-12-31', '2019-07-01', '2020-01-02', '2020-06-30', '2020-07-01', '2021-03-15'];

// rows by name, the repeat's rows, and the questions that take answers
const rows = form.survey;
const typeOf = (r) => r.type.split(/\s+/)[0];
const listOf = (r) => r.type.split(/\s+/)[1];
const ANSWERABLE = new Set(['integer', 'decimal', 'text', 'select_one', 'select_multiple', 'date', 'geopoint']);
let inRepeat = null;
const repeatOf = new Map();
for (const r of rows) {
  if (r.type === 'begin_repeat') inRepeat = r.name;
  else if (r.type === 'end_repeat') inRepeat = null;
  else if (r.name) repeatOf.set(r.name, inRepeat);
}
const repeatName = rows.find((r) => r.type === 'begin_repeat')?.name ?? null;

function answerFor(r) {
  if (rand() < 0.15) return null;
  switch (typeOf(r)) {
    case 'integer': return pick(INTS);
    case 'decimal': return pick(DECS);
    case 'text': return pick(TEXTS);
    case 'date': return pick(DATES);
    case 'geopoint': return '30.5 117.2';
    case 'select_one': return pick(form.choices[listOf(r)]).name;
    case 'select_multiple': {
      const names = form.choices[listOf(r)].map((c) => c.name).filter(() => rand() < 0.35);
      return names.length ? names.join(' ') : null;
    }
    default: return null;
  }
}

function generate() {
  const top = {};
  const members = [];
  const nmembers = repeatName ? Math.floor(rand() * 4) : 0;
  for (let k = 0; k < nmembers; k++) members.push({});
  for (const r of rows) {
    if (!r.name || !ANSWERABLE.has(typeOf(r))) continue;
    if (repeatOf.get(r.name)) {
      for (const m of members) { const v = answerFor(r); if (v !== null) m[r.name] = v; }
    } else {
      const v = answerFor(r);
      if (v !== null) top[r.name] = v;
    }
  }
  if (repeatName && members.length) top[repeatName] = members;
  return top;
}

// ---------------------------------------------------------------- ODK's side

function leafName(ref) {
  return ref.split('/').pop().replace(/\[\d+\]$/, '');
}

// walks the instance: visit(node, name, memberIndex or -1)
function walk(node, visit, member = -1) {
  for (const c of node.currentState.children ?? []) {
    if (c.nodeType === 'repeat-range:uncontrolled' || c.nodeType === 'repeat-range:controlled') {
      (c.currentState.children ?? []).forEach((inst, i) => walk(inst, visit, i));
    } else if (c.nodeType === 'group' || c.nodeType === 'subtree') {
      if (leafName(c.currentState.reference) !== 'meta') walk(c, visit, member);
    } else {
      visit(c, leafName(c.currentState.reference), member);
    }
  }
}

function findRepeatRange(node) {
  for (const c of node.currentState.children ?? []) {
    if (c.nodeType.startsWith('repeat-range')) return c;
    if (c.nodeType === 'group' || c.nodeType === 'subtree') {
      const r = findRepeatRange(c);
      if (r) return r;
    }
  }
  return null;
}

async function odk(answers) {
  const inst = loaded.createInstance();
  const root = inst.root;
  const members = answers[repeatName] ?? [];
  const range = repeatName ? findRepeatRange(root) : null;
  if (range) {
    const have = range.currentState.children.length;
    if (members.length > have) range.addInstances(have - 1, members.length - have);
    if (members.length < have) range.removeInstances(members.length, have - members.length);
  }
  walk(root, (node, name, member) => {
    const v = member >= 0 ? members[member]?.[name] : answers[name];
    if (v === undefined) return;
    if (node.nodeType === 'select') {
      if (node.selectType === 'select1') node.selectValue(v);
      else node.selectValues(v.split(' '));
    } else if (node.nodeType === 'input') {
      node.setValue(v);
    }
  });
  const out = { answered: new Set(), errors: new Set(), required: new Set(), warnings: new Set(), values: new Map() };
  walk(root, (node, name, member) => {
    const key = member >= 0 ? `${name}[${member}]` : name;
    const st = node.currentState;
    const m = /^(.*)__warn\d+$/.exec(name);
    if (m) {
      if (st.relevant) out.warnings.add(member >= 0 ? `${m[1]}[${member}]` : m[1]);
      return;
    }
    if (!st.relevant) return;
    let value = st.value;
    if (Array.isArray(value)) value = value.join(' ');
    if (value !== null && value !== undefined && typeof value === 'object') value = String(node.instanceNode?.textContent ?? value);
    value = value === null || value === undefined ? '' : String(value);
    if (node.nodeType === 'model-value') out.values.set(key, value);
    if (value !== '' && node.nodeType !== 'note') out.answered.add(key);
    const viol = node.validationState?.violation;
    if (viol?.condition === 'constraint') out.errors.add(key);
    if (viol?.condition === 'required') out.required.add(key);
  });
  const payload = await root.prepareInstancePayload();
  out.xml = await payload.data[0].get('xml_submission_file').text();
  return out;
}

// ---------------------------------------------------------------- pinggu's side

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'agree-'));
// every questionnaire validated by one pinggu run: one JSON line per file
function pgAll(sets, ext = 'json') {
  const files = sets.map((answers, i) => {
    const file = path.join(tmp, `q${i}.${ext}`);
    fs.writeFileSync(file, ext === 'json' ? JSON.stringify(answers) : answers);
    return file;
  });
  let text;
  try {
    text = execFileSync(pinggu, ['form', 'validate', formPath, ...files, '--lenient', '--json', '--today', today],
      { encoding: 'utf8', maxBuffer: 1 << 28 });
  } catch (err) {
    if (err.status !== 2) throw err;
    text = err.stdout;
  }
  return text.trim().split('\n').map(pg);
}
function pg(line) {
  const res = JSON.parse(line);
  const out = { answered: new Set(), errors: new Set(), required: new Set(), warnings: new Set(), values: new Map() };
  const calc = new Set(rows.filter((r) => r.type === 'calculate').map((r) => r.name));
  for (const [k, v] of Object.entries(res.answers)) {
    if (Array.isArray(v)) {
      v.forEach((inst, i) => {
        for (const [k2, v2] of Object.entries(inst)) {
          out.answered.add(`${k2}[${i}]`);
          if (calc.has(k2)) out.values.set(`${k2}[${i}]`, v2);
        }
      });
    } else {
      out.answered.add(k);
      if (calc.has(k)) out.values.set(k, v);
    }
  }
  for (const it of res.issues) {
    const key = it.instance >= 0 ? `${it.name}[${it.instance}]` : it.name;
    if (it.kind === 'check' && it.severity === 'error') out.errors.add(key);
    else if (it.kind === 'check') out.warnings.add(key);
    else if (it.kind === 'required') out.required.add(key);
    else if (it.kind === 'calculate') continue; // a submitted calculation, recomputed by the server
    else throw new Error(`unexpected issue from pinggu for generated answers: ${JSON.stringify(it)}`);
  }
  return out;
}

// ---------------------------------------------------------------- compare

const sameNumber = (a, b) => {
  if (a === b) return true;
  const x = Number(a), y = Number(b);
  return a !== '' && b !== '' && Number.isFinite(x) && Number.isFinite(y) &&
    Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(x), Math.abs(y));
};

const n = Number(nArg);
let bad = 0;
const counts = { answered: 0, errors: 0, required: 0, warnings: 0, values: 0, xml: 0 };
const sets = Array.from({ length: n }, generate);
const results = pgAll(sets);
if (results.length !== n) throw new Error(`pinggu gave ${results.length} results for ${n} questionnaires`);
const odkResults = [];
for (let i = 0; i < n; i++) odkResults.push(await odk(sets[i]));
const fromXml = pgAll(odkResults.map((r) => r.xml), 'xml');
for (let i = 0; i < n; i++) {
  const answers = sets[i];
  const a = odkResults[i];
  const b = results[i];
  const c = fromXml[i];
  const diffs = [];
  for (const k of ['answered', 'errors', 'required', 'warnings']) {
    counts[k] += b[k].size;
    const onlyOdk = [...a[k]].filter((x) => !b[k].has(x));
    const onlyPg = [...b[k]].filter((x) => !a[k].has(x));
    if (onlyOdk.length || onlyPg.length) diffs.push(`${k}: ODK only [${onlyOdk.join(' ')}], pinggu only [${onlyPg.join(' ')}]`);
  }
  {
    // ODK's submission read by pinggu: the same questions answered, the same required missing
    const onlyXml = [...c.answered].filter((x) => !b.answered.has(x));
    const onlyJson = [...b.answered].filter((x) => !c.answered.has(x));
    counts.xml += c.answered.size;
    if (onlyXml.length || onlyJson.length) diffs.push(`xml: answered only from ODK's submission [${onlyXml.join(' ')}], only from the answers [${onlyJson.join(' ')}]`);
  }
  for (const [k, v] of b.values) {
    counts.values++;
    if (!sameNumber(a.values.get(k) ?? '', v)) diffs.push(`value of ${k}: ODK '${a.values.get(k)}', pinggu '${v}'`);
  }
  if (diffs.length) {
    bad++;
    if (bad <= 5) console.log(`questionnaire ${i}: ${JSON.stringify(answers)}\n  ${diffs.join('\n  ')}`);
  }
}
fs.rmSync(tmp, { recursive: true, force: true });
console.log(`${path.basename(formPath)}: ${n} questionnaires, ${bad} disagreeing; compared ${counts.answered} answers, ` +
  `${counts.errors} failed constraints, ${counts.required} missing required, ${counts.warnings} warnings, ${counts.values} calculations, ` +
  `${counts.xml} answers read back from ODK's submissions`);
process.exit(bad ? 1 : 0);
