//! `haven serve`, `haven serve hash-token` and `haven log verify`, as clap commands the
//! `haven` binary mounts. Each returns the process exit code.

use crate::auth::{token_line, Tokens};
use crate::log::LogConfig;
use crate::server::{bind, shutdown_signal, Config};
use clap::{Args, Subcommand};
use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// `haven serve [options]` or `haven serve hash-token`.
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ServeCommand {
    #[command(subcommand)]
    action: Option<ServeAction>,
    #[command(flatten)]
    args: ServeArgs,
}

#[derive(Subcommand, Debug)]
enum ServeAction {
    /// Print the tokens-file line for a token (read from standard input if not given)
    HashToken {
        /// The token (prefer standard input: arguments show up in `ps`)
        token: Option<String>,
        /// Limit the token to these policy ids (default: every policy)
        #[arg(long = "policy")]
        policies: Vec<String>,
    },
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// Directory holding `<id>/policy.haven` for every policy to serve
    #[arg(long, default_value = "policies")]
    policies: PathBuf,
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1:8181")]
    addr: SocketAddr,
    /// Tokens file: `sha256:<hex> [policy ids]` per line (see `haven serve hash-token`);
    /// else the `HAVEN_TOKENS` environment variable (entries separated by `;` or newlines)
    #[arg(long)]
    tokens: Option<PathBuf>,
    /// Answer decide requests without a token (local development only)
    #[arg(long)]
    no_auth: bool,
    /// Decision log (JSON Lines, hash-chained)
    #[arg(long, default_value = "decisions.jsonl")]
    log: PathBuf,
    /// Do not keep a decision log
    #[arg(long, conflicts_with_all = ["log_incidents"])]
    no_log: bool,
    /// Keep each incident in the log (special-category data: off by default)
    #[arg(long)]
    log_incidents: bool,
    /// Rotate the log when it would grow past this many bytes (0: never)
    #[arg(long, default_value_t = 0)]
    log_max_bytes: u64,
    /// fsync the log after this many records (1: every record; 0: only on the interval)
    #[arg(long, default_value_t = 64)]
    log_fsync_every: u32,
    /// fsync pending log records at least this often, in milliseconds
    #[arg(long, default_value_t = 100)]
    log_fsync_ms: u64,
    /// Largest body of a decide request, in bytes
    #[arg(long, default_value_t = 1024 * 1024)]
    max_body_bytes: usize,
    /// Largest body of a decide-batch request, in bytes
    #[arg(long, default_value_t = 32 * 1024 * 1024)]
    max_batch_bytes: usize,
    /// Most records in one decide-batch request
    #[arg(long, default_value_t = 10_000)]
    max_batch_len: usize,
    /// Longest a request may take before its answer starts, in milliseconds
    #[arg(long, default_value_t = 10_000)]
    timeout_ms: u64,
    /// How often to look for changed policy files, in milliseconds (0: only on SIGHUP)
    #[arg(long, default_value_t = 1_000)]
    poll_ms: u64,
    /// Serve HTTPS with this PEM certificate chain (leaf first); needs --tls-key
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key for --tls-cert
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
}

