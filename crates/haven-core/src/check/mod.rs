//! Checking: the load, resolve, lower, relations and lints passes, run in that order by
//! [`compile`]. Each pass takes what the earlier ones produced and hands on its own output;
//! all of them push to one list of diagnostics, and none stops at the first.
//!
//! ```text
//! load       root + `extends`/`use` ─▶ [Loaded] files, dependency order   (load.rs)
//! resolve    files ─▶ Resolved { meta, layers, vocab, people }           (resolve/)
//! lower      files + Resolved ─▶ Lowered { rules, tables, criteria, … }  (lower/)
//! relations  `overrides` linked, `replaces` marked                        (relations.rs)
//! lints      exception cycles, statutory contradictions, … on the IR      (lints.rs)
//! ```

mod lints;
mod load;
mod lower;
mod relations;
mod resolve;

use load::load_tree;
pub use load::{Cached, LoadError, Loader, MapLoader, ModuleCache, NoModules};

use crate::diagnostic::Diagnostic;
use crate::ir::{PolicyIr, RuleIndex};
use crate::limits::Limits;
use crate::source::{SourceId, Sources};
use crate::syntax::ast::{self, Date};

/// Options for checking.
#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    /// Today's date, for the overdue-review warning. `None` skips that check.
    pub today: Option<Date>,
    /// Input limits.
    pub limits: Limits,
    /// Also report the rules no record of contract fields alone can trigger
    /// (`haven::check::needs_school_fact`), so integrators know what they must send.
    pub contract_reach: bool,
}

impl CheckOptions {
    /// The default options, with `today` for the date-dependent warnings.
    pub fn with_today(today: Option<Date>) -> CheckOptions {
        CheckOptions {
            today,
            ..CheckOptions::default()
        }
    }
}

/// Compile the file `root` (already in `sources`) and everything it loads: the IR and the
/// root file's syntax tree (kept for rendering, so nothing parses the text twice).
pub(crate) fn compile(
    sources: &mut Sources,
    root: SourceId,
    loader: &dyn Loader,
    opts: &CheckOptions,
) -> (Option<(PolicyIr, ast::File)>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let files = load_tree(sources, root, loader, opts, &mut diags);
    let Some(files) = files else {
        return (None, diags);
    };
    if diags.iter().any(Diagnostic::is_error) {
        return (None, diags);
    }
    let names = resolve::resolve(&files, opts.today, &mut diags);
    let lowered = lower::lower(&files, &names, &opts.limits, &mut diags);
    let mut rules = lowered.rules;
    let removed = relations::link(
        &mut rules,
        &lowered.statutory,
        &lowered.refs,
        &lowered.relations,
        &mut diags,
    );
    lints::exception_cycles(&mut rules, &mut diags);
    let mut ir = PolicyIr {
        meta: names.meta,
        vocab: names.vocab,
        people: names.people,
        rules,
        tables: lowered.tables,
        layers: names.layers,
        index: RuleIndex::default(),
        criteria: lowered.criteria,
    };
    let mut statutory = lowered.statutory;
    lints::statutory_contradictions(&ir, &statutory, &mut diags);
    relations::remove_rules(&mut ir, &mut statutory, &removed);
    lints::run(&ir, &statutory, opts.contract_reach, &mut diags);
    let failed = diags.iter().any(Diagnostic::is_error);
    sort_diagnostics(&mut diags);
    let root_file = files.into_iter().find(|l| l.source == root).map(|l| l.file);
    match root_file {
        Some(file) if !failed => {
            ir.build_index();
            (Some((ir, file)), diags)
        }
        _ => (None, diags),
    }
}

/// Diagnostics in file order (stable: those at one place keep the order the passes found
/// them in).
fn sort_diagnostics(diags: &mut [Diagnostic]) {
    diags.sort_by_key(|d| {
        d.span()
            .map(|s| (s.source, s.start, s.end))
            .unwrap_or_default()
    });
}
