//! AST back to text: the one canonical layout `haven fmt` writes, keeping every comment.
//!
//! Layout:
//! - the header, then a blank line, then the items; criteria lists, rules and tables always
//!   have a blank line before and after them; between other items (declarations, people,
//!   caveats) a blank line is kept where the source had one (never more than one);
//! - 2-space indent inside braces; no blank lines inside an item;
//! - one citation, condition, outcome, criterion or column per line; continuation lines
//!   (`ask`, a person's or criterion's `cites`) are indented 2 more than their item;
//! - table columns are aligned after the longest `key:`; a column's further outcomes go on
//!   their own lines under the first; each row is `row "label"`, then `when ...` and the
//!   cells on their own lines, 6 spaces in, with every column of `|` aligned;
//! - a condition is written on one line if that line fits in 100 columns; otherwise a
//!   top-level `and`/`or` puts each operand on its own line, the first after `when` and the
//!   rest indented 2 more and led by their `and`/`or` (nothing deeper is wrapped);
//!   parentheses appear where the tree needs them (a nested `and`/`or` of the same kind
//!   keeps them, so the tree is unchanged), around an `and` inside an `or`, and around a
//!   comparison under `not` (`not (actor is staff)`);
//! - a comment on a line of its own stays on a line of its own, before the line that
//!   followed it, indented like that line; a comment after code stays at the end of the
//!   line holding that code.
//!
//! Properties (tested in `tests/fmt.rs` and fuzzed): `parse(format(f)) == f` ignoring
//! spans, comments included, and `format` is idempotent.

use super::ast::*;
use crate::source::Spanned;

/// Longest line a condition is written on before it is split at its top-level `and`/`or`.
const MAX_WIDTH: usize = 100;

/// Write `file` in the canonical layout.
///
/// `source` is the text `file` was parsed from: comments are placed by their offsets in it,
/// and blank lines between top-level items are kept from it. For a tree built in code (with
/// no comments) pass `""`. The tree must be one the parser can produce (for example, `and`
/// and `or` have at least two operands and `in [...]` at least one value).
pub fn format(file: &File, source: &str) -> String {
    let src = Src {
        text: source.as_bytes(),
        comments: &file.comments,
    };
    let mut w = Writer {
        src,
        lines: Vec::new(),
    };
    w.header(&file.header);
    let mut prev: Option<&Item> = None;
    for item in &file.items {
        let gap = match prev {
            Some(p) if !is_block(p) && !is_block(item) => Gap::Keep,
            _ => Gap::Blank,
        };
        w.item(item, gap);
        prev = Some(item);
    }
    let Writer { src, lines } = w;
    render(&src, &lines)
}

fn is_block(item: &Item) -> bool {
    matches!(item, Item::Criteria(_) | Item::Rule(_) | Item::Table(_))
}

/// Whether a blank line may or must come before a line (and the comments just before it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Gap {
    /// Inside an item: never a blank line.
    Never,
    /// Between small items: a blank line where the source had one.
    Keep,
    /// Around blocks: at least one blank line.
    Blank,
}

/// One output line of code.
struct Line {
    indent: usize,
    text: String,
    /// Source offset of the line's first token (orders comments against code).
    start: usize,
    /// Source offset just past the line's last token (exact on the last line of an item).
    end: usize,
    gap: Gap,
    /// Indent of comments placed just before this line.
    comment_indent: usize,
}

/// The source text and its comments, for placing comments and keeping blank lines.
struct Src<'a> {
    text: &'a [u8],
    comments: &'a [Spanned<String>],
}

