// End-to-end test of the playground in headless Debian Chromium, driven by playwright-core
// (never a browser download). run-tests.sh serves playground/ and sets HAVEN_PLAYGROUND_URL.
//   HAVEN_PLAYGROUND_URL=http://127.0.0.1:8765/ node --test test/e2e/
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const { POLICY_ID } = require("../support/fixtures.cjs");
/** The two policies the diff view compares (fast enough for a default run). */
const DIFF_OLD = process.env.HAVEN_DIFF_OLD ?? "baseline";
const DIFF_NEW = process.env.HAVEN_DIFF_NEW ?? "example";
/** A pair whose diff searches for seconds (about 8.5 s in Node), long enough to act while it runs. */
const SLOW_OLD = process.env.HAVEN_DIFF_SLOW_OLD ?? "kingsbury_2019";
const SLOW_NEW = process.env.HAVEN_DIFF_SLOW_NEW ?? "kenilworth_2022";

const URL_ = process.env.HAVEN_PLAYGROUND_URL ?? "http://127.0.0.1:8765/";
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const OUT = process.env.HAVEN_TEST_OUTPUT ?? fileURLToPath(new URL("../../test-output/", import.meta.url));
mkdirSync(OUT, { recursive: true });

let profile;
let context;
let page;
const consoleErrors = [];

