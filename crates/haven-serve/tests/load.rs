//! A bounded load-and-fault test on loopback. A server process (this test binary re-executed
//! into `haven_serve::cli::serve_from_args`, the code `haven serve` runs) answers decide
//! requests at concurrency 1, 8 and 64 while the policies are reloaded 20 times (file edits,
//! some broken, and SIGHUP), malformed bodies are sent, and the server is killed with SIGKILL
//! mid-run and restarted. Pass: no 5xx, every 2xx decision has exactly one log record, and
//! the log verifies.
//!
//! Short by default (seconds); `HAVEN_LOAD=1` runs the full size and prints the figures for
//! BENCHMARKS.md (use `--release`):
//! `HAVEN_LOAD=1 cargo test --release -p haven-serve --test load -- --nocapture`
//! (`HAVEN_LOAD_SERVER_ARGS="--log-fsync-every 1"` adds server flags, to measure variants).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a test failure"
)]

mod common;

use common::Http;
use hyper::StatusCode;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "HAVEN_SERVE_CHILD_ARGS";
const TOKEN: &str = "load-test-token";

/// Not a test of its own: the server process, when re-executed by [`load_and_faults`].
#[test]
fn child_server() {
    if let Ok(args) = std::env::var(CHILD_ENV) {
        let code = haven_serve::cli::serve_from_args(args.split('\u{1f}').map(str::to_owned));
        std::process::exit(i32::from(code));
    }
}

struct Sizes {
    requests: usize,
    malformed: usize,
    reload_every: Duration,
    full: bool,
}

fn sizes() -> Sizes {
    if std::env::var("HAVEN_LOAD").is_ok_and(|v| v == "1") {
        Sizes {
            requests: 20_000,
            malformed: 1_000,
            reload_every: Duration::from_millis(300),
            full: true,
        }
    } else {
        Sizes {
            requests: 300,
            malformed: 100,
            reload_every: Duration::from_millis(40),
            full: false,
        }
    }
}

/// A copy of the repository's policies (the load runs against `kenilworth_2022`).
fn copy_policies(to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                copy(&p, &to.join(e.file_name()));
            } else if p.extension().is_some_and(|x| x == "haven" || x == "toml") {
                std::fs::copy(&p, to.join(e.file_name())).unwrap();
            }
        }
    }
    copy(&from, to);
}

fn kenilworth(policies: &Path) -> haven_core::Policy {
    let file = policies.join("kenilworth_2022/policy.haven");
    let text = std::fs::read_to_string(&file).unwrap();
    let loader = haven_modules::FsLoader::new(Some(policies.to_path_buf()));
    haven_core::Policy::compile("kenilworth_2022", &text, &loader, &Default::default()).unwrap()
}

/// Every scenario incident of the policy, as JSON text: a varied, realistic corpus.
fn corpus(policies: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(policies.join("kenilworth_2022/scenarios.toml")).unwrap();
    let policy = kenilworth(policies);
    haven_core::scenario::parse_scenarios(&text)
        .unwrap()
        .iter()
        .map(|s| serde_json::to_value(&s.incident).unwrap().to_string())
        .filter(|json| match policy.incident_from_json(json) {
            Ok(_) => true,
            Err(e) => {
                eprintln!("corpus: skipping a scenario incident: {}", e.message);
                false
            }
        })
        .collect()
}

fn malformed(i: usize) -> Vec<u8> {
    match i % 8 {
        0 => b"{".to_vec(),
        1 => br#"{"category":"cyberbullying","colour":"red"}"#.to_vec(),
        2 => br#"{"category":"cyberbullying","actor":{"age":"twelve"}}"#.to_vec(),
        3 => format!("{}{}", "[".repeat(5_000), "]".repeat(5_000)).into_bytes(),
        4 => b"{\"category\":\"\xff\xfe\"}".to_vec(),
        5 => Vec::new(),
        6 => vec![b' '; 2 * 1024 * 1024],
        _ => br#"[1,2,3]"#.to_vec(),
    }
}

struct ServerProcess {
    child: Child,
    addr: String,
    stderr: PathBuf,
}