impl Src<'_> {
    fn byte(&self, i: usize) -> u8 {
        self.text.get(i).copied().unwrap_or(0)
    }

    /// The start of the comment that `p` lies in or just after, if any.
    fn comment_ending_at(&self, p: usize) -> Option<usize> {
        let i = self
            .comments
            .partition_point(|c| (c.span.start as usize) < p);
        let c = self.comments.get(i.checked_sub(1)?)?;
        (p <= c.span.end as usize).then_some(c.span.start as usize)
    }

    /// Step back from `p` over whitespace and comments.
    fn skip_back(&self, mut p: usize) -> usize {
        p = p.min(self.text.len());
        loop {
            while p > 0 && matches!(self.byte(p - 1), b' ' | b'\t' | b'\r' | b'\n') {
                p -= 1;
            }
            match self.comment_ending_at(p) {
                Some(start) if start < p => p = start,
                _ => return p,
            }
        }
    }

    /// The start of the keyword just before `p` (e.g. `when` before a condition).
    fn keyword_before(&self, p: usize) -> usize {
        let mut q = self.skip_back(p);
        while q > 0 && is_ident_byte(self.byte(q - 1)) {
            q -= 1;
        }
        q
    }

    /// The offset of the one-byte punctuation just before `p` (e.g. `{` or `|`).
    fn punct_before(&self, p: usize) -> usize {
        self.skip_back(p).saturating_sub(1)
    }

    /// Whether code precedes offset `p` on its line.
    fn code_before_on_line(&self, p: usize) -> bool {
        let mut q = p.min(self.text.len());
        while q > 0 {
            match self.byte(q - 1) {
                b'\n' => return false,
                b' ' | b'\t' | b'\r' => q -= 1,
                _ => return true,
            }
        }
        false
    }

    /// Whether the source has a blank line between offsets `a` and `b`.
    fn blank_between(&self, a: usize, b: usize) -> bool {
        let Some(slice) = self.text.get(a.min(b)..b.min(self.text.len())) else {
            return false;
        };
        let mut newlines = 0;
        for &c in slice {
            match c {
                b'\n' => {
                    newlines += 1;
                    if newlines >= 2 {
                        return true;
                    }
                }
                b' ' | b'\t' | b'\r' => {}
                _ => newlines = 0,
            }
        }
        false
    }
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

struct Writer<'a> {
    src: Src<'a>,
    lines: Vec<Line>,
}