before(async () => {
  profile = mkdtempSync(join(tmpdir(), "haven-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1600, height: 1000 },
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on("console", (m) => m.type() === "error" && consoleErrors.push(`${m.text()} (${m.location().url || "no url"})`));
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  await page.goto(URL_);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 30_000 });
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/** The 1-based line of the first line containing `needle` in the editor. */
async function lineOf(needle) {
  return page.$eval("#policy-text", (ta, n) => ta.value.slice(0, ta.value.indexOf(n)).split("\n").length, needle);
}

test(`pick ${POLICY_ID}, enter a Year 6 phone-in-lesson incident, read the decision`, async () => {
  await page.selectOption("#policy-select", POLICY_ID);
  await page.waitForFunction((id) => document.querySelector("#policy-status")?.textContent?.includes(`${id}`) &&
    document.querySelector("#policy-status")?.classList.contains("ok"), POLICY_ID);

  // Start from nothing and fill the form as a person would (keyboard-reachable controls).
  await page.click('[data-preset="clear"]');
  await page.selectOption("#f-activity", "use");
  await page.selectOption("#f-actor-role", "pupil");
  await page.fill("#f-actor-year", "6");
  await page.selectOption("#f-device-kind", "phone");
  await page.selectOption("#f-device-owner", "personal");
  await page.selectOption("#f-location", "classroom");
  await page.selectOption("#f-time", "lesson");

  // The raw JSON follows the form.
  const json = JSON.parse(await page.inputValue("#incident-json"));
  assert.deepEqual(json, {
    activity: "use",
    actor: { role: "pupil", year_group: 6 },
    device: { kind: "phone", owner: "personal" },
    location: "classroom",
    time: "lesson",
  });

  await page.waitForSelector("#decision .permission");
  const permission = await page.textContent("#decision .permission");
  assert.match(permission, /Not allowed/);
  assert.match(permission, /must not use them for personal purposes within lesson time/);
  const must = await page.textContent("#decision .group.must");
  assert.match(must, /Must/);
  assert.match(must, /Store device\s*locker/);
  // Quoted once, in the permission; the action points back to it.
  assert.match(permission, /In lesson times all such devices must be switched off and placed in the locker\./);
  assert.match(must, /as cited above: .*Use of personal mobile devices/);
  assert.match(await page.textContent("#decision .summary"), /Complete/);
  assert.match(await page.textContent("#decision .summary"), /Breach of policy/);

  await page.screenshot({ path: join(OUT, "playground-decision.png"), fullPage: true });
});

test("missing facts list the open questions first", async () => {
  await page.click('[data-preset="nudes"]');
  await page.waitForSelector("#decision .questions");
  const first = await page.$eval("#decision", (d) => [...d.children].find((c) => c.matches("section"))?.className);
  assert.equal(first, "questions");
  assert.match(await page.textContent("#decision .summary"), /Incomplete/);
  assert.ok((await page.$$("#decision .questions li")).length > 0);
  await page.screenshot({ path: join(OUT, "playground-questions.png"), fullPage: true });
});

test("editing the JSON updates the form; bad JSON shows where", async () => {
  await page.fill("#incident-json", '{\n  "category": "cyberbullying",\n  "actor": {"role": "pupil", "age": 9}\n}');
  await page.waitForFunction(() => document.querySelector("#f-category")?.value === "cyberbullying");
  assert.equal(await page.inputValue("#f-actor-age"), "9");
  await page.fill("#incident-json", '{\n  "category": "cyberbullying",\n  "actor": {role: "pupil"}\n}');
  await page.waitForSelector("#decision .rejected");
  assert.match(await page.textContent("#decision .rejected"), /line 3, col \d+/);
  await page.fill("#incident-json", '{"category": "cyberbullying", "actor": {"age": "nine"}}');
  await page.waitForFunction(() => document.querySelector("#decision .rejected")?.textContent?.includes("actor.age"));
});

test("breaking the policy shows the diagnostic at its line, as you type", async () => {
  await page.click('[data-preset="phone"]');
  const needle = "must store_device locker";
  const line = await lineOf(needle);
  assert.ok(line > 1);
  // Put the caret just after `store_device` and type, like an author would.
  await page.focus("#policy-text");
  await page.$eval("#policy-text", (ta, n) => {
    const at = ta.value.indexOf(n) + "must store_device".length;
    ta.setSelectionRange(at, at);
  }, needle);
  await page.keyboard.type("zz");

  await page.waitForSelector("#policy-status.bad");
  const first = page.locator("#diagnostics li.diag.error").first();
  const text = await first.textContent();
  assert.match(text, new RegExp(`line ${line}, col \\d+`));
  assert.match(text, /store_devicezz/);
  // the gutter marks the line, the lens repeats the message inline
  assert.equal(await page.getAttribute(`#gutter .ln.error[data-line="${line}"]`, "data-line"), String(line));
  assert.match(await page.textContent("#backdrop .lens.error"), /store_devicezz/);
  assert.match(await page.textContent("#decision"), /policy has errors/);

  // Clicking the location selects the offending text.
  await first.locator("button.loc").click();
  const selected = await page.$eval("#policy-text", (ta) => ta.value.slice(ta.selectionStart, ta.selectionEnd));
  assert.match(selected, /store_devicezz/);

  await page.screenshot({ path: join(OUT, "playground-diagnostic.png"), fullPage: true });

  // Fixing it brings the decision back.
  await page.$eval("#policy-text", (ta) => {
    const at = ta.value.indexOf("store_devicezz") + "store_devicezz".length;
    ta.setSelectionRange(at, at);
  });
  await page.keyboard.press("Backspace");
  await page.keyboard.press("Backspace");
  await page.waitForSelector("#policy-status.ok");
  await page.waitForSelector("#decision .permission.not_allowed");
});

test("your own policy: the starter draft compiles and decides", async () => {
  await page.selectOption("#policy-select", "__custom");
  await page.waitForSelector("#policy-status.ok");
  await page.click('[data-preset="phone"]');
  await page.waitForSelector("#decision .permission.not_allowed");
  assert.match(await page.textContent("#decision .group.must"), /office/);
});

test("each cited sentence is quoted once per decision", async () => {
  await page.selectOption("#policy-select", POLICY_ID);
  await page.waitForSelector("#policy-status.ok");
  await page.click('[data-preset="phone"]');
  await page.waitForSelector("#decision .permission.not_allowed");
  const quotes = await page.$$eval("#decision .cite p", (ps) => ps.map((p) => p.textContent));
  assert.ok(quotes.length > 1);
  assert.deepEqual(quotes, [...new Set(quotes)], "a sentence is quoted twice");
  const text = await page.textContent("#decision");
  const sentence = "In lesson times all such devices must be switched off and placed in the locker.";
  assert.equal(text.split(sentence).length - 1, 1, "the shared sentence appears once");
  assert.ok((await page.$$("#decision .cite-ref")).length > 0, "later uses point back to it");
  await page.screenshot({ path: join(OUT, "playground-cites-once.png"), fullPage: true });
});

test("a number question reads as a question; only yes/no questions say 'If so'", async () => {
  await page.click('[data-preset="nudes"]');
  await page.waitForSelector("#decision .questions");
  const items = await page.$$eval("#decision .questions li", (lis) =>
    lis.map((li) => [li.querySelector(".ask")?.textContent ?? "", li.querySelector(".could span")?.textContent ?? ""]));
  const age = items.find(([ask]) => /^How old/.test(ask));
  assert.ok(age, `no age question in ${JSON.stringify(items)}`);
  assert.match(age[0], /\?$/);
  assert.equal(age[1], "Depending on the answer:");
  for (const [ask, label] of items.filter(([, label]) => label)) {
    assert.equal(label, /^(Is|Are|Does|Do|Did|Has|Have|Was|Were|Can|Could|Will|Should)\b/.test(ask) ? "If so:" : "Depending on the answer:", ask);
  }
  await page.screenshot({ path: join(OUT, "playground-number-question.png"), fullPage: true });
});

test("opened from disk, the page explains how to serve it", async () => {
  assert.equal(await page.isVisible("#serve-hint"), false, "served over HTTP: no hint");
  const fromDisk = await context.newPage();
  try {
    await fromDisk.goto(new URL("../../playground/index.html", import.meta.url).href);
    await fromDisk.waitForSelector("#serve-hint", { state: "visible" });
    const hint = await fromDisk.textContent("#serve-hint");
    assert.match(hint, /python3 -m http\.server 8000 --bind 127\.0\.0\.1/);
    assert.match(hint, /bindings\/wasm\/build\.sh/);
    assert.equal(await fromDisk.isVisible("#policy-text"), false);
    await fromDisk.screenshot({ path: join(OUT, "playground-from-disk.png"), fullPage: true });
  } finally {
    await fromDisk.close();
  }
});

test("at 1400 × 1000 the decision is visible without scrolling", async () => {
  await page.setViewportSize({ width: 1400, height: 1000 });
  try {
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.click('[data-preset="phone"]');
    await page.waitForSelector("#decision .permission.not_allowed");
    await page.evaluate(() => window.scrollTo(0, 0));
    const box = await page.$eval("#decision .permission .verdict", (el) => {
      const r = el.getBoundingClientRect();
      return { top: r.top, bottom: r.bottom, left: r.left, right: r.right };
    });
    assert.ok(box.top >= 0 && box.bottom <= 1000, `verdict at ${JSON.stringify(box)}`);
    assert.ok(box.left >= 0 && box.right <= 1400, `verdict at ${JSON.stringify(box)}`);
    const summary = await page.$eval("#decision .summary", (el) => el.getBoundingClientRect().bottom);
    assert.ok(summary <= 1000);
    await page.screenshot({ path: join(OUT, "playground-1400x1000.png") });
  } finally {
    await page.setViewportSize({ width: 1600, height: 1000 });
  }
});

test("a share link reopens the same draft and incident", async () => {
  await page.selectOption("#policy-select", "__custom");
  await page.waitForSelector("#policy-status.ok");
  const draft = (await page.inputValue("#policy-text")).replace("A. Lead", "Shared Lead");
  await page.fill("#policy-text", draft);
  await page.click('[data-preset="phone"]');
  await page.waitForSelector("#decision .permission.not_allowed");
  await page.click("#share-link");
  const link = await page.inputValue("#share-url");
  assert.match(link, /#s=[A-Za-z0-9_-]+$/);
  const other = await context.newPage();
  try {
    // Another draft in this browser's storage: the link, not the storage, must win.
    await other.goto(URL_);
    await other.waitForSelector('body[data-ready="1"]');
    await other.evaluate(() => localStorage.setItem("haven.playground.draft", "policy other {}"));
    await other.goto(link);
    await other.reload();
    await other.waitForSelector('body[data-ready="1"]');
    assert.equal(await other.inputValue("#policy-select"), "__custom");
    assert.equal(await other.inputValue("#policy-text"), draft);
    assert.deepEqual(JSON.parse(await other.inputValue("#incident-json")), JSON.parse(await page.inputValue("#incident-json")));
    await other.waitForSelector("#decision .permission.not_allowed");
    await other.screenshot({ path: join(OUT, "playground-shared-link.png"), fullPage: true });
  } finally {
    await other.close();
  }
});

test("export downloads the policy text; import opens a file as your own policy", async () => {
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export-draft")]);
  assert.match(download.suggestedFilename(), /\.haven$/);
  const saved = join(profile, "exported.haven");
  await download.saveAs(saved);
  assert.equal(readFileSync(saved, "utf8"), await page.inputValue("#policy-text"));

  await page.selectOption("#policy-select", POLICY_ID);
  await page.waitForSelector("#policy-status.ok");
  const imported = readFileSync(saved, "utf8").replace("Shared Lead", "Imported Lead");
  await page.setInputFiles("#import-draft", { name: "imported.haven", mimeType: "text/plain", buffer: Buffer.from(imported) });
  await page.waitForFunction(() => document.querySelector("#policy-select")?.value === "__custom");
  assert.equal(await page.inputValue("#policy-text"), imported);
  await page.waitForSelector("#policy-status.ok");
  await page.screenshot({ path: join(OUT, "playground-imported.png"), fullPage: true });
});

test("the form offers the loaded policy's vocabulary", async () => {
  await page.selectOption("#policy-select", POLICY_ID);
  await page.waitForSelector("#policy-status.ok");
  const categories = () => page.$$eval("#f-category option", (os) => os.map((o) => o.value));
  // Kenilworth declares categories of its own (e.g. `suspect_email`), beside std's.
  await page.waitForFunction(() => [...document.querySelectorAll("#f-category option")].some((o) => o.value === "suspect_email"));
  assert.ok((await categories()).includes("sharing_nudes"));
  // A draft that declares a category and a role: both become choices as it compiles.
  await page.selectOption("#policy-select", "__custom");
  await page.waitForSelector("#policy-status.ok");
  assert.ok(!(await categories()).includes("suspect_email"), "the draft does not declare it");
  const draft = (await page.inputValue("#policy-text")) + '\ncategory smart_glasses_recording "Recording with smart glasses"\nrole site_manager is staff "Site manager"\n';
  await page.fill("#policy-text", draft);
  await page.waitForFunction(() => [...document.querySelectorAll("#f-category option")].some((o) => o.value === "smart_glasses_recording"));
  const roles = await page.$$eval("#f-actor-role option", (os) => os.map((o) => o.value));
  assert.ok(roles.includes("site_manager"), JSON.stringify(roles));
  await page.selectOption("#f-category", "smart_glasses_recording");
  assert.equal(JSON.parse(await page.inputValue("#incident-json")).category, "smart_glasses_recording");
  await page.screenshot({ path: join(OUT, "playground-vocabulary.png"), fullPage: true });
});

test("keyboard: Alt+1/2 move focus; every form control has a label", async () => {
  await page.keyboard.press("Alt+1");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "policy-text");
  await page.keyboard.press("Alt+2");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "f-category");
  const unlabelled = await page.$$eval("select, input, textarea", (els) =>
    els.filter((e) => !e.labels?.length && !e.getAttribute("aria-label")).map((e) => e.id));
  assert.deepEqual(unlabelled, []);
});

// ---------------------------------------------------------------- why, why not, guided questions, diff

test("why? on the permission and on an action: rule, sentence, conditions, layer, counterfactuals", async () => {
  await page.setViewportSize({ width: 1400, height: 1000 });
  try {
    await page.selectOption("#policy-select", POLICY_ID);
    await page.waitForSelector("#policy-status.ok");
    await page.click('[data-preset="phone"]');
    await page.waitForSelector("#decision .permission.not_allowed");
    await page.click("#decision .permission button.why");
    const why = page.locator("#decision .permission .why-out");
    await why.waitFor({ state: "visible" });
    const text = await why.textContent();
    assert.match(text, /Rule/);
    assert.match(text, /layer \w+/);
    assert.match(text, /Conditions that held/);
    assert.ok((await why.locator(".held li").count()) > 0, "no condition listed");
    assert.ok((await why.locator(".cite").count()) > 0, "no cited sentence");
    assert.ok((await why.locator(".counterfactuals li").count()) > 0, "no counterfactual");

    // an action's why
    const action = page.locator("#decision .group.must .action").first();
    await action.locator("button.why").click();
    const actionWhy = action.locator(".why-out");
    await actionWhy.waitFor({ state: "visible" });
    assert.match(await actionWhy.textContent(), /Rule[\s\S]*layer/);
    assert.ok((await actionWhy.locator(".reason").count()) > 0);

    // the decision is still in view at 1400 × 1000 with the explanations open: the page is
    // not scrolled, and the decision panel shows its top
    await page.evaluate(() => {
      window.scrollTo(0, 0);
      document.querySelector(".decision-panel")?.scrollTo(0, 0);
    });
    for (const selector of ["#decision .summary", "#decision .permission .verdict"]) {
      const box = await page.$eval(selector, (el) => el.getBoundingClientRect().toJSON());
      assert.ok(box.top >= 0 && box.bottom <= 1000 && box.right <= 1400, `${selector} at ${JSON.stringify(box)}`);
    }
    await page.screenshot({ path: join(OUT, "playground-why.png") });

    // trying the permission's first counterfactual changes the verdict, as it claims
    await why.locator("button.try-cf").first().click();
    await page.waitForFunction(() => {
      const p = document.querySelector("#decision .permission");
      return p && !p.classList.contains("not_allowed");
    });
  } finally {
    await page.setViewportSize({ width: 1600, height: 1000 });
  }
});

test("why not? names the rules that could require an action and the fact changes that would", async () => {
  await page.selectOption("#policy-select", POLICY_ID);
  await page.waitForSelector("#policy-status.ok");
  await page.click('[data-preset="nudes"]');
  await page.waitForSelector("#decision .questions");
  await page.click("#why-not summary");
  await page.selectOption("#wn-action", "refer");
  await page.selectOption("#wn-target", "childrens_social_care");
  await page.click("#wn-go");
  const out = page.locator("#why-not-out");
  await out.locator(".goal").waitFor();
  assert.match(await out.textContent(), /refer childrens_social_care/);
  assert.ok((await out.locator(".producers li").count()) > 0, "no producing rule");
  assert.ok((await out.locator(".counterfactuals li").count()) > 0, "no counterfactual");
  await out.locator(".counterfactuals").scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(OUT, "playground-why-not.png") });
  await out.locator("button.try-cf").first().click();
  await page.waitForFunction(() => /childrens social care/i.test(document.querySelector("#decision .group.must")?.textContent ?? ""));

  // no rule of the policy (or of the layers it extends) refers to CEOP: why no incident can
  await page.selectOption("#wn-action", "refer");
  await page.selectOption("#wn-target", "ceop");
  await page.click("#wn-go");
  await page.waitForFunction(() => /No rule of this policy requires it/.test(document.querySelector("#why-not-out")?.textContent ?? ""));
  await page.click("#why-not summary");
});

