//! The load pass: parse the root, follow `extends` (layers) and `use` (modules within a
//! layer) through a [`Loader`], and hand the checker the files in dependency order. Parsed
//! modules can be kept in a [`ModuleCache`] and reused by later compiles.

use super::CheckOptions;
use crate::diagnostic::Diagnostic;
use crate::limits::Limits;
use crate::source::{SourceId, Sources};
use crate::syntax::ast::{self, HeaderKind, Meta as AstMeta};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

/// Finds the text of modules named by `use` and `extends`.
pub trait Loader {
    /// The module at a path such as `baseline` or `std/vocabulary`: `Ok(Some((display name,
    /// text)))`, `Ok(None)` if there is no such module, or `Err` if there is one but it
    /// cannot be used. A loader must never fall back to another copy of a module it found
    /// but could not read: a school's own baseline silently replaced by the bundled one is
    /// a wrong answer, not an error.
    fn load(&self, module: &str) -> Result<Option<(String, String)>, LoadError>;

    /// Where parsed modules are kept between compiles, if this loader keeps them (see
    /// [`ModuleCache`]). `None`, the default, parses every module on every compile.
    fn cache(&self) -> Option<&ModuleCache> {
        None
    }

    /// The school calendar that goes with the policy being compiled (`calendar.toml` beside
    /// it): `Ok(Some((display name, text)))`, `Ok(None)` when there is none (the default).
    fn calendar(&self) -> Result<Option<(String, String)>, LoadError> {
        Ok(None)
    }
}

impl<L: Loader + ?Sized> Loader for &L {
    fn load(&self, module: &str) -> Result<Option<(String, String)>, LoadError> {
        (**self).load(module)
    }

    fn cache(&self) -> Option<&ModuleCache> {
        (**self).cache()
    }

    fn calendar(&self) -> Result<Option<(String, String)>, LoadError> {
        (**self).calendar()
    }
}

/// A module that exists but cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// The file is not UTF-8 text. `bytes` is what was read, so the error can show where.
    NotUtf8 {
        /// Display name of the file.
        name: String,
        /// The file's content.
        bytes: Vec<u8>,
    },
    /// The file exists but could not be read (permissions, a directory, ...).
    Io {
        /// Display name of the file.
        name: String,
        /// What the operating system said.
        message: String,
    },
}

/// A loader that finds nothing: for self-contained policies.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoModules;

impl Loader for NoModules {
    fn load(&self, _module: &str) -> Result<Option<(String, String)>, LoadError> {
        Ok(None)
    }
}

/// A loader over an in-memory map of module path to text.
#[derive(Clone, Debug, Default)]
pub struct MapLoader {
    modules: HashMap<String, (String, String)>,
}

impl MapLoader {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a module.
    pub fn insert(
        &mut self,
        module: impl Into<String>,
        name: impl Into<String>,
        text: impl Into<String>,
    ) {
        self.modules
            .insert(module.into(), (name.into(), text.into()));
    }
}

impl Loader for MapLoader {
    fn load(&self, module: &str) -> Result<Option<(String, String)>, LoadError> {
        Ok(self.modules.get(module).cloned())
    }
}

/// One parsed file and where it sits.
pub(super) struct Loaded {
    pub(super) source: SourceId,
    pub(super) file: ast::File,
    pub(super) layer: usize,
}

/// Whether a file is the shared vocabulary (`module vocabulary`, `policies/std`): its tokens
/// and facts are the contract's.
pub(super) fn is_shared_vocabulary(file: &ast::File) -> bool {
    file.header.kind == HeaderKind::Module && file.header.id.node == "vocabulary"
}

/// The id of each layer's policy, root first.
pub(super) fn layer_ids(files: &[Loaded]) -> Vec<String> {
    let mut ids: Vec<(usize, String)> = files
        .iter()
        .filter(|f| f.file.header.kind == HeaderKind::Policy)
        .map(|f| (f.layer, f.file.header.id.node.clone()))
        .collect();
    ids.sort();
    ids.dedup_by_key(|(layer, _)| *layer);
    ids.into_iter().map(|(_, id)| id).collect()
}

