//! Source text to [`ast::File`]. pest's `Pairs` never leave this module.

use super::ast::*;
use super::grammar::{HavenParser, Rule as R};
use crate::diagnostic::Diagnostic;
use crate::limits::Limits;
use crate::source::{SourceId, Span, Spanned};
use pest::iterators::Pair;
use pest::Parser as _;
use std::sync::{Mutex, PoisonError};

/// Parse one file. Returns the tree if the text is well-formed, plus every diagnostic.
pub fn parse(source: SourceId, text: &str, limits: &Limits) -> (Option<File>, Vec<Diagnostic>) {
    // A byte-order mark (Notepad and Word add one) reads as three spaces, so every offset
    // still points at the same byte of the file.
    let without_bom;
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => {
            without_bom = format!("   {rest}");
            without_bom.as_str()
        }
        None => text,
    };
    if let Some(diag) = precheck(source, text, limits) {
        return (None, vec![diag]);
    }
    pest::set_call_limit(std::num::NonZeroUsize::new(limits.parser_call_limit));
    let pairs = match HavenParser::parse(R::file, text) {
        Ok(pairs) => pairs,
        Err(err) => {
            let detail = || detailed_attempts(text);
            return (None, vec![translate_error(source, text, err, detail)]);
        }
    };
    let Some(file_pair) = pairs.into_iter().next() else {
        return (None, Vec::new());
    };
    // Strings and table ticks may hold `//` or `"`: only pest knows where they are.
    let mut opaque: Vec<(usize, usize)> = Vec::new();
    for p in file_pair.clone().into_inner().flatten() {
        let span = p.as_span();
        if matches!(p.as_rule(), R::string | R::tick) {
            opaque.push((span.start(), span.end()));
        }
        if let Some(diag) = glued_keyword(source, text, span.start()) {
            return (None, vec![diag]);
        }
    }
    let mut cx = Cx {
        source,
        text,
        comments: collect_comments(source, text, &opaque),
        diags: Vec::new(),
        max_depth: limits.max_nesting,
        depth: 0,
        depth_reported: false,
    };
    let file = cx.file(file_pair);
    (Some(file), cx.diags)
}

