//! The decision log: JSON Lines, one record per decision, each record carrying the SHA-256
//! of the previous record's line, so the files form a hash chain (`haven log verify`).
//!
//! A record is written with one `write_all` of the line and its `\n`, under a lock, before
//! the answer leaves the server: a decision the caller saw is on disk (in the page cache at
//! least; `fsync` follows every `fsync_every` records and every `fsync_interval`). After a
//! crash the last line may be torn; [`DecisionLog::open`] truncates it and says so in a
//! `truncated_torn_record` record, chained like any other.

use crate::hash::{rfc3339, sha256_hex};
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// `prev` of the very first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// How the log is written.
#[derive(Clone, Debug)]
pub struct LogConfig {
    /// The current file; rotated files are `<path>.1`, `<path>.2`, … (oldest first).
    pub path: PathBuf,
    /// Rotate when the current file would grow past this many bytes (0: never).
    pub max_bytes: u64,
    /// `fsync` after this many records (1: every record; 0: only on the interval).
    pub fsync_every: u32,
    /// `fsync` pending records at least this often.
    pub fsync_interval: Duration,
    /// Keep the incident itself in each record (special-category data: off by default).
    pub log_incidents: bool,
}

impl LogConfig {
    /// Defaults for `path`: no rotation, fsync every 64 records or 100 ms, no incidents.
    pub fn new(path: PathBuf) -> Self {
        LogConfig {
            path,
            max_bytes: 0,
            fsync_every: 64,
            fsync_interval: Duration::from_millis(100),
            log_incidents: false,
        }
    }
}

/// One decision to record. The caller serialises; the log adds `seq`, `prev`, id and time.
#[derive(Debug)]
pub struct DecisionEntry<'a> {
    /// Policy id (the directory name).
    pub policy_id: &'a str,
    /// Policy version from its header.
    pub version: Option<&'a str>,
    /// SHA-256 of the policy's sources.
    pub content_hash: &'a str,
    /// SHA-256 of the canonical incident JSON.
    pub incident_sha256: &'a str,
    /// The canonical incident JSON, when incidents are logged.
    pub incident: Option<&'a str>,
    /// The decision JSON (version-1 contract).
    pub answer: &'a str,
}

/// A torn last line found (and removed) when opening the log.
#[derive(Clone, Debug)]
pub struct Torn {
    /// The file it was in.
    pub file: PathBuf,
    /// Byte offset where it started (the file's new length).
    pub offset: u64,
    /// How many bytes were removed.
    pub bytes: u64,
    /// SHA-256 of the removed bytes.
    pub sha256: String,
}

struct Writer {
    file: File,
    prev: String,
    seq: u64,
    bytes: u64,
    unsynced: u32,
}

/// An open decision log. `Send + Sync`: share it behind an `Arc`.
pub struct DecisionLog {
    config: LogConfig,
    writer: Mutex<Writer>,
    /// A second handle on the current file, for `fsync` outside the lock.
    sync_handle: Mutex<Arc<File>>,
    writes: std::sync::atomic::AtomicU64,
    syncs: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for DecisionLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecisionLog")
            .field("path", &self.config.path)
            .finish_non_exhaustive()
    }
}

