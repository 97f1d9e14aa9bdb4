//! A reader for the subset of TOML a `calendar.toml` uses: `key = value` lines, `[[term]]`
//! tables, basic and literal strings, integers, local dates, arrays (over several lines, with
//! comments) and `#` comments. Written by hand instead of using the `toml` crate so the WASM
//! module does not carry a full TOML parser for one small file (issue 18: about 250 KB raw).
//! Every error carries the byte span of what is wrong.

use crate::time::Day;
use std::ops::Range;

/// A value with the byte span it was read from.
pub(crate) struct Spanned<T> {
    value: T,
    span: Range<usize>,
}

impl<T> Spanned<T> {
    pub(crate) fn get_ref(&self) -> &T {
        &self.value
    }

    pub(crate) fn span(&self) -> Range<usize> {
        self.span.clone()
    }
}

/// A date value: `None` when it is a TOML date-time or time rather than a valid local date.
pub(crate) type DateValue = Option<Day>;

/// What a `calendar.toml` says, before the calendar's own checks.
#[derive(Default)]
pub(crate) struct CalendarToml {
    pub school: Option<String>,
    pub day_starts: Option<Spanned<String>>,
    pub day_ends: Option<Spanned<String>>,
    pub immediately_minutes: Option<Spanned<i64>>,
    pub term: Vec<TermToml>,
    pub inset: Vec<Spanned<DateValue>>,
    pub closures: Vec<Spanned<DateValue>>,
    pub extra_bank_holidays: Vec<Spanned<DateValue>>,
}

pub(crate) struct TermToml {
    pub name: String,
    pub starts: Spanned<DateValue>,
    pub ends: Spanned<DateValue>,
    pub half_term: Option<Spanned<Vec<DateValue>>>,
}

/// An error with the byte span it refers to.
pub(crate) struct ReadError {
    pub message: String,
    pub span: Option<Range<usize>>,
}

const ROOT_KEYS: &str = "`school`, `day_starts`, `day_ends`, `immediately_minutes`, `term`, `inset`, `closures`, `extra_bank_holidays`";
const TERM_KEYS: &str = "`name`, `starts`, `ends`, `half_term`";

enum Value {
    Str(String),
    Int(i64),
    Date(DateValue),
    Bool(bool),
    Float(String),
    Array(Vec<Spanned<Value>>),
    /// An inline table or dotted key: never valid in a calendar, kept for the type error.
    Table,
}

impl Value {
    fn describe(&self) -> String {
        match self {
            Value::Str(s) => format!("string {s:?}"),
            Value::Int(i) => format!("integer `{i}`"),
            Value::Date(_) => "a date".into(),
            Value::Bool(b) => format!("boolean `{b}`"),
            Value::Float(f) => format!("floating point `{f}`"),
            Value::Array(_) => "sequence".into(),
            Value::Table => "map".into(),
        }
    }
}

#[derive(Default)]
struct TermRaw {
    name: Option<String>,
    starts: Option<Spanned<DateValue>>,
    ends: Option<Spanned<DateValue>>,
    half_term: Option<Spanned<Vec<DateValue>>>,
}

struct Reader<'a> {
    text: &'a str,
    pos: usize,
}

fn err<T>(message: impl Into<String>, span: Range<usize>) -> Result<T, ReadError> {
    Err(ReadError {
        message: message.into(),
        span: Some(span),
    })
}

/// One `[[term]]` table as written: its header and its keys in order.
struct TermEntries {
    header: Range<usize>,
    header_key: Spanned<String>,
    entries: Vec<(Spanned<String>, Spanned<Value>)>,
}