/// The grammar matches some keywords (`not`, `and`, `or`, `is`, `when`, ...) without
/// requiring a word boundary after them, so `notify_parents` in a condition would be read as
/// `not ify_parents`. Two name characters on either side of a token boundary can only come
/// from such a split: report it rather than silently read something else.
fn glued_keyword(source: SourceId, text: &str, start: usize) -> Option<Diagnostic> {
    let bytes = text.as_bytes();
    let is_name = |i: usize| {
        bytes
            .get(i)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
    };
    if start == 0 || !is_name(start - 1) || !is_name(start) {
        return None;
    }
    let mut word_start = start;
    while word_start > 0 && is_name(word_start - 1) {
        word_start -= 1;
    }
    let mut word_end = start;
    while is_name(word_end) {
        word_end += 1;
    }
    let word = text.get(word_start..word_end)?;
    let keyword = text.get(word_start..start)?;
    let rest = text.get(start..word_end)?;
    Some(
        Diagnostic::error(
            "haven::parse::glued_keyword",
            format!("`{}` is read as the keyword `{keyword}` followed by `{}`", truncate(word, 40), truncate(rest, 40)),
            Span::new(source, word_start, word_end.min(word_start + 64)),
        )
        .with_label(format!("`{keyword}` then `{}`", truncate(rest, 40)))
        .with_help(format!(
            "here the parser reads a name that starts with `{keyword}` as that keyword: rename `{}`, or write `{keyword} {}` if that was meant",
            truncate(word, 40),
            truncate(rest, 40)
        )),
    )
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
    let too_deep = |i: usize| {
        Diagnostic::error(
            "haven::parse::nesting_too_deep",
            format!("nesting too deep (limit {})", limits.max_nesting),
            Span::new(source, i, i + 1),
        )
        .with_label("this bracket is too deeply nested")
        .with_help("split the condition into criteria lists")
    };
    let mut depth = 0usize;
    // Brackets of the current line counted everywhere, strings and comments included: a
    // table tick such as `a"` is not a string to pest, so brackets after it on the same line
    // may be real. Strings and comments end at the line's end, so the line bound suffices.
    let mut line_depth = 0usize;
    let mut in_string = false;
    let mut in_comment = false;
    let mut escaped = false;
    let mut prev = 0u8;
    // Byte by byte: every character that matters is ASCII, and no byte of a multi-byte
    // character is ASCII, so the offsets and states are those of a walk over characters.
    for (i, &c) in text.as_bytes().iter().enumerate() {
        if !matches!(
            c,
            b'(' | b'[' | b'{' | b')' | b']' | b'}' | b'"' | b'\\' | b'/' | b'\n'
        ) {
            // Any other byte only ends an escape and is not a `/`.
            escaped = false;
            prev = 0;
            continue;
        }
        if matches!(c, b'(' | b'[' | b'{') {
            line_depth += 1;
            if line_depth > limits.max_nesting {
                return Some(too_deep(i));
            }
        } else if matches!(c, b')' | b']' | b'}') {
            line_depth = line_depth.saturating_sub(1);
        }
        if in_comment {
            if c == b'\n' {
                in_comment = false;
            }
        } else if in_string {
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' || c == b'\n' {
                in_string = false;
            }
        } else if c == b'"' {
            in_string = true;
        } else if c == b'/' && prev == b'/' {
            in_comment = true;
        } else if matches!(c, b'(' | b'[' | b'{') {
            depth += 1;
            if depth > limits.max_nesting {
                return Some(too_deep(i));
            }
        } else if matches!(c, b')' | b']' | b'}') {
            depth = depth.saturating_sub(1);
        }
        if c == b'\n' {
            line_depth = depth;
        }
        prev = if in_comment { 0 } else { c };
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
        R::item => {
            "a declaration, `person`, `criteria`, `rule`, `table`, `caveat` or `relation`"
        }
        R::rule_kind | R::default_kw | R::on_breach => "`default` or `on breach`",
        R::because => "`because \"…\"`",
        R::fact_relation => "`relation`",
        R::fact_literal => "a yes/no fact",
        R::decl | R::token_decl | R::token_kind => "a vocabulary declaration",
        R::needs_target => "`needs target`",
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
        R::declines => "`declines`",
        R::expr | R::and_expr | R::not_expr | R::atom | R::test => "a condition",
        R::not_kw => "`not`",
        R::quantified => "`any(...)` or `all(...)`",
        R::literal_bool | R::bool_value => "`true` or `false`",
        R::todo => "`todo`",
        R::is_not_test | R::is_test => "`is`",
        R::in_test => "`in [...]`",
        R::compare | R::compare_op => "a comparison",
        R::path => "a name or dotted path",
        R::value | R::any_value => "a value",
        R::ident_list => "a list of names",
        R::file => "a policy",
        R::EOI => "end of file",
        R::keyword => "a keyword",
        R::WHITESPACE | R::comment_body | R::ident_char => "whitespace",
    }
}

/// What pest's detailed attempts say: the furthest position reached and the literal words
/// expected there.
struct Detail {
    position: usize,
    tokens: Vec<String>,
}

/// Parse again with pest's error detail on, to learn the literal words expected at the
/// furthest position reached (plain errors name only grammar rules, and sometimes stop at
/// the start of the item). The switch is process-wide, so detailed parses take turns.
fn detailed_attempts(text: &str) -> Option<Detail> {
    static DETAIL: Mutex<()> = Mutex::new(());
    let _turn = DETAIL.lock().unwrap_or_else(PoisonError::into_inner);
    pest::set_error_detail(true);
    let result = HavenParser::parse(R::file, text);
    pest::set_error_detail(false);
    let attempts = result.err()?.parse_attempts()?;
    // Keep the words worth naming: not whitespace, comments, the characters of a name or
    // character ranges (displayed as `a..z`).
    let tokens = attempts
        .expected_tokens()
        .into_iter()
        .map(|t| t.to_string())
        .filter(|t| {
            let range = t.chars().count() == 4 && t.get(1..3) == Some("..");
            !(t.trim().is_empty() || t == "//" || t == "_" || t == "BUILTIN_RULE" || range)
        })
        .collect();
    Some(Detail {
        position: attempts.max_position,
        tokens,
    })
}

