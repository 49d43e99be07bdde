// monitor.mjs — the between-rounds pages in a real browser (issue 15 on the pages): playwright-core
// drives Debian's chromium against `pinggu serve` started by tests/cli/t_monitor_pages.sh, and
// every figure the pages show is compared with what the CLI printed on the same store (the
// exp-*.txt files of DIR): the schedule (`round status`), post-exit monitoring (`monitor`),
// attendance (`attendance summary|recall`) and the bulletin (`bulletin`). Refusals: an
// evaluator opens each page, a county liaison asks for another county, a city liaison opens
// the office's pages; each refusal shows the refusal page and adds one to the security log
// (read by the supervisor between refusals).
//
//   node monitor.mjs PORT DIR XCOUNTY SCITY DRAWN     (writes DIR/out.json)
//
// Exit 1 on a failed assertion or a console error in a main task.
import { chromium } from '../../web/node_modules/playwright-core/index.mjs';
import fs from 'node:fs';

const [port, dir, xcounty, scity, drawn] = process.argv.slice(2);
const BASE = `http://127.0.0.1:${port}`;
const PW = process.env.PAGES_PW ?? 'Pages-Pass-2020';
const NEW = 'Changed-Pass-2021';
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
const out = { refusals: 0, checked: [] };
const read = (f) => fs.readFileSync(`${dir}/${f}`, 'utf8');
let status = 1;

function assert(cond, what) {
  if (!cond) throw new Error(`assertion failed: ${what}`);
  out.checked.push(what);
}

async function signIn(user) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${BASE}/`);
  await page.locator('#user').fill(user);
  await page.locator('#password').fill(PW);
  await page.getByRole('button', { name: '登录 / Sign in' }).click();
  await page.locator('#pwchange').waitFor();
  await page.locator('#old').fill(PW);
  await page.locator('#new').fill(NEW);
  await page.getByRole('button', { name: '修改密码 / Change password' }).click();
  await page.locator('#who').waitFor();
  assert((await page.locator('#round').inputValue()) === 'anhui', `${user}: the header shows the round`);
  return { context, page, errors };
}

const navIds = async (page) => page.locator('#nav a').evaluateAll((as) => as.map((a) => a.getAttribute('href').slice(2)));

async function openPage(page, id) {
  if ((await page.evaluate(() => location.hash)) === `#/${id}`) await page.reload();
  else await page.goto(`${BASE}/#/${id}`);
  await page.waitForFunction((h) => document.querySelector('#main')?.dataset.shown === h, `#/${id}`);
}

// the rows of a table under a section: each row's cells' text
const rowsOf = (page, sel) => page.locator(`${sel} table tbody tr`).evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent.trim())));

