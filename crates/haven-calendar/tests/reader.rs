//! The hand-written `calendar.toml` reader (src/reader.rs) against the `toml` crate it
//! replaced (issue 18): the same calendar from every valid file, and every error at the same
//! line and column, with the same message for the calendar's own checks. The old reader is
//! kept here, as it was, as the reference.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a test failure with its message"
)]

use haven_calendar::calendar::parse_clock;
use haven_calendar::{Calendar, CalendarError, Day, Term};
use serde::Deserialize;
use std::ops::Range;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarToml {
    school: Option<String>,
    day_starts: Option<toml::Spanned<String>>,
    day_ends: Option<toml::Spanned<String>>,
    immediately_minutes: Option<toml::Spanned<i64>>,
    #[serde(default)]
    term: Vec<TermToml>,
    #[serde(default)]
    inset: Vec<toml::Spanned<toml::value::Datetime>>,
    #[serde(default)]
    closures: Vec<toml::Spanned<toml::value::Datetime>>,
    #[serde(default)]
    extra_bank_holidays: Vec<toml::Spanned<toml::value::Datetime>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TermToml {
    name: String,
    starts: toml::Spanned<toml::value::Datetime>,
    ends: toml::Spanned<toml::value::Datetime>,
    half_term: Option<toml::Spanned<Vec<toml::value::Datetime>>>,
}

/// The old `Calendar::from_toml`, on the `toml` crate.
fn old_from_toml(text: &str) -> Result<Calendar, CalendarError> {
    let at = |span: Option<Range<usize>>, message: String| {
        let (line, column) = span.as_ref().map_or((0, 0), |s| line_col(text, s.start));
        CalendarError {
            message,
            line,
            column,
            span: span.map(|s| (s.start, s.end)),
        }
    };
    let raw: CalendarToml = toml::from_str(text).map_err(|e| {
        at(
            e.span(),
            e.message().trim_end_matches('\n').replace('\n', "; "),
        )
    })?;
    let date = |d: &toml::Spanned<toml::value::Datetime>, what: &str| {
        to_day(d.get_ref()).ok_or_else(|| {
            at(
                Some(d.span()),
                format!("{what} must be a date such as 2026-09-03"),
            )
        })
    };
    let clock = |t: &Option<toml::Spanned<String>>, what: &str, default: i64| match t {
        None => Ok(default),
        Some(t) => parse_clock(t.get_ref()).ok_or_else(|| {
            at(
                Some(t.span()),
                format!("`{what}` must be a time such as 15:30"),
            )
        }),
    };
    let mut cal = Calendar {
        school: raw.school,
        ..Calendar::default()
    };
    cal.day_starts = clock(&raw.day_starts, "day_starts", cal.day_starts)?;
    cal.day_ends = clock(&raw.day_ends, "day_ends", cal.day_ends)?;
    if cal.day_ends <= cal.day_starts {
        return Err(at(
            raw.day_ends.as_ref().map(toml::Spanned::span),
            "`day_ends` must be later than `day_starts`".into(),
        ));
    }
    if let Some(m) = &raw.immediately_minutes {
        if !(0..=24 * 60).contains(m.get_ref()) {
            return Err(at(
                Some(m.span()),
                "`immediately_minutes` must be between 0 and 1440".into(),
            ));
        }
        cal.immediately_minutes = *m.get_ref();
    }
    for term in &raw.term {
        let starts = date(&term.starts, "`starts`")?;
        let ends = date(&term.ends, "`ends`")?;
        if ends < starts {
            return Err(at(
                Some(term.ends.span()),
                format!("term `{}` ends before it starts", term.name),
            ));
        }
        let half_term = match &term.half_term {
            None => None,
            Some(h) => {
                let days: Vec<Option<Day>> = h.get_ref().iter().map(to_day).collect();
                match days.as_slice() {
                    [Some(a), Some(b)] if a <= b && starts <= *a && *b <= ends => Some((*a, *b)),
                    _ => {
                        return Err(at(
                            Some(h.span()),
                            format!(
                                "`half_term` of term `{}` must be [first day, last day] inside the term",
                                term.name
                            ),
                        ))
                    }
                }
            }
        };
        if let Some(prev) = cal.terms.last() {
            if starts <= prev.ends {
                return Err(at(
                    Some(term.starts.span()),
                    format!(
                        "term `{}` starts before term `{}` ends",
                        term.name, prev.name
                    ),
                ));
            }
        }
        cal.terms.push(Term {
            name: term.name.clone(),
            starts,
            ends,
            half_term,
        });
    }
    for d in &raw.inset {
        cal.inset.insert(date(d, "an INSET day")?);
    }
    for d in &raw.closures {
        cal.closures.insert(date(d, "a closure")?);
    }
    for d in &raw.extra_bank_holidays {
        cal.extra_bank_holidays.insert(date(d, "a bank holiday")?);
    }
    Ok(cal)
}

fn to_day(dt: &toml::value::Datetime) -> Option<Day> {
    match (dt.date, dt.time) {
        (Some(d), None) => Day::from_ymd(i64::from(d.year), u32::from(d.month), u32::from(d.day)),
        _ => None,
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |i| before.len() - i - 1)
        + 1;
    (line, column)
}

const KINGSBURY: &str = include_str!("../../../policies/kingsbury_2019/calendar.toml");
const KENILWORTH: &str = include_str!("../../../policies/kenilworth_2022/calendar.toml");

/// Files both readers accept.
const VALID: &[&str] = &[
    "",
    "# only a comment\n",
    KINGSBURY,
    KENILWORTH,
    "school = 'literal \\ no escapes'\r\nday_starts = \"08:00\" # trailing comment\r\n",
    "school = \"esc \\\"q\\\" \\u00e9 \\U0001F600 \\t\"\nimmediately_minutes = +1_0\n",
    "school = '''multi\nline'''\n",
    "school = \"\"\"\nab \\\n   c\"\"\"\"\n",
    "immediately_minutes = 0\ninset = []\nclosures = [ ]\nextra_bank_holidays = [2027-06-01,]\n",
    "immediately_minutes = -0\n",
    "inset = [\n  2026-09-01, # first\n  # a comment line\n  2026-09-02\n  ,\n]\n",
    "\"school\" = \"quoted key\"\n  day_ends = \"16:00\"\n\n\n[[term]]\nname = \"a\"\nstarts = 2026-09-03\nends = 2026-12-18\n[[ term ]] # next\nname = \"b\"\nstarts = 2027-01-04\nends = 2027-03-26\nhalf_term = [2027-02-15, 2027-02-19]\n",
    "[[term]]\nends = 2026-12-18\nstarts = 2026-09-03\nname = \"a\"\n",
    "school=\"no newline at the end\"",
];

/// Files both readers reject, and whether the message is the same too (the location always
/// is). Messages differ only for malformed TOML, where the new one is as clear.
const INVALID: &[(&str, bool)] = &[
    // The calendar's own checks.
    ("[[term]]\nname = \"autumn\"\nstarts = 2026-09-03\nends = 2026-09-01\n", true),
    ("day_ends = \"3pm\"\n", true),
    ("day_starts = \"9:00\"\n", true),
    ("day_starts = \"16:00\"\n", true),
    ("day_starts = \"10:00\"\nday_ends = \"09:00\"\n", true),
    ("immediately_minutes = 1441\n", true),
    ("immediately_minutes = -1\n", true),
    ("[[term]]\nname = \"a\"\nstarts = 2026-09-03\nends = 2026-12-18\nhalf_term = [2027-01-01, 2027-01-02]\n", true),
    ("[[term]]\nname = \"a\"\nstarts = 2026-09-03\nends = 2026-12-18\nhalf_term = [2026-10-26]\n", true),
    ("[[term]]\nname = \"a\"\nstarts = 2026-09-03\nends = 2026-12-18\nhalf_term = [2026-10-30, 2026-10-26]\n", true),
    ("[[term]]\nname = \"a\"\nstarts = 2026-09-03\nends = 2026-12-18\n[[term]]\nname = \"b\"\nstarts = 2026-12-01\nends = 2027-03-26\n", true),
    ("[[term]]\nname = \"a\"\nstarts = 2026-09-03T08:00:00\nends = 2026-12-18\n", true),
    ("[[term]]\nname = \"a\"\nstarts = 2026-09-03 08:00:00\nends = 2026-12-18\n", true),
    ("inset = [2026-09-01, 08:30:00]\n", true),
    ("inset = [10:00:00.5]\n", true),
    ("extra_bank_holidays = [2026-09-01T00:00:00Z]\n", true),
    ("inset = [2026-09-01 08:00:00]\n", true),
    // Keys and types.
    ("holidays = []\n", true),
    ("[[holiday]]\n", true),
    ("[[term]]\nname = \"a\"\nstarts = 2026-09-03\nends = 2026-12-18\nbreak = 1\n", true),
    ("x.y = 1\n", true),
    ("[[term]]\n", true),
    ("[[term]]\nname = \"a\"\n[[term]]\nname = 1\n", true),
    ("school = 3\n", true),
    ("immediately_minutes = \"60\"\n", true),
    ("immediately_minutes = 1.5\n", true),
    ("immediately_minutes = true\n", true),
    ("inset = [\"2026-09-01\"]\n", true),
    ("[[term]]\nname = \"a\"\nstarts = \"2026-09-03\"\nends = 2026-12-18\n", true),
    ("school = \"x\"\nschool = \"y\"\n", true),
    ("[[term]]\nname = \"a\"\nname = \"b\"\n", true),
    ("day_starts = 'a'\nday_starts = 'b'\n", true),
    ("inset = 2026-09-01\n", false),
    ("immediately_minutes = 1e3\n", false),
    ("[term]\nname = \"a\"\n", false),
    // Malformed TOML: found before any key is checked, wherever it is.
    ("holidays = []\nschool = \"unterminated\n", false),
    ("closures = [2026-02-30]\n", true),
    ("closures = [2024-02-29, 2026-04-31]\n", true),
    ("closures = [2026-13-01]\n", true),
    ("immediately_minutes = 9223372036854775808\n", true),
    ("school = \"\\x\"\n", true),
    ("school = \"\\u12\"\n", true),
    ("inset = [2026-09-01 8:00:00]\n", true),
    ("inset = [2026-09-01 2026-09-02]\n", true),
    ("day_starts = 0830\n", false),
    ("school = \"x\" y\n", false),
    ("school = \"a\"\r", false),
    ("day_starts =\n", false),
    ("= 1\n", false),
];

/// Malformed date-times: the `toml` crate points inside the value, this reader at its start.
const SAME_LINE: &[&str] = &[
    "inset = [2026-09-01 08:00]\n",
    "inset = [2026-09-01T08:00:00+01:00, 2026-09-01T25:00:00]\n",
];

#[test]
fn valid_files_read_to_the_same_calendar() {
    for text in VALID {
        let old = old_from_toml(text).unwrap_or_else(|e| panic!("toml: {e} in {text:?}"));
        let new = Calendar::from_toml(text).unwrap_or_else(|e| panic!("reader: {e} in {text:?}"));
        assert_eq!(new, old, "{text:?}");
    }
}

#[test]
fn errors_are_at_the_same_line_and_column() {
    for &(text, same_message) in INVALID {
        let old = old_from_toml(text).expect_err(text);
        let new = Calendar::from_toml(text).expect_err(text);
        assert_eq!(
            (new.line, new.column),
            (old.line, old.column),
            "{text:?}: new `{new}`, old `{old}`"
        );
        if same_message {
            assert_eq!(new.message, old.message, "{text:?}");
        } else {
            assert_ne!(
                new.message, old.message,
                "{text:?}: now the same, mark it so"
            );
        }
    }
    for text in SAME_LINE {
        let old = old_from_toml(text).expect_err(text);
        let new = Calendar::from_toml(text).expect_err(text);
        assert_eq!(new.line, old.line, "{text:?}: new `{new}`, old `{old}`");
    }
}
