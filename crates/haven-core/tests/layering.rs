//! The layering of haven-core's modules, read from the source: every `crate::…` path in each
//! top-level module (its file and the files of its folder) is an edge of the module graph,
//! and that graph has no cycle. The crate root (`lib.rs`, the façade defining `Policy`) is
//! not a node: a `crate::Name` re-exported from a module counts as that module, a name the
//! root defines itself (`Policy`, `CompileError`) is left out. A module's trailing
//! `#[cfg(test)]` block is left out too: tests may use the whole crate.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a failed test, with its message"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The text of a file without its test module (everything from a line that is exactly
/// `#[cfg(test)]` at the left margin).
fn without_tests(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if line == "#[cfg(test)]" {
            break;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Top-level modules declared in `lib.rs` (`mod x;` / `pub mod x;`).
fn modules(lib: &str) -> Vec<String> {
    lib.lines()
        .filter_map(|l| {
            let l = l.trim();
            let l = l.strip_prefix("pub ").unwrap_or(l);
            let l = l.strip_prefix("pub(crate) ").unwrap_or(l);
            l.strip_prefix("mod ")?.strip_suffix(';').map(str::to_owned)
        })
        .collect()
}

/// Names the root re-exports from a module: `pub use m::{A, B};` / `pub use m::A;`.
fn reexports(lib: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let text = without_tests(lib);
    let mut rest = text.as_str();
    while let Some(i) = rest.find("pub use ") {
        rest = &rest[i + "pub use ".len()..];
        let end = rest.find(';').unwrap_or(rest.len());
        let stmt: String = rest[..end].split_whitespace().collect::<Vec<_>>().join(" ");
        rest = &rest[end..];
        let Some((module, names)) = stmt.split_once("::") else {
            continue;
        };
        // `syntax::ast::{…}` re-exports from a submodule: the top-level module counts.
        let names = names.rsplit("::").next().unwrap_or(names);
        let names = names.trim_start_matches('{').trim_end_matches('}');
        for n in names.split(',') {
            let n = n.trim();
            let n = n.split(" as ").last().unwrap_or(n).trim();
            if !n.is_empty() {
                out.insert(n.to_owned(), module.to_owned());
            }
        }
    }
    out
}

/// Every file of a top-level module: `m.rs` and everything under `m/`.
fn files_of(module: &str) -> Vec<PathBuf> {
    let mut out = vec![];
    let file = src().join(format!("{module}.rs"));
    if file.is_file() {
        out.push(file);
    }
    let mut dirs = vec![src().join(module)];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out
}

/// The names that follow `crate::` in `text`, including each name of a `crate::{a, b::c}`
/// group.
fn crate_paths(text: &str) -> Vec<String> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = vec![];
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for part in group[..end].split(',') {
                let name = ident(part.trim());
                if !name.is_empty() {
                    out.push(name);
                }
            }
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                out.push(name);
            }
        }
    }
    out
}

/// The module graph: module → the modules its code names.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    let mods = modules(&lib);
    assert!(
        mods.len() > 10,
        "lib.rs declares its modules as `mod x;`: found {mods:?}"
    );
    let reexports = reexports(&lib);
    assert_eq!(
        reexports.get("Loader").map(String::as_str),
        Some("check"),
        "the re-export reader works"
    );
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for m in &mods {
        let files = files_of(m);
        assert!(!files.is_empty(), "module `{m}` has no file");
        let deps = g.entry(m.clone()).or_default();
        for f in files {
            let text = without_tests(&std::fs::read_to_string(&f).unwrap());
            for name in crate_paths(&text) {
                let target = if mods.contains(&name) {
                    Some(name)
                } else {
                    reexports.get(&name).cloned()
                };
                if let Some(t) = target {
                    if &t != m {
                        deps.insert(t);
                    }
                }
            }
        }
    }
    g
}

