#!/usr/bin/env bash
# Build haven's WASM packages: pkg-node/ (CommonJS, `--target nodejs`) and pkg-web/
# (ES module, `--target web`), optimised with wasm-opt from npm `binaryen`, and copy the web
# package into playground/pkg/ so the playground folder is self-contained.
# Idempotent: installs the wasm32 target, wasm-bindgen-cli and the npm tools only when missing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"

# The CLI must match the `wasm-bindgen = "=…"` pin in Cargo.toml exactly.
bindgen_version="$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' Cargo.toml)"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

step() { printf '\n== %s\n' "$*"; }

step "toolchain"
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi
if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $bindgen_version" ]; then
  # --locked first (reproducible); if the registry no longer serves a locked version, let
  # cargo resolve the newest compatible dependencies instead.
  cargo install wasm-bindgen-cli --version "$bindgen_version" --locked \
    || cargo install wasm-bindgen-cli --version "$bindgen_version"
fi
wasm-bindgen --version
if [ ! -x node_modules/.bin/wasm-opt ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

target_dir="$(cd "$root" && cargo metadata --format-version 1 --no-deps \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')"
# The workspace [profile.release] keeps debug info for the CLI; override it for these builds.
# haven-wasm depends on haven-modules without `school-policies`: only the modules a school
# policy builds on are bundled; the school policies are copied next to the playground below.
# HAVEN_WASM_NIGHTLY=1 (opt-in, measured in README "Size"): build with nightly Rust, std rebuilt
# for size with the immediate-abort panic strategy (no panic messages or formatting left in).
nightly=()
panic=(--config 'profile.release.panic="abort"')
if [ "${HAVEN_WASM_NIGHTLY:-0}" = "1" ]; then
  rustup component list --toolchain nightly --installed | grep -q '^rust-src' \
    || rustup component add rust-src --toolchain nightly
  nightly=(+nightly -Z build-std=std,panic_abort -Z build-std-features=optimize_for_size)
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort"
  panic=()
  target_dir="$target_dir/nightly-sz"
fi
wasm_build() { # OPT_LEVEL TARGET_DIR
  (cd "$root" && CARGO_TARGET_DIR="$2" cargo "${nightly[@]:0:1}" build "${nightly[@]:1}" -p haven-wasm --release \
    --target wasm32-unknown-unknown \
    --config "profile.release.opt-level=$1" \
    --config profile.release.lto=true \
    --config profile.release.codegen-units=1 \
    --config profile.release.debug=0 \
    "${panic[@]}")
}
# Two builds of the same code: the page downloads pkg-web, so it is built for size
# (opt-level "z"); Node loads pkg-node from disk, so it is built for speed (opt-level 3:
# evaluateMany about 1.5x faster, the module about 1.4x larger). HAVEN_WASM_NODE_OPT=z
# builds Node's for size too (one build, quicker).
node_opt="${HAVEN_WASM_NODE_OPT:-3}"
step "cargo build (wasm32, opt-level \"z\", for the web)"
wasm_build '"z"' "$target_dir"
wasm="$target_dir/wasm32-unknown-unknown/release/haven_wasm.wasm"
node_wasm="$wasm"
if [ "$node_opt" != "z" ]; then
  step "cargo build (wasm32, opt-level $node_opt, for Node)"
  wasm_build "$node_opt" "$target_dir/wasm-node"
  node_wasm="$target_dir/wasm-node/wasm32-unknown-unknown/release/haven_wasm.wasm"
fi

step "wasm-bindgen"
rm -rf pkg-node pkg-web playground/pkg
wasm-bindgen --target nodejs --out-dir pkg-node --out-name haven "$node_wasm"
wasm-bindgen --target web --out-dir pkg-web --out-name haven "$wasm"
# The raw exports behind init() take and return externrefs, typed `any`: make them `unknown`
# so the public surface has no `any`.
sed -i '/^export interface InitOutput/,/^}/ s/\bany\b/unknown/g' pkg-web/haven.d.ts

step "wasm-opt (-Oz for the web$( [ "$node_opt" = "z" ] || echo ", -O3 for Node"))"
before="$(wc -c < pkg-web/haven_bg.wasm)"
before_gz="$(gzip -9c pkg-web/haven_bg.wasm | wc -c)"
wasm_opt() { # LEVEL FILE
  # wasm-opt takes minutes on a loaded machine: reuse its output when the input is the same
  # (cached under the target directory by the input's hash and the level).
  local cache
  cache="$target_dir/wasm-opt-cache/$(sha256sum "$2" | cut -c1-64)$1.wasm"
  if [ -f "$cache" ]; then
    cp "$cache" "$2"
    return
  fi
  # rustc's wasm32 target emits these features by default (Rust >= 1.87); wasm-opt must
  # be told, or it rejects e.g. memory.copy.
  npx --no-install wasm-opt "$1" --strip-debug --strip-producers \
    --enable-bulk-memory --enable-bulk-memory-opt --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$2" -o "$2.opt"
  mv "$2.opt" "$2"
  mkdir -p "$(dirname "$cache")"
  cp "$2" "$cache"
}
wasm_opt -Oz pkg-web/haven_bg.wasm
if [ "$node_opt" = "z" ]; then
  cp pkg-web/haven_bg.wasm pkg-node/haven_bg.wasm
else
  wasm_opt -O3 pkg-node/haven_bg.wasm
fi

step "package metadata"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n1)"
write_package() { # dir name type main
  cat > "$1/package.json" <<EOF
{
  "name": "$2",
  "version": "$version",
  "description": "haven: UK school online-safety policies as code, in WebAssembly",
  "license": "MIT OR Apache-2.0",
  "type": "$3",
  "main": "haven.js",
  "types": "haven.d.ts",
  "files": ["haven.js", "haven.d.ts", "haven_bg.wasm", "haven_bg.wasm.d.ts"],
  "sideEffects": $4
}
EOF
  cp README.md "$1/README.md"
}

