//! Helpers shared by the CLI test files.

#![allow(dead_code, reason = "each test file uses a different subset")]
#![allow(clippy::unwrap_used, reason = "test code: a panic is a test failure")]

use assert_cmd::Command;
use std::path::PathBuf;

/// The repository root.
pub(crate) fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `haven` binary, run from the repository root with a fixed "today".
pub(crate) fn haven() -> Command {
    let mut cmd = Command::cargo_bin("haven").unwrap();
    cmd.current_dir(repo()).env("HAVEN_TODAY", "2026-11-22");
    cmd
}

/// Lossy UTF-8 text of some output.
pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
