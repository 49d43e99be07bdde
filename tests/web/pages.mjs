// pages.mjs — the pages of every role in a real browser (issue 13): playwright-core drives
// Debian's chromium against a running `pinggu serve` (t_pages.sh starts it on the store of
// pages-store.sh). Per role: sign in, change the first password, do the main task, assert on
// the page; the store is checked afterwards by t_pages.sh with the CLI. The home-city and
// before-release test: a county liaison and a leader who is a cadre of the county open every
// API URL and every page the office's session used, and get only refusals (or lists with
// nothing in them), each refusal counted here and checked in the security log by t_pages.sh.
// Beside the main tasks: the office's round set-up, progress per county and team, the day's
// problem summary and token revocation; the county's evidence uploads and self-evaluation
// report; the evaluator's ODK Collect QR code; the leader's interference record; the office's
// county synthesis (综合研判) and its judgment, read by the leader.
//
//   node pages.mjs PORT COUNTY P1 P2 OUT.json [SHOTS_DIR]
//
// Exit 1 on a failed assertion or a console error in a main task.
import { execFileSync } from 'node:child_process';
import { chromium } from '../../web/node_modules/playwright-core/index.mjs';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import zlib from 'node:zlib';

const [port, county, p1, p2, outPath, shots] = process.argv.slice(2);
const BASE = `http://127.0.0.1:${port}`;
const PW = process.env.PAGES_PW ?? 'Pages-Pass-2020';
const NEW = 'Changed-Pass-2021';
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
const out = { refusals: {}, checked: [] };
let status = 1;
const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex');
// evidence files as a phone would send them: a JPEG's first bytes, then distinct content
const jpeg = (text) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from(text)]);

function assert(cond, what) {
  if (!cond) throw new Error(`assertion failed: ${what}`);
  out.checked.push(what);
}

// A signed-in page for user; errors collects console errors and failed responses.
async function signIn(user, viewport = { width: 1280, height: 860 }, again = false) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('dialog', (d) => d.accept());
  await page.goto(`${BASE}/`);
  await page.locator('#user').fill(user);
  await page.locator('#password').fill(again ? NEW : PW);
  await page.getByRole('button', { name: '登录 / Sign in' }).click();
  if (!again) {
    // a new account must change its password first (docs/server.md)
    await page.locator('#pwchange').waitFor();
    await page.locator('#old').fill(PW);
    await page.locator('#new').fill(NEW);
    await page.getByRole('button', { name: '修改密码 / Change password' }).click();
  }
  await page.locator('#who').waitFor();
  const who = await page.locator('#who').textContent();
  assert(who.includes(user), `${user}: the header names the user`);
  assert((await page.locator('#round').inputValue()) === 'n', `${user}: the header shows the round`);
  return { context, page, errors };
}

const navIds = async (page) => page.locator('#nav a').evaluateAll((as) => as.map((a) => a.getAttribute('href').slice(2)));

async function openPage(page, id) {
  // the same hash again raises no hashchange: reload the page (the tab keeps its session)
  if ((await page.evaluate(() => location.hash)) === `#/${id}`) await page.reload();
  else await page.goto(`${BASE}/#/${id}`);
  await page.waitForFunction((h) => document.querySelector('#main')?.dataset.shown === h, `#/${id}`);
}

async function shot(page, name) {
  if (shots) await page.screenshot({ path: `${shots}/${name}.png`, fullPage: false });
}