/// Parse the root, follow `extends` (layers) and `use` (modules within a layer).
/// Returns files deepest layer first, modules before the files that use them.
pub(super) fn load_tree(
    sources: &mut Sources,
    root: SourceId,
    loader: &dyn Loader,
    opts: &CheckOptions,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<Loaded>> {
    let text = sources.get(root)?.text.clone();
    let (file, mut parse_diags) = crate::syntax::parse(root, &text, &opts.limits);
    diags.append(&mut parse_diags);
    let file = file?;
    // The chain of policies: root, what it extends, what that extends...
    let mut chain: Vec<(SourceId, ast::File)> = vec![(root, file)];
    let mut seen_policies: HashSet<String> = HashSet::new();
    while let Some((_, last)) = chain.last() {
        let extends: Vec<&ast::Name> = last
            .header
            .meta
            .iter()
            .filter_map(|m| match m {
                AstMeta::Extends(name) => Some(name),
                _ => None,
            })
            .collect();
        if let [first, second, ..] = extends.as_slice() {
            diags.push(
                Diagnostic::error(
                    "haven::check::multiple_extends",
                    "a policy extends at most one other policy",
                    second.span,
                )
                .with_secondary(first.span, "first `extends` here"),
            );
        }
        let Some(base) = extends.first().map(|n| (*n).clone()) else {
            break;
        };
        if !seen_policies.insert(base.node.clone()) || chain.len() > opts.limits.max_modules {
            diags.push(Diagnostic::error(
                "haven::check::extends_cycle",
                format!("`extends {}` forms a cycle", base.node),
                base.span,
            ));
            break;
        }
        let Some(loaded) = load_module(sources, &base, loader, opts, diags) else {
            break;
        };
        if loaded.1.header.kind == HeaderKind::Module {
            diags.push(
                Diagnostic::error(
                    "haven::check::extends_module",
                    format!("`{}` is a module, not a policy", base.node),
                    base.span,
                )
                .with_help("use `use` to import a module; `extends` layers a whole policy"),
            );
            break;
        }
        chain.push(loaded);
    }
    // Deepest layer first.
    let n_layers = chain.len();
    let mut out = Vec::new();
    let mut included: HashSet<String> = HashSet::new();
    for (depth, (source, file)) in chain.into_iter().enumerate().rev() {
        let layer = depth;
        let mut stack: Vec<String> = Vec::new();
        collect_uses(
            sources,
            &file,
            layer,
            loader,
            opts,
            diags,
            &mut included,
            &mut stack,
            &mut out,
        );
        out.push(Loaded {
            source,
            file,
            layer,
        });
    }
    debug_assert!(n_layers >= 1);
    Some(out)
}

#[allow(
    clippy::too_many_arguments,
    reason = "a recursive walk threading its state"
)]
fn collect_uses(
    sources: &mut Sources,
    file: &ast::File,
    layer: usize,
    loader: &dyn Loader,
    opts: &CheckOptions,
    diags: &mut Vec<Diagnostic>,
    included: &mut HashSet<String>,
    stack: &mut Vec<String>,
    out: &mut Vec<Loaded>,
) {
    for meta in &file.header.meta {
        let AstMeta::Use(name) = meta else { continue };
        if stack.contains(&name.node) {
            diags.push(Diagnostic::error(
                "haven::check::use_cycle",
                format!("`use {}` forms a cycle", name.node),
                name.span,
            ));
            continue;
        }
        if included.contains(&name.node) {
            continue;
        }
        if included.len() >= opts.limits.max_modules {
            diags.push(Diagnostic::error(
                "haven::check::too_many_modules",
                format!("too many modules (limit {})", opts.limits.max_modules),
                name.span,
            ));
            return;
        }
        included.insert(name.node.clone());
        let Some((source, module)) = load_module(sources, name, loader, opts, diags) else {
            continue;
        };
        if module.header.kind == HeaderKind::Policy {
            diags.push(
                Diagnostic::error(
                    "haven::check::use_policy",
                    format!("`{}` is a policy, not a module", name.node),
                    name.span,
                )
                .with_help("a policy is layered with `extends`; `use` imports modules"),
            );
            continue;
        }
        stack.push(name.node.clone());
        collect_uses(
            sources, &module, layer, loader, opts, diags, included, stack, out,
        );
        stack.pop();
        out.push(Loaded {
            source,
            file: module,
            layer,
        });
    }
}

