// API tests for the Node package (pkg-node, `--target nodejs`). Run: node --test test/
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const haven = require("../pkg-node/haven.js");
const { POLICY_ID, YEAR6_PHONE_IN_LESSON, schoolPolicy, schoolPolicyIds } = require("./support/fixtures.cjs");

const bundled = haven.bundledPolicies();
const byId = (id) => bundled.find((p) => p.id === id);
const policyText = schoolPolicy(POLICY_ID).text;
const example = byId("example").text;

function compileOk(text, name, options) {
  const r = haven.compile(text, name, options);
  if (r.type !== "success") {
    assert.fail(`expected success, got ${JSON.stringify(r.errors.slice(0, 3), null, 2)}`);
  }
  return r;
}

function evaluateOk(policy, incident) {
  const a = policy.evaluate(incident);
  if (a.type !== "success") assert.fail(`expected success, got ${JSON.stringify(a.errors)}`);
  return a;
}

function failure(answer) {
  assert.equal(answer.type, "failure", JSON.stringify(answer));
  assert.ok(Array.isArray(answer.errors) && answer.errors.length > 0);
  return answer.errors[0];
}

const { policy } = compileOk(policyText, `policies/${POLICY_ID}/policy.haven`);
const examplePolicy = compileOk(example, "example.haven").policy;

// ---------------------------------------------------------------- the happy path

test("version() is the crate version", () => {
  assert.match(haven.version(), /^\d+\.\d+\.\d+/);
});

test("bundledPolicies() lists every bundled policy with its title and text", () => {
  assert.ok(bundled.length >= 2);
  for (const p of bundled) {
    assert.equal(typeof p.id, "string");
    assert.equal(typeof p.text, "string");
    assert.ok(p.text.length > 0);
    assert.equal(p.name, `policies/${p.id}/policy.haven`);
    assert.ok(p.title === null || typeof p.title === "string");
  }
  const ids = bundled.map((p) => p.id);
  assert.ok(ids.includes("baseline"));
  assert.ok(ids.includes("example"));
  assert.ok(!ids.some((id) => id.startsWith("std")), "std modules are not policies");
  // school policies come first, then baseline, then example
  assert.equal(ids.at(-1), "example");
  assert.equal(ids.at(-2), "baseline");
});

test("school policies are not bundled (the playground fetches them); each compiles from its file", () => {
  const ids = bundled.map((p) => p.id);
  const schools = schoolPolicyIds();
  assert.ok(schools.includes(POLICY_ID));
  for (const id of schools) {
    assert.ok(!ids.includes(id), `${id} is bundled into the module`);
    const p = schoolPolicy(id);
    const r = haven.compile(p.text, p.name);
    assert.equal(r.type, "success", `${id}: ${JSON.stringify(r.errors?.slice(0, 2))}`);
    r.policy.free();
  }
});

test("every bundled policy compiles", () => {
  for (const p of bundled) {
    const r = haven.compile(p.text, p.name);
    assert.equal(r.type, "success", `${p.id}: ${JSON.stringify(r.errors?.slice(0, 2))}`);
    assert.equal(r.policy.id, p.id);
    for (const w of r.warnings) {
      assert.equal(w.kind, "policy");
      assert.equal(w.severity, "warning");
    }
    r.policy.free();
  }
});

test("a compiled policy exposes id, version, title and warnings", () => {
  assert.equal(policy.id, POLICY_ID);
  assert.equal(typeof policy.title, "string");
  assert.ok(policy.version === undefined || typeof policy.version === "string");
  assert.ok(Array.isArray(policy.warnings));
  assert.equal(examplePolicy.version, "1");
});

test(`${POLICY_ID}: Year 6 pupil using a phone in a lesson is not allowed; the phone goes in the locker`, () => {
  const { decision, warnings } = evaluateOk(policy, YEAR6_PHONE_IN_LESSON);
  assert.ok(Array.isArray(warnings));
  assert.equal(decision.policy.id, POLICY_ID);
  assert.equal(decision.status, "complete");
  assert.equal(decision.breach, true);
  assert.equal(decision.permission.verdict, "not_allowed");
  const store = decision.actions.find((a) => a.action === "store_device");
  assert.ok(store, JSON.stringify(decision.actions));
  assert.equal(store.modality, "must");
  assert.deepEqual(store.target, ["locker"]);
  assert.ok(store.cites.some((c) => /placed in the locker/.test(c)), store.cites.join("\n"));
});

