//! Diagnostics: what parse and check report, and how they are rendered.
//!
//! Every diagnostic has a stable code (`haven::<stage>::<name>`), a lowercase message, an
//! optional help line and labelled spans. Rendering uses `codespan-reporting` in the
//! rustc style; [`DetailedError`] is the serde form for `--format json` and the bindings.

use crate::source::{SourceId, Sources, Span};
use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::{Error as FilesError, Files};
use codespan_reporting::term;
use serde::Serialize;
use std::collections::HashMap;

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational; never fails a check.
    Warning,
    /// The policy cannot be used.
    Error,
}

/// A labelled span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What to say there (may be empty).
    pub message: String,
    /// The primary label is underlined with `^`; secondary ones with `-`.
    pub primary: bool,
}

/// One finding of the parser or the checker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Stable code, e.g. `haven::check::unknown_role`.
    pub code: &'static str,
    /// One lowercase sentence without a final period.
    pub message: String,
    /// A hint on how to fix it.
    pub help: Option<String>,
    /// Labelled spans; the first primary label is the location.
    pub labels: Vec<Label>,
    /// A machine-applicable fix, when the checker knows one (an editor offers it as a
    /// quick fix).
    pub fix: Option<Fix>,
}

/// A replacement that fixes a diagnostic: put `replacement` where `span` is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    /// What the fix does, e.g. "replace with `sharing_nudes`".
    pub title: String,
    /// The text to replace.
    pub span: Span,
    /// What to write instead.
    pub replacement: String,
}

