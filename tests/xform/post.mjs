// post.mjs — questionnaires filled in ODK's own engine and sent to a running `pinggu serve` the
// way a phone sends them (issue 12, "a real client nobody here wrote"):
//
//   node post.mjs BASE TOKEN FORM_ID ANSWERS.csv UNIT...
//
// Downloads the form list, the field-app XForm, its manifest and units.csv over OpenRosa
// (BASE/key/TOKEN/...), loads the XForm in @getodk/xforms-engine with units.csv as its form
// attachment (select_one_from_file), and for each UNIT fills a fresh instance from that unit's
// row of ANSWERS.csv (and ANSWERS.members.csv: the repeat) — the unit chosen from the list,
// the visit complete, every answer set through the engine, which evaluates relevance,
// constraints and calculations — then serialises it with the engine (prepareInstancePayload)
// and POSTs it as multipart/form-data with a photo attachment, X-OpenRosa-Version: 1.0.
// Prints "UNIT STATUS" per questionnaire; exit 1 if the engine finds a violation or the server
// does not answer 201. Used by tests/cli/t_openrosa.sh.
import { loadEngine } from './engine.mjs';
import fs from 'node:fs';

const [base, token, formId, csvPath, ...units] = process.argv.slice(2);
if (!units.length) {
  console.error('usage: node post.mjs BASE TOKEN FORM_ID ANSWERS.csv UNIT...');
  process.exit(64);
}
const root = `${base}/key/${token}`;
const { loadForm } = await loadEngine();

async function get(url) {
  const r = await fetch(url);
  if (r.status !== 200) throw new Error(`${url.replace(token, '[token]')}: ${r.status}`);
  return r.text();
}

// RFC 4180, enough for pinggu's CSV files (quotes doubled, quoted commas and newlines)
function parseCsv(text) {
  const rows = [];
  let row = [], cell = '', q = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (q) {
      if (ch === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (ch === '"') q = false; else cell += ch;
    } else if (ch === '"') q = true;
    else if (ch === ',') { row.push(cell); cell = ''; }
    else if (ch === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; }
    else if (ch !== '\r') cell += ch;
  }
  if (cell !== '' || row.length) { row.push(cell); rows.push(row); }
  const [head, ...body] = rows;
  return body.map((r) => Object.fromEntries(head.map((h, k) => [h, r[k] ?? ''])));
}

const list = await get(`${root}/formList`);
if (!list.includes(`<formID>${formId}</formID>`)) throw new Error(`${formId} is not in the form list`);
const xform = await get(`${root}/forms/${formId}`);
const manifest = await get(`${root}/forms/${formId}/manifest`);
const unitsUrl = /<downloadUrl>([^<]*units\.csv)<\/downloadUrl>/.exec(manifest)?.[1];
if (!unitsUrl) throw new Error('no units.csv in the manifest');
const unitsCsv = await get(unitsUrl);
const loaded = await loadForm(xform, {
  fetchFormAttachment: async (url) => {
    if (!String(url).endsWith('units.csv')) throw new Error(`unexpected attachment ${url}`);
    return new Response(unitsCsv, { headers: { 'Content-Type': 'text/csv' } });
  },
});
if (loaded.status === 'failure') throw loaded.error;

const answers = parseCsv(fs.readFileSync(csvPath, 'utf8'));
const membersPath = csvPath.replace(/\.csv$/, '.members.csv');
const members = fs.existsSync(membersPath) ? parseCsv(fs.readFileSync(membersPath, 'utf8')) : [];

const leafName = (ref) => ref.split('/').pop().replace(/\[\d+\]$/, '');
function walk(node, visit, member = -1) {
  for (const c of node.currentState.children ?? []) {
    if (c.nodeType.startsWith('repeat-range')) {
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
function setAll(rootNode, row, mrows) {
  walk(rootNode, (node, name, member) => {
    const v = member >= 0 ? mrows[member]?.[name] : row[name];
    if (v === undefined || v === '') return;
    if (node.nodeType === 'select') {
      if (node.selectType === 'select1') node.selectValue(v);
      else node.selectValues(v.split(' '));
    } else if (node.nodeType === 'input') {
      node.setValue(v);
    }
  });
}

let bad = 0;
const photo = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1]);
for (const unit of units) {
  const row = answers.find((r) => r.unit === unit);
  if (!row) throw new Error(`no answers for ${unit}`);
  const mrows = members.filter((m) => m.unit === unit);
  const inst = loaded.createInstance();
  const range = findRepeatRange(inst.root);
  if (range) {
    const have = range.currentState.children.length;
    if (mrows.length > have) range.addInstances(have - 1, mrows.length - have);
    if (mrows.length < have) range.removeInstances(mrows.length, have - mrows.length);
  }
  // the visit first (it opens the questions), then every answer; twice, so answers whose
  // relevance depends on a later answer are set once they apply
  setAll(inst.root, { unit, status: 'complete' }, []);
  setAll(inst.root, row, mrows);
  setAll(inst.root, row, mrows);
  const violations = [];
  walk(inst.root, (node, name, member) => {
    const v = node.validationState?.violation;
    if (node.currentState.relevant && v) violations.push(`${name}${member >= 0 ? `[${member}]` : ''}: ${v.condition}`);
  });
  if (violations.length) {
    bad++;
    console.log(`${unit} ODK's engine: ${violations.join(', ')}`);
    continue;
  }
  const payload = await inst.root.prepareInstancePayload();
  const xml = await payload.data[0].get('xml_submission_file').text();
  const fd = new FormData();
  fd.append('xml_submission_file', new Blob([xml], { type: 'text/xml' }), 'submission.xml');
  fd.append(`photo-${unit}.jpg`, new Blob([photo], { type: 'image/jpeg' }), `photo-${unit}.jpg`);
  const r = await fetch(`${root}/submission`, { method: 'POST', body: fd, headers: { 'X-OpenRosa-Version': '1.0' } });
  const text = await r.text();
  console.log(`${unit} ${r.status}`);
  if (r.status !== 201) {
    bad++;
    console.log(text);
  }
}
process.exit(bad ? 1 : 0);
