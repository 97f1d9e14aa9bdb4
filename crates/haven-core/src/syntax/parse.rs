//! Source text to [`ast::File`]. pest's `Pairs` never leave this module.

use super::ast::*;
use super::grammar::{HavenParser, Rule as R};
use crate::diagnostic::Diagnostic;
use crate::limits::Limits;
use crate::source::{SourceId, Span, Spanned};
use pest::iterators::Pair;
use pest::Parser as _;

/// Parse one file. Returns the tree if the text is well-formed, plus every diagnostic.
pub fn parse(source: SourceId, text: &str, limits: &Limits) -> (Option<File>, Vec<Diagnostic>) {
    if let Some(diag) = precheck(source, text, limits) {
        return (None, vec![diag]);
    }
    pest::set_call_limit(std::num::NonZeroUsize::new(limits.parser_call_limit));
    let pairs = match HavenParser::parse(R::file, text) {
        Ok(pairs) => pairs,
        Err(err) => return (None, vec![translate_error(source, text, err)]),
    };
    let mut cx = Cx {
        source,
        diags: Vec::new(),
    };
    let Some(file_pair) = pairs.into_iter().next() else {
        return (None, cx.diags);
    };
    let file = cx.file(file_pair, text);
    (Some(file), cx.diags)
}

/// Size and nesting limits, checked before pest runs so a hostile file cannot exhaust the
/// stack or the clock.
fn precheck(source: SourceId, text: &str, limits: &Limits) -> Option<Diagnostic> {
    if text.len() > limits.max_policy_bytes {
        return Some(
            Diagnostic::error(
                "haven::parse::too_large",
                format!(
                    "policy file is too large ({} bytes, limit {})",
                    text.len(),
                    limits.max_policy_bytes
                ),
                Span::new(source, 0, 0),
            )
            .with_help("split the policy into modules with `use`"),
        );
    }
    let mut depth = 0usize;
    let mut in_string = false;
    let mut in_comment = false;
    let mut escaped = false;
    let mut prev = '\0';
    for (i, c) in text.char_indices() {
        if in_comment {
            if c == '\n' {
                in_comment = false;
            }
        } else if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' || c == '\n' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        } else if c == '/' && prev == '/' {
            in_comment = true;
        } else if matches!(c, '(' | '[' | '{') {
            depth += 1;
            if depth > limits.max_nesting {
                return Some(
                    Diagnostic::error(
                        "haven::parse::nesting_too_deep",
                        format!("nesting too deep (limit {})", limits.max_nesting),
                        Span::new(source, i, i + 1),
                    )
                    .with_label("this bracket is too deeply nested")
                    .with_help("split the condition into criteria lists"),
                );
            }
        } else if matches!(c, ')' | ']' | '}') {
            depth = depth.saturating_sub(1);
        }
        prev = if in_comment { '\0' } else { c };
    }
    None
}

