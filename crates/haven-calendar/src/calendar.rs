//! The school calendar: a school's `calendar.toml` (terms, half terms, INSET days, closures,
//! the school day) over the England and Wales bank holidays. See `docs/calendar.md`.

use crate::reader::{self, DateValue, Spanned};
use crate::time::{first_weekday, last_weekday, Day, LocalTime, Weekday};
use std::collections::BTreeSet;
use std::fmt;
use std::ops::Range;

/// Where the bank-holiday dates come from, cited in reports and docs.
pub const BANK_HOLIDAY_SOURCE: &str = "England and Wales bank holidays: the Banking and Financial Dealings Act 1971 (Schedule 1) and royal proclamations, as published at https://www.gov.uk/bank-holidays (bank-holidays.json, division england-and-wales)";

/// One-off bank holidays proclaimed outside the Act's pattern (gov.uk list), and the years
/// whose early-May or spring holiday was moved.
const EXTRA: &[(i64, u32, u32)] = &[
    (2011, 4, 29), // royal wedding
    (2012, 6, 5),  // Diamond Jubilee (spring holiday moved to 4 June)
    (2022, 6, 3),  // Platinum Jubilee (spring holiday moved to 2 June)
    (2022, 9, 19), // State Funeral of Queen Elizabeth II
    (2023, 5, 8),  // coronation of King Charles III
];

/// Whether a day is a bank holiday in England and Wales.
pub fn is_bank_holiday(day: Day) -> bool {
    let (year, month, _) = day.ymd();
    // No pattern or proclaimed holiday falls in February, July, October or November (Easter
    // is 22 March–25 April): the year's list is not worth computing for them.
    !matches!(month, 2 | 7 | 10 | 11) && bank_holidays(year).contains(&day)
}

/// The England and Wales bank holidays of a year, computed from the Act's pattern with
/// substitute days, plus the proclaimed one-offs and moves listed on gov.uk.
pub fn bank_holidays(year: i64) -> Vec<Day> {
    let mut out = Vec::new();
    let ymd = |m, d| Day::from_ymd(year, m, d);
    // New Year's Day, or the next Monday.
    if let Some(d) = ymd(1, 1) {
        out.push(next_weekday_if_weekend(d));
    }
    if let Some(easter) = easter_sunday(year) {
        out.push(Day(easter.0 - 2));
        out.push(Day(easter.0 + 1));
    }
    // Early May: first Monday (moved to Friday 8 May in 2020 for VE Day).
    if year == 2020 {
        out.extend(ymd(5, 8));
    } else {
        out.extend(first_weekday(year, 5, Weekday::Mon));
    }
    // Spring: last Monday of May (moved in the jubilee years).
    match year {
        2012 => out.extend(ymd(6, 4)),
        2022 => out.extend(ymd(6, 2)),
        _ => out.extend(last_weekday(year, 5, Weekday::Mon)),
    }
    out.extend(last_weekday(year, 8, Weekday::Mon));
    // Christmas and Boxing Day, with substitutes after a weekend.
    if let (Some(christmas), Some(boxing)) = (ymd(12, 25), ymd(12, 26)) {
        let c = next_weekday_if_weekend(christmas);
        let mut b = next_weekday_if_weekend(boxing);
        if b == c {
            b = c.succ();
        }
        out.push(c);
        out.push(b);
    }
    for &(y, m, d) in EXTRA {
        if y == year {
            out.extend(Day::from_ymd(y, m, d));
        }
    }
    out.sort();
    out.dedup();
    out
}

fn next_weekday_if_weekend(mut day: Day) -> Day {
    while day.is_weekend() {
        day = day.succ();
    }
    day
}

/// Easter Sunday (Gregorian; the anonymous algorithm of 1876).
fn easter_sunday(year: i64) -> Option<Day> {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    Day::from_ymd(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

/// A term: pupils' first and last days, and the half-term break inside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Term {
    /// The term's name, e.g. `autumn 2026`.
    pub name: String,
    /// The first day of term (inclusive).
    pub starts: Day,
    /// The last day of term (inclusive).
    pub ends: Day,
    /// The half-term break (inclusive first and last days), if any.
    pub half_term: Option<(Day, Day)>,
}

/// A school's calendar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Calendar {
    /// The school it belongs to, if the file says.
    pub school: Option<String>,
    /// Terms, in date order. With no terms every working day counts as a school day.
    pub terms: Vec<Term>,
    /// INSET (staff training) days: school days for staff, with no pupils; they may lie
    /// outside the term dates (typically just before a term starts).
    pub inset: BTreeSet<Day>,
    /// Days the school is closed although in term (e.g. a polling day, snow).
    pub closures: BTreeSet<Day>,
    /// Extra bank holidays not yet in the built-in list.
    pub extra_bank_holidays: BTreeSet<Day>,
    /// When the school day starts, minutes after midnight.
    pub day_starts: i64,
    /// When the school day ends, minutes after midnight (`end_of_day` deadlines).
    pub day_ends: i64,
    /// How long `immediately` allows, in minutes.
    pub immediately_minutes: i64,
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar {
            school: None,
            terms: Vec::new(),
            inset: BTreeSet::new(),
            closures: BTreeSet::new(),
            extra_bank_holidays: BTreeSet::new(),
            day_starts: 8 * 60 + 30,
            day_ends: 15 * 60 + 30,
            immediately_minutes: 60,
        }
    }
}

