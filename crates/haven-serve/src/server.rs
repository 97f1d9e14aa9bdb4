//! The HTTP service: routes, handlers, reload and shutdown.

use crate::auth::{Denied, Tokens};
use crate::error::ApiError;
use crate::hash::{canonical_json, sha256_hex};
use crate::log::{DecisionEntry, DecisionLog, LogConfig};
use crate::metrics::Metrics;
use crate::policies::{Loaded, PolicyInfo, ReloadReport, Store};
use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Path, RawQuery, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use haven_core::{CheckOptions, IncidentError, Status};
use http_body_util::BodyExt;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// Everything `haven serve` is told.
#[derive(Clone, Debug)]
pub struct Config {
    /// The policies directory (`<dir>/<id>/policy.haven`).
    pub policies: PathBuf,
    /// Where to listen.
    pub addr: SocketAddr,
    /// Accepted tokens; `None` turns authentication off (`--no-auth`).
    pub tokens: Option<Tokens>,
    /// The tokens file, re-read on SIGHUP.
    pub tokens_file: Option<PathBuf>,
    /// The decision log; `None` turns it off (`--no-log`).
    pub log: Option<LogConfig>,
    /// Largest body of a single decide request.
    pub max_body_bytes: usize,
    /// Largest body of a batch request.
    pub max_batch_bytes: usize,
    /// Most records in a batch.
    pub max_batch_len: usize,
    /// Longest a request may take before its answer starts.
    pub request_timeout: Duration,
    /// How often to look for changed policy files (`None`: only on SIGHUP).
    pub poll_interval: Option<Duration>,
    /// Check options (e.g. today's date for the review warning).
    pub check: CheckOptions,
    /// Serve HTTPS with this certificate chain and key (PEM files).
    pub tls: Option<TlsFiles>,
}

/// A PEM certificate chain and its private key, for HTTPS.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    /// The certificate chain, leaf first.
    pub cert: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

impl TlsFiles {
    /// A rustls server configuration (ring provider, TLS 1.2 and 1.3, HTTP/1.1).
    fn server_config(&self) -> std::io::Result<rustls::ServerConfig> {
        use rustls_pki_types::pem::PemObject;
        use rustls_pki_types::{CertificateDer, PrivateKeyDer};
        let bad = |what: &str, path: &PathBuf, e: &dyn std::fmt::Display| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{what} `{}`: {e}", path.display()),
            )
        };
        let certs = CertificateDer::pem_file_iter(&self.cert)
            .and_then(|it| it.collect::<Result<Vec<_>, _>>())
            .map_err(|e| bad("TLS certificate", &self.cert, &e))?;
        if certs.is_empty() {
            return Err(bad(
                "TLS certificate",
                &self.cert,
                &"no certificate in the file",
            ));
        }
        let key =
            PrivateKeyDer::from_pem_file(&self.key).map_err(|e| bad("TLS key", &self.key, &e))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| bad("TLS certificate", &self.cert, &e))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| bad("TLS key", &self.key, &e))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(config)
    }
}

impl Config {
    /// Defaults for a policies directory: loopback port 8181, no auth, no log.
    pub fn new(policies: PathBuf) -> Self {
        Config {
            policies,
            addr: SocketAddr::from(([127, 0, 0, 1], 8181)),
            tokens: None,
            tokens_file: None,
            log: None,
            max_body_bytes: 1024 * 1024,
            max_batch_bytes: 32 * 1024 * 1024,
            max_batch_len: 10_000,
            request_timeout: Duration::from_secs(10),
            poll_interval: Some(Duration::from_secs(1)),
            check: CheckOptions::default(),
            tls: None,
        }
    }
}

/// Shared state of a running server.
#[derive(Debug)]
pub struct App {
    config: Config,
    store: Store,
    tokens: RwLock<Option<Arc<Tokens>>>,
    log: Option<DecisionLog>,
    metrics: Metrics,
    shutting_down: AtomicBool,
    reload_now: Notify,
}

type AppState = Arc<App>;