impl Diagnostic {
    /// An error at `span`.
    pub fn error(code: &'static str, message: impl Into<String>, span: Span) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            help: None,
            labels: vec![Label {
                span,
                message: String::new(),
                primary: true,
            }],
            fix: None,
        }
    }

    /// A warning at `span`.
    pub fn warning(code: &'static str, message: impl Into<String>, span: Span) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message, span)
        }
    }

    /// Set the primary label's text.
    pub fn with_label(mut self, message: impl Into<String>) -> Self {
        if let Some(label) = self.labels.first_mut() {
            label.message = message.into();
        }
        self
    }

    /// Add a secondary label.
    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: false,
        });
        self
    }

    /// Add a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Suggest `name` in place of the primary span: a "did you mean" help line and the
    /// matching fix.
    pub fn with_suggestion(self, name: impl Into<String>) -> Self {
        let name = name.into();
        let help = format!("did you mean `{name}`?");
        match self.span() {
            Some(span) => self
                .with_fix(span, name.clone(), format!("replace with `{name}`"))
                .with_help(help),
            None => self.with_help(help),
        }
    }

    /// Attach a fix: write `replacement` over `span`.
    pub fn with_fix(
        mut self,
        span: Span,
        replacement: impl Into<String>,
        title: impl Into<String>,
    ) -> Self {
        self.fix = Some(Fix {
            title: title.into(),
            span,
            replacement: replacement.into(),
        });
        self
    }

    /// The primary span.
    pub fn span(&self) -> Option<Span> {
        self.labels.iter().find(|l| l.primary).map(|l| l.span)
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    fn to_codespan(&self) -> cs::Diagnostic<u32> {
        let base = match self.severity {
            Severity::Error => cs::Diagnostic::error(),
            Severity::Warning => cs::Diagnostic::warning(),
        };
        let labels = self
            .labels
            .iter()
            .map(|l| {
                let label = if l.primary {
                    cs::Label::primary(l.span.source.0, l.span.range())
                } else {
                    cs::Label::secondary(l.span.source.0, l.span.range())
                };
                label.with_message(l.message.clone())
            })
            .collect();
        let notes = self
            .help
            .iter()
            .map(|h| format!("help: {h}"))
            .collect::<Vec<_>>();
        base.with_message(&self.message)
            .with_code(self.code)
            .with_labels(labels)
            .with_notes(notes)
    }

    /// Render rustc-style, without colour. Source lines longer than 240
    /// bytes are shown as a window around the label (`…` marks the cut), so a minified or
    /// 10 MB one-line file never floods the terminal; line and column numbers stay exact.
    pub fn render(&self, sources: &Sources) -> String {
        let mut out = String::new();
        let config = term::Config::default();
        let mut diagnostic = self.to_codespan();
        // One `Files` type for every rendering (one copy of the renderer in the binary).
        let view = Clipped::new(sources, &self.labels);
        for label in &mut diagnostic.labels {
            let file = label.file_id;
            label.range = view.map(file, label.range.start)..view.map(file, label.range.end);
        }
        let emitted = term::emit_to_string(&mut out, &config, &view, &diagnostic);
        if emitted.is_err() {
            // A span outside its file: still say what is wrong.
            out = format!(
                "{}[{}]: {}\n",
                self.severity_word(),
                self.code,
                self.message
            );
        }
        out
    }

    fn severity_word(&self) -> &'static str {
        match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }

    /// One line: `file:line:col: error[code]: message`, for screen readers and logs.
    pub fn render_plain(&self, sources: &Sources) -> String {
        let loc = self.span().and_then(|span| {
            let file = sources.get(span.source)?;
            let (line, col) = file.line_col(span.start as usize);
            Some(format!("{}:{line}:{col}: ", file.name))
        });
        let mut out = format!(
            "{}{}[{}]: {}",
            loc.unwrap_or_default(),
            self.severity_word(),
            self.code,
            self.message
        );
        if let Some(help) = &self.help {
            out.push_str(" (help: ");
            out.push_str(help);
            out.push(')');
        }
        out
    }

    /// The serde form, with line and column resolved.
    pub fn detailed(&self, sources: &Sources) -> DetailedError {
        let labels = self
            .labels
            .iter()
            .map(|l| {
                let file = sources.get(l.span.source);
                let (line, column) = file.map_or((0, 0), |f| f.line_col(l.span.start as usize));
                DetailedLabel {
                    file: file.map(|f| f.name.clone()).unwrap_or_default(),
                    line,
                    column,
                    start: l.span.start,
                    end: l.span.end,
                    text: sources.slice(l.span).to_owned(),
                    message: l.message.clone(),
                    primary: l.primary,
                }
            })
            .collect::<Vec<_>>();
        let primary = labels.iter().find(|l| l.primary);
        DetailedError {
            message: self.message.clone(),
            code: self.code.to_owned(),
            severity: self.severity,
            help: self.help.clone(),
            file: primary.map(|l| l.file.clone()),
            line: primary.map(|l| l.line),
            column: primary.map(|l| l.column),
            rendered: self.render(sources),
            labels,
        }
    }
}

/// A diagnostic as data: what `--format json` prints and what the bindings raise.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DetailedError {
    /// The message.
    pub message: String,
    /// Stable code.
    pub code: String,
    /// `error` or `warning`.
    pub severity: Severity,
    /// Hint, if any.
    pub help: Option<String>,
    /// File of the primary label.
    pub file: Option<String>,
    /// 1-based line of the primary label.
    pub line: Option<usize>,
    /// 1-based column of the primary label.
    pub column: Option<usize>,
    /// Every label.
    pub labels: Vec<DetailedLabel>,
    /// The rustc-style rendering.
    pub rendered: String,
}

impl DetailedError {
    /// An error with no place in any text (an argument of the wrong type, a file that cannot
    /// be read): code and message, rendered the way located diagnostics are.
    pub fn unlocated(code: &str, message: String) -> Self {
        DetailedError {
            rendered: format!("error[{code}]: {message}\n"),
            message,
            code: code.to_owned(),
            severity: Severity::Error,
            help: None,
            file: None,
            line: None,
            column: None,
            labels: Vec::new(),
        }
    }
}

