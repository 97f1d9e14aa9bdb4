//! The set of policies a server answers for: every `<dir>/<id>/policy.haven`, compiled, and
//! swapped in whole. A policy that fails `check` keeps its previous version serving.

use crate::hash::{rfc3339, sha256_hex};
use haven_core::{CheckOptions, DetailedError, Policy};
use haven_modules::FsLoader;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

/// One compiled policy with what the answers and the log name it by.
#[derive(Debug)]
pub(crate) struct Loaded {
    /// The directory name, as in the URL.
    pub(crate) id: String,
    /// The compiled policy.
    pub(crate) policy: Policy,
    /// [`content_hash`] of the policy.
    pub(crate) content_hash: String,
    /// The policy and the policies it extends.
    pub(crate) layers: Vec<String>,
    /// When this version was compiled (RFC 3339).
    pub(crate) loaded_at: String,
    /// `{"id","version","content_hash"}`, serialised once.
    pub(crate) policy_json: String,
}

/// A policy's entry in the set: what serves (if anything) and why the latest text does not.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// The version serving, if any compiled.
    pub(crate) serving: Option<Arc<Loaded>>,
    /// Errors of the latest text, when it did not compile (the previous version serves).
    pub(crate) errors: Vec<DetailedError>,
}

/// Every policy, as one immutable value (swapped whole on reload).
#[derive(Debug, Default)]
pub(crate) struct PolicySet {
    /// By id.
    pub(crate) entries: BTreeMap<String, Entry>,
    /// Reload generation (0 for the first load).
    pub(crate) generation: u64,
    /// The files this set was compiled from, as [`Store::fingerprint`] saw them.
    pub(crate) fingerprint: Fingerprint,
}

/// `(path, length, mtime)` of every `.haven` file under the policies directory.
pub(crate) type Fingerprint = Vec<(PathBuf, u64, Option<SystemTime>)>;

impl PolicySet {
    /// The serving version of `id`.
    pub(crate) fn get(&self, id: &str) -> Option<&Arc<Loaded>> {
        self.entries.get(id)?.serving.as_ref()
    }
}

/// What `GET /v1/policies` shows for one policy.
#[derive(Serialize)]
pub(crate) struct PolicyInfo<'a> {
    id: &'a str,
    status: &'static str,
    name: Option<&'a str>,
    title: Option<&'a str>,
    version: Option<&'a str>,
    layers: Option<&'a [String]>,
    content_hash: Option<&'a str>,
    loaded_at: Option<&'a str>,
    warnings: usize,
    errors: &'a [DetailedError],
}

impl<'a> PolicyInfo<'a> {
    /// The summary of an entry.
    pub(crate) fn new(id: &'a str, entry: &'a Entry) -> Self {
        let s = entry.serving.as_deref();
        PolicyInfo {
            id,
            status: match (s.is_some(), entry.errors.is_empty()) {
                (true, true) => "ok",
                (true, false) => "stale",
                (false, _) => "failed",
            },
            name: s.map(|l| l.policy.id()),
            title: s.and_then(|l| l.policy.title()),
            version: s.and_then(|l| l.policy.version()),
            layers: s.map(|l| l.layers.as_slice()),
            content_hash: s.map(|l| l.content_hash.as_str()),
            loaded_at: s.map(|l| l.loaded_at.as_str()),
            warnings: s.map_or(0, |l| l.policy.warnings().len()),
            errors: &entry.errors,
        }
    }
}

/// Where policies come from, and the set now serving.
#[derive(Debug)]
pub(crate) struct Store {
    dir: PathBuf,
    options: CheckOptions,
    current: RwLock<Arc<PolicySet>>,
}

/// What one reload changed.
#[derive(Debug, Default)]
pub(crate) struct ReloadReport {
    /// Ids compiled anew (text changed, compiled cleanly).
    pub(crate) updated: Vec<String>,
    /// Ids whose latest text failed (the previous version, if any, still serves).
    pub(crate) failed: Vec<String>,
    /// Ids no longer on disk (removed from the set).
    pub(crate) removed: Vec<String>,
}

impl Store {
    /// A store reading `dir`, with nothing loaded yet.
    pub(crate) fn new(dir: PathBuf, options: CheckOptions) -> Self {
        Store {
            dir,
            options,
            current: RwLock::new(Arc::new(PolicySet::default())),
        }
    }