// the page's download links: server-made attachments; returns the CSV's text
async function downloads(page, ctx, label) {
  const links = await page.locator('[data-download]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert(links.length === 2, `${label}: XLSX and CSV offered`);
  let csv = '';
  for (const href of links) {
    const r = await ctx.request.get(`${BASE}${href}`);
    const cd = r.headers()['content-disposition'] || '';
    assert(r.status() === 200 && cd.startsWith('attachment'), `${label}: ${href} downloads (${r.status()})`);
    const body = await r.body();
    if (href.endsWith('csv')) csv = body.toString('utf8');
    else assert(body.subarray(0, 2).toString() === 'PK', `${label}: the XLSX is an Office file`);
  }
  return csv;
}

try {
  const sup = await signIn('jiandu');
  // the forbidden requests the security log holds (the supervisor's page reads it)
  const forbidden = async () => {
    const d = await (await sup.context.request.get(`${BASE}/api/office/security`)).json();
    return d.log.split('\n').filter((l) => /\sforbidden\s/.test(l)).reduce((n, l) => n + Number(l.trim().split(/\s+/)[4]), 0);
  };
  // a page the user may not open: the refusal page, and one more forbidden request logged
  const refused = async (s, id, who) => {
    const before = await forbidden();
    await openPage(s.page, id);
    assert((await s.page.locator('.refusal[data-refusal="403"]').count()) === 1, `${who}: #/${id} shows the refusal page`);
    assert((await s.page.locator('.refusal h1').textContent()).includes('无权访问'), `${who}: the refusal is in Chinese first`);
    assert((await forbidden()) === before + 1, `${who}: #/${id}'s refusal is in the security log`);
    out.refusals++;
  };

  // ---------------------------------------------------------------- the office
  const office = await signIn('wang');
  const ids = await navIds(office.page);
  for (const id of ['schedule', 'postexit', 'attendance', 'bulletin']) assert(ids.includes(id), `office: the navigation offers ${id}`);

  // 1. the schedule against the plan's milestones, as `pinggu round status` computes it
  const states = ['按时完成 done on time', '逾期完成 done late', '未开始 not started', '进行中 open', '已逾期 overdue'];
  const cli = (f) => {
    const ms = {};
    let late = -1;
    for (const l of read(f).split('\n')) {
      const m = l.match(/^(\d+) milestones, (\d+) late or overdue/);
      if (m) late = Number(m[2]);
      const st = states.find((s) => l.includes(`  ${s}`));
      if (!st || /^round /.test(l)) continue;
      const wd = l.match(/(\d+) working days( late)?$/);
      const done = l.match(/ (\d{4}-\d\d-\d\d) \((log|file)\)/);
      ms[l.split(/\s+/)[0]] = { state: st, wdays: wd ? wd[1] : null, done: done ? done[1] : null };
    }
    return { ms, late };
  };
  for (const [date, f] of [['2019-11-25', 'exp-round1.txt'], [drawn, 'exp-round2.txt']]) {
    const want = cli(f);
    await openPage(office.page, `schedule?date=${date}`);
    const rows = await rowsOf(office.page, '#milestones');
    assert(rows.length === Object.keys(want.ms).length && rows.length === 6, `schedule ${date}: every milestone of the plan (${rows.length})`);
    for (const r of rows) {
      const w = want.ms[r[0]];
      assert(w && r[3] === w.state, `schedule ${date}: ${r[0]} is "${r[3]}" as round status says (${w?.state})`);
      if (w.wdays !== null) assert(new RegExp(`\\b${w.wdays} 天`).test(r[5]), `schedule ${date}: ${r[0]} ${w.wdays} working days (${r[5]})`);
      assert(w.done ? r[4].startsWith(w.done) : r[4] === '', `schedule ${date}: ${r[0]} done ${w.done ?? 'not yet'} (${r[4]})`);
    }
    assert((await office.page.locator('#late-count').textContent()).includes(`${want.late} late or overdue`), `schedule ${date}: ${want.late} late or overdue`);
    if (date === drawn) {
      const lot = rows.find((r) => r[0] === 'training_lottery');
      assert(lot[4].includes('变更日志 log'), 'schedule: the lottery is done by the change log\'s teams draw');
    }
    const csv = await downloads(office.page, office.context, `schedule ${date}`);
    assert(csv.includes('fieldwork') && csv.includes('summary_report'), `schedule ${date}: the CSV has the milestones`);
  }

  // 2. post-exit monitoring, as `pinggu monitor` finds it
  const mon = read('exp-monitor.txt').split('\n');
  const counties = {};
  for (const l of mon) {
    const t = l.trim().split(/\s+/);
    if (!/^\d{6}$/.test(t[0]) || t.length < 13) continue;
    const signs = t.slice(13).join(' ');
    counties[t[0]] = { r: `${t[2]} / ${t[3]} / ${t[4]}`.replace(/-1/g, '—'), slowing: /slowing/.test(signs), target: /target/.test(signs), income: /income/.test(signs),
      slack: /training|teams/.test(signs), interview: /约谈/.test(signs) };
  }
  const interviews = mon.filter((l) => l.startsWith('约谈 interview:')).map((l) => l.split(/\s+/)[2]);
  const transition = mon.filter((l) => l.startsWith('  transition ')).map((l) => l.trim().split(/\s+/)[1]);
  await openPage(office.page, 'postexit');
  const crows = await rowsOf(office.page, '#counties');
  assert(crows.length === Object.keys(counties).length && crows.length >= 3, `postexit: every exited county (${crows.length})`);
  const yes = (v) => (v ? '是 yes' : '否 no');
  for (const r of crows) {
    const w = counties[r[0]];
    assert(w && r[3] === w.r, `postexit: ${r[0]} remaining poor ${r[3]} as monitor (${w?.r})`);
    assert(r[5] === yes(w.slowing) && r[7] === yes(w.target) && r[9] === yes(w.income) && r[12] === yes(w.slack),
      `postexit: ${r[0]}'s four signs as monitor finds them (${[r[5], r[7], r[9], r[12]].join(', ')})`);
    assert(r[14] === yes(w.interview), `postexit: ${r[0]} interview ${r[14]}`);
  }
  const irows = await rowsOf(office.page, '#interviews');
  assert(irows.map((r) => r[0]).join() === interviews.join() && interviews.length >= 1, `postexit: the counties to interview (约谈) are monitor's: ${interviews.join()}`);
  assert(irows.every((r) => r[3].length > 0), 'postexit: each interview names its evidence');
  const trows = await rowsOf(office.page, '#transition');
  assert(trows.map((r) => r[1]).sort().join() === transition.sort().join() && transition.length >= 1, `postexit: the transition households are monitor's (${transition.join()})`);
  const fell = Number(mon.find((l) => l.startsWith('incomes fell:')).match(/incomes fell: (\d+)/)[1]);
  assert((await rowsOf(office.page, '#incomes')).length === fell, `postexit: the ${fell} households whose income fell`);
  let csv = await downloads(office.page, office.context, 'postexit');
  for (const c of Object.keys(counties)) assert(csv.includes(`"${c}"`), `postexit: the CSV has county ${c}`);
  assert(office.errors.length === 0, `office: no console errors (${office.errors.join('; ')})`);

  // 3. attendance, as `pinggu attendance summary|recall` computes it
  const att = read('exp-att.txt').split('\n');
  const assessed = Number(att.find((l) => /members assessed/.test(l)).match(/^(\d+) members/)[1]);
  const days = {};
  for (const l of att) { const t = l.trim().split(/\s+/); if (/^\d{6}$/.test(t[0]) && /^\d{12}$/.test(t[1])) days[t[2]] = t[4]; }
  const recall = {};
  let cur = '';
  for (const l of read('exp-recall.txt').split('\n')) {
    const h = l.match(/^county (\d{6}) /);
    if (h) cur = h[1];
    else if (/^ {2}\S/.test(l)) recall[l.trim().split(/\s+/)[0]] = cur;
  }
  await openPage(office.page, 'attendance?month=2019-11');
  const mrows = await rowsOf(office.page, '#members');
  assert(mrows.length === assessed, `attendance: the ${assessed} members assessed`);
  assert(mrows.every((r) => days[r[2]] === r[4]), 'attendance: every member\'s days in the village as attendance summary counts them');
  const rrows = await rowsOf(office.page, '#recall');
  assert(rrows.map((r) => r[3]).sort().join() === Object.keys(recall).sort().join() && rrows.length > 0, `attendance: the recall list is attendance recall's (${rrows.length})`);
  csv = await downloads(office.page, office.context, 'attendance');
  for (const m of Object.keys(recall)) assert(csv.includes(`"${m}"`), `attendance: the CSV has ${m}`);

  // 4. the bulletin: the office sends the month's sheet; the server ranks it
  const bul = {};
  for (const l of read('exp-bulletin.txt').split('\n')) {
    const m = l.match(/^(city|department)\s+(\d+)\/(\d+)\s+(\S+)\s+\S+\s+(\S+ \S+)\s+(\S+)(.*)$/);
    if (m) bul[m[4]] = { kind: m[1], rank: `${m[2]}/${m[3]}`, band: m[5], mv: m[6], last: m[7].includes('表态发言'), run: (m[7].match(/\((\d+) months/) || [0, '1'])[1] };
  }
  await openPage(office.page, 'bulletin');
  await office.page.locator('#b-month').fill('2019-11');
  // a bad sheet first: the library's file:line:column reason, not the server's folder
  await office.page.locator('#b-sheet').setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('month,unit,kind,score\n2019-11,A市,county,9\n') });
  await office.page.getByRole('button', { name: '排名 / Rank' }).click();
  await office.page.locator('#bulletin-form .msg.bad').waitFor();
  const bad = await office.page.locator('#bulletin-form .msg.bad').textContent();
  assert(bad.includes('sheet.csv:2:3') && !bad.includes('/tmp'), `bulletin: a bad sheet is refused with its line and column (${bad})`);
  office.errors.splice(0); // the browser logs the refused request itself
  await office.page.locator('#b-sheet').setInputFiles(`${dir}/sheet.csv`);
  await office.page.getByRole('button', { name: '排名 / Rank' }).click();
  await office.page.locator('#kind-city table').waitFor();
  const brows = [...await rowsOf(office.page, '#kind-city'), ...await rowsOf(office.page, '#kind-department')];
  assert(brows.length === Object.keys(bul).length && brows.length > 0, `bulletin: every unit ranked (${brows.length})`);
  const arrow = (mv) => (mv === 'new' ? '新 new' : mv === '+0' ? '=' : mv.startsWith('+') ? `↑${mv.slice(1)}` : `↓${mv.slice(1)}`);
  for (const r of brows) {
    const w = bul[r[1]];
    assert(w && r[0] === w.rank && r[3] === w.band && r[5] === arrow(w.mv), `bulletin: ${r[1]} ${r[0]} ${r[3]} ${r[5]} as pinggu bulletin (${w?.rank} ${w?.band} ${w?.mv})`);
    assert((r[6] === '倒数第一 表态发言') === w.last && (!w.last || r[7].startsWith(w.run)), `bulletin: ${r[1]}'s 表态发言 and months last`);
  }
  assert(brows.some((r) => r[6].includes('表态发言')), 'bulletin: the last place is flagged for 表态发言');
  // printable: the print layout shows the ranking alone
  await office.page.emulateMedia({ media: 'print' });
  assert(!(await office.page.locator('#nav').isVisible()) && !(await office.page.locator('#bulletin-form').isVisible()), 'bulletin: printing hides the navigation and the form');
  assert((await office.page.locator('.print-title').isVisible()) && (await office.page.locator('#kind-city table').isVisible()), 'bulletin: printing shows the title and the ranking');
  await office.page.emulateMedia({ media: 'screen' });
  assert(!(await office.page.locator('.print-title').isVisible()), 'bulletin: the print title is for paper only');
  for (const [btn, ext] of [['#b-xlsx', 'xlsx'], ['#b-csv', 'csv']]) {
    const [dl] = await Promise.all([office.page.waitForEvent('download'), office.page.locator(btn).click()]);
    const body = fs.readFileSync(await dl.path());
    assert(dl.suggestedFilename() === `bulletin-2019-11.${ext}`, `bulletin: the ${ext} is named for the month`);
    if (ext === 'xlsx') assert(body.subarray(0, 2).toString() === 'PK', 'bulletin: the XLSX is an Office file');
    else assert(Object.keys(bul).every((u) => body.toString('utf8').includes(u)), 'bulletin: the CSV has every unit');
  }
  assert(office.errors.length === 0, `office: no console errors (${office.errors.join('; ')})`);

  // ---------------------------------------------------------------- the liaisons: their rows
  const xian = await signIn('xian');
  const xids = await navIds(xian.page);
  assert(xids.includes('postexit') && xids.includes('attendance') && !xids.includes('schedule') && !xids.includes('bulletin'),
    `county liaison: monitoring and attendance offered, schedule and bulletin not (${xids.join()})`);
  await openPage(xian.page, 'postexit');
  const xrows = await rowsOf(xian.page, '#counties');
  assert(xrows.length === 1 && xrows[0][0] === xcounty, `county liaison: only its county ${xcounty} (${xrows.map((r) => r[0]).join()})`);
  assert((await rowsOf(xian.page, '#transition')).every((r) => r[0] === xcounty), 'county liaison: only its county\'s households');
  csv = await downloads(xian.page, xian.context, 'county liaison postexit');
  for (const c of Object.keys(counties)) if (c !== xcounty) assert(!csv.includes(`"${c}"`), `county liaison: the download leaves out county ${c}`);
  const other = Object.keys(counties).find((c) => c !== xcounty);
  await refused(xian, `postexit?county=${other}`, 'county liaison');
  const shi = await signIn('shi');
  await openPage(shi.page, 'attendance?month=2019-11');
  const srows = await rowsOf(shi.page, '#recall');
  const mine = Object.keys(recall).filter((m) => recall[m].startsWith(scity));
  assert(srows.length > 0 && srows.map((r) => r[3]).sort().join() === mine.sort().join(), `city liaison: the recall list of its city ${scity} alone (${srows.length})`);
  assert((await rowsOf(shi.page, '#members')).every((r) => r[0].startsWith(scity)), 'city liaison: only its city\'s members');
  csv = await downloads(shi.page, shi.context, 'city liaison attendance');
  for (const m of Object.keys(recall)) if (!recall[m].startsWith(scity)) assert(!csv.includes(`"${m}"`), `city liaison: the download leaves out ${m}`);
  await refused(shi, 'bulletin', 'city liaison');
  await refused(shi, 'schedule', 'city liaison');

  // ---------------------------------------------------------------- other roles: refused
  const zhao = await signIn('zhao');
  const zids = await navIds(zhao.page);
  assert(!['schedule', 'postexit', 'attendance', 'bulletin'].some((id) => zids.includes(id)), `evaluator: none of these pages offered (${zids.join()})`);
  for (const id of ['schedule', 'postexit', 'attendance?month=2019-11', 'bulletin']) await refused(zhao, id, 'evaluator');
  status = 0;
} catch (e) {
  console.error(String(e.stack || e));
} finally {
  fs.writeFileSync(`${dir}/out.json`, JSON.stringify(out, null, 1));
  await browser.close();
}
console.log(`${status ? 'FAILED' : 'ok'}: ${out.checked.length} assertions; ${out.refusals} refusals`);
process.exit(status);