/// A label as data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DetailedLabel {
    /// File name.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// Byte offset of the start.
    pub start: u32,
    /// Byte offset of the end.
    pub end: u32,
    /// The underlined text.
    pub text: String,
    /// What the label says.
    pub message: String,
    /// Whether this is the primary label.
    pub primary: bool,
}

struct FilesView<'a>(&'a Sources);

impl<'a> Files<'a> for FilesView<'a> {
    type FileId = u32;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: u32) -> Result<&'a str, FilesError> {
        self.file(id).map(|f| f.name.as_str())
    }

    fn source(&'a self, id: u32) -> Result<&'a str, FilesError> {
        self.file(id).map(|f| f.text.as_str())
    }

    fn line_index(&'a self, id: u32, byte_index: usize) -> Result<usize, FilesError> {
        let file = self.file(id)?;
        Ok(file.line_col(byte_index).0 - 1)
    }

    fn line_range(
        &'a self,
        id: u32,
        line_index: usize,
    ) -> Result<std::ops::Range<usize>, FilesError> {
        let file = self.file(id)?;
        file.line_range(line_index).ok_or(FilesError::LineTooLarge {
            given: line_index,
            max: file.line_count().saturating_sub(1),
        })
    }
}

impl<'a> FilesView<'a> {
    fn file(&self, id: u32) -> Result<&'a crate::source::SourceFile, FilesError> {
        self.0
            .get(crate::source::SourceId(id))
            .ok_or(FilesError::FileMissing)
    }
}

/// Longest source line a rendering shows whole, in bytes.
pub(crate) const MAX_SHOWN_LINE: usize = 240;

/// Context kept before a label's start on a clipped line, in bytes.
const CLIP_LEAD: usize = 60;

/// Sources with every overlong line cut to a window, for rendering one diagnostic. Only
/// built when a labelled file has such a line; other files are read through unchanged.
struct Clipped<'a> {
    sources: &'a Sources,
    files: HashMap<u32, ClippedFile>,
}

struct ClippedFile {
    text: String,
    /// Per line: where its shown part starts in `text`, and which original byte that is.
    lines: Vec<ClippedLine>,
}

#[derive(Clone, Copy)]
struct ClippedLine {
    /// Start of the line in the original text.
    origin: usize,
    /// Start of the line in `text` (where a leading `…` would be).
    start: usize,
    /// Start of the kept bytes in `text`.
    kept: usize,
    /// Original offsets of the kept bytes.
    from: usize,
    to: usize,
}

impl<'a> Clipped<'a> {
    fn new(sources: &'a Sources, labels: &[Label]) -> Self {
        let mut files = HashMap::new();
        for label in labels {
            let id = label.span.source;
            if files.contains_key(&id.0) {
                continue;
            }
            let Some(file) = sources.get(id) else {
                continue;
            };
            let anchors: Vec<usize> = labels
                .iter()
                .filter(|l| l.span.source == id)
                .map(|l| l.span.start as usize)
                .collect();
            if let Some(clipped) = ClippedFile::new(file, &anchors) {
                files.insert(id.0, clipped);
            }
        }
        Clipped { sources, files }
    }

    /// An original byte offset → its offset in the shown text (clamped into the window).
    fn map(&self, id: u32, offset: usize) -> usize {
        let Some(file) = self.files.get(&id) else {
            return offset;
        };
        let i = file
            .lines
            .partition_point(|l| l.origin <= offset)
            .saturating_sub(1);
        file.lines
            .get(i)
            .map_or(0, |l| l.kept + offset.clamp(l.from, l.to) - l.from)
    }

    /// A shown offset → the original offset.
    fn unmap(&self, id: u32, offset: usize) -> usize {
        let Some(file) = self.files.get(&id) else {
            return offset;
        };
        let i = file
            .lines
            .partition_point(|l| l.start <= offset)
            .saturating_sub(1);
        file.lines
            .get(i)
            .map_or(0, |l| (l.from + offset.saturating_sub(l.kept)).min(l.to))
    }
}

