// The README's size table is the one build.sh generated for the module in pkg-web/.
import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { renderSizeTable } from "../scripts/size-table-render.mjs";

test("README size table matches the built module", () => {
  const sizes = JSON.parse(readFileSync(new URL("../pkg-web/sizes.json", import.meta.url), "utf8"));
  const wasm = statSync(new URL("../pkg-web/haven_bg.wasm", import.meta.url)).size;
  assert.equal(sizes.after_wasm_opt.raw, wasm, "sizes.json is not from this build");
  const node = statSync(new URL("../pkg-node/haven_bg.wasm", import.meta.url)).size;
  assert.equal(sizes.node.raw, node, "sizes.json does not describe pkg-node");
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const table = /<!-- sizes:begin[^>]*-->[\s\S]*?<!-- sizes:end -->/.exec(readme)?.[0];
  assert.ok(table, "README.md has no generated size table");
  assert.equal(table, renderSizeTable(sizes), "README size table is stale: run bash build.sh");
});
