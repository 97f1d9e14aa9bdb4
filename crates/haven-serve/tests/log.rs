//! The decision log as a hash chain: tampering is found and named, a torn last line is
//! repaired on open, rotation carries the chain across files.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a test failure"
)]

use haven_serve::log::{verify, DecisionEntry, DecisionLog, LogConfig, GENESIS};
use std::path::{Path, PathBuf};

/// A log of `n` decisions in `dir`; returns its path and the decision ids in order.
fn write_log(dir: &Path, n: usize) -> (PathBuf, Vec<String>) {
    let path = dir.join("decisions.jsonl");
    let (log, torn) = DecisionLog::open(LogConfig::new(path.clone())).unwrap();
    assert!(torn.is_none());
    let ids = (0..n).map(|i| append(&log, i)).collect();
    log.sync().unwrap();
    (path, ids)
}

fn append(log: &DecisionLog, i: usize) -> String {
    let answer = format!(r#"{{"status":"complete","actions":[],"n":{i}}}"#);
    log.append_decision(&DecisionEntry {
        policy_id: "school",
        version: Some("1"),
        content_hash: &"ab".repeat(32),
        incident_sha256: &"cd".repeat(32),
        incident: None,
        answer: &answer,
    })
    .unwrap()
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn write_lines(path: &Path, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(path, text).unwrap();
}

#[test]
fn an_untouched_log_verifies_and_starts_at_genesis() {
    let dir = tempfile::tempdir().unwrap();
    let (path, ids) = write_log(dir.path(), 5);
    let v = verify(std::slice::from_ref(&path)).unwrap();
    assert_eq!(v.records, 5);
    let first: serde_json::Value = serde_json::from_str(&lines(&path)[0]).unwrap();
    assert_eq!(first["prev"], GENESIS);
    assert_eq!(first["seq"], 1);
    assert_eq!(first["decision_id"], ids[0].as_str());
    // UUID v7, time-ordered.
    assert_eq!(ids[0].as_bytes()[14], b'7');
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(sorted, ids);
    assert_eq!(v.head, haven_serve::sha256_hex(lines(&path)[4].as_bytes()));
}

#[test]
fn an_edited_record_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (path, ids) = write_log(dir.path(), 10);
    let mut l = lines(&path);
    l[3] = l[3].replace(r#""status":"complete""#, r#""status":"incomplete""#);
    write_lines(&path, &l);
    let broken = verify(&[path]).unwrap_err();
    assert_eq!(broken.line, 4, "{broken}");
    assert_eq!(
        broken.record.as_deref(),
        Some(format!("decision_id {}", ids[3]).as_str())
    );
    assert!(broken.message.contains("edited"), "{broken}");
}

#[test]
fn an_edited_prev_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (path, ids) = write_log(dir.path(), 10);
    let mut l = lines(&path);
    let v: serde_json::Value = serde_json::from_str(&l[6]).unwrap();
    l[6] = l[6].replace(v["prev"].as_str().unwrap(), &"0".repeat(64));
    write_lines(&path, &l);
    let broken = verify(&[path]).unwrap_err();
    assert_eq!(broken.line, 7, "{broken}");
    assert_eq!(
        broken.record.as_deref(),
        Some(format!("decision_id {}", ids[6]).as_str())
    );
}

#[test]
fn the_first_record_edited_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_log(dir.path(), 3);
    let mut l = lines(&path);
    l[0] = l[0].replace(r#""n":0"#, r#""n":9"#);
    write_lines(&path, &l);
    assert_eq!(verify(&[path]).unwrap_err().line, 1);
}

#[test]
fn a_removed_record_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (path, ids) = write_log(dir.path(), 10);
    let mut l = lines(&path);
    l.remove(4);
    write_lines(&path, &l);
    let broken = verify(&[path]).unwrap_err();
    // The record after the gap is named, and the missing one by its number.
    assert_eq!(broken.line, 5, "{broken}");
    assert_eq!(
        broken.record.as_deref(),
        Some(format!("decision_id {}", ids[5]).as_str())
    );
    assert!(
        broken.message.contains("record seq 5 is missing"),
        "{broken}"
    );
}

#[test]
fn the_first_record_removed_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_log(dir.path(), 4);
    let mut l = lines(&path);
    l.remove(0);
    write_lines(&path, &l);
    let broken = verify(&[path]).unwrap_err();
    assert_eq!(broken.line, 1, "{broken}");
    assert!(broken.message.contains("removed"), "{broken}");
}

#[test]
fn reordered_records_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let (path, ids) = write_log(dir.path(), 10);
    let mut l = lines(&path);
    l.swap(2, 3);
    write_lines(&path, &l);
    let broken = verify(&[path]).unwrap_err();
    assert_eq!(broken.line, 3, "{broken}");
    assert_eq!(
        broken.record.as_deref(),
        Some(format!("decision_id {}", ids[3]).as_str())
    );
    assert!(broken.message.contains("reordered"), "{broken}");
}

