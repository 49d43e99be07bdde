// entry-edit.mjs — the browser correction of a rejected questionnaire (issue 12, DESIGN §10) in
// a real browser against a running `pinggu serve`: playwright-core drives Debian's chromium
// with the evaluator's session cookie to the entry page pinggu serves (/entry/ROUND/entry.html,
// web/dist), which loads the field-app XForm and the stored instance (ODK Web Forms in edit
// mode), changes one answer found by its Chinese label, and presses Send: the page posts the
// new version (deprecatedID) to /entry/ROUND/submission with the CSRF token.
//
//   node entry-edit.mjs BASE ROUND FORM_ID INSTANCE_ID COOKIE CSRF LABEL VALUE
//
// Exit 1 on a console error, a missing control or no accepted submission.
import { chromium } from '../../web/node_modules/playwright-core/index.mjs';

const [base, round, formId, instanceId, cookie, csrf, label, value] = process.argv.slice(2);
const errors = [];
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
let status = 1;
try {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
  await ctx.addCookies([{ name: 'pinggu_session', value: cookie, url: base }]);
  const page = await ctx.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  // the map of a location question asks OpenStreetMap for tiles: the server's CSP refuses every
  // outside address (no questionnaire data leaves the site), so those refusals are expected
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().includes('https://tile.openstreetmap.org/')) errors.push(m.text());
  });
  page.on('response', (x) => { if (x.status() >= 400) errors.push(`${x.status()} ${x.url().replace(/key\/[0-9a-f]+/, 'key/[token]')}`); });
  const r = `/entry/${round}`;
  const q = new URLSearchParams({ form: `${r}/forms/${formId}`, instance: `${r}/instances/${instanceId}`, submit: `${r}/submission`, csrf });
  await page.goto(`${base}${r}/entry.html?${q}`);
  const field = page.getByRole('textbox', { name: label }).first(); // the unit list's labels quote comments: radios, not text boxes
  await field.waitFor({ timeout: 60000 });
  const before = await field.inputValue();
  await field.fill(value);
  await page.getByRole('button', { name: /Send|Update|提交/ }).click();
  await page.waitForFunction(() => document.getElementById('status').textContent.includes('已提交'), null, { timeout: 30000 });
  if (errors.length) throw new Error(`console errors:\n${errors.join('\n')}`);
  console.log(`corrected '${before}' -> '${value}'`);
  status = 0;
} catch (err) {
  console.log(String(err));
  console.log(`page errors:\n${errors.join('\n')}`);
} finally {
  await browser.close();
}
process.exit(status);
