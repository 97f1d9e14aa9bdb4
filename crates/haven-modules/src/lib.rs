//! Finding haven modules: on disk beside the policy being checked, or the copies of
//! `policies/` bundled into the binary at build time.
//!
//! Module paths map to files under a policies root: `baseline` is
//! `<root>/baseline/policy.haven`, `std/vocabulary` is `<root>/std/vocabulary.haven`.

#![deny(missing_docs)]

use haven_core::{LoadError, Loader, ModuleCache};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

/// The parsed modules every loader of this crate shares, for the life of the process: the
/// CLI, the bindings, the playground and the service parse `std/vocabulary`, `baseline` and
/// the shared modules once, then reuse them (an entry is keyed by the module's exact text, so
/// a file edited on disk is parsed afresh).
static CACHE: LazyLock<ModuleCache> = LazyLock::new(ModuleCache::new);

/// The process-wide module cache the loaders of this crate use (e.g. to report its size or
/// empty it).
pub fn module_cache() -> &'static ModuleCache {
    &CACHE
}

include!(concat!(env!("OUT_DIR"), "/bundled.rs"));

/// The bundled copies of `policies/`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Bundled;

impl Loader for Bundled {
    fn load(&self, module: &str) -> Result<Option<(String, String)>, LoadError> {
        Ok(BUNDLED
            .iter()
            .find(|(m, _, _)| *m == module)
            .map(|(_, name, text)| ((*name).to_owned(), (*text).to_owned())))
    }

    fn cache(&self) -> Option<&ModuleCache> {
        Some(&CACHE)
    }
}

impl Bundled {
    /// Ids of the bundled policies (directories with a `policy.haven`), sorted.
    pub fn policies() -> Vec<&'static str> {
        let mut ids: Vec<_> = BUNDLED
            .iter()
            .filter(|(_, name, _)| name.ends_with("/policy.haven"))
            .map(|(m, _, _)| *m)
            .collect();
        ids.sort_unstable();
        ids
    }

    /// A bundled policy's display name (`policies/<id>/policy.haven`) and text, or core's
    /// usage message listing the bundled ids when `id` is not a bundled policy (a module such
    /// as `std/vocabulary` is not one).
    pub fn policy(id: &str) -> Result<(&'static str, &'static str), String> {
        let found = BUNDLED
            .iter()
            .find(|(m, name, _)| *m == id && name.ends_with("/policy.haven"));
        let ids = || haven_core::api::usage::no_bundled(id, &Bundled::policies());
        found.map(|(_, name, text)| (*name, *text)).ok_or_else(ids)
    }

    /// The text of a bundled module or policy.
    pub fn text(module: &str) -> Option<&'static str> {
        BUNDLED
            .iter()
            .find(|(m, _, _)| *m == module)
            .map(|(_, _, t)| *t)
    }
}

/// Tries the caller's loader first, then the bundled copies (e.g. modules a binding's caller
/// passes in memory, with `std/vocabulary` and `baseline` still available).
#[derive(Clone, Debug, Default)]
pub struct WithBundled<L>(pub L);

impl<L: Loader> Loader for WithBundled<L> {
    fn load(&self, module: &str) -> Result<Option<(String, String)>, LoadError> {
        match self.0.load(module)? {
            Some(found) => Ok(Some(found)),
            None => Bundled.load(module),
        }
    }

    fn calendar(&self) -> Result<Option<(String, String)>, LoadError> {
        self.0.calendar()
    }

    fn cache(&self) -> Option<&ModuleCache> {
        Some(self.0.cache().unwrap_or(&CACHE))
    }
}

/// Loads modules from a policies directory on disk, then from the bundled copies; and the
/// school calendar (`calendar.toml`) beside the policy, when it knows the policy's file.
#[derive(Clone, Debug)]
pub struct FsLoader {
    root: Option<PathBuf>,
    calendar: Option<PathBuf>,
    /// A calendar given as text, read before any file.
    calendar_text: Option<String>,
}

impl FsLoader {
    /// A loader rooted at `root` (a directory holding `std/`, `baseline/`, ...), with no
    /// calendar.
    pub fn new(root: Option<PathBuf>) -> Self {
        FsLoader {
            root,
            calendar: None,
            calendar_text: None,
        }
    }

    /// A loader for the policy file at `path`: the root is the nearest ancestor directory
    /// holding `std/vocabulary.haven`; the calendar is `calendar.toml` beside the policy.
    pub fn for_policy(path: &Path) -> Self {
        FsLoader::new(find_root(path)).with_calendar_beside(path)
    }

    /// The same loader, reading the school calendar from `calendar.toml` beside the policy
    /// file (or in the policy directory) at `path`, when there is one.
    pub fn with_calendar_beside(mut self, path: &Path) -> Self {
        let file = policy_file(path);
        self.calendar = Some(file.with_file_name("calendar.toml"));
        self
    }

