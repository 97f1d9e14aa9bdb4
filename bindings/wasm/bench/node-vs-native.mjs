// evaluateMany in Node against the native JSON path, in one run, on the same policy and corpus
// (issue 18). A measurement, not a test: it asserts nothing.
//
//   node bench/node-vs-native.mjs [--policy kenilworth_2022] [--incidents 2000] [--repeat 7]
//
// 1. Generates a corpus of varied incidents from the policy's own vocabulary (fixed seed) and
//    writes it as JSON Lines to test-output/bench-corpus.jsonl.
// 2. Runs the native JSON path (examples/native_json.rs: the same envelope code the module
//    runs, compiled natively in release) over that file: best of --repeat passes.
// 3. Times policy.evaluateMany(objects) and policy.evaluateMany(JSON texts) in Node on the
//    built module in pkg-node/ (or --pkg DIR): best of --repeat passes, after one warm-up.
// 4. Runs the native path again, and keeps the better of its two figures.
// Every pass is timed in CPU time of the running thread (/proc/thread-self/schedstat) where
// Linux has it, else wall-clock, on both sides: on a loaded machine that moves the ratio less.
// Needs `bash build.sh` first (pkg-node/) and cargo.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const root = join(here, "..", "..");
const require = createRequire(import.meta.url);
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const haven = require(join(arg("pkg", join(here, "pkg-node")), "haven.js"));

const policyId = arg("policy", "kenilworth_2022");
const count = Number(arg("incidents", "2000"));
const repeat = Number(arg("repeat", "7"));

const policyPath = join(root, "policies", policyId, "policy.haven");
const compiled = haven.compile(readFileSync(policyPath, "utf8"), policyPath);
if (compiled.type !== "success") throw new Error(JSON.stringify(compiled.errors.slice(0, 3)));
const policy = compiled.policy;

// ---- corpus: a fixed-seed generator over the policy's vocabulary
let seed = 0x2545f491;
const rand = () => {
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return seed / 2 ** 32;
};
const pick = (list) => list[Math.floor(rand() * list.length)];
const maybe = (p) => rand() < p;
const { tokens, facts, person_facts: personFacts } = policy.vocabulary;
const factValue = (f) => {
  if (f.type === "bool") return rand() < 0.5;
  if (f.type === "int") return Math.floor((f.min ?? 0) + rand() * Math.min(20, (f.max ?? 20) - (f.min ?? 0) + 1));
  if (f.type === "enum") return pick(f.values ?? []);
  return pick(tokens.role);
};
const person = (pupil) => {
  const p = { role: pupil ? "pupil" : pick(tokens.role) };
  if (maybe(0.6)) p.age = pupil ? 4 + Math.floor(rand() * 14) : 18 + Math.floor(rand() * 50);
  if (pupil && maybe(0.4)) p.year_group = Math.floor(rand() * 14);
  for (const f of personFacts) if (f.type === "bool" && maybe(0.15)) p[f.name] = rand() < 0.5;
  return p;
};
const incidentAt = (i) => {
  const r = { id: `n${i}` };
  if (maybe(0.7)) r.category = pick(tokens.category);
  else {
    r.activity = pick(tokens.activity);
    r.device = { kind: pick(tokens.device), owner: pick(tokens.owner) };
    if (maybe(0.7)) r.location = pick(tokens.location);
    if (maybe(0.7)) r.time = pick(tokens.time);
  }
  r.actor = person(maybe(0.7));
  if (maybe(0.5)) r.subject = person(true);
  if (maybe(0.2)) r.others = [person(true), person(false)];
  const fs = {};
  for (const f of facts) if (maybe(0.3)) fs[f.name] = factValue(f);
  if (Object.keys(fs).length) r.facts = fs;
  return r;
};
const corpus = Array.from({ length: count }, (_, i) => incidentAt(i));
const lines = corpus.map((r) => JSON.stringify(r));
mkdirSync(join(here, "test-output"), { recursive: true });
const corpusPath = join(here, "test-output", "bench-corpus.jsonl");
writeFileSync(corpusPath, lines.join("\n") + "\n");
const rejected = policy.evaluateMany(corpus).filter((a) => a.type !== "success").length;

// ---- native
const runNative = () =>
  JSON.parse(
    execFileSync(
      "cargo",
      ["run", "--quiet", "--release", "-p", "haven-wasm", "--example", "native_json", "--", policyPath, corpusPath, String(repeat)],
      { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
    ),
  );
const nativeFirst = runNative();

// ---- node
const threadCpu = () => {
  try {
    return Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]) / 1e9;
  } catch {
    return null;
  }
};
const seconds = (fn) => {
  const cpu = threadCpu();
  const wall = process.hrtime.bigint();
  fn();
  const after = threadCpu();
  return cpu !== null && after !== null ? after - cpu : Number(process.hrtime.bigint() - wall) / 1e9;
};
const best = (fn) => {
  fn();
  let t = Infinity;
  for (let i = 0; i < repeat; i++) t = Math.min(t, seconds(fn));
  return t;
};
const objects = best(() => policy.evaluateMany(corpus));
const texts = best(() => policy.evaluateMany(lines));
const one = best(() => { for (const r of corpus) policy.evaluate(r); });
const nativeSecond = runNative();
const native = nativeFirst.best_seconds <= nativeSecond.best_seconds ? nativeFirst : nativeSecond;

const rate = (s) => Math.round(count / s);
const row = (name, s) =>
  `| ${name} | ${rate(s).toLocaleString("en-GB")} | ${(s / count * 1e6).toFixed(1)} µs | ${(native.per_second / rate(s)).toFixed(2)}x |`;
console.log(`policy ${policyId}, ${count} generated incidents (${rejected} rejected by the policy), best of ${repeat}, ${threadCpu() === null ? "wall-clock" : "thread CPU"} time`);
console.log(`| path | incidents/s | per incident | native / this |`);
console.log(`|---|---:|---:|---:|`);
console.log(row("native JSON path (release, examples/native_json.rs)", native.best_seconds));
console.log(row("Node `evaluateMany(objects)`", objects));
console.log(row("Node `evaluateMany(JSON texts)`", texts));
console.log(row("Node `evaluate(object)` in a loop", one));