impl Writer<'_> {
    fn push(&mut self, indent: usize, text: String, start: usize, gap: Gap) {
        self.lines.push(Line {
            indent,
            text,
            start,
            end: start,
            gap,
            comment_indent: indent,
        });
    }

    /// A closing brace at `indent`; comments just before it sit one level deeper.
    fn close(&mut self, indent: usize, start: usize) {
        self.push(indent, "}".to_owned(), start, Gap::Never);
        if let Some(line) = self.lines.last_mut() {
            line.comment_indent = indent + 2;
        }
    }

    /// Mark the end of an item: the last line ends where the item does.
    fn end_item(&mut self, end: usize) {
        if let Some(line) = self.lines.last_mut() {
            line.end = end.max(line.start);
        }
    }

    fn header(&mut self, h: &Header) {
        let kw = match h.kind {
            HeaderKind::Policy => "policy",
            HeaderKind::Module => "module",
        };
        let mut first = format!("{kw} {}", h.id.node);
        if let Some(title) = &h.title {
            first.push(' ');
            first.push_str(&quote(&title.node));
        }
        first.push_str(" {");
        let start = h.span.start as usize;
        self.push(0, first, start, Gap::Keep);
        for m in &h.meta {
            let (text, at) = match m {
                Meta::Extends(name) => (format!("extends {}", name.node), name.span.start),
                Meta::Use(name) => (format!("use {}", name.node), name.span.start),
                Meta::Date(key, date) => {
                    let key = match key {
                        DateKey::Adopted => "adopted",
                        DateKey::ReviewBy => "review_by",
                    };
                    (format!("{key} {}", date.node), date.span.start)
                }
                Meta::Text(key, text) => {
                    let key = match key {
                        TextKey::Version => "version",
                        TextKey::ApprovedBy => "approved_by",
                        TextKey::Source => "source",
                        TextKey::CiteAs => "cite_as",
                        TextKey::Layer => "layer",
                    };
                    (format!("{key} {}", quote(&text.node)), text.span.start)
                }
            };
            let at = self.src.keyword_before(at as usize);
            self.push(2, text, at, Gap::Never);
        }
        self.close(0, (h.span.end as usize).saturating_sub(1));
        self.end_item(h.span.end as usize);
    }

    fn item(&mut self, item: &Item, gap: Gap) {
        let span = item.span();
        let start = span.start as usize;
        let close_at = (span.end as usize).saturating_sub(1);
        match item {
            Item::Decl(d) => self.decl(d, start, gap),
            Item::Person(p) => {
                let mut text = format!("person {} holds {}", quote(&p.name.node), names(&p.roles));
                if p.roles.is_empty() {
                    text = format!("person {} holds", quote(&p.name.node));
                }
                self.push(0, text, start, gap);
                if let Some(c) = &p.cites {
                    self.cite(2, c);
                }
            }
            Item::Criteria(c) => {
                let mut text = format!("criteria {}", c.name.node);
                if let Some(title) = &c.title {
                    text.push(' ');
                    text.push_str(&quote(&title.node));
                }
                text.push(' ');
                text.push_str(quantifier(c.quantifier.node));
                text.push_str(" {");
                self.push(0, text, start, gap);
                if let Some(cite) = &c.cites {
                    self.cite(2, cite);
                }
                for criterion in &c.items {
                    let mut text = format!("{}: ", criterion.name.node);
                    expr(&criterion.expr, &mut text);
                    self.push(2, text, criterion.name.span.start as usize, Gap::Never);
                    if let Some(cite) = &criterion.cites {
                        self.cite(4, cite);
                    }
                }
                self.close(0, close_at);
            }
            Item::Rule(r) => {
                let mut text = String::new();
                if r.statutory {
                    text.push_str("statutory ");
                }
                match r.kind {
                    RuleKind::Plain => {}
                    RuleKind::Default => text.push_str("default "),
                    RuleKind::OnBreach => text.push_str("on breach "),
                }
                text.push_str("rule ");
                text.push_str(&r.name.node);
                for rel in &r.relations {
                    text.push_str(match rel.kind {
                        RelationKind::Overrides => " overrides ",
                        RelationKind::Replaces => " replaces ",
                    });
                    text.push_str(&rel.target.node);
                }
                text.push_str(" {");
                self.push(0, text, start, gap);
                for cite in &r.cites {
                    self.cite(2, cite);
                }
                if let Some(because) = &r.because {
                    let at = because.span.start as usize;
                    self.push(
                        2,
                        format!("because {}", quote(&because.node)),
                        at,
                        Gap::Never,
                    );
                }
                self.when(2, &r.when, "");
                for o in &r.outcomes {
                    let at = self.outcome_start(o);
                    self.push(2, outcome(o), at, Gap::Never);
                }
                self.close(0, close_at);
            }
            Item::Table(t) => self.table(t, start, close_at, gap),
            Item::Caveat(c) => {
                self.push(0, format!("caveat {}", quote(&c.text.node)), start, gap);
                for cite in &c.cites {
                    self.cite(2, cite);
                }
            }
            Item::Declines(d) => {
                let text = format!(
                    "declines {}: {}",
                    quote(&d.section.node),
                    quote(&d.quote.node)
                );
                self.push(0, text, start, gap);
                let at = self.src.keyword_before(d.reason.span.start as usize);
                let reason = format!("because {}", quote(&d.reason.node));
                self.push(2, reason, at, Gap::Never);
            }
            Item::Relation(r) => {
                let lit = |l: &FactLiteral| {
                    if l.negated {
                        format!("not {}", l.fact.node)
                    } else {
                        l.fact.node.clone()
                    }
                };
                let text = format!(
                    "relation {} implies {}",
                    lit(&r.antecedent),
                    lit(&r.consequent)
                );
                self.push(0, text, start, gap);
                if let Some(cite) = &r.cites {
                    self.cite(2, cite);
                }
            }
        }
        self.end_item(span.end as usize);
    }

    fn decl(&mut self, d: &Decl, start: usize, gap: Gap) {
        match &d.kind {
            DeclKind::Token {
                kind,
                name,
                parents,
                label,
                needs_target,
            } => {
                let mut text = format!("{} {}", kind.keyword(), name.node);
                if !parents.is_empty() {
                    text.push_str(" is ");
                    text.push_str(&names(parents));
                }
                if *needs_target {
                    text.push_str(" needs target");
                }
                if let Some(label) = label {
                    text.push(' ');
                    text.push_str(&quote(&label.node));
                }
                self.push(0, text, start, gap);
            }
            DeclKind::Fact {
                person,
                name,
                ty,
                ask,
            } => {
                let kw = if *person { "person_fact" } else { "fact" };
                let text = format!("{kw} {}: {}", name.node, fact_type(&ty.node));
                self.push(0, text, start, gap);
                if let Some(ask) = ask {
                    let at = self.src.keyword_before(ask.span.start as usize);
                    self.push(2, format!("ask {}", quote(&ask.node)), at, Gap::Never);
                }
            }
        }
    }

    fn cite(&mut self, indent: usize, c: &Cite) {
        self.push(indent, cite(c), c.span.start as usize, Gap::Never);
    }

    fn when(&mut self, indent: usize, e: &Expr, suffix: &str) {
        let mut text = "when ".to_owned();
        expr(e, &mut text);
        text.push_str(suffix);
        let at = self.src.keyword_before(e.span.start as usize);
        let (parts, joiner) = match &e.kind {
            ExprKind::And(parts) => (parts, "and "),
            ExprKind::Or(parts) => (parts, "or "),
            _ => {
                self.push(indent, text, at, Gap::Never);
                return;
            }
        };
        if indent + text.chars().count() <= MAX_WIDTH {
            self.push(indent, text, at, Gap::Never);
            return;
        }
        for (i, part) in parts.iter().enumerate() {
            let mut line = if i == 0 { "when " } else { joiner }.to_owned();
            operand(
                part,
                matches!(part.kind, ExprKind::Or(_) | ExprKind::And(_)),
                &mut line,
            );
            if i + 1 == parts.len() {
                line.push_str(suffix);
            }
            if i == 0 {
                self.push(indent, line, at, Gap::Never);
            } else {
                self.push(indent + 2, line, part.span.start as usize, Gap::Never);
            }
        }
    }

    fn outcome_start(&self, o: &Outcome) -> usize {
        match o {
            Outcome::Note(text) => self.src.keyword_before(text.span.start as usize),
            _ => o.span().start as usize,
        }
    }

    fn table(&mut self, t: &Table, start: usize, close_at: usize, gap: Gap) {
        let mut text = format!("table {}", t.name.node);
        if let Some(title) = &t.title {
            text.push(' ');
            text.push_str(&quote(&title.node));
        }
        text.push_str(" {");
        self.push(0, text, start, gap);
        for cite in &t.cites {
            self.cite(2, cite);
        }
        let hit_at = self.src.keyword_before(t.hit.span.start as usize);
        self.push(
            2,
            format!("hit {}", t.hit.node.keyword()),
            hit_at,
            Gap::Never,
        );
        if let Some(e) = &t.when {
            self.when(2, e, "");
        }
        // `columns {`: the keyword before the brace before the first column.
        let first_col = t
            .columns
            .first()
            .map_or(close_at, |c| c.span.start as usize);
        let brace = self.src.punct_before(first_col);
        let columns_at = self.src.keyword_before(brace);
        self.push(2, "columns {".to_owned(), columns_at, Gap::Never);
        let key_width = t
            .columns
            .iter()
            .map(|c| c.key.node.chars().count() + 1)
            .max()
            .unwrap_or(0);
        for c in &t.columns {
            let key = format!("{}:", c.key.node);
            let pad = key_width.saturating_sub(key.chars().count()) + 1;
            let mut outcomes = c.outcomes.iter();
            let mut text = key;
            if let Some(first) = outcomes.next() {
                text.push_str(&" ".repeat(pad));
                text.push_str(&outcome(first));
            }
            self.push(4, text, c.span.start as usize, Gap::Never);
            for o in outcomes {
                let at = self.outcome_start(o);
                self.push(4 + key_width + 1, outcome(o), at, Gap::Never);
            }
        }
        let first_row = t.rows.first().map_or(close_at, |r| r.span.start as usize);
        self.close(2, self.src.punct_before(first_row));
        let n_cells = t.rows.iter().map(|r| r.cells.len()).max().unwrap_or(0);
        let widths: Vec<usize> = (0..n_cells)
            .map(|i| {
                t.rows
                    .iter()
                    .filter_map(|r| r.cells.get(i))
                    .map(|c| c.node.as_deref().map_or(0, |s| s.chars().count()))
                    .max()
                    .unwrap_or(0)
                    .max(1)
            })
            .collect();
        for row in &t.rows {
            self.push(
                2,
                format!("row {}", quote(&row.label.node)),
                row.span.start as usize,
                Gap::Never,
            );
            let priority = row
                .priority
                .as_ref()
                .map(|p| format!(" priority {}", p.node))
                .unwrap_or_default();
            self.when(6, &row.when, &priority);
            let mut cells = "|".to_owned();
            for (i, cell) in row.cells.iter().enumerate() {
                let glyph = cell.node.as_deref().unwrap_or("");
                let width = widths.get(i).copied().unwrap_or(1);
                cells.push(' ');
                cells.push_str(glyph);
                cells.push_str(&" ".repeat(width.saturating_sub(glyph.chars().count())));
                cells.push_str(" |");
            }
            let first_cell = row.cells.first().map_or(row.span.end, |c| c.span.start);
            let bar = self.src.punct_before(first_cell as usize);
            self.push(6, cells, bar, Gap::Never);
            if let Some(c) = &row.cites {
                self.cite(6, c);
            }
        }
        self.close(0, close_at);
    }
}