fn load_module(
    sources: &mut Sources,
    name: &ast::Name,
    loader: &dyn Loader,
    opts: &CheckOptions,
    diags: &mut Vec<Diagnostic>,
) -> Option<(SourceId, ast::File)> {
    let (display, text) = match loader.load(&name.node) {
        Ok(Some(found)) => found,
        Ok(None) => {
            diags.push(
                Diagnostic::error(
                    "haven::check::unknown_module",
                    format!("cannot find module `{}`", name.node),
                    name.span,
                )
                .with_help("modules live beside the policy directories, e.g. `policies/baseline/policy.haven` or `policies/std/vocabulary.haven`"),
            );
            return None;
        }
        Err(LoadError::NotUtf8 { name: file, bytes }) => {
            let (_, diag) = crate::diagnostic::not_utf8(sources, &file, &name.node, &bytes);
            diags.push(diag.with_secondary(name.span, "named here"));
            return None;
        }
        Err(LoadError::Io {
            name: file,
            message,
        }) => {
            diags.push(
                Diagnostic::error(
                    "haven::check::unreadable_module",
                    format!("cannot read module `{}` from `{file}`: {message}", name.node),
                    name.span,
                )
                .with_label("named here")
                .with_help("haven never falls back to another copy of a module it found; fix the file's permissions or remove it"),
            );
            return None;
        }
    };
    let source = sources.add(display, name.node.clone(), text);
    let text = sources
        .get(source)
        .map(|f| f.text.as_str())
        .unwrap_or_default();
    let (file, mut parse_diags) = match loader.cache() {
        Some(cache) => cache.parse(&name.node, source, text, &opts.limits),
        None => crate::syntax::parse(source, text, &opts.limits),
    };
    diags.append(&mut parse_diags);
    file.map(|f| (source, f))
}

/// Parsed modules kept for reuse: compiling a school policy re-reads the same vocabulary,
/// baseline and shared modules every time, and parsing is most of the cost of a compile.
/// A [`Loader`] offers one through [`Loader::cache`]; `haven_modules` gives its loaders one
/// process-wide cache, so the CLI, the bindings, the playground and the service share it.
///
/// An entry is a module's path, its exact text, the limits it was parsed under and the
/// [`SourceId`] it had (spans name their file, and a module's id is its place in the load
/// order, the same for every policy that loads its modules the same way): a changed file, or
/// the same file loaded at another place, is parsed afresh, never served stale. `Sync`: one
/// cache can serve every thread. Holds at most [`ModuleCache::CAPACITY`] entries, and forgets
/// them all when full (modules are few; a policy being edited is never cached).
#[derive(Debug, Default)]
pub struct ModuleCache {
    entries: Mutex<HashMap<CacheKey, Arc<Parsed>>>,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct CacheKey {
    module: String,
    source: SourceId,
}

#[derive(Debug)]
struct Parsed {
    text: String,
    limits: Limits,
    file: Option<ast::File>,
    diags: Vec<Diagnostic>,
}

impl ModuleCache {
    /// Most entries kept.
    pub const CAPACITY: usize = 256;

    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many parsed modules the cache holds.
    pub fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether the cache holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forget every entry.
    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// `syntax::parse(source, text, limits)`, from the cache when this module was parsed
    /// from the same text, under the same limits, at the same source id before.
    fn parse(
        &self,
        module: &str,
        source: SourceId,
        text: &str,
        limits: &Limits,
    ) -> (Option<ast::File>, Vec<Diagnostic>) {
        let key = CacheKey {
            module: module.to_owned(),
            source,
        };
        let hit = self
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
            .filter(|p| p.text == text && p.limits == *limits)
            .cloned();
        if let Some(p) = hit {
            return (p.file.clone(), p.diags.clone());
        }
        // Parse outside the lock: other threads keep compiling meanwhile.
        let (file, diags) = crate::syntax::parse(source, text, limits);
        let parsed = Arc::new(Parsed {
            text: text.to_owned(),
            limits: limits.clone(),
            file: file.clone(),
            diags: diags.clone(),
        });
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= Self::CAPACITY {
            entries.clear();
        }
        entries.insert(key, parsed);
        (file, diags)
    }
}

/// A loader with a [`ModuleCache`] of its own: `Cached::new(MapLoader…)` compiles many
/// policies over the same modules and parses each module once.
#[derive(Debug, Default)]
pub struct Cached<L> {
    /// The loader that finds the text.
    pub loader: L,
    cache: ModuleCache,
}

impl<L> Cached<L> {
    /// `loader` with an empty cache.
    pub fn new(loader: L) -> Self {
        Cached {
            loader,
            cache: ModuleCache::new(),
        }
    }
}

impl<L: Loader> Loader for Cached<L> {
    fn load(&self, module: &str) -> Result<Option<(String, String)>, LoadError> {
        self.loader.load(module)
    }

    fn cache(&self) -> Option<&ModuleCache> {
        Some(&self.cache)
    }

    fn calendar(&self) -> Result<Option<(String, String)>, LoadError> {
        self.loader.calendar()
    }
}