test("answers share the policy's frozen warnings array", () => {
  const a = evaluateOk(policy, YEAR6_PHONE_IN_LESSON);
  const [b] = policy.evaluateMany([YEAR6_PHONE_IN_LESSON]);
  assert.equal(a.warnings, policy.warnings);
  assert.equal(b.warnings, policy.warnings);
  assert.ok(Object.isFrozen(policy.warnings));
  assert.ok(policy.warnings.every((w) => Object.isFrozen(w)));
});

test("an incident given as JSON text decides the same as the object", () => {
  const a = evaluateOk(policy, YEAR6_PHONE_IN_LESSON);
  const b = evaluateOk(policy, JSON.stringify(YEAR6_PHONE_IN_LESSON));
  assert.deepEqual(a, b);
});

test("the decision follows the version-1 contract", () => {
  const { decision } = evaluateOk(examplePolicy, {
    id: "inc-7",
    category: "sharing_nudes",
    actor: { role: "pupil", age: 12 },
  });
  assert.equal(decision.incident_id, "inc-7");
  for (const key of ["policy", "status", "breach", "permission", "actions", "questions", "notes"]) {
    assert.ok(key in decision, `missing ${key}`);
  }
  const modalities = ["must", "must_not", "should", "should_not", "may"];
  for (const a of decision.actions) {
    assert.ok(modalities.includes(a.modality));
    assert.ok(Array.isArray(a.target));
    assert.ok(a.deadline === null || typeof a.deadline === "string");
    assert.ok(["school", "baseline"].includes(a.source));
    assert.ok(a.cites.length > 0);
  }
  // sorted by modality
  const order = decision.actions.map((a) => modalities.indexOf(a.modality));
  assert.deepEqual(order, [...order].sort((x, y) => x - y));
  assert.ok(decision.actions.some((a) => a.modality === "must_not" && a.action === "view_imagery"));
});

test("missing facts give questions and an incomplete decision", () => {
  const { decision } = evaluateOk(examplePolicy, {
    category: "sharing_nudes",
    actor: { role: "pupil" },
  });
  assert.equal(decision.status, "incomplete");
  assert.ok(decision.questions.length > 0);
  for (const q of decision.questions) {
    assert.equal(typeof q.fact, "string");
    assert.equal(typeof q.ask, "string");
    assert.ok(Array.isArray(q.could_add));
  }
  // answering everything closes the questions
  const { decision: full } = evaluateOk(examplePolicy, {
    category: "sharing_nudes",
    actor: { role: "pupil", age: 15 },
    subject: { role: "pupil", age: 15 },
    others: [],
    facts: {
      adult_involved: false,
      coerced_blackmailed_or_groomed: false,
      capacity_to_consent_concern: false,
      sexual_acts: false,
      significant_harm_risk: false,
      prior_incidents: 0,
    },
  });
  assert.ok(full.questions.length < decision.questions.length);
});

test("evaluateMany answers each incident in order, failures in place", () => {
  const answers = policy.evaluateMany([
    YEAR6_PHONE_IN_LESSON,
    JSON.stringify({ ...YEAR6_PHONE_IN_LESSON, time: "break" }),
    { category: "sharing_nudes", colour: "red" },
    YEAR6_PHONE_IN_LESSON,
  ]);
  assert.equal(answers.length, 4);
  assert.deepEqual(
    answers.map((a) => a.type),
    ["success", "success", "failure", "success"],
  );
  assert.equal(answers[0].decision.permission.verdict, "not_allowed");
  assert.equal(failure(answers[2]).key, "colour");
  assert.deepEqual(policy.evaluateMany([]), []);
});

