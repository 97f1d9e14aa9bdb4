//! `haven serve`, `haven serve hash-token` and `haven log verify` through the real binary
//! (the service itself is tested in `crates/haven-serve/tests`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a test failure with its message"
)]

mod common;

use common::{haven, repo, text};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn scratch(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("haven-cli-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// One HTTP/1.1 request over a fresh connection; returns the whole response.
fn http(addr: &str, request: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

/// A server process, killed if a failing assertion drops it before `stop`.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start `haven serve` with `args` (plus `--addr 127.0.0.1:0`); the process and its address.
fn start(args: &[&str], envs: &[(&str, &str)], stderr: &std::path::Path) -> (Running, String) {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("haven"));
    cmd.current_dir(repo())
        .arg("serve")
        .args(args)
        .args(["--addr", "127.0.0.1:0"])
        .env("HAVEN_LOG", "warn")
        .stderr(std::fs::File::create(stderr).unwrap());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let child = Running(cmd.spawn().unwrap());
    let started = Instant::now();
    loop {
        let err = std::fs::read_to_string(stderr).unwrap_or_default();
        if let Some(rest) = err.split("listening on http://").nth(1) {
            return (child, rest.lines().next().unwrap().trim().to_owned());
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "server did not start:\n{err}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn stop(mut child: Running) -> Option<i32> {
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    child.0.wait().unwrap().code()
}

#[test]
fn serve_takes_token_hashes_from_the_environment() {
    let dir = scratch("env-tokens");
    let line = text(
        &haven()
            .args(["serve", "hash-token", "abc123"])
            .output()
            .unwrap()
            .stdout,
    );
    let log = dir.join("d.jsonl");
    let (child, addr) = start(
        &["--policies", "policies", "--log", log.to_str().unwrap()],
        &[("HAVEN_TOKENS", line.trim())],
        &dir.join("stderr"),
    );
    let request = |auth: &str| {
        http(
            &addr,
            &format!(
                "POST /v1/policies/example/decide HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{auth}\
                 Content-Length: 28\r\n\r\n{{\"category\":\"cyberbullying\"}}"
            ),
        )
    };
    let none = request("");
    assert!(none.starts_with("HTTP/1.1 401"), "{none}");
    let good = request("Authorization: Bearer abc123\r\n");
    assert!(good.starts_with("HTTP/1.1 200"), "{good}");
    assert_eq!(stop(child), Some(0));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn serve_needs_tokens_unless_told_otherwise() {
    let out = haven()
        .args(["serve", "--policies", "policies"])
        .env_remove("HAVEN_TOKENS")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--no-auth"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn hash_token_prints_the_tokens_file_line() {
    let out = haven()
        .args(["serve", "hash-token", "--policy", "kenilworth_2022"])
        .write_stdin("s3cret\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    // SHA-256 of "s3cret" (the trailing newline is not part of the token).
    assert_eq!(
        text(&out.stdout),
        format!("sha256:{} kenilworth_2022\n", haven_sha256("s3cret"))
    );
}

/// The hex SHA-256 the binary prints for a token, computed independently with `sha256sum`.
fn haven_sha256(token: &str) -> String {
    let mut child = std::process::Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(token.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    text(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn serve_answers_then_stops_on_sigterm_and_the_log_verifies() {
    let dir = scratch("serve");
    let log = dir.join("decisions.jsonl");
    let stderr = dir.join("stderr");
    let (child, addr) = start(
        &[
            "--no-auth",
            "--policies",
            "policies",
            "--log",
            log.to_str().unwrap(),
        ],
        &[],
        &stderr,
    );
    let body = r#"{"category":"cyberbullying"}"#;
    let response = http(
        &addr,
        &format!(
            "POST /v1/policies/kenilworth_2022/decide HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    );
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let answer: serde_json::Value =
        serde_json::from_str(response.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert!(answer["decision_id"].is_string(), "{response}");
    let health = http(
        &addr,
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");

    assert_eq!(
        stop(child),
        Some(0),
        "{}",
        std::fs::read_to_string(&stderr).unwrap()
    );
    assert!(std::net::TcpStream::connect(&addr).is_err());

    let out = haven().arg("log").arg("verify").arg(&log).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("ok: 2 records"),
        "{}",
        text(&out.stdout)
    );

    // Swap the two records: verify exits 1 naming the first one out of place.
    let original = std::fs::read_to_string(&log).unwrap();
    let mut lines: Vec<&str> = original.lines().collect();
    lines.swap(0, 1);
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    let out = haven().arg("log").arg("verify").arg(&log).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("decisions.jsonl:1"), "{err}");
    assert!(err.contains("reordered"), "{err}");

    // `haven eval --log` writes the same record shape, with the same content hash.
    let eval_log = dir.join("eval.jsonl");
    let out = haven()
        .args(["eval", "policies/kenilworth_2022", "-", "--log"])
        .arg(&eval_log)
        .write_stdin(body)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let record: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(&eval_log)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(record["policy"], answer["policy"]);
    assert_eq!(record["answer"], answer["decision"]);
    assert_eq!(record["prev"], "0".repeat(64));
    let out = haven()
        .arg("log")
        .arg("verify")
        .arg(&eval_log)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let _ = std::fs::remove_dir_all(dir);
}