/// A failing assertion must not leave the server running.
impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[expect(
    clippy::zombie_processes,
    reason = "the child goes back to the caller inside ServerProcess, and the caller waits for it"
)]
fn start_server(args: &[String], stderr: &Path) -> ServerProcess {
    let err = std::fs::File::create(stderr).unwrap();
    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "child_server",
            "--exact",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD_ENV, args.join("\u{1f}"))
        .env("HAVEN_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(err)
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        let text = std::fs::read_to_string(stderr).unwrap_or_default();
        if let Some(rest) = text.split("listening on http://").nth(1) {
            let addr = rest.lines().next().unwrap().trim().to_owned();
            return ServerProcess {
                child,
                addr,
                stderr: stderr.to_path_buf(),
            };
        }
        if started.elapsed() > Duration::from_secs(60) {
            let mut child = child;
            let _ = child.kill();
            let _ = child.wait();
            panic!("server did not start:\n{text}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {sig} failed");
}

#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    ok_ids: Vec<String>,
    statuses: HashMap<u16, usize>,
    connection_errors: usize,
}

/// `n` decide requests from `concurrency` workers; connection errors (the server being
/// killed) are retried.
async fn run_phase(
    http: &Http,
    addr: Arc<Mutex<String>>,
    corpus: Arc<Vec<String>>,
    n: usize,
    concurrency: usize,
    on_half: Option<tokio::sync::oneshot::Sender<()>>,
) -> (Tally, Duration) {
    let next = Arc::new(AtomicUsize::new(0));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let on_half = Arc::new(Mutex::new(on_half));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (http, addr, corpus, next, tally, on_half) = (
            http.clone(),
            Arc::clone(&addr),
            Arc::clone(&corpus),
            Arc::clone(&next),
            Arc::clone(&tally),
            Arc::clone(&on_half),
        );
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                if i == n / 2 {
                    if let Some(tx) = on_half.lock().unwrap().take() {
                        let _ = tx.send(());
                    }
                }
                let body = corpus[i % corpus.len()].clone();
                loop {
                    let url = format!(
                        "http://{}/v1/policies/kenilworth_2022/decide",
                        addr.lock().unwrap()
                    );
                    let t = Instant::now();
                    match http
                        .send(hyper::Method::POST, &url, Some(TOKEN), body.clone())
                        .await
                    {
                        Ok(r) => {
                            let elapsed = t.elapsed();
                            let mut tally = tally.lock().unwrap();
                            *tally.statuses.entry(r.status.as_u16()).or_default() += 1;
                            if r.status == StatusCode::OK {
                                tally.latencies.push(elapsed);
                                let id = r.json()["decision_id"].as_str().unwrap().to_owned();
                                tally.ok_ids.push(id);
                            }
                            break;
                        }
                        Err(_) => {
                            tally.lock().unwrap().connection_errors += 1;
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    }
                }
            }
        }));
    }
    for w in workers {
        w.await.unwrap();
    }
    let elapsed = started.elapsed();
    let tally = Arc::try_unwrap(tally).ok().unwrap().into_inner().unwrap();
    (tally, elapsed)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// In-process `Policy::evaluate_json_to_string` throughput on the same corpus (one thread).
fn in_process_rate(policies: &Path, corpus: &[String], n: usize) -> f64 {
    let policy = kenilworth(policies);
    let started = Instant::now();
    let mut bytes = 0usize;
    for i in 0..n {
        bytes += policy
            .evaluate_json_to_string(&corpus[i % corpus.len()])
            .unwrap()
            .len();
    }
    assert!(bytes > 0);
    n as f64 / started.elapsed().as_secs_f64()
}

