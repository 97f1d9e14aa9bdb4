//! Bundle every `.haven` file under `policies/` so bindings (and drafts outside the repo)
//! can `use std/vocabulary` and `extends baseline` without a file system.
//!
//! Without the `school-policies` feature only the modules a policy builds on are bundled
//! (`std/`, `shared/`, `baseline`, `example`): the WASM module leaves the school policies out
//! (about half its size) and the playground fetches them as static files.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let policies = manifest.join("../../policies");
    println!("cargo:rerun-if-changed={}", policies.display());
    let mut files = Vec::new();
    collect(&policies, &mut files);
    files.sort();
    let schools = std::env::var_os("CARGO_FEATURE_SCHOOL_POLICIES").is_some();
    if !schools {
        files.retain(|f| is_module(&policies, f));
    }
    let mut out = String::from("/// (module path, display name, text) of every bundled policy file.\npub static BUNDLED: &[(&str, &str, &str)] = &[\n");
    for file in files {
        println!("cargo:rerun-if-changed={}", file.display());
        let Ok(rel) = file.strip_prefix(&policies) else {
            continue;
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        let module = rel.strip_suffix(".haven").unwrap_or(&rel);
        let module = module.strip_suffix("/policy").unwrap_or(module);
        let _ = writeln!(
            out,
            "    ({module:?}, {display:?}, include_str!({path:?})),",
            display = format!("policies/{rel}"),
            path = file.display().to_string()
        );
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("bundled.rs");
    let _ = std::fs::write(dest, out);
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "haven") {
            out.push(path);
        }
    }
}

/// Whether `file` is one a school policy builds on: anything under `std/` or `shared/`, and
/// the `baseline` and `example` policies (not a school's own `<id>/policy.haven`).
fn is_module(policies: &Path, file: &Path) -> bool {
    let Ok(rel) = file.strip_prefix(policies) else {
        return false;
    };
    let first = rel
        .components()
        .next()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .unwrap_or_default();
    matches!(first.as_str(), "std" | "shared" | "baseline" | "example")
}