#[test]
fn a_truncated_record_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_log(dir.path(), 6);
    let text = std::fs::read(&path).unwrap();
    std::fs::write(&path, &text[..text.len() - 20]).unwrap();
    let broken = verify(std::slice::from_ref(&path)).unwrap_err();
    assert_eq!(broken.line, 6, "{broken}");
    assert!(broken.message.contains("torn"), "{broken}");

    // Cut at a line boundary with a stray half line in the middle: not JSON.
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_log(dir.path(), 6);
    let mut l = lines(&path);
    l[2].truncate(40);
    write_lines(&path, &l);
    let broken = verify(&[path]).unwrap_err();
    assert_eq!(broken.line, 3, "{broken}");
    assert!(broken.message.contains("not a JSON record"), "{broken}");
}

#[test]
fn a_torn_last_line_is_truncated_on_open_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_log(dir.path(), 5);
    // A crash mid-write: half a record, no newline.
    let mut text = std::fs::read(&path).unwrap();
    let good_len = text.len() as u64;
    text.extend_from_slice(br#"{"seq":6,"prev":"0123","decision_id":"torn"#);
    std::fs::write(&path, &text).unwrap();
    assert!(verify(std::slice::from_ref(&path)).is_err());

    let (log, torn) = DecisionLog::open(LogConfig::new(path.clone())).unwrap();
    let torn = torn.expect("the torn line is reported");
    assert_eq!(torn.offset, good_len);
    assert_eq!(torn.bytes, text.len() as u64 - good_len);
    append(&log, 99);
    log.sync().unwrap();
    drop(log);

    let v = verify(std::slice::from_ref(&path)).unwrap();
    assert_eq!(v.records, 7);
    let l = lines(&path);
    let event: serde_json::Value = serde_json::from_str(&l[5]).unwrap();
    assert_eq!(event["event"], "truncated_torn_record");
    assert_eq!(event["seq"], 6);
    assert_eq!(event["offset"], good_len);
    assert_eq!(event["bytes"], torn.bytes);
    assert_eq!(event["sha256"], torn.sha256.as_str());
}

#[test]
fn a_last_line_that_is_not_json_is_truncated_too() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_log(dir.path(), 3);
    let mut text = std::fs::read(&path).unwrap();
    text.extend_from_slice(b"{\"seq\":4,\"pr\n");
    std::fs::write(&path, &text).unwrap();
    let (log, torn) = DecisionLog::open(LogConfig::new(path.clone())).unwrap();
    assert!(torn.is_some());
    drop(log);
    assert_eq!(verify(&[path]).unwrap().records, 4);
}

#[test]
fn reopening_continues_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_log(dir.path(), 3);
    let (log, torn) = DecisionLog::open(LogConfig::new(path.clone())).unwrap();
    assert!(torn.is_none());
    append(&log, 3);
    drop(log);
    assert_eq!(verify(&[path]).unwrap().records, 4);
}

#[test]
fn rotation_carries_the_chain_across_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("decisions.jsonl");
    let mut config = LogConfig::new(path.clone());
    config.max_bytes = 2_000;
    let (log, _) = DecisionLog::open(config.clone()).unwrap();
    for i in 0..30 {
        append(&log, i);
    }
    drop(log);
    let mut files = haven_serve::log::rotated_files(&path).unwrap();
    assert!(files.len() >= 3, "{files:?}");
    for f in &files {
        assert!(std::fs::metadata(f).unwrap().len() <= 2_000);
    }
    files.push(path.clone());
    assert_eq!(verify(&files).unwrap().records, 30);

    // Reopening an empty current file chains on from the newest rotated one.
    let (log, _) = DecisionLog::open(config).unwrap();
    append(&log, 30);
    drop(log);
    let mut files = haven_serve::log::rotated_files(&path).unwrap();
    files.push(path.clone());
    assert_eq!(verify(&files).unwrap().records, 31);

    // The current file alone names the earlier files; out of order is found.
    let broken = verify(std::slice::from_ref(&path)).unwrap_err();
    assert_eq!(broken.line, 1);
    assert!(broken.message.contains("earlier"), "{broken}");
    files.swap(0, 1);
    assert!(verify(&files).is_err());
    // A whole rotated file removed from the middle: named.
    let mut files = haven_serve::log::rotated_files(&path).unwrap();
    files.remove(1);
    files.push(path);
    let broken = verify(&files).unwrap_err();
    assert!(broken.message.contains("missing"), "{broken}");
}

#[test]
fn the_incident_is_kept_when_the_server_passes_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("decisions.jsonl");
    let mut config = LogConfig::new(path.clone());
    config.log_incidents = true;
    let (log, _) = DecisionLog::open(config).unwrap();
    log.append_decision(&DecisionEntry {
        policy_id: "school",
        version: None,
        content_hash: &"ab".repeat(32),
        incident_sha256: &"cd".repeat(32),
        incident: Some(r#"{"category":"cyberbullying"}"#),
        answer: "{}",
    })
    .unwrap();
    drop(log);
    let rec: serde_json::Value = serde_json::from_str(&lines(&path)[0]).unwrap();
    assert_eq!(rec["incident"]["category"], "cyberbullying");
    assert!(rec["policy"]["version"].is_null());
}
