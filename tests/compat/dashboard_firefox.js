// The dashboard in Firefox (Debian's firefox-esr), driven by puppeteer-core over WebDriver BiDi.
// Run: NODE_PATH=.../node_modules node dashboard_firefox.js FIREFOX BASE_URL
// The server (tests/test_dashboard_firefox.py starts it) has a stub named with an XSS payload on /x.
// Prints "PASS name" or "FAIL name<TAB>why" per check, then the console messages; exits 1 if any failed.
'use strict';
const puppeteer = require('puppeteer-core');

const [firefox, base] = process.argv.slice(2);
const XSS = '<img src=x onerror="window.__pwned=1">';
let passed = 0;
let failed = 0;

async function check(name, body) {
  try {
    await body();
    passed++;
    console.log(`PASS ${name}`);
  } catch (error) {
    failed++;
    console.log(`FAIL ${name}\t${String(error).replace(/\s+/g, ' ')}`);
  }
}

async function text(page, selector) {
  return page.$eval(selector, (node) => node.textContent.trim());
}

// until fn() is true (10 s): the live log and the views update asynchronously
async function until(what, fn) {
  const deadline = Date.now() + 10000;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (last === true) return;
    } catch (error) {
      last = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what}: not so within 10 s (last: ${last})`);
}

async function main() {
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: firefox,
    headless: true,
    protocol: 'webDriverBiDi',
    // the window's size, not an emulated viewport: ESR 140 lacks the BiDi command puppeteer emulates with
    defaultViewport: null,
    args: ['--width=1280', '--height=800'],
  });
  const messages = [];
  try {
    const page = await browser.newPage();
    page.on('console', (message) => messages.push(`${message.type()}: ${message.text()}`));
    page.on('pageerror', (error) => messages.push(`pageerror: ${error.message}`));

    await check('the page loads and goes live', async () => {
      await page.goto(`${base}/__admin/ui`);
      await until('#live says live', async () => (await text(page, '#live')) === 'live');
    });
    await check('a stub created in the editor is served', async () => {
      await page.click('nav button[data-view=stubs]');
      await page.click('#new-stub');
      const mapping = { name: 'hello', request: { method: 'GET', urlPath: '/hello' }, response: { body: 'hi' } };
      await page.$eval('#editor-text', (node, value) => { node.value = value; }, JSON.stringify(mapping));
      await page.click('#editor-save');
      await until('Saved.', async () => (await text(page, '#editor-errors')) === 'Saved.');
      const answer = await fetch(`${base}/hello`);
      if ((await answer.text()) !== 'hi') throw new Error('the stub does not answer');
    });
    await check('editor errors name the field', async () => {
      await page.click('#new-stub');
      const wrong = { request: { method: 'GET', urlPath: '/y' }, response: { status: 'many' } };
      await page.$eval('#editor-text', (node, value) => { node.value = value; }, JSON.stringify(wrong));
      await page.click('#editor-save');
      await until('the pointer', async () => (await text(page, '#editor-errors li code')) === '/response/status');
      await page.click('#editor-close');
    });
    await check('requests arrive live with the stub that answered', async () => {
      await page.click('nav button[data-view=requests]');
      await fetch(`${base}/hello`);
      await until('/hello at the top', async () => (await text(page, '#requests li .url')) === '/hello');
      if ((await text(page, '#requests li .stub')) !== 'hello') throw new Error('no stub named');
    });
    await check('an unmatched request shows the near-miss diff', async () => {
      await fetch(`${base}/helo`);
      await until('a miss at the top', async () => (await text(page, '#requests li .stub')) === 'no stub matched');
      await page.click('#requests li .row');
      await until('the diff names /hello', async () => (await text(page, '#requests li .diff')).includes('/hello'));
    });
    await check('attacker-chosen strings stay text', async () => {
      await fetch(`${base}/x`, { method: 'POST', body: XSS, headers: { 'X-Evil': XSS } });
      await until('the request', async () => (await text(page, '#requests li .url')) === '/x');
      await page.click('#requests li .row');
      await until('the body as text', async () => (await text(page, '#requests li .req-body')) === XSS);
      await page.click('nav button[data-view=stubs]');
      await until('the stub name as text', async () => (await page.$$eval('#stubs .name', (n) => n.map((x) => x.textContent))).includes(XSS));
      if ((await page.$$('main img')).length !== 0) throw new Error('an <img> was made from a string');
      if ((await page.evaluate(() => window.__pwned)) !== undefined) throw new Error('the payload ran');
    });
    // Content-Security-Policy violations are not checked here: Firefox does not report them to a BiDi
    // client (a page with an inline script under script-src 'self' logs nothing), and a listener for the
    // page's securitypolicyviolation events, added as a preload script, makes page errors of its own under
    // Firefox's sandboxing. The policy is checked in Chromium (tests/test_dashboard.py).
    await check('no console errors, no page errors', async () => {
      const bad = messages.filter((m) => m.startsWith('error') || m.startsWith('pageerror'));
      if (bad.length) throw new Error(bad.join(' | '));
    });
  } finally {
    await browser.close();
  }
  for (const message of messages) console.log(`CONSOLE ${message.replace(/\s+/g, ' ')}`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((error) => {
  console.log(`FAIL launch\t${String(error).replace(/\s+/g, ' ')}`);
  process.exit(1);
});
