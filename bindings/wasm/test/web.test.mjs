// The `--target web` package (pkg-web) is an ES module that needs init(); check it loads and
// answers in Node too, from bytes (initSync) and from a compiled module (async init).
import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import init, { initSync, compile, bundledPolicies, version } from "../pkg-web/haven.js";

const require = createRequire(import.meta.url);
const { POLICY_ID, YEAR6_PHONE_IN_LESSON, schoolPolicy } = require("./support/fixtures.cjs");
const wasmUrl = new URL("../pkg-web/haven_bg.wasm", import.meta.url);

test("pkg-web: initSync from bytes, then the same API", () => {
  initSync({ module: readFileSync(wasmUrl) });
  assert.match(version(), /^\d+\.\d+\.\d+/);
  assert.ok(bundledPolicies().some((b) => b.id === "baseline"));
  const p = schoolPolicy(POLICY_ID);
  const r = compile(p.text, p.name);
  assert.equal(r.type, "success");
  const a = r.policy.evaluate(YEAR6_PHONE_IN_LESSON);
  assert.equal(a.type, "success");
  assert.equal(a.decision.permission.verdict, "not_allowed");
});

test("pkg-web: async init from a compiled module", async () => {
  const module = await WebAssembly.compile(readFileSync(wasmUrl));
  await init({ module_or_path: module });
  const r = compile("policy {");
  assert.equal(r.type, "failure");
  assert.equal(r.errors[0].line, 1);
});
