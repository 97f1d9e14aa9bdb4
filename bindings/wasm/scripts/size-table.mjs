// Writes the measured sizes of haven_bg.wasm (from build.sh) to pkg-web/sizes.json and the
// "## Size" table of README.md between its markers, so the table is generated, never typed.
//   node scripts/size-table.mjs BEFORE BEFORE_GZ AFTER AFTER_GZ BUNDLED BUNDLED_GZ NODE NODE_GZ NODE_OPT
import { readFileSync, writeFileSync } from "node:fs";
import { renderSizeTable } from "./size-table-render.mjs";

const [before, beforeGz, after, afterGz, bundled, bundledGz, node, nodeGz] = process.argv.slice(2, 10).map(Number);
const nodeOpt = process.argv[10] ?? "z";
if (![before, beforeGz, after, afterGz, bundled, bundledGz, node, nodeGz].every(Number.isFinite)) {
  console.error("usage: node scripts/size-table.mjs BEFORE BEFORE_GZ AFTER AFTER_GZ BUNDLED BUNDLED_GZ NODE NODE_GZ NODE_OPT");
  process.exit(2);
}
const sizes = {
  after_wasm_bindgen: { raw: before, gzip: beforeGz },
  after_wasm_opt: { raw: after, gzip: afterGz },
  bundled_policy_text: { raw: bundled, gzip: bundledGz },
  node: { raw: node, gzip: nodeGz, opt_level: nodeOpt },
};
writeFileSync(new URL("../pkg-web/sizes.json", import.meta.url), JSON.stringify(sizes, null, 2) + "\n");
const readmeUrl = new URL("../README.md", import.meta.url);
const readme = readFileSync(readmeUrl, "utf8");
const next = readme.replace(
  /<!-- sizes:begin[^>]*-->[\s\S]*?<!-- sizes:end -->/,
  renderSizeTable(sizes),
);
if (next === readme && !readme.includes("<!-- sizes:begin")) {
  console.error("README.md has no <!-- sizes:begin --> … <!-- sizes:end --> markers");
  process.exit(1);
}
writeFileSync(readmeUrl, next);