/// `haven log …`.
#[derive(Subcommand, Debug)]
pub enum LogCommand {
    /// Check that decision-log files form one unbroken hash chain; name the first record
    /// that was edited, removed or reordered
    Verify {
        /// Log files, oldest first (rotated files `decisions.jsonl.1`, `.2`, …, then the current one)
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// `haven serve` from its arguments (without `haven serve` itself), e.g. for a process that
/// embeds the server. Exit code as [`serve`]; 2 for bad arguments.
pub fn serve_from_args(args: impl IntoIterator<Item = String>) -> u8 {
    #[derive(clap::Parser)]
    #[command(name = "haven serve")]
    struct Only {
        #[command(flatten)]
        cmd: ServeCommand,
    }
    let argv = std::iter::once("haven serve".to_owned()).chain(args);
    match <Only as clap::Parser>::try_parse_from(argv) {
        Ok(only) => serve(only.cmd),
        Err(e) => {
            let _ = e.print();
            2
        }
    }
}

/// Run `haven serve`. Exit code: 0 after a clean shutdown, 2 usage, 4 I/O.
pub fn serve(cmd: ServeCommand) -> u8 {
    if let Some(ServeAction::HashToken { token, policies }) = cmd.action {
        let token = match token {
            Some(t) => t,
            None => {
                let mut s = String::new();
                if let Err(e) = std::io::stdin().read_to_string(&mut s) {
                    eprintln!("error: cannot read standard input: {e}");
                    return 4;
                }
                s
            }
        };
        if token.trim().is_empty() {
            eprintln!("error: the token is empty");
            return 2;
        }
        println!("{}", token_line(&token, &policies));
        return 0;
    }
    let a = cmd.args;
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HAVEN_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .try_init();
    let tokens = if a.no_auth {
        eprintln!(
            "warning: --no-auth: decide endpoints answer anyone who can reach {}; use it for \
             local development only",
            a.addr
        );
        None
    } else {
        let text = match (&a.tokens, std::env::var("HAVEN_TOKENS")) {
            (Some(path), _) => match std::fs::read_to_string(path) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("error: cannot read tokens file `{}`: {e}", path.display());
                    return 4;
                }
            },
            (None, Ok(env)) => env,
            (None, Err(_)) => {
                eprintln!(
                    "error: decide endpoints need bearer tokens: give --tokens FILE or set \
                     HAVEN_TOKENS (lines from `haven serve hash-token`), or --no-auth for local \
                     development"
                );
                return 2;
            }
        };
        match Tokens::parse(&text) {
            Ok(t) if t.is_empty() => {
                eprintln!("error: no tokens given (the tokens file or HAVEN_TOKENS is empty)");
                return 2;
            }
            Ok(t) => Some(t),
            Err(e) => {
                eprintln!("error: tokens: {e}");
                return 2;
            }
        }
    };
    let mut config = Config::new(a.policies);
    config.addr = a.addr;
    config.tokens = tokens;
    config.tokens_file = a.tokens;
    config.log = (!a.no_log).then(|| {
        let mut lc = LogConfig::new(a.log);
        lc.max_bytes = a.log_max_bytes;
        lc.fsync_every = a.log_fsync_every;
        lc.fsync_interval = Duration::from_millis(a.log_fsync_ms.max(1));
        lc.log_incidents = a.log_incidents;
        lc
    });
    config.max_body_bytes = a.max_body_bytes;
    config.max_batch_bytes = a.max_batch_bytes;
    config.max_batch_len = a.max_batch_len;
    config.request_timeout = Duration::from_millis(a.timeout_ms.max(1));
    config.poll_interval = (a.poll_ms > 0).then(|| Duration::from_millis(a.poll_ms));
    config.tls = match (a.tls_cert, a.tls_key) {
        (Some(cert), Some(key)) => Some(crate::TlsFiles { cert, key }),
        _ => None,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return 4;
        }
    };
    runtime.block_on(async {
        let bound = match bind(config).await {
            Ok(b) => b,
            Err(e) => {
                eprintln!("error: {e}");
                return 4;
            }
        };
        // Tests and scripts read this line to learn the port.
        eprintln!(
            "haven serve: listening on {}://{}",
            bound.scheme(),
            bound.addr
        );
        match bound.serve(shutdown_signal()).await {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("error: {e}");
                4
            }
        }
    })
}

/// Run `haven log …`. Exit code: 0 the chain holds, 1 it is broken.
pub fn log(cmd: LogCommand) -> u8 {
    match cmd {
        LogCommand::Verify { files } => match crate::log::verify(&files) {
            Ok(v) => {
                println!(
                    "ok: {} record{} in {} file{}, chain unbroken; head {}",
                    v.records,
                    if v.records == 1 { "" } else { "s" },
                    files.len(),
                    if files.len() == 1 { "" } else { "s" },
                    v.head
                );
                0
            }
            Err(broken) => {
                eprintln!("error: decision log chain broken at {broken}");
                1
            }
        },
    }
}