/// A `calendar.toml` that cannot be read: the message with its line and column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalendarError {
    /// What is wrong, e.g. ``term `autumn` ends before it starts``.
    pub message: String,
    /// 1-based line (0 when unknown).
    pub line: usize,
    /// 1-based column (0 when unknown).
    pub column: usize,
    /// Byte offsets `(start, end)` of what is wrong in the text, when known.
    pub span: Option<(usize, usize)>,
}

impl fmt::Display for CalendarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: {}", self.line, self.column, self.message)
        } else {
            f.write_str(&self.message)
        }
    }
}

impl std::error::Error for CalendarError {}

impl Calendar {
    /// Read a `calendar.toml`; every error carries its line and column.
    pub fn from_toml(text: &str) -> Result<Calendar, CalendarError> {
        let at = |span: Option<Range<usize>>, message: String| {
            let (line, column) = span.as_ref().map_or((0, 0), |s| line_col(text, s.start));
            CalendarError {
                message,
                line,
                column,
                span: span.map(|s| (s.start, s.end)),
            }
        };
        let raw = reader::read(text).map_err(|e| at(e.span, e.message))?;
        let date = |d: &Spanned<DateValue>, what: &str| {
            d.get_ref().ok_or_else(|| {
                at(
                    Some(d.span()),
                    format!("{what} must be a date such as 2026-09-03"),
                )
            })
        };
        let clock = |t: &Option<Spanned<String>>, what: &str, default: i64| match t {
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
                raw.day_ends.as_ref().map(Spanned::span),
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
                    match h.get_ref().as_slice() {
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

    /// A bank holiday (built in, or listed in the calendar).
    pub fn is_bank_holiday(&self, day: Day) -> bool {
        self.extra_bank_holidays.contains(&day) || is_bank_holiday(day)
    }

    /// A working day: Monday to Friday and not a bank holiday, in term or not.
    pub fn is_working_day(&self, day: Day) -> bool {
        !day.is_weekend() && !self.is_bank_holiday(day)
    }

    /// The term containing the day (half terms included), if any.
    pub fn term_of(&self, day: Day) -> Option<&Term> {
        self.terms.iter().find(|t| t.starts <= day && day <= t.ends)
    }

    /// A term day: a working day inside a term and outside its half term, not a closure.
    pub fn is_term_day(&self, day: Day) -> bool {
        if !self.is_working_day(day) || self.closures.contains(&day) {
            return false;
        }
        if self.terms.is_empty() {
            return true;
        }
        self.term_of(day)
            .is_some_and(|t| !t.half_term.is_some_and(|(a, b)| a <= day && day <= b))
    }

    /// A school day: a term day or an INSET day (staff are in school), never a weekend,
    /// bank holiday or closure.
    pub fn is_school_day(&self, day: Day) -> bool {
        self.is_term_day(day)
            || (self.inset.contains(&day)
                && self.is_working_day(day)
                && !self.closures.contains(&day))
    }

    /// The first school day strictly after `day` (searching at most ten years ahead).
    pub fn next_school_day(&self, day: Day) -> Option<Day> {
        let mut d = day.succ();
        for _ in 0..3700 {
            if self.is_school_day(d) {
                return Some(d);
            }
            d = d.succ();
        }
        None
    }

    /// The first working day strictly after `day`.
    pub fn next_working_day(&self, day: Day) -> Day {
        let mut d = day.succ();
        while !self.is_working_day(d) {
            d = d.succ();
        }
        d
    }

    /// School days `d` with `after < d <= until`, counted over at most twenty years (a
    /// record claiming an action centuries late costs no more than one twenty years late).
    pub fn school_days_between(&self, after: Day, until: Day) -> i64 {
        let until = until.min(Day(after.0.saturating_add(7305)));
        let mut n = 0;
        let mut d = after.succ();
        while d <= until {
            if self.is_school_day(d) {
                n += 1;
            }
            d = d.succ();
        }
        n
    }

    /// The end of the school day on `day`.
    pub fn end_of_school_day(&self, day: Day) -> LocalTime {
        LocalTime::at(day, self.day_ends)
    }
}

/// The academic year (starting 1 September) a day falls in, by its starting calendar year.
pub fn academic_year(day: Day) -> i64 {
    let (y, m, _) = day.ymd();
    if m >= 9 {
        y
    } else {
        y - 1
    }
}

/// The national curriculum year group (England and Wales) of a child born on `born`, in the
/// academic year containing `on`: 0 is Reception, -1 Nursery. Children born between
/// 1 September and 31 August start Reception together, in the September after they turn
/// four (the 1 September cut-off).
pub fn year_group(born: Day, on: Day) -> i64 {
    academic_year(on) - academic_year(born) - 5
}

/// Age in whole years on a day.
pub fn age_on(born: Day, on: Day) -> i64 {
    let (by, bm, bd) = born.ymd();
    let (y, m, d) = on.ymd();
    let mut age = y - by;
    if (m, d) < (bm, bd) {
        age -= 1;
    }
    age
}

/// Parse `HH:MM` into minutes after midnight.
pub fn parse_clock(text: &str) -> Option<i64> {
    let (h, m) = text.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let h: i64 = h.parse().ok()?;
    let m: i64 = m.parse().ok()?;
    ((0..24).contains(&h) && (0..60).contains(&m)).then_some(h * 60 + m)
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