test("guided questions: the next best question, answered in place", async () => {
  await page.selectOption("#policy-select", POLICY_ID);
  await page.waitForSelector("#policy-status.ok");
  await page.click('[data-preset="nudes"]');
  const guided = page.locator("#decision .guided");
  await guided.waitFor();
  const open = async () => Number(/(\d+) open question/.exec((await page.textContent("#decision .summary")) ?? "")?.[1] ?? 0);
  const before = await open();
  assert.ok(before > 0);
  assert.ok((await guided.locator(".groups li").count()) > 0, "no group of questions settling one action");
  const fact = await guided.locator(".next-question code.fact").textContent();
  assert.ok(fact);
  await guided.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(OUT, "playground-guided.png") });
  const yes = guided.locator('button.answer[data-value="true"]');
  if (await yes.count()) await yes.click();
  else {
    await guided.locator(".answer-input").fill("14");
    await guided.locator("button.answer").click();
  }
  await page.waitForFunction((f) => {
    const json = JSON.parse(document.querySelector("#incident-json")?.value ?? "{}");
    return f.split(".").reduce((o, k) => (o ? o[k] : undefined), json) !== undefined;
  }, fact);
  assert.ok((await open()) < before || (await page.textContent("#decision .summary"))?.includes("Complete"));
});