impl DecisionLog {
    /// Open (or create) the log, truncating a torn last line and chaining on from the last
    /// record (of this file, or of the newest rotated file when this one is empty).
    pub fn open(config: LogConfig) -> io::Result<(DecisionLog, Option<Torn>)> {
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&config.path)?;
        let (torn, last) = repair_tail(&file, &config.path)?;
        let mut bytes = file.metadata()?.len();
        let last = match last {
            Some(line) => Some(line),
            None if bytes == 0 => match rotated_files(&config.path)?.last() {
                Some(old) => {
                    let old = File::open(old)?;
                    let len = old.metadata()?.len();
                    last_line(&old, len)?
                }
                None => None,
            },
            None => None,
        };
        let (prev, seq) = match last {
            Some(line) => (sha256_hex(&line), record_seq(&line).map_or(1, |s| s + 1)),
            None => (GENESIS.to_owned(), 1),
        };
        bytes = bytes.max(file.metadata()?.len());
        let sync_handle = Mutex::new(Arc::new(file.try_clone()?));
        let log = DecisionLog {
            config,
            writer: Mutex::new(Writer {
                file,
                prev,
                seq,
                bytes,
                unsynced: 0,
            }),
            sync_handle,
            writes: 0.into(),
            syncs: 0.into(),
        };
        if let Some(t) = &torn {
            log.append_event(
                "truncated_torn_record",
                &serde_json::json!({
                    "file": t.file.display().to_string(),
                    "offset": t.offset,
                    "bytes": t.bytes,
                    "sha256": t.sha256,
                }),
            )?;
            log.sync()?;
        }
        Ok((log, torn))
    }

    /// The configuration.
    pub fn config(&self) -> &LogConfig {
        &self.config
    }

    /// Records written since opening.
    pub fn writes(&self) -> u64 {
        self.writes.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// `fsync` calls made since opening.
    pub fn syncs(&self) -> u64 {
        self.syncs.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Append a decision; returns its `decision_id`.
    pub fn append_decision(&self, entry: &DecisionEntry<'_>) -> io::Result<String> {
        let mut tail = String::with_capacity(entry.answer.len() + 256);
        tail.push_str(",\"policy\":");
        tail.push_str(
            &serde_json::json!({
                "id": entry.policy_id,
                "version": entry.version,
                "content_hash": entry.content_hash,
            })
            .to_string(),
        );
        tail.push_str(",\"incident_sha256\":\"");
        tail.push_str(entry.incident_sha256);
        tail.push('"');
        if let Some(incident) = entry.incident {
            tail.push_str(",\"incident\":");
            tail.push_str(incident);
        }
        tail.push_str(",\"answer\":");
        tail.push_str(entry.answer);
        tail.push('}');
        let id = uuid::Uuid::now_v7().to_string();
        self.append(|seq, prev| {
            format!(
                "{{\"seq\":{seq},\"prev\":\"{prev}\",\"decision_id\":\"{id}\",\"time\":\"{}\"{tail}",
                rfc3339(SystemTime::now())
            )
        })?;
        Ok(id)
    }

    /// Append an event record (`{"seq","prev","event","time",…fields}`).
    pub fn append_event(&self, event: &str, fields: &serde_json::Value) -> io::Result<()> {
        let mut tail = String::new();
        if let Some(map) = fields.as_object() {
            for (k, v) in map {
                tail.push(',');
                tail.push_str(&serde_json::Value::String(k.clone()).to_string());
                tail.push(':');
                tail.push_str(&v.to_string());
            }
        }
        let event = serde_json::Value::String(event.to_owned()).to_string();
        self.append(|seq, prev| {
            format!(
                "{{\"seq\":{seq},\"prev\":\"{prev}\",\"event\":{event},\"time\":\"{}\"{tail}}}",
                rfc3339(SystemTime::now())
            )
        })
    }

    fn append(&self, make: impl FnOnce(u64, &str) -> String) -> io::Result<()> {
        let mut w = self
            .writer
            .lock()
            .map_err(|_| io::Error::other("decision log lock poisoned"))?;
        let mut line = make(w.seq, &w.prev);
        let hash = sha256_hex(line.as_bytes());
        line.push('\n');
        let len = line.len() as u64;
        if self.config.max_bytes > 0 && w.bytes > 0 && w.bytes + len > self.config.max_bytes {
            self.rotate(&mut w)?;
        }
        if let Err(e) = w
            .file
            .write_all(line.as_bytes())
            .and_then(|()| w.file.flush())
        {
            // Never leave a partial line for the next record to follow.
            let _ = w.file.set_len(w.bytes);
            return Err(e);
        }
        w.bytes += len;
        w.prev = hash;
        w.seq += 1;
        w.unsynced += 1;
        self.writes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if self.config.fsync_every > 0 && w.unsynced >= self.config.fsync_every {
            w.file.sync_data()?;
            w.unsynced = 0;
            self.syncs
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(())
    }

    /// Close the current file as `<path>.N` and start a new one; the chain carries on.
    fn rotate(&self, w: &mut Writer) -> io::Result<()> {
        w.file.sync_all()?;
        let next = rotated_files(&self.config.path)?
            .iter()
            .filter_map(|p| rotation_index(&self.config.path, p))
            .max()
            .unwrap_or(0)
            + 1;
        let mut rotated = self.config.path.clone().into_os_string();
        rotated.push(format!(".{next}"));
        std::fs::rename(&self.config.path, &rotated)?;
        w.file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&self.config.path)?;
        w.bytes = 0;
        w.unsynced = 0;
        if let Ok(mut handle) = self.sync_handle.lock() {
            *handle = Arc::new(w.file.try_clone()?);
        }
        Ok(())
    }

    /// `fsync` whatever was written since the last one (the interval task and shutdown).
    pub fn sync(&self) -> io::Result<()> {
        let pending = match self.writer.lock() {
            Ok(mut w) => std::mem::take(&mut w.unsynced),
            Err(_) => return Err(io::Error::other("decision log lock poisoned")),
        };
        if pending == 0 {
            return Ok(());
        }
        let handle = match self.sync_handle.lock() {
            Ok(h) => Arc::clone(&h),
            Err(_) => return Err(io::Error::other("decision log lock poisoned")),
        };
        handle.sync_data()?;
        self.syncs
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }
}

/// Rotated files of `path` (`<path>.N`), oldest first.
pub fn rotated_files(path: &Path) -> io::Result<Vec<PathBuf>> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut found: Vec<(u64, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let p = entry?.path();
        if let Some(n) = rotation_index(path, &p) {
            found.push((n, p));
        }
    }
    found.sort();
    Ok(found.into_iter().map(|(_, p)| p).collect())
}

