// The TypeScript surface: no `any` in either package's .d.ts, and a strict program using the
// API type-checks (including @ts-expect-error lines that must stay errors).
import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const haven = require("../pkg-node/haven.js");
const { POLICY_ID, schoolPolicy } = require("./support/fixtures.cjs");

const here = fileURLToPath(new URL(".", import.meta.url));

function withoutComments(ts) {
  return ts.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
}

for (const pkg of ["pkg-node", "pkg-web"]) {
  test(`${pkg}/haven.d.ts has no \`any\``, () => {
    const dts = withoutComments(readFileSync(new URL(`../${pkg}/haven.d.ts`, import.meta.url), "utf8"));
    const hits = dts.split("\n").filter((l) => /\bany\b/.test(l.replace(/"[^"]*"/g, "")));
    assert.deepEqual(hits, []);
    assert.match(dts, /evaluate\(incident: Incident \| string\): Answer;/);
    assert.match(dts, /export function compile\(source: string, name\?: string, options\?: CompileOptions\): CompileResult;/);
  });
}

test("a strict TypeScript program using the API type-checks", () => {
  const tsc = fileURLToPath(new URL("../node_modules/typescript/bin/tsc", import.meta.url));
  try {
    execFileSync(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: here, encoding: "utf8" });
  } catch (e) {
    assert.fail(`tsc failed:\n${e.stdout}${e.stderr}`);
  }
});

/** Property names of `export interface Name { ... }` in types.d.ts: [required, optional]. */
function declared(dts, name) {
  const body = new RegExp(`export interface ${name} \\{([\\s\\S]*?)\\n\\}`).exec(dts)?.[1];
  assert.ok(body, `interface ${name} not found`);
  const props = [...withoutComments(body).matchAll(/^  (\w+)(\??):/gm)];
  return [props.filter((m) => !m[2]).map((m) => m[1]), props.filter((m) => m[2]).map((m) => m[1])];
}

test("the runtime JSON has exactly the keys the types declare", () => {
  const dts = readFileSync(new URL("../types.d.ts", import.meta.url), "utf8");
  const check = (name, value) => {
    const [required, optional] = declared(dts, name);
    const keys = Object.keys(value);
    for (const k of keys) assert.ok(required.includes(k) || optional.includes(k), `${name}.${k} is not declared`);
    for (const k of required) assert.ok(keys.includes(k), `${name}.${k} is declared but missing`);
  };
  const seen = new Set();
  for (const p of [...haven.bundledPolicies(), schoolPolicy(POLICY_ID)]) {
    check("BundledPolicy", p);
    const r = haven.compile(p.text, p.name);
    assert.equal(r.type, "success");
    for (const w of r.warnings) {
      check("Diagnostic", w);
      for (const l of w.labels) check("DiagnosticLabel", l);
    }
    const incidents = [
      { id: 1, activity: "use", actor: { role: "pupil", year_group: 6 }, device: { kind: "phone", owner: "personal" }, location: "classroom", time: "lesson" },
      { category: "sharing_nudes", actor: { role: "pupil" } },
      { activity: "photograph", actor: { role: "parent_carer" }, location: "playground" },
      { category: "staff_misuse_concern", actor: { role: "headteacher" } },
    ];
    for (const a of r.policy.evaluateMany(incidents)) {
      assert.equal(a.type, "success");
      check("Decision", a.decision);
      for (const x of a.decision.actions) check("Action", x);
      for (const q of a.decision.questions) check("Question", q);
      if (a.decision.permission) {
        seen.add("permission");
        check("Permission", a.decision.permission);
        for (const c of a.decision.permission.conditions) check("PermissionCondition", c);
      }
    }
    r.policy.free();
  }
  assert.ok(seen.has("permission"));
  const bad = haven.compile("policy {");
  assert.equal(bad.type, "failure");
  for (const e of bad.errors) check("Diagnostic", e);
  const rejected = haven.compile(haven.bundledPolicies()[0].text).policy.evaluate({ category: 1 });
  assert.equal(rejected.type, "failure");
  check("IncidentError", rejected.errors[0]);
});

test("explain, why-not, nextQuestions and diff have exactly the keys the types declare", () => {
  const dts = readFileSync(new URL("../types.d.ts", import.meta.url), "utf8");
  const check = (name, value) => {
    const [required, optional] = declared(dts, name);
    const keys = Object.keys(value);
    for (const k of keys) assert.ok(required.includes(k) || optional.includes(k), `${name}.${k} is not declared`);
    for (const k of required) assert.ok(keys.includes(k), `${name}.${k} is declared but missing`);
  };
  const school = schoolPolicy(POLICY_ID);
  const policy = haven.compile(school.text, school.name).policy;
  const baseline = haven.compile(haven.bundledPolicies().find((p) => p.id === "baseline").text).policy;
  const nudes = { category: "sharing_nudes", actor: { role: "pupil", age: 14 }, subject: { role: "pupil", age: 14 } };
  const e = policy.explain(nudes);
  assert.equal(e.type, "success");
  check("Explanation", e.decision.explain);
  assert.ok(e.decision.explain.actions.length > 0);
  for (const a of e.decision.explain.actions) {
    check("ActionExplanation", a);
    for (const r of a.because) check("RuleReason", r);
    for (const c of a.counterfactuals) {
      check("Counterfactual", c);
      for (const ch of c.changes) check("Change", ch);
    }
  }
  const phone = { activity: "use", actor: { role: "pupil", year_group: 6 }, device: { kind: "phone", owner: "personal" }, location: "classroom", time: "lesson" };
  const permission = policy.explain(phone).decision.explain.permission;
  check("PermissionExplanation", permission);
  const w = policy.explain({ category: "sharing_nudes" }, { whyNot: { action: "refer", target: "police" } });
  assert.equal(w.type, "success");
  check("WhyNot", w.whyNot);
  for (const p of w.whyNot.producers) check("Producer", p);
  const n = policy.nextQuestions({ category: "sharing_nudes" });
  check("NextQuestions", n.nextQuestions);
  for (const q of n.nextQuestions.questions) check("NextQuestion", q);
  for (const g of n.nextQuestions.groups) check("QuestionGroup", g);
  const d = haven.diff(baseline, policy);
  check("DiffReport", d.report);
  assert.ok(d.report.classes.length > 0);
  for (const c of d.report.classes.slice(0, 20)) {
    check("DiffClass", c);
    check("Outcome", c.old);
    check("Outcome", c.new);
  }
  policy.free();
  baseline.free();
});