/// Read a `calendar.toml`. As with the `toml` crate, the whole text is read first (syntax
/// errors and duplicate keys, wherever they are), then the keys are checked in order.
pub(crate) fn read(text: &str) -> Result<CalendarToml, ReadError> {
    let mut r = Reader { text, pos: 0 };
    let mut root: Vec<(Spanned<String>, Spanned<Value>)> = Vec::new();
    let mut tables: Vec<TermEntries> = Vec::new();
    loop {
        r.skip_blank(true);
        let Some(c) = r.peek() else { break };
        let start = r.pos;
        if c == '[' {
            r.pos += 1;
            let double = r.eat('[');
            r.skip_blank(false);
            let key = r.key()?;
            r.skip_blank(false);
            let closed = if double {
                r.eat(']') && r.eat(']')
            } else {
                r.eat(']')
            };
            if !closed {
                return err("expected `]` to close the table header", r.here());
            }
            let span = start..r.pos;
            r.end_of_line()?;
            if !double {
                return err(
                    format!(
                        "`[{}]` is not a calendar table: terms are `[[term]]`",
                        key.value
                    ),
                    span,
                );
            }
            tables.push(TermEntries {
                header: span,
                header_key: key,
                entries: Vec::new(),
            });
            continue;
        }
        let (key, value) = r.key_value()?;
        r.end_of_line()?;
        let (entries, table) = match tables.last_mut() {
            Some(t) => (&mut t.entries, " in table `term`"),
            None => (&mut root, " in document root"),
        };
        // Dotted keys (`a.b = 1`) may share their first part; they are rejected later.
        let table_part = matches!(value.value, Value::Table);
        if entries
            .iter()
            .any(|(k, v)| k.value == key.value && !(table_part && matches!(v.value, Value::Table)))
        {
            return err(format!("duplicate key `{}`{table}", key.value), key.span);
        }
        entries.push((key, value));
    }
    let mut out = CalendarToml::default();
    for (key, value) in root {
        set_root_key(&mut out, key, value)?;
    }
    for table in tables {
        if table.header_key.value != "term" {
            return err(
                format!(
                    "unknown field `{}`, expected one of {ROOT_KEYS}",
                    table.header_key.value
                ),
                table.header_key.span,
            );
        }
        let mut t = TermRaw::default();
        for (key, value) in table.entries {
            set_term_key(&mut t, key, value)?;
        }
        let missing = |field: &str| ReadError {
            message: format!("missing field `{field}`"),
            span: Some(table.header.clone()),
        };
        let name = t.name.ok_or_else(|| missing("name"))?;
        let starts = t.starts.ok_or_else(|| missing("starts"))?;
        let ends = t.ends.ok_or_else(|| missing("ends"))?;
        out.term.push(TermToml {
            name,
            starts,
            ends,
            half_term: t.half_term,
        });
    }
    Ok(out)
}

fn set_root_key(
    out: &mut CalendarToml,
    key: Spanned<String>,
    value: Spanned<Value>,
) -> Result<(), ReadError> {
    match key.value.as_str() {
        "school" => {
            out.school = Some(string(value)?.value);
        }
        "day_starts" | "day_ends" => {
            let slot = if key.value == "day_starts" {
                &mut out.day_starts
            } else {
                &mut out.day_ends
            };
            *slot = Some(string(value)?);
        }
        "immediately_minutes" => {
            out.immediately_minutes = Some(match value.value {
                Value::Int(i) => Spanned {
                    value: i,
                    span: value.span,
                },
                other => return invalid(&other, "i64", value.span),
            });
        }
        "inset" | "closures" | "extra_bank_holidays" => {
            let list = match key.value.as_str() {
                "inset" => &mut out.inset,
                "closures" => &mut out.closures,
                _ => &mut out.extra_bank_holidays,
            };
            *list = dates(value)?
                .into_iter()
                .map(|d| Spanned {
                    value: d.value,
                    span: d.span,
                })
                .collect();
        }
        "term" => {
            return err(
                "invalid type: write each term as a `[[term]]` table",
                value.span,
            )
        }
        other => {
            return err(
                format!("unknown field `{other}`, expected one of {ROOT_KEYS}"),
                key.span,
            )
        }
    }
    Ok(())
}

fn set_term_key(
    term: &mut TermRaw,
    key: Spanned<String>,
    value: Spanned<Value>,
) -> Result<(), ReadError> {
    match key.value.as_str() {
        "name" => {
            term.name = Some(string(value)?.value);
        }
        "starts" | "ends" => {
            let slot = if key.value == "starts" {
                &mut term.starts
            } else {
                &mut term.ends
            };
            *slot = Some(date(value)?);
        }
        "half_term" => {
            let span = value.span.clone();
            let days = dates(value)?.into_iter().map(|d| d.value).collect();
            term.half_term = Some(Spanned { value: days, span });
        }
        other => {
            return err(
                format!("unknown field `{other}`, expected one of {TERM_KEYS}"),
                key.span,
            )
        }
    }
    Ok(())
}

fn invalid<T>(value: &Value, expected: &str, span: Range<usize>) -> Result<T, ReadError> {
    err(
        format!("invalid type: {}, expected {expected}", value.describe()),
        span,
    )
}

fn string(value: Spanned<Value>) -> Result<Spanned<String>, ReadError> {
    match value.value {
        Value::Str(s) => Ok(Spanned {
            value: s,
            span: value.span,
        }),
        other => invalid(&other, "a string", value.span),
    }
}