fn rotation_index(path: &Path, candidate: &Path) -> Option<u64> {
    let base = path.file_name()?.to_str()?;
    let name = candidate.file_name()?.to_str()?;
    name.strip_prefix(base)?.strip_prefix('.')?.parse().ok()
}

fn record_seq(line: &[u8]) -> Option<u64> {
    serde_json::from_slice::<serde_json::Value>(line)
        .ok()?
        .get("seq")?
        .as_u64()
}

/// Offset of the last `byte` before `end`, reading backwards in chunks.
fn find_back(file: &File, end: u64, byte: u8) -> io::Result<Option<u64>> {
    const CHUNK: u64 = 64 * 1024;
    let mut end = end;
    let mut buf = vec![0u8; CHUNK as usize];
    while end > 0 {
        let start = end.saturating_sub(CHUNK);
        let n = (end - start) as usize;
        let chunk = buf.get_mut(..n).unwrap_or_default();
        file.read_exact_at(chunk, start)?;
        if let Some(i) = chunk.iter().rposition(|b| *b == byte) {
            return Ok(Some(start + i as u64));
        }
        end = start;
    }
    Ok(None)
}

/// The last complete line (without its `\n`) of the first `len` bytes, if any.
fn last_line(file: &File, len: u64) -> io::Result<Option<Vec<u8>>> {
    if len == 0 {
        return Ok(None);
    }
    let Some(nl) = find_back(file, len, b'\n')? else {
        return Ok(None);
    };
    let start = find_back(file, nl, b'\n')?.map_or(0, |p| p + 1);
    let mut line = vec![0u8; (nl - start) as usize];
    file.read_exact_at(&mut line, start)?;
    Ok(Some(line))
}

