//! The lower pass: criteria lists, rules and tables become IR. Reads the loaded files and
//! the [`Resolved`] names, and returns [`Lowered`]: the rules (every table row one rule, its
//! first/priority precedence explicit), the tables, the criteria lists, and what the
//! relations pass and the lints need beyond the IR (each rule's layer and statutory flag,
//! the rule ids, the `overrides`/`replaces` still to link). The checks that see one rule or
//! table alone run here, as it is lowered (`checks.rs`).

mod checks;
mod effects;
mod expr;

use super::load::Loaded;
use super::resolve::Resolved;
use crate::diagnostic::Diagnostic;
use crate::ir::{Cond, CriterionIr, Effects, Layer, RuleIr, TableIr};
use crate::limits::Limits;
use crate::source::Span;
use crate::syntax::ast::{self, Item, Meta as AstMeta};
use std::collections::HashMap;

/// What the lower pass hands the relations pass and the lints.
pub(super) struct Lowered {
    /// Every rule and table row, in document order (a table's rows in evaluation order).
    pub(super) rules: Vec<RuleIr>,
    /// Each table with the range of its rows in `rules`.
    pub(super) tables: Vec<TableIr>,
    /// Each criteria list and each of its items, lowered (for coverage).
    pub(super) criteria: Vec<CriterionIr>,
    /// Statutory flag and layer of each rule in `rules`.
    pub(super) statutory: Vec<StatutoryInfo>,
    /// What each rule or table id names (the last definition wins).
    pub(super) refs: HashMap<String, RuleRef>,
    /// Every `overrides` / `replaces`: (index of the rule that says it, its layer, the
    /// relation).
    pub(super) relations: Vec<(usize, usize, ast::Relation)>,
}

/// What a rule id refers to while checking relations.
#[derive(Clone)]
pub(super) struct RuleRef {
    pub(super) idx: usize,
    pub(super) layer: usize,
    pub(super) span: Span,
}

/// Per-rule facts the checker needs beyond the IR.
#[derive(Clone, Copy, Debug)]
pub(super) struct StatutoryInfo {
    pub(super) statutory: bool,
    pub(super) layer: usize,
    #[allow(dead_code, reason = "kept for diagnostics on removed rules")]
    pub(super) removed: bool,
}

/// Lower the criteria lists, rules, tables, caveats and declined sentences of `files` (in
/// load order) over the `names` the resolve pass found. Diagnostics go to `diags`.
pub(super) fn lower(
    files: &[Loaded],
    names: &Resolved,
    limits: &Limits,
    diags: &mut Vec<Diagnostic>,
) -> Lowered {
    let mut cx = Lowerer {
        names,
        limits,
        diags,
        rules: Vec::new(),
        tables: Vec::new(),
        criteria_ir: Vec::new(),
        statutory: Vec::new(),
        refs: HashMap::new(),
        relations: Vec::new(),
        criteria: HashMap::new(),
        person_keys: HashMap::new(),
        cite_prefix: String::new(),
    };
    for f in files {
        cx.set_prefix(f);
        for item in &f.file.items {
            match item {
                Item::Criteria(c) => cx.criteria(c),
                Item::Rule(r) => cx.rule(r, f.layer),
                Item::Table(t) => cx.table(t, f.layer),
                Item::Caveat(c) if f.layer == 0 => cx.caveat(c),
                Item::Caveat(_) => {}
                Item::Declines(d) => cx.declines(d),
                Item::Decl(_) | Item::Person(_) | Item::Relation(_) => {}
            }
        }
    }
    Lowered {
        rules: cx.rules,
        tables: cx.tables,
        criteria: cx.criteria_ir,
        statutory: cx.statutory,
        refs: cx.refs,
        relations: cx.relations,
    }
}

/// A criteria list after lowering.
struct CriteriaIr {
    cond: Cond,
    items: HashMap<String, Cond>,
    /// 1 + the depth of the deepest criteria list it refers to.
    depth: usize,
    /// Condition nodes it expands to.
    size: usize,
}

/// The lower pass's state: the names it reads, what it has lowered so far.
struct Lowerer<'a> {
    names: &'a Resolved,
    limits: &'a Limits,
    diags: &'a mut Vec<Diagnostic>,
    rules: Vec<RuleIr>,
    tables: Vec<TableIr>,
    criteria_ir: Vec<CriterionIr>,
    statutory: Vec<StatutoryInfo>,
    refs: HashMap<String, RuleRef>,
    relations: Vec<(usize, usize, ast::Relation)>,
    /// The criteria lists lowered so far, by name.
    criteria: HashMap<String, CriteriaIr>,
    /// A number for each set of named people an action's targets name.
    person_keys: HashMap<Vec<usize>, u32>,
    /// Citation prefix of the file being lowered.
    cite_prefix: String,
}

