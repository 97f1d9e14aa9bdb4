//! Helpers shared by the test targets: the one place that calls parse + check.

use haven_core::{CheckOptions, Date, Policy};
use haven_modules::FsLoader;
use std::path::{Path, PathBuf};

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Check options with a fixed "today", so the overdue-review warning is reproducible.
pub fn options() -> CheckOptions {
    CheckOptions {
        today: Some(Date {
            year: 2026,
            month: 11,
            day: Some(22),
        }),
        ..CheckOptions::default()
    }
}

/// A loader rooted at the repository's `policies/`.
pub fn loader() -> FsLoader {
    FsLoader::new(Some(repo().join("policies")))
}

/// Path relative to the repository root, with forward slashes (stable in snapshots).
pub fn rel(path: &Path) -> String {
    let repo = std::fs::canonicalize(repo()).unwrap_or_else(|_| repo());
    let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    path.strip_prefix(&repo)
        .unwrap_or(&path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Parse and check `path`, rendering every diagnostic rustc-style.
pub fn render_check(path: &Path) -> (String, usize, usize) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let report = haven_core::check(&rel(path), &text, &loader(), &options());
    let errors = report.diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = report.diagnostics.len() - errors;
    let rendered = report
        .diagnostics
        .iter()
        .map(|d| d.render(&report.sources))
        .collect::<Vec<_>>()
        .join("\n");
    (rendered, errors, warnings)
}

/// Compile a policy directory or file from the repository.
pub fn compile(path: &Path) -> Result<Policy, haven_core::CompileError> {
    let file = haven_modules::policy_file(path);
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    Policy::compile(&rel(&file), &text, &loader(), &options())
}