impl App {
    /// Open the log (repairing a torn tail), load the policies once.
    pub fn new(config: Config) -> std::io::Result<Arc<App>> {
        if !config.policies.is_dir() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!(
                    "policies directory `{}` not found",
                    config.policies.display()
                ),
            ));
        }
        let log = match &config.log {
            Some(lc) => {
                let (log, torn) = DecisionLog::open(lc.clone())?;
                if let Some(t) = torn {
                    tracing::warn!(
                        file = %t.file.display(), offset = t.offset, bytes = t.bytes,
                        "decision log: truncated a torn last record (recorded in the log)"
                    );
                    eprintln!(
                        "warning: decision log `{}`: truncated a torn last record ({} bytes at \
                         offset {}, sha256 {}); recorded as a `truncated_torn_record` event",
                        t.file.display(),
                        t.bytes,
                        t.offset,
                        t.sha256
                    );
                }
                Some(log)
            }
            None => None,
        };
        let app = Arc::new(App {
            store: Store::new(config.policies.clone(), config.check.clone()),
            tokens: RwLock::new(config.tokens.clone().map(Arc::new)),
            config,
            log,
            metrics: Metrics::default(),
            shutting_down: AtomicBool::new(false),
            reload_now: Notify::new(),
        });
        app.reload();
        Ok(app)
    }

    /// Compile the policies again and swap them in (blocking; tests and SIGHUP use
    /// [`App::request_reload`]).
    pub(crate) fn reload(&self) -> ReloadReport {
        let report = self.store.reload();
        let set = self.store.current();
        for id in &report.failed {
            if let Some(entry) = set.entries.get(id) {
                let first = entry
                    .errors
                    .first()
                    .map(|e| e.message.clone())
                    .unwrap_or_default();
                tracing::warn!(
                    policy = %id,
                    errors = entry.errors.len(),
                    serving_previous = entry.serving.is_some(),
                    "policy failed to compile: {first}"
                );
            }
        }
        tracing::info!(
            generation = set.generation,
            updated = ?report.updated,
            failed = ?report.failed,
            removed = ?report.removed,
            "policies loaded"
        );
        self.metrics.reload(if report.failed.is_empty() {
            "ok"
        } else {
            "failed"
        });
        if let Some(log) = &self.log {
            let policies: Vec<serde_json::Value> = set
                .entries
                .iter()
                .map(|(id, e)| {
                    serde_json::json!({
                        "id": id,
                        "version": e.serving.as_ref().and_then(|l| l.policy.version()),
                        "content_hash": e.serving.as_ref().map(|l| l.content_hash.as_str()),
                        "errors": e.errors.iter().map(|d| &d.message).collect::<Vec<_>>(),
                    })
                })
                .collect();
            let fields = serde_json::json!({
                "generation": set.generation,
                "updated": report.updated,
                "failed": report.failed,
                "removed": report.removed,
                "policies": policies,
            });
            if let Err(e) = log.append_event("policies_loaded", &fields) {
                tracing::error!("decision log: cannot record the reload: {e}");
            }
        }
        report
    }

    /// Re-read the tokens file (SIGHUP). A file that no longer parses keeps the old tokens.
    fn reload_tokens(&self) {
        let Some(path) = &self.config.tokens_file else {
            return;
        };
        match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|t| Tokens::parse(&t))
        {
            Ok(tokens) => {
                if let Ok(mut t) = self.tokens.write() {
                    *t = Some(Arc::new(tokens));
                }
            }
            Err(e) => tracing::error!(
                "tokens file `{}`: {e}; keeping the previous tokens",
                path.display()
            ),
        }
    }

    /// The decision log, if on.
    pub fn log(&self) -> Option<&DecisionLog> {
        self.log.as_ref()
    }

    /// Ask for a reload (as SIGHUP does).
    pub fn request_reload(&self) {
        self.reload_now.notify_one();
    }

    fn tokens(&self) -> Option<Arc<Tokens>> {
        match self.tokens.read() {
            Ok(t) => t.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// 401/403 unless the request may use `policy` (`None`: any policy, for listings).
    fn authorize(&self, headers: &HeaderMap, policy: Option<&str>) -> Result<(), ApiError> {
        let Some(tokens) = self.tokens() else {
            return Ok(());
        };
        let auth = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        match tokens.check(auth, policy) {
            Ok(()) => Ok(()),
            Err(Denied::Unauthenticated) => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "haven::serve::unauthorized",
                "a valid bearer token is required (`Authorization: Bearer <token>`)",
            )),
            Err(Denied::Forbidden) => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "haven::serve::forbidden",
                format!(
                    "this token may not use policy `{}`",
                    policy.unwrap_or_default()
                ),
            )),
        }
    }
}