impl ClippedFile {
    /// `None` when no line is too long.
    fn new(file: &crate::source::SourceFile, anchors: &[usize]) -> Option<Self> {
        let too_long = (0..file.line_count())
            .filter_map(|i| file.line_range(i))
            .any(|r| r.len() > MAX_SHOWN_LINE);
        if !too_long {
            return None;
        }
        let mut text = String::new();
        let mut lines = Vec::with_capacity(file.line_count());
        for i in 0..file.line_count() {
            let range = file.line_range(i).unwrap_or(0..0);
            let line = file.text.get(range.clone()).unwrap_or("");
            let body_len = line.trim_end_matches(['\n', '\r']).len();
            let start = text.len();
            if body_len <= MAX_SHOWN_LINE {
                text.push_str(line);
                lines.push(ClippedLine {
                    origin: range.start,
                    start,
                    kept: start,
                    from: range.start,
                    to: range.start + body_len,
                });
                continue;
            }
            let anchor = anchors
                .iter()
                .copied()
                .find(|a| range.contains(a))
                .map_or(0, |a| a - range.start);
            let from = floor_char(line, anchor.saturating_sub(CLIP_LEAD));
            let to = floor_char(line, (from + MAX_SHOWN_LINE).min(body_len));
            if from > 0 {
                text.push('…');
            }
            let kept = text.len();
            text.push_str(line.get(from..to).unwrap_or(""));
            if to < body_len {
                text.push('…');
            }
            text.push('\n');
            lines.push(ClippedLine {
                origin: range.start,
                start,
                kept,
                from: range.start + from,
                to: range.start + to,
            });
        }
        Some(ClippedFile { text, lines })
    }
}

/// The largest char boundary of `s` at or below `i`.
fn floor_char(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl<'a> Files<'a> for Clipped<'a> {
    type FileId = u32;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: u32) -> Result<&'a str, FilesError> {
        FilesView(self.sources).file(id).map(|f| f.name.as_str())
    }

    fn source(&'a self, id: u32) -> Result<&'a str, FilesError> {
        match self.files.get(&id) {
            Some(file) => Ok(file.text.as_str()),
            None => FilesView(self.sources).file(id).map(|f| f.text.as_str()),
        }
    }

    fn line_index(&'a self, id: u32, byte_index: usize) -> Result<usize, FilesError> {
        FilesView(self.sources).line_index(id, self.unmap(id, byte_index))
    }

    fn line_range(
        &'a self,
        id: u32,
        line_index: usize,
    ) -> Result<std::ops::Range<usize>, FilesError> {
        let Some(file) = self.files.get(&id) else {
            return FilesView(self.sources).line_range(id, line_index);
        };
        let start =
            file.lines
                .get(line_index)
                .map(|l| l.start)
                .ok_or(FilesError::LineTooLarge {
                    given: line_index,
                    max: file.lines.len().saturating_sub(1),
                })?;
        let end = file
            .lines
            .get(line_index + 1)
            .map_or(file.text.len(), |l| l.start);
        Ok(start..end)
    }

    /// The column in the original line, not in the clipped one.
    fn column_number(
        &'a self,
        id: u32,
        _line_index: usize,
        byte_index: usize,
    ) -> Result<usize, FilesError> {
        let file = FilesView(self.sources).file(id)?;
        Ok(file.line_col(self.unmap(id, byte_index)).1)
    }
}

