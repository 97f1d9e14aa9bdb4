// The `haven audit --format html` report in headless Debian Chromium, opened from disk with
// every network request blocked: it renders (totals equal the JSON summary, three charts
// with bars), fetches nothing, and a screenshot is written for a look by eye.
//   HAVEN_REPORT=report.html HAVEN_REPORT_JSON=report.json node --test audit-report.e2e.mjs
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const REPORT = resolve(process.env.HAVEN_REPORT ?? "report.html");
const SUMMARY = JSON.parse(readFileSync(process.env.HAVEN_REPORT_JSON ?? "report.json", "utf8")).summary;
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const OUT = process.env.HAVEN_TEST_OUTPUT ?? resolve("test-output");
mkdirSync(OUT, { recursive: true });

let profile;
let context;
let page;
const requests = [];
const consoleErrors = [];

before(async () => {
  profile = mkdtempSync(join(tmpdir(), "haven-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
  // Offline: anything but the report file itself is recorded and refused.
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith("file:") || url.startsWith("data:")) return route.continue();
    requests.push(url);
    return route.abort();
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  await page.goto(pathToFileURL(REPORT).href);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 60_000 });
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

test("the totals on the page are the summary's", async () => {
  const n = async (id) => Number(await page.textContent(`#${id}`));
  assert.equal(await n("n-records"), SUMMARY.records);
  assert.equal(await n("n-required"), SUMMARY.totals.required);
  assert.equal(await n("n-late"), SUMMARY.totals.late);
  assert.equal(await n("n-not-done"), SUMMARY.totals.not_done);
  assert.equal(await n("n-forbidden"), SUMMARY.totals.forbidden);
  assert.equal(await n("n-judged"), SUMMARY.totals.judged);
});

test("three charts are drawn, each with bars and a visible size", async () => {
  for (const id of ["chart-month", "chart-rule", "chart-category"]) {
    const bars = await page.$$eval(`#${id} svg rect`, (rs) => rs.filter((r) => Number(r.getAttribute("width")) > 0).length);
    assert.ok(bars > 4, `${id}: ${bars} bars`);
    const box = await page.$eval(`#${id} svg`, (s) => s.getBoundingClientRect().toJSON());
    assert.ok(box.width > 300 && box.height > 50, `${id}: ${JSON.stringify(box)}`);
  }
  // One month row per month in the summary.
  const months = await page.$$eval("#chart-month svg text.lbl", (ts) => ts.map((t) => t.textContent));
  for (const month of Object.keys(SUMMARY.by_month)) assert.ok(months.includes(month), month);
});

test("nothing was fetched and nothing failed", async () => {
  assert.deepEqual(requests, []);
  assert.deepEqual(consoleErrors, []);
});

test("screenshot", async () => {
  await page.screenshot({ path: join(OUT, "audit-report.png"), fullPage: false });
  await page.locator("#chart-rule").screenshot({ path: join(OUT, "audit-report-rules.png") });
});