/// Remove a torn tail: bytes after the last `\n`, or a last line that is not a JSON object.
/// Returns what was removed and the last good line.
fn repair_tail(file: &File, path: &Path) -> io::Result<(Option<Torn>, Option<Vec<u8>>)> {
    let len = file.metadata()?.len();
    let mut good = find_back(file, len, b'\n')?.map_or(0, |p| p + 1);
    let mut last = last_line(file, good)?;
    if let Some(line) = &last {
        if serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(line).is_err() {
            good -= line.len() as u64 + 1;
            last = last_line(file, good)?;
        }
    }
    if good == len {
        return Ok((None, last));
    }
    let mut removed = vec![0u8; (len - good) as usize];
    file.read_exact_at(&mut removed, good)?;
    file.set_len(good)?;
    file.sync_all()?;
    Ok((
        Some(Torn {
            file: path.to_path_buf(),
            offset: good,
            bytes: len - good,
            sha256: sha256_hex(&removed),
        }),
        last,
    ))
}

/// What `verify` found in a chain that holds.
#[derive(Clone, Debug)]
pub struct Verified {
    /// Records checked.
    pub records: u64,
    /// SHA-256 of the last record: anchor it elsewhere to detect removal of the tail.
    pub head: String,
}

/// The first place a chain breaks.
#[derive(Clone, Debug)]
pub struct Broken {
    /// The file.
    pub file: PathBuf,
    /// 1-based line in that file.
    pub line: usize,
    /// The record's `decision_id` (or `event:<name>`), when it could be read.
    pub record: Option<String>,
    /// What is wrong, in one sentence.
    pub message: String,
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)?;
        if let Some(r) = &self.record {
            write!(f, " ({r})")?;
        }
        write!(f, ": {}", self.message)
    }
}

struct Rec {
    file: usize,
    line: usize,
    hash: String,
    seq: Option<u64>,
    prev: Option<String>,
    name: Option<String>,
}