/// A cycle in `g`, as the list of modules around it, if there is one.
fn find_cycle(g: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(
        n: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match marks.get(n).copied().unwrap_or(Mark::New) {
            Mark::Done => return None,
            Mark::Open => {
                let start = path.iter().position(|p| p == n).unwrap_or(0);
                let mut cycle = path[start..].to_vec();
                cycle.push(n.to_owned());
                return Some(cycle);
            }
            Mark::New => {}
        }
        marks.insert(n.to_owned(), Mark::Open);
        path.push(n.to_owned());
        for d in g.get(n).into_iter().flatten() {
            if let Some(c) = visit(d, g, marks, path) {
                return Some(c);
            }
        }
        path.pop();
        marks.insert(n.to_owned(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for n in g.keys() {
        if let Some(c) = visit(n, g, &mut marks, &mut vec![]) {
            return Some(c);
        }
    }
    None
}

#[test]
fn core_modules_have_no_use_cycle() {
    let g = graph();
    if let Some(cycle) = find_cycle(&g) {
        panic!(
            "haven-core modules import each other in a circle: {}\n(move the shared item to the lower module)",
            cycle.join(" → ")
        );
    }
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    g.entry("c".into()).or_default();
    assert_eq!(find_cycle(&g), None);
    g.entry("c".into()).or_default().insert("a".into());
    assert_eq!(
        find_cycle(&g),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    assert_eq!(
        crate_paths("use crate::{ir::X, source};\nlet d = crate::diagnostic::f();"),
        vec!["ir", "source", "diagnostic"]
    );
}

#[test]
fn the_base_modules_import_nothing_above_them() {
    let g = graph();
    for (m, allowed) in [
        ("source", &[][..]),
        ("limits", &[][..]),
        ("diagnostic", &["source"][..]),
    ] {
        let deps: Vec<&String> = g[m]
            .iter()
            .filter(|d| !allowed.contains(&d.as_str()))
            .collect();
        assert!(deps.is_empty(), "`{m}` imports {deps:?}");
    }
}

#[test]
fn eval_does_not_import_syntax() {
    let g = graph();
    assert!(
        !g["eval"].contains("syntax"),
        "`eval` imports `syntax`: evaluation reads the checked IR only"
    );
}

/// The passes of `check/`, in the order `check/mod.rs` runs them. A pass may use what an
/// earlier pass produces, never a later one.
const PASSES: [&str; 5] = ["load", "resolve", "lower", "relations", "lints"];

/// The passes `text` names in a path: `super::lower::…`, `check::resolve::…`, or a
/// `super::{lower, …}` group (comment lines left out).
fn passes_named(text: &str) -> Vec<&'static str> {
    let code: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .map(|l| format!("{l}\n"))
        .collect();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut names = vec![];
    for prefix in ["super::", "check::"] {
        let mut rest = code.as_str();
        while let Some(i) = rest.find(prefix) {
            rest = &rest[i + prefix.len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                names.extend(group[..end].split(',').map(|p| ident(p.trim())));
            } else {
                names.push(ident(rest));
            }
        }
    }
    let mut out: Vec<&'static str> = PASSES
        .iter()
        .copied()
        .filter(|p| names.iter().any(|n| n == p))
        .collect();
    out.dedup();
    out
}

/// The passes after `pass` that `text` names.
fn later_passes(pass: &str, text: &str) -> Vec<&'static str> {
    let rank = PASSES.iter().position(|p| *p == pass).unwrap();
    passes_named(text)
        .into_iter()
        .filter(|p| PASSES.iter().position(|q| q == p).unwrap() > rank)
        .collect()
}

#[test]
fn check_passes_use_only_earlier_passes() {
    let check = src().join("check");
    for pass in PASSES {
        // `check/<pass>.rs`, or `check/<pass>/` with its files.
        let mut files = vec![];
        let file = check.join(format!("{pass}.rs"));
        if file.is_file() {
            files.push(file);
        }
        if let Ok(entries) = std::fs::read_dir(check.join(pass)) {
            files.extend(entries.map(|e| e.unwrap().path()));
        }
        assert!(
            !files.is_empty(),
            "check pass `{pass}` has no file (update PASSES if the passes changed)"
        );
        for f in files {
            let text = without_tests(&std::fs::read_to_string(&f).unwrap());
            let later = later_passes(pass, &text);
            assert!(
                later.is_empty(),
                "{} (pass `{pass}`) uses the later pass(es) {later:?}: passes run {PASSES:?}, \
                 so move what both need into the earlier pass",
                f.display()
            );
        }
    }
}

#[test]
fn the_pass_order_check_sees_backward_uses() {
    assert_eq!(
        later_passes("resolve", "use crate::check::lower::Lowered;"),
        vec!["lower"]
    );
    assert_eq!(
        later_passes("lower", "use super::{lints, resolve::Resolved};"),
        vec!["lints"]
    );
    assert_eq!(
        later_passes("relations", "use super::super::lints::run;"),
        vec!["lints"]
    );
    assert!(later_passes(
        "lower",
        "use super::resolve::Resolved;\nuse super::load::Loaded;"
    )
    .is_empty());
    assert!(later_passes(
        "load",
        "// see super::lints::run\nlet x = \"haven::check::lower_case\";"
    )
    .is_empty());
}

/// The Rust of a binding (`bindings/<name>/src/*.rs`): (file, text) each.
fn binding_sources(name: &str) -> Vec<(PathBuf, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../bindings")
        .join(name)
        .join("src");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| (p.clone(), std::fs::read_to_string(&p).unwrap()))
        .collect()
}

/// Where a binding makes an error of its own: an error code, or an exception whose message
/// is a literal or a `format!` (core makes every message; a binding passes core's on).
fn own_errors(text: &str) -> Vec<String> {
    let marks = [
        "\"haven::",
        "new_err(\"",
        "new_err(format!",
        "Error::new(\"",
    ];
    let lines = text.lines().enumerate();
    lines
        .filter(|(_, l)| marks.iter().any(|m| l.contains(m)))
        .map(|(i, l)| format!("{}: {}", i + 1, l.trim()))
        .collect()
}

/// Issue 12's budget: each binding's Rust under half its lines before the one boundary
/// (1 445 for Python and 848 for WASM at `37a4bf8`), with no error code or message of its own.
#[test]
fn bindings_stay_thin_adapters() {
    for (name, before) in [("python", 1445), ("wasm", 848)] {
        let sources = binding_sources(name);
        let lines: usize = sources.iter().map(|(_, t)| t.lines().count()).sum();
        let half = "not under half of";
        assert!(
            2 * lines < before,
            "bindings/{name}/src: {lines} lines, {half} {before}"
        );
        for (file, text) in &sources {
            let own = own_errors(text);
            assert!(
                own.is_empty(),
                "{} makes its own errors:\n{}",
                file.display(),
                own.join("\n")
            );
        }
    }
}

#[test]
fn own_errors_are_seen() {
    let text = "ok\nPyValueError::new_err(\"bad\")\nlet c = \"haven::x::y\";\nE::new_err(msg)\n";
    assert_eq!(
        own_errors(text),
        [
            "2: PyValueError::new_err(\"bad\")",
            "3: let c = \"haven::x::y\";"
        ]
    );
}
