//! HTTPS with rustls: a client trusting the test certificate gets answers; plain HTTP to
//! the TLS port does not; a bad key file is an error at start, not at the first request.
//! `tests/fixtures/localhost.{pem,key}`: self-signed for `localhost` and `127.0.0.1`, valid
//! until 2126, made with
//! `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 36500
//!  -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -addext basicConstraints=critical,CA:FALSE`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a test failure"
)]

mod common;

use common::*;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// One request over TLS, trusting only the fixture certificate; the whole response.
async fn https(addr: std::net::SocketAddr, request: String) -> String {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(fixture("localhost.pem")).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    tls.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = tls.read_to_end(&mut out).await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn https_answers_and_plain_http_does_not() {
    let dir = policies_dir();
    let logs = tempfile::tempdir().unwrap();
    let mut c = config(dir.path(), logs.path());
    c.tls = Some(haven_serve::TlsFiles {
        cert: fixture("localhost.pem"),
        key: fixture("localhost.key"),
    });
    let server = Server::start(c).await;

    let health = https(
        server.addr,
        "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".to_owned(),
    )
    .await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");

    let response = https(
        server.addr,
        format!(
            "POST /v1/policies/school/decide HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
             Authorization: Bearer {TOKEN_ALL}\r\nContent-Length: {}\r\n\r\n{INCIDENT}",
            INCIDENT.len()
        ),
    )
    .await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"decision_id\""), "{response}");

    // Plain HTTP to the TLS port gets no HTTP answer.
    let plain = Http::default()
        .send(hyper::Method::GET, &server.url("/healthz"), None, "")
        .await;
    assert!(plain.is_err() || plain.as_ref().is_ok_and(|r| r.status != 200));
    server.stop().await;
}

#[tokio::test]
async fn a_bad_key_is_an_error_at_start() {
    let dir = policies_dir();
    let logs = tempfile::tempdir().unwrap();
    let mut c = config(dir.path(), logs.path());
    c.tls = Some(haven_serve::TlsFiles {
        cert: fixture("localhost.pem"),
        key: fixture("localhost.pem"),
    });
    let err = haven_serve::bind(c).await.unwrap_err();
    assert!(err.to_string().contains("TLS key"), "{err}");
}