/// Human names for grammar rules, used in "expected ..." messages.
fn rule_name(grammar_rule: &R) -> &'static str {
    match grammar_rule {
        R::ident | R::target_name => "a name",
        R::module_path => "a module path",
        R::string | R::string_inner => "a string",
        R::int => "a number",
        R::date => "a date like `2022-03`",
        R::header | R::policy_kw | R::module_kw => "`policy` or `module`",
        R::meta | R::meta_date_key | R::meta_text_key | R::meta_date | R::meta_text => {
            "a metadata line (`version`, `adopted`, `review_by`, `approved_by`, `source`, `cite_as`, `extends`, `use`)"
        }
        R::meta_extends => "`extends`",
        R::meta_use => "`use`",
        R::item => "a declaration, `person`, `criteria`, `rule`, `table` or `caveat`",
        R::decl | R::token_decl | R::token_kind => "a vocabulary declaration",
        R::fact_decl => "`fact`",
        R::person_fact_decl => "`person_fact`",
        R::fact_type | R::type_bool | R::type_int | R::type_role | R::type_enum => {
            "a type (`bool`, `int 0..10`, `role`, `one_of [..]`)"
        }
        R::ask => "`ask`",
        R::person => "`person`",
        R::criteria => "`criteria`",
        R::criterion => "a criterion (`key: condition`)",
        R::quantifier => "`any` or `all`",
        R::rule => "`rule`",
        R::statutory => "`statutory`",
        R::relation | R::rel_overrides | R::rel_replaces => "`overrides` or `replaces`",
        R::cites => "`cites`",
        R::when => "`when`",
        R::outcome => "an outcome (`must ...`, `permission ...`, `breach`, `note ...`)",
        R::action => "an action",
        R::modality => "a modality (`must`, `must_not`, `should`, `should_not`, `may`)",
        R::targets | R::target_or | R::target_and => "a target",
        R::deadline => "`due`",
        R::performer => "`by`",
        R::permission => "`permission`",
        R::verdict => "a verdict (`allowed`, `allowed_if`, `not_allowed`)",
        R::perm_condition | R::perm_condition_kind => {
            "a condition (`approval`, `consent`, `place`, `time`)"
        }
        R::breach => "`breach`",
        R::note => "`note`",
        R::table => "`table`",
        R::hit | R::hit_policy => "`hit collect|first|unique|priority`",
        R::columns => "`columns`",
        R::column => "a column (`key: outcome`)",
        R::row => "`row`",
        R::cells | R::cell | R::tick => "table cells between `|`",
        R::caveat => "`caveat`",
        R::expr | R::and_expr | R::not_expr | R::atom | R::test => "a condition",
        R::not_kw => "`not`",
        R::quantified => "`any(...)` or `all(...)`",
        R::literal_bool | R::bool_value => "`true` or `false`",
        R::is_not_test | R::is_test => "`is`",
        R::in_test => "`in [...]`",
        R::compare | R::compare_op => "a comparison",
        R::path => "a name or dotted path",
        R::value | R::any_value => "a value",
        R::ident_list => "a list of names",
        R::file => "a policy",
        R::EOI => "end of file",
        R::keyword => "a keyword",
        R::WHITESPACE | R::COMMENT | R::ident_char => "whitespace",
    }
}

fn translate_error(source: SourceId, text: &str, err: pest::error::Error<R>) -> Diagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    let (start, end) = match err.location {
        InputLocation::Pos(p) => (p, p),
        InputLocation::Span((s, e)) => (s, e),
    };
    // Underline the word at the error position so the user sees what was found.
    let found_end = text
        .get(start..)
        .map(|rest| {
            let word = rest
                .char_indices()
                .take_while(|(_, c)| !c.is_whitespace())
                .last()
                .map_or(0, |(i, c)| i + c.len_utf8());
            start + word
        })
        .unwrap_or(start)
        .max(end);
    let found = text.get(start..found_end).unwrap_or("");
    let span = Span::new(source, start, found_end);
    let whole = err.to_string();
    match err.variant {
        ErrorVariant::ParsingError {
            positives,
            negatives: _,
        } => {
            if positives.is_empty() && whole.contains("call limit") {
                return Diagnostic::error(
                    "haven::parse::too_complex",
                    "policy is too complex to parse",
                    span,
                );
            }
            let mut names: Vec<&str> = positives.iter().map(rule_name).collect();
            names.sort_unstable();
            names.dedup();
            let expected = match names.as_slice() {
                [] => "something else".to_owned(),
                [one] => (*one).to_owned(),
                [init @ .., last] => format!("{} or {}", init.join(", "), last),
            };
            let line_rest = text
                .get(start..)
                .and_then(|r| r.lines().next())
                .unwrap_or("");
            if line_rest.starts_with('"') && line_rest.matches('"').count() % 2 == 1 {
                let end = start + line_rest.len();
                return Diagnostic::error(
                    "haven::parse::unterminated_string",
                    "unterminated string",
                    Span::new(source, start, end),
                )
                .with_label("this string has no closing `\"`")
                .with_help(
                    "a string ends with `\"` on the same line; write `\\\"` for a quote inside it",
                );
            }
            let message = if found.is_empty() {
                format!("expected {expected}, found end of file")
            } else {
                format!("expected {expected}, found `{}`", truncate(found, 40))
            };
            Diagnostic::error("haven::parse::syntax", message, span)
                .with_label(format!("expected {expected}"))
        }
        ErrorVariant::CustomError { message } => {
            if message.contains("call limit") {
                Diagnostic::error(
                    "haven::parse::too_complex",
                    "policy is too complex to parse",
                    span,
                )
                .with_help("split it into smaller rules or modules")
            } else {
                Diagnostic::error("haven::parse::syntax", message, span)
            }
        }
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(n).collect();
        t.push('…');
        t
    }
}