// Every table's downloads: server-made, attachments, of the right type, with the rows shown.
async function checkDownloads(page, ctx, label) {
  const links = await page.locator('[data-download]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert(links.length >= 2, `${label}: the table offers downloads`);
  for (const href of links) {
    const r = await ctx.request.get(`${BASE}${href}`);
    const cd = r.headers()['content-disposition'] || '';
    assert(r.status() === 200 && cd.startsWith('attachment'), `${label}: ${href} downloads (${r.status()})`);
    const body = await r.body();
    if (href.endsWith('csv')) {
      const lines = body.toString('utf8').trim().split('\r\n').length - 1;
      const rows = await page.locator('main table tbody tr').count();
      assert(lines === rows, `${label}: the CSV has the ${rows} rows the page shows (${lines})`);
    } else {
      assert(body.subarray(0, 2).toString() === 'PK', `${label}: the XLSX is a zip (an Office file)`);
    }
  }
}

// Every table's downloads on a page of several tables: each CSV has the rows of its table.
async function checkDownloadsOf(page, ctx, label) {
  const tables = await page.locator('main .table-wrap').count();
  const links = await page.locator('[data-download]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert(links.length === 2 * tables, `${label}: each of the ${tables} tables offers downloads`);
  for (const [i, href] of links.entries()) {
    const r = await ctx.request.get(`${BASE}${href}`);
    const cd = r.headers()['content-disposition'] || '';
    assert(r.status() === 200 && cd.startsWith('attachment'), `${label}: ${href} downloads (${r.status()})`);
    const body = await r.body();
    if (href.endsWith('csv')) {
      const lines = body.toString('utf8').trim().split('\r\n').length - 1;
      const rows = await page.locator('main .table-wrap').nth(Math.floor(i / 2)).locator('tbody tr').count();
      assert(lines === rows, `${label}: the CSV has the ${rows} rows the page shows (${lines})`);
    } else {
      assert(body.subarray(0, 2).toString() === 'PK', `${label}: the XLSX is a zip (an Office file)`);
    }
  }
}

try {
  // ---------------------------------------------------------------- the office
  const office = await signIn('wang');
  const crawled = new Set();
  office.page.on('request', (r) => { const u = new URL(r.url()); if (u.pathname.startsWith('/api/') && r.method() === 'GET') crawled.add(u.pathname + u.search); });
  const ids = await navIds(office.page);
  for (const id of ['progress', 'figures', 'problems', 'assignments', 'review', 'releases', 'users'])
    assert(ids.includes(id), `office: the navigation offers ${id}`);
  assert(!ids.includes('audit'), 'office: the audit log is the supervisor\'s (matrix), not offered');
  await openPage(office.page, 'progress');
  const progCounties = await office.page.locator('main table').first().locator('tbody tr').count();
  const progApi = await (await office.context.request.get(`${BASE}/api/rounds/n/progress/table`)).json();
  out.progress = progApi;
  assert(progCounties >= 1 && progCounties === progApi.counties.length && progApi.teams.length > 0, `office: progress per county (${progCounties}) and per team (${progApi.teams.length}) from the library`);
  await checkDownloadsOf(office.page, office.context, 'office progress');
  // problems by state and the day's summaries per county and team (problem_counts): the page's
  // third table has the API's rows, and each row's states add up to its problems
  const probApi = await (await office.context.request.get(`${BASE}/api/rounds/n/progress/problems`)).json();
  const probRows = await office.page.locator('main .table-wrap').nth(2).locator('tbody tr').count();
  assert(probRows > 0 && probRows === probApi.rows.length, `office: problems by state per county and team (${probRows} rows)`);
  assert(probApi.rows.every((r) => probApi.states.reduce((n, x) => n + r[x.state], 0) === r.problems), 'office: each row\'s problems by state add up to its problems');
  await shot(office.page, 'office-progress');
  assert((await office.page.locator('#summary-rule').textContent()).includes(probApi.summary_due ? probApi.summary_due : '方案未规定汇总时刻'), 'office: the plan\'s summary rule is stated beside the late summaries');
  // the rectification ledger: p2, fed back by the office, is in it; downloadable
  await openPage(office.page, 'ledger');
  const ledgerIds = await office.page.locator('main table tbody tr td:first-child').allTextContents();
  assert(ledgerIds.includes(p2) && !ledgerIds.includes(p1), `office: the rectification ledger lists the fed-back problem ${p2}, not ${p1} (${ledgerIds.join(', ')})`);
  await checkDownloads(office.page, office.context, 'office ledger');
  // the reports' sign-off: the office sees where they stand, with no form (the leader's)
  await openPage(office.page, 'signoff');
  assert((await office.page.locator('main table tbody tr').count()) >= 1 && (await office.page.locator('#signoff-form').count()) === 0, 'office: the sign-off list, no signing form');
  await openPage(office.page, `ledger?county=${Number(county) + 1}`);
  assert((await office.page.locator('main table tbody tr').count()) === 0 || !(await office.page.locator('main table tbody tr td:first-child').allTextContents()).includes(p2), 'office: the ledger filtered by another county leaves out p2');
  await openPage(office.page, 'progress-text');
  assert((await office.page.locator('#progress').textContent()).includes('fieldwork of sample n'), 'office: progress shows field status as the CLI prints it');
  await openPage(office.page, 'figures');
  await office.page.locator('#chart canvas').first().waitFor();
  const figRows = await office.page.locator('main table tbody tr').count();
  const figApi = await (await office.context.request.get(`${BASE}/api/rounds/n/figures`)).json();
  assert(figRows > 0 && figRows === figApi.units.length, `office: the figures table has every county of the API (${figRows})`);
  assert((await office.page.locator('main table').textContent()).match(/clearly within|too close to call|clearly outside/), 'office: verdicts from the API are shown');
  await shot(office.page, 'office-figures');
  await checkDownloads(office.page, office.context, 'office figures');
  await openPage(office.page, 'problems');
  assert((await office.page.locator('main table tbody tr').count()) > 1, 'office: the problem list');
  await checkDownloads(office.page, office.context, 'office problems');
  await openPage(office.page, `problem?id=${p1}`);
  assert((await office.page.locator('#to option').count()) > 0, 'office: a problem shows its legal moves from the server');
  await openPage(office.page, 'assignments');
  await checkDownloads(office.page, office.context, 'office assignments');
  await openPage(office.page, 'review');
  assert((await office.page.locator('main table tbody tr').count()) > 100, 'office: the review queue lists the round\'s questionnaires');
  await openPage(office.page, 'users');
  assert((await office.page.locator('#users').textContent()).includes('cadre'), 'office: the user list');
  // a new evaluator for the other county: the password rules are the server's
  assert(office.errors.length === 0, `office: no console errors so far (${office.errors.join('; ')})`);
  await office.page.locator('#nu-name').fill('qian');
  await office.page.locator('#nu-pw').fill('short');
  await office.page.locator('#nu-role').selectOption('evaluator');
  await office.page.locator('#nu-scope').fill(String(Number(county) - 1));
  await office.page.locator('#user-add button[type=submit]').click();
  await office.page.locator('#user-add .msg.bad').waitFor();
  assert((await office.page.locator('#user-add .msg.bad').textContent()).includes('10 characters'), 'office: a weak password is refused by the server\'s rule');
  const expected = office.errors.splice(0); // the browser logs the refused request itself
  assert(expected.length === 1 && expected[0].includes('422'), `office: the refusal is the only failed request (${expected.join('; ')})`);
  await office.page.locator('#nu-pw').fill('Strong-Pass-2020');
  await office.page.locator('#user-add button[type=submit]').click();
  await office.page.locator('#user-add .msg.ok').waitFor();
  await office.page.waitForFunction(() => document.querySelector('#users')?.textContent.includes('qian'));
  await office.page.locator('#g-name').fill('qian');
  await office.page.locator('#g-role').selectOption('observer');
  await office.page.locator('#user-grant button[type=submit]').click();
  await office.page.locator('#user-grant .msg.ok').waitFor();
  await office.page.waitForFunction(() => document.querySelector('#main')?.dataset.shown === '#/users' && document.querySelector('#users')?.textContent.includes('observer'));
  await office.page.locator('#d-name').fill('guancha');
  await office.page.locator('#user-disable button[type=submit]').click();
  await office.page.locator('#user-disable .msg.ok').waitFor();
  await shot(office.page, 'office-users');
  // the round's set-up: plan check, the seed's commitment (published), draw, verify, team
  // lottery — each a button over the library call of the CLI, its answer the CLI's text
  await openPage(office.page, 'setup');
  await office.page.locator('#plan').selectOption('anhui-cross-2019.json');
  await office.page.locator('#new-round').fill('n2');
  await office.page.locator('#do-check').click();
  await office.page.waitForFunction(() => document.querySelector('#plan-check-result')?.textContent);
  const checked = await office.page.locator('#plan-check-result').textContent();
  assert(/^anhui-cross-2019\.json: valid plan .* SHA-256 [0-9a-f]{64}\n/.test(checked) && /(every quota fits the frame of this store|cannot fill every quota)/.test(checked),
    'office: plan check as the CLI prints it, held against this store\'s frame');
  const seed = 'pages-2020-04-20-骰子';
  await office.page.locator('#seed').fill(seed);
  await office.page.locator('#do-commit').click();
  await office.page.waitForFunction(() => document.querySelector('#commitment-result')?.textContent);
  const commitment = (await office.page.locator('#commitment-result').textContent()).trim();
  assert(commitment === sha256(Buffer.from(seed, 'utf8')), `office: the seed's commitment is SHA-256 of the seed (${commitment})`);
  await office.page.locator('#do-draw').click();
  await office.page.waitForFunction(() => document.querySelector('#draw-result')?.textContent);
  const drawn = await office.page.locator('#draw-result').textContent();
  assert(drawn.includes(`seed commitment ${commitment}`) && drawn.includes('sample n2'), 'office: the draw of round n2, printed as pinggu sample prints it');
  await office.page.waitForFunction(() => [...document.querySelectorAll('#round option')].some((o) => o.value === 'n2'));
  // verify against a wrong commitment first: the server's re-derivation says NOT identical
  await office.page.locator('#verify-commitment').fill('0'.repeat(64));
  await office.page.locator('#do-verify').click();
  await office.page.waitForFunction(() => document.querySelector('#verify-result')?.textContent);
  assert((await office.page.locator('#verify-result').textContent()).includes('sample n2: NOT identical'), 'office: verify refuses a commitment that is not the seed\'s');
  await office.page.locator('#verify-commitment').fill(commitment);
  await office.page.locator('#do-verify').click();
  await office.page.waitForFunction(() => document.querySelector('#verify-result')?.textContent.includes('identical —'));
  assert((await office.page.locator('#verify-result').textContent()).includes('the seed matches the published commitment'), 'office: verify re-derives n2 and matches the published commitment');
  await office.page.locator('#teams-seed').fill('teams-2020');
  await office.page.locator('#do-teams').click();
  await office.page.locator('section:has(#do-teams) .msg').waitFor();
  out.teams = await office.page.locator('#teams-result').textContent();
  assert(await office.page.locator('section:has(#do-teams) .msg.ok').count() === 1 && out.teams.includes('n2'), `office: the team lottery of n2, printed as pinggu teams show prints it (${out.teams.slice(0, 200)})`);
  out.commitment = commitment;
  out.seed = seed;
  await shot(office.page, 'office-setup');
  // the evening summary of each team's day (pinggu problems summary as printed)
  await openPage(office.page, 'problem-summary?date=2020-04-21');
  const summary = await office.page.locator('#problem-summary').textContent();
  assert(summary.startsWith("当日问题汇总 The day's problems — round n, 2020-04-21") && /\n- +2 +1 +0 +1 +1 +0\n/.test(summary), `office: the day's problem summary of 2020-04-21 (${summary})`);
  await openPage(office.page, 'interference');
  assert((await office.page.locator('#interference-list').count()) === 1, 'office: the interference records (read as the matrix allows)');
  // the county synthesis (综合研判, seed 000: "综合研判提出最终的贫困县抽查结果,报扶贫领导小组审定"):
  // the library's text as `pinggu synthesis show` prints it; the office records its judgment,
  // a judgment without its reasons refused by the library; the page shows the new version
  assert(ids.includes('synthesis'), 'office: the navigation offers the county synthesis');
  await openPage(office.page, 'synthesis');
  assert((await office.page.locator('#sy-counties option').evaluateAll((o) => o.map((x) => x.value))).includes(county), 'office: the county picker offers the county');
  await office.page.locator('#sy-county').fill(county);
  await office.page.locator('#synthesis-pick button[type=submit]').click();
  await office.page.waitForFunction((h) => document.querySelector('#main')?.dataset.shown === h, `#/synthesis?county=${county}`);
  const syApi = await (await office.context.request.get(`${BASE}/api/rounds/n/synthesis?county=${county}`)).json();
  assert((await office.page.locator('#synthesis-text').textContent()) === syApi.text && syApi.text.includes('综合研判'), 'office: the synthesis text as the library prints it');
  await office.page.locator('#sy-judgment').fill('符合退出条件');
  await office.page.locator('#synthesis-form button[type=submit]').click();
  await office.page.locator('#synthesis-form .msg.bad').waitFor();
  assert((await office.page.locator('#synthesis-form .msg.bad').textContent()).includes('states its reasons'), 'office: a judgment without reasons is refused by the library');
  const syRefused = office.errors.splice(0); // the browser logs the refused request itself
  assert(syRefused.length === 1 && syRefused[0].includes('422'), `office: the 422 is the only failed request (${syRefused.join('; ')})`);
  await office.page.locator('#sy-reason').fill('四项指标达标；暗访与比对疑点均已核实 / all four indicators met');
  await office.page.locator('#synthesis-form button[type=submit]').click();
  await office.page.locator('#synthesis-form .msg.ok').waitFor();
  assert((await office.page.locator('#synthesis-form .msg.ok').textContent()).includes('第 1 版'), 'office: the judgment recorded as version 1');
  assert((await office.page.locator('#synthesis-text').textContent()).includes('暗访与比对疑点均已核实'), 'office: the page shows the recorded judgment');
  await openPage(office.page, 'releases');
  assert(office.errors.length === 0, `office: no console errors (${office.errors.join('; ')})`);
  const officeHashes = ['progress', 'progress-text', 'ledger', 'signoff', 'figures', 'problems', `problem?id=${p1}`, 'assignments', 'review', 'users', 'setup', 'problem-summary?date=2020-04-21', 'interference', 'releases', `synthesis?county=${county}`];
  const officeUrls = [...crawled].filter((u) => !/^\/api\/(me|rounds|nav)(\?|$)/.test(u));
  out.crawled = officeUrls;

  // ---------------------------------------------------------------- before release: crawl
  // a liaison of the county and a leader who is its cadre get only refusals
  for (const who of ['xian', 'cadre']) {
    const s = await signIn(who);
    let refused = 0;
    for (const u of officeUrls) {
      const r = await s.context.request.get(`${BASE}${u}`);
      if (r.status() === 403) { refused++; continue; }
      // a list filtered item by item may answer 200, but with nothing in it
      const j = await r.json().catch(() => ({}));
      const items = j.problems ?? j.units ?? j.assignments ?? j.questionnaires ?? j.rows ?? j.files ?? j.items ?? (j.counties && j.teams ? [...j.counties, ...j.teams] : undefined);
      // the county may see only the problem fed back to it (p2), the cadre nothing of its city
      const allowed = who === 'xian' && j.problems ? items.every((p) => String(p.id) === p2) : items?.length === 0;
      assert(r.status() === 200 && Array.isArray(items) && allowed, `${who}: ${u} refused or empty (${r.status()})`);
    }
    for (const h of officeHashes) {
      await openPage(s.page, h);
      const refusal = await s.page.locator('.refusal').count();
      const tables = await s.page.locator('main table').count();
      const rows = await s.page.locator('main table tbody tr').count();
      const onlyP2 = who === 'xian' && h === 'problems' && rows === 1 && (await s.page.locator('main table tbody td').first().textContent()) === p2;
      assert(refusal === 1 || (tables > 0 && (rows === 0 || onlyP2)), `${who}: page #/${h} is a refusal or an empty list`);
      if (refusal) {
        refused++;
        assert((await s.page.locator('.refusal h1').textContent()).includes('无权访问'), `${who}: the refusal page is in Chinese first`);
      }
    }
    out.refusals[who] = refused;
    if (who === 'xian') await shot(s.page, 'refusal');
    await s.context.close();
  }

  // ---------------------------------------------------------------- the team leader
  const leader = await signIn('li');
  // its own county's progress, per team (the whole round's text is not the leader's)
  await openPage(leader.page, 'progress');
  const leaderCounties = await leader.page.locator('main table').first().locator('tbody td:first-child').allTextContents();
  assert(leaderCounties.length === 1 && leaderCounties[0] === county, `leader: the progress of its own county only (${leaderCounties.join(', ')})`);
  await openPage(leader.page, 'problems');
  await checkDownloads(leader.page, leader.context, 'leader problems');
  for (const to of ['summarised', 'sent_for_verification']) {
    await openPage(leader.page, `problem?id=${p1}`);
    // keyboard only: focus the move's controls with Tab, choose with the keyboard, submit with Enter
    await leader.page.locator('#to').focus();
    await leader.page.locator('#to').selectOption(to);
    await leader.page.locator('#note').focus();
    await leader.page.keyboard.type('组长办理 / by the leader');
    await leader.page.locator('#on').focus();
    await leader.page.keyboard.type('2020-04-22');
    await leader.page.keyboard.press('Enter');
    await leader.page.locator('.msg.ok').waitFor();
    assert((await leader.page.locator('.msg.ok').textContent()).includes(to), `leader: problem ${p1} moved to ${to}`);
  }
  await openPage(leader.page, `problem?id=${p1}`);
  await shot(leader.page, 'leader-problem');
  // the review queue, keyboard only: Tab to the first questionnaire, reject it with a comment
  // on a question; then approve the next one
  await openPage(leader.page, 'review?state=submitted');
  await checkDownloads(leader.page, leader.context, 'leader review');
  await leader.page.locator('#state-filter').focus();
  for (let i = 0; i < 3; i++) await leader.page.keyboard.press('Tab');
  const rejected = await leader.page.evaluate(() => document.activeElement.textContent);
  await leader.page.keyboard.press('Enter');
  await leader.page.waitForFunction(() => document.querySelector('#main')?.dataset.shown?.startsWith('#/review-item'));
  await leader.page.locator('#to').focus();
  await leader.page.keyboard.press('ArrowDown'); // 组长退回 reject (leader)
  await leader.page.keyboard.press('Tab');
  await leader.page.keyboard.type('household_status');
  await leader.page.keyboard.press('Tab');
  await leader.page.keyboard.type('户主状态与户籍不符，请核实 / check the status');
  await leader.page.keyboard.press('Enter');
  await leader.page.locator('.msg.ok').waitFor();
  assert((await leader.page.locator('.msg.ok').textContent()).includes('rejected_by_leader'), `leader: ${rejected} rejected with the keyboard`);
  await openPage(leader.page, 'review?state=submitted');
  const approved = await leader.page.locator('main table tbody tr a').first().textContent();
  assert(approved !== rejected, 'leader: the rejected questionnaire left the submitted queue');
  await leader.page.locator('main table tbody tr a').first().click();
  await leader.page.waitForFunction(() => document.querySelector('#main')?.dataset.shown?.startsWith('#/review-item'));
  await leader.page.getByRole('button', { name: '提交 / Submit' }).click();
  await leader.page.locator('.msg.ok').waitFor();
  assert((await leader.page.locator('.msg.ok').textContent()).includes('approved_by_leader'), `leader: ${approved} approved`);
  // the questionnaire's answers beside the review form, as the library gives them: the
  // household head's name (a personal answer, "personal": true in the form) masked for a leader
  const rh = await leader.page.evaluate(async () => (await (await fetch('/api/rounds/n/review?state=submitted')).json())
    .questionnaires.find((q) => q.form === 'registered-household').unit);
  await openPage(leader.page, `review-item?unit=${rh}&form=registered-household`);
  const cells = await leader.page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#answers tbody tr')]
    .map((tr) => [tr.cells[0].textContent.trim().split(' ').pop(), tr.cells[2].textContent])));
  assert(cells.household_size !== undefined && cells.household_size !== '', 'leader: the answers are beside the review form');
  assert(/^\S\*+（已遮蔽 masked）$/.test(cells.head_name || ''), `leader: the head's name is masked (${cells.head_name})`);
  const answersUrl = `/api/rounds/n/review/answers?unit=${encodeURIComponent(rh)}&form=registered-household&unmasked=1`;
  // (asked outside the page: a refused fetch in the page is a console error, which the test forbids)
  assert((await leader.context.request.get(`${BASE}${answersUrl}`)).status() === 403, 'leader: the answers unmasked are refused');
  const officeAnswers = await office.page.evaluate(async (u) => (await fetch(u)).json(), answersUrl);
  const head = (officeAnswers.answers || []).find((a) => a.name === 'head_name');
  assert(officeAnswers.unmasked === true && head && !head.value.includes('*') && head.value.length > 1, 'office: the answers unmasked (the read is logged)');
  out.answers_unit = rh;
  // the answers table downloads as the page shows it: masked for the leader; the office's
  // unmasked download is its own logged read (t_pages.sh counts two: the page's and this one)
  const answerLinks = await leader.page.locator('#answers [data-download]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert(answerLinks.length === 2 && answerLinks.every((h) => h.includes('table=answers') && h.includes(`unit=${encodeURIComponent(rh)}`)), `leader: the answers table offers its downloads (${answerLinks.join(' ')})`);
  const leaderCsv = (await (await leader.context.request.get(`${BASE}${answerLinks.find((h) => h.endsWith('csv'))}`)).body()).toString('utf8');
  const answerRows = await leader.page.locator('#answers tbody tr').count();
  assert(leaderCsv.trim().split('\r\n').length - 1 === answerRows, `leader: the answers CSV has the ${answerRows} rows the page shows`);
  const headLine = leaderCsv.split('\r\n').find((l) => l.startsWith('"head_name"'));
  assert(headLine && /"\S\*+"/.test(headLine), `leader: the downloaded answers mask the head's name (${headLine})`);
  assert((await leader.context.request.get(`${BASE}/api/download?table=answers&round=n&unit=${encodeURIComponent(rh)}&form=registered-household&unmasked=1&format=csv`)).status() === 403, 'leader: the answers unmasked are refused as a download too');
  const officeCsv = (await (await office.context.request.get(`${BASE}/api/download?table=answers&round=n&unit=${encodeURIComponent(rh)}&form=registered-household&unmasked=1&format=xlsx`)).body());
  assert(officeCsv.subarray(0, 2).toString() === 'PK', 'office: the answers unmasked download as XLSX');
  out.rejected = rejected;
  out.approved = approved;
  // report sign-off (seed 002 六(五)): the leader downloads its county's report, signs it
  // offline with its own key (pinggu report sign --detached: no store), pastes the public key
  // and signature; the server checks them against its own copy of the report. A signature
  // offered for another role is refused by the library; the right one is recorded.
  // the county synthesis of its own county: read, with no form (the judgment is the office's)
  await openPage(leader.page, `synthesis?county=${county}`);
  assert((await leader.page.locator('#synthesis-text').textContent()).includes('暗访与比对疑点均已核实') && (await leader.page.locator('#synthesis-form').count()) === 0,
    'leader: its county\'s synthesis with the office\'s judgment, no form to record one');
  await openPage(leader.page, 'signoff');
  const soFile = `county-${county}.html`;
  assert((await leader.page.locator(`[data-report="${soFile}"]`).count()) === 1, `leader: the sign-off page lists ${soFile}`);
  const soDir = fs.mkdtempSync(path.join(path.dirname(path.resolve(outPath)), 'signoff-'));
  const soPath = path.join(soDir, `n-${soFile}`);
  const soHref = await leader.page.locator(`[data-report="${soFile}"]`).getAttribute('href');
  fs.writeFileSync(soPath, await (await leader.context.request.get(`${BASE}${soHref}`)).body());
  const signed = execFileSync(process.env.PINGGU, ['report', 'sign', '--detached', '--round', 'n', '--as', '组长', '--signer', 'li', soPath],
    { env: { ...process.env, XDG_CONFIG_HOME: soDir } }).toString();
  const field = (k) => (signed.match(new RegExp(`^${k} (\\S+)$`, 'm')) || [])[1];
  assert(field('sha256') === sha256(fs.readFileSync(soPath)) && field('public_key')?.length === 64 && field('signature')?.length === 128, `leader: report sign --detached printed the file's SHA-256, a public key and a signature (${signed})`);
  await leader.page.locator('#so-file').selectOption(soFile);
  await leader.page.locator('#so-role').selectOption('副组长'); // the 组长's signature offered as the 副组长's
  await leader.page.locator('#so-signer').fill('li');
  await leader.page.locator('#so-pk').fill(field('public_key'));
  await leader.page.locator('#so-sig').fill(field('signature'));
  await leader.page.getByRole('button', { name: '核验并录入 / Verify and record' }).click();
  await leader.page.locator('#signoff-form .msg.bad').waitFor();
  assert((await leader.page.locator('#signoff-form .msg.bad').textContent()).includes('does not hold'), 'leader: a signature that does not hold (another role) is refused');
  const wrongSig = leader.errors.splice(0); // the browser logs the refused request itself
  assert(wrongSig.length === 1 && wrongSig[0].includes('422'), `leader: the wrong signature is the only failed request (${wrongSig.join('; ')})`);
  await leader.page.locator('#so-role').selectOption('组长');
  await leader.page.getByRole('button', { name: '核验并录入 / Verify and record' }).click();
  await leader.page.locator('#signoff-form .msg.ok').waitFor();
  const soRow = await leader.page.locator(`tr:has([data-report="${soFile}"])`).textContent();
  assert(soRow.includes('li ✓') && soRow.includes('未签 unsigned'), `leader: the 组长's signature recorded, the 副组长's still missing (${soRow})`);
  await shot(leader.page, 'leader-signoff');
  // the signer keeps the key of its first recorded signature: li signing with another key is
  // refused (the library's rule, as for report sign)
  const other = execFileSync(process.env.PINGGU, ['report', 'sign', '--detached', '--round', 'n', '--as', '组长', '--signer', 'li', soPath],
    { env: { ...process.env, XDG_CONFIG_HOME: path.join(soDir, 'another-machine') }, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  const otherField = (k) => (other.match(new RegExp(`^${k} (\\S+)$`, 'm')) || [])[1];
  const again = await leader.context.request.post(`${BASE}/api/rounds/n/signoff`, { headers: { 'X-CSRF-Token': await leader.page.evaluate(() => sessionStorage.getItem('pinggu_csrf')), Origin: BASE },
    data: { file: soFile, role: '组长', signer: 'li', public_key: otherField('public_key'), signature: otherField('signature') } });
  assert(again.status() === 422 && JSON.stringify(await again.json()).includes('first signed with public key'), `leader: a signature with another key than li's first is refused (${again.status()})`);
  out.signoff = { file: soPath, sha: field('sha256'), pubkey: field('public_key') };
  // the other team reports (seed 002 六(五): "13个考核组分别形成市、县两级交叉考核报告(其中接受县域结对
  // 帮扶的20个国家级贫困县还需提交县域结对帮扶工作成效考核报告),经组长和副组长签字后提交省扶贫办"):
  // li's county receives paired assistance, so its paired-assistance report is li's to sign;
  // the city report covers the city's counties in the report (here li's alone: only approved
  // questionnaires make a county's figures), so it is li's too
  const pdFile = `paired-${county}.html`, cityFile = `city-${String(county).slice(0, 4)}.html`;
  assert((await leader.page.locator(`[data-report="${pdFile}"]`).count()) === 1, `leader: the sign-off page lists ${pdFile}`);
  assert((await leader.page.locator(`[data-report="${cityFile}"]`).count()) === 1, `leader: the sign-off page lists ${cityFile}`);
  const officeList = await (await office.context.request.get(`${BASE}/api/rounds/n/signoff`)).json();
  const lv = Object.fromEntries(officeList.files.map((x) => [x.file, x.level]));
  assert(lv[soFile] === 'county' && lv[pdFile] === 'paired' && lv[cityFile] === 'city' && officeList.files.every((x) => !x.can_sign), `office: the county, paired and city reports listed, none to sign (${JSON.stringify(lv)})`);
  const csrf = await leader.page.evaluate(() => sessionStorage.getItem('pinggu_csrf'));
  const signFile = async (name, dest) => {
    const href = await leader.page.locator(`[data-report="${name}"]`).getAttribute('href');
    fs.writeFileSync(dest, await (await leader.context.request.get(`${BASE}${href}`)).body());
    const o = execFileSync(process.env.PINGGU, ['report', 'sign', '--detached', '--round', 'n', '--as', '组长', '--signer', 'li', dest],
      { env: { ...process.env, XDG_CONFIG_HOME: soDir } }).toString();
    return (k) => (o.match(new RegExp(`^${k} (\\S+)$`, 'm')) || [])[1];
  };
  // a report changed between the download and the paste is refused: li downloads and signs the
  // paired report, then a typical experience is recorded for it (report experience add), so
  // the server's copy is no longer the file li signed
  const pdStale = path.join(soDir, `n-stale-${pdFile}`);
  const staleSig = await signFile(pdFile, pdStale);
  execFileSync(process.env.PINGGU, ['report', 'experience', 'add', '--db', process.env.PAGES_DB, '--round', 'n', '--unit', String(county), '--level', 'paired', '结对双方联席会议每季度召开一次'], { stdio: 'ignore' });
  await leader.page.locator('#so-file').selectOption(pdFile);
  await leader.page.locator('#so-role').selectOption('组长');
  await leader.page.locator('#so-signer').fill('li');
  await leader.page.locator('#so-pk').fill(staleSig('public_key'));
  await leader.page.locator('#so-sig').fill(staleSig('signature'));
  await leader.page.getByRole('button', { name: '核验并录入 / Verify and record' }).click();
  await leader.page.locator('#signoff-form .msg.bad').waitFor();
  assert((await leader.page.locator('#signoff-form .msg.bad').textContent()).includes('does not hold'), 'leader: a signature over the report as it was before a change is refused');
  const staleErr = leader.errors.splice(0);
  assert(staleErr.length === 1 && staleErr[0].includes('422'), `leader: the stale signature is the only failed request (${staleErr.join('; ')})`);
  // downloaded and signed again: recorded
  await openPage(leader.page, 'signoff');
  const pdPath = path.join(soDir, `n-${pdFile}`);
  const pdSig = await signFile(pdFile, pdPath);
  assert(pdSig('sha256') !== staleSig('sha256'), 'leader: the paired report changed with the experience');
  await leader.page.locator('#so-file').selectOption(pdFile);
  await leader.page.locator('#so-role').selectOption('组长');
  await leader.page.locator('#so-signer').fill('li');
  await leader.page.locator('#so-pk').fill(pdSig('public_key'));
  await leader.page.locator('#so-sig').fill(pdSig('signature'));
  await leader.page.getByRole('button', { name: '核验并录入 / Verify and record' }).click();
  await leader.page.locator('#signoff-form .msg.ok').waitFor();
  const pdRow = await leader.page.locator(`tr:has([data-report="${pdFile}"])`).textContent();
  assert(pdRow.includes('li ✓') && pdRow.includes('结对帮扶 paired'), `leader: the paired report's 组长 signature recorded (${pdRow})`);
  // the city report: the paired report's signature does not hold over it; its own does
  const cityPath = path.join(soDir, `n-${cityFile}`);
  const citySig = await signFile(cityFile, cityPath);
  const postSig = (file, sig) => leader.context.request.post(`${BASE}/api/rounds/n/signoff`, { headers: { 'X-CSRF-Token': csrf, Origin: BASE },
    data: { file, role: '组长', signer: 'li', public_key: sig('public_key'), signature: sig('signature') } });
  const cityWrong = await postSig(cityFile, pdSig);
  assert(cityWrong.status() === 422, `leader: another report's signature is refused for the city report (${cityWrong.status()})`);
  const cityOk = await postSig(cityFile, citySig);
  assert(cityOk.status() === 201 && (await cityOk.json()).sha256 === sha256(fs.readFileSync(cityPath)), `leader: the city report's 组长 signature recorded (${cityOk.status()})`);
  // a file that is no team report is refused by its name
  const notReport = await postSig('index.html', citySig);
  assert(notReport.status() === 422, `leader: index.html is not a report to sign (${notReport.status()})`);
  out.signoffPaired = { file: pdPath, stale: pdStale, pubkey: pdSig('public_key'), city: cityPath };
  // the day plan: the leader gives one of its county's households to the evaluator's pair for
  // today; a pair with a member who cannot see the county's assignments is refused
  await openPage(leader.page, 'dayplan');
  const dpUnit = (await (await leader.context.request.get(`${BASE}/api/assignments?round=n`)).json()).assignments.find((a) => a.stage === 'household' && !a.reserve && String(a.county) === county).unit;
  await leader.page.locator('#dp-unit').fill(dpUnit);
  assert((await leader.page.locator('#dp-day').inputValue()) === process.env.PINGGU_TODAY, 'leader: the day plan offers the server\'s today');
  await leader.page.locator('#dp-pair').fill('zhao qian');
  await leader.page.getByRole('button', { name: '安排 / Plan' }).click();
  await leader.page.locator('#dayplan-form .msg.bad').waitFor();
  assert((await leader.page.locator('#dayplan-form .msg.bad').textContent()).includes('may not read this county'), 'leader: a pair member outside the county is refused');
  const dpRefused = leader.errors.splice(0);
  assert(dpRefused.length === 1 && dpRefused[0].includes('422'), `leader: the refused plan is the only failed request (${dpRefused.join('; ')})`);
  await leader.page.locator('#dp-pair').fill('zhao');
  await leader.page.getByRole('button', { name: '安排 / Plan' }).click();
  await leader.page.locator('#dayplan-form .msg.ok').waitFor();
  const dpRows = await leader.page.locator('main table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent)));
  assert(dpRows.some((r) => r[0] === process.env.PINGGU_TODAY && r[1] === dpUnit && r[3] === 'zhao' && r[4] === 'li'), `leader: ${dpUnit} planned for zhao today (${JSON.stringify(dpRows)})`);
  await checkDownloads(leader.page, leader.context, 'leader day plan');
  // a reserve not activated by a recorded non-response is nobody's to visit: the library refuses
  const reserve = execFileSync('sqlite3', [process.env.PAGES_DB, `select u.code from sample_units u join samples s on s.row_no = u.sample where s.name = 'n' and u.county = ${county} and u.reserve = 1 and not exists (select 1 from replacements r where r.sample = u.sample and r.replaced_by = u.code) limit 1`]).toString().trim();
  const dpReserve = await leader.context.request.post(`${BASE}/api/rounds/n/dayplan`, { headers: { 'X-CSRF-Token': await leader.page.evaluate(() => sessionStorage.getItem('pinggu_csrf')), Origin: BASE },
    data: { unit: reserve, day: process.env.PINGGU_TODAY, pair: 'zhao' } });
  assert(reserve && dpReserve.status() === 422 && JSON.stringify(await dpReserve.json()).includes('reserve not activated'), `leader: a reserve not yet activated cannot be planned (${reserve}: ${dpReserve.status()})`);
  out.dayplan_unit = dpUnit;
  // interference: the leader records the locality's, with its evidence (应留存证据: without it
  // the library refuses), and may not read the records (office and supervisor only)
  await openPage(leader.page, 'interference-record');
  await leader.page.locator('#i-county').fill(county);
  await leader.page.locator('#i-kind').selectOption('following');
  await leader.page.locator('#i-note').fill('乡干部全程跟随入户 / a township cadre followed the pair into every house');
  await leader.page.locator('#i-on').fill('2020-04-22');
  await leader.page.locator('#interference-form button[type=submit]').click();
  await leader.page.locator('#interference-form .msg.bad').waitFor();
  const noProof = leader.errors.splice(0);
  assert(noProof.length === 1 && noProof[0].includes('422') && (await leader.page.locator('#interference-form .msg.bad').textContent()).includes('evidence'), `leader: locality interference without evidence is refused by the library (${noProof.join('; ')})`);
  const interfEv = jpeg('跟随照片 photo of the cadre following');
  await leader.page.locator('#i-file').setInputFiles({ name: 'gensui.jpg', mimeType: 'image/jpeg', buffer: interfEv });
  await leader.page.locator('#interference-form button[type=submit]').click();
  await leader.page.locator('#interference-form .msg.ok').waitFor();
  assert((await leader.page.locator('#interference-form .msg.ok').textContent()).includes('by li as leader'), 'leader: interference recorded with its evidence');
  out.interference_sha = sha256(interfEv);
  await openPage(leader.page, 'interference');
  assert((await leader.page.locator('.refusal').count()) === 1, 'leader: the interference records are not the leader\'s to read (refused)');
  leader.errors.splice(0); // the refused read, logged by the browser
  assert(leader.errors.length === 0, `leader: no console errors (${leader.errors.join('; ')})`);

  // ---------------------------------------------------------------- the county explains
  const xian = await signIn('xian', undefined, true);
  assert(!(await navIds(xian.page)).includes('ledger'), 'county: no rectification ledger offered before the release (the county-facing view)');
  await openPage(xian.page, 'problems');
  const listed = await xian.page.locator('main table tbody tr').count();
  assert(listed === 2, `county: only the problems sent to it are listed, the one sent for verification and the one fed back (${listed})`);
  await openPage(xian.page, `problem?id=${p1}`);
  await xian.page.locator('#to').selectOption('explained');
  await xian.page.locator('#note').fill('该户2019年已享受危房改造，有验收单 / the house was rebuilt in 2019');
  await xian.page.locator('#on').fill('2020-04-23');
  // the explanation with its evidence: the acceptance certificate, uploaded with the move
  const explainEv = jpeg('验收单 acceptance certificate 2019');
  await xian.page.locator('#evidence-file').setInputFiles({ name: 'yanshou.jpg', mimeType: 'image/jpeg', buffer: explainEv });
  await xian.page.getByRole('button', { name: '提交 / Submit' }).click();
  await xian.page.locator('.msg.ok').waitFor();
  assert((await xian.page.locator('.msg.ok').textContent()).includes('explained'), `county: problem ${p1} explained with evidence`);
  out.explain_sha = sha256(explainEv);
  await shot(xian.page, 'county-problem');
  // the problem fed back to it: the county's rectification plan (measures, who, deadline)
  await openPage(xian.page, `problem?id=${p2}`);
  await xian.page.locator('#to').selectOption('rectifying');
  await xian.page.locator('#measures').fill('补办危房改造验收 / complete the housing inspection');
  await xian.page.locator('#responsible_unit').fill('县住建局');
  await xian.page.locator('#responsible_person').fill('张三');
  await xian.page.locator('#deadline').fill('2020-05-30');
  await xian.page.locator('#on').fill('2020-04-24');
  await xian.page.getByRole('button', { name: '提交 / Submit' }).click();
  await xian.page.locator('.msg.ok').waitFor();
  assert((await xian.page.locator('.msg.ok').textContent()).includes('rectifying'), `county: problem ${p2} under rectification`);
  // rectified: the library wants the result and evidence (整改结果 with its proof); without the
  // evidence the server refuses the move
  await xian.page.locator('#to').selectOption('rectified');
  await xian.page.locator('#result').fill('已补办验收，群众已入住 / inspected, the family lives there');
  await xian.page.locator('#on').fill('2020-05-20');
  await xian.page.getByRole('button', { name: '提交 / Submit' }).click();
  await xian.page.locator('#move .msg.bad').waitFor();
  const noEvidence = xian.errors.splice(0); // the browser logs the refused request itself
  assert(noEvidence.length === 1 && noEvidence[0].includes('422'), `county: rectified without evidence is refused by the library (${noEvidence.join('; ')})`);
  const rectEv = jpeg('整改后照片 the house after rectification');
  await xian.page.locator('#evidence-file').setInputFiles({ name: 'zhenggai.jpg', mimeType: 'image/jpeg', buffer: rectEv });
  await xian.page.getByRole('button', { name: '提交 / Submit' }).click();
  await xian.page.locator('.msg.ok').waitFor();
  assert((await xian.page.locator('.msg.ok').textContent()).includes('rectifying → rectified'), `county: problem ${p2} rectified with evidence`);
  out.rectify_sha = sha256(rectEv);
  assert(xian.errors.length === 0, `county: no console errors (${xian.errors.join('; ')})`);

  // ---------------------------------------------------------------- the evaluator, phone width
  const eva = await signIn('zhao', { width: 390, height: 844 });
  await openPage(eva.page, 'assignments');
  const units = await eva.page.locator('main table tbody tr').count();
  assert(units > 0, `evaluator: today's households are listed (${units})`);
  // today's households: the unit the leader planned for its pair today comes first
  assert((await eva.page.locator('#today-count').textContent()).includes(': 1') && (await eva.page.locator('main table tbody tr').first().locator('td').first().textContent()) === out.dayplan_unit &&
    (await eva.page.locator('main table tbody tr').first().locator('td').nth(1).textContent()).startsWith('今日 today'), 'evaluator: the household planned for today first, marked today');
  const counties = await eva.page.locator('main table tbody tr td:nth-child(4)').allTextContents();
  assert(counties.every((c) => c === county), 'evaluator: only its own county\'s units');
  // its own county's submissions with their review state and the leader's comment, read-only
  await openPage(eva.page, `review?state=rejected_by_leader`);
  const mine = await eva.page.locator('main table tbody tr').count();
  assert(mine === 1 && (await eva.page.locator('main table').textContent()).includes('household_status: 户主状态'), 'evaluator: its rejected questionnaire with the comment per question');
  assert(await eva.page.locator('main table tbody a').count() === 0, 'evaluator: no review action offered (can_review from the server)');
  await openPage(eva.page, 'entry');
  assert(await eva.page.locator('#entry-link').count() === 1, 'evaluator: the entry page is linked');
  await openPage(eva.page, 'assignments');
  const wide = await eva.page.evaluate(() => document.documentElement.scrollWidth);
  assert(wide <= 390, `evaluator: the page fits a phone's width (${wide}px)`);
  await shot(eva.page, 'evaluator-assignments');
  assert(eva.errors.length === 0, `evaluator: no console errors (${eva.errors.join('; ')})`);
  // ODK Collect set-up: the password again (a wrong one refused), then the QR code of the
  // server URL with a new token; the URL works for a field app; regenerating stops the old one
  await openPage(eva.page, 'odk');
  await eva.page.locator('#odk-password').fill('not-my-password');
  await eva.page.locator('#odk-issue button[type=submit]').click();
  await eva.page.locator('#odk-issue .msg.bad').waitFor();
  const wrongPw = eva.errors.splice(0);
  assert(wrongPw.length === 1 && wrongPw[0].includes('401') && (await eva.page.locator('#odk-qr-code').count()) === 0, `evaluator: no QR code without the password (${wrongPw.join('; ')})`);
  const qrUrl = async () => {
    await eva.page.locator('#odk-password').fill(NEW);
    await eva.page.locator('#odk-issue button[type=submit]').click();
    await eva.page.locator('#odk-qr-code').waitFor();
    const url = await eva.page.locator('#odk-url').textContent();
    const payload = await eva.page.locator('#odk-qr-code').getAttribute('data-payload');
    const settings = JSON.parse(zlib.inflateSync(Buffer.from(payload, 'base64')).toString('utf8'));
    assert(settings.general.server_url === url && new RegExp(`^${BASE}/key/[0-9a-f]{64}/$`).test(url), `evaluator: the QR code holds ODK Collect's settings with the server URL and token (${url.replace(/[0-9a-f]{64}/, '[token]')})`);
    return url;
  };
  // as the phone asks: no browser session, only the token in the URL
  const formList = async (url) => (await fetch(`${url}formList`, { headers: { 'X-OpenRosa-Version': '1.0' } })).status;
  const url1 = await qrUrl();
  assert(await formList(url1) === 200, 'evaluator: ODK Collect\'s form list answers at the QR code\'s URL');
  assert((await eva.page.evaluate(() => document.documentElement.scrollWidth)) <= 390, 'evaluator: the ODK set-up fits a phone\'s width');
  await shot(eva.page, 'evaluator-odk');
  const url2 = await qrUrl();
  assert(url2 !== url1 && await formList(url1) !== 200 && await formList(url2) === 200, 'evaluator: regenerating revokes the earlier token');
  await openPage(eva.page, 'odk');
  assert(!(await eva.page.content()).match(/[0-9a-f]{64}/), 'evaluator: the token is shown once (not on the page again)');
  assert(eva.errors.length === 0, `evaluator: no console errors (${eva.errors.join('; ')})`);
  // the office revokes the evaluator's tokens on its users page
  await openPage(office.page, 'users');
  assert((await office.page.locator('#tokens').textContent()).includes('zhao'), 'office: the token list names the evaluator\'s tokens');
  await office.page.locator('#t-name').fill('zhao');
  await office.page.locator('#token-revoke button[type=submit]').click();
  await office.page.locator('#token-revoke .msg.ok').waitFor();
  assert((await office.page.locator('#token-revoke .msg.ok').textContent()).includes('已作废 zhao 的 1 个令牌'), 'office: revoked the evaluator\'s token');
  assert(await formList(url2) !== 200, 'evaluator: the revoked token no longer opens the form list');

  // ---------------------------------------------------------------- the office releases
  // DESIGN §10: "Only office-approved questionnaires enter a release": refused, with the
  // library's reason, while the round's questionnaires wait for review
  await openPage(office.page, 'releases');
  await office.page.locator('#release').click();
  await office.page.locator('#main .msg.bad').waitFor();
  assert((await office.page.locator('#main .msg.bad').textContent()).includes('only office-approved questionnaires enter a release'), 'office: no release while questionnaires wait for review');
  // the leader and then the office approve the rest at once (pinggu field review --all-in)
  for (const [from, to, as] of [['submitted', 'approved_by_leader', 'leader'], ['approved_by_leader', 'approved_by_office', 'office']])
    execFileSync(process.env.PINGGU, ['field', 'review', '--db', process.env.PAGES_DB, '--sample', 'n', '--all-in', from, '--to', to, '--as', as]);
  await openPage(office.page, 'releases');
  await office.page.locator('#release').click();
  await office.page.locator('#release-result').waitFor();
  assert((await office.page.locator('#release-result').textContent()).includes('release 1'), 'office: release 1 made');
  await shot(office.page, 'office-release');

  // ---------------------------------------------------------------- after release: the county-facing view
  await xian.page.goto(`${BASE}/`);
  await xian.page.locator('#nav a[href="#/county-view"]').waitFor();
  await openPage(xian.page, 'county-view');
  assert((await xian.page.locator('h1').textContent()).includes(county), 'county: the county-facing view of its county');
  assert((await xian.page.locator('main table').first().locator('tbody tr').count()) === 1, 'county: its county\'s figures from the release');
  await shot(xian.page, 'county-view');
  // the rectification ledger of its own county, after the release (the county-facing view)
  await xian.page.locator('#nav a[href="#/ledger"]').waitFor();
  await openPage(xian.page, 'ledger');
  const xl = await xian.page.locator('main table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent)));
  assert(xl.length >= 1 && xl.every((r) => r[1] === county) && xl.some((r) => r[0] === p2 && r[5] === '张三' && r[6] === '2020-05-30' && r[7] === '2020-05-20' && r[10].startsWith('按期')),
    `county: its ledger after release, p2 rectified in time by its deadline (${JSON.stringify(xl)})`);
  await checkDownloads(xian.page, xian.context, 'county ledger');
  assert((await xian.context.request.get(`${BASE}/api/rounds/n/ledger?county=${Number(county) + 1}`)).status() === 403, 'county: another county\'s ledger is refused');
  await shot(xian.page, 'county-ledger');
  // the self-evaluation report: the server records the day it arrived (its clock, not the county's)
  await openPage(xian.page, 'self-evaluation');
  const report = Buffer.from('%PDF-1.4\n自评报告 self-evaluation of the county\n');
  await xian.page.locator('#selfeval-file').setInputFiles({ name: 'zipingbaogao.pdf', mimeType: 'application/pdf', buffer: report });
  await xian.page.getByRole('button', { name: '上传 / Upload' }).click();
  await xian.page.locator('#selfeval .msg.ok').waitFor();
  assert((await xian.page.locator('#selfeval .msg.ok').textContent()).includes(`到达 ${process.env.PINGGU_TODAY}`), 'county: the self-evaluation report arrived today, by the server\'s date');
  out.selfeval_sha = sha256(report);
  assert(xian.errors.length === 0, `county: no console errors after release (${xian.errors.join('; ')})`);

  // ---------------------------------------------------------------- the discipline supervisor
  const sup = await signIn('jiandu');
  await openPage(sup.page, 'audit');
  assert((await sup.page.locator('#verify').textContent()).includes('intact'), 'supervisor: audit verify passes');
  await openPage(sup.page, 'security');
  assert((await sup.page.locator('#security-log').textContent()).includes('xian'), 'supervisor: the liaison\'s refusals are in the security log');
  await shot(sup.page, 'supervisor-security');
  await openPage(sup.page, 'interference');
  assert((await sup.page.locator('#interference-list').textContent()).includes('乡干部全程跟随入户'), 'supervisor: reads the leader\'s interference record');
  assert(sup.errors.length === 0, `supervisor: no console errors (${sup.errors.join('; ')})`);

  out.progress_problems = await (await office.context.request.get(`${BASE}/api/rounds/n/progress/problems`)).json();
  status = 0;
} catch (err) {
  console.log(String(err.stack || err));
} finally {
  fs.writeFileSync(outPath, JSON.stringify(out, null, 1));
  await browser.close();
}
console.log(`${status ? 'FAILED' : 'ok'}: ${out.checked.length} assertions; refusals ${JSON.stringify(out.refusals)}`);
process.exit(status);