/// The router, for a server or a test.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/v1/policies", get(list_policies))
        .route("/v1/policies/{id}", get(get_policy))
        .route("/v1/policies/{id}/decide", post(decide))
        .route("/v1/policies/{id}/decide-batch", post(decide_batch))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            Arc::clone(&app),
            observe_and_time_out,
        ))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "haven::serve::internal",
                    "internal error (a bug in haven: please report it)",
                )
                .into_response()
            },
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(app)
}

/// Metrics for every request, and the per-request time limit.
async fn observe_and_time_out(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let started = Instant::now();
    let response = match tokio::time::timeout(app.config.request_timeout, next.run(req)).await {
        Ok(response) => response,
        Err(_) => {
            let mut r = ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "haven::serve::timeout",
                format!(
                    "the request took longer than {} ms",
                    app.config.request_timeout.as_millis()
                ),
            )
            .into_response();
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            r
        }
    };
    app.metrics.request(
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "haven::serve::not_found",
        "no such endpoint (see /openapi.json)",
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "haven::serve::method_not_allowed",
        "method not allowed on this endpoint (see /openapi.json)",
    )
}

fn json_response(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn unknown_policy(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "haven::serve::unknown_policy",
        format!("no policy `{id}` is loaded (see GET /v1/policies)"),
    )
}

async fn list_policies(State(app): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(e) = app.authorize(&headers, None) {
        return e.into_response();
    }
    let set = app.store.current();
    let tokens = app.tokens();
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let policies: Vec<PolicyInfo<'_>> = set
        .entries
        .iter()
        .filter(|(id, _)| {
            tokens
                .as_ref()
                .is_none_or(|t| t.check(auth, Some(id)).is_ok())
        })
        .map(|(id, e)| PolicyInfo::new(id, e))
        .collect();
    json_response(
        StatusCode::OK,
        serde_json::json!({ "generation": set.generation, "policies": policies }).to_string(),
    )
}

async fn get_policy(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(e) = app.authorize(&headers, Some(&id)) {
        return e.into_response();
    }
    let set = app.store.current();
    let Some(entry) = set.entries.get(&id) else {
        return unknown_policy(&id).into_response();
    };
    let (warnings, sources) = match &entry.serving {
        Some(l) => (
            l.policy
                .warnings()
                .iter()
                .map(|d| d.detailed(l.policy.sources()))
                .collect::<Vec<_>>(),
            l.policy
                .sources()
                .iter()
                .map(|(_, f)| f.name.clone())
                .collect::<Vec<_>>(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    json_response(
        StatusCode::OK,
        serde_json::json!({
            "policy": PolicyInfo::new(&id, entry),
            "sources": sources,
            "warnings": warnings,
        })
        .to_string(),
    )
}

/// `?explain=true` (or `explain=1`, or a bare `explain`).
fn wants_explain(query: Option<&str>) -> bool {
    query.is_some_and(|q| {
        q.split('&')
            .any(|p| matches!(p, "explain" | "explain=true" | "explain=1"))
    })
}

/// Read a body of at most `limit` bytes: 413 beyond it.
async fn read_body(body: Body, headers: &HeaderMap, limit: usize) -> Result<Bytes, ApiError> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "haven::serve::body_too_large",
            format!("the request body is larger than the limit ({limit} bytes)"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    match http_body_util::Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Err(e) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "haven::serve::bad_body",
            format!("cannot read the request body: {e}"),
        )),
    }
}