impl Lowerer<'_> {
    /// Lower a condition; also returns the depth of the deepest criteria list it refers to.
    fn cond(&mut self, e: &ast::Expr) -> (Cond, usize) {
        let scope = expr::Scope {
            vocab: &self.names.vocab,
            criteria: &self.criteria,
            limits: self.limits,
        };
        expr::lower(&scope, e, self.diags)
    }

    /// The citation prefix of `f`'s rules: its `cite_as`, else its source file's name, else its id.
    fn set_prefix(&mut self, f: &Loaded) {
        let header = &f.file.header;
        let mut cite_as = None;
        let mut source = None;
        for m in &header.meta {
            if let AstMeta::Text(key, text) = m {
                match key {
                    ast::TextKey::CiteAs => cite_as = Some(text.node.clone()),
                    ast::TextKey::Source => source = Some(text.node.clone()),
                    _ => {}
                }
            }
        }
        self.cite_prefix = cite_as
            .or_else(|| {
                source.map(|s| {
                    let base = s.rsplit('/').next().unwrap_or(&s).to_owned();
                    base.strip_suffix(".txt").map(str::to_owned).unwrap_or(base)
                })
            })
            .unwrap_or_else(|| header.id.node.clone());
    }

    /// A citation as the decision shows it.
    fn render_cite(&self, cite: &ast::Cite) -> String {
        match &cite.quote {
            Some(q) => format!("{} {}: \"{}\"", self.cite_prefix, cite.section.node, q.node),
            None => format!("{} {}", self.cite_prefix, cite.section.node),
        }
    }

    /// Lower a criteria list and each of its items, and keep it for the conditions after it.
    fn criteria(&mut self, c: &ast::Criteria) {
        if self.criteria.contains_key(&c.name.node) {
            self.diags.push(Diagnostic::error(
                "haven::check::duplicate_criteria",
                format!("criteria list `{}` is declared twice", c.name.node),
                c.name.span,
            ));
            return;
        }
        let mut items = HashMap::new();
        let mut conds = Vec::new();
        let mut ref_depth = 0;
        for item in &c.items {
            let (cond, depth) = self.cond(&item.expr);
            ref_depth = ref_depth.max(depth);
            self.criteria_ir.push(CriterionIr {
                list: c.name.node.clone(),
                item: Some(item.name.node.clone()),
                cond: cond.clone(),
            });
            if items.insert(item.name.node.clone(), cond.clone()).is_some() {
                self.diags.push(Diagnostic::error(
                    "haven::check::duplicate_criterion",
                    format!(
                        "criterion `{}` appears twice in `{}`",
                        item.name.node, c.name.node
                    ),
                    item.name.span,
                ));
            }
            conds.push(cond);
        }
        let cond = match c.quantifier.node {
            ast::Quantifier::Any => Cond::Or(conds.into_boxed_slice()),
            ast::Quantifier::All => Cond::And(conds.into_boxed_slice()),
        };
        self.criteria_ir.push(CriterionIr {
            list: c.name.node.clone(),
            item: None,
            cond: cond.clone(),
        });
        let depth = ref_depth + 1;
        let size = cond_size(&cond);
        self.criteria.insert(
            c.name.node.clone(),
            CriteriaIr {
                cond,
                items,
                depth,
                size,
            },
        );
    }

    /// Whether rules of this layer are the school's own or baseline.
    fn layer_of(&self, layer: usize) -> Layer {
        if layer == 0 && !self.names.root_is_baseline {
            Layer::School
        } else {
            Layer::Baseline
        }
    }

    /// Lower a rule; record its id and its `overrides` / `replaces` for the relations pass.
    fn rule(&mut self, r: &ast::Rule, layer: usize) {
        if r.cites.is_empty() {
            self.diags.push(
                Diagnostic::error(
                    "haven::check::missing_citation",
                    format!("rule `{}` cites nothing", r.name.node),
                    r.name.span,
                )
                .with_help("add `cites \"§section\": \"the sentence it encodes\"`"),
            );
        }
        let (cond, _) = self.cond(&r.when);
        let effects = self.effects(&r.outcomes, &r.name.node);
        checks::rule_kind(r, &effects, self.diags);
        if layer == 0 {
            // Deeper layers are linted when they are checked themselves.
            checks::modality(r, self.diags);
        }
        let idx = self.rules.len();
        if let Some(prev) = self.refs.get(&r.name.node) {
            let replaces = r.relations.iter().any(|rel| {
                rel.kind == ast::RelationKind::Replaces && rel.target.node == r.name.node
            });
            if !replaces || prev.layer <= layer {
                self.diags.push(
                    Diagnostic::error(
                        "haven::check::duplicate_rule",
                        format!("rule `{}` is defined twice", r.name.node),
                        r.name.span,
                    )
                    .with_secondary(prev.span, "first defined here")
                    .with_help("rename one, or write `replaces` to stand in for a baseline rule"),
                );
            }
        }
        self.refs.insert(
            r.name.node.clone(),
            RuleRef {
                idx,
                layer,
                span: r.name.span,
            },
        );
        for rel in &r.relations {
            self.relations.push((idx, layer, rel.clone()));
        }
        let cites = r.cites.iter().map(|c| self.render_cite(c)).collect();
        self.rules.push(RuleIr {
            id: r.name.node.clone(),
            cond,
            effects,
            exceptions: Vec::new(),
            overrides: Vec::new(),
            preceded_by: 0..0,
            unique_table: None,
            layer: self.layer_of(layer),
            depth: u16::try_from(layer).unwrap_or(u16::MAX),
            kind: r.kind,
            cites,
            span: r.name.span,
        });
        self.statutory.push(StatutoryInfo {
            statutory: r.statutory,
            layer,
            removed: false,
        });
    }

    /// Lower a table: one rule per row, in evaluation order, with its precedence explicit.
    fn table(&mut self, t: &ast::Table, layer: usize) {
        if t.cites.is_empty() {
            self.diags.push(
                Diagnostic::error(
                    "haven::check::missing_citation",
                    format!("table `{}` cites nothing", t.name.node),
                    t.name.span,
                )
                .with_help("add `cites \"§section\"` naming where the table is in the document"),
            );
        }
        if let Some(prev) = self.refs.get(&t.name.node) {
            self.diags.push(
                Diagnostic::error(
                    "haven::check::duplicate_rule",
                    format!(
                        "table `{}` has the same id as another rule or table",
                        t.name.node
                    ),
                    t.name.span,
                )
                .with_secondary(prev.span, "first defined here"),
            );
        }
        let table_cond = t.when.as_ref().map(|w| self.cond(w).0);
        let mut columns: Vec<Effects> = Vec::new();
        let mut seen_keys: HashMap<&str, Span> = HashMap::new();
        for col in &t.columns {
            if let Some(prev) = seen_keys.insert(&col.key.node, col.key.span) {
                self.diags.push(
                    Diagnostic::error(
                        "haven::check::duplicate_column",
                        format!(
                            "column `{}` appears twice in table `{}`",
                            col.key.node, t.name.node
                        ),
                        col.key.span,
                    )
                    .with_secondary(prev, "first here"),
                );
            }
            columns.push(self.effects(&col.outcomes, &t.name.node));
        }
        let table_cites: Vec<String> = t.cites.iter().map(|c| self.render_cite(c)).collect();
        let table_idx = self.tables.len();
        let first_row = self.rules.len();
        let ordered: Vec<usize> = checks::row_order(t, self.diags);
        let mut row_rule_idx = vec![0usize; t.rows.len()];
        for (pos, &row_i) in ordered.iter().enumerate() {
            let Some(row) = t.rows.get(row_i) else {
                continue;
            };
            let _ = pos;
            let (row_cond, _) = self.cond(&row.when);
            let cond = match &table_cond {
                Some(tc) => Cond::And(vec![tc.clone(), row_cond].into_boxed_slice()),
                None => row_cond,
            };
            if row.cells.len() != t.columns.len() {
                self.diags.push(
                    Diagnostic::error(
                        "haven::check::row_arity",
                        format!(
                            "row has {} cells but table `{}` has {} columns",
                            row.cells.len(),
                            t.name.node,
                            t.columns.len()
                        ),
                        row.label.span,
                    )
                    .with_help("give every row one cell per column; leave a cell empty or write `-` for no tick"),
                );
            }
            let mut effects = Effects::default();
            for (cell, col) in row.cells.iter().zip(&columns) {
                match cell.node.as_deref() {
                    None | Some("-") => {}
                    Some(glyph) if is_tick(glyph) => {
                        effects.actions.extend(col.actions.iter().cloned());
                        if col.permission.is_some() {
                            effects.permission = col.permission.clone();
                        }
                        effects.breach |= col.breach;
                        effects.notes.extend(col.notes.iter().cloned());
                    }
                    Some(glyph) => self.diags.push(
                        Diagnostic::error(
                            "haven::check::unknown_tick",
                            format!("`{glyph}` is not a tick mark"),
                            cell.span,
                        )
                        .with_help("a ticked cell holds `X` (Latin, Cyrillic `Х`/`х` or Greek `Χ` also count) or `✓`; an empty cell is blank or `-`"),
                    ),
                }
            }
            let mut cites = table_cites.clone();
            match &row.cites {
                Some(c) => cites.push(self.render_cite(c)),
                None => {
                    if let Some(first) = cites.first_mut() {
                        first.push_str(&format!(", row \"{}\"", row.label.node));
                    }
                }
            }
            let idx = self.rules.len();
            if let Some(slot) = row_rule_idx.get_mut(row_i) {
                *slot = idx;
            }
            let preceded_by = match t.hit.node {
                ast::HitPolicy::First | ast::HitPolicy::Priority => first_row..idx,
                _ => idx..idx,
            };
            self.rules.push(RuleIr {
                id: format!("{}/{}", t.name.node, row_i + 1),
                cond,
                effects,
                exceptions: Vec::new(),
                overrides: Vec::new(),
                preceded_by,
                unique_table: (t.hit.node == ast::HitPolicy::Unique).then_some(table_idx),
                layer: self.layer_of(layer),
                depth: u16::try_from(layer).unwrap_or(u16::MAX),
                kind: ast::RuleKind::Plain,
                cites,
                span: row.label.span,
            });
            self.statutory.push(StatutoryInfo {
                statutory: false,
                layer,
                removed: false,
            });
        }
        self.refs.insert(
            t.name.node.clone(),
            RuleRef {
                idx: first_row,
                layer,
                span: t.name.span,
            },
        );
        self.tables.push(TableIr {
            id: t.name.node.clone(),
            rows: first_row..self.rules.len(),
        });
        checks::table(t, &self.rules, &self.names.vocab, &row_rule_idx, self.diags);
    }

    /// A source caveat of the root policy: a warning that quotes it.
    fn caveat(&mut self, c: &ast::Caveat) {
        // The message quotes the caveat; underlining a long sentence again would only fill
        // the terminal with carets, so the label marks the `caveat` keyword.
        let keyword = Span {
            end: c.span.start.saturating_add(6).min(c.span.end),
            ..c.span
        };
        let mut d = Diagnostic::warning(
            "haven::check::source_caveat",
            format!("source document caveat: {}", c.text.node),
            keyword,
        )
        .with_label("recorded here");
        if let Some(first) = c.cites.first() {
            d = d.with_help(format!("see {}", self.render_cite(first)));
        }
        self.diags.push(d);
    }

    /// A declined sentence needs no IR, only a quote and a reason (`haven trace` reads it).
    fn declines(&mut self, d: &ast::Declines) {
        if d.quote.node.trim().is_empty() {
            self.diags.push(
                Diagnostic::error(
                    "haven::check::empty_declined_sentence",
                    "`declines` quotes no sentence",
                    d.quote.span,
                )
                .with_label("empty sentence")
                .with_help("quote the source sentence the policy does not encode"),
            );
        }
        if d.reason.node.trim().is_empty() {
            self.diags.push(
                Diagnostic::error(
                    "haven::check::empty_decline_reason",
                    "`declines` gives no reason",
                    d.reason.span,
                )
                .with_label("empty reason")
                .with_help("say why the policy does not encode this sentence, e.g. `because \"curriculum content, not an incident response\"`"),
            );
        }
    }
}

/// Number of nodes in a condition tree.
fn cond_size(cond: &Cond) -> usize {
    match cond {
        Cond::Const(_) | Cond::Test(..) => 1,
        Cond::Not(c) => 1 + cond_size(c),
        Cond::And(cs) | Cond::Or(cs) => 1 + cs.iter().map(cond_size).sum::<usize>(),
        Cond::Quant { body, .. } => 1 + cond_size(body),
    }
}

/// The glyphs that count as a tick (the seeds use Latin, Cyrillic and Greek X).
fn is_tick(glyph: &str) -> bool {
    matches!(
        glyph,
        "X" | "x" | "Х" | "х" | "Χ" | "χ" | "✓" | "✔" | "✗" | "✘"
    )
}
