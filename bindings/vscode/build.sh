#!/usr/bin/env bash
# Build the VS Code extension: install its npm packages, copy the TextMate grammar in,
# test the grammar with VS Code's own tokenizer, and package haven-vscode-<version>.vsix
# with @vscode/vsce. Needs Node >= 20 and npm with access to the npm registry.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v npm >/dev/null; then
  echo "bindings/vscode/build.sh: npm is missing (install Node.js >= 20)" >&2
  exit 1
fi
npm ci --no-audit --no-fund
mkdir -p syntaxes
cp ../../grammar/haven.tmLanguage.json syntaxes/
# vsce wants one LICENSE file: haven is MIT OR Apache-2.0, so it holds both texts.
{
  printf 'haven is licensed under either of the MIT license or the Apache License 2.0, at your option.\n\n'
  cat ../../LICENSE-MIT
  printf '\n\n'
  cat ../../LICENSE-APACHE
} > LICENSE
node --test test/grammar.test.mjs
version=$(node -p 'require("./package.json").version')
rm -f ./*.vsix
npx vsce package --out "haven-vscode-${version}.vsix"
node scripts/check-vsix.mjs "haven-vscode-${version}.vsix"