fn utf8(bytes: &Bytes) -> Result<&str, ApiError> {
    std::str::from_utf8(bytes).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "haven::serve::not_utf8",
            format!(
                "the request body is not UTF-8 (first bad byte at offset {})",
                e.valid_up_to()
            ),
        )
    })
}

fn status_word(status: Status) -> &'static str {
    match status {
        Status::Complete => "complete",
        Status::Incomplete => "incomplete",
    }
}

/// Evaluate one record: the answer JSON, or the located error. Logs the decision.
fn decide_one(
    app: &App,
    loaded: &Loaded,
    text: &str,
    explain: bool,
) -> Result<String, DecideError> {
    let policy = &loaded.policy;
    let incident = policy
        .incident_from_json_all(text)
        .map_err(DecideError::Incident)?;
    let decision = policy.evaluate(&incident);
    let mut answer = decision.to_json();
    if explain {
        if let Some(obj) = answer.as_object_mut() {
            obj.insert(
                "explain".to_owned(),
                serde_json::json!({
                    "applied": decision.fired_rules().collect::<Vec<_>>(),
                    "may_apply": decision.possible_rules().collect::<Vec<_>>(),
                }),
            );
        }
    }
    let answer = answer.to_string();
    let decision_id = match &app.log {
        Some(log) => {
            // Valid JSON: core just accepted it.
            let value: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
            let canonical = canonical_json(&value);
            let entry = DecisionEntry {
                policy_id: &loaded.id,
                version: policy.version(),
                content_hash: &loaded.content_hash,
                incident_sha256: &sha256_hex(canonical.as_bytes()),
                incident: log.config().log_incidents.then_some(canonical.as_str()),
                answer: &answer,
            };
            log.append_decision(&entry).map_err(|e| {
                tracing::error!("decision log write failed: {e}");
                DecideError::Log(e)
            })?
        }
        None => uuid::Uuid::now_v7().to_string(),
    };
    app.metrics.decision(
        status_word(decision.status()),
        decision.permission().unwrap_or("none"),
    );
    Ok(format!(
        "{{\"decision_id\":\"{decision_id}\",\"policy\":{},\"decision\":{answer}}}",
        loaded.policy_json
    ))
}

enum DecideError {
    Incident(Vec<IncidentError>),
    Log(std::io::Error),
}

impl DecideError {
    fn into_api(self) -> ApiError {
        match self {
            DecideError::Incident(errors) => ApiError::incident(&errors),
            DecideError::Log(e) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "haven::serve::log_unavailable",
                format!("the decision could not be logged, so it is not given: {e}"),
            ),
        }
    }
}

/// The policy a decide request names, after auth.
fn resolve(app: &App, headers: &HeaderMap, id: &str) -> Result<Arc<Loaded>, ApiError> {
    app.authorize(headers, Some(id))?;
    let set = app.store.current();
    set.get(id).cloned().ok_or_else(|| unknown_policy(id))
}

/// What both decide handlers do first: auth, the named policy, the body within `limit`.
async fn open_request(
    app: &App,
    headers: &HeaderMap,
    id: &str,
    body: Body,
    limit: usize,
) -> Result<(Arc<Loaded>, Bytes), ApiError> {
    let loaded = resolve(app, headers, id)?;
    let bytes = read_body(body, headers, limit).await?;
    Ok((loaded, bytes))
}

async fn decide(
    State(app): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let explain = wants_explain(query.as_deref());
    let (loaded, bytes) =
        match open_request(&app, &headers, &id, body, app.config.max_body_bytes).await {
            Ok(opened) => opened,
            Err(e) => return e.into_response(),
        };
    let text = match utf8(&bytes) {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    match decide_one(&app, &loaded, text, explain) {
        Ok(body) => json_response(StatusCode::OK, body),
        Err(e) => e.into_api().into_response(),
    }
}

/// The records of a batch body: a JSON array, or JSON Lines. Each is `(index, text)`.
fn split_batch(text: &str) -> Result<Vec<(usize, String)>, ApiError> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        let items: Vec<Box<serde_json::value::RawValue>> =
            serde_json::from_str(text).map_err(|e| {
                ApiError::incident(&[IncidentError {
                    key: String::new(),
                    expected: "a JSON array of incident records, or JSON Lines".to_owned(),
                    message: format!("invalid JSON: {e}"),
                    code: "haven::incident::invalid_json",
                    line: Some(e.line()),
                    column: Some(e.column()),
                }])
            })?;
        return Ok(items
            .into_iter()
            .enumerate()
            .map(|(i, r)| (i, r.get().to_owned()))
            .collect());
    }
    Ok(text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (i, l.to_owned()))
        .collect())
}

