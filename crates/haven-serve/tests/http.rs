//! The real server on a loopback port: every endpoint, every error path, auth, limits, reload
//! and graceful shutdown.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a test failure"
)]

mod common;

use common::*;
use hyper::{Method, StatusCode};
use std::time::Duration;

fn decide_url(server: &Server, id: &str) -> String {
    server.url(&format!("/v1/policies/{id}/decide"))
}

#[tokio::test]
async fn decide_answers_with_the_decision_and_logs_it_once() {
    let dir = policies_dir();
    let logs = tempfile::tempdir().unwrap();
    let server = Server::start(config(dir.path(), logs.path())).await;
    let http = Http::default();

    let r = http
        .post(&decide_url(&server, "school"), Some(TOKEN_ALL), INCIDENT)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.headers["content-type"], "application/json");
    let answer = r.json();
    assert_eq!(answer["policy"]["id"], "school");
    assert_eq!(answer["policy"]["version"], "1");
    assert_eq!(answer["policy"]["content_hash"].as_str().unwrap().len(), 64);
    assert_eq!(answer["decision"]["policy"]["id"], "school");
    assert!(answer["decision"]["actions"]
        .as_array()
        .unwrap()
        .iter()
        // The baseline's welfare route also tells the DSL; the two merge into one action.
        .any(|a| a["rules"]
            .as_array()
            .is_some_and(|r| r.contains(&serde_json::json!("report_everything")))));
    assert!(answer["decision"].get("explain").is_none());
    let id = answer["decision_id"].as_str().unwrap().to_owned();

    // `?explain=true` adds which rules applied and which may apply.
    let r = http
        .post(
            &format!("{}?explain=true", decide_url(&server, "school")),
            Some(TOKEN_ALL),
            INCIDENT,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let explained = r.json();
    assert!(explained["decision"]["explain"]["applied"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r == "report_everything"));

    // The same incident, formatted differently: the same canonical hash.
    let spaced =
        "{ \"actor\": {\"age\": 12, \"role\": \"pupil\"},\n \"category\": \"cyberbullying\" }";
    let r = http
        .post(&decide_url(&server, "school"), Some(TOKEN_ALL), spaced)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let path = server.log_path.clone().unwrap();
    server.stop().await;

    let records = records(&path);
    let decisions: Vec<&serde_json::Value> = records
        .iter()
        .filter(|r| r.get("decision_id").is_some())
        .collect();
    assert_eq!(decisions.len(), 3);
    let mine: Vec<_> = decisions
        .iter()
        .filter(|r| r["decision_id"] == id)
        .collect();
    assert_eq!(mine.len(), 1);
    let rec = mine[0];
    assert_eq!(rec["policy"], answer["policy"]);
    assert_eq!(rec["answer"], answer["decision"]);
    assert!(
        rec.get("incident").is_none(),
        "incidents are off by default"
    );
    let expected = haven_serve::sha256_hex(
        haven_serve::canonical_json(&serde_json::from_str(INCIDENT).unwrap()).as_bytes(),
    );
    assert_eq!(rec["incident_sha256"], expected);
    assert_eq!(decisions[2]["incident_sha256"], expected);
    assert!(rec["time"].as_str().unwrap().ends_with('Z'));
    haven_serve::log::verify(&[path]).unwrap();
}

