// entry.mjs — a new questionnaire in a real browser against a running `pinggu serve` (issue 12:
// browser entry with ODK Web Forms): playwright-core drives Debian's chromium (no browser
// download), signed in with the evaluator's session cookie, to the entry page pinggu serves
// (/entry/ROUND/entry.html, web/dist), which renders the field-app XForm of FORM_ID
// (/entry/ROUND/forms/FORM_ID, its units from /entry/ROUND/forms/FORM_ID/units.csv). The test
// fills it as an evaluator would (labels in Chinese, at a phone's width): the unit from the
// pair's list, the visit status, then every answer; presses Send, and the page posts the
// OpenRosa multipart instance to /entry/ROUND/submission with the CSRF token. pinggu checks and
// stores it like any submission; the caller reads the store.
//
//   node entry.mjs BASE ROUND FORM_ID UNIT COOKIE CSRF
//
// Prints "submitted: HTTP STATUS CONTENT-TYPE" (the multipart body itself is a blob chromium
// does not show; pinggu refuses one without xml_submission_file). Exit 1 on a console error, a missing control or
// no answer 201 from pinggu.
import { chromium } from '../../web/node_modules/playwright-core/index.mjs';

const [base, round, formId, unit, cookie, csrf] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
let status = 1;
const errors = [];
try {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } }); // a phone's width
  await ctx.addCookies([{ name: 'pinggu_session', value: cookie, url: base }]);
  const page = await ctx.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('response', (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`); });
  const r = `/entry/${round}`;
  const q = new URLSearchParams({ form: `${r}/forms/${formId}`, submit: `${r}/submission`, csrf });
  await page.goto(`${base}${r}/entry.html?${q}`);
  // the visit: the village from the pair's unit list (units.csv), reached
  const choice = page.getByRole('radio', { name: unit });
  await choice.waitFor({ timeout: 60000 });
  await choice.check();
  await page.getByRole('radio', { name: '完成 / complete' }).check();
  // an evaluator's answers, found by their Chinese labels
  await page.getByLabel('乡(镇)').fill('城关镇');
  await page.getByLabel('村', { exact: true }).fill('东风村');
  await page.getByRole('checkbox', { name: '村支书' }).check();
  await page.getByRole('checkbox', { name: '驻村第一书记' }).check();
  await page.getByLabel('访谈人').fill('评估员甲');
  // the date picker: open its calendar and take the 1st of the month shown. Under load the
  // calendar (PrimeVue's, inside ODK Web Forms) now and then drops the pick, as CI once saw: the
  // field stays empty and the engine, rightly, refuses to send a required question unanswered.
  // An evaluator who sees the empty field picks again; so does the test, at most three times,
  // and says so.
  const dateInput = page.locator('.p-datepicker-input');
  for (let pick = 1; ; pick++) {
    await dateInput.click();
    await page.locator('.p-datepicker-day-view td:not(.p-datepicker-other-month) span', { hasText: /^1$/ }).first().click();
    const shown = await page.waitForFunction((el) => el.value !== '', await dateInput.elementHandle(), { timeout: 3000 })
      .then(() => true, () => false);
    if (shown) break;
    if (pick === 3) throw new Error('the calendar took no date in three picks');
    console.log(`the calendar dropped pick ${pick}; picking again`);
    await page.keyboard.press('Escape');
  }
  for (const [label, answer] of [['1. 请介绍', '全村基本情况'], ['2. 请谈谈', '防疫与脱贫统筹'], ['3. 您村2020年', '产业项目'], ['4. 谈谈您村', '薄弱环节']])
    await page.getByLabel(label).fill(answer);
  // what the page posts, and what pinggu answers
  const posted = page.waitForRequest((x) => x.method() === 'POST' && x.url().endsWith(`${r}/submission`));
  const answered = page.waitForResponse((x) => x.request().method() === 'POST' && x.url().endsWith(`${r}/submission`), { timeout: 30000 });
  for (const p of [posted, answered]) p.catch(() => {}); // awaited below unless the form refuses to send
  await page.getByRole('button', { name: 'Send' }).click();
  // the engine refuses to post a form with a violation and shows a banner instead: say which
  // question it holds against the answers, not only that no request came
  const refused = page.locator('.form-error-message').waitFor({ timeout: 30000 }).then(() => 'refused', () => 'no banner');
  if (await Promise.race([posted.then(() => 'posted'), refused]) === 'refused') {
    const why = await page.locator('.validation-message').evaluateAll((ms) => ms.filter((m) => m.innerText.trim()).map((m) => {
      let q = m.parentElement; // the smallest block holding more than the message: its question
      while (q.parentElement && q.innerText.trim() === m.innerText.trim()) q = q.parentElement;
      return `  ${q.innerText.replace(/\s+/g, ' ').slice(0, 160)}`;
    }));
    const date = await page.locator('.p-datepicker-input').inputValue();
    throw new Error(`the form refused to send: ${await page.locator('.form-error-message').innerText()}\n${why.join('\n')}\n  (the date field shows "${date}")`);
  }
  const req = await posted;
  const res = await answered;
  const h = req.headers();
  if (h['x-openrosa-version'] !== '1.0' || h['x-csrf-token'] !== csrf) throw new Error(`headers: ${JSON.stringify(h)}`);
  if (res.status() !== 201) throw new Error(`pinggu answered ${res.status()}: ${await res.text()}`);
  await page.waitForFunction(() => document.getElementById('status').textContent.includes('已提交'), null, { timeout: 15000 });
  if (errors.length) throw new Error(`console errors:\n${errors.join('\n')}`);
  console.log(`submitted: HTTP ${res.status()} ${h['content-type'].split(';')[0]}`);
  status = 0;
} catch (err) {
  console.log(String(err));
  if (errors.length) console.log(`page errors:\n${errors.join('\n')}`);
} finally {
  await browser.close();
}
process.exit(status);