async fn decide_batch(
    State(app): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let explain = wants_explain(query.as_deref());
    let (loaded, bytes) =
        match open_request(&app, &headers, &id, body, app.config.max_batch_bytes).await {
            Ok(opened) => opened,
            Err(e) => return e.into_response(),
        };
    let records = match utf8(&bytes).and_then(split_batch) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    if records.len() > app.config.max_batch_len {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "haven::serve::batch_too_long",
            format!(
                "the batch holds {} records; the limit is {}",
                records.len(),
                app.config.max_batch_len
            ),
        )
        .into_response();
    }
    let (tx, rx) = tokio::sync::mpsc::channel::<String>(64);
    let worker_app = Arc::clone(&app);
    tokio::task::spawn_blocking(move || {
        for (index, text) in records {
            let (line, stop) = match decide_one(&worker_app, &loaded, &text, explain) {
                Ok(answer) => (
                    format!("{{\"index\":{index},{}\n", answer.get(1..).unwrap_or("}")),
                    false,
                ),
                Err(e) => {
                    let stop = matches!(e, DecideError::Log(_));
                    let mut api = e.into_api();
                    for err in &mut api.errors {
                        if let Some(obj) = err.as_object_mut() {
                            obj.insert("index".to_owned(), index.into());
                        }
                    }
                    (
                        format!(
                            "{{\"index\":{index},{}\n",
                            api.body().get(1..).unwrap_or("}")
                        ),
                        stop,
                    )
                }
            };
            if tx.blocking_send(line).is_err() || stop {
                break;
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|line| (Ok::<_, std::convert::Infallible>(line), rx))
    });
    let mut r = Response::new(Body::from_stream(stream));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    r
}

async fn healthz() -> Response {
    json_response(StatusCode::OK, r#"{"status":"ok"}"#.to_owned())
}

async fn readyz(State(app): State<AppState>) -> Response {
    let set = app.store.current();
    let serving = set.entries.values().filter(|e| e.serving.is_some()).count();
    let reason = if app.shutting_down.load(Ordering::Relaxed) {
        Some("shutting down")
    } else if serving == 0 {
        Some("no policy loaded")
    } else {
        None
    };
    match reason {
        None => json_response(
            StatusCode::OK,
            serde_json::json!({"status": "ready", "policies": serving}).to_string(),
        ),
        Some(reason) => json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({"status": "not_ready", "reason": reason}).to_string(),
        ),
    }
}

async fn metrics(State(app): State<AppState>) -> Response {
    let set = app.store.current();
    let serving = set.entries.values().filter(|e| e.serving.is_some()).count();
    let failing = set
        .entries
        .values()
        .filter(|e| !e.errors.is_empty())
        .count();
    let (writes, syncs) = app.log.as_ref().map_or((0, 0), |l| (l.writes(), l.syncs()));
    let body = app.metrics.render(&[
        (
            "haven_policies_serving",
            "Policies answering requests.",
            serving as f64,
        ),
        (
            "haven_policies_failing",
            "Policies whose latest text did not compile.",
            failing as f64,
        ),
        (
            "haven_policy_generation",
            "Reload generation of the policy set.",
            set.generation as f64,
        ),
        (
            "haven_decision_log_writes_total",
            "Records written to the decision log.",
            writes as f64,
        ),
        (
            "haven_decision_log_fsyncs_total",
            "fsync calls on the decision log.",
            syncs as f64,
        ),
    ]);
    let mut r = (StatusCode::OK, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    r
}

/// The OpenAPI document served at `/openapi.json` (also `docs/openapi.json`).
pub const OPENAPI: &str = include_str!("openapi.json");

async fn openapi() -> Response {
    json_response(StatusCode::OK, OPENAPI.to_owned())
}

/// A server bound to its address.
#[derive(Debug)]
pub struct Bound {
    /// The address it listens on (the real port when asked for port 0).
    pub addr: SocketAddr,
    listener: tokio::net::TcpListener,
    tls: Option<rustls::ServerConfig>,
    app: Arc<App>,
}

impl Bound {
    /// The shared state.
    pub fn app(&self) -> &Arc<App> {
        &self.app
    }

    /// `https` when serving TLS, else `http`.
    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() {
            "https"
        } else {
            "http"
        }
    }
}