    /// The same loader, with the school calendar given as the text of a `calendar.toml`
    /// (named `calendar.toml` in diagnostics), when `text` is some.
    pub fn with_calendar_text(mut self, text: Option<String>) -> Self {
        self.calendar_text = text;
        self
    }

    /// The policies root in use, if any.
    pub fn root(&self) -> Option<&Path> {
        self.root.as_deref()
    }
}

impl Loader for FsLoader {
    /// The first of `<root>/<module>.haven` and `<root>/<module>/policy.haven` that exists,
    /// else the bundled copy. A file that exists but cannot be read or is not UTF-8 is an
    /// error, never a reason to use the bundled copy instead.
    fn load(&self, module: &str) -> Result<Option<(String, String)>, LoadError> {
        if module
            .split('/')
            .any(|seg| seg.is_empty() || seg == ".." || seg == ".")
        {
            return Ok(None);
        }
        if let Some(root) = &self.root {
            for candidate in [
                root.join(format!("{module}.haven")),
                root.join(module).join("policy.haven"),
            ] {
                // Name it from the policies root (`policies/baseline/policy.haven`), not by
                // absolute path, so messages and snapshots read the same everywhere.
                let base = root.file_name().map(Path::new).unwrap_or(Path::new(""));
                let name = candidate
                    .strip_prefix(root)
                    .map(|rel| base.join(rel))
                    .unwrap_or_else(|_| candidate.clone())
                    .display()
                    .to_string()
                    .replace('\\', "/");
                let bytes = match std::fs::read(&candidate) {
                    Ok(bytes) => bytes,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => {
                        return Err(LoadError::Io {
                            name,
                            message: e.to_string(),
                        })
                    }
                };
                return match String::from_utf8(bytes) {
                    Ok(text) => Ok(Some((name, text))),
                    Err(e) => Err(LoadError::NotUtf8 {
                        name,
                        bytes: e.into_bytes(),
                    }),
                };
            }
        }
        Bundled.load(module)
    }

    /// The calendar given as text, else `calendar.toml` beside the policy: absent is `None`; present but unreadable or not
    /// UTF-8 is an error (never silently no calendar).
    fn calendar(&self) -> Result<Option<(String, String)>, LoadError> {
        if let Some(text) = &self.calendar_text {
            return Ok(Some(("calendar.toml".to_owned(), text.clone())));
        }
        let Some(path) = &self.calendar else {
            return Ok(None);
        };
        let name = path.display().to_string();
        match std::fs::read(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => Ok(Some((name, text))),
                Err(e) => Err(LoadError::NotUtf8 {
                    name,
                    bytes: e.into_bytes(),
                }),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(LoadError::Io {
                name,
                message: e.to_string(),
            }),
        }
    }

    fn cache(&self) -> Option<&ModuleCache> {
        Some(&CACHE)
    }
}

/// The nearest ancestor of `path` that holds `std/vocabulary.haven`.
pub fn find_root(path: &Path) -> Option<PathBuf> {
    let start = if path.is_dir() { path } else { path.parent()? };
    let start = std::fs::canonicalize(start).ok()?;
    start
        .ancestors()
        .find(|dir| dir.join("std").join("vocabulary.haven").is_file())
        .map(Path::to_path_buf)
}

/// `dir` → `dir/policy.haven`; a file stays as it is.
pub fn policy_file(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join("policy.haven")
    } else {
        path.to_path_buf()
    }
}

/// `policy.haven` → the `scenarios.toml` beside it.
pub fn scenarios_file(policy: &Path) -> PathBuf {
    policy.with_file_name("scenarios.toml")
}

#[cfg(test)]
mod tests {
    use super::{Bundled, FsLoader};
    use haven_core::Loader;
    use std::path::Path;

    #[test]
    fn bundled_policies_are_sorted_and_found_by_id() {
        let ids = Bundled::policies();
        assert!(ids.is_sorted() && ids.contains(&"baseline") && ids.contains(&"kenilworth_2022"));
        assert!(!ids.contains(&"std/vocabulary"));
        let found = Bundled::policy("kenilworth_2022").map(|(name, text)| (name, text.len()));
        let text = Bundled::text("kenilworth_2022").map(str::len);
        assert_eq!(
            found,
            Ok(("policies/kenilworth_2022/policy.haven", text.unwrap_or(0)))
        );
        let module = Bundled::policy("std/vocabulary").err().unwrap_or_default();
        assert!(module.starts_with("no bundled policy `std/vocabulary`: the bundled policies are "));
        assert!(module.contains(&ids.join(", ")), "{module}");
    }

    #[test]
    fn a_calendar_given_as_text_comes_before_the_file_beside_the_policy() {
        let file =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/example/policy.haven");
        let text = "[term]\n".to_owned();
        let loader = FsLoader::for_policy(&file).with_calendar_text(Some(text.clone()));
        assert_eq!(
            loader.calendar(),
            Ok(Some(("calendar.toml".to_owned(), text)))
        );
        let none = FsLoader::new(None).with_calendar_text(None);
        assert_eq!(none.calendar(), Ok(None));
    }
}
