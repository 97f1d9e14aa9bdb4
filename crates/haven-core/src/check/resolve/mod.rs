//! The resolve pass: the policy's names become declarations. Reads the loaded files (in
//! load order) and returns [`Resolved`]: the root's header, the layers, the vocabulary
//! (tokens, facts, role and category hierarchies, fact relations) and the named people.
//! Nothing here reads a rule, a table or a criteria list: that is the lower pass's.

mod decls;
mod names;

pub(super) use names::{synonym, unknown_name};

use super::load::{layer_ids, Loaded};
use crate::diagnostic::Diagnostic;
use crate::ir::{Meta, PersonIr, Vocab};
use crate::model::Date;
use crate::syntax::ast::{self, HeaderKind, Meta as AstMeta};

/// What the resolve pass hands the lower pass: every name a rule may use, resolved.
pub(super) struct Resolved {
    /// The root policy's header.
    pub(super) meta: Meta,
    /// Layer ids, root first.
    pub(super) layers: Vec<String>,
    /// Tokens, facts, hierarchies and fact relations of every file.
    pub(super) vocab: Vocab,
    /// Named people with their roles (a person named in two files has both files' roles).
    pub(super) people: Vec<PersonIr>,
    /// The root declares itself national guidance (`layer "national"`): its rules are
    /// `baseline`, like those of every layer it extends, not the school's own.
    pub(super) root_is_baseline: bool,
}

/// Resolve the names of `files` (in load order). Diagnostics go to `diags`.
pub(super) fn resolve(
    files: &[Loaded],
    today: Option<Date>,
    diags: &mut Vec<Diagnostic>,
) -> Resolved {
    let mut cx = Resolver {
        meta: Meta::default(),
        vocab: Vocab::default(),
        people: Vec::new(),
        diags,
    };
    if let Some(root) = files
        .iter()
        .find(|f| f.layer == 0 && f.file.header.kind == HeaderKind::Policy)
    {
        cx.meta(root, today);
    } else if let Some(root) = files.last() {
        cx.meta(root, today);
    }
    let root_is_baseline = cx.meta.layer_kind.as_deref() == Some("national");
    for f in files {
        cx.declarations(f);
    }
    for f in files {
        cx.resolve_role_parents(f);
    }
    cx.role_hierarchy();
    cx.category_hierarchy();
    for f in files {
        cx.fact_relations(f);
    }
    for f in files {
        cx.people(f);
    }
    let Resolver {
        meta,
        vocab,
        people,
        ..
    } = cx;
    Resolved {
        meta,
        layers: layer_ids(files),
        vocab,
        people,
        root_is_baseline,
    }
}

/// The resolve pass's state: what it has resolved so far, and where its diagnostics go.
struct Resolver<'d> {
    meta: Meta,
    vocab: Vocab,
    people: Vec<PersonIr>,
    diags: &'d mut Vec<Diagnostic>,
}

impl Resolver<'_> {
    /// The root's header: id, title, version, dates, layer kind; the overdue-review warning
    /// when `today` is given.
    fn meta(&mut self, root: &Loaded, today: Option<Date>) {
        let header = &root.file.header;
        let meta = &mut self.meta;
        meta.id = header.id.node.clone();
        meta.title = header.title.as_ref().map(|t| t.node.clone());
        let mut adopted_span = None;
        let mut review_span = None;
        for m in &header.meta {
            match m {
                AstMeta::Extends(n) => meta.extends.push(n.node.clone()),
                AstMeta::Use(_) => {}
                AstMeta::Date(ast::DateKey::Adopted, d) => {
                    meta.adopted = Some(d.node);
                    adopted_span = Some(d.span);
                }
                AstMeta::Date(ast::DateKey::ReviewBy, d) => {
                    meta.review_by = Some(d.node);
                    review_span = Some(d.span);
                }
                AstMeta::Text(ast::TextKey::Version, t) => meta.version = Some(t.node.clone()),
                AstMeta::Text(ast::TextKey::ApprovedBy, t) => {
                    meta.approved_by = Some(t.node.clone());
                }
                AstMeta::Text(ast::TextKey::Source, t) => meta.source = Some(t.node.clone()),
                AstMeta::Text(ast::TextKey::CiteAs, _) => {}
                AstMeta::Text(ast::TextKey::Layer, t) => {
                    if !matches!(t.node.as_str(), "national" | "local" | "trust" | "school") {
                        self.diags.push(
                            Diagnostic::error(
                                "haven::check::unknown_layer",
                                format!("`{}` is not a kind of layer", t.node),
                                t.span,
                            )
                            .with_help("a layer is `national`, `local`, `trust` or `school`"),
                        );
                    }
                    meta.layer_kind = Some(t.node.clone());
                }
            }
        }
        if header.kind == HeaderKind::Policy && meta.version.is_none() {
            self.diags.push(
                Diagnostic::error(
                    "haven::check::missing_version",
                    format!("policy `{}` has no version", header.id.node),
                    header.id.span,
                )
                .with_help("add `version \"1\"` to the header, as the document numbers it"),
            );
        }
        let (adopted, review_by) = (self.meta.adopted, self.meta.review_by);
        if let (Some(a), Some(r), Some(rs)) = (adopted, review_by, review_span) {
            if r < a {
                let mut d = Diagnostic::error(
                    "haven::check::review_before_adoption",
                    format!("review date {r} is before the adoption date {a}"),
                    rs,
                );
                if let Some(s) = adopted_span {
                    d = d.with_secondary(s, "adopted here");
                }
                self.diags.push(d);
            }
        }
        if let (Some(today), Some(r), Some(rs)) = (today, review_by, review_span) {
            let due = Date {
                day: Some(r.day.unwrap_or(31)),
                ..r
            };
            let now = Date {
                day: Some(today.day.unwrap_or(1)),
                ..today
            };
            if due < now {
                self.diags.push(
                    Diagnostic::warning(
                        "haven::check::review_overdue",
                        format!("policy review was due by {r} (today is {today})"),
                        rs,
                    )
                    .with_label("review date has passed")
                    .with_help("review the policy with the governors and update `review_by`"),
                );
            }
        }
    }
}