struct Cx {
    source: SourceId,
    diags: Vec<Diagnostic>,
}

impl Cx {
    fn span(&self, pair: &Pair<'_, R>) -> Span {
        let s = pair.as_span();
        Span::new(self.source, s.start(), s.end())
    }

    fn name(&self, pair: Pair<'_, R>) -> Name {
        Spanned::new(pair.as_str().to_owned(), self.span(&pair))
    }

    fn text(&mut self, pair: Pair<'_, R>) -> Text {
        let span = self.span(&pair);
        let raw = pair.as_str();
        let inner = raw
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .unwrap_or(raw);
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some(other @ ('"' | '\\')) => out.push(other),
                    Some(other) => {
                        self.diags.push(
                            Diagnostic::error(
                                "haven::parse::bad_escape",
                                format!("unknown escape `\\{other}` in string"),
                                span,
                            )
                            .with_help("strings accept `\\\"`, `\\\\`, `\\n` and `\\t`"),
                        );
                        out.push(other);
                    }
                    None => {}
                }
            } else {
                out.push(c);
            }
        }
        Spanned::new(out, span)
    }

    fn int(&mut self, pair: Pair<'_, R>) -> Spanned<i64> {
        let span = self.span(&pair);
        match pair.as_str().parse::<i64>() {
            Ok(v) => Spanned::new(v, span),
            Err(_) => {
                self.diags.push(
                    Diagnostic::error(
                        "haven::parse::number_out_of_range",
                        format!("number `{}` is out of range", truncate(pair.as_str(), 30)),
                        span,
                    )
                    .with_help(format!(
                        "numbers must lie between {} and {}",
                        i64::MIN,
                        i64::MAX
                    )),
                );
                Spanned::new(0, span)
            }
        }
    }

    fn file(&mut self, pair: Pair<'_, R>, text: &str) -> File {
        let mut header = None;
        let mut items = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                R::header => header = Some(self.header(p)),
                R::item => {
                    if let Some(inner) = p.into_inner().next() {
                        items.push(self.item(inner));
                    }
                }
                _ => {}
            }
        }
        let header = header.unwrap_or_else(|| Header {
            kind: HeaderKind::Module,
            id: Spanned::new(String::new(), Span::new(self.source, 0, 0)),
            title: None,
            meta: Vec::new(),
            span: Span::new(self.source, 0, 0),
        });
        File {
            header,
            items,
            comments: collect_comments(self.source, text),
        }
    }

    fn header(&mut self, pair: Pair<'_, R>) -> Header {
        let span = self.span(&pair);
        let mut kind = HeaderKind::Policy;
        let mut id = None;
        let mut title = None;
        let mut meta = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                R::policy_kw => kind = HeaderKind::Policy,
                R::module_kw => kind = HeaderKind::Module,
                R::ident => id = Some(self.name(p)),
                R::string => title = Some(self.text(p)),
                R::meta => {
                    if let Some(m) = p.into_inner().next() {
                        if let Some(m) = self.meta(m) {
                            meta.push(m);
                        }
                    }
                }
                _ => {}
            }
        }
        Header {
            kind,
            id: id.unwrap_or_else(|| Spanned::new(String::new(), span)),
            title,
            meta,
            span,
        }
    }

    fn meta(&mut self, pair: Pair<'_, R>) -> Option<Meta> {
        let pair_rule = pair.as_rule();
        let mut inner = pair.into_inner();
        match pair_rule {
            R::meta_extends => inner.next().map(|p| Meta::Extends(self.name(p))),
            R::meta_use => inner.next().map(|p| Meta::Use(self.name(p))),
            R::meta_date => {
                let key = match inner.next()?.as_str() {
                    "adopted" => DateKey::Adopted,
                    _ => DateKey::ReviewBy,
                };
                let date = inner.next()?;
                Some(Meta::Date(key, self.date(date)))
            }
            R::meta_text => {
                let key = match inner.next()?.as_str() {
                    "version" => TextKey::Version,
                    "approved_by" => TextKey::ApprovedBy,
                    "source" => TextKey::Source,
                    _ => TextKey::CiteAs,
                };
                let value = self.text(inner.next()?);
                Some(Meta::Text(key, value))
            }
            _ => None,
        }
    }

    fn date(&mut self, pair: Pair<'_, R>) -> Spanned<Date> {
        let span = self.span(&pair);
        let mut parts = pair
            .as_str()
            .split('-')
            .map(|p| p.parse::<u16>().unwrap_or(0));
        let year = parts.next().unwrap_or(0);
        let month = parts.next().unwrap_or(0);
        let day = parts.next();
        let month_ok = (1..=12).contains(&month);
        let day_ok = day.is_none_or(|d| (1..=31).contains(&d));
        if !month_ok || !day_ok {
            self.diags.push(
                Diagnostic::error(
                    "haven::parse::bad_date",
                    format!("`{}` is not a valid date", pair.as_str()),
                    span,
                )
                .with_help("write dates as `YYYY-MM` or `YYYY-MM-DD`"),
            );
        }
        Spanned::new(
            Date {
                year,
                month: u8::try_from(month).unwrap_or(0),
                day: day.map(|d| u8::try_from(d).unwrap_or(0)),
            },
            span,
        )
    }

    fn item(&mut self, pair: Pair<'_, R>) -> Item {
        match pair.as_rule() {
            R::decl => Item::Decl(self.decl(pair)),
            R::person => Item::Person(self.person(pair)),
            R::criteria => Item::Criteria(self.criteria(pair)),
            R::rule => Item::Rule(self.rule(pair)),
            R::table => Item::Table(self.table(pair)),
            _ => Item::Caveat(self.caveat(pair)),
        }
    }

    fn decl(&mut self, pair: Pair<'_, R>) -> Decl {
        let span = self.span(&pair);
        let Some(inner) = pair.into_inner().next() else {
            return Decl {
                kind: DeclKind::Token {
                    kind: TokenKind::Role,
                    name: Spanned::new(String::new(), span),
                    parents: Vec::new(),
                    label: None,
                },
                span,
            };
        };
        let inner_rule = inner.as_rule();
        let mut parts = inner.into_inner();
        let kind = match inner_rule {
            R::token_decl => {
                let kind = match parts.next().map(|p| p.as_str()).unwrap_or("role") {
                    "agency" => TokenKind::Agency,
                    "device" => TokenKind::Device,
                    "owner" => TokenKind::Owner,
                    "location" => TokenKind::Location,
                    "time" => TokenKind::Time,
                    "activity" => TokenKind::Activity,
                    "category" => TokenKind::Category,
                    "action" => TokenKind::Action,
                    "deadline" => TokenKind::Deadline,
                    _ => TokenKind::Role,
                };
                let mut name = Spanned::new(String::new(), span);
                let mut parents = Vec::new();
                let mut label = None;
                for p in parts {
                    match p.as_rule() {
                        R::ident => name = self.name(p),
                        R::ident_list => parents = self.ident_list(p),
                        R::string => label = Some(self.text(p)),
                        _ => {}
                    }
                }
                DeclKind::Token {
                    kind,
                    name,
                    parents,
                    label,
                }
            }
            _ => {
                let person = inner_rule == R::person_fact_decl;
                let mut name = Spanned::new(String::new(), span);
                let mut ty = Spanned::new(FactType::Bool, span);
                let mut ask = None;
                for p in parts {
                    match p.as_rule() {
                        R::ident => name = self.name(p),
                        R::fact_type => ty = self.fact_type(p),
                        R::ask => {
                            if let Some(s) = p.into_inner().next() {
                                ask = Some(self.text(s));
                            }
                        }
                        _ => {}
                    }
                }
                DeclKind::Fact {
                    person,
                    name,
                    ty,
                    ask,
                }
            }
        };
        Decl { kind, span }
    }

    fn fact_type(&mut self, pair: Pair<'_, R>) -> Spanned<FactType> {
        let span = self.span(&pair);
        let Some(inner) = pair.into_inner().next() else {
            return Spanned::new(FactType::Bool, span);
        };
        let ty = match inner.as_rule() {
            R::type_int => {
                let mut ints = inner.into_inner();
                let min = ints.next().map_or(0, |p| self.int(p).node);
                let max = ints.next().map_or(0, |p| self.int(p).node);
                if min > max {
                    self.diags.push(
                        Diagnostic::error(
                            "haven::parse::empty_range",
                            format!("range `{min}..{max}` is empty"),
                            span,
                        )
                        .with_help("write the smaller bound first"),
                    );
                }
                FactType::Int { min, max }
            }
            R::type_role => FactType::Role,
            R::type_enum => FactType::Enum(
                inner
                    .into_inner()
                    .next()
                    .map(|l| self.ident_list(l))
                    .unwrap_or_default(),
            ),
            _ => FactType::Bool,
        };
        Spanned::new(ty, span)
    }

    fn ident_list(&self, pair: Pair<'_, R>) -> Vec<Name> {
        pair.into_inner().map(|p| self.name(p)).collect()
    }

    fn cites(&mut self, pair: Pair<'_, R>) -> Cite {
        let span = self.span(&pair);
        let mut strings = pair.into_inner();
        let section = strings
            .next()
            .map(|p| self.text(p))
            .unwrap_or_else(|| Spanned::new(String::new(), span));
        let quote = strings.next().map(|p| self.text(p));
        Cite {
            section,
            quote,
            span,
        }
    }

    fn person(&mut self, pair: Pair<'_, R>) -> Person {
        let span = self.span(&pair);
        let mut name = Spanned::new(String::new(), span);
        let mut roles = Vec::new();
        let mut cites = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                R::string => name = self.text(p),
                R::ident_list => roles = self.ident_list(p),
                R::cites => cites = Some(self.cites(p)),
                _ => {}
            }
        }
        Person {
            name,
            roles,
            cites,
            span,
        }
    }

    fn quantifier(&self, pair: &Pair<'_, R>) -> Spanned<Quantifier> {
        let q = if pair.as_str() == "all" {
            Quantifier::All
        } else {
            Quantifier::Any
        };
        Spanned::new(q, self.span(pair))
    }

    fn criteria(&mut self, pair: Pair<'_, R>) -> Criteria {
        let span = self.span(&pair);
        let mut name = Spanned::new(String::new(), span);
        let mut title = None;
        let mut quantifier = Spanned::new(Quantifier::Any, span);
        let mut cites = None;
        let mut items = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                R::ident => name = self.name(p),
                R::string => title = Some(self.text(p)),
                R::quantifier => quantifier = self.quantifier(&p),
                R::cites => cites = Some(self.cites(p)),
                R::criterion => {
                    let cspan = self.span(&p);
                    let mut cname = Spanned::new(String::new(), cspan);
                    let mut expr = None;
                    let mut ccites = None;
                    for q in p.into_inner() {
                        match q.as_rule() {
                            R::ident => cname = self.name(q),
                            R::expr => expr = Some(self.expr(q)),
                            R::cites => ccites = Some(self.cites(q)),
                            _ => {}
                        }
                    }
                    items.push(Criterion {
                        name: cname,
                        expr: expr.unwrap_or(Expr {
                            kind: ExprKind::Bool(false),
                            span: cspan,
                        }),
                        cites: ccites,
                    });
                }
                _ => {}
            }
        }
        Criteria {
            name,
            title,
            quantifier,
            cites,
            items,
            span,
        }
    }

    fn rule(&mut self, pair: Pair<'_, R>) -> Rule {
        let span = self.span(&pair);
        let mut rule = Rule {
            statutory: false,
            name: Spanned::new(String::new(), span),
            relations: Vec::new(),
            cites: Vec::new(),
            when: Expr {
                kind: ExprKind::Bool(false),
                span,
            },
            outcomes: Vec::new(),
            span,
        };
        for p in pair.into_inner() {
            match p.as_rule() {
                R::statutory => rule.statutory = true,
                R::ident => rule.name = self.name(p),
                R::relation => {
                    let mut inner = p.into_inner();
                    let kind = match inner.next().map(|k| k.as_rule()) {
                        Some(R::rel_replaces) => RelationKind::Replaces,
                        _ => RelationKind::Overrides,
                    };
                    if let Some(target) = inner.next() {
                        rule.relations.push(Relation {
                            kind,
                            target: self.name(target),
                        });
                    }
                }
                R::cites => rule.cites.push(self.cites(p)),
                R::when => {
                    if let Some(e) = p.into_inner().next() {
                        rule.when = self.expr(e);
                    }
                }
                R::outcome => {
                    if let Some(o) = self.outcome(p) {
                        rule.outcomes.push(o);
                    }
                }
                _ => {}
            }
        }
        rule
    }

    fn outcome(&mut self, pair: Pair<'_, R>) -> Option<Outcome> {
        let inner = pair.into_inner().next()?;
        let span = self.span(&inner);
        Some(match inner.as_rule() {
            R::action => Outcome::Action(self.action(inner)),
            R::permission => {
                let mut verdict = Spanned::new(Verdict::NotAllowed, span);
                let mut conditions = Vec::new();
                for p in inner.into_inner() {
                    match p.as_rule() {
                        R::verdict => {
                            let v = match p.as_str() {
                                "allowed" => Verdict::Allowed,
                                "allowed_if" => Verdict::AllowedIf,
                                _ => Verdict::NotAllowed,
                            };
                            verdict = Spanned::new(v, self.span(&p));
                        }
                        R::perm_condition => {
                            let mut parts = p.into_inner();
                            let kind = match parts.next().map(|k| k.as_str()) {
                                Some("consent") => PermConditionKind::Consent,
                                Some("place") => PermConditionKind::Place,
                                Some("time") => PermConditionKind::Time,
                                _ => PermConditionKind::Approval,
                            };
                            if let Some(v) = parts.next() {
                                conditions.push(PermCondition {
                                    kind,
                                    value: self.name(v),
                                });
                            }
                        }
                        _ => {}
                    }
                }
                Outcome::Permission(PermissionSpec {
                    verdict,
                    conditions,
                    span,
                })
            }
            R::breach => Outcome::Breach(span),
            _ => {
                let text = inner
                    .into_inner()
                    .next()
                    .map(|s| self.text(s))
                    .unwrap_or_else(|| Spanned::new(String::new(), span));
                Outcome::Note(text)
            }
        })
    }

    fn action(&mut self, pair: Pair<'_, R>) -> ActionSpec {
        let span = self.span(&pair);
        let mut action = ActionSpec {
            modality: Spanned::new(Modality::Must, span),
            action: Spanned::new(String::new(), span),
            targets: Vec::new(),
            target_mode: TargetMode::All,
            deadline: None,
            by: None,
            span,
        };
        for p in pair.into_inner() {
            match p.as_rule() {
                R::modality => {
                    let m = match p.as_str() {
                        "must_not" => Modality::MustNot,
                        "should" => Modality::Should,
                        "should_not" => Modality::ShouldNot,
                        "may" => Modality::May,
                        _ => Modality::Must,
                    };
                    action.modality = Spanned::new(m, self.span(&p));
                }
                R::ident => action.action = self.name(p),
                R::targets => {
                    for t in p.into_inner() {
                        match t.as_rule() {
                            R::target_name => action.targets.push(self.target_name(t)),
                            R::target_or | R::target_and => {
                                if t.as_rule() == R::target_or {
                                    action.target_mode = TargetMode::Any;
                                }
                                if let Some(n) = t.into_inner().next() {
                                    action.targets.push(self.target_name(n));
                                }
                            }
                            _ => {}
                        }
                    }
                }
                R::deadline => action.deadline = p.into_inner().next().map(|n| self.name(n)),
                R::performer => action.by = p.into_inner().next().map(|n| self.name(n)),
                _ => {}
            }
        }
        action
    }

    fn target_name(&self, pair: Pair<'_, R>) -> Name {
        match pair.into_inner().next() {
            Some(ident) => self.name(ident),
            None => Spanned::new(String::new(), Span::new(self.source, 0, 0)),
        }
    }

    fn table(&mut self, pair: Pair<'_, R>) -> Table {
        let span = self.span(&pair);
        let mut table = Table {
            name: Spanned::new(String::new(), span),
            title: None,
            cites: Vec::new(),
            hit: Spanned::new(HitPolicy::Collect, span),
            when: None,
            columns: Vec::new(),
            rows: Vec::new(),
            span,
        };
        for p in pair.into_inner() {
            match p.as_rule() {
                R::ident => table.name = self.name(p),
                R::string => table.title = Some(self.text(p)),
                R::cites => table.cites.push(self.cites(p)),
                R::hit => {
                    if let Some(h) = p.into_inner().next() {
                        let hit = match h.as_str() {
                            "first" => HitPolicy::First,
                            "unique" => HitPolicy::Unique,
                            "priority" => HitPolicy::Priority,
                            _ => HitPolicy::Collect,
                        };
                        table.hit = Spanned::new(hit, self.span(&h));
                    }
                }
                R::when => table.when = p.into_inner().next().map(|e| self.expr(e)),
                R::columns => {
                    for c in p.into_inner() {
                        let cspan = self.span(&c);
                        let mut key = Spanned::new(String::new(), cspan);
                        let mut outcomes = Vec::new();
                        for q in c.into_inner() {
                            match q.as_rule() {
                                R::ident => key = self.name(q),
                                R::outcome => {
                                    if let Some(o) = self.outcome(q) {
                                        outcomes.push(o);
                                    }
                                }
                                _ => {}
                            }
                        }
                        table.columns.push(Column {
                            key,
                            outcomes,
                            span: cspan,
                        });
                    }
                }
                R::row => table.rows.push(self.row(p)),
                _ => {}
            }
        }
        table
    }

    fn row(&mut self, pair: Pair<'_, R>) -> Row {
        let span = self.span(&pair);
        let mut row = Row {
            label: Spanned::new(String::new(), span),
            when: Expr {
                kind: ExprKind::Bool(false),
                span,
            },
            priority: None,
            cells: Vec::new(),
            cites: None,
            span,
        };
        for p in pair.into_inner() {
            match p.as_rule() {
                R::string => row.label = self.text(p),
                R::when => {
                    if let Some(e) = p.into_inner().next() {
                        row.when = self.expr(e);
                    }
                }
                R::int => row.priority = Some(self.int(p)),
                R::cells => {
                    for cell in p.into_inner() {
                        let cspan = self.span(&cell);
                        let tick = cell.into_inner().next().map(|t| t.as_str().to_owned());
                        row.cells.push(Spanned::new(tick, cspan));
                    }
                }
                R::cites => row.cites = Some(self.cites(p)),
                _ => {}
            }
        }
        row
    }

    fn caveat(&mut self, pair: Pair<'_, R>) -> Caveat {
        let span = self.span(&pair);
        let mut text = Spanned::new(String::new(), span);
        let mut cites = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                R::string => text = self.text(p),
                R::cites => cites.push(self.cites(p)),
                _ => {}
            }
        }
        Caveat { text, cites, span }
    }

    fn expr(&mut self, pair: Pair<'_, R>) -> Expr {
        let span = self.span(&pair);
        match pair.as_rule() {
            R::expr | R::and_expr => {
                let is_or = pair.as_rule() == R::expr;
                let mut parts: Vec<Expr> = pair.into_inner().map(|p| self.expr(p)).collect();
                if parts.len() == 1 {
                    if let Some(only) = parts.pop() {
                        return only;
                    }
                }
                let kind = if is_or {
                    ExprKind::Or(parts)
                } else {
                    ExprKind::And(parts)
                };
                Expr { kind, span }
            }
            R::not_expr => {
                let mut nots = 0usize;
                let mut atom = None;
                for p in pair.into_inner() {
                    match p.as_rule() {
                        R::not_kw => nots += 1,
                        _ => atom = Some(self.expr(p)),
                    }
                }
                let mut expr = atom.unwrap_or(Expr {
                    kind: ExprKind::Bool(false),
                    span,
                });
                for _ in 0..nots {
                    expr = Expr {
                        kind: ExprKind::Not(Box::new(expr)),
                        span,
                    };
                }
                expr
            }
            R::atom => match pair.into_inner().next() {
                Some(inner) => self.expr(inner),
                None => Expr {
                    kind: ExprKind::Bool(false),
                    span,
                },
            },
            R::literal_bool => Expr {
                kind: ExprKind::Bool(pair.as_str() == "true"),
                span,
            },
            R::quantified => {
                let mut inner = pair.into_inner();
                let quantifier = inner
                    .next()
                    .map_or(Quantifier::Any, |q| self.quantifier(&q).node);
                let list = inner
                    .next()
                    .map(|l| self.name(l))
                    .unwrap_or_else(|| Spanned::new(String::new(), span));
                let body = inner.next().map(|b| self.expr(b)).unwrap_or(Expr {
                    kind: ExprKind::Bool(false),
                    span,
                });
                Expr {
                    kind: ExprKind::Quantified {
                        quantifier,
                        list,
                        body: Box::new(body),
                    },
                    span,
                }
            }
            R::test => {
                let mut inner = pair.into_inner();
                let path_pair = inner.next();
                let path = match path_pair {
                    Some(p) => Spanned::new(
                        p.as_str().split('.').map(str::to_owned).collect(),
                        self.span(&p),
                    ),
                    None => Spanned::new(Vec::new(), span),
                };
                let op = inner.next().map(|op| self.test_op(op));
                Expr {
                    kind: ExprKind::Test { path, op },
                    span,
                }
            }
            _ => Expr {
                kind: ExprKind::Bool(false),
                span,
            },
        }
    }

    fn test_op(&mut self, pair: Pair<'_, R>) -> TestOp {
        let pair_rule = pair.as_rule();
        let mut inner = pair.into_inner();
        match pair_rule {
            R::is_not_test => TestOp::IsNot(self.value_or_any(inner.next())),
            R::is_test => TestOp::Is(self.value_or_any(inner.next())),
            R::in_test => TestOp::In(inner.map(|v| self.value(v)).collect()),
            _ => {
                let op = match inner.next().map(|o| o.as_str()) {
                    Some("!=") => CmpOp::Ne,
                    Some("<") => CmpOp::Lt,
                    Some("<=") => CmpOp::Le,
                    Some(">") => CmpOp::Gt,
                    Some(">=") => CmpOp::Ge,
                    _ => CmpOp::Eq,
                };
                TestOp::Cmp(op, self.value_or_any(inner.next()))
            }
        }
    }

    fn value_or_any(&mut self, pair: Option<Pair<'_, R>>) -> Spanned<Value> {
        match pair {
            Some(p) => self.value(p),
            None => Spanned::new(Value::Any, Span::new(self.source, 0, 0)),
        }
    }

    fn value(&mut self, pair: Pair<'_, R>) -> Spanned<Value> {
        let span = self.span(&pair);
        let Some(inner) = pair.into_inner().next() else {
            return Spanned::new(Value::Any, span);
        };
        let v = match inner.as_rule() {
            R::int => Value::Int(self.int(inner).node),
            R::bool_value => Value::Bool(inner.as_str() == "true"),
            R::any_value => Value::Any,
            _ => Value::Name(inner.as_str().to_owned()),
        };
        Spanned::new(v, span)
    }
}

/// Find `//` comments outside strings.
fn collect_comments(source: SourceId, text: &str) -> Vec<Spanned<String>> {
    let mut out = Vec::new();
    let mut in_string = false;
    let mut escaped = false;
    let mut iter = text.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' || c == '\n' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        } else if c == '/' && iter.peek().map(|(_, n)| *n) == Some('/') {
            let end = text
                .get(i..)
                .and_then(|rest| rest.find('\n'))
                .map_or(text.len(), |n| i + n);
            let body = text.get(i..end).unwrap_or("").trim_end().to_owned();
            out.push(Spanned::new(body, Span::new(source, i, end)));
            while let Some((j, _)) = iter.peek() {
                if *j >= end {
                    break;
                }
                iter.next();
            }
        }
    }
    out
}
