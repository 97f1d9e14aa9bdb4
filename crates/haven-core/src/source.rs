//! Source files, byte spans and the `Spanned<T>` wrapper every AST node uses.

use std::fmt;

/// Identifies one source file inside a [`Sources`] map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct SourceId(pub u32);

/// A byte range in one source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// The file the range is in.
    pub source: SourceId,
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// A span from byte offsets.
    pub fn new(source: SourceId, start: usize, end: usize) -> Self {
        Span {
            source,
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(end).unwrap_or(u32::MAX),
        }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            source: self.source,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// Byte range for slicing.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// A value with the span it was read from. Equality ignores the span, so tests can
/// compare trees without offsets.
#[derive(Clone, Debug)]
pub struct Spanned<T> {
    /// The value.
    pub node: T,
    /// Where it was written.
    pub span: Span,
}

impl<T> Spanned<T> {
    /// Wrap a value.
    pub fn new(node: T, span: Span) -> Self {
        Spanned { node, span }
    }
}

impl<T: PartialEq> PartialEq for Spanned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.node == other.node
    }
}

impl<T: fmt::Display> fmt::Display for Spanned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.node.fmt(f)
    }
}

/// One source file: its display name and text.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// Name shown in diagnostics (usually a path).
    pub name: String,
    /// The module path it was loaded as (`baseline`, `std/vocabulary`), or empty for the root.
    pub module: String,
    /// Full text.
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    fn new(name: String, module: String, text: String) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SourceFile {
            name,
            module,
            text,
            line_starts,
        }
    }

    /// Byte range of a 0-based line, including its newline.
    pub fn line_range(&self, line_idx: usize) -> Option<std::ops::Range<usize>> {
        let start = *self.line_starts.get(line_idx)?;
        let end = self
            .line_starts
            .get(line_idx + 1)
            .copied()
            .unwrap_or(self.text.len());
        Some(start..end)
    }

    /// Number of lines.
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let line_idx = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.line_starts.get(line_idx).copied().unwrap_or(0);
        let col = self
            .text
            .get(start..offset.min(self.text.len()))
            .map_or(0, |s| s.chars().count());
        (line_idx + 1, col + 1)
    }
}

/// Every source file of one compilation, owned once.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a file and return its id.
    pub fn add(
        &mut self,
        name: impl Into<String>,
        module: impl Into<String>,
        text: impl Into<String>,
    ) -> SourceId {
        let id = SourceId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files
            .push(SourceFile::new(name.into(), module.into(), text.into()));
        id
    }

    /// Look a file up.
    pub fn get(&self, id: SourceId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// The text a span covers, or "" if out of range.
    pub fn slice(&self, span: Span) -> &str {
        self.get(span.source)
            .and_then(|f| f.text.get(span.range()))
            .unwrap_or("")
    }

    /// All files in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (SourceId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (SourceId(u32::try_from(i).unwrap_or(u32::MAX)), f))
    }

    /// Find a file already loaded as `module`.
    pub fn find_module(&self, module: &str) -> Option<SourceId> {
        self.iter()
            .find(|(_, f)| f.module == module)
            .map(|(id, _)| id)
    }
}