fn one_of(names: &[String]) -> String {
    match names {
        [] => "something else".to_owned(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

fn is_keyword(word: &str) -> bool {
    HavenParser::parse(R::keyword, word).is_ok_and(|p| p.as_str() == word)
}

/// A hint for a syntax error, from what was expected and what was found.
fn syntax_help(expected: &[String], tokens: &[String], found: &str) -> String {
    let wants = |s: &str| expected.iter().any(|e| e.contains(s));
    let word: String = found
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if found.is_empty() {
        return "the file ends too early: is a closing `}` missing?".to_owned();
    }
    if found.starts_with("/*") {
        return "comments start with `//` and run to the end of the line".to_owned();
    }
    if found.starts_with('\'') && wants("a string") {
        return "strings use double quotes: `\"...\"`".to_owned();
    }
    if wants("a string") {
        return "write text in double quotes, e.g. `cites \"§2 Roles\"` or `version \"1\"`"
            .to_owned();
    }
    if found.starts_with(';') {
        return "write one outcome per line, without `;`".to_owned();
    }
    if found.starts_with('=') && !found.starts_with("==") {
        return "compare with `is` (`actor is pupil`) or `==` (`actor.year_group == 6`)".to_owned();
    }
    if tokens.iter().any(|t| t == ")") {
        return "is a closing `)` missing?".to_owned();
    }
    if wants("a name") && !word.is_empty() && word.len() == found.len() && is_keyword(&word) {
        return format!("`{word}` is a reserved word: choose another name");
    }
    if wants("metadata line") {
        return if is_keyword(&word) || matches!(word.as_str(), "fact" | "person_fact") {
            "the header holds only metadata lines: is its closing `}` missing?".to_owned()
        } else {
            "the header accepts `version`, `adopted`, `review_by`, `approved_by`, `source`, `cite_as`, `extends` and `use`".to_owned()
        };
    }
    if wants("`policy` or `module`") {
        return "a file starts with `policy ID \"Title\" { version \"1\" ... }` or `module ID { ... }`"
            .to_owned();
    }
    if wants("end of file") && found.starts_with('}') {
        return "this `}` closes nothing: remove it, or the `{` it was meant to close is missing"
            .to_owned();
    }
    if wants("end of file") {
        return "after the header come declarations, `person`, `criteria`, `rule`, `table` and `caveat`; comments start with `//`".to_owned();
    }
    if wants("`when`") && wants("`cites`") {
        return "a rule is `rule ID { cites ... when CONDITION OUTCOME... }`: the `when` line is missing".to_owned();
    }
    if wants("`when`") {
        return "a row is `row \"label\" when CONDITION | cell | cell |`".to_owned();
    }
    if wants("`hit") {
        return "a table gives its hit policy after its citations: `hit collect`, `hit first`, `hit unique` or `hit priority`".to_owned();
    }
    if wants("table cells") {
        return "a row ends with one cell per column between `|`, e.g. `| X |   |`".to_owned();
    }
    if wants("`any` or `all`") {
        return "write `any` (one item suffices) or `all` (every item must hold) before `{`"
            .to_owned();
    }
    if wants("a type") {
        return "fact types are `bool`, `int MIN..MAX`, `role` and `one_of [a, b]`".to_owned();
    }
    if wants("a verdict") {
        return "a permission is `allowed`, `not_allowed` or `allowed_if [approval ROLE, ...]`"
            .to_owned();
    }
    if wants("`approval`") {
        return "conditions of `allowed_if` are `approval ROLE`, `consent FACT`, `place LOCATION` and `time TIME`".to_owned();
    }
    if wants("a date") {
        return "write dates as `YYYY-MM` or `YYYY-MM-DD`".to_owned();
    }
    if wants("an outcome") && found.starts_with('}') {
        return "a rule needs at least one outcome before `}`: `must ACTION`, `permission ...`, `breach` or `note \"...\"`".to_owned();
    }
    if wants("an outcome") {
        return "outcomes start with `must`, `must_not`, `should`, `should_not`, `may`, `permission`, `breach` or `note`".to_owned();
    }
    if wants("a value") && found.starts_with(']') {
        return "a list holds at least one value: `category in [a, b]`".to_owned();
    }
    if wants("a value") {
        return "a comparison needs a value after it: a name, a number, `true`, `false` or `any`"
            .to_owned();
    }
    if wants("a condition") || wants("a name or dotted path") {
        return "a condition is missing here (after `when`, `and`, `or` or `not`)".to_owned();
    }
    if wants("a name") && found.starts_with('}') {
        return "a criteria list holds at least one item: `c1: CONDITION`".to_owned();
    }
    if wants("a name") {
        return "names start with a letter or `_` and hold letters, digits and `_`".to_owned();
    }
    format!("expected {} here", one_of(expected))
}

/// The deadline tokens of the decision contract (DESIGN §5), recognised by the parser when
/// one is written without `due`.
const CONTRACT_DEADLINES: &[&str] = &[
    "immediately",
    "same_day",
    "end_of_day",
    "within_1_working_day",
    "as_soon_as_practicable",
    "termly",
    "annually",
];

fn translate_error(
    source: SourceId,
    text: &str,
    err: pest::error::Error<R>,
    detail: impl FnOnce() -> Option<Detail>,
) -> Diagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    let mut start = match err.location {
        InputLocation::Pos(p) | InputLocation::Span((p, _)) => p,
    };
    let whole = err.to_string();
    if whole.contains("call limit") || whole.contains("stack limit") {
        let span = Span::new(source, start, start);
        return Diagnostic::error(
            "haven::parse::too_complex",
            "policy is too complex to parse",
            span,
        )
        .with_label("the parser gave up here")
        .with_help("split it into smaller rules or modules");
    }
    let mut names: Vec<String> = match &err.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            positives.iter().map(|r| rule_name(r).to_owned()).collect()
        }
        ErrorVariant::CustomError { message } => vec![message.clone()],
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
        .with_help("a string ends with `\"` on the same line; write `\\\"` for a quote inside it");
    }
    let (position, tokens) = detail().map_or((0, Vec::new()), |d| (d.position, d.tokens));
    // pest sometimes reports the start of the item when a literal word (`:`, `holds`) was
    // missing further on: the detailed attempts know the word and the place.
    let later_word = position > start
        && text
            .get(start..position)
            .is_some_and(|between| between.contains(char::is_whitespace));
    let missing_word = later_word && !tokens.is_empty();
    if missing_word {
        start = position;
        names = tokens.iter().map(|t| format!("`{t}`")).collect();
    }
    names.sort_unstable();
    names.dedup();
    // `and` / `or` may follow any complete condition: naming them beside what else was
    // expected only adds noise.
    if names.len() > 1 {
        names.retain(|n| n != "`and`" && n != "`or`");
    }
    let expected = one_of(&names);
    // Underline the word at the error position (at most 40 characters of it), or the one
    // character pest cannot read (a no-break space copied from a document, say).
    let rest = text.get(start..).unwrap_or("");
    let (found_end, found_text) = match rest.chars().next() {
        None => (start, "end of file".to_owned()),
        Some(c) if c.is_whitespace() => (
            start + c.len_utf8(),
            format!("the invisible character U+{:04X}", u32::from(c)),
        ),
        Some(_) => {
            let word = rest
                .char_indices()
                .take_while(|(_, c)| !c.is_whitespace())
                .take(40)
                .last()
                .map_or(0, |(i, c)| i + c.len_utf8());
            let found = rest.get(..word).unwrap_or("");
            (start + word, format!("`{}`", truncate(found, 40)))
        }
    };
    let found = text.get(start..found_end).unwrap_or("");
    let span = Span::new(source, start, found_end);
    // Operators from other languages: haven spells them as words.
    let operator = [
        ("&&", "and"),
        ("||", "or"),
        ("!=", ""),
        ("!", "not"),
        ("&", "and"),
        ("|", ""),
    ]
    .into_iter()
    .find(|(symbol, _)| found.starts_with(symbol))
    .filter(|(_, word)| !word.is_empty());
    if let Some((symbol, word)) = operator {
        let op = Span::new(source, start, start + symbol.len());
        return Diagnostic::error(
            "haven::parse::syntax",
            format!("expected {expected}, found `{symbol}`"),
            op,
        )
        .with_label(format!("write `{word}`"))
        .with_help(format!(
            "did you mean `{word}`? conditions join with the words `and`, `or` and `not`"
        ))
        .with_fix(op, word, format!("replace with `{word}`"));
    }
    // `must notify dsl immediately`: the deadline without its `due`.
    if names.iter().any(|n| n == "`due`") && CONTRACT_DEADLINES.contains(&found) {
        return Diagnostic::error(
            "haven::parse::syntax",
            format!("expected {expected}, found `{found}`"),
            span,
        )
        .with_label("a deadline follows `due`")
        .with_help(format!("did you mean `due {found}`?"))
        .with_fix(span, format!("due {found}"), format!("write `due {found}`"));
    }
    let help = if missing_word {
        format!("is {expected} missing before {found_text}?")
    } else if found.chars().next().is_some_and(char::is_whitespace) {
        "replace it with an ordinary space (such characters come with text copied from a document)"
            .to_owned()
    } else {
        syntax_help(&names, &tokens, found)
    };
    Diagnostic::error(
        "haven::parse::syntax",
        format!("expected {expected}, found {found_text}"),
        span,
    )
    .with_label(format!("expected {expected}"))
    .with_help(help)
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

struct Cx<'t> {
    source: SourceId,
    text: &'t str,
    /// Every comment, in source order (moved into the [`File`] at the end).
    comments: Vec<Spanned<String>>,
    diags: Vec<Diagnostic>,
    /// Deepest nesting of `not`, parentheses and quantifiers in a condition.
    max_depth: usize,
    depth: usize,
    depth_reported: bool,
}