/// Check that `files` (oldest first) form one unbroken chain from the genesis value.
pub fn verify(files: &[PathBuf]) -> Result<Verified, Broken> {
    let mut recs: Vec<Rec> = Vec::new();
    for (fi, path) in files.iter().enumerate() {
        let broken = |line: usize, message: String| Broken {
            file: path.clone(),
            line,
            record: None,
            message,
        };
        let file = File::open(path).map_err(|e| broken(0, format!("cannot read the file: {e}")))?;
        let mut reader = io::BufReader::new(file);
        let mut buf = Vec::new();
        let mut line = 0usize;
        loop {
            buf.clear();
            let n = reader
                .read_until(b'\n', &mut buf)
                .map_err(|e| broken(line + 1, format!("cannot read the file: {e}")))?;
            if n == 0 {
                break;
            }
            line += 1;
            if buf.last() != Some(&b'\n') {
                return Err(broken(
                    line,
                    "torn record (no newline at the end): the writer stopped mid-record; \
                     starting `haven serve` on this log truncates it and records that it did"
                        .to_owned(),
                ));
            }
            buf.pop();
            let value: serde_json::Value = serde_json::from_slice(&buf).map_err(|e| {
                broken(
                    line,
                    format!("not a JSON record ({e}): edited or corrupted"),
                )
            })?;
            let name = value
                .get("decision_id")
                .and_then(|v| v.as_str())
                .map(|s| format!("decision_id {s}"))
                .or_else(|| {
                    value
                        .get("event")
                        .and_then(|v| v.as_str())
                        .map(|s| format!("event {s}"))
                });
            recs.push(Rec {
                file: fi,
                line,
                hash: sha256_hex(&buf),
                seq: value.get("seq").and_then(|v| v.as_u64()),
                prev: value
                    .get("prev")
                    .and_then(|v| v.as_str())
                    .map(str::to_owned),
                name,
            });
        }
    }
    let at = |r: &Rec, message: String| Broken {
        file: files.get(r.file).cloned().unwrap_or_default(),
        line: r.line,
        record: r.name.clone(),
        message,
    };
    let mut prev_hash = GENESIS.to_owned();
    let mut prev_seq = 0u64;
    for (j, r) in recs.iter().enumerate() {
        let Some(seq) = r.seq else {
            return Err(at(r, "record has no `seq`: edited".to_owned()));
        };
        let chained = r.prev.as_deref() == Some(prev_hash.as_str());
        let lower_later = recs
            .iter()
            .skip(j + 1)
            .any(|o| o.seq.is_some_and(|s| s < seq));
        if j == 0 && !chained && seq > 1 && !lower_later {
            return Err(at(
                r,
                format!(
                    "the first record is seq {seq} and chains to an earlier record: pass the \
                     earlier (rotated) files first, oldest first, or records 1..{} were removed",
                    seq - 1
                ),
            ));
        }
        if chained && seq == prev_seq + 1 {
            prev_hash.clone_from(&r.hash);
            prev_seq = seq;
            continue;
        }
        let expected = prev_seq + 1;
        if seq != expected {
            let later = recs.iter().skip(j + 1).any(|o| o.seq == Some(expected));
            let message = if later || seq < expected {
                format!("out of order: seq {seq} where seq {expected} should be; records were reordered")
            } else if seq > expected {
                let missing = if seq - 1 == expected {
                    format!("record seq {expected} is")
                } else {
                    format!("records seq {expected}..{} are", seq - 1)
                };
                format!("{missing} missing before this one: removed")
            } else {
                "seq does not follow the previous record: edited".to_owned()
            };
            return Err(at(r, message));
        }
        // Seq in order, `prev` wrong: this record's `prev` was edited (then the next one
        // does not chain to it either), or the previous record was edited.
        let next_breaks = recs
            .get(j + 1)
            .is_some_and(|n| n.prev.as_deref() != Some(r.hash.as_str()));
        let previous = j.checked_sub(1).and_then(|i| recs.get(i));
        return Err(match previous {
            Some(p) if !next_breaks => at(
                p,
                format!(
                    "edited: its hash no longer matches the `prev` of the next record \
                     ({}:{})",
                    files
                        .get(r.file)
                        .map(|f| f.display().to_string())
                        .unwrap_or_default(),
                    r.line
                ),
            ),
            _ => at(
                r,
                "edited: its `prev` does not match the hash of the record before it".to_owned(),
            ),
        });
    }
    Ok(Verified {
        records: recs.len() as u64,
        head: prev_hash,
    })
}

/// Decisions made outside the server (`haven eval --log FILE`), in the same log format.
#[derive(Debug)]
pub struct EvalLog {
    log: DecisionLog,
    policy_id: String,
    version: Option<String>,
    content_hash: String,
}

impl EvalLog {
    /// Open `path` for decisions of `policy` (a torn last line is repaired and reported).
    pub fn open(path: &Path, policy: &haven_core::Policy) -> io::Result<(EvalLog, Option<Torn>)> {
        let (log, torn) = DecisionLog::open(LogConfig::new(path.to_path_buf()))?;
        Ok((
            EvalLog {
                log,
                policy_id: policy.id().to_owned(),
                version: policy.version().map(str::to_owned),
                content_hash: crate::policies::content_hash(policy),
            },
            torn,
        ))
    }

    /// Record one decision: the incident as given (hashed canonically) and the decision JSON.
    /// Returns its `decision_id`.
    pub fn record(&self, incident: &str, decision: &serde_json::Value) -> io::Result<String> {
        let value: serde_json::Value = serde_json::from_str(incident).unwrap_or_default();
        let canonical = crate::hash::canonical_json(&value);
        self.log.append_decision(&DecisionEntry {
            policy_id: &self.policy_id,
            version: self.version.as_deref(),
            content_hash: &self.content_hash,
            incident_sha256: &sha256_hex(canonical.as_bytes()),
            incident: None,
            answer: &decision.to_string(),
        })
    }

    /// `fsync` what was written.
    pub fn sync(&self) -> io::Result<()> {
        self.log.sync()
    }
}