fn date(value: Spanned<Value>) -> Result<Spanned<DateValue>, ReadError> {
    match value.value {
        Value::Date(d) => Ok(Spanned {
            value: d,
            span: value.span,
        }),
        other => invalid(&other, "a TOML datetime", value.span),
    }
}

fn dates(value: Spanned<Value>) -> Result<Vec<Spanned<DateValue>>, ReadError> {
    match value.value {
        Value::Array(items) => items.into_iter().map(date).collect(),
        other => invalid(&other, "a sequence", value.span),
    }
}

impl Reader<'_> {
    fn peek(&self) -> Option<char> {
        self.text.get(self.pos..).and_then(|s| s.chars().next())
    }

    fn rest(&self) -> &str {
        self.text.get(self.pos..).unwrap_or_default()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    /// The span of the character at the current position (empty at the end).
    fn here(&self) -> Range<usize> {
        self.at(self.pos)
    }

    /// The span of the character at a byte offset (empty at the end).
    fn at(&self, pos: usize) -> Range<usize> {
        let len = self
            .text
            .get(pos..)
            .and_then(|s| s.chars().next())
            .map_or(0, char::len_utf8);
        pos..pos + len
    }

    /// Skip spaces, tabs and comments, and newlines too when `newlines`.
    fn skip_blank(&mut self, newlines: bool) {
        while let Some(c) = self.peek() {
            match c {
                ' ' | '\t' => self.pos += 1,
                '\n' if newlines => self.pos += 1,
                '\r' if newlines && self.rest().starts_with("\r\n") => self.pos += 2,
                '#' => {
                    while let Some(c) = self.peek() {
                        if c == '\n' || self.rest().starts_with("\r\n") {
                            break;
                        }
                        self.pos += c.len_utf8();
                    }
                }
                _ => break,
            }
        }
    }

    /// After a key/value pair or table header: only a comment, then a newline or the end.
    fn end_of_line(&mut self) -> Result<(), ReadError> {
        self.skip_blank(false);
        if self.rest().starts_with("\r\n") {
            self.pos += 2;
            return Ok(());
        }
        match self.peek() {
            None => Ok(()),
            Some('\n') => {
                self.pos += 1;
                Ok(())
            }
            Some(_) => err("expected a newline or `#` after the value", self.here()),
        }
    }

    /// `key = value`. A dotted key (`a.b = 1`) reads as its first part holding a table.
    fn key_value(&mut self) -> Result<(Spanned<String>, Spanned<Value>), ReadError> {
        let key = self.key()?;
        self.skip_blank(false);
        let mut dotted = false;
        while self.eat('.') {
            dotted = true;
            self.skip_blank(false);
            self.key()?;
            self.skip_blank(false);
        }
        if !self.eat('=') {
            return err("expected `=` after the key", self.here());
        }
        self.skip_blank(false);
        let value = self.value()?;
        if dotted {
            let span = key.span.clone();
            return Ok((
                key,
                Spanned {
                    value: Value::Table,
                    span,
                },
            ));
        }
        Ok((key, value))
    }

    fn key(&mut self) -> Result<Spanned<String>, ReadError> {
        let start = self.pos;
        let value = if matches!(self.peek(), Some('"' | '\'')) {
            if self.rest().starts_with("\"\"\"") || self.rest().starts_with("'''") {
                return err("expected a key", self.here());
            }
            self.string_value()?
        } else {
            while let Some(c) = self.peek() {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                    self.pos += 1;
                } else {
                    break;
                }
            }
            if self.pos == start {
                return err("expected a key", self.here());
            }
            self.text
                .get(start..self.pos)
                .unwrap_or_default()
                .to_owned()
        };
        Ok(Spanned {
            value,
            span: start..self.pos,
        })
    }

    fn value(&mut self) -> Result<Spanned<Value>, ReadError> {
        let start = self.pos;
        let value = match self.peek() {
            Some('"' | '\'') => Value::Str(self.string_value()?),
            Some('[') => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_blank(true);
                    if self.eat(']') {
                        break;
                    }
                    items.push(self.value()?);
                    self.skip_blank(true);
                    if self.eat(',') {
                        continue;
                    }
                    if self.eat(']') {
                        break;
                    }
                    return err("invalid array; expected `]`", self.here());
                }
                Value::Array(items)
            }
            Some('{') => {
                // An inline table: read for its syntax, then rejected by type.
                self.pos += 1;
                self.skip_blank(false);
                if !self.eat('}') {
                    loop {
                        self.skip_blank(false);
                        self.key_value()?;
                        self.skip_blank(false);
                        if self.eat('}') {
                            break;
                        }
                        if !self.eat(',') {
                            return err("invalid inline table; expected `}`", self.here());
                        }
                    }
                }
                Value::Table
            }
            Some(_) => self.bare_value()?,
            None => return err("expected a value", self.here()),
        };
        Ok(Spanned {
            value,
            span: start..self.pos,
        })
    }

    /// A date, date-time, time, integer, float or boolean.
    fn bare_value(&mut self) -> Result<Value, ReadError> {
        let start = self.pos;
        let bare = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+' | '.' | ':');
        while let Some(c) = self.peek() {
            if bare(c) {
                self.pos += 1;
            } else if c == ' '
                && self.pos - start == 10
                && is_date(self.text.get(start..self.pos).unwrap_or_default())
                && is_time_start(self.rest().get(1..).unwrap_or_default())
            {
                // A date-time written with a space between date and time.
                self.pos += 1;
            } else {
                break;
            }
        }
        let span = start..self.pos;
        let token = self.text.get(span.clone()).unwrap_or_default();
        if token.is_empty() {
            return err("expected a value", self.here());
        }
        match token {
            "true" => return Ok(Value::Bool(true)),
            "false" => return Ok(Value::Bool(false)),
            _ => {}
        }
        if token.get(..10).is_some_and(is_date) {
            let part = |r: Range<usize>| token.get(r).and_then(|s| s.parse::<u32>().ok());
            let (Some(year), Some(month), Some(d)) = (part(0..4), part(5..7), part(8..10)) else {
                return err("invalid date-time", span);
            };
            if !(1..=12).contains(&month) {
                return err(
                    "invalid date-time; value is out of range",
                    self.at(start + 5),
                );
            }
            let Some(day) = Day::from_ymd(i64::from(year), month, d) else {
                return err(
                    "invalid date-time; value is out of range",
                    self.at(start + 8),
                );
            };
            return match token.get(10..) {
                Some("") => Ok(Value::Date(Some(day))),
                Some(rest)
                    if rest.starts_with(['T', 't', ' '])
                        && is_time_and_offset(rest.get(1..).unwrap_or_default()) =>
                {
                    Ok(Value::Date(None))
                }
                _ => err("invalid date-time", span),
            };
        }
        let digits = token.strip_prefix(['+', '-']).unwrap_or(token);
        if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit() || c == '_') {
            if digits.starts_with('_') || digits.ends_with('_') || digits.contains("__") {
                return err("invalid integer", span);
            }
            if digits.len() > 1 && digits.starts_with('0') {
                // As the `toml` crate reads it: the integer 0, then something unexpected.
                let after_zero = start + (token.len() - digits.len()) + 1;
                return err("invalid integer: a leading zero", self.at(after_zero));
            }
            let clean: String = token.chars().filter(|&c| c != '_').collect();
            return match clean.parse::<i64>() {
                Ok(i) => Ok(Value::Int(i)),
                Err(_) => err("number too large to fit in target type", span),
            };
        }
        if token.contains(':') {
            // A local time such as 15:30:00.
            return if is_time(token) {
                Ok(Value::Date(None))
            } else {
                err("invalid date-time", span)
            };
        }
        if is_float(digits) {
            return Ok(Value::Float(token.to_owned()));
        }
        err(
            format!("invalid value `{token}`: expected a string, number, date or array"),
            span,
        )
    }

    /// A basic (`"…"`) or literal (`'…'`) string, on one line or, tripled, over several.
    fn string_value(&mut self) -> Result<String, ReadError> {
        let Some(quote) = self.peek() else {
            return err("expected a string", self.here());
        };
        let triple: String = [quote; 3].iter().collect();
        let multi = self.rest().starts_with(&triple);
        self.pos += if multi { 3 } else { 1 };
        if multi {
            // A newline straight after the opening quotes is not part of the string.
            if self.rest().starts_with("\r\n") {
                self.pos += 2;
            } else {
                self.eat('\n');
            }
        }
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                return err("unterminated string", self.here());
            };
            if multi && self.rest().starts_with(&triple) {
                self.pos += 3;
                // Up to two more quotes belong to the string (`""""` ends `"…""`).
                for _ in 0..2 {
                    if self.eat(quote) {
                        out.push(quote);
                    }
                }
                return Ok(out);
            }
            if !multi && (c == '\n' || c == '\r') {
                return err("unterminated string", self.here());
            }
            self.pos += c.len_utf8();
            if !multi && c == quote {
                return Ok(out);
            }
            if c == '\\' && quote == '"' {
                if multi && self.line_ending_backslash() {
                    continue;
                }
                out.push(self.escape()?);
            } else {
                out.push(c);
            }
        }
    }

    /// The escape after a `\` in a basic string.
    fn escape(&mut self) -> Result<char, ReadError> {
        let Some(e) = self.peek() else {
            return err("unterminated string", self.here());
        };
        self.pos += e.len_utf8();
        Ok(match e {
            'b' => '\u{8}',
            't' => '\t',
            'n' => '\n',
            'f' => '\u{c}',
            'r' => '\r',
            '"' => '"',
            '\\' => '\\',
            'u' | 'U' => {
                let len = if e == 'u' { 4 } else { 8 };
                let hex = self.text.get(self.pos..self.pos + len);
                match hex
                    .filter(|h| h.chars().all(|c| c.is_ascii_hexdigit()))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .and_then(char::from_u32)
                {
                    Some(ch) => {
                        self.pos += len;
                        ch
                    }
                    None => {
                        return err(format!("invalid unicode {len}-digit hex code"), self.here())
                    }
                }
            }
            _ => return err(
                "invalid escape sequence; expected `b`, `f`, `n`, `r`, `t`, `u`, `U`, `\\`, `\"`",
                self.here(),
            ),
        })
    }

    /// In a multi-line basic string, a `\` at the end of a line drops the newline and the
    /// whitespace after it. True when that is what follows the backslash (now skipped).
    fn line_ending_backslash(&mut self) -> bool {
        let rest = self.rest();
        let blank = rest.len() - rest.trim_start_matches([' ', '\t']).len();
        let after = rest.get(blank..).unwrap_or_default();
        if !(after.starts_with('\n') || after.starts_with("\r\n")) {
            return false;
        }
        let skipped = rest.len() - rest.trim_start_matches([' ', '\t', '\n', '\r']).len();
        self.pos += skipped;
        true
    }
}