    /// The set serving now. Requests hold this `Arc` for their whole life, so a reload never
    /// shows them half of one set and half of another.
    pub(crate) fn current(&self) -> Arc<PolicySet> {
        match self.current.read() {
            Ok(set) => Arc::clone(&set),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Compile every policy on disk and swap the new set in. Blocking (run it off the async
    /// runtime). Unchanged sources keep their compiled policy.
    pub(crate) fn reload(&self) -> ReloadReport {
        let old = self.current();
        let fingerprint = self.fingerprint();
        let mut report = ReloadReport::default();
        let mut entries = BTreeMap::new();
        let loader = FsLoader::new(Some(
            haven_modules::find_root(&self.dir).unwrap_or_else(|| self.dir.clone()),
        ));
        for (id, file) in policy_files(&self.dir) {
            let previous = old.entries.get(&id).and_then(|e| e.serving.clone());
            let was_clean = old.entries.get(&id).is_some_and(|e| e.errors.is_empty());
            if let Some(p) = previous
                .as_ref()
                .filter(|p| was_clean && unchanged(p, &file, &loader))
            {
                // Same text as the version serving: keep it without compiling again.
                entries.insert(
                    id,
                    Entry {
                        serving: Some(Arc::clone(p)),
                        errors: Vec::new(),
                    },
                );
                continue;
            }
            let entry = match compile(&id, &file, &loader, &self.options) {
                Ok(loaded) => {
                    let unchanged = previous
                        .as_ref()
                        .is_some_and(|p| p.content_hash == loaded.content_hash);
                    if unchanged {
                        Entry {
                            serving: previous,
                            errors: Vec::new(),
                        }
                    } else {
                        report.updated.push(id.clone());
                        Entry {
                            serving: Some(Arc::new(loaded)),
                            errors: Vec::new(),
                        }
                    }
                }
                Err(errors) => {
                    report.failed.push(id.clone());
                    Entry {
                        serving: previous,
                        errors,
                    }
                }
            };
            entries.insert(id, entry);
        }
        report.removed = old
            .entries
            .keys()
            .filter(|id| !entries.contains_key(*id))
            .cloned()
            .collect();
        let set = Arc::new(PolicySet {
            entries,
            generation: old.generation + 1,
            fingerprint,
        });
        match self.current.write() {
            Ok(mut current) => *current = set,
            Err(poisoned) => *poisoned.into_inner() = set,
        }
        report
    }

    /// A cheap fingerprint of every `.haven` and `calendar.toml` file under the directory
    /// (path, length, mtime): polled every second to notice edits.
    pub(crate) fn fingerprint(&self) -> Fingerprint {
        let mut out = Vec::new();
        walk(&self.dir, &mut out, 0);
        out.sort();
        out
    }
}

fn walk(dir: &Path, out: &mut Fingerprint, depth: usize) {
    if depth > 8 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            walk(&path, out, depth + 1);
        } else if path.extension().is_some_and(|e| e == "haven")
            || path.file_name().is_some_and(|n| n == "calendar.toml")
        {
            out.push((path, meta.len(), meta.modified().ok()));
        }
    }
}

/// Whether every file `loaded` was compiled from still has the same text: the root file, and
/// each module as the loader finds it now.
fn unchanged(loaded: &Loaded, file: &Path, loader: &FsLoader) -> bool {
    use haven_core::Loader;
    let calendar_now = loader.clone().with_calendar_beside(file).calendar();
    let calendar_then = loaded.policy.calendar_source().map(|(_, text)| text);
    if !matches!((&calendar_now, calendar_then), (Ok(None), None))
        && !matches!((&calendar_now, calendar_then), (Ok(Some((_, now))), Some(then)) if now == then)
    {
        return false;
    }
    loaded.policy.sources().iter().all(|(_, source)| {
        if source.module.is_empty() {
            std::fs::read(file).is_ok_and(|bytes| bytes == source.text.as_bytes())
        } else {
            matches!(loader.load(&source.module), Ok(Some((_, text))) if text == source.text)
        }
    })
}

/// SHA-256 (hex) over a policy's sources in load order, each as its module path (empty for
/// the root, `baseline`, `std/vocabulary`, …), a NUL, its text and a NUL, then its school
/// calendar (`calendar.toml`, NUL, text, NUL) when it has one: the same text gives the same
/// hash however and wherever it was loaded.
pub fn content_hash(policy: &Policy) -> String {
    let mut input = Vec::new();
    for (_, source) in policy.sources().iter() {
        input.extend_from_slice(source.module.as_bytes());
        input.push(0);
        input.extend_from_slice(source.text.as_bytes());
        input.push(0);
    }
    // The school calendar decides `due` times, so it is part of what is served.
    if let Some((_, text)) = policy.calendar_source() {
        input.extend_from_slice(b"calendar.toml\0");
        input.extend_from_slice(text.as_bytes());
        input.push(0);
    }
    sha256_hex(&input)
}

/// `(id, <dir>/<id>/policy.haven)` for every policy directory, sorted by id.
fn policy_files(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let file = e.path().join("policy.haven");
            let id = e.file_name().to_str()?.to_owned();
            file.is_file().then_some((id, file))
        })
        .collect();
    out.sort();
    out
}

fn compile(
    id: &str,
    file: &Path,
    loader: &FsLoader,
    options: &CheckOptions,
) -> Result<Loaded, Vec<DetailedError>> {
    let name = format!("{id}/policy.haven");
    let bytes = std::fs::read(file).map_err(|e| {
        vec![haven_core::DetailedError::unlocated(
            "haven::serve::unreadable_policy",
            format!("cannot read `{name}`: {e}"),
        )]
    })?;
    let text = haven_core::decode_source(&name, bytes).map_err(|e| e.detailed())?;
    let loader = loader.clone().with_calendar_beside(file);
    let policy = Policy::compile(&name, &text, &loader, options).map_err(|e| {
        e.detailed()
            .into_iter()
            .filter(|d| d.severity == haven_core::Severity::Error)
            .collect::<Vec<_>>()
    })?;
    let content_hash = content_hash(&policy);
    let mut layers = vec![policy.id().to_owned()];
    layers.extend(policy.extends().iter().cloned());
    let policy_json = serde_json::json!({
        "id": id,
        "version": policy.version(),
        "content_hash": content_hash,
    })
    .to_string();
    Ok(Loaded {
        id: id.to_owned(),
        content_hash,
        layers,
        loaded_at: rfc3339(SystemTime::now()),
        policy_json,
        policy,
    })
}
