//! Helpers shared by the integration tests: a policies directory, an in-process server on a
//! loopback port, and a small HTTP client.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test support: a panic is a test failure, and not every test uses every helper"
)]

use bytes::Bytes;
use haven_serve::{Config, Tokens};
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A policy extending the bundled national baseline.
pub const SCHOOL: &str = r#"policy school "Test School" {
  version "1"
  extends baseline
  use std/vocabulary
}

rule report_everything {
  cites "§2 Reporting": "All incidents are reported to the DSL on the same day."
  when category is any
  must notify dsl due same_day
}
"#;

/// The same policy, version 2 (one more rule).
pub const SCHOOL_V2: &str = r#"policy school "Test School" {
  version "2"
  extends baseline
  use std/vocabulary
}

rule report_everything {
  cites "§2 Reporting": "All incidents are reported to the DSL on the same day."
  when category is any
  must notify dsl due same_day
}

rule log_everything {
  cites "§2 Reporting": "Every incident is logged."
  when category is any
  must log_incident
}
"#;

/// A policy that does not check.
pub const BROKEN: &str = r#"policy school "Test School" {
  version "3"
  extends baseline
  use std/vocabulary
}

rule report_everything {
  when category is any
  must notify bursar due same_day
}
"#;

pub const INCIDENT: &str = r#"{"category":"cyberbullying","actor":{"role":"pupil","age":12}}"#;

/// Tokens used by the tests: `all` (every policy) and `other` (only `other`).
pub const TOKEN_ALL: &str = "token-for-every-policy";
pub const TOKEN_OTHER: &str = "token-for-other-only";

pub fn tokens() -> Tokens {
    let text = format!(
        "{}\n{}\n",
        haven_serve::token_line(TOKEN_ALL, &[]),
        haven_serve::token_line(TOKEN_OTHER, &["other".to_owned()])
    );
    Tokens::parse(&text).unwrap()
}

/// A temporary policies directory holding `school` (and `other`).
pub fn policies_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_policy(dir.path(), "school", SCHOOL);
    write_policy(
        dir.path(),
        "other",
        &SCHOOL.replace("policy school", "policy other"),
    );
    dir
}

pub fn write_policy(dir: &Path, id: &str, text: &str) {
    std::fs::create_dir_all(dir.join(id)).unwrap();
    // Write then rename, as an editor or deploy would: a reader never sees half a file.
    let tmp = dir.join(id).join(".policy.haven.tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, dir.join(id).join("policy.haven")).unwrap();
}

/// A server running in this process.
pub struct Server {
    pub addr: SocketAddr,
    pub app: Arc<haven_serve::App>,
    pub log_path: Option<PathBuf>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// Defaults for tests: loopback port 0, auth with [`tokens`], a log in `log_dir`, no polling.
pub fn config(policies: &Path, log_dir: &Path) -> Config {
    let mut c = Config::new(policies.to_path_buf());
    c.addr = SocketAddr::from(([127, 0, 0, 1], 0));
    c.tokens = Some(tokens());
    c.log = Some(haven_serve::log::LogConfig::new(
        log_dir.join("decisions.jsonl"),
    ));
    c.poll_interval = None;
    c
}

impl Server {
    pub async fn start(config: Config) -> Server {
        let log_path = config.log.as_ref().map(|l| l.path.clone());
        let bound = haven_serve::bind(config).await.unwrap();
        let addr = bound.addr;
        let app = Arc::clone(bound.app());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(bound.serve(async move {
            let _ = stopped.await;
        }));
        Server {
            addr,
            app,
            log_path,
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Graceful shutdown; waits until the server has stopped.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }
}

/// A keep-alive HTTP/1 client.
#[derive(Clone)]
pub struct Http {
    client: Client<HttpConnector, Full<Bytes>>,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: hyper::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    }
}

impl Default for Http {
    fn default() -> Self {
        Http {
            client: Client::builder(hyper_util::rt::TokioExecutor::new()).build_http(),
        }
    }
}

impl Http {
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        token: Option<&str>,
        body: impl Into<Bytes>,
    ) -> Result<Reply, String> {
        let mut req = Request::builder().method(method).uri(url);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let req = req
            .header("content-type", "application/json")
            .body(Full::new(body.into()))
            .map_err(|e| e.to_string())?;
        let res = self.client.request(req).await.map_err(|e| e.to_string())?;
        let status = res.status();
        let headers = res.headers().clone();
        let body = res
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok(Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }

    pub async fn get(&self, url: &str, token: Option<&str>) -> Reply {
        self.send(Method::GET, url, token, Bytes::new())
            .await
            .unwrap()
    }

    pub async fn post(&self, url: &str, token: Option<&str>, body: impl Into<Bytes>) -> Reply {
        self.send(Method::POST, url, token, body).await.unwrap()
    }
}

/// Every record of a log file, parsed.
pub fn records(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}