#[tokio::test]
async fn bad_records_are_400_with_located_errors() {
    let dir = policies_dir();
    let logs = tempfile::tempdir().unwrap();
    let server = Server::start(config(dir.path(), logs.path())).await;
    let http = Http::default();
    let url = decide_url(&server, "school");

    let r = http
        .post(
            &url,
            Some(TOKEN_ALL),
            r#"{"category":"cyberbullying","actor":{"role":"pupl"}}"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "haven::incident::unknown_value");
    let e = &r.json()["error"]["errors"][0];
    assert_eq!(e["key"], "actor.role");
    assert!(e["message"].as_str().unwrap().contains("pupil"), "{e}");

    let r = http
        .post(
            &url,
            Some(TOKEN_ALL),
            "{\n  \"category\": \"cyberbullying\",\n  oops\n}",
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "haven::incident::invalid_json");
    let e = &r.json()["error"]["errors"][0];
    assert_eq!(
        (e["line"].as_u64(), e["column"].as_u64()),
        (Some(3), Some(3))
    );

    // Every error of a record, each located by core: a repeated key (its line and column)
    // and an unknown role in the same record.
    let r = http
        .post(
            &url,
            Some(TOKEN_ALL),
            "{\n  \"category\": \"cyberbullying\",\n  \"category\": \"csam\",\n  \"actor\": {\"role\": \"pupl\"}\n}",
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let errors = r.json()["error"]["errors"].as_array().unwrap().clone();
    assert!(errors.len() >= 2, "{errors:?}");
    let dup = errors
        .iter()
        .find(|e| e["code"] == "haven::incident::duplicate_key")
        .unwrap_or_else(|| panic!("no duplicate_key in {errors:?}"));
    assert_eq!(dup["key"], "category");
    assert_eq!(dup["line"], 3, "{dup}");
    assert!(
        errors
            .iter()
            .any(|e| e["code"] == "haven::incident::unknown_value" && e["key"] == "actor.role"),
        "{errors:?}"
    );

    let r = http
        .post(&url, Some(TOKEN_ALL), r#"{"colour":"red"}"#)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "haven::incident::unknown_key");
    assert_eq!(r.json()["error"]["errors"][0]["key"], "colour");

    let r = http
        .post(&url, Some(TOKEN_ALL), &b"{\"category\":\"\xff\"}"[..])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "haven::serve::not_utf8");

    let r = http.post(&url, Some(TOKEN_ALL), "").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.code().starts_with("haven::incident::"), "{}", r.body);

    // Unknown policy, method, path.
    let r = http
        .post(&decide_url(&server, "nope"), Some(TOKEN_ALL), INCIDENT)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "haven::serve::unknown_policy");
    let r = http.get(&url, Some(TOKEN_ALL)).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.code(), "haven::serve::method_not_allowed");
    let r = http
        .send(
            Method::DELETE,
            &server.url("/v1/policies"),
            Some(TOKEN_ALL),
            "",
        )
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    let r = http.get(&server.url("/v2/nothing"), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "haven::serve::not_found");

    // None of that was logged.
    let path = server.log_path.clone().unwrap();
    server.stop().await;
    assert!(records(&path)
        .iter()
        .all(|r| r.get("decision_id").is_none()));
}

