// The README's Node example runs as written (from the repository root) and prints what it says.
import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const root = fileURLToPath(new URL("../../../", import.meta.url));

test("README: the 'Use from Node' example runs and prints the decision", () => {
  const section = readme.slice(readme.indexOf("## Use from Node"));
  const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(code, "no js block under 'Use from Node'");
  const out = execFileSync(process.execPath, ["-e", code], { cwd: root, encoding: "utf8" });
  assert.match(out, /^not_allowed$/m);
  assert.match(out, /^must store_device locker$/m);
  // the comments in the example show the same output
  for (const line of out.trim().split("\n").slice(1)) assert.ok(code.includes(`// ${line}`), line);
});