/// `YYYY-MM-DD` by shape (the reader checks the day exists).
fn is_date(s: &str) -> bool {
    shaped(s, "dddd-dd-dd")
}

/// Whether `s` has the shape of `pattern`, where `d` stands for any ASCII digit.
fn shaped(s: &str, pattern: &str) -> bool {
    s.len() == pattern.len()
        && s.bytes().zip(pattern.bytes()).all(|(c, p)| match p {
            b'd' => c.is_ascii_digit(),
            _ => c == p,
        })
}

/// After a date and a space: `HH:` starts a time.
fn is_time_start(s: &str) -> bool {
    s.get(..3).is_some_and(|t| shaped(t, "dd:"))
}

/// `HH:MM:SS` with an optional fraction, in range.
fn is_time(s: &str) -> bool {
    let (whole, fraction) = s.split_once('.').unwrap_or((s, "0"));
    if !shaped(whole, "dd:dd:dd")
        || fraction.is_empty()
        || !fraction.bytes().all(|c| c.is_ascii_digit())
    {
        return false;
    }
    let part = |r: Range<usize>| whole.get(r).and_then(|p| p.parse::<u32>().ok());
    matches!(
        (part(0..2), part(3..5), part(6..8)),
        (Some(h), Some(m), Some(sec)) if h < 24 && m < 60 && sec < 61
    )
}