/// Load policies, open the log and bind; nothing is served until [`Bound::serve`].
pub async fn bind(config: Config) -> std::io::Result<Bound> {
    let addr = config.addr;
    let tls = config
        .tls
        .as_ref()
        .map(TlsFiles::server_config)
        .transpose()?;
    let app = tokio::task::spawn_blocking(move || App::new(config))
        .await
        .map_err(std::io::Error::other)??;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    Ok(Bound {
        addr: listener.local_addr()?,
        listener,
        tls,
        app,
    })
}

impl Bound {
    /// Serve until `shutdown` completes: then stop accepting, let in-flight requests finish,
    /// and flush the log. Reloads on SIGHUP and (if polling) when a policy file changes.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let app = self.app;
        let reloader = tokio::spawn(reload_loop(Arc::clone(&app)));
        let syncer = tokio::spawn(sync_loop(Arc::clone(&app)));
        let shutdown_app = Arc::clone(&app);
        let stopping = async move {
            shutdown.await;
            shutdown_app.shutting_down.store(true, Ordering::Relaxed);
            tracing::info!("shutting down: draining in-flight requests");
        };
        let router = router(Arc::clone(&app));
        let result = match self.tls {
            None => {
                axum::serve(self.listener, router)
                    .with_graceful_shutdown(stopping)
                    .await
            }
            Some(tls) => {
                let handle = axum_server::Handle::new();
                let signal = handle.clone();
                tokio::spawn(async move {
                    stopping.await;
                    signal.graceful_shutdown(None);
                });
                let config = axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(tls));
                axum_server::from_tcp_rustls(self.listener.into_std()?, config)
                    .handle(handle)
                    .serve(router.into_make_service())
                    .await
            }
        };
        reloader.abort();
        syncer.abort();
        if let Some(log) = &app.log {
            log.sync()?;
        }
        tracing::info!("stopped");
        result
    }
}

async fn reload_loop(app: Arc<App>) {
    #[cfg(unix)]
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    let poll = app
        .config
        .poll_interval
        .unwrap_or(Duration::from_secs(3600));
    let mut tick = tokio::time::interval(poll);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let hup_signal = async {
            match hup.as_mut() {
                Some(h) => {
                    h.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        let forced = tokio::select! {
            _ = tick.tick() => false,
            () = hup_signal => { tracing::info!("SIGHUP: reloading policies and tokens"); true }
            () = app.reload_now.notified() => true,
        };
        if !forced && app.config.poll_interval.is_none() {
            continue;
        }
        let a = Arc::clone(&app);
        let _ = tokio::task::spawn_blocking(move || {
            // Compare with what the serving set was compiled from (taken before compiling,
            // so an edit made during a reload is picked up by the next poll).
            if forced || a.store.fingerprint() != a.store.current().fingerprint {
                if forced {
                    a.reload_tokens();
                }
                a.reload();
            }
        })
        .await;
    }
}

async fn sync_loop(app: Arc<App>) {
    let Some(log) = &app.log else {
        return;
    };
    let mut tick = tokio::time::interval(log.config().fsync_interval);
    loop {
        tick.tick().await;
        let a = Arc::clone(&app);
        let _ = tokio::task::spawn_blocking(move || {
            if let Some(log) = &a.log {
                if let Err(e) = log.sync() {
                    tracing::error!("decision log fsync failed: {e}");
                }
            }
        })
        .await;
    }
}

/// Resolves on ctrl-c or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
