// Copies the school policies (not bundled into the module) next to the playground, as the
// static files it fetches: playground/policies/<id>/policy.haven, plus
// playground/policies/index.json ([{ id, title, name }], by id). Run by build.sh.
//   node scripts/school-policies.mjs ROOT/policies playground/policies
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [from, to] = process.argv.slice(2);
if (!from || !to) {
  console.error("usage: node scripts/school-policies.mjs POLICIES_DIR OUT_DIR");
  process.exit(2);
}
// Bundled into the module (haven-modules without `school-policies`): not copied.
const BUNDLED = new Set(["std", "shared", "baseline", "example"]);
rmSync(to, { recursive: true, force: true });
const index = [];
for (const id of readdirSync(from).sort()) {
  const file = join(from, id, "policy.haven");
  if (BUNDLED.has(id) || !existsSync(file)) continue;
  mkdirSync(join(to, id), { recursive: true });
  copyFileSync(file, join(to, id, "policy.haven"));
  const title = /^policy\s+\w+\s+"([^"]*)"/m.exec(readFileSync(file, "utf8"))?.[1] ?? null;
  index.push({ id, title, name: `policies/${id}/policy.haven` });
}
writeFileSync(join(to, "index.json"), JSON.stringify(index, null, 2) + "\n");
console.log(`  ${index.length} school policies copied to ${to}/ (${index.map((p) => p.id).join(", ")})`);