/// A time with an optional `Z` or `±HH:MM` offset.
fn is_time_and_offset(s: &str) -> bool {
    if let Some(t) = s.strip_suffix(['Z', 'z']) {
        return is_time(t);
    }
    let offset_at = s.len().saturating_sub(6);
    match s.get(offset_at..) {
        Some(offset)
            if s.len() > 6
                && offset.starts_with(['+', '-'])
                && shaped(offset.get(1..).unwrap_or_default(), "dd:dd") =>
        {
            is_time(s.get(..offset_at).unwrap_or_default())
        }
        _ => is_time(s),
    }
}

/// A TOML float (after its sign): `1.5`, `1e3`, `1_000.5E-2`, `inf`, `nan`.
fn is_float(s: &str) -> bool {
    if matches!(s, "inf" | "nan") {
        return true;
    }
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (s.get(..i).unwrap_or_default(), s.get(i + 1..)),
        None => (s, None),
    };
    let digits = |p: &str| {
        !p.is_empty()
            && !p.starts_with('_')
            && !p.ends_with('_')
            && !p.contains("__")
            && p.bytes().all(|c| c.is_ascii_digit() || c == b'_')
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    if !digits(int) || (int.len() > 1 && int.starts_with('0')) || frac.is_some_and(|f| !digits(f)) {
        return false;
    }
    match exponent {
        Some(e) => digits(e.strip_prefix(['+', '-']).unwrap_or(e)),
        None => frac.is_some(),
    }
}