test("evaluateMany handles a large batch", () => {
  const batch = Array.from({ length: 2000 }, (_, i) => ({ ...YEAR6_PHONE_IN_LESSON, id: i }));
  const answers = policy.evaluateMany(batch);
  assert.equal(answers.length, 2000);
  assert.equal(answers[1999].decision.incident_id, 1999);
});

test("check() of a clean policy reports no errors", () => {
  const diags = haven.check(example, "example.haven");
  assert.ok(Array.isArray(diags));
  assert.equal(diags.filter((d) => d.severity === "error").length, 0);
});

test("options.today turns on the review-overdue warning; without it results ignore the clock", () => {
  const overdue = example.replace(/review_by \d{4}-\d{2}/, "review_by 2025-01");
  const line = lineOf(overdue, "review_by 2025-01");
  const codes = (diags) => diags.map((d) => d.code);
  assert.ok(!codes(haven.check(overdue)).includes("haven::check::review_overdue"));
  for (const today of [new Date(), "2025-06-01", "2025-06"]) {
    const diags = haven.check(overdue, "example.haven", { today });
    const w = diags.find((d) => d.code === "haven::check::review_overdue");
    assert.ok(w, `${today}: ${JSON.stringify(codes(diags))}`);
    assert.equal(w.severity, "warning");
    assert.equal(w.line, line);
  }
  // before the review date: no warning
  assert.ok(!codes(haven.check(overdue, "x", { today: "2024-12-01" })).includes("haven::check::review_overdue"));
  const compiled = compileOk(overdue, "example.haven", { today: "2025-06-01" });
  assert.ok(compiled.warnings.some((w) => w.code === "haven::check::review_overdue"));
  compiled.policy.free();
});

test("options.modules are found before the bundled modules", () => {
  const shared = `module shared "Trust-wide rules" {\n  version "1"\n  use std/vocabulary\n}\n\nrole trust_officer is staff "Trust safeguarding officer"\n`;
  const source = example
    .replace("use std/vocabulary", "use std/vocabulary\n  use trust/shared")
    .replace("must notify dsl due immediately", "must notify trust_officer due immediately");
  const without = haven.compile(source);
  assert.equal(without.type, "failure");
  const r = compileOk(source, "example.haven", { modules: { "trust/shared": shared } });
  const { decision } = evaluateOk(r.policy, { category: "cyberbullying", facts: { significant_harm_risk: true } });
  assert.ok(decision.actions.some((a) => a.target.includes("trust_officer")), JSON.stringify(decision.actions));
  // an error inside a caller's module names that module's file and line
  const broken = haven.compile(source, "example.haven", { modules: { "trust/shared": shared.replace("is staff", "is stafff") } });
  failure(broken);
  const e = broken.errors.find((x) => x.file === "trust/shared.haven");
  assert.ok(e, JSON.stringify(broken.errors.map((x) => [x.file, x.message])));
  assert.equal(e.line, lineOf(shared, "is staff"));
});

test("wrongly typed options are wrong_argument failures", () => {
  const cases = [
    [42, /`options` must be an object, found a number/],
    [[1], /`options` must be an object, found an array/],
    [{ today: 5 }, /`options.today` must be a valid Date/],
    [{ today: "yesterday" }, /`options.today`/],
    [{ today: new Date("nope") }, /`options.today`/],
    [{ modules: "std" }, /`options.modules` must be an object/],
    [{ modules: { "trust/shared": 7 } }, /`options.modules\["trust\/shared"\]` must be a string/],
  ];
  for (const [options, message] of cases) {
    const e = failure(haven.compile(example, "x.haven", options));
    assert.equal(e.code, "haven::api::wrong_argument");
    assert.match(e.message, message);
    assert.equal(haven.check(example, "x.haven", options)[0].code, "haven::api::wrong_argument");
  }
  // null and undefined mean "no options"
  assert.equal(haven.compile(example, undefined, null).type, "success");
  assert.equal(haven.compile(example, null, undefined).type, "success");
});

// ---------------------------------------------------------------- bad policies

function lineOf(text, needle) {
  const i = text.indexOf(needle);
  assert.ok(i >= 0, `${needle} not in text`);
  return text.slice(0, i).split("\n").length;
}