/// Register a file that is not UTF-8 (its text decoded lossily, so the first bad byte shows
/// as `�` at its true line and column) and the `haven::source::not_utf8` error pointing at
/// that byte.
pub(crate) fn not_utf8(
    sources: &mut Sources,
    name: &str,
    module: &str,
    bytes: &[u8],
) -> (SourceId, Diagnostic) {
    let (valid, bad_len) = match std::str::from_utf8(bytes) {
        Ok(_) => (bytes.len(), 0),
        Err(e) => (
            e.valid_up_to(),
            e.error_len().unwrap_or(bytes.len() - e.valid_up_to()),
        ),
    };
    let bad = bytes.get(valid..valid + bad_len).unwrap_or_default();
    let hex = bad
        .iter()
        .map(|b| format!("0x{b:02X}"))
        .collect::<Vec<_>>()
        .join(" ");
    let guess = match bad {
        [b] => windows_1252(*b).map(|c| format!(" (in Windows-1252, `{c}`)")),
        _ => None,
    };
    let id = sources.add(name, module, String::from_utf8_lossy(bytes).into_owned());
    let diag = Diagnostic::error(
        "haven::source::not_utf8",
        format!(
            "file is not UTF-8 text: byte{} {hex}{} cannot be read",
            if bad.len() == 1 { "" } else { "s" },
            guess.unwrap_or_default()
        ),
        // The lossy text has U+FFFD (3 bytes) where the bad bytes were.
        Span::new(id, valid, valid + '\u{fffd}'.len_utf8()),
    )
    .with_label("not UTF-8")
    .with_help(
        "save the file as UTF-8 (in Word: Save As, Plain Text, Unicode (UTF-8)); \
         curly quotes, dashes and `£` from Windows-1252 are the usual cause",
    );
    (id, diag)
}

/// The Windows-1252 character of a byte that is not ASCII, if it has one.
fn windows_1252(b: u8) -> Option<char> {
    const C1: [char; 32] = [
        '€', '\0', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\0', 'Ž', '\0', '\0',
        '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\0', 'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9F => C1
            .get(usize::from(b - 0x80))
            .copied()
            .filter(|c| *c != '\0'),
        0xA0..=0xFF => Some(char::from(b)),
        _ => None,
    }
}

/// The closest name within a small edit distance.
pub(crate) fn suggest(name: &str, known: &[String]) -> Option<String> {
    let len = name.chars().count();
    let limit = (len / 3).clamp(1, 3);
    known
        .iter()
        // Lengths further apart than the limit cannot be close enough; skipping them also
        // keeps a 500 KB key from costing an edit-distance table per candidate.
        .filter(|k| k.chars().count().abs_diff(len) <= limit)
        .map(|k| (edit_distance(name, k), k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, k)| (*d, (*k).clone()))
        .map(|(_, k)| k.clone())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b_chars: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b_chars.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = Vec::with_capacity(prev.len());
        cur.push(i + 1);
        for (j, cb) in b_chars.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            cur.push(sub.min(del).min(ins));
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::indexing_slicing,
        reason = "test code: a panic is a test failure"
    )]

    use super::*;
    use crate::source::Span;

    #[test]
    fn labels_on_a_clipped_line_stay_on_that_line() {
        let mut sources = Sources::new();
        let text = format!("short\n{}X{}\nlast\n", "a".repeat(1000), "b".repeat(1000));
        let id = sources.add("f.haven", "", text);
        let x = 6 + 1000;
        let diag = Diagnostic::error("haven::test", "boom", Span::new(id, x, x + 1))
            .with_label("here")
            // Earlier on the same long line, outside the window around `X`.
            .with_secondary(Span::new(id, 6 + 5, 6 + 6), "and there");
        let rendered = diag.render(&sources);
        assert!(rendered.contains("f.haven:2:1001"), "{rendered}");
        assert!(!rendered.contains("short"), "{rendered}");
        assert!(!rendered.contains("last"), "{rendered}");
        let lines: Vec<&str> = rendered.lines().collect();
        let shown = lines.iter().position(|l| l.starts_with("2 │")).unwrap();
        let x_col = lines[shown].chars().position(|c| c == 'X').unwrap();
        let caret_col = lines[shown + 1].chars().position(|c| c == '^').unwrap();
        assert_eq!(x_col, caret_col, "{rendered}");
        assert!(rendered.len() < 1024, "{rendered}");
    }
}
