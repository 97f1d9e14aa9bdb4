//! Bundle every `.haven` file under `policies/` so bindings (and drafts outside the repo)
//! can `use std/vocabulary` and `extends baseline` without a file system.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let policies = manifest.join("../../policies");
    println!("cargo:rerun-if-changed={}", policies.display());
    let mut files = Vec::new();
    collect(&policies, &mut files);
    files.sort();
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
