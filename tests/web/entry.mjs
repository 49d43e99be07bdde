// entry.mjs — the browser questionnaire in a real browser (issue 12): playwright-core drives
// Debian's chromium (no browser download) through web/dist/entry.html, which renders an XForm
// pinggu wrote with ODK Web Forms; the test fills it as an evaluator would (labels in
// Chinese), presses Send, and writes the instance the page posted (OpenRosa multipart) to OUT.
//
//   node entry.mjs FORM.xml OUT.xml
//
// Exit 1 on a console error, a missing control or no submission.
import { chromium } from '../../web/node_modules/playwright-core/index.mjs';
import fs from 'node:fs';
import { startStatic } from './serve-static.mjs';

const [formPath, outPath] = process.argv.slice(2);
const dist = new URL('../../web/dist', import.meta.url).pathname;
const { server, port, received } = await startStatic(dist, fs.readFileSync(formPath, 'utf8'));
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
let status = 1;
try {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 } }); // a phone's width
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('response', (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`); });
  await page.goto(`http://127.0.0.1:${port}/entry.html?form=/forms/form.xml&submit=/submit&csrf=test-token`);
  // an evaluator's answers, found by their Chinese labels
  await page.getByLabel('乡(镇)').fill('城关镇');
  await page.getByLabel('村', { exact: true }).fill('东风村');
  await page.getByRole('checkbox', { name: '村支书' }).check();
  await page.getByRole('checkbox', { name: '驻村第一书记' }).check();
  await page.getByLabel('访谈人').fill('评估员甲');
  // the date picker: open its calendar and take the 1st of the month shown
  await page.locator('.p-datepicker-input').click();
  await page.locator('.p-datepicker-day-view td:not(.p-datepicker-other-month) span', { hasText: /^1$/ }).first().click();
  for (const [label, answer] of [['1. 请介绍', '全村基本情况'], ['2. 请谈谈', '防疫与脱贫统筹'], ['3. 您村2020年', '产业项目'], ['4. 谈谈您村', '薄弱环节']])
    await page.getByLabel(label).fill(answer);
  await page.getByRole('button', { name: 'Send' }).click();
  await page.waitForFunction(() => document.getElementById('status').textContent.includes('已提交'), null, { timeout: 15000 });
  if (!received.length || !received[0].xml) throw new Error('nothing was posted');
  if (received[0].headers['x-openrosa-version'] !== '1.0' || received[0].headers['x-csrf-token'] !== 'test-token')
    throw new Error(`headers: ${JSON.stringify(received[0].headers)}`);
  fs.writeFileSync(outPath, received[0].xml);
  if (errors.length) throw new Error(`console errors:\n${errors.join('\n')}`);
  console.log(`submitted ${received[0].xml.length} bytes: parts ${received[0].names.join(' ')}`);
  status = 0;
} catch (err) {
  console.log(String(err));
} finally {
  await browser.close();
  server.close();
}
process.exit(status);