test("a syntax error comes back with code, line, column and a rendering", () => {
  const broken = example.replace("when category is any and significant_harm_risk", "when category is any and and");
  const line = lineOf(broken, "and and");
  const r = haven.compile(broken, "draft.haven");
  const e = failure(r);
  assert.equal(e.kind, "policy");
  assert.equal(e.severity, "error");
  assert.match(e.code, /^haven::/);
  assert.equal(e.file, "draft.haven");
  assert.equal(e.line, line);
  assert.equal(typeof e.column, "number");
  assert.ok(e.column >= 1);
  assert.match(e.rendered, /draft\.haven/);
  assert.ok(e.labels.some((l) => l.primary && l.line === line));
  // check() reports the same
  const diags = haven.check(broken, "draft.haven").filter((d) => d.severity === "error");
  assert.equal(diags[0].line, line);
});

test("a checker error names the line of the unknown name, with help", () => {
  const broken = example.replace("must notify dsl due immediately", "must notify dls due immediately");
  const line = lineOf(broken, "notify dls");
  const e = failure(haven.compile(broken));
  assert.equal(e.line, line);
  assert.equal(e.file, "policy.haven", "default name");
  assert.equal(e.labels.find((l) => l.primary).text, "dls");
  assert.ok(e.message.length > 0 && e.message[0] === e.message[0].toLowerCase());
});

test("garbage, empty and huge sources are errors, not crashes", () => {
  for (const src of ["", "   ", "\u0000\u0001", "policy", "{{{{", "policy x {", "\uD800", "😀".repeat(1000), "(".repeat(10000)]) {
    const r = haven.compile(src);
    assert.equal(r.type, "failure", JSON.stringify(src.slice(0, 20)));
    assert.ok(r.errors.every((e) => e.kind === "policy" && typeof e.code === "string"));
    assert.ok(Array.isArray(haven.check(src)));
  }
  const huge = "// " + "x".repeat(5 * 1024 * 1024);
  const e = failure(haven.compile(huge));
  assert.match(e.code, /^haven::/);
});

test("mutated policies never crash the module", () => {
  let seed = 42;
  const rand = (n) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  let failures = 0;
  for (let i = 0; i < 150; i++) {
    const at = rand(example.length);
    const len = rand(12);
    const junk = ["", "{", "}", "(", "\"", "must", "when", "and", "x", "\n", "99999999999999999999"][rand(11)];
    const src = example.slice(0, at) + junk + example.slice(at + len);
    const r = haven.compile(src, "m.haven");
    assert.ok(r.type === "success" || r.type === "failure");
    if (r.type === "failure") {
      failures++;
      for (const e of r.errors) if (e.severity === "error") assert.equal(typeof e.line, "number");
    } else {
      r.policy.free();
    }
  }
  assert.ok(failures > 0);
  // still alive
  assert.equal(evaluateOk(policy, YEAR6_PHONE_IN_LESSON).type, "success");
});

// ---------------------------------------------------------------- wrong argument types

test("compile/check with a non-string source give a wrong_argument failure", () => {
  for (const bad of [42, null, undefined, {}, ["policy"], true, () => 1, Symbol("s"), 10n]) {
    const e = failure(haven.compile(bad));
    assert.equal(e.kind, "policy");
    assert.equal(e.code, "haven::api::wrong_argument");
    assert.equal(e.line, null);
    assert.match(e.message, /`source` must be a string/);
    const diags = haven.check(bad);
    assert.equal(diags[0].code, "haven::api::wrong_argument");
  }
  const e = failure(haven.compile(example, 7));
  assert.match(e.message, /`name` must be a string, found a number/);
});

// ---------------------------------------------------------------- bad incidents