/// One entry of the output: a line of code or a comment on a line of its own.
enum Entry {
    Code(usize),
    Comment {
        text: String,
        indent: usize,
        start: usize,
        end: usize,
    },
}

/// Interleave comments with the code lines, decide blank lines, and write the text.
fn render(src: &Src<'_>, lines: &[Line]) -> String {
    let mut entries: Vec<Entry> = Vec::with_capacity(lines.len() + src.comments.len());
    let mut trailing: Vec<Option<&str>> = vec![None; lines.len()];
    let mut next = 0usize;
    for c in src.comments {
        let c_start = c.span.start as usize;
        while let Some(line) = lines.get(next) {
            if line.start >= c_start {
                break;
            }
            entries.push(Entry::Code(next));
            next += 1;
        }
        if src.code_before_on_line(c_start) {
            if let Some(Entry::Code(i)) = entries.last() {
                if let Some(slot @ None) = trailing.get_mut(*i) {
                    *slot = Some(c.node.as_str());
                    continue;
                }
            }
        }
        let indent = lines.get(next).map_or(0, |l| l.comment_indent);
        entries.push(Entry::Comment {
            text: c.node.clone(),
            indent,
            start: c_start,
            end: c.span.end as usize,
        });
    }
    entries.extend((next..lines.len()).map(Entry::Code));

    let bounds = |e: &Entry| -> (usize, usize) {
        match e {
            Entry::Code(i) => lines.get(*i).map_or((0, 0), |l| (l.start, l.end)),
            Entry::Comment { start, end, .. } => (*start, *end),
        }
    };
    // The gap policy of each entry is that of the next code line.
    let mut gaps = vec![Gap::Keep; entries.len()];
    let mut following = Gap::Keep;
    for (k, e) in entries.iter().enumerate().rev() {
        if let Entry::Code(i) = e {
            following = lines.get(*i).map_or(Gap::Keep, |l| l.gap);
        }
        if let Some(g) = gaps.get_mut(k) {
            *g = following;
        }
    }
    let mut blank = vec![false; entries.len()];
    let mut run_start = 0usize;
    for k in 1..entries.len() {
        let (Some(prev), Some(cur), Some(&gap)) = (entries.get(k - 1), entries.get(k), gaps.get(k))
        else {
            continue;
        };
        if matches!(prev, Entry::Code(_)) {
            run_start = k;
        }
        let is_blank = gap != Gap::Never && src.blank_between(bounds(prev).1, bounds(cur).0);
        if let Some(b) = blank.get_mut(k) {
            *b = is_blank;
        }
        if gap == Gap::Blank && matches!(cur, Entry::Code(_)) {
            let any = blank
                .get(run_start..=k)
                .is_some_and(|r| r.iter().any(|b| *b));
            if !any {
                if let Some(b) = blank.get_mut(run_start) {
                    *b = true;
                }
            }
        }
    }

    let mut out = String::new();
    for (k, e) in entries.iter().enumerate() {
        if blank.get(k).copied().unwrap_or(false) {
            out.push('\n');
        }
        match e {
            Entry::Code(i) => {
                let Some(line) = lines.get(*i) else { continue };
                push_indent(&mut out, line.indent);
                out.push_str(&line.text);
                if let Some(Some(comment)) = trailing.get(*i) {
                    out.push(' ');
                    out.push_str(comment);
                }
            }
            Entry::Comment { text, indent, .. } => {
                push_indent(&mut out, *indent);
                out.push_str(text);
            }
        }
        out.push('\n');
    }
    out
}