mkdir -p playground/pkg
cp pkg-web/haven.js pkg-web/haven.d.ts pkg-web/haven_bg.wasm playground/pkg/

step "school policies for the playground (fetched, not bundled)"
node scripts/school-policies.mjs "$root/policies" playground/policies

after="$(wc -c < pkg-web/haven_bg.wasm)"
after_gz="$(gzip -9c pkg-web/haven_bg.wasm | wc -c)"
kb() { awk -v b="$1" 'BEGIN { printf "%.1f KB", b / 1024 }'; }
step "size of haven_bg.wasm"
printf '  after wasm-bindgen: %9d bytes (%s), gzipped %8d bytes (%s)\n' \
  "$before" "$(kb "$before")" "$before_gz" "$(kb "$before_gz")"
printf '  after wasm-opt -Oz: %9d bytes (%s), gzipped %8d bytes (%s)\n' \
  "$after" "$(kb "$after")" "$after_gz" "$(kb "$after_gz")"
node_raw="$(wc -c < pkg-node/haven_bg.wasm)"
node_gz="$(gzip -9c pkg-node/haven_bg.wasm | wc -c)"
printf '  pkg-node (opt-level %s): %9d bytes (%s), gzipped %8d bytes (%s)\n' \
  "$node_opt" "$node_raw" "$(kb "$node_raw")" "$node_gz" "$(kb "$node_gz")"
# What haven-modules bundles without `school-policies`: std/, shared/, baseline, example.
bundled="$(find "$root/policies/std" "$root/policies/shared" "$root/policies/baseline" \
  "$root/policies/example" -name '*.haven' -print0 | sort -z | xargs -0 cat)"
bundled_raw="$(printf '%s' "$bundled" | wc -c)"
bundled_gz="$(printf '%s' "$bundled" | gzip -9c | wc -c)"
printf '  of which bundled policy text (std/, shared/, baseline, example): %d bytes, gzipped %d bytes\n' \
  "$bundled_raw" "$bundled_gz"
# The README's size table is generated from these numbers (test/sizes.test.mjs checks it).
node scripts/size-table.mjs "$before" "$before_gz" "$after" "$after_gz" "$bundled_raw" "$bundled_gz" \
  "$node_raw" "$node_gz" "$node_opt"

write_package pkg-node haven-wasm commonjs true
write_package pkg-web haven-wasm-web module '["./haven.js"]'