const incidentCases = [
  ["unknown top-level key", { category: "sharing_nudes", colour: "red" }, "haven::incident::unknown_key", "colour"],
  ["unknown person key", { category: "sharing_nudes", actor: { role: "pupil", shoe: 9 } }, "haven::incident::unknown_key", "actor.shoe"],
  ["unknown fact", { category: "sharing_nudes", facts: { adult_involvd: true } }, "haven::incident::unknown_fact", "facts.adult_involvd"],
  ["wrongly typed age", { category: "sharing_nudes", actor: { role: "pupil", age: "twelve" } }, null, "actor.age"],
  ["wrongly typed fact", { category: "sharing_nudes", facts: { sexual_acts: "yes" } }, "haven::incident::wrong_type", "facts.sexual_acts"],
  ["unknown category", { category: "sharing_noodles" }, "haven::incident::unknown_value", "category"],
  ["unknown role", { category: "sharing_nudes", actor: { role: "wizard" } }, "haven::incident::unknown_value", "actor.role"],
  ["device not an object", { activity: "use", device: "phone" }, "haven::incident::wrong_type", "device"],
  ["others not a list", { category: "cyberbullying", others: { role: "pupil" } }, "haven::incident::wrong_type", "others"],
  ["neither category nor activity", { actor: { role: "pupil" } }, "haven::incident::missing_category", "category"],
  ["an array", [1, 2], "haven::incident::wrong_type", ""],
  ["null", null, "haven::incident::wrong_type", ""],
  ["a number", 42, "haven::incident::wrong_type", ""],
];

for (const [what, incident, code, key] of incidentCases) {
  test(`bad incident: ${what}`, () => {
    const e = failure(examplePolicy.evaluate(incident));
    assert.equal(e.kind, "incident");
    assert.equal(e.severity, "error");
    if (code) assert.equal(e.code, code);
    else assert.match(e.code, /^haven::incident::/);
    assert.equal(e.key, key);
    assert.equal(typeof e.expected, "string");
    assert.ok(e.expected.length > 0);
    assert.ok(e.message.includes(key) || key === "", e.message);
    assert.equal(e.line, null);
    assert.equal(e.column, null);
  });
}

test("wrongly typed age names the expected type", () => {
  const e = failure(examplePolicy.evaluate({ category: "sharing_nudes", actor: { age: "twelve" } }));
  assert.match(e.expected, /number|integer|from/);
  assert.match(e.message, /twelve/);
});

test("invalid JSON text gives invalid_json with line and column", () => {
  const e = failure(examplePolicy.evaluate('{\n  "category": "sharing_nudes",\n  "actor": {role: "pupil"}\n}'));
  assert.equal(e.code, "haven::incident::invalid_json");
  assert.equal(e.line, 3);
  assert.equal(typeof e.column, "number");
  assert.ok(e.column > 1);
  for (const text of ["", "{", "nope", "[1,", "{\"category\": }"]) {
    const err = failure(examplePolicy.evaluate(text));
    assert.equal(err.code, "haven::incident::invalid_json", text);
  }
});

test("values JSON cannot carry are errors naming their key, never silently unknown", () => {
  const cyclic = { category: "sharing_nudes" };
  cyclic.self = cyclic;
  const cases = [
    [undefined, "haven::incident::wrong_type", ""],
    [() => 1, "haven::incident::wrong_type", ""],
    [Symbol("x"), "haven::incident::wrong_type", ""],
    [10n, "haven::incident::wrong_type", ""],
    [NaN, "haven::incident::wrong_type", ""],
    // JSON.stringify alone would turn these into null (unknown) or drop them.
    [{ category: "sharing_nudes", actor: { role: "pupil", age: Infinity } }, "haven::incident::not_json", "actor.age"],
    [{ category: "sharing_nudes", actor: { role: "pupil", age: -Infinity } }, "haven::incident::not_json", "actor.age"],
    [{ category: "sharing_nudes", facts: { prior_incidents: NaN } }, "haven::incident::not_json", "facts.prior_incidents"],
    [{ category: "sharing_nudes", facts: { prior_incidents: 2n } }, "haven::incident::not_json", "facts.prior_incidents"],
    [{ category: "sharing_nudes", facts: { adult_involved: () => true } }, "haven::incident::not_json", "facts.adult_involved"],
    [{ category: "sharing_nudes", others: [{ role: "pupil" }, { role: Symbol("pupil") }] }, "haven::incident::not_json", "others[1].role"],
    [cyclic, "haven::incident::too_deep", "self"],
  ];
  for (const [value, code, key] of cases) {
    const e = failure(examplePolicy.evaluate(value));
    assert.equal(e.kind, "incident");
    assert.equal(e.code, code, String(e.message));
    assert.equal(e.key, key, String(e.message));
    if (key) assert.ok(e.message.includes(`\`${key}\``), e.message);
  }
  const e = failure(examplePolicy.evaluate({ category: "sharing_nudes", actor: { age: -Infinity } }));
  assert.equal(e.message, "`actor.age` must be a finite number, found -Infinity");
  assert.equal(e.expected, "a finite number");
  // In a batch, the bad record fails in place and the others are answered.
  const answers = examplePolicy.evaluateMany([{ category: "sharing_nudes" }, { category: "sharing_nudes", actor: { age: NaN } }]);
  assert.deepEqual(answers.map((a) => a.type), ["success", "failure"]);
});