#[test]
fn load_and_faults() {
    let sizes = sizes();
    let dir = tempfile::tempdir().unwrap();
    let policies = dir.path().join("policies");
    copy_policies(&policies);
    let corpus = corpus(&policies);
    assert!(corpus.len() >= 5);
    let tokens = dir.path().join("tokens");
    std::fs::write(&tokens, haven_serve::token_line(TOKEN, &[]) + "\n").unwrap();
    let log = dir.path().join("decisions.jsonl");
    let mut args: Vec<String> = [
        "--policies",
        policies.to_str().unwrap(),
        "--addr",
        "127.0.0.1:0",
        "--tokens",
        tokens.to_str().unwrap(),
        "--log",
        log.to_str().unwrap(),
        "--poll-ms",
        "100",
        "--log-max-bytes",
        if sizes.full { "4000000" } else { "200000" },
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();

    // Extra server flags for measuring variants (e.g. `--log-fsync-every 1`).
    if let Ok(extra) = std::env::var("HAVEN_LOAD_SERVER_ARGS") {
        args.extend(extra.split_whitespace().map(str::to_owned));
    }
    let mut server = start_server(&args, &dir.path().join("stderr-1"));
    // Restarts keep the port.
    args[3].clone_from(&server.addr);
    let addr = Arc::new(Mutex::new(server.addr.clone()));
    let pid = Arc::new(AtomicU32::new(server.child.id()));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let corpus = Arc::new(corpus);

    // In-process baseline first, on the same corpus.
    let in_process = in_process_rate(&policies, &corpus, sizes.requests);

    let report = runtime.block_on(async {
        let http = Http::default();
        // Reloads in the background: edits (every fourth one broken) and SIGHUP.
        let reloads_done = Arc::new(AtomicUsize::new(0));
        let edit_lock = Arc::new(tokio::sync::Mutex::new(()));
        let reloader = {
            let file = policies.join("kenilworth_2022/policy.haven");
            let original = std::fs::read_to_string(&file).unwrap();
            let pid = Arc::clone(&pid);
            let done = Arc::clone(&reloads_done);
            let every = sizes.reload_every;
            let http = http.clone();
            let addr = Arc::clone(&addr);
            let edit_lock = Arc::clone(&edit_lock);
            tokio::spawn(async move {
                let generation = || async {
                    let url = format!("http://{}/v1/policies", addr.lock().unwrap());
                    match http.send(hyper::Method::GET, &url, Some(TOKEN), "").await {
                        Ok(r) if r.status == StatusCode::OK => r.json()["generation"].as_u64(),
                        _ => None,
                    }
                };
                // Held from an edit until a good text is confirmed serving: the kill waits
                // for it, so the restart never loads a broken file (the policy would then
                // have no previous version to serve) nor lands between edit and reload.
                let mut guard = None;
                for i in 1..=20 {
                    tokio::time::sleep(every).await;
                    if guard.is_none() {
                        guard = Some(Arc::clone(&edit_lock).lock_owned().await);
                    }
                    let before = generation().await;
                    let text = if i % 4 == 0 {
                        format!("{original}\nthis is not haven {i}\n")
                    } else {
                        format!("{original}\n// reload {i}\n")
                    };
                    let tmp = file.with_extension("tmp");
                    std::fs::write(&tmp, text).unwrap();
                    std::fs::rename(&tmp, &file).unwrap();
                    if i % 2 == 0 {
                        // Also by signal, to whichever server process is current.
                        let pid = pid.load(Ordering::Relaxed).to_string();
                        let _ = Command::new("kill").args(["-HUP", &pid]).status();
                    }
                    // Count it once the server has swapped in a new set.
                    let started = Instant::now();
                    loop {
                        let now = generation().await;
                        if now.is_some() && now != before {
                            break;
                        }
                        assert!(
                            started.elapsed() < Duration::from_secs(60),
                            "reload {i} never happened"
                        );
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                    if i % 4 != 0 {
                        guard = None;
                    }
                }
                drop(guard);
                std::fs::write(&file, original).unwrap();
            })
        };
        // Malformed bodies in the background.
        let malformed_task = {
            let http = http.clone();
            let addr = Arc::clone(&addr);
            let n = sizes.malformed;
            tokio::spawn(async move {
                let mut statuses: HashMap<u16, usize> = HashMap::new();
                let mut i = 0;
                while i < n {
                    let url = format!(
                        "http://{}/v1/policies/kenilworth_2022/decide",
                        addr.lock().unwrap()
                    );
                    if let Ok(r) = http
                        .send(hyper::Method::POST, &url, Some(TOKEN), malformed(i))
                        .await
                    {
                        assert!(r.status.is_client_error(), "{}: {}", r.status, r.body);
                        assert!(r.json()["error"]["code"]
                            .as_str()
                            .unwrap()
                            .starts_with("haven::"));
                        *statuses.entry(r.status.as_u16()).or_default() += 1;
                        i += 1;
                    } else {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
                statuses
            })
        };

        let mut rows = Vec::new();
        let mut all_ids = Vec::new();
        let mut connection_errors = 0;
        for concurrency in [1, 8, 64] {
            let (kill_tx, kill_rx) = tokio::sync::oneshot::channel();
            let kill_here = concurrency == 8;
            let phase = run_phase(
                &http,
                Arc::clone(&addr),
                Arc::clone(&corpus),
                sizes.requests,
                concurrency,
                kill_here.then_some(kill_tx),
            );
            let (tally, elapsed) = if kill_here {
                // Halfway through, SIGKILL the server and start it again on the same port.
                let killer = async {
                    if kill_rx.await.is_ok() {
                        let _no_edit_in_flight = edit_lock.lock().await;
                        server.child.kill().unwrap();
                        server.child.wait().unwrap();
                        // As if the kill had landed mid-write (rarely hit by chance): half a
                        // record with no newline. The restart must truncate and record it.
                        let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
                        std::io::Write::write_all(&mut f, br#"{"seq":999999,"prev":"00"#).unwrap();
                        let restarted = start_server(&args, &dir.path().join("stderr-2"));
                        *addr.lock().unwrap() = restarted.addr.clone();
                        pid.store(restarted.child.id(), Ordering::Relaxed);
                        server = restarted;
                    }
                };
                let (result, ()) = tokio::join!(phase, killer);
                result
            } else {
                phase.await
            };
            let mut lat = tally.latencies.clone();
            lat.sort();
            assert!(
                tally.statuses.keys().all(|s| *s < 500),
                "5xx at concurrency {concurrency}: {:?}",
                tally.statuses
            );
            assert_eq!(tally.ok_ids.len(), sizes.requests, "{:?}", tally.statuses);
            rows.push((
                concurrency,
                sizes.requests,
                elapsed,
                percentile(&lat, 0.5),
                percentile(&lat, 0.99),
                kill_here,
            ));
            connection_errors += tally.connection_errors;
            all_ids.extend(tally.ok_ids);
        }
        reloader.await.unwrap();
        assert_eq!(reloads_done.load(Ordering::Relaxed), 20);
        let malformed_statuses = malformed_task.await.unwrap();
        (rows, all_ids, connection_errors, malformed_statuses)
    });
    let (rows, ids, connection_errors, malformed_statuses) = report;

    // Graceful stop: SIGTERM, exit 0.
    signal(&server.child, "-TERM");
    let status = server.child.wait().unwrap();
    let stderr = std::fs::read_to_string(&server.stderr).unwrap_or_default();
    assert!(status.success(), "server exited with {status}:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let first_stderr = std::fs::read_to_string(dir.path().join("stderr-1")).unwrap_or_default();
    assert!(!first_stderr.contains("panicked"), "{first_stderr}");

    // Every 2xx decision has exactly one record; the chain verifies across rotated files.
    let mut files = haven_serve::log::rotated_files(&log).unwrap();
    files.push(log.clone());
    let verified = haven_serve::log::verify(&files).unwrap_or_else(|b| panic!("{b}"));
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut torn_events = 0;
    let mut reload_events = 0;
    for f in &files {
        for line in std::fs::read_to_string(f).unwrap().lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            if let Some(id) = v["decision_id"].as_str() {
                *seen.entry(id.to_owned()).or_default() += 1;
            }
            match v["event"].as_str() {
                Some("truncated_torn_record") => torn_events += 1,
                Some("policies_loaded") => reload_events += 1,
                _ => {}
            }
        }
    }
    assert_eq!(
        torn_events, 1,
        "the torn record left by the kill was repaired once"
    );
    assert!(reload_events >= 20, "{reload_events} reload events");
    for id in &ids {
        assert_eq!(
            seen.get(id),
            Some(&1),
            "decision {id} not logged exactly once"
        );
    }

    let mut out = String::new();
    out.push_str(&format!(
        "load: {} requests per concurrency, corpus of {} kenilworth_2022 scenario incidents, \
         {} malformed bodies ({malformed_statuses:?}), 20 reloads (every 4th broken), \
         SIGKILL + restart during c=8 ({connection_errors} connection errors retried, \
         {torn_events} torn record(s) repaired), {} log records in {} file(s) verified, \
         {reload_events} reload events\n\n",
        sizes.requests,
        corpus.len(),
        sizes.malformed,
        verified.records,
        files.len()
    ));
    out.push_str(
        "| concurrency | requests | req/s | p50 | p99 | note |\n|---:|---:|---:|---:|---:|---|\n",
    );
    for (c, n, elapsed, p50, p99, killed) in &rows {
        out.push_str(&format!(
            "| {c} | {n} | {:.0} | {:.2} ms | {:.2} ms | {} |\n",
            *n as f64 / elapsed.as_secs_f64(),
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3,
            if *killed {
                "includes SIGKILL + restart"
            } else {
                ""
            }
        ));
    }
    out.push_str(&format!(
        "\nin-process `Policy::evaluate_json_to_string`, one thread: {in_process:.0} evaluations/s\n"
    ));
    eprintln!("{out}");
}