test("diff view: the classes of differing incidents, with a witness that loads into the form", async () => {
  await page.selectOption("#policy-select", DIFF_OLD);
  await page.waitForSelector("#policy-status.ok");
  await page.selectOption("#diff-old", DIFF_OLD);
  await page.selectOption("#diff-new", DIFF_NEW);
  await page.click("#diff-go");
  await page.waitForSelector("#diff-out .diff-class", { timeout: 60_000 });
  const status = await page.textContent("#diff-status");
  assert.match(status, /\d+ class/);
  const first = page.locator("#diff-out .diff-class").first();
  assert.match(await first.locator(".condition").textContent(), /Condition\s+\S/);
  assert.doesNotMatch(status, /classs/);
  await page.locator("#compare").scrollIntoViewIfNeeded();
  await page.evaluate(() => document.querySelector("#compare")?.scrollIntoView());
  await page.screenshot({ path: join(OUT, "playground-diff.png") });
  await first.locator("button.load-witness").click();
  const witness = JSON.parse(await first.locator(".witness pre").textContent());
  await page.waitForFunction((w) => document.querySelector("#incident-json")?.value === JSON.stringify(w, null, 2), witness);
  await page.waitForSelector("#decision .summary");

  // a policy against the text in the editor: an edit shows up as a difference
  await page.selectOption("#policy-select", "example");
  await page.waitForSelector("#policy-status.ok");
  const text = await page.inputValue("#policy-text");
  const edited = text.replace("must notify e_safety_lead due same_day", "must notify e_safety_lead due immediately");
  assert.notEqual(edited, text);
  await page.fill("#policy-text", edited);
  await page.waitForSelector("#policy-status.ok");
  assert.equal(await page.inputValue("#diff-old"), "example");
  assert.equal(await page.inputValue("#diff-new"), "__editor");
  await page.click("#diff-go");
  await page.waitForSelector("#diff-out .diff-class", { timeout: 60_000 });
  assert.match(await page.textContent("#diff-out"), /immediately/);
  await page.evaluate(() => document.querySelector("#compare")?.scrollIntoView());
  await page.screenshot({ path: join(OUT, "playground-diff-editor.png") });
});