test("undefined fields are unknown, like null or absent", () => {
  const a = evaluateOk(examplePolicy, { category: "sharing_nudes", actor: { role: "pupil", age: undefined } });
  const b = evaluateOk(examplePolicy, { category: "sharing_nudes", actor: { role: "pupil", age: null } });
  const c = evaluateOk(examplePolicy, { category: "sharing_nudes", actor: { role: "pupil" } });
  assert.deepEqual(a, b);
  assert.deepEqual(b, c);
});

// ---------------------------------------------------------------- limits (issue: robustness)
// Each hostile input gives one located error in bounded time: never a throw, a hang or a crash.

test("limits: deep and large incidents are rejected with their codes", () => {
  let deep = { role: "pupil" };
  for (let i = 0; i < 40; i++) deep = { nested: deep };
  assert.equal(failure(examplePolicy.evaluate({ category: "sharing_nudes", actor: deep })).code, "haven::incident::too_deep");
  const big = JSON.stringify({ category: "sharing_nudes", id: "x".repeat(2 * 1024 * 1024) });
  assert.equal(failure(examplePolicy.evaluate(big)).code, "haven::incident::too_large");
});

test("limits: 10 000-deep nesting in a policy is one located error", () => {
  const src = `policy x "X" {\n  version "1"\n}\nrule r {\n  when ${"(".repeat(10000)}x${")".repeat(10000)}\n}\n`;
  const e = failure(haven.compile(src, "deep.haven"));
  assert.equal(e.code, "haven::parse::nesting_too_deep");
  assert.equal(e.line, 5);
  // The rule's `{` is one level, so the 64th `(` (column 7 + 64) is the one too deep.
  assert.equal(e.column, 7 + 64);
  assert.ok(e.rendered.length < 2048, `${e.rendered.length} bytes rendered`);
});

test("limits: a 10 MB policy is one error at 1:1 with a short rendering", () => {
  const huge = "// " + "x".repeat(10 * 1024 * 1024);
  for (const r of [haven.compile(huge, "huge.haven"), { type: "failure", errors: haven.check(huge, "huge.haven") }]) {
    const e = failure(r);
    assert.equal(e.code, "haven::parse::too_large");
    assert.equal(e.message, `policy file is too large (${huge.length} bytes, limit 4194304)`);
    assert.deepEqual([e.file, e.line, e.column], ["huge.haven", 1, 1]);
    assert.ok(e.rendered.length < 2048, `${e.rendered.length} bytes rendered`);
  }
});

test("limits: a 1 000 000-element list in an incident is rejected, as object or text", () => {
  const others = Array.from({ length: 1_000_000 }, () => ({ role: "pupil" }));
  const asObject = failure(examplePolicy.evaluate({ category: "sharing_nudes", others }));
  assert.equal(asObject.code, "haven::incident::too_large");
  const numbers = JSON.stringify({ category: "sharing_nudes", others: new Array(1_000_000).fill(0) });
  assert.equal(failure(examplePolicy.evaluate(numbers)).code, "haven::incident::too_large");
  // Under the byte limit but over the list limit: named by key.
  const e = failure(examplePolicy.evaluate({ category: "sharing_nudes", others: others.slice(0, 1001) }));
  assert.deepEqual([e.code, e.key], ["haven::incident::list_too_long", "others"]);
});