impl Cx<'_> {
    /// A pair's span without the whitespace and comments pest skips after a trailing
    /// optional part (so `permission allowed` does not underline the next line).
    fn span(&self, pair: &Pair<'_, R>) -> Span {
        let s = pair.as_span();
        let (start, mut end) = (s.start(), s.end());
        let bytes = self.text.as_bytes();
        loop {
            while end > start
                && bytes
                    .get(end - 1)
                    .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
            {
                end -= 1;
            }
            let i = self
                .comments
                .partition_point(|c| (c.span.start as usize) < end);
            match i.checked_sub(1).and_then(|i| self.comments.get(i)) {
                Some(c) if c.span.start as usize >= start && end <= c.span.end as usize => {
                    end = c.span.start as usize;
                }
                _ => break,
            }
        }
        Span::new(self.source, start, end)
    }

    /// Enter `levels` levels of condition nesting; false (with one error) past the limit.
    fn enter(&mut self, levels: usize, span: Span, what: &str) -> bool {
        self.depth += levels;
        if self.depth <= self.max_depth {
            return true;
        }
        if !self.depth_reported {
            self.depth_reported = true;
            self.diags.push(
                Diagnostic::error(
                    "haven::parse::nesting_too_deep",
                    format!("condition nested too deeply (limit {})", self.max_depth),
                    span,
                )
                .with_label(format!("this {what} is too deeply nested"))
                .with_help("split the condition into criteria lists; `not not x` is just `x`"),
            );
        }
        false
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
        // Most strings hold no escape: copied whole.
        if !inner.contains('\\') {
            return Spanned::new(inner.to_owned(), span);
        }
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

    fn file(&mut self, pair: Pair<'_, R>) -> File {
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
            comments: std::mem::take(&mut self.comments),
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
                    "layer" => TextKey::Layer,
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
            R::declines => Item::Declines(self.declines(pair)),
            R::fact_relation => Item::Relation(self.fact_relation(pair)),
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
                    needs_target: false,
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
                let mut needs_target = false;
                for p in parts {
                    match p.as_rule() {
                        R::ident => name = self.name(p),
                        R::ident_list => parents = self.ident_list(p),
                        R::needs_target => needs_target = true,
                        R::string => label = Some(self.text(p)),
                        _ => {}
                    }
                }
                DeclKind::Token {
                    kind,
                    name,
                    parents,
                    label,
                    needs_target,
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
            kind: RuleKind::Plain,
            because: None,
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
                R::rule_kind => {
                    rule.kind = match p.into_inner().next().map(|k| k.as_rule()) {
                        Some(R::on_breach) => RuleKind::OnBreach,
                        _ => RuleKind::Default,
                    }
                }
                R::because => {
                    if let Some(s) = p.into_inner().next() {
                        rule.because = Some(self.text(s));
                    }
                }
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

    fn fact_relation(&mut self, pair: Pair<'_, R>) -> FactRelation {
        let span = self.span(&pair);
        let mut literals = Vec::new();
        let mut cites = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                R::fact_literal => {
                    let mut negated = false;
                    let mut fact = Spanned::new(String::new(), span);
                    for q in p.into_inner() {
                        match q.as_rule() {
                            R::not_kw => negated = true,
                            _ => fact = self.name(q),
                        }
                    }
                    literals.push(FactLiteral { negated, fact });
                }
                R::cites => cites = Some(self.cites(p)),
                _ => {}
            }
        }
        let mut literals = literals.into_iter();
        let empty = || FactLiteral {
            negated: false,
            fact: Spanned::new(String::new(), span),
        };
        FactRelation {
            antecedent: literals.next().unwrap_or_else(empty),
            consequent: literals.next().unwrap_or_else(empty),
            cites,
            span,
        }
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

    fn declines(&mut self, pair: Pair<'_, R>) -> Declines {
        let span = self.span(&pair);
        let mut texts = pair.into_inner().map(|p| self.text(p));
        let mut next = || {
            texts
                .next()
                .unwrap_or_else(|| Spanned::new(String::new(), span))
        };
        let (section, quote, reason) = (next(), next(), next());
        Declines {
            section,
            quote,
            reason,
            span,
        }
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
                // Each `not` is one level of the tree: `not not ... x` must stay shallow.
                let budget = self.max_depth.saturating_sub(self.depth);
                let mut nots = 0usize;
                let mut atom = None;
                let mut crossing = span;
                for p in pair.into_inner() {
                    match p.as_rule() {
                        R::not_kw => {
                            nots += 1;
                            if nots == budget + 1 {
                                crossing = self.span(&p);
                            }
                        }
                        _ => atom = Some(p),
                    }
                }
                let ok = nots == 0 || self.enter(nots, crossing, "`not`");
                let atom = if ok { atom.map(|p| self.expr(p)) } else { None };
                self.depth = self.depth.saturating_sub(nots);
                if !ok {
                    nots = 0;
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
                // `( expr )`: one level deeper.
                Some(inner) if inner.as_rule() == R::expr => {
                    let open = Span::new(self.source, span.start as usize, span.start as usize + 1);
                    let e = if self.enter(1, open, "parenthesis") {
                        self.expr(inner)
                    } else {
                        Expr {
                            kind: ExprKind::Bool(false),
                            span,
                        }
                    };
                    self.depth = self.depth.saturating_sub(1);
                    e
                }
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
            R::todo => {
                let text = pair
                    .into_inner()
                    .next()
                    .map(|s| self.text(s))
                    .unwrap_or_else(|| Spanned::new(String::new(), span));
                Expr {
                    kind: ExprKind::Todo(text),
                    span,
                }
            }
            R::quantified => {
                let word = Span::new(self.source, span.start as usize, span.start as usize + 3);
                let e = if self.enter(1, word, "quantifier") {
                    self.quantified(pair, span)
                } else {
                    Expr {
                        kind: ExprKind::Bool(false),
                        span,
                    }
                };
                self.depth = self.depth.saturating_sub(1);
                e
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

    /// `any(people: ...)`
    fn quantified(&mut self, pair: Pair<'_, R>, span: Span) -> Expr {
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

/// Find `//` comments: outside strings and table ticks (`opaque`, as pest found them,
/// sorted), a `//` starts a comment that runs to the end of the line.
fn collect_comments(
    source: SourceId,
    text: &str,
    opaque: &[(usize, usize)],
) -> Vec<Spanned<String>> {
    let mut out = Vec::new();
    let mut opaque = opaque.iter().peekable();
    let mut i = 0usize;
    // From each `//` that no string or tick contains, to the end of its line. Each `/` is
    // found by `memchr` (`str::find` of a `char`), not byte by byte.
    while let Some(at) = text.get(i..).and_then(|rest| rest.find('/')) {
        let at = i + at;
        if text.as_bytes().get(at + 1) != Some(&b'/') {
            i = at + 1;
            continue;
        }
        while opaque.peek().is_some_and(|(_, end)| *end <= at) {
            opaque.next();
        }
        if let Some(&&(start, end)) = opaque.peek() {
            if start <= at {
                i = end;
                continue;
            }
        }
        let end = text
            .get(at..)
            .and_then(|rest| rest.find('\n'))
            .map_or(text.len(), |n| at + n);
        let body = text.get(at..end).unwrap_or("").trim_end().to_owned();
        out.push(Spanned::new(body, Span::new(source, at, end)));
        i = end;
    }
    out
}