/** The playground's diff worker, once the page has started it. */
function diffWorker() {
  return page.workers().find((w) => w.url().endsWith("/diff-worker.js"));
}

test("the diff runs in a worker: while it searches the page repaints and handles a click, then shows the result", async () => {
  await page.selectOption("#diff-old", SLOW_OLD);
  await page.selectOption("#diff-new", SLOW_NEW);
  await page.click('[data-preset="clear"]');
  const cleared = await page.inputValue("#incident-json");
  await page.click("#diff-go");
  await page.waitForSelector("#diff-status.busy");
  assert.ok(await page.isVisible("#diff-cancel"), "Cancel is offered while the diff runs");
  assert.ok(await page.isDisabled("#diff-go"));
  // An animation frame runs and a click on another control is handled while the diff is still in
  // flight. On the main thread both would wait for the diff, and see its result already shown.
  const during = await page.evaluate(async () => {
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    /** @type {HTMLButtonElement} */ (document.querySelector('[data-preset="phone"]')).click();
    return {
      busy: document.querySelector("#diff-status")?.classList.contains("busy"),
      status: document.querySelector("#diff-status")?.textContent,
      classes: document.querySelectorAll("#diff-out .diff-class").length,
      incident: /** @type {HTMLTextAreaElement} */ (document.querySelector("#incident-json")).value,
    };
  });
  assert.deepEqual({ busy: during.busy, status: during.status, classes: during.classes }, { busy: true, status: "Comparing…", classes: 0 });
  assert.notEqual(during.incident, cleared, "the preset click was handled during the diff");
  assert.ok(diffWorker(), "the diff worker was started");
  await page.evaluate(() => document.querySelector("#compare")?.scrollIntoView());
  await page.screenshot({ path: join(OUT, "playground-diff-running.png") });

  await page.waitForSelector("#diff-out .diff-class", { timeout: 180_000 });
  const status = await page.textContent("#diff-status");
  assert.match(status, /\d+ class/);
  assert.match(status, new RegExp(`${SLOW_OLD}.*→.*${SLOW_NEW}`));
  assert.ok(await page.isHidden("#diff-cancel"));
  assert.ok(await page.isEnabled("#diff-go"));
  assert.match(await page.locator("#diff-out .diff-class .condition").first().textContent(), /Condition\s+\S/);
});