test("limits: deeply nested incidents, as objects or text, never overflow the stack", () => {
  let deep = {};
  for (let i = 0; i < 1_000_000; i++) deep = { a: deep };
  const e = failure(examplePolicy.evaluate({ category: "sharing_nudes", facts: deep }));
  assert.equal(e.code, "haven::incident::too_deep");
  assert.ok(e.key.startsWith("facts.a.a."), e.key);
  const text = "[".repeat(100_000) + "]".repeat(100_000);
  assert.equal(failure(examplePolicy.evaluate(text)).code, "haven::incident::too_deep");
  assert.equal(failure(examplePolicy.evaluate('{"a":'.repeat(100_000))).code, "haven::incident::too_deep");
});

test("limits: huge numbers are out of range or invalid, never wrapped", () => {
  const cases = [
    [{ category: "sharing_nudes", actor: { role: "pupil", age: 2 ** 70 } }, "haven::incident::out_of_range", "actor.age"],
    [{ category: "sharing_nudes", actor: { role: "pupil", age: -(2 ** 70) } }, "haven::incident::out_of_range", "actor.age"],
    [{ category: "sharing_nudes", actor: { role: "pupil", age: Number.MAX_VALUE } }, "haven::incident::out_of_range", "actor.age"],
    [{ category: "sharing_nudes", facts: { prior_incidents: 2 ** 63 } }, "haven::incident::out_of_range", "facts.prior_incidents"],
    ['{"category": "sharing_nudes", "actor": {"age": 1e400}}', "haven::incident::invalid_json", ""],
    [`{"category": "sharing_nudes", "actor": {"age": ${"9".repeat(400)}}}`, "haven::incident::invalid_json", ""],
  ];
  for (const [incident, code, key] of cases) {
    const e = failure(examplePolicy.evaluate(incident));
    assert.deepEqual([e.code, e.key], [code, key], e.message);
  }
});

test("limits: text that is not Unicode (unpaired surrogates) is located, never silently replaced", () => {
  const src = example.replace("// ", "// \uD83D ");
  const line = example.slice(0, example.indexOf("// ")).split("\n").length;
  for (const errors of [failure(haven.compile(src, "s.haven")), haven.check(src, "s.haven")[0]]) {
    assert.equal(errors.code, "haven::source::unpaired_surrogate");
    assert.deepEqual([errors.file, errors.line], ["s.haven", line]);
  }
  // A real U+FFFD and a paired surrogate (an emoji) are fine.
  assert.equal(haven.compile(example.replace("// ", "// \uFFFD 😀 "), "ok.haven").type, "success");
  // In a module too, named by its file.
  const r = haven.compile('policy t "T" {\n  version "1"\n  use shared/x\n  use std/vocabulary\n}\n', "t.haven", {
    modules: { "shared/x": 'module shared/x "X" {\n}\n// \uDC00\n' },
  });
  const e = failure(r);
  assert.deepEqual([e.code, e.file, e.line], ["haven::source::unpaired_surrogate", "shared/x.haven", 3]);
  // Incident strings: an unpaired surrogate is invalid JSON with its position.
  const bad = failure(examplePolicy.evaluate({ category: "sharing_nudes", id: "\uD800" }));
  assert.equal(bad.code, "haven::incident::invalid_json");
  assert.equal(typeof bad.column, "number");
});

test("limits: a 500 KB key is quoted short", () => {
  const e = failure(examplePolicy.evaluate({ category: "sharing_nudes", ["k".repeat(500_000)]: 1 }));
  assert.equal(e.code, "haven::incident::unknown_key");
  assert.ok(e.key.length < 64 && e.message.length < 1024, e.message.slice(0, 100));
});