#[tokio::test]
async fn auth_none_bad_good_and_wrong_policy() {
    let dir = policies_dir();
    let logs = tempfile::tempdir().unwrap();
    let server = Server::start(config(dir.path(), logs.path())).await;
    let http = Http::default();
    let url = decide_url(&server, "school");

    let r = http.post(&url, None, INCIDENT).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "haven::serve::unauthorized");
    assert!(r.headers["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));
    let r = http.post(&url, Some("not-a-token"), INCIDENT).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = http.post(&url, Some(TOKEN_ALL), INCIDENT).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = http.post(&url, Some(TOKEN_OTHER), INCIDENT).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "haven::serve::forbidden");
    let r = http
        .post(&decide_url(&server, "other"), Some(TOKEN_OTHER), INCIDENT)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // Auth comes before the policy lookup: no probing for ids without a token.
    let r = http
        .post(&decide_url(&server, "nope"), None, INCIDENT)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // Listings need a token and show only what it may use.
    assert_eq!(
        http.get(&server.url("/v1/policies"), None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let list = http
        .get(&server.url("/v1/policies"), Some(TOKEN_OTHER))
        .await
        .json();
    let ids: Vec<&str> = list["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["other"]);
    assert_eq!(
        http.get(&server.url("/v1/policies/school"), Some(TOKEN_OTHER))
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // Health, readiness, metrics and the API description are open.
    for path in ["/healthz", "/readyz", "/metrics", "/openapi.json"] {
        assert_eq!(
            http.get(&server.url(path), None).await.status,
            StatusCode::OK,
            "{path}"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn policies_listing_health_metrics_and_openapi() {
    let dir = policies_dir();
    let logs = tempfile::tempdir().unwrap();
    let server = Server::start(config(dir.path(), logs.path())).await;
    let http = Http::default();

    let list = http.get(&server.url("/v1/policies"), Some(TOKEN_ALL)).await;
    assert_eq!(list.status, StatusCode::OK);
    let list = list.json();
    let school = list["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "school")
        .unwrap()
        .clone();
    assert_eq!(school["status"], "ok");
    assert_eq!(school["version"], "1");
    assert_eq!(school["layers"], serde_json::json!(["school", "baseline"]));
    assert_eq!(school["errors"], serde_json::json!([]));
    assert_eq!(school["content_hash"].as_str().unwrap().len(), 64);

    let one = http
        .get(&server.url("/v1/policies/school"), Some(TOKEN_ALL))
        .await
        .json();
    assert_eq!(one["policy"], school);
    assert!(one["sources"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s.as_str().unwrap().ends_with("baseline/policy.haven")));
    let r = http
        .get(&server.url("/v1/policies/nope"), Some(TOKEN_ALL))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "haven::serve::unknown_policy");

    assert_eq!(
        http.get(&server.url("/healthz"), None).await.json()["status"],
        "ok"
    );
    let ready = http.get(&server.url("/readyz"), None).await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.json()["policies"], 2);

    http.post(&decide_url(&server, "school"), Some(TOKEN_ALL), INCIDENT)
        .await;
    http.post(&decide_url(&server, "school"), Some(TOKEN_ALL), "{")
        .await;
    let metrics = http.get(&server.url("/metrics"), None).await;
    assert!(metrics.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    for line in [
        "haven_http_requests_total{route=\"/v1/policies/{id}/decide\",status=\"200\"} 1",
        "haven_http_requests_total{route=\"/v1/policies/{id}/decide\",status=\"400\"} 1",
        "haven_http_request_duration_seconds_count{route=\"/v1/policies/{id}/decide\"} 2",
        "haven_decisions_total{status=\"incomplete\",verdict=\"none\"} 1",
        "haven_policy_reloads_total{result=\"ok\"} 1",
        "haven_decision_log_writes_total 2",
        "haven_policies_serving 2",
    ] {
        assert!(
            metrics.body.contains(line),
            "missing `{line}` in\n{}",
            metrics.body
        );
    }

    let served = http.get(&server.url("/openapi.json"), None).await;
    assert_eq!(served.status, StatusCode::OK);
    let committed = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json"),
    )
    .unwrap();
    assert_eq!(
        served.body, committed,
        "docs/openapi.json differs from the one served"
    );
    let spec = served.json();
    assert_eq!(spec["openapi"], "3.1.0");
    for path in [
        "/v1/policies",
        "/v1/policies/{id}",
        "/v1/policies/{id}/decide",
        "/v1/policies/{id}/decide-batch",
        "/healthz",
        "/readyz",
        "/metrics",
        "/openapi.json",
    ] {
        assert!(
            spec["paths"].get(path).is_some(),
            "{path} not in openapi.json"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn batches_stream_json_lines_in_order() {
    let dir = policies_dir();
    let logs = tempfile::tempdir().unwrap();
    let server = Server::start(config(dir.path(), logs.path())).await;
    let http = Http::default();
    let url = server.url("/v1/policies/school/decide-batch");

    // JSON Lines, with a blank line and a bad record: one answer line per record.
    let body = format!("{INCIDENT}\n\n{{\"colour\":1}}\n{INCIDENT}\n");
    let r = http.post(&url, Some(TOKEN_ALL), body).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["content-type"], "application/x-ndjson");
    let lines: Vec<serde_json::Value> = r
        .body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["index"], 0);
    assert!(lines[0]["decision_id"].is_string());
    assert_eq!(lines[1]["index"], 2);
    assert_eq!(lines[1]["error"]["code"], "haven::incident::unknown_key");
    assert_eq!(lines[1]["error"]["errors"][0]["index"], 2);
    assert_eq!(lines[2]["index"], 3);

    // A JSON array.
    let r = http
        .post(&url, Some(TOKEN_ALL), format!("[{INCIDENT}, {INCIDENT}]"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body.lines().count(), 2);

    // A broken array is one located error for the whole request.
    let r = http
        .post(&url, Some(TOKEN_ALL), format!("[{INCIDENT},\n]"))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "haven::incident::invalid_json");
    assert_eq!(r.json()["error"]["errors"][0]["line"], 2);

    let r = http.post(&url, None, INCIDENT).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let path = server.log_path.clone().unwrap();
    server.stop().await;
    let decisions = records(&path)
        .iter()
        .filter(|r| r.get("decision_id").is_some())
        .count();
    assert_eq!(decisions, 4);
    haven_serve::log::verify(&[path]).unwrap();
}

#[tokio::test]
async fn limits_body_depth_and_batch_length() {
    let dir = policies_dir();
    let logs = tempfile::tempdir().unwrap();
    let mut c = config(dir.path(), logs.path());
    c.max_body_bytes = 4096;
    c.max_batch_len = 3;
    let server = Server::start(c).await;
    let http = Http::default();
    let url = decide_url(&server, "school");

    let big = format!(
        r#"{{"category":"cyberbullying","notes":"{}"}}"#,
        "x".repeat(5000)
    );
    let r = http.post(&url, Some(TOKEN_ALL), big).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.code(), "haven::serve::body_too_large");

    let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
    let r = http
        .post(
            &url,
            Some(TOKEN_ALL),
            format!(r#"{{"category":"cyberbullying","others":{deep}}}"#),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.code().starts_with("haven::incident::"), "{}", r.body);

    let batch = format!("{INCIDENT}\n{INCIDENT}\n{INCIDENT}\n{INCIDENT}\n");
    let r = http
        .post(
            &server.url("/v1/policies/school/decide-batch"),
            Some(TOKEN_ALL),
            batch,
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.code(), "haven::serve::batch_too_long");
    server.stop().await;
}

/// Poll `/v1/policies` until `school` satisfies `done`.
async fn wait_for(
    http: &Http,
    server: &Server,
    done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    for _ in 0..1200 {
        let list = http
            .get(&server.url("/v1/policies"), Some(TOKEN_ALL))
            .await
            .json();
        if let Some(p) = list["policies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == "school")
        {
            if done(p) {
                return p.clone();
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("policy `school` never reached the expected state");
}

#[tokio::test]
async fn reload_good_then_bad_keeps_the_previous_version_serving() {
    let dir = policies_dir();
    let logs = tempfile::tempdir().unwrap();
    let server = Server::start(config(dir.path(), logs.path())).await;
    let http = Http::default();
    let url = decide_url(&server, "school");
    let v1 = wait_for(&http, &server, |p| p["version"] == "1").await;

    write_policy(dir.path(), "school", SCHOOL_V2);
    server.app.request_reload();
    let v2 = wait_for(&http, &server, |p| p["version"] == "2").await;
    assert_ne!(v1["content_hash"], v2["content_hash"]);
    let answer = http.post(&url, Some(TOKEN_ALL), INCIDENT).await.json();
    assert_eq!(answer["policy"]["version"], "2");
    assert_eq!(answer["policy"]["content_hash"], v2["content_hash"]);

    write_policy(dir.path(), "school", BROKEN);
    server.app.request_reload();
    let stale = wait_for(&http, &server, |p| p["status"] == "stale").await;
    assert_eq!(stale["version"], "2", "the previous version keeps serving");
    assert_eq!(stale["content_hash"], v2["content_hash"]);
    let errors = stale["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["code"] == "haven::check::unknown_target"
                && e["line"] == 9
                && e["column"] == 15),
        "{errors:?}"
    );
    let r = http.post(&url, Some(TOKEN_ALL), INCIDENT).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["policy"]["version"], "2");
    let metrics = http.get(&server.url("/metrics"), None).await.body;
    assert!(
        metrics.contains("haven_policy_reloads_total{result=\"failed\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("haven_policies_failing 1"), "{metrics}");

    // A new policy that never compiled: listed as failed, not served.
    write_policy(dir.path(), "newcomer", BROKEN);
    server.app.request_reload();
    let started = std::time::Instant::now();
    let list = loop {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "`newcomer` never listed"
        );
        let list = http
            .get(&server.url("/v1/policies"), Some(TOKEN_ALL))
            .await
            .json();
        if list["policies"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"] == "newcomer")
        {
            break list;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    let newcomer = list["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "newcomer")
        .unwrap();
    assert_eq!(newcomer["status"], "failed");
    assert!(newcomer["content_hash"].is_null());
    let r = http
        .post(&decide_url(&server, "newcomer"), Some(TOKEN_ALL), INCIDENT)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Fixed again: serves the fixed text.
    write_policy(dir.path(), "school", SCHOOL);
    server.app.request_reload();
    wait_for(&http, &server, |p| {
        p["status"] == "ok" && p["version"] == "1"
    })
    .await;

    let path = server.log_path.clone().unwrap();
    server.stop().await;
    let events: Vec<serde_json::Value> = records(&path)
        .into_iter()
        .filter(|r| r["event"] == "policies_loaded")
        .collect();
    assert!(events
        .iter()
        .any(|e| e["failed"] == serde_json::json!(["school"])));
    haven_serve::log::verify(&[path]).unwrap();
}

#[tokio::test]
async fn reload_notices_edited_files_by_polling() {
    let dir = policies_dir();
    let logs = tempfile::tempdir().unwrap();
    let mut c = config(dir.path(), logs.path());
    c.poll_interval = Some(Duration::from_millis(50));
    let server = Server::start(c).await;
    let http = Http::default();
    write_policy(dir.path(), "school", SCHOOL_V2);
    wait_for(&http, &server, |p| p["version"] == "2").await;
    server.stop().await;
}

#[tokio::test]
async fn graceful_shutdown_finishes_in_flight_requests_and_flushes_the_log() {
    let dir = policies_dir();
    let logs = tempfile::tempdir().unwrap();
    let server = Server::start(config(dir.path(), logs.path())).await;
    let http = Http::default();
    let n = 2_000;
    let body: String = std::iter::repeat_n(format!("{INCIDENT}\n"), n).collect();
    let url = server.url("/v1/policies/school/decide-batch");
    let in_flight = {
        let http = http.clone();
        tokio::spawn(async move { http.post(&url, Some(TOKEN_ALL), body).await })
    };
    // Once the batch is being answered (its first decision is in the log), ask the server
    // to stop.
    let addr = server.addr;
    let path = server.log_path.clone().unwrap();
    let started = std::time::Instant::now();
    while !std::fs::read_to_string(&path)
        .unwrap_or_default()
        .contains("\"decision_id\"")
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the batch never started"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.stop().await;
    let r = in_flight.await.unwrap();
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body.lines().count(),
        n,
        "the in-flight batch was answered in full"
    );
    // No longer accepting.
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    let decisions = records(&path)
        .iter()
        .filter(|r| r.get("decision_id").is_some())
        .count();
    assert_eq!(decisions, n);
    haven_serve::log::verify(&[path]).unwrap();
}

#[tokio::test]
async fn no_auth_and_no_log_still_answer() {
    let dir = policies_dir();
    let logs = tempfile::tempdir().unwrap();
    let mut c = config(dir.path(), logs.path());
    c.tokens = None;
    c.log = None;
    let server = Server::start(c).await;
    let http = Http::default();
    let r = http
        .post(&decide_url(&server, "school"), None, INCIDENT)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.json()["decision_id"].is_string());
    server.stop().await;
    assert_eq!(std::fs::read_dir(logs.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn a_request_that_takes_too_long_is_cut_off_with_json() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = policies_dir();
    let logs = tempfile::tempdir().unwrap();
    let mut c = config(dir.path(), logs.path());
    c.request_timeout = Duration::from_millis(200);
    let server = Server::start(c).await;
    // A client that promises 100 bytes of body and sends 10 (a slow or stuck upload).
    let mut s = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    s.write_all(
        format!(
            "POST /v1/policies/school/decide HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN_ALL}\r\n\
             Content-Length: 100\r\n\r\n{{\"categor"
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let response = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(response.starts_with("HTTP/1.1 503"), "{response}");
    assert!(
        response.to_ascii_lowercase().contains("retry-after: 1"),
        "{response}"
    );
    assert!(response.contains("haven::serve::timeout"), "{response}");
    drop(s);
    server.stop().await;
}

/// `calendar.toml` beside a served policy is read with it: decisions on records carrying
/// `reported_at` give each deadline its `due` time, an edited calendar is a new version, and
/// a malformed one keeps the previous version serving with the located error.
#[tokio::test]
async fn a_calendar_beside_the_policy_is_served_with_it() {
    let dir = policies_dir();
    let logs = tempfile::tempdir().unwrap();
    let server = Server::start(config(dir.path(), logs.path())).await;
    let http = Http::default();
    let url = decide_url(&server, "school");
    let record = r#"{"category":"cyberbullying","reported_at":"2026-10-23T14:40:00Z"}"#;
    let without = wait_for(&http, &server, |p| p["status"] == "ok").await;
    let answer = http.post(&url, Some(TOKEN_ALL), record).await.json();
    let due = |answer: &serde_json::Value| {
        answer["decision"]["actions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["rule"] == "report_everything")
            .map(|a| a["due"].clone())
            .unwrap()
    };
    let says_no_calendar = |answer: &serde_json::Value| {
        answer["decision"]["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| {
                n.as_str()
                    .unwrap()
                    .contains("without the school's calendar")
            })
    };
    assert_eq!(due(&answer), "2026-10-23T23:59:00+01:00");
    assert!(says_no_calendar(&answer), "{answer}");

    let calendar = "school = \"school\"\n\n[[term]]\nname = \"autumn\"\nstarts = 2026-09-03\nends = 2026-12-18\n";
    std::fs::write(dir.path().join("school/calendar.toml"), calendar).unwrap();
    server.app.request_reload();
    let with = wait_for(&http, &server, |p| {
        p["status"] == "ok" && p["content_hash"] != without["content_hash"]
    })
    .await;
    let answer = http.post(&url, Some(TOKEN_ALL), record).await.json();
    assert_eq!(answer["policy"]["content_hash"], with["content_hash"]);
    assert_eq!(due(&answer), "2026-10-23T23:59:00+01:00");
    assert!(!says_no_calendar(&answer), "{answer}");

    std::fs::write(
        dir.path().join("school/calendar.toml"),
        "school = \"school\"\nday_ends = \"3pm\"\n",
    )
    .unwrap();
    server.app.request_reload();
    let stale = wait_for(&http, &server, |p| p["status"] == "stale").await;
    assert_eq!(stale["content_hash"], with["content_hash"]);
    let errors = stale["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["code"] == "haven::calendar::invalid"
                && e["line"] == 2
                && e["column"] == 12),
        "{errors:?}"
    );
    server.stop().await;
}
