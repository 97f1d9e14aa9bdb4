//! Outcomes: actions (targets, deadlines, who performs them, the people who hold the target
//! roles) and permissions, as [`Effects`].

use super::Lowerer;
use crate::check::resolve::{synonym, unknown_name};
use crate::diagnostic::{suggest, Diagnostic};
use crate::ir::{ActionIr, Effects, PermissionIr, Target, Vocab};
use crate::source::Span;
use crate::syntax::ast::{self, TokenKind};

impl Lowerer<'_> {
    /// The effects of a rule's outcomes, or of a table column (`owner` names it).
    pub(super) fn effects(&mut self, outcomes: &[ast::Outcome], owner: &str) -> Effects {
        let mut effects = Effects::default();
        let mut permission_span: Option<Span> = None;
        for o in outcomes {
            match o {
                ast::Outcome::Action(a) => {
                    if let Some(action) = self.action(a) {
                        effects.actions.push(action);
                    }
                }
                ast::Outcome::Permission(p) => {
                    if let Some(prev) = permission_span {
                        self.diags.push(
                            Diagnostic::error(
                                "haven::check::duplicate_permission",
                                format!("`{owner}` gives two permission verdicts"),
                                p.span,
                            )
                            .with_secondary(prev, "first verdict here"),
                        );
                    }
                    permission_span = Some(p.span);
                    effects.permission = Some(self.permission(p));
                }
                ast::Outcome::Breach(_) => effects.breach = true,
                ast::Outcome::Note(n) => effects.notes.push(n.node.clone()),
            }
        }
        effects
    }

    /// A permission verdict with its conditions (approval, place, time, consent).
    fn permission(&mut self, p: &ast::PermissionSpec) -> PermissionIr {
        let mut conditions = Vec::new();
        if p.verdict.node != ast::Verdict::AllowedIf && !p.conditions.is_empty() {
            self.diags.push(
                Diagnostic::error(
                    "haven::check::conditions_without_allowed_if",
                    format!("`{}` takes no conditions", p.verdict.node.keyword()),
                    p.verdict.span,
                )
                .with_help("write `permission allowed_if [...]` for a conditional permission"),
            );
        }
        if p.verdict.node == ast::Verdict::AllowedIf && p.conditions.is_empty() {
            self.diags.push(
                Diagnostic::error(
                    "haven::check::allowed_if_without_conditions",
                    "`allowed_if` needs at least one condition",
                    p.verdict.span,
                )
                .with_help("e.g. `permission allowed_if [approval headteacher]`"),
            );
        }
        for c in &p.conditions {
            let ok = match c.kind {
                ast::PermConditionKind::Approval => self.check_token(TokenKind::Role, &c.value),
                ast::PermConditionKind::Place => self.check_token(TokenKind::Location, &c.value),
                ast::PermConditionKind::Time => self.check_token(TokenKind::Time, &c.value),
                ast::PermConditionKind::Consent => {
                    let known = self.names.vocab.fact_index.contains_key(&c.value.node);
                    if !known {
                        let names: Vec<String> = self
                            .names
                            .vocab
                            .facts
                            .iter()
                            .map(|f| f.name.clone())
                            .collect();
                        let mut d = Diagnostic::error(
                            "haven::check::unknown_fact",
                            format!("unknown fact `{}`", c.value.node),
                            c.value.span,
                        );
                        if let Some(s) = suggest(&c.value.node, &names) {
                            d = d.with_suggestion(s);
                        }
                        self.diags.push(d);
                    }
                    known
                }
            };
            if ok {
                conditions.push((c.kind, c.value.node.clone()));
            }
        }
        PermissionIr {
            verdict: p.verdict.node,
            conditions,
        }
    }

    /// Whether `name` is a declared token of this kind; reports it if not.
    fn check_token(&mut self, kind: TokenKind, name: &ast::Name) -> bool {
        if self.names.vocab.lookup(kind, &name.node).is_some() {
            true
        } else {
            let d = unknown_name(&self.names.vocab, kind, &name.node, name.span);
            self.diags.push(d);
            false
        }
    }

    /// An action: its targets, deadline, performer, and the named holders of its target roles.
    fn action(&mut self, a: &ast::ActionSpec) -> Option<ActionIr> {
        let action = match self.names.vocab.lookup(TokenKind::Action, &a.action.node) {
            Some(s) => s,
            None => {
                let d = unknown_name(
                    &self.names.vocab,
                    TokenKind::Action,
                    &a.action.node,
                    a.action.span,
                );
                self.diags.push(d);
                return None;
            }
        };
        let mut targets = Vec::new();
        for t in &a.targets {
            let found = [TokenKind::Role, TokenKind::Agency, TokenKind::Location]
                .into_iter()
                .find_map(|k| {
                    self.names
                        .vocab
                        .lookup(k, &t.node)
                        .map(|sym| Target { kind: k, sym })
                });
            match found {
                Some(target) => targets.push(target),
                None => {
                    let mut known = self.names.vocab.names(TokenKind::Role);
                    known.extend(self.names.vocab.names(TokenKind::Agency));
                    known.extend(self.names.vocab.names(TokenKind::Location));
                    let mut d = Diagnostic::error(
                        "haven::check::unknown_target",
                        format!("unknown target `{}`", t.node),
                        t.span,
                    )
                    .with_label("not a declared role, agency or location");
                    let synonym = [TokenKind::Role, TokenKind::Agency]
                        .into_iter()
                        .find_map(|k| synonym(k, &t.node))
                        .filter(|w| known.iter().any(|k| k == w));
                    if let Some(deadline) = known_deadline(&self.names.vocab, &t.node) {
                        // `must notify dsl immediately` parses `immediately` as a target.
                        d = d
                            .with_fix(
                                t.span,
                                format!("due {deadline}"),
                                format!("write `due {deadline}`"),
                            )
                            .with_help(format!(
                                "did you mean `due {deadline}`? `{deadline}` is a deadline, written after the targets with `due`"
                            ));
                    } else if let Some(word) = synonym {
                        d = d.with_suggestion(word);
                    } else if let Some(s) = suggest(&t.node, &known) {
                        d = d.with_suggestion(s);
                    }
                    self.diags.push(d);
                }
            }
        }
        // Which actions need a target is the vocabulary's to say (`action refer needs target`).
        let needs_target = self
            .names
            .vocab
            .tokens
            .get(TokenKind::Action.index())
            .and_then(|t| t.get(action as usize))
            .is_some_and(|t| t.needs_target);
        if needs_target && a.targets.is_empty() {
            self.diags.push(
                Diagnostic::error(
                    "haven::check::missing_target",
                    format!("`{}` needs a target", a.action.node),
                    a.action.span,
                )
                .with_help(format!(
                    "say who, e.g. `{} {} dsl`",
                    a.modality.node.keyword(),
                    a.action.node
                )),
            );
        }
        let deadline = match &a.deadline {
            Some(d) if a.modality.node.is_negative() => {
                self.diags.push(
                    Diagnostic::error(
                        "haven::check::deadline_on_prohibition",
                        format!("a `{}` action has no deadline", a.modality.node.keyword()),
                        d.span,
                    )
                    .with_help("remove `due ...`: a prohibition holds at all times"),
                );
                None
            }
            Some(d) => {
                if self.check_token(TokenKind::Deadline, d) {
                    self.names.vocab.lookup(TokenKind::Deadline, &d.node)
                } else {
                    None
                }
            }
            None => None,
        };
        let by = match &a.by {
            Some(b) => {
                if self.check_token(TokenKind::Role, b) {
                    self.names.vocab.lookup(TokenKind::Role, &b.node)
                } else {
                    None
                }
            }
            None => None,
        };
        // Named holders of the target roles.
        let mut holders: Vec<usize> = Vec::new();
        for t in &targets {
            if t.kind != TokenKind::Role {
                continue;
            }
            for (i, p) in self.names.people.iter().enumerate() {
                if p.roles.contains(&t.sym) && !holders.contains(&i) {
                    holders.push(i);
                }
            }
        }
        let person = (!holders.is_empty()).then(|| {
            holders
                .iter()
                .filter_map(|&i| self.names.people.get(i).map(|p| p.name.clone()))
                .collect::<Vec<_>>()
                .join(
                    if a.target_mode == ast::TargetMode::Any && a.targets.len() > 1 {
                        " or "
                    } else {
                        " and "
                    },
                )
        });
        let person_key = if holders.is_empty() {
            None
        } else {
            let next = u32::try_from(self.person_keys.len()).unwrap_or(u32::MAX);
            Some(*self.person_keys.entry(holders).or_insert(next))
        };
        let mut text = format!("{} {}", a.modality.node.keyword(), a.action.node);
        let sep = match a.target_mode {
            ast::TargetMode::Any => " or ",
            ast::TargetMode::All => " and ",
        };
        if !a.targets.is_empty() {
            text.push(' ');
            text.push_str(
                &a.targets
                    .iter()
                    .map(|t| t.node.as_str())
                    .collect::<Vec<_>>()
                    .join(sep),
            );
        }
        if let Some(d) = &a.deadline {
            if !a.modality.node.is_negative() {
                text.push_str(" due ");
                text.push_str(&d.node);
            }
        }
        if let Some(b) = &a.by {
            text.push_str(" by ");
            text.push_str(&b.node);
        }
        Some(ActionIr {
            modality: a.modality.node,
            action,
            targets,
            target_mode: if a.targets.len() > 1 {
                a.target_mode
            } else {
                ast::TargetMode::All
            },
            deadline,
            by,
            person,
            person_key,
            text,
        })
    }
}

/// `name` if it is a declared deadline (written where a target was expected).
fn known_deadline(vocab: &Vocab, name: &str) -> Option<String> {
    vocab
        .names(TokenKind::Deadline)
        .into_iter()
        .find(|d| d == name)
}