test("evaluateMany's one-text batch path answers exactly as evaluate does, and falls back to name a bad key", () => {
  const batch = [
    YEAR6_PHONE_IN_LESSON,
    { category: "sharing_nudes", actor: { role: "pupil", age: undefined }, subject: { role: "pupil" } },
    JSON.stringify({ category: "cyberbullying", actor: { role: "pupil", age: 10 } }),
    "{not json",
    null,
    5,
    { category: "sharing_nudes", others: [{ role: "pupil", age: 14 }] },
    { category: "nope" },
  ];
  const many = policy.evaluateMany(batch);
  assert.deepEqual(many, batch.map((b) => policy.evaluate(b)));
  assert.equal(many[0].warnings, policy.warnings, "answers share the policy's warnings");
  // a value JSON cannot carry: the whole batch takes the per-record path, which names its key
  const mixed = policy.evaluateMany([...batch, { category: "sharing_nudes", actor: { age: NaN } }, [undefined]]);
  assert.deepEqual(mixed.slice(0, batch.length), many);
  assert.equal(mixed[batch.length].errors[0].key, "actor.age");
  assert.equal(mixed[batch.length].errors[0].code, "haven::incident::not_json");
  assert.equal(mixed.length, batch.length + 2);
});

test("evaluateMany with a non-array gives one failure", () => {
  for (const bad of [undefined, null, 42, "[]", { length: 1, 0: {} }]) {
    const answers = examplePolicy.evaluateMany(bad);
    assert.equal(answers.length, 1);
    const e = failure(answers[0]);
    assert.equal(e.kind, "policy");
    assert.equal(e.code, "haven::api::wrong_argument");
    assert.match(e.message, /`incidents` must be an array/);
  }
});

test("after every error above the module still answers", () => {
  const { decision } = evaluateOk(policy, YEAR6_PHONE_IN_LESSON);
  assert.equal(decision.permission.verdict, "not_allowed");
});

// ---------------------------------------------------------------- the hostile-record suite

test("a hostile record gives every error with core's codes (the CLI and Python fixture)", () => {
  const fs = require("node:fs");
  const path = require("node:path");
  const dir = path.join(__dirname, "../../../crates/haven-cli/tests/fixtures/hostile");
  const record = fs.readFileSync(path.join(dir, "several-errors.json"), "utf8");
  const expected = fs.readFileSync(path.join(dir, "several-errors.expected"), "utf8").trim().split("\n");
  for (const incident of [record, JSON.parse(record)]) {
    const a = examplePolicy.evaluate(incident);
    failure(a);
    assert.deepEqual(a.errors.map((e) => `${e.key} ${e.code}`), expected);
  }
});

test("a repeated key at any depth names the key and both positions", () => {
  const text = '{"category": "cyberbullying",\n "category": "csam",\n "actor": {"age": 9, "age": 10}}';
  const a = examplePolicy.evaluate(text);
  failure(a);
  assert.deepEqual(
    a.errors.map((e) => [e.code, e.key, e.line, e.column]),
    [
      ["haven::incident::duplicate_key", "category", 2, 2],
      ["haven::incident::duplicate_key", "actor.age", 3, 22],
    ],
  );
  assert.match(a.errors[0].message, /at 1:2 and 2:2/);
});

test("options.today gives the CLI's count of date-dependent warnings (haven --today)", (t) => {
  const fs = require("node:fs");
  const path = require("node:path");
  const { execFileSync } = require("node:child_process");
  const repo = path.resolve(__dirname, "../../..");
  const bin = [process.env.HAVEN_BIN, `${repo}/target/release/haven`, `${repo}/target/debug/haven`].find((p) => p && fs.existsSync(p));
  if (!bin) return t.skip("no haven binary (cargo build -p haven-cli, or set HAVEN_BIN)");
  const file = path.join(repo, "policies/basnett_2024/policy.haven");
  const text = fs.readFileSync(file, "utf8");
  for (const today of ["2026-01-01", "2027-06-01", "2028-01-01"]) {
    const cli = JSON.parse(execFileSync(bin, ["--today", today, "check", "--format", "json", file], { cwd: repo, encoding: "utf8" }));
    const cliWarnings = cli.filter((d) => d.severity === "warning").length;
    const wasm = haven.check(text, "policy.haven", { today }).filter((d) => d.severity === "warning");
    assert.equal(wasm.length, cliWarnings, today);
    assert.equal(wasm.some((d) => d.code === "haven::check::review_overdue"), today >= "2027-01-01", today);
  }
});
