// The TextMate grammar (grammar/haven.tmLanguage.json) tokenised by the engine VS Code
// uses (vscode-textmate + Oniguruma), on a policy that uses every kind of construct.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import vsctm from 'vscode-textmate';
import oniguruma from 'vscode-oniguruma';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const grammarPath = join(here, '..', '..', '..', 'grammar', 'haven.tmLanguage.json');

async function loadGrammar() {
  const wasm = readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm')).buffer;
  await oniguruma.loadWASM(wasm);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async () => vsctm.parseRawGrammar(readFileSync(grammarPath, 'utf8'), grammarPath),
  });
  return registry.loadGrammar('source.haven');
}

/** Every (text, scopes) token of `source`. */
function tokenize(grammar, source) {
  const out = [];
  let state = vsctm.INITIAL;
  for (const line of source.split('\n')) {
    const result = grammar.tokenizeLine(line, state);
    for (const t of result.tokens) {
      out.push({ text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes });
    }
    state = result.ruleStack;
  }
  return out;
}

const SOURCE = `policy demo "Demo" {
  version "1"
  adopted 2022-03
  layer "school"
  extends baseline
  use std/vocabulary
}
// a comment
role bursar is staff "Bursar"
fact late: bool ask "Is it late?"
relation not late implies not adult_involved
person "Ada Lovelace" holds dsl
statutory default rule first_rule overrides other {
  cites "§1": "Staff must report."
  because "the sentence says so"
  when category is any and actor.age < 13 and facts.late
  must notify dsl due immediately
  permission not_allowed
}
on breach rule after_breach {
  cites "§2"
  when todo "write me"
  may warning
}
declines "§3": "A sentence" because "not a duty"
`;

function scopeOf(tokens, text) {
  const t = tokens.find((tok) => tok.text === text);
  assert.ok(t, `no token "${text}" in ${JSON.stringify(tokens.map((x) => x.text))}`);
  return t.scopes.join(' ');
}

test('keywords, names, literals and comments get their scopes', async () => {
  const grammar = await loadGrammar();
  const tokens = tokenize(grammar, SOURCE);
  const expect = {
    policy: 'storage.type.header.haven',
    demo: 'entity.name.namespace.haven',
    '2022-03': 'constant.numeric.date.haven',
    layer: 'keyword.other.metadata.haven',
    baseline: 'entity.name.namespace.haven',
    '// a comment': 'comment.line.double-slash.haven',
    bursar: 'entity.name.type.haven',
    relation: 'storage.type.haven',
    implies: 'keyword.other.haven',
    statutory: 'storage.modifier',
    first_rule: 'entity.name.function.rule.haven',
    other: 'entity.name.function.rule.haven',
    because: 'keyword.other.haven',
    must: 'keyword.control.modality.haven',
    due: 'keyword.other.haven',
    not_allowed: 'keyword.other.outcome.haven',
    after_breach: 'entity.name.function.rule.haven',
    todo: 'keyword.other.haven',
    declines: 'storage.type.haven',
    '13': 'constant.numeric.integer.haven',
    '<': 'keyword.operator.comparison.haven',
    late: 'variable.other',
  };
  for (const [text, scope] of Object.entries(expect)) {
    assert.match(scopeOf(tokens, text), new RegExp(scope.replace(/\./g, '\\.')), text);
  }
  assert.match(scopeOf(tokens, 'default'), /storage\.modifier/);
  assert.match(scopeOf(tokens, 'on breach'), /storage\.modifier/);
  assert.match(scopeOf(tokens, 'Is it late?'), /string\.quoted\.double/);
});
