// Drives Debian's Chromium with playwright-core (test_browser.py runs it):
//   node browser.mjs scenarios URL          the client library's scenarios in the page at URL
//   node browser.mjs dashboard URL SHOTS    the dashboard: start the scraper, follow its log and
//                                           the pipeline's data, stop it; screenshots into SHOTS
//   node browser.mjs auth URL TOKEN         the dashboard behind auth: it asks for a token, then
//                                           connects with TOKEN
// Prints one JSON line of results; exits non-zero when something did not hold.
import { chromium } from "playwright-core";

const [mode, url, extra] = process.argv.slice(2);
const shots = mode === "dashboard" ? extra : null;
const PATIENCE = 30000;  // only to avoid hanging

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
const page = await browser.newPage({ viewport: { width: 1360, height: 1000 } });
const pageErrors = [];
page.on("pageerror", (error) => pageErrors.push(String(error)));

async function textOf(selector) {
  return page.locator(selector).first().textContent({ timeout: PATIENCE });
}

async function waitForText(selector, text) {
  await page.waitForFunction(([s, t]) => document.querySelector(s)?.textContent.includes(t), [selector, text],
    { timeout: PATIENCE });
}

async function serviceState(name) {
  return textOf(`tr[data-service="${name}"] .state`);
}

async function waitForState(name, state) {
  await page.waitForFunction(([n, s]) =>
    document.querySelector(`tr[data-service="${n}"] .state`)?.textContent === s, [name, state], { timeout: PATIENCE });
}

let result;
try {
  if (mode === "scenarios") {
    await page.goto(url);
    await page.waitForFunction(() => window.scenarioResults, null, { timeout: PATIENCE * 4 });
    result = { scenarios: await page.evaluate(() => window.scenarioResults) };
  } else if (mode === "auth") {
    const steps = [];
    await page.goto(url);
    await page.waitForSelector("#token-form:not([hidden])", { timeout: PATIENCE });
    steps.push(["before", await textOf("#notice")]);
    await page.fill("#token", extra);
    await page.click('#token-form button[type="submit"]');
    await page.waitForSelector('tr[data-service="ticker"]', { timeout: PATIENCE });
    steps.push(["after", await textOf("#connection")]);
    steps.push(["notice hidden", await page.locator("#notice").isHidden()]);
    result = { steps };
  } else {
    const steps = [];
    await page.goto(url);
    await page.waitForSelector('tr[data-service="scraper"]', { timeout: PATIENCE });
    steps.push(["connected", await textOf("#connection")]);
    steps.push(["scraper before", await serviceState("scraper")]);
    await page.click('button[data-action="start"][data-service="scraper"]');
    await waitForText("#log", '"page":1');
    steps.push(["log line", true]);
    await waitForText("#log", '"page":4');
    // The pipeline: the scraper exits, summarize runs, its file is watched into a topic.
    await waitForText('#files pre[data-topic="services.summary"]', '"count": 4');
    steps.push(["pipeline data", (await textOf('#files pre[data-topic="services.summary"]')).includes("changed")]);
    await waitForState("scraper", "exited");
    await page.waitForFunction(() => Number(document.querySelector('dd[data-stat="connections"]')?.textContent) >= 1,
      null, { timeout: PATIENCE });
    await page.screenshot({ path: `${shots}/dashboard-pipeline.png`, fullPage: true });
    // Started again, then stopped while it runs.
    await page.click('button[data-action="start"][data-service="scraper"]');
    await waitForState("scraper", "running");
    await page.click('button[data-action="stop"][data-service="scraper"]');
    await waitForState("scraper", "stopped");
    await waitForText("#log", '"stopped":true');
    steps.push(["stopped", await serviceState("scraper")]);
    await page.screenshot({ path: `${shots}/dashboard-stopped.png`, fullPage: true });
    await page.waitForSelector('#topics tr[data-topic="services.scraper.log"]', { timeout: PATIENCE });
    steps.push(["topics listed", true]);
    result = { steps };
  }
} catch (error) {
  result = { error: String(error.stack || error) };
  if (shots) await page.screenshot({ path: `${shots}/dashboard-failure.png`, fullPage: true }).catch(() => {});
}
result.pageErrors = pageErrors;
await browser.close();
console.log(JSON.stringify(result));
process.exit(result.error || pageErrors.length ? 1 : 0);