test("Cancel terminates the diff worker; the next Compare starts a fresh one", async () => {
  await page.selectOption("#diff-old", SLOW_OLD);
  await page.selectOption("#diff-new", SLOW_NEW);
  await page.click("#diff-go");
  await page.waitForSelector("#diff-status.busy");
  const worker = diffWorker();
  assert.ok(worker, "the diff runs in the worker");
  const closed = new Promise((resolve) => worker.once("close", resolve));
  await page.click("#diff-cancel");
  await closed;
  assert.equal(await page.textContent("#diff-status"), "Comparison cancelled.");
  assert.equal(await page.locator("#diff-out .diff-class").count(), 0);
  assert.ok(await page.isHidden("#diff-cancel"));
  assert.ok(await page.isEnabled("#diff-go"));
  assert.ok(!page.workers().includes(worker));

  await page.selectOption("#diff-old", DIFF_OLD);
  await page.selectOption("#diff-new", DIFF_NEW);
  await page.click("#diff-go");
  await page.waitForSelector("#diff-out .diff-class", { timeout: 60_000 });
  assert.match(await page.textContent("#diff-status"), new RegExp(`\\d+ class.*${DIFF_OLD}.*→.*${DIFF_NEW}`));
  const fresh = diffWorker();
  assert.ok(fresh && fresh !== worker, "a new worker ran the next diff");
});

test("works offline after the first load", async () => {
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.reload();
  await page.waitForSelector('body[data-ready="1"]');
  // Every fetch of this load has finished (and, through the worker, been stored).
  await page.waitForLoadState("networkidle");
  await page.evaluate(async () => {
    // make sure every asset went through the worker's cache
    const c = await caches.open("haven-playground-v1");
    return (await c.keys()).length;
  });
  await context.setOffline(true);
  try {
    await page.reload();
    await page.waitForSelector('body[data-ready="1"]', { timeout: 15_000 });
    await page.selectOption("#policy-select", POLICY_ID);
    await page.click('[data-preset="phone"]');
    await page.waitForSelector("#decision .permission.not_allowed");
    // the diff worker and the engine it imports come from the cache too
    await page.selectOption("#diff-old", DIFF_OLD);
    await page.selectOption("#diff-new", DIFF_NEW);
    await page.click("#diff-go");
    await page.waitForSelector("#diff-out .diff-class", { timeout: 60_000 });
    assert.ok(diffWorker(), "offline, the diff still runs in the worker");
  } finally {
    await context.setOffline(false);
  }
});

test("no errors in the console", () => {
  assert.deepEqual(consoleErrors, []);
});
