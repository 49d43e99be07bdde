// app.js — the pages of pinggu serve (issue 13, docs/pages.md): sign-in, the first login's
// password change, the header (who is signed in, the round), navigation from GET /api/nav
// (the server's one authorisation matrix decides which pages a user may open), one view per
// page, and the refusal page.
//
// Invariants: the pages hold no rules — no threshold comparison, skip logic or permission
// decision is made here; every value and verdict comes from the API, and a page a user may not
// open still asks the API, whose refusal (403, logged in the security log) is what is shown.
// Text from the store is put into the page only as text (textContent), never as markup.
// Tables download as CSV or XLSX made by the server (GET /api/download), never by the browser.
import QRCode from 'qrcode';
import { drawFigures } from './chart.js';
import { monitorViews } from './monitor.js';

const $ = (sel) => document.querySelector(sel);
const state = { seq: 0, me: null, round: null, nav: null, csrf: sessionStorage.getItem('pinggu_csrf') || '' };

// ------------------------------------------------------------------ DOM helpers

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}
const bi = (zh, en) => [zh, el('span', { class: 'en' }, en)];
function show(...nodes) {
  const m = $('#main');
  m.replaceChildren(...nodes);
}

// ------------------------------------------------------------------ the API

class Refused extends Error {
  constructor(status, body) {
    super(body?.error?.message_en || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function api(method, path, body, raw) {
  const headers = {};
  if (method !== 'GET') headers['X-CSRF-Token'] = state.csrf;
  let payload;
  if (raw) { payload = raw; headers['Content-Type'] = 'application/octet-stream'; }
  else if (body !== undefined) { payload = JSON.stringify(body); headers['Content-Type'] = 'application/json'; }
  const r = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  const data = await r.json().catch(() => null);
  if (!r.ok) throw new Refused(r.status, data);
  return data;
}

// ------------------------------------------------------------------ refusal and errors

function refusal(err) {
  const e = err?.body?.error || {};
  const title = err?.status === 403 ? bi('无权访问', 'Access refused') : err?.status === 401 ? bi('请先登录', 'Sign in first') : bi('请求未完成', 'Request failed');
  show(el('section', { class: 'refusal', role: 'alert', 'data-refusal': String(err?.status || '') },
    el('h1', {}, title),
    el('p', {}, e.message_zh || '无法完成此请求。'),
    el('p', { class: 'en' }, e.message_en || String(err?.message || err)),
    el('p', {}, '此次访问已记入安全日志。 / This attempt is recorded in the security log.'),
    el('p', {}, el('a', { href: '#/' }, '返回首页 / Home'))));
}

function message(node, ok, zh, en) {
  node.replaceChildren(el('div', { class: `msg ${ok ? 'ok' : 'bad'}`, role: 'status' }, zh, ' / ', en));
}

// ------------------------------------------------------------------ tables

// columns: [key, zh, en, (row) => cell?]
function table(rows, columns, download) {
  const head = el('tr', {}, columns.map(([, zh, en]) => el('th', { scope: 'col' }, zh, el('span', { class: 'en' }, en))));
  const body = rows.map((r) => el('tr', {}, columns.map(([k, , , f]) => {
    const v = f ? f(r) : r[k];
    return el('td', { class: typeof v === 'number' ? 'num' : '' }, v instanceof Node ? v : v === undefined || v === null ? '' : String(v));
  })));
  const parts = [];
  if (download) parts.push(downloads(download));
  parts.push(el('div', { class: 'table-wrap' }, el('table', {}, el('thead', {}, head), el('tbody', {}, body))));
  if (!rows.length) parts.push(el('p', {}, '（无记录 / none）'));
  return parts;
}

// name: the table, or [table, {query}] for a table of one item (a questionnaire's answers, a
// county's ledger): the server builds it by the page's own route with the same query
function downloads(spec) {
  const [name, extra] = Array.isArray(spec) ? spec : [spec, {}];
  const more = Object.entries(extra).filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `&${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('');
  const q = (f) => `/api/download?table=${encodeURIComponent(name)}&round=${encodeURIComponent(state.round)}${more}&format=${f}`;
  return el('div', { class: 'downloads' }, '下载 / download: ',
    el('a', { href: q('xlsx'), download: '', 'data-download': `${name}.xlsx` }, 'Excel (XLSX)'),
    el('a', { href: q('csv'), download: '', 'data-download': `${name}.csv` }, 'CSV'));
}

// ------------------------------------------------------------------ sign-in, password, header

function signIn(msg) {
  $('#top').replaceChildren(el('span', { class: 'brand' }, '贫困退出第三方评估系统 · pinggu'));
  $('#nav').replaceChildren();
  const out = el('div');
  const f = el('form', { class: 'box', id: 'signin' },
    el('h1', {}, bi('登录', 'Sign in')),
    el('label', { for: 'user' }, '用户名 / User'), el('input', { id: 'user', name: 'user', autocomplete: 'username', required: true }),
    el('label', { for: 'password' }, '密码 / Password'), el('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
    el('button', { type: 'submit' }, '登录 / Sign in'), out);
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const r = await api('POST', '/api/session', { user: f.user.value, password: f.password.value });
      state.csrf = r.csrf_token;
      sessionStorage.setItem('pinggu_csrf', state.csrf);
      await start();
    } catch (err) {
      const e = err.body?.error || {};
      message(out, false, e.message_zh || '登录失败', e.message_en || 'sign-in failed');
    }
  });
  show(f);
  if (msg) message(out, true, msg[0], msg[1]);
  f.user.focus();
}

function passwordChange() {
  const out = el('div');
  const f = el('form', { class: 'box', id: 'pwchange' },
    el('h1', {}, bi('首次登录，请修改密码', 'First sign-in: change your password')),
    el('p', {}, '至少 10 个字符，含大写、小写、数字、其他字符中的三类，不含用户名。 / At least 10 characters of three classes, not containing the user name.'),
    el('label', { for: 'old' }, '原密码 / Current password'), el('input', { id: 'old', type: 'password', autocomplete: 'current-password', required: true }),
    el('label', { for: 'new' }, '新密码 / New password'), el('input', { id: 'new', type: 'password', autocomplete: 'new-password', required: true }),
    el('button', { type: 'submit' }, '修改密码 / Change password'), out);
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await api('POST', '/api/me/password', { old: f.old.value, new: f.new.value });
      await start();
    } catch (err) {
      const e = err.body?.error || {};
      message(out, false, e.message_zh || '修改失败', e.message_en || 'not changed');
    }
  });
  show(f);
}

async function signOut() {
  try { await api('DELETE', '/api/session'); } catch { /* already gone */ }
  sessionStorage.removeItem('pinggu_csrf');
  state.me = null;
  location.hash = '#/';
  signIn(['已退出', 'signed out']);
}

function header(rounds) {
  const roles = state.me.grants.map((g) => `${g.role_zh} ${g.role}${g.scope ? ` ${g.scope}` : ''}`).join('，');
  const sel = el('select', { id: 'round', 'aria-label': '轮次 / round' }, rounds.map((r) =>
    el('option', { value: r.round, selected: r.round === state.round }, `${r.round}（${r.state === 'released' ? `已发布 ${r.releases} 次 / released` : '未发布 / provisional'}）`)));
  sel.addEventListener('change', async () => { state.round = sel.value; localStorage.setItem('pinggu_round', sel.value); await loadNav(); route(); });
  $('#top').replaceChildren(
    el('span', { class: 'brand' }, '贫困退出第三方评估系统'),
    el('span', { class: 'who', id: 'who' }, `已登录 / signed in: ${state.me.user}（${roles}）`),
    el('span', { class: 'round' }, '轮次 / round: ', sel),
    el('button', { id: 'signout', type: 'button', onclick: signOut }, '退出 / Sign out'));
}

async function loadNav() {
  state.nav = await api('GET', `/api/nav?round=${encodeURIComponent(state.round)}`);
  const cur = location.hash.replace(/^#\//, '').split('?')[0];
  $('#nav').replaceChildren(...state.nav.pages.map((p) =>
    el('a', { href: `#/${p.id}`, class: p.id === cur ? 'current' : '' }, p.title_zh, el('span', { class: 'en' }, p.title_en))));
}

async function start() {
  // no CSRF token in this tab: not signed in here (asking /api/me would only answer 401)
  if (!state.csrf) return signIn();
  try {
    state.me = await api('GET', '/api/me');
  } catch (err) {
    if (err.status === 401) return signIn();
    return refusal(err);
  }
  if (state.me.must_change) return passwordChange();
  try {
    const { rounds } = await api('GET', '/api/rounds');
    const saved = localStorage.getItem('pinggu_round');
    state.round = rounds.some((r) => r.round === saved) ? saved : rounds[0]?.round;
    header(rounds);
    if (!state.round) return show(el('p', {}, '没有可见的评估轮次。 / No round is visible to you.'));
    await loadNav();
    await route();
  } catch (err) {
    refusal(err);
  }
}

// ------------------------------------------------------------------ the views

const views = {
  async home(params, render) {
    const first = state.nav.pages[0];
    if (first) { location.hash = `#/${first.id}`; return; }
    render(el('p', {}, '您在本轮没有可用的页面。 / No page is open to you in this round.'));
  },

  async figures(params, render) {
    const d = await api('GET', `/api/rounds/${encodeURIComponent(state.round)}/figures`);
    const chart = el('div', { id: 'chart', role: 'img', 'aria-label': '指标及其置信区间 / indicators with intervals' });
    const sel = el('select', { id: 'indicator', 'aria-label': '指标 / indicator' },
      [['wrong_exit', '错退率'], ['missed', '漏评率'], ['incidence', '综合贫困发生率'], ['approval', '群众认可度']].map(([k, zh]) => el('option', { value: k }, `${zh} ${k}`)));
    const ind = (u, k) => u[k] || {};
    const pct = (x) => (typeof x === 'number' ? `${(x * 100).toFixed(2)}%` : '');
    const rows = d.units;
    render(el('h1', {}, bi('指标测算', 'Indicators'), d.provisional ? el('span', { class: 'en' }, '（初步 / provisional）') : null),
      el('p', {}, '区间与判定均由服务端计算（pinggu indicators）。 / Intervals and verdicts are computed by the server.'),
      el('label', {}, '指标 / indicator: ', sel), chart,
      ...table(rows, [
        ['code', '代码', 'code'], ['name', '县', 'county'], ['selected', '抽中', 'selected'], ['reached', '完成', 'reached'],
        ['we', '错退率', 'wrong exit', (u) => pct(ind(u, 'wrong_exit').estimate)],
        ['we_i', '区间', 'interval', (u) => (ind(u, 'wrong_exit').interval ? `${pct(ind(u, 'wrong_exit').lower)} – ${pct(ind(u, 'wrong_exit').upper)}` : '')],
        ['we_v', '判定', 'verdict', (u) => ind(u, 'wrong_exit').interval_verdict || ''],
        ['mi', '漏评率', 'missed', (u) => pct(ind(u, 'missed').estimate)],
        ['mi_v', '判定', 'verdict', (u) => ind(u, 'missed').interval_verdict || ''],
        ['ap', '群众认可度', 'approval', (u) => pct(ind(u, 'approval').estimate)],
        ['ap_v', '判定', 'verdict', (u) => ind(u, 'approval').interval_verdict || ''],
      ], 'figures'));
    const draw = () => { if (chart.isConnected) drawFigures(chart, rows, sel.value); };
    sel.addEventListener('change', draw);
    draw();
  },

  // per county (households due and done, response and replacement rates) and per county and
  // team (questionnaires by review state): figures from the library (field_progress), each
  // county only for whom may read its progress
  async progress(params, render) {
    const d = await api('GET', `/api/rounds/${encodeURIComponent(state.round)}/progress/table`);
    // problems by state and the day's summaries: counted by the problem stage (problem_counts),
    // late by the plan's rule there — nothing is compared here
    const pr = await api('GET', `/api/rounds/${encodeURIComponent(state.round)}/progress/problems`);
    const pct = (x) => `${(x * 100).toFixed(1)}%`;
    const problemStates = pr.states.map((x) => [x.state, x.zh, x.state.replace(/_/g, ' ')]);
    render(el('h1', {}, bi('进度', 'Progress')),
      el('h2', {}, bi('各县入户进度', 'Households per county')),
      ...table(d.counties, [['county', '县代码', 'county'], ['selected', '应调查', 'due'], ['reached', '已完成', 'done'],
        ['not_reached', '未访到', 'not reached'], ['replaced', '替换完成', 'replaced'],
        ['response_rate', '应答率', 'response rate', (r) => pct(r.response_rate)], ['replacement_rate', '替换率', 'replacement rate', (r) => pct(r.replacement_rate)]], 'progress-counties'),
      el('h2', {}, bi('各组问卷审核状态', 'Questionnaires by review state, per team')),
      ...table(d.teams, [['county', '县代码', 'county'], ['team', '组', 'team', (r) => r.team ?? '—'], ['questionnaires', '问卷', 'questionnaires'],
        ['submitted', '待审核', 'submitted'], ['rejected_by_leader', '组长退回', 'rejected (leader)'], ['approved_by_leader', '组长通过', 'approved (leader)'],
        ['rejected_by_office', '省办退回', 'rejected (office)'], ['approved_by_office', '省办通过', 'approved (office)']], 'progress-teams'),
      el('h2', {}, bi('各组问题状态与当日汇总', 'Problems by state and the day\u2019s summaries, per team')),
      el('p', { id: 'summary-rule' }, pr.summary_due
        ? `方案规定当日问题清单须于 ${pr.summary_due}（北京时间）前汇总；晚于此时或次日汇总为迟交。 / The plan sets the day\u2019s list due by ${pr.summary_due} (CST): a summary after that hour, or on a later day, is late.`
        : '方案未规定汇总时刻；次日及以后汇总为迟交。 / The plan sets no hour: a summary on a later day than the finding is late.'),
      ...table(pr.rows, [['county', '县代码', 'county'], ['team', '组', 'team', (r) => r.team ?? '—'], ['problems', '问题', 'problems'],
        ...problemStates, ['in_summary', '汇总', 'in a summary'], ['not_in_summary', '未汇总', 'not summarised'],
        ['late_summaries', '迟交汇总', 'late summaries']], 'progress-problems'),
      el('p', {}, el('a', { href: '#/progress-text', id: 'progress-text-link' }, '命令行格式（全轮） / as pinggu field status prints it (the whole round)')));
  },

  async 'progress-text'(params, render) {
    const d = await api('GET', `/api/rounds/${encodeURIComponent(state.round)}/progress`);
    render(el('h1', {}, bi('进度', 'Progress')),
      el('p', {}, '同 pinggu field status：各县应答、替换，问卷审核状态，各组调查质量。 / As pinggu field status prints it.'),
      el('pre', { id: 'progress' }, d.status));
  },

  async problems(params, render) {
    const d = await api('GET', `/api/problems?round=${encodeURIComponent(state.round)}`);
    render(el('h1', {}, bi('问题清单', 'Problems')),
      ...table(d.problems, [
        ['id', '编号', 'no.', (p) => el('a', { href: `#/problem?id=${p.id}` }, String(p.id))],
        ['county', '县代码', 'county'], ['state_zh', '状态', 'state', (p) => `${p.state_zh} ${p.state}`],
        ['verification', '核查', 'verification'], ['deadline', '整改期限', 'deadline'],
        ['overdue', '逾期', 'overdue', (p) => (p.overdue ? '是 yes' : '否 no')],
      ], 'problems'));
  },

  // the rectification ledger (整改台账): every problem fed back or later, with its timing, as
  // the problem stage builds it (problem_in_ledger, problem_ledger_timing); a county filter
  async ledger(params, render) {
    const county = (params.get('county') || '').trim();
    const d = await api('GET', `/api/rounds/${encodeURIComponent(state.round)}/ledger${county ? `?county=${encodeURIComponent(county)}` : ''}`);
    const input = el('input', { id: 'ledger-county', value: county, inputmode: 'numeric', size: 8, 'aria-label': '县代码 / county code' });
    const f = el('form', { id: 'ledger-filter', class: 'inline' }, el('label', { for: 'ledger-county' }, '县代码（空=全部） / county (empty: all): '), input,
      el('button', { type: 'submit' }, '筛选 / Filter'));
    f.addEventListener('submit', (ev) => { ev.preventDefault(); location.hash = `#/ledger${input.value.trim() ? `?county=${encodeURIComponent(input.value.trim())}` : ''}`; });
    render(el('h1', {}, bi('整改台账', 'Rectification ledger')),
      el('p', {}, `截至 ${d.asof}，反馈后的问题及其整改措施、责任单位、时限与结果；逾期由服务端按“X日前”规则判定。 / As of ${d.asof}: every problem fed back or later; lateness is decided by the server.`),
      f,
      ...table(d.problems, [
        ['id', '编号', 'no.', (p) => el('a', { href: `#/problem?id=${p.id}` }, String(p.id))], ['county', '县代码', 'county'],
        ['state_zh', '状态', 'state', (p) => `${p.state_zh} ${p.state}`], ['measures', '整改措施', 'measures'],
        ['responsible_unit', '责任单位', 'responsible unit'], ['responsible_person', '责任人', 'responsible person'],
        ['deadline', '整改时限', 'deadline'], ['rectified_on', '整改完成', 'rectified on'], ['result', '整改结果', 'result'],
        ['closed_on', '销号日期', 'closed on'], ['timing', '时效', 'timing', (p) => (p.timing ? `${p.timing} ${p.timing_en}` : '按期 in time')],
      ], ['ledger', { county }]));
  },

  // the evening summary: each team's day of problems, as pinggu problems summary prints it
  async 'problem-summary'(params, render) {
    const day = params.get('date') || new Date().toISOString().slice(0, 10);
    const input = el('input', { id: 'summary-date', value: day, 'aria-label': '日期 / date' });
    const go = el('button', { type: 'button', onclick: () => { location.hash = `#/problem-summary?date=${encodeURIComponent(input.value.trim())}`; } }, '查看 / Show');
    const d = await api('GET', `/api/rounds/${encodeURIComponent(state.round)}/problem-summary?date=${encodeURIComponent(day)}`);
    render(el('h1', {}, bi('当日问题汇总', "The day's problem summary")),
      el('p', {}, '各组当天发现的问题、汇总时间（方案规定时限）、未汇总与已送核实。 / Each team\u2019s problems of the day: summarised (and when, against the plan\u2019s hour), missing, sent.'),
      el('div', {}, input, go), el('pre', { id: 'problem-summary' }, d.summary));
  },

  async problem(params, render) {
    const id = Number(params.get('id'));
    const p = await api('GET', `/api/problems/${id}`);
    const out = el('div', { class: 'out' });
    const to = el('select', { id: 'to', name: 'to' }, (p.legal_moves || []).map((m) => el('option', { value: m.to }, `${m.to} — ${m.what}`)));
    const f = el('form', { class: 'box', id: 'move' },
      el('h2', {}, bi('办理', 'Move')),
      el('label', { for: 'to' }, '下一状态 / next state (服务端给出的合法流转 / legal moves from the server)'), to,
      el('label', { for: 'note' }, '说明 / note (解释、整改措施 / explanation, measures)'), el('textarea', { id: 'note', rows: 3 }),
      el('label', { for: 'on' }, '日期 / date (YYYY-MM-DD)'), el('input', { id: 'on', placeholder: '2020-04-22' }),
      el('label', { for: 'deadline' }, '整改期限 / deadline (YYYY-MM-DD)'), el('input', { id: 'deadline' }),
      el('label', { for: 'measures' }, '整改措施 / measures'), el('input', { id: 'measures' }),
      el('label', { for: 'responsible_unit' }, '责任单位 / responsible unit'), el('input', { id: 'responsible_unit' }),
      el('label', { for: 'responsible_person' }, '责任人 / responsible person'), el('input', { id: 'responsible_person' }),
      el('label', { for: 'result' }, '整改结果 / result'), el('input', { id: 'result' }),
      el('label', { for: 'evidence-file' }, '证据文件 / evidence file (照片、文件 photo, document)'), el('input', { id: 'evidence-file', type: 'file' }),
      el('button', { type: 'submit' }, '提交 / Submit'), out);
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        const body = { to: f.to.value };
        for (const k of ['note', 'on', 'deadline', 'measures', 'responsible_unit', 'responsible_person', 'result']) if (f[k].value) body[k] = f[k].value;
        const file = f['evidence-file'].files[0];
        // with a file: the same move, its fields in the query and the file as the body; the
        // server stores the file as the move's evidence in the move's transaction
        const r = file
          ? await api('POST', `/api/problems/${id}/moves/evidence?${new URLSearchParams({ ...body, name: file.name })}`, undefined, file)
          : await api('POST', `/api/problems/${id}/moves`, body);
        // the problem again (its new state and legal moves), then the answer in its form; no
        // timer: one firing after the user moved on would wipe the next page
        await route();
        let fresh = document.querySelector('#move .out');
        if (!fresh) { fresh = el('div'); $('#main').prepend(fresh); } // no move left for this user
        message(fresh, true, `已办理：${r.from} → ${r.state}`, `moved by ${r.by} as ${r.as}`);
      } catch (err) {
        const e = err.body?.error || {};
        const legal = (e.legal_moves || []).map((m) => m.to).join(', ');
        message(out, false, e.message_zh || '未办理', `${e.message_en || err.message}${legal ? ` (legal: ${legal})` : ''}`);
      }
    });
    render(el('h1', {}, bi(`问题 ${p.id}`, `Problem ${p.id}`)),
      el('table', {}, el('tbody', {},
        [['县代码 county', p.county], ['状态 state', `${p.state_zh} ${p.state}`], ['核查 verification', p.verification],
          ['逾期 overdue', p.overdue ? '是 yes' : '否 no'], ['轮次 round', p.round]].map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', {}, String(v ?? '')))))),
      p.history ? el('pre', { id: 'history' }, p.history) : null,
      (p.legal_moves || []).length ? f : el('p', {}, '当前没有您可办理的流转。 / No move is open to you now.'));
  },

  // today's households: the assignments, with the units the leader's day plan gives the
  // user's pair today first (the server says which are "mine" and what day it is)
  async assignments(params, render) {
    const d = await api('GET', `/api/assignments?round=${encodeURIComponent(state.round)}`);
    const plan = await api('GET', `/api/rounds/${encodeURIComponent(state.round)}/dayplan`);
    const today = new Map(plan.items.filter((x) => x.mine && x.day === plan.today).map((x) => [x.unit, x]));
    const rows = [...d.assignments.filter((a) => today.has(a.unit)), ...d.assignments.filter((a) => !today.has(a.unit))];
    render(el('h1', {}, bi('调查任务', 'Assignments')),
      el('p', {}, '后备样本仅在系统记录无应答并启用后出现。 / A reserve appears only once the server activates it.'),
      el('p', { id: 'today-count' }, `今日（${plan.today}）组长安排给您的：${today.size} 户/村 / planned for you today by the leader: ${today.size}`),
      ...table(rows, [['unit', '单位代码', 'unit'], ['today', '今日', 'today', (a) => (today.has(a.unit) ? `今日 today（${today.get(a.unit).pair}）` : '')],
        ['stage', '层级', 'stage'], ['county', '县代码', 'county'],
        ['reserve', '后备', 'reserve', (a) => (a.reserve ? '是 yes' : '否 no')]], 'assignments'));
  },

  // the leader's day plan: which pair visits which unit on which day; the server checks who
  // may and the library what is legal (a unit of the sample, no reserve before activation)
  async dayplan(params, render) {
    const day = params.get('day') || '';
    const plan = await api('GET', `/api/rounds/${encodeURIComponent(state.round)}/dayplan${day ? `?day=${encodeURIComponent(day)}` : ''}`);
    const units = await api('GET', `/api/assignments?round=${encodeURIComponent(state.round)}`);
    const out = el('div', { class: 'out' });
    const f = el('form', { class: 'box', id: 'dayplan-form' },
      el('h2', {}, bi('安排', 'Plan a visit')),
      el('label', { for: 'dp-unit' }, '单位代码 / unit'), el('input', { id: 'dp-unit', list: 'dp-units', required: true, autocomplete: 'off' }),
      el('datalist', { id: 'dp-units' }, units.assignments.map((a) => el('option', { value: a.unit }, `${a.stage} ${a.county}`))),
      el('label', { for: 'dp-day' }, '日期 / day (YYYY-MM-DD)'), el('input', { id: 'dp-day', value: day || plan.today, required: true }),
      el('label', { for: 'dp-pair' }, '评估小组（一至两个用户名） / pair (one or two user names)'), el('input', { id: 'dp-pair', required: true, autocomplete: 'off' }),
      el('button', { type: 'submit' }, '安排 / Plan'), out);
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        const r = await api('POST', `/api/rounds/${encodeURIComponent(state.round)}/dayplan`, { unit: $('#dp-unit').value.trim(), day: $('#dp-day').value.trim(), pair: $('#dp-pair').value.trim() });
        await route();
        const fresh = document.querySelector('#dayplan-form .out');
        if (fresh) message(fresh, true, `已安排：${r.unit} ${r.day} ${r.pair}`, `planned by ${r.by}`);
      } catch (err) {
        const e = err.body?.error || {};
        message(out, false, e.message_zh || '未安排', e.message_en || err.message);
      }
    });
    render(el('h1', {}, bi('每日安排', 'Day plan')),
      el('p', {}, '每个单位以最近一次安排为准，历次安排记入变更日志。 / A unit\u2019s latest plan is in force; every plan is in the change log.'),
      plan.can_plan ? f : null,
      ...table(plan.items, [['day', '日期', 'day'], ['unit', '单位代码', 'unit'], ['county', '县代码', 'county'], ['pair', '评估小组', 'pair'], ['set_by', '安排人', 'set by']], ['dayplan', { day }]));
  },

  async review(params, render) {
    const st = params.get('state') || '';
    const d = await api('GET', `/api/rounds/${encodeURIComponent(state.round)}/review${st ? `?state=${encodeURIComponent(st)}` : ''}`);
    const filter = el('select', { id: 'state-filter', 'aria-label': '审核状态 / review state' },
      [['', '全部 / all'], ['submitted', '待审核 submitted'], ['rejected_by_leader', '组长退回 rejected by the leader'], ['approved_by_leader', '组长通过 approved by the leader'],
        ['rejected_by_office', '省办退回 rejected by the office'], ['approved_by_office', '省办通过 approved by the office']].map(([v, t]) => el('option', { value: v, selected: v === st }, t)));
    filter.addEventListener('change', () => { location.hash = `#/review${filter.value ? `?state=${filter.value}` : ''}`; });
    const comments = (q) => Object.entries(q.comments || {}).map(([k, v]) => `${k}: ${v}`).join('；');
    render(el('h1', {}, bi('问卷审核', 'Questionnaire review')),
      el('p', {}, '两级审核：组长通过或退回（逐题意见），省办复核。 / Two levels: the leader approves or rejects (a comment per question), then the office.'),
      el('label', {}, '状态 / state: ', filter),
      ...table(d.questionnaires, [
        ['unit', '单位代码', 'unit', (q) => (d.can_review ? el('a', { href: `#/review-item?unit=${encodeURIComponent(q.unit)}&form=${encodeURIComponent(q.form)}` }, q.unit) : q.unit)],
        ['county', '县代码', 'county'], ['form', '问卷', 'form'], ['review', '审核状态', 'review state'],
        ['by', '最后办理', 'last by', (q) => `${q.by} (${q.role})`], ['at', '时间', 'at', (q) => String(q.at || '').slice(0, 10)],
        ['comments', '意见', 'comments', comments], ['note', '说明', 'note'],
      ], 'review'));
  },

  async 'review-item'(params, render) {
    const unit = params.get('unit'), form = params.get('form');
    const d = await api('GET', `/api/rounds/${encodeURIComponent(state.round)}/review`);
    const q = d.questionnaires.find((x) => x.unit === unit && x.form === form);
    if (!q) throw new Refused(404, { error: { message_zh: '未找到该问卷', message_en: `no questionnaire ${unit} ${form} visible to you` } });
    // the answers beside the form, as the server gives them (personal answers masked by the
    // library unless the office asked for them unmasked, which the server logs)
    const unmasked = params.get('unmasked') === '1' ? '1' : undefined; // the server decides who may, and logs it
    const ans = await api('GET', `/api/rounds/${encodeURIComponent(state.round)}/review/answers?unit=${encodeURIComponent(unit)}&form=${encodeURIComponent(form)}${unmasked ? '&unmasked=1' : ''}`);
    const names = el('datalist', { id: 'question-names' }, [...new Set(ans.answers.map((a) => a.name))].map((n) => el('option', { value: n })));
    const answers = el('div', { id: 'answers', class: 'answers' }, el('h2', {}, bi('答卷', 'Answers')),
      ...table(ans.answers, [
        ['name', '题目', 'question', (a) => `${a.label_zh || ''} ${a.name}`], ['instance', '成员', 'member', (a) => (a.instance ? String(a.instance) : '')],
        ['value', '回答', 'answer', (a) => (a.personal && !ans.unmasked ? `${a.value}（已遮蔽 masked）` : a.value)],
      ], ['answers', { unit, form, unmasked }]));
    const out = el('div');
    const rows = el('div', { id: 'comment-rows' });
    const addRow = () => {
      const n = rows.children.length + 1;
      rows.append(el('div', { class: 'comment-row' },
        el('label', { for: `q${n}` }, `题目 ${n} / question ${n}`), el('input', { id: `q${n}`, class: 'cq', placeholder: 'household_status', list: 'question-names' }),
        el('label', { for: `c${n}` }, `意见 ${n} / comment ${n}`), el('input', { id: `c${n}`, class: 'cc' })));
    };
    addRow();
    const f = el('form', { class: 'box', id: 'review-form' },
      el('label', { for: 'to' }, '审核结果 / decision'),
      el('select', { id: 'to' }, [['approved_by_leader', '组长通过 approve (leader)'], ['rejected_by_leader', '组长退回 reject (leader)'],
        ['approved_by_office', '省办通过 approve (office)'], ['rejected_by_office', '省办退回 reject (office)']].map(([v, t]) => el('option', { value: v }, t))),
      rows, el('button', { type: 'button', id: 'add-comment', onclick: addRow }, '再加一条意见 / another comment'),
      el('label', { for: 'note' }, '说明 / note'), el('input', { id: 'note' }),
      el('button', { type: 'submit' }, '提交 / Submit'), out);
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const comments = {};
      for (const r of rows.children) {
        const k = r.querySelector('.cq').value.trim(), v = r.querySelector('.cc').value.trim();
        if (k && v) comments[k] = v;
      }
      const body = { unit, form, to: f.to.value, comments };
      if (f.note.value) body.note = f.note.value;
      try {
        const r = await api('POST', `/api/rounds/${encodeURIComponent(state.round)}/review`, body);
        message(out, true, `已审核：${r.review}`, `by ${r.by} as ${r.as}`);
      } catch (err) {
        const e = err.body?.error || {};
        message(out, false, e.message_zh || '未审核', e.message_en || err.message);
      }
    });
    render(el('h1', {}, bi(`问卷 ${unit}`, form)),
      el('table', {}, el('tbody', {}, [['县代码 county', q.county], ['问卷 form', q.form], ['审核状态 review state', q.review],
        ['意见 comments', Object.entries(q.comments || {}).map(([k, v]) => `${k}: ${v}`).join('；')], ['说明 note', q.note]]
        .map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', { id: k.startsWith('审核') ? 'review-state' : null }, String(v ?? '')))))),
      names, f, answers);
  },

  async entry(params, render) {
    render(el('h1', {}, bi('问卷填报', 'Questionnaire entry')),
      el('p', {}, '浏览器表单与 ODK Collect 设置见填报页。 / The browser form and ODK Collect set-up are on the entry page.'),
      el('p', {}, el('a', { href: './entry.html', id: 'entry-link' }, '打开填报页 / Open the entry page')));
  },

  // ODK Collect set-up, as ODK Central offers it: the password again, then a QR code of the
  // server URL with a new token (shown once: the server keeps only its hash); regenerating
  // revokes the earlier tokens of the round; revoke stops them all.
  async odk(params, render) {
    const list = await api('GET', '/api/me/tokens');
    const out = el('div', { class: 'out' }), qr = el('div', { id: 'odk-qr' });
    const pw = el('input', { id: 'odk-password', type: 'password', autocomplete: 'current-password' });
    const f = el('form', { class: 'box', id: 'odk-issue' },
      el('label', { for: 'odk-password' }, '请再次输入密码 / enter your password again'), pw,
      el('button', { type: 'submit' }, '生成（或重新生成）二维码 / Make (or remake) the QR code'), out);
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      qr.replaceChildren();
      try {
        const r = await api('POST', '/api/me/tokens', { round: state.round, password: pw.value });
        pw.value = '';
        // ODK Collect's settings QR: zlib-deflated JSON, base64 (as ODK Central makes it)
        const json = JSON.stringify({ general: { server_url: r.url }, admin: {}, project: { name: `pinggu ${r.round}` } });
        const z = await new Response(new Blob([json]).stream().pipeThrough(new CompressionStream('deflate'))).arrayBuffer();
        const payload = btoa(String.fromCharCode(...new Uint8Array(z)));
        const canvas = el('canvas', { id: 'odk-qr-code', 'data-payload': payload, role: 'img', 'aria-label': 'ODK Collect 设置二维码 / settings QR code' });
        await QRCode.toCanvas(canvas, payload, { errorCorrectionLevel: 'L', width: 300 });
        qr.replaceChildren(canvas,
          el('p', {}, '服务器地址（仅显示这一次） / server URL (shown this once): '), el('code', { id: 'odk-url' }, r.url),
          el('p', {}, `令牌 ${r.id}，有效至 ${r.expires}${r.revoked ? `；已作废此前的 ${r.revoked} 个令牌` : ''} / token ${r.id}, expires ${r.expires}${r.revoked ? `; ${r.revoked} earlier token(s) revoked` : ''}`));
        message(out, true, '已生成，请用 ODK Collect 扫描', 'made: scan it with ODK Collect');
      } catch (err) {
        const e = err.body?.error || {};
        message(out, false, e.message_zh || '未生成', e.message_en || err.message);
      }
    });
    const rout = el('div', { class: 'out' });
    const revoke = el('button', { type: 'button', id: 'odk-revoke', onclick: async () => {
      try {
        const r = await api('POST', '/api/me/tokens/revoke', { round: state.round });
        qr.replaceChildren();
        message(rout, true, `已作废 ${r.revoked} 个令牌`, `${r.revoked} token(s) revoked`);
      } catch (err) {
        const e = err.body?.error || {};
        message(rout, false, e.message_zh || '未作废', e.message_en || err.message);
      }
    } }, '作废本轮全部令牌 / Revoke my tokens of this round');
    render(el('h1', {}, bi('ODK Collect 设置', 'ODK Collect set-up')),
      el('p', {}, '在 ODK Collect 中选择“配置 → 扫描二维码”。 / In ODK Collect: Configure with QR code.'),
      f, qr, el('div', {}, revoke, rout),
      el('h2', {}, bi('我的令牌', 'My tokens')), el('pre', { id: 'odk-tokens' }, list.tokens));
  },

  async 'county-view'(params, render) {
    const scopes = state.me.grants.filter((g) => g.scope >= 100000).map((g) => g.scope);
    const county = Number(params.get('county')) || scopes[0] || '';
    const input = el('input', { id: 'county', value: String(county), 'aria-label': '县代码 / county code' });
    const go = el('button', { type: 'button', onclick: () => { location.hash = `#/county-view?county=${input.value}`; } }, '查看 / Show');
    if (!county) return render(el('h1', {}, bi('反馈县级视图', 'County view')), input, go);
    const d = await api('GET', `/api/rounds/${encodeURIComponent(state.round)}/county-view?county=${county}`);
    render(el('h1', {}, bi(`反馈县级视图 ${d.county}`, `County view, release ${d.release}`)), el('div', {}, input, go),
      el('h2', {}, bi('县级指标', 'County figures')),
      ...table(d.figures, [['code', '代码', 'code'], ['name', '县', 'county'], ['selected', '抽中', 'selected'], ['reached', '完成', 'reached']]),
      el('h2', {}, bi('确认的问题与整改', 'Confirmed problems and rectification')),
      ...table(d.confirmed_problems, [['id', '编号', 'no.', (p) => el('a', { href: `#/problem?id=${p.id}` }, String(p.id))], ['state', '状态', 'state'],
        ['deadline', '整改期限', 'deadline'], ['measures', '整改措施', 'measures'], ['result', '结果', 'result']]));
  },

  // the county's self-evaluation report (seed 002 六(二)): the server records the day it arrives
  async 'self-evaluation'(params, render) {
    const scopes = state.me.grants.filter((g) => g.scope >= 100000).map((g) => g.scope);
    const out = el('div', { class: 'out' });
    const county = el('input', { id: 'selfeval-county', value: String(scopes[0] || ''), inputmode: 'numeric' });
    const file = el('input', { id: 'selfeval-file', type: 'file' });
    const f = el('form', { class: 'box', id: 'selfeval' },
      el('label', { for: 'selfeval-county' }, '县代码 / county'), county,
      el('label', { for: 'selfeval-file' }, '自评报告文件 / the report file'), file,
      el('button', { type: 'submit' }, '上传 / Upload'), out);
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const one = file.files[0];
      if (!one) return message(out, false, '请选择文件', 'choose a file');
      try {
        const r = await api('POST', `/api/rounds/${encodeURIComponent(state.round)}/self-evaluation?${new URLSearchParams({ county: county.value.trim(), name: one.name })}`, undefined, one);
        message(out, true, `已收到 ${r.name}（${r.county}），到达 ${r.arrived}${r.days_late ? `，逾期 ${r.days_late} 天` : '，按时'}`, `received ${r.arrived}${r.days_late ? `, ${r.days_late} days late` : ', in time'}; SHA-256 ${r.sha256}`);
      } catch (err) {
        const e = err.body?.error || {};
        message(out, false, e.message_zh || '未上传', e.message_en || err.message);
      }
    });
    render(el('h1', {}, bi('自评报告', 'Self-evaluation report')),
      el('p', {}, '对照考核内容形成自评报告，于12月10日前报送；到达日期由系统记录。 / Due by December 10; the server records the day it arrives.'), f);
  },

  // The office's round set-up: each button is one library call on the server, its answer the
  // text the CLI prints (pinggu plan check --db, seed commit, sample, sample verify, teams draw).
  async setup(params, render) {
    const { plans } = await api('GET', `/api/setup/plans?round=${encodeURIComponent(state.round)}`);
    const plan = el('select', { id: 'plan', 'aria-label': '考核方案 / plan' }, plans.map((p) => el('option', { value: p }, p)));
    const name = el('input', { id: 'new-round', 'aria-label': '新轮次名 / new round name', placeholder: '2020-spot' });
    const seed = el('input', { id: 'seed', 'aria-label': '种子 / seed', autocomplete: 'off' });
    const commit = el('input', { id: 'verify-commitment', 'aria-label': '已公布的种子承诺值 / the published commitment', size: 66 });
    const vround = el('input', { id: 'verify-round', 'aria-label': '复核轮次 / round to verify', value: state.round });
    const tseed = el('input', { id: 'teams-seed', 'aria-label': '组队抽签种子 / lottery seed', autocomplete: 'off' });
    const result = (id) => el('pre', { id, class: 'result' });
    const outs = { check: result('plan-check-result'), commit: result('commitment-result'), draw: result('draw-result'), verify: result('verify-result'), teams: result('teams-result') };
    const msgs = {};
    // one step: POST body to path, the CLI's text into its box; a refusal's reasons beside it
    const step = (key, label, path, body, then) => {
      msgs[key] = el('div');
      return el('button', { type: 'button', id: `do-${key}`, onclick: async () => {
        outs[key].textContent = '';
        try {
          const r = await api('POST', path(), body());
          outs[key].textContent = r.text;
          message(msgs[key], true, `${label[0]}：完成`, `${label[1]}: done`);
          if (then) await then(r);
        } catch (err) {
          const e = err.body?.error || {};
          if (err.body?.text) outs[key].textContent = err.body.text;
          message(msgs[key], false, e.message_zh || '未完成', e.message_en || err.message);
        }
      } }, `${label[0]} / ${label[1]}`);
    };
    const target = () => name.value.trim();
    const b = {
      check: step('check', ['方案检查', 'Plan check'], () => '/api/setup/plan-check', () => ({ round: target() || state.round, plan: plan.value })),
      commit: step('commit', ['生成种子承诺', 'Seed commitment'], () => '/api/setup/commitment', () => ({ round: target() || state.round, seed: seed.value }),
        (r) => { commit.value = r.commitment; }),
      draw: step('draw', ['抽样', 'Draw'], () => '/api/setup/draw', () => ({ round: target(), plan: plan.value, seed: seed.value }), async (r) => {
        vround.value = r.round;
        const { rounds } = await api('GET', '/api/rounds'); // the new round joins the header's list
        header(rounds);
      }),
      verify: step('verify', ['复核抽样', 'Verify'], () => `/api/rounds/${encodeURIComponent(vround.value.trim())}/verify`, () => (commit.value.trim() ? { commitment: commit.value.trim() } : {})),
      teams: step('teams', ['组队抽签', 'Team lottery'], () => `/api/rounds/${encodeURIComponent(vround.value.trim())}/teams`, () => ({ seed: tseed.value })),
    };
    const box = (title, ...kids) => el('section', { class: 'box setup-step' }, el('h2', {}, ...title), ...kids);
    render(el('h1', {}, bi('轮次设置', 'Round set-up')),
      el('p', {}, '每一步都由服务端调用与命令行相同的函数，结果按命令行的格式显示。 / Each step is the library call the CLI makes; its result is shown as the CLI prints it.'),
      box(bi('1. 方案检查', 'Plan check'), el('label', {}, '考核方案 / plan: ', plan), el('label', {}, '新轮次名 / new round: ', name), b.check, msgs.check, outs.check),
      box(bi('2. 种子承诺（抽样前公布）', 'Seed commitment (publish before the draw)'),
        el('p', {}, '种子在实地调查结束前保密；先公布其 SHA-256 承诺值。 / Keep the seed sealed until fieldwork ends; publish its SHA-256 commitment now.'),
        el('label', {}, '种子 / seed: ', seed), b.commit, msgs.commit, outs.commit),
      box(bi('3. 抽样', 'Draw'), b.draw, msgs.draw, outs.draw),
      box(bi('4. 复核抽样', 'Verify'), el('label', {}, '轮次 / round: ', vround), el('label', {}, '已公布的承诺值 / published commitment: ', commit), b.verify, msgs.verify, outs.verify),
      box(bi('5. 组队抽签', 'Team lottery'), el('label', {}, '抽签种子 / seed: ', tseed), b.teams, msgs.teams, outs.teams));
  },

  // the team reports' sign-off (seed 002 六(五): 经组长和副组长签字后提交 — the county, city and
  // paired-assistance reports): the private key never leaves the signer's machine — download
  // the report, sign it there with
  // `pinggu report sign --detached`, paste the public key and signature; the server checks them
  // against its own copy of the report (the library's rules) and records them
  async signoff(params, render) {
    const d = await api('GET', `/api/rounds/${encodeURIComponent(state.round)}/signoff`);
    const mine = d.files.filter((f) => f.can_sign);
    const roleOf = (f, r) => f.signatures.filter((x) => x.role === r).map((x) => `${x.signer}${x.valid ? ' ✓' : ` ✗ ${x.problem}`}`).join('；') || '未签 unsigned';
    const out = el('div', { class: 'out' });
    const f = el('form', { class: 'box', id: 'signoff-form' },
      el('h2', {}, bi('录入签名', 'Record a signature')),
      el('label', { for: 'so-file' }, '报告 / report'), el('select', { id: 'so-file' }, mine.map((x) => el('option', { value: x.file }, x.file))),
      el('label', { for: 'so-role' }, '签字身份 / role'), el('select', { id: 'so-role' }, [['组长', '组长 leader'], ['副组长', '副组长 deputy']].map(([v, t]) => el('option', { value: v }, t))),
      el('label', { for: 'so-signer' }, '签字人（评估人员编号或姓名） / signer (evaluator id or name)'), el('input', { id: 'so-signer', required: true, autocomplete: 'off' }),
      el('label', { for: 'so-pk' }, '公钥 public_key（64 位十六进制） / public key'), el('input', { id: 'so-pk', required: true, autocomplete: 'off', size: 66 }),
      el('label', { for: 'so-sig' }, '签名 signature（128 位十六进制） / signature'), el('textarea', { id: 'so-sig', rows: 2, required: true }),
      el('button', { type: 'submit' }, '核验并录入 / Verify and record'), out);
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        const r = await api('POST', `/api/rounds/${encodeURIComponent(state.round)}/signoff`, { file: $('#so-file').value, role: $('#so-role').value,
          signer: $('#so-signer').value.trim(), public_key: $('#so-pk').value.trim(), signature: $('#so-sig').value.trim() });
        await route(); // the list again, with the new signature
        const fresh = document.querySelector('#signoff-form .out');
        if (fresh) message(fresh, true, `已录入：${r.file} ${r.role} ${r.signer}`, `recorded, SHA-256 ${r.sha256.slice(0, 16)}…, by ${r.by}`);
      } catch (err) {
        const e = err.body?.error || {};
        message(out, false, e.message_zh || '未录入', e.message_en || err.message);
      }
    });
    render(el('h1', {}, bi('报告签字', 'Report sign-off')),
      el('p', {}, '考核组的县级、市级与县域结对帮扶报告均由组长和副组长签字。私钥只在签字人自己的电脑上：下载报告，在本机运行下列命令签字，再把输出的公钥与签名粘贴到这里；服务端用同一份报告核验后记录（下载后报告若有变化，签名不予记录，须重新下载签字）。 / The team\u2019s county, city and paired-assistance reports are each signed by the leader and the deputy. The private key stays on the signer\u2019s machine: download the report, sign it there, paste the public key and signature here; the server checks them against its own copy of the report (a report changed since the download is refused: download and sign again).'),
      el('pre', { id: 'signoff-command' }, `pinggu report sign --detached --round ${state.round} --as 组长 --signer 编号 ${state.round}-FILE.html`),
      ...table(d.files, [['file', '报告', 'report', (x) => el('a', { href: `/api/rounds/${encodeURIComponent(state.round)}/reports/${encodeURIComponent(x.file)}`, download: '', 'data-report': x.file }, x.file)],
        ['level', '级别', 'level', (x) => ({ county: '县级 county', city: '市级 city', paired: '结对帮扶 paired' })[x.level] || x.level],
        ['unit', '代码', 'code', (x) => String(x.city || x.county)], ['sha256', 'SHA-256', 'SHA-256', (x) => `${x.sha256.slice(0, 16)}…`],
        ['leader', '组长', 'leader', (x) => roleOf(x, 'leader')], ['deputy', '副组长', 'deputy', (x) => roleOf(x, 'deputy')],
        ['complete', '签字齐全', 'complete', (x) => (x.complete ? '是 yes' : '否 no')]]),
      mine.length ? f : el('p', {}, '您没有可签字的报告。 / No report is yours to sign off.'),
      el('h2', {}, bi('签字人', 'Signers')), el('pre', { id: 'signers' }, d.signers));
  },

  // the county synthesis (综合研判, seed 000: 第三方评估与暗访、部门平时掌握情况相结合,综合研判提出最终的
  // 贫困县抽查结果): the library's text as `pinggu synthesis show` prints it, and the office's
  // form for the judgment and its reasons; the library decides what a judgment needs and the
  // server's matrix who may record one (a refusal is shown as the server gives it)
  async synthesis(params, render) {
    const R = encodeURIComponent(state.round);
    const county = params.get('county') || '';
    // the counties the user may follow, for the picker (any code may be typed: a covert-only
    // county has no fieldwork progress)
    const counties = await api('GET', `/api/rounds/${R}/progress/table`).then((d) => d.counties.map((x) => String(x.county)), () => []);
    const pick = el('form', { class: 'box', id: 'synthesis-pick' },
      el('label', { for: 'sy-county' }, '县代码 / county'),
      el('input', { id: 'sy-county', list: 'sy-counties', value: county, required: true, autocomplete: 'off', inputmode: 'numeric' }),
      el('datalist', { id: 'sy-counties' }, [...new Set(counties)].map((c) => el('option', { value: c }))),
      el('button', { type: 'submit' }, '查看 / Show'));
    pick.addEventListener('submit', (ev) => {
      ev.preventDefault();
      location.hash = `#/synthesis?county=${encodeURIComponent($('#sy-county').value.trim())}`;
    });
    const head = [el('h1', {}, bi('综合研判', 'County synthesis')),
      el('p', {}, '第三方评估、暗访与部门平时掌握情况相结合，由省扶贫办综合研判提出最终的抽查结果，报扶贫领导小组审定。每次录入为新版本，历次版本保留并记入变更日志。 / The third-party assessment, covert visits and the departments’ information side by side; the office records the final judgment with its reasons for the leading group. Each record is a new version; earlier ones are kept and change-logged.'),
      pick];
    if (!county) { render(...head); return; }
    const d = await api('GET', `/api/rounds/${R}/synthesis?county=${encodeURIComponent(county)}`);
    const out = el('div', { class: 'out' });
    const f = el('form', { class: 'box', id: 'synthesis-form' },
      el('h2', {}, bi('录入研判结论', 'Record the judgment')),
      el('label', { for: 'sy-judgment' }, '研判结论（如 符合退出条件 / 不符合退出条件） / judgment'),
      el('input', { id: 'sy-judgment', autocomplete: 'off', size: 40 }),
      el('label', { for: 'sy-reason' }, '理由 / reasons'), el('textarea', { id: 'sy-reason', rows: 3 }),
      el('button', { type: 'submit' }, '录入 / Record'), out);
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        const r = await api('POST', `/api/rounds/${R}/synthesis`, { county: String(d.county), judgment: $('#sy-judgment').value.trim(), reason: $('#sy-reason').value.trim() });
        await route(); // the text again, with the new version
        const fresh = document.querySelector('#synthesis-form .out');
        if (fresh) message(fresh, true, `已录入：县 ${r.county} 第 ${r.version} 版`, `recorded as version ${r.version} by ${r.by}`);
      } catch (err) {
        const e = err.body?.error || {};
        message(out, false, e.message_zh || '未录入', e.message_en || err.message);
      }
    });
    render(...head, el('h2', {}, bi(`县 ${d.county}`, `county ${d.county}`)), el('pre', { id: 'synthesis-text' }, d.text),
      d.can_record ? f : null);
  },

  async releases(params, render) {
    const r = await api('GET', `/api/rounds/${encodeURIComponent(state.round)}/releases`);
    const out = el('div');
    const btn = el('button', { id: 'release', type: 'button' }, '发布本轮 / Release this round');
    btn.addEventListener('click', async () => {
      if (!confirm('发布后不可撤销，确定发布？ / A release cannot be undone. Release?')) return;
      try {
        const x = await api('POST', `/api/rounds/${encodeURIComponent(state.round)}/releases`);
        message(out, true, `已发布第 ${x.number} 次`, `release ${x.number}, SHA-256 ${x.sha256}`);
        out.append(el('pre', { id: 'release-result' }, `round ${x.round}\nrelease ${x.number}\nsha256 ${x.sha256}`));
      } catch (err) {
        const e = err.body?.error || {};
        message(out, false, e.message_zh || '未发布', e.message_en || err.message);
      }
    });
    render(el('h1', {}, bi('发布', 'Releases')),
      el('p', {}, `本轮已发布 ${r.releases ?? 0} 次（${r.state === 'released' ? '已发布' : '未发布'}）。 / Releases so far: ${r.releases ?? 0}.`),
      el('p', {}, '发布冻结本轮县级指标与已确认问题的快照，不可撤销。 / A release freezes a snapshot of the county figures and confirmed problems; there is no un-release.'),
      state.nav.pages.some((p) => p.id === 'releases') ? btn : null, out); // the server's nav: who may release
  },

  async users(params, render) {
    const d = await api('GET', '/api/office/users');
    const roles = [['office', '省扶贫办'], ['leader', '组长'], ['evaluator', '评估人员'], ['city', '市联络员'], ['county', '县联络员'], ['supervisor', '纪律监督'], ['observer', '观察员']];
    const roleSel = (id) => el('select', { id }, roles.map(([v, zh]) => el('option', { value: v }, `${zh} ${v}`)));
    const num = (v) => (v.trim() ? Number(v.trim()) : undefined);
    const submit = (form, out, path, body, ok) => form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        const r = await api('POST', path(), body());
        await route(); // the list again, then the answer in the same form of the new page
        const fresh = document.querySelector(`#${form.id} .out`);
        if (fresh) message(fresh, true, ok[0](r), ok[1](r));
      } catch (err) {
        const e = err.body?.error || {};
        message(out, false, e.message_zh || '未完成', e.message_en || err.message);
      }
    });
    const o1 = el('div', { class: 'out' }), o2 = el('div', { class: 'out' }), o3 = el('div', { class: 'out' });
    const add = el('form', { class: 'box', id: 'user-add' }, el('h2', {}, bi('新增用户', 'Add a user')),
      el('label', { for: 'nu-name' }, '用户名 / user name'), el('input', { id: 'nu-name', required: true }),
      el('label', { for: 'nu-pw' }, '初始密码（首次登录须修改） / initial password (changed at the first sign-in)'), el('input', { id: 'nu-pw', type: 'password', autocomplete: 'new-password', required: true }),
      el('label', { for: 'nu-role' }, '角色 / role'), roleSel('nu-role'),
      el('label', { for: 'nu-round' }, '轮次（空=全部） / round (empty: every round)'), el('input', { id: 'nu-round', value: state.round }),
      el('label', { for: 'nu-scope' }, '单位代码（市 4 位、县 6 位，空=全轮） / unit (city 4 digits, county 6)'), el('input', { id: 'nu-scope', inputmode: 'numeric' }),
      el('label', { for: 'nu-home' }, '籍贯单位（回避） / home city or county (home-city rule)'), el('input', { id: 'nu-home', inputmode: 'numeric' }),
      el('button', { type: 'submit' }, '新增 / Add'), o1);
    submit(add, o1, () => '/api/office/users', () => ({ name: $('#nu-name').value, password: $('#nu-pw').value, role: $('#nu-role').value,
      round: $('#nu-round').value || undefined, scope: num($('#nu-scope').value), home: num($('#nu-home').value) }),
    [(r) => `已新增用户 ${r.user}（${r.role}）`, (r) => `user ${r.user} added; must change the password`]);
    const grant = el('form', { class: 'box', id: 'user-grant' }, el('h2', {}, bi('授权', 'Add a grant')),
      el('label', { for: 'g-name' }, '用户名 / user name'), el('input', { id: 'g-name', required: true }),
      el('label', { for: 'g-role' }, '角色 / role'), roleSel('g-role'),
      el('label', { for: 'g-round' }, '轮次 / round'), el('input', { id: 'g-round', value: state.round }),
      el('label', { for: 'g-scope' }, '单位代码 / unit'), el('input', { id: 'g-scope', inputmode: 'numeric' }),
      el('button', { type: 'submit' }, '授权 / Grant'), o2);
    submit(grant, o2, () => `/api/office/users/${encodeURIComponent($('#g-name').value)}/grants`,
      () => ({ role: $('#g-role').value, round: $('#g-round').value || undefined, scope: num($('#g-scope').value) }),
      [(r) => `已授权 ${r.user}：${r.role}`, (r) => `${r.user} granted ${r.role}`]);
    const dis = el('form', { class: 'box', id: 'user-disable' }, el('h2', {}, bi('停用账户', 'Disable an account')),
      el('label', { for: 'd-name' }, '用户名 / user name'), el('input', { id: 'd-name', required: true }),
      el('button', { type: 'submit' }, '停用 / Disable'), o3);
    submit(dis, o3, () => `/api/office/users/${encodeURIComponent($('#d-name').value)}/disable`, () => ({}),
      [(r) => `已停用 ${r.user}（其会话均已结束）`, (r) => `${r.user} disabled; every session ended`]);
    const tokens = await api('GET', '/api/office/tokens');
    const o4 = el('div', { class: 'out' });
    const rev = el('form', { class: 'box', id: 'token-revoke' }, el('h2', {}, bi('作废令牌', 'Revoke field-app tokens')),
      el('label', { for: 't-name' }, '用户名 / user name'), el('input', { id: 't-name', required: true }),
      el('label', { for: 't-round' }, '轮次（空=全部） / round (empty: every round)'), el('input', { id: 't-round', value: state.round }),
      el('button', { type: 'submit' }, '作废 / Revoke'), o4);
    submit(rev, o4, () => `/api/office/users/${encodeURIComponent($('#t-name').value)}/tokens/revoke`, () => ({ round: $('#t-round').value || undefined }),
      [(r) => `已作废 ${r.user} 的 ${r.revoked} 个令牌`, (r) => `${r.revoked} token(s) of ${r.user} revoked`]);
    render(el('h1', {}, bi('用户与权限', 'Users and grants')), el('p', {}, '同 pinggu user list。 / As pinggu user list prints it.'),
      el('pre', { id: 'users' }, d.users), add, grant, dis,
      el('h2', {}, bi('外业应用令牌', 'Field-app tokens')), el('p', {}, '同 pinggu user token list（不含密钥）。 / As pinggu user token list prints it (no secrets).'),
      el('pre', { id: 'tokens' }, tokens.tokens), rev);
  },

  // interference and discipline records (DESIGN §8.2): read only as the matrix and the
  // library allow (office, supervisor); recorded by the team with its evidence
  async interference(params, render) {
    const d = await api('GET', `/api/rounds/${encodeURIComponent(state.round)}/interference`);
    render(el('h1', {}, bi('干扰记录', 'Interference and discipline records')),
      el('p', {}, '同 pinggu interference list。 / As pinggu interference list prints it.'),
      el('pre', { id: 'interference-list' }, d.records));
  },

  async 'interference-record'(params, render) {
    const scopes = state.me.grants.filter((g) => g.scope >= 100000).map((g) => g.scope);
    const kinds = { locality: [['coaching', '教唆统一口径 coaching'], ['following', '跟随陪同 following'], ['asking_progress', '打探进度 asking progress'], ['other', '其他 other']],
      team: [['gifts', '收受礼品 gifts'], ['hospitality', '接受宴请 hospitality'], ['leak', '泄露信息 leak'], ['extra_forms', '额外表格 extra forms'], ['other', '其他 other']] };
    const kind = el('select', { id: 'i-kind' });
    const side = el('select', { id: 'i-side' }, [['locality', '地方干扰 the locality'], ['team', '考核组违纪 the team']].map(([v, t]) => el('option', { value: v }, t)));
    const fill = () => kind.replaceChildren(...kinds[side.value].map(([v, t]) => el('option', { value: v }, t)));
    side.addEventListener('change', fill);
    fill();
    const out = el('div', { class: 'out' });
    const f = el('form', { class: 'box', id: 'interference-form' },
      el('label', { for: 'i-county' }, '县代码 / county'), el('input', { id: 'i-county', value: String(scopes[0] || ''), inputmode: 'numeric' }),
      el('label', { for: 'i-side' }, '类别 / side'), side,
      el('label', { for: 'i-kind' }, '情形 / kind'), kind,
      el('label', { for: 'i-note' }, '经过 / what happened'), el('textarea', { id: 'i-note', rows: 3 }),
      el('label', { for: 'i-on' }, '日期 / date (YYYY-MM-DD)'), el('input', { id: 'i-on' }),
      el('label', { for: 'i-file' }, '证据（地方干扰须留存证据） / evidence (required for the locality)'), el('input', { id: 'i-file', type: 'file' }),
      el('button', { type: 'submit' }, '记录 / Record'), out);
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const file = $('#i-file').files[0];
      const q = new URLSearchParams({ county: $('#i-county').value.trim(), side: side.value, kind: kind.value, note: $('#i-note').value, on: $('#i-on').value, name: file ? file.name : '' });
      try {
        const r = await api('POST', `/api/rounds/${encodeURIComponent(state.round)}/interference?${q}`, undefined, file || new Blob([]));
        message(out, true, `已记录第 ${r.id} 条`, `record ${r.id} by ${r.by} as ${r.as}`);
      } catch (err) {
        const e = err.body?.error || {};
        message(out, false, e.message_zh || '未记录', e.message_en || err.message);
      }
    });
    render(el('h1', {}, bi('记录干扰', 'Record interference')),
      el('p', {}, '记录只由省扶贫办和纪律监督查看。 / Only the office and the supervisor read the records.'), f);
  },

  async audit(params, render) {
    const d = await api('GET', '/api/office/audit');
    const v = d.verify;
    render(el('h1', {}, bi('变更日志', 'Audit log')),
      el('p', { id: 'verify', class: v.ok ? 'ok' : 'bad' }, v.ok
        ? `audit verify: 完整 / intact — ${v.entries} entries, ${v.rows} rows`
        : `audit verify: 发现 ${v.problems} 处问题 / ${v.problems} problems — ${v.first}`),
      el('pre', { id: 'audit-log' }, d.log));
  },

  async security(params, render) {
    const d = await api('GET', '/api/office/security');
    render(el('h1', {}, bi('安全日志', 'Security log')), el('p', {}, '被拒绝的访问（同 pinggu user security）。 / Refused attempts, as pinggu user security prints them.'), el('pre', { id: 'security-log' }, d.log));
  },
};

Object.assign(views, monitorViews({ api, el, bi, table, state }));

async function route() {
  if (!state.me || !state.nav) return;
  const [name, query] = location.hash.replace(/^#\/?/, '').split('?');
  const params = new URLSearchParams(query || '');
  for (const a of $('#nav').querySelectorAll('a')) a.className = a.getAttribute('href') === `#/${name}` ? 'current' : '';
  const view = views[name || 'home'];
  const main = $('#main');
  const mine = ++state.seq; // a view finished after a newer one started is not shown
  const hash = location.hash;
  const render = (...nodes) => { if (mine === state.seq) show(...nodes); };
  delete main.dataset.shown;
  if (!view) {
    refusal(new Refused(404, { error: { message_zh: '没有此页面', message_en: `no page '${name}'` } }));
  } else {
    try {
      await view(params, render);
    } catch (err) {
      if (mine === state.seq) refusal(err);
    }
  }
  if (mine !== state.seq) return;
  main.focus();
  main.dataset.shown = hash; // the view is complete (tests wait for it)
}

window.addEventListener('hashchange', route);
start();
