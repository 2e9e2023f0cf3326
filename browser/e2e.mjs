// The settings page end to end, in Debian's Chromium driven by playwright-core, against a running
// herald-local and the recording receiver. local/tests/browser.rs starts both and runs this with:
//   HERALD_URL        herald-local's base URL
//   HERALD_TOKEN      its admin token
//   RECEIVER_URL      where the Discord target delivers (the recording receiver)
//   CONTROL_URL       POST /fail, POST /ok (the receiver's answers), GET /delivered (2xx count)
//   SCREENSHOTS       optional: a folder for targets.png, target-form.png and activity.png (the README's)
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this through local/tests/browser.rs`);
  return value;
};
const base = env('HERALD_URL');
const adminToken = env('HERALD_TOKEN');
const receiver = env('RECEIVER_URL');
const control = env('CONTROL_URL');
const shots = process.env.SCREENSHOTS;

const started = Date.now();
const step = (what) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${what}`);
// axe-core, evaluated in the page through the DevTools protocol (the page's CSP would refuse it as a
// script tag); every rule axe runs by default, WCAG 2.x A and AA and its best practices.
const axeSource = readFileSync(new URL('./node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');
async function accessible(label) {
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) await page.evaluate(axeSource);
  const { violations } = await page.evaluate(() => window.axe.run(document));
  const found = violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  check(found.length === 0, `axe finds nothing in ${label}: ${found.join('; ')}`);
  step(`  axe: nothing in ${label}`);
}
function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--no-first-run', '--disable-sync', '--disable-quic'],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
const page = await context.newPage();
page.setDefaultTimeout(15000);
const problems = [];
// Refused API calls show as console errors too; those are checked as answers, below.
page.on('console', (m) => {
  if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
});
const refusals = [];
page.on('response', (r) => { if (r.status() >= 400) refusals.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`); });
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
const visited = [];
page.on('request', (r) => visited.push(r.url()));

try {
  step('a wrong token is refused');
  await page.goto(`${base}/admin/`);
  await page.fill('#token', 'not-the-admin-token-at-all');
  await page.click('#sign-in button[type=submit]');
  await page.locator('#sign-in .error').filter({ hasText: 'refused' }).waitFor();
  check(await page.locator('#nav').isHidden(), 'nothing is shown without the token');
  check(refusals.length === 1 && refusals[0] === '401 GET /admin/catalog', `one refusal: ${refusals}`);
  refusals.length = 0;

  step('sign in');
  await page.fill('#token', adminToken);
  await page.click('#sign-in button[type=submit]');
  await page.getByRole('heading', { name: 'Targets' }).waitFor();
  check(await page.evaluate(() => sessionStorage.getItem('herald-admin-token')) === adminToken, 'the token is in session storage');

  step('add an Ombi source and read its URL and token');
  await page.click('nav button[data-view=sources]');
  await page.fill('#add-source input[name=id]', 'ombi');
  await page.selectOption('#add-source select[name=kind]', 'ombi');
  await page.click('#add-source button[type=submit]');
  const hookUrl = await page.locator('#created-source [data-copy="Webhook URL"]').textContent();
  check(hookUrl === `${base}/hooks/ombi`, `the hook URL is herald-local's own, with its scheme: ${hookUrl}`);
  const sourceToken = await page.locator('#created-source [data-copy="Token"]').textContent();
  check(/^[0-9a-f]{64}$/.test(sourceToken), 'a token is shown once');
  await page.locator('#created-source ol.steps').filter({ hasText: 'Application Token' }).waitFor();
  await page.locator('#sources article[data-id=ombi]').waitFor();

  step('add a Discord target with event toggles, and see the preview');
  await page.click('nav button[data-view=targets]');
  await page.click('#add-target');
  // Before a name and URL, the preview already shows a request, with stand-ins it says it uses.
  await page.locator('#preview-stand-in').filter({ hasText: 'stand-in for a name and a URL' }).waitFor();
  await page.locator('#preview-request').filter({ hasText: 'https://receiver.example/hook' }).waitFor();
  const titleHelp = await page.getAttribute('#placeholders button:has-text("{{title}}")', 'title');
  check(titleHelp.includes('the movie, episode') && titleHelp.includes('e.g. '), `a placeholder says what it holds, with its sample value: ${titleHelp}`);
  await page.fill('#placeholder-filter', 'release year');
  check(await page.isVisible('#placeholders button:has-text("{{year}}")') && !(await page.isVisible('#placeholders button:has-text("{{title}}")')),
    'typing narrows the placeholders to those it describes');
  await page.fill('#placeholder-filter', '');
  await page.fill('#target-form input[name=name]', 'Discord');
  await page.fill('#target-form input[name=url]', `${receiver}/discord`);
  await page.selectOption('#target-form select[name=preset]', 'discord');
  check((await page.inputValue('#target-form textarea[name=body]')).includes('{{summary}}'), 'the preset fills the body');
  await page.uncheck('#all-events');
  check(await page.isChecked('[data-pattern="ombi:RequestAvailable"]'), 'a plain event is on by default');
  check(!(await page.isChecked('[data-pattern="kiosk:asset.new"]')), 'a chatty event is off by default');
  check(await page.isVisible('fieldset[data-kind=ombi]') && !(await page.isVisible('fieldset[data-kind=kiosk]')),
    'the senders with a source are open, the others behind one button');
  check((await page.textContent('fieldset[data-kind=ombi]')).includes('fires when a requested item is available'),
    'each event says when it fires');
  await page.click('#all-kinds');
  check(await page.isVisible('fieldset[data-kind=kiosk]'), 'Show every sender opens the others');
  await page.uncheck('[data-pattern="ombi:NewRequest"]');
  await page.locator('#preview-request').filter({ hasText: '"content"' }).waitFor();
  check((await page.textContent('#preview-request')).startsWith('POST http://127.0.0.1'), 'the preview shows the request line');
  step('a broken body is shown at its line and column');
  const body = await page.inputValue('#target-form textarea[name=body]');
  await page.fill('#target-form textarea[name=body]', '{\n  "content": {{title}} {{year}}\n}');
  await page.locator('#preview-error').filter({ hasText: /line 2, column \d+/ }).waitFor();
  await page.fill('#target-form textarea[name=body]', body);
  await page.locator('#preview-request').filter({ hasText: '"content"' }).waitFor();
  await page.click('#placeholders button:has-text("{{title}}")');
  check((await page.inputValue('#target-form textarea[name=body]')).includes('{{title}}'), 'a placeholder button inserts it');
  await page.fill('#target-form textarea[name=body]', body);
  await page.locator('#preview-request').filter({ hasText: '"content"' }).waitFor();
  await page.evaluate(() => window.scrollTo(0, 0));
  if (shots) await page.screenshot({ path: `${shots}/target-form.png` });
  await page.click('#target-form button[type=submit]');
  const card = page.locator('#targets article[data-name=Discord]');
  await card.waitFor();
  await card.locator('.badge.healthy').waitFor();

  check((await page.title()) === 'Targets · Herald', `the title says where you are: ${await page.title()}`);

  step('Test shows HTTP 204 and a time');
  await card.getByRole('button', { name: 'Test' }).click();
  const status = card.locator('.test-status');
  await status.filter({ hasText: /^HTTP 204 in \d+ ms$/ }).waitFor();

  step('the receiver fails: the badge turns to holding with the next attempt');
  await fetch(`${control}/fail`, { method: 'POST' });
  const hook = JSON.parse(readFileSync(new URL('../events/ingest-ombi-movie-request-available.json', import.meta.url)));
  const sent = await fetch(hookUrl, { method: 'POST', body: hook.body,
    headers: { 'content-type': 'application/json', 'access-token': sourceToken } });
  check(sent.status === 202, `the webhook is accepted: ${sent.status}`);
  await card.locator('.badge.holding').filter({ hasText: /holding until .+ · 1 failure/ }).waitFor({ timeout: 30000 });
  if (shots) await page.screenshot({ path: `${shots}/targets.png`, fullPage: true });

  step('Test after fixing it: healthy, and what was held goes out');
  await fetch(`${control}/ok`, { method: 'POST' });
  await card.getByRole('button', { name: 'Test' }).click();
  await status.filter({ hasText: /^HTTP 204 in \d+ ms$/ }).waitFor();
  await card.locator('.badge.healthy').waitFor({ timeout: 20000 });
  for (let i = 0; ; i++) {
    const { delivered } = await (await fetch(`${control}/delivered`)).json();
    if (delivered.some((b) => b.includes('Example Movie'))) break;
    check(i < 60, 'the held Ombi delivery reaches the receiver after recovery');
    await new Promise((r) => setTimeout(r, 500));
  }

  step('the Activity view follows the event to each attempt at Discord');
  await page.click('nav button[data-view=activity]');
  await page.fill('#activity-filters input[name=q]', 'example movie');
  const row = page.locator('#events li.event').first();
  await row.locator('.chip.delivered').waitFor({ timeout: 20000 });
  check(await page.locator('#events li.event').count() === 1, 'the search finds that one event');
  await row.locator('button.link').click();
  const delivery = page.locator('#event-detail .delivery').first();
  await delivery.waitFor();
  const attempts = delivery.locator('ol.attempts li');
  await attempts.filter({ hasText: 'HTTP 500' }).first().waitFor();
  await attempts.filter({ hasText: /delivered.*HTTP 204 · \d+ ms/ }).waitFor();
  check(await page.locator('#event-detail').filter({ hasText: 'the webhook-id the receiver saw' }).count() === 1,
    'the delivery id is shown as the webhook-id');
  const asSent = attempts.filter({ hasText: 'HTTP 500' }).first().locator('details.request');
  await asSent.locator('summary').click();
  const request = await asSent.locator('pre').innerText();
  check(/^POST http:\/\/127\.0\.0\.1\/…\n/.test(request) && request.includes('Example Movie'),
    `the failed attempt shows the request as sent: ${request.slice(0, 200)}`);
  if (shots) await page.screenshot({ path: `${shots}/activity.png`, fullPage: true });
  await page.fill('#activity-filters input[name=q]', 'no such title anywhere');
  await page.locator('#events li.help').waitFor();

  step('the target card shows its recent deliveries');
  await page.click('nav button[data-view=targets]');
  await card.locator('.recent .chip.delivered').first().waitFor();

  step('Pause keeps deliveries parked; Resume sends them');
  await card.getByRole('button', { name: 'Pause' }).click();
  await card.locator('.badge.paused').waitFor({ timeout: 20000 });
  const paused = JSON.parse(hook.body);
  paused.title = 'Paused Movie';
  const sentPaused = await fetch(hookUrl, { method: 'POST', body: JSON.stringify(paused),
    headers: { 'content-type': 'application/json', 'access-token': sourceToken } });
  check(sentPaused.status === 202, `the webhook is accepted while paused: ${sentPaused.status}`);
  await new Promise((r) => setTimeout(r, 3000));
  const whilePaused = (await (await fetch(`${control}/delivered`)).json()).delivered;
  check(!whilePaused.some((b) => b.includes('Paused Movie')), 'nothing reaches a paused target');
  await card.getByRole('button', { name: 'Resume' }).click();
  for (let i = 0; ; i++) {
    const { delivered } = await (await fetch(`${control}/delivered`)).json();
    if (delivered.some((b) => b.includes('Paused Movie'))) break;
    check(i < 60, 'the delivery parked while paused goes out on Resume');
    await new Promise((r) => setTimeout(r, 500));
  }
  await card.locator('.badge.healthy').waitFor({ timeout: 20000 });

  step('when Herald stops answering, the page says so');
  await page.route('**/admin/status', (route) => route.abort());
  await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
  await page.locator('#targets-notice .error').filter({ hasText: 'not answering' }).waitFor({ timeout: 20000 });
  await page.unroute('**/admin/status');
  await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
  await page.locator('#targets-notice .error').waitFor({ state: 'detached', timeout: 20000 });

  step('usable on a phone: nothing wider than the screen');
  await page.setViewportSize({ width: 390, height: 844 });
  for (const view of ['targets', 'activity', 'sources']) {
    await page.click(`nav button[data-view=${view}]`);
    await page.waitForLoadState('networkidle');
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    check(wide <= 390, `${view} fits a phone (${wide} px wide)`);
  }
  await page.click('nav button[data-view=targets]');
  await card.getByRole('button', { name: 'Edit' }).click();
  await page.locator('#target-form').waitFor();
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  check(wide <= 390, `the form fits a phone (${wide} px wide)`);
  const [previewTop, saveTop] = await page.evaluate(() => ['aside.preview', '#target-form button[type=submit]']
    .map((q) => document.querySelector(q).getBoundingClientRect().top));
  check(previewTop < saveTop, `on a phone the preview comes before Save (${previewTop} px, Save at ${saveTop} px)`);

  step('Test with the sample the preview shows (the editor the phone step opened)');
  await page.locator('#target-form').waitFor();
  await page.getByRole('button', { name: 'Test with this sample' }).click();
  await page.locator('#preview-test .test-status').filter({ hasText: /^HTTP 204 in \d+ ms$/ }).waitFor();
  const { delivered: afterTest } = await (await fetch(`${control}/delivered`)).json();
  check(afterTest.at(-1).includes('Example Movie') && !afterTest.at(-1).includes('Fight Club'),
    `the Test sends the preview's Ombi sample, not a generic one: ${afterTest.at(-1)}`);
  await page.getByRole('button', { name: 'Cancel' }).click();
  await card.locator('.badge.healthy').waitFor({ timeout: 20000 });

  step('the editor has an address, and Back leaves it (asking first when there are edits)');
  await card.getByRole('button', { name: 'Edit' }).click();
  await page.locator('#target-form').waitFor();
  check(/^#targets\/edit\/.+/.test(await page.evaluate(() => location.hash)), `the editor's address: ${await page.evaluate(() => location.hash)}`);
  await page.fill('#target-form input[name=name]', 'Discord (edited, not saved)');
  let asked = '';
  page.once('dialog', (d) => { asked = d.message(); d.dismiss(); });
  await page.goBack();
  await page.waitForTimeout(300);
  check(asked.includes('Leave without saving') && await page.locator('#target-form').isVisible(), 'Back with edits asks, and staying keeps them');
  page.once('dialog', (d) => d.accept());
  await page.goBack();
  await card.waitFor();
  check(await page.evaluate(() => location.hash) === '#targets', 'Back leaves the editor for the list');

  step('a source gets a new credential, the old one overlapping');
  await page.click('nav button[data-view=sources]');
  page.once('dialog', (d) => d.accept());
  await page.locator('article.source').first().getByRole('button', { name: 'New credential' }).click();
  await page.locator('#created-source').filter({ hasText: 'accepted until' }).waitFor();
  const rotated = await page.textContent('#created-source .secret');
  check(rotated && rotated !== sourceToken, 'a new token, shown once');
  const oldStill = await fetch(hookUrl, { method: 'POST', body: JSON.stringify({ ...JSON.parse(hook.body), title: 'Overlap Movie' }),
    headers: { 'content-type': 'application/json', 'access-token': sourceToken } });
  check(oldStill.status === 202, `the old token still works during the overlap: ${oldStill.status}`);

  step("a source's settings are edited in the page");
  const sourceCard = page.locator('article.source').first();
  await sourceCard.getByRole('button', { name: 'Settings' }).click();
  await sourceCard.locator('input[name=summary]').fill('Ombi says: {{event}}');
  await sourceCard.getByRole('button', { name: 'Save settings' }).click();
  for (let i = 0; ; i++) {
    const listed = await (await fetch(`${base}/admin/sources`, { headers: { authorization: `Bearer ${adminToken}` } })).json();
    if (listed.some((src) => src.summary === 'Ombi says: {{event}}')) break;
    check(i < 40, 'the summary template is saved through PATCH');
    await new Promise((r) => setTimeout(r, 250));
  }

  step("a target's signing secret is replaced, and its receiver verifies either during the overlap");
  const oldSecret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const made = await fetch(`${base}/admin/targets`, { method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ id: 'signed', name: 'Signed script', url: `${receiver}/signed`, secret: oldSecret }) });
  check(made.status === 201, `a signed target: ${made.status}`);
  await page.goto(`${base}/admin#targets/edit/signed`);
  await page.locator('#target-form').waitFor();
  let rotateAsked = '';
  page.once('dialog', (d) => { rotateAsked = d.message(); d.accept(); });
  await page.getByRole('button', { name: 'New secret' }).click();
  await page.locator('.rotation').filter({ hasText: 'either verifies it' }).waitFor();
  check(rotateAsked.includes('both signatures'), `it says what the overlap does before doing it: ${rotateAsked}`);
  const newSecret = await page.textContent('.rotation .secret');
  check(newSecret.startsWith('whsec_') && newSecret !== oldSecret, 'the new secret, shown once');
  await page.getByRole('button', { name: 'Test with this sample' }).click();
  await page.locator('#preview-test .test-status').filter({ hasText: /^HTTP 204 in \d+ ms$/ }).waitFor();
  for (const [name, secret] of [['the old', oldSecret], ['the new', newSecret]]) {
    const verdict = await (await fetch(`${control}/verify?path=/signed&secret=${encodeURIComponent(secret)}`)).json();
    check(verdict.verified && verdict.signatures === 2, `a receiver with ${name} secret verifies the Test: ${JSON.stringify(verdict)}`);
  }
  await page.fill('#target-form input[name=name]', 'Signed script (renamed)');
  await page.click('#target-form button[type=submit]');
  await page.locator('article.card[data-id=signed]').waitFor();
  const kept = await (await fetch(`${base}/admin/targets/signed`, { headers: { authorization: `Bearer ${adminToken}` } })).json();
  check(kept.name === 'Signed script (renamed)' && kept.previous_secret?.until, 'a save after the rotation keeps it and its overlap');

  step('one status call per refresh for every target, none while the tab is hidden');
  await page.click('nav button[data-view=targets]');
  await page.locator('article.card[data-id=signed]').waitFor();
  const statusCalls = async (seconds) => {
    let calls = 0;
    const count = (r) => { if (new URL(r.url()).pathname.startsWith('/admin/') && r.url().includes('status')) calls += 1; };
    page.on('request', count);
    await page.waitForTimeout(seconds * 1000);
    page.off('request', count);
    return calls;
  };
  const targetCount = await page.locator('article.card.target').count();
  const visibleCalls = await statusCalls(31);
  check(visibleCalls >= 1 && visibleCalls <= 3,
    `visible, ${targetCount} targets: ${visibleCalls} status calls in 31 s (about ${Math.round(visibleCalls * 3600 / 31)} an hour), not one per target`);
  await page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  const hiddenCalls = await statusCalls(31);
  check(hiddenCalls === 0, `hidden: ${hiddenCalls} status calls in 31 s`);
  await page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  step(`  ${visibleCalls} calls in 31 s visible, ${hiddenCalls} hidden, with ${targetCount} targets`);

  step('axe finds no violation in any view, light or dark, desktop or phone');
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      for (const view of ['targets', 'activity', 'sources', 'dead-letters', 'targets']) {
        await page.click(`nav button[data-view=${view}]`);
        await page.waitForFunction((v) => location.hash === `#${v}`, view);
        await page.waitForLoadState('networkidle');
        await page.locator('#view h1').first().waitFor();
        await accessible(`${view}, ${scheme}, ${width} px`);
      }
      await card.getByRole('button', { name: 'Edit' }).click();
      await page.locator('#preview-request').filter({ hasText: 'POST' }).waitFor();
      await accessible(`the editor, ${scheme}, ${width} px`);
      if (shots) await page.screenshot({ path: `${shots}/editor-${scheme}-${width}.png` });
      await page.getByRole('button', { name: 'Cancel' }).click();
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 1280, height: 900 });

  step('sign out forgets the token');
  await page.click('#sign-out');
  await page.locator('#sign-in').waitFor();
  check(await page.evaluate(() => sessionStorage.getItem('herald-admin-token')) === null, 'the token is gone');

  check(!visited.some((u) => u.includes(adminToken) || u.includes(sourceToken)), 'no token in any URL');
  check(visited.every((u) => u.startsWith(base) || u.startsWith('data:')), `nothing loaded from elsewhere: ${visited.filter((u) => !u.startsWith(base))}`);
  check(problems.length === 0, `no console errors or CSP violations: ${problems.join('; ')}`);
  // The broken body's previews, and nothing else: no 401 once signed in.
  check(refusals.every((r) => r === '422 POST /admin/preview'), `only the broken body was refused: ${refusals}`);
  step('the page works');
} catch (e) {
  console.error(e.stack || String(e));
  if (shots) await page.screenshot({ path: `${shots}/failure.png`, fullPage: true }).catch(() => {});
  console.error(`page text at failure:\n${(await page.locator('body').innerText().catch(() => '')).slice(0, 3000)}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