fn push_indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// A string literal, escaped so the parser reads back the same text.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn names(list: &[Name]) -> String {
    list.iter()
        .map(|n| n.node.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn quantifier(q: Quantifier) -> &'static str {
    match q {
        Quantifier::Any => "any",
        Quantifier::All => "all",
    }
}

fn fact_type(ty: &FactType) -> String {
    match ty {
        FactType::Bool => "bool".to_owned(),
        FactType::Int { min, max } => format!("int {min}..{max}"),
        FactType::Role => "role".to_owned(),
        FactType::Enum(values) => format!("one_of [{}]", names(values)),
    }
}

fn cite(c: &Cite) -> String {
    let mut text = format!("cites {}", quote(&c.section.node));
    if let Some(q) = &c.quote {
        text.push_str(": ");
        text.push_str(&quote(&q.node));
    }
    text
}

fn outcome(o: &Outcome) -> String {
    match o {
        Outcome::Action(a) => {
            let mut text = format!("{} {}", a.modality.node.keyword(), a.action.node);
            let sep = match a.target_mode {
                TargetMode::Any => " or ",
                TargetMode::All => " and ",
            };
            for (i, t) in a.targets.iter().enumerate() {
                text.push_str(if i == 0 { " " } else { sep });
                text.push_str(&t.node);
            }
            if let Some(d) = &a.deadline {
                text.push_str(" due ");
                text.push_str(&d.node);
            }
            if let Some(by) = &a.by {
                text.push_str(" by ");
                text.push_str(&by.node);
            }
            text
        }
        Outcome::Permission(p) => {
            let mut text = format!("permission {}", p.verdict.node.keyword());
            if !p.conditions.is_empty() {
                let conds: Vec<String> = p
                    .conditions
                    .iter()
                    .map(|c| format!("{} {}", c.kind.keyword(), c.value.node))
                    .collect();
                text.push_str(" [");
                text.push_str(&conds.join(", "));
                text.push(']');
            }
            text
        }
        Outcome::Breach(_) => "breach".to_owned(),
        Outcome::Note(n) => format!("note {}", quote(&n.node)),
    }
}

/// Write a condition with the parentheses its tree needs, plus those that help a reader.
fn expr(e: &Expr, out: &mut String) {
    match &e.kind {
        ExprKind::Or(parts) => {
            for (i, p) in parts.iter().enumerate() {
                if i > 0 {
                    out.push_str(" or ");
                }
                // `and` binds tighter, but readers should not need to know.
                operand(p, matches!(p.kind, ExprKind::Or(_) | ExprKind::And(_)), out);
            }
        }
        ExprKind::And(parts) => {
            for (i, p) in parts.iter().enumerate() {
                if i > 0 {
                    out.push_str(" and ");
                }
                operand(p, matches!(p.kind, ExprKind::Or(_) | ExprKind::And(_)), out);
            }
        }
        ExprKind::Not(inner) => {
            out.push_str("not ");
            // `not (actor is staff)`: a negated comparison reads better in parentheses.
            let parens = match &inner.kind {
                ExprKind::Or(_) | ExprKind::And(_) => true,
                ExprKind::Test { op, .. } => op.is_some(),
                _ => false,
            };
            operand(inner, parens, out);
        }
        ExprKind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        ExprKind::Todo(text) => {
            out.push_str("todo ");
            out.push_str(&quote(&text.node));
        }
        ExprKind::Quantified {
            quantifier: q,
            list,
            body,
        } => {
            out.push_str(quantifier(*q));
            out.push('(');
            out.push_str(&list.node);
            out.push_str(": ");
            expr(body, out);
            out.push(')');
        }
        ExprKind::Test { path, op } => {
            out.push_str(&path.node.join("."));
            match op {
                None => {}
                Some(TestOp::Is(v)) => {
                    out.push_str(" is ");
                    out.push_str(&v.node.to_string());
                }
                Some(TestOp::IsNot(v)) => {
                    out.push_str(" is not ");
                    out.push_str(&v.node.to_string());
                }
                Some(TestOp::In(values)) => {
                    let values: Vec<String> = values.iter().map(|v| v.node.to_string()).collect();
                    out.push_str(" in [");
                    out.push_str(&values.join(", "));
                    out.push(']');
                }
                Some(TestOp::Cmp(op, v)) => {
                    out.push(' ');
                    out.push_str(op.symbol());
                    out.push(' ');
                    out.push_str(&v.node.to_string());
                }
            }
        }
    }
}

fn operand(e: &Expr, parens: bool, out: &mut String) {
    if parens {
        out.push('(');
        expr(e, out);
        out.push(')');
    } else {
        expr(e, out);
    }
}
