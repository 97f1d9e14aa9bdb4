//! Civil dates and local wall-clock times, with no time-zone database: UK local time is
//! derived from UTC by the statutory British Summer Time rule (the Summer Time Act 1972 as
//! amended: from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of
//! October).

use std::fmt;

/// A calendar day, counted in days since 1970-01-01 (proleptic Gregorian).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub i64);

/// The day of the week.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weekday {
    /// Monday.
    Mon,
    /// Tuesday.
    Tue,
    /// Wednesday.
    Wed,
    /// Thursday.
    Thu,
    /// Friday.
    Fri,
    /// Saturday.
    Sat,
    /// Sunday.
    Sun,
}

impl Day {
    /// The day of a civil date; `None` if the date does not exist.
    pub fn from_ymd(year: i64, month: u32, day: u32) -> Option<Day> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        // Howard Hinnant's days_from_civil.
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Some(Day(era * 146_097 + doe - 719_468))
    }

    /// Year, month (1–12) and day of month.
    pub fn ymd(self) -> (i64, u32, u32) {
        let z = self.0 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        (y, m as u32, d as u32)
    }

    /// The day of the week.
    pub fn weekday(self) -> Weekday {
        // 1970-01-01 was a Thursday.
        match (self.0 + 3).rem_euclid(7) {
            0 => Weekday::Mon,
            1 => Weekday::Tue,
            2 => Weekday::Wed,
            3 => Weekday::Thu,
            4 => Weekday::Fri,
            5 => Weekday::Sat,
            _ => Weekday::Sun,
        }
    }

    /// Saturday or Sunday.
    pub fn is_weekend(self) -> bool {
        matches!(self.weekday(), Weekday::Sat | Weekday::Sun)
    }

    /// The next day.
    pub fn succ(self) -> Day {
        Day(self.0 + 1)
    }

    /// Parse `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Option<Day> {
        let b = text.as_bytes();
        if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
            return None;
        }
        let year = digits(text.get(0..4)?)?;
        let month = digits(text.get(5..7)?)?;
        let day = digits(text.get(8..10)?)?;
        Day::from_ymd(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
    }

    /// The month as `YYYY-MM`.
    pub fn month_key(self) -> String {
        let (y, m, _) = self.ymd();
        format!("{y:04}-{m:02}")
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

fn digits(text: &str) -> Option<i64> {
    if text.is_empty() || !text.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days in a month (0 for a month out of range).
pub fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// The last `weekday` of a month.
pub fn last_weekday(year: i64, month: u32, weekday: Weekday) -> Option<Day> {
    let mut day = Day::from_ymd(year, month, days_in_month(year, month))?;
    while day.weekday() != weekday {
        day = Day(day.0 - 1);
    }
    Some(day)
}

/// The first `weekday` of a month.
pub fn first_weekday(year: i64, month: u32, weekday: Weekday) -> Option<Day> {
    let mut day = Day::from_ymd(year, month, 1)?;
    while day.weekday() != weekday {
        day = day.succ();
    }
    Some(day)
}

/// A local (UK wall-clock) time to the minute, counted in minutes since 1970-01-01 00:00.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalTime(pub i64);

impl LocalTime {
    /// A day at a time of day (minutes after midnight).
    pub fn at(day: Day, minute_of_day: i64) -> LocalTime {
        LocalTime(day.0 * 1440 + minute_of_day)
    }

    /// The local day.
    pub fn day(self) -> Day {
        Day(self.0.div_euclid(1440))
    }

    /// Minutes after local midnight.
    pub fn minute_of_day(self) -> i64 {
        self.0.rem_euclid(1440)
    }

    /// Parse an ISO 8601 date-time: `YYYY-MM-DDTHH:MM[:SS[.fff]]`, then optionally `Z` or an
    /// offset `±HH:MM`. Without an offset the time is UK local time; with one it is converted
    /// to UK local time. Seconds are truncated to the minute. `None` if it is not one.
    pub fn parse(text: &str) -> Option<LocalTime> {
        let day = Day::parse(text.get(0..10)?)?;
        let rest = text.get(10..)?;
        let rest = rest.strip_prefix('T').or_else(|| rest.strip_prefix(' '))?;
        let hour = digits(rest.get(0..2)?)?;
        if rest.get(2..3)? != ":" {
            return None;
        }
        let minute = digits(rest.get(3..5)?)?;
        if hour > 23 || minute > 59 {
            return None;
        }
        let mut rest = rest.get(5..)?;
        if let Some(after) = rest.strip_prefix(':') {
            let seconds = digits(after.get(0..2)?)?;
            if seconds > 60 {
                return None;
            }
            rest = after.get(2..)?;
            if let Some(frac) = rest.strip_prefix('.') {
                let n = frac.bytes().take_while(u8::is_ascii_digit).count();
                if n == 0 {
                    return None;
                }
                rest = frac.get(n..)?;
            }
        }
        let wall = day.0 * 1440 + hour * 60 + minute;
        let offset = match rest {
            "" => return Some(LocalTime(wall)),
            "Z" | "z" => 0,
            _ => {
                let sign = match rest.get(0..1)? {
                    "+" => 1,
                    "-" => -1,
                    _ => return None,
                };
                if rest.len() != 6 || rest.get(3..4)? != ":" {
                    return None;
                }
                let oh = digits(rest.get(1..3)?)?;
                let om = digits(rest.get(4..6)?)?;
                if oh > 23 || om > 59 {
                    return None;
                }
                sign * (oh * 60 + om)
            }
        };
        Some(uk_local_from_utc(wall - offset))
    }
}

impl LocalTime {
    /// Parse an RFC 3339 date-time, as the incident contract requires: `YYYY-MM-DDTHH:MM:SS`,
    /// optional fraction, then `Z` or an offset `±HH:MM` (which is required: a time without
    /// one does not say which instant it is). Converted to UK local time and truncated to the
    /// minute. `None` if it is not one.
    pub fn parse_rfc3339(text: &str) -> Option<LocalTime> {
        let b = text.as_bytes();
        if !matches!(b.get(10), Some(b'T' | b't')) || b.get(16) != Some(&b':') {
            return None;
        }
        let tail = text.get(19..)?;
        let tail = match tail.strip_prefix('.') {
            Some(frac) => frac.trim_start_matches(|c: char| c.is_ascii_digit()),
            None => tail,
        };
        if tail.is_empty() {
            return None;
        }
        let mut normal = text.to_owned();
        normal.replace_range(10..11, "T");
        LocalTime::parse(&normal)
    }

    /// The UK offset from UTC at this wall-clock time, in minutes: 60 in British Summer
    /// Time, else 0. The hour that repeats when the clocks go back (01:00–01:59 on the last
    /// Sunday of October) is taken as its first, summer-time occurrence (the earlier instant);
    /// the hour the clocks skip in March (01:00–01:59) as GMT, i.e. the same instant as
    /// 02:00–02:59 BST.
    pub fn utc_offset_minutes(self) -> i64 {
        let year = self.day().ymd().0;
        let starts = last_weekday(year, 3, Weekday::Sun).map(|d| d.0 * 1440 + 120);
        let ends = last_weekday(year, 10, Weekday::Sun).map(|d| d.0 * 1440 + 120);
        match (starts, ends) {
            (Some(s), Some(e)) if self.0 >= s && self.0 < e => 60,
            _ => 0,
        }
    }

    /// RFC 3339 with the UK offset of the time: `2026-10-23T16:40:00+01:00`.
    pub fn to_rfc3339(self) -> String {
        let offset = self.utc_offset_minutes();
        format!("{self}:00+{:02}:{:02}", offset / 60, offset % 60)
    }
}

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.minute_of_day();
        write!(f, "{}T{:02}:{:02}", self.day(), m / 60, m % 60)
    }
}

/// UK local time for a UTC instant given in minutes since the epoch.
pub fn uk_local_from_utc(utc_minutes: i64) -> LocalTime {
    let year = Day(utc_minutes.div_euclid(1440)).ymd().0;
    let starts = last_weekday(year, 3, Weekday::Sun).map(|d| d.0 * 1440 + 60);
    let ends = last_weekday(year, 10, Weekday::Sun).map(|d| d.0 * 1440 + 60);
    let summer =
        matches!((starts, ends), (Some(s), Some(e)) if utc_minutes >= s && utc_minutes < e);
    LocalTime(utc_minutes + if summer { 60 } else { 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip_and_weekdays() {
        for n in -1000..100_000 {
            let (y, m, d) = Day(n).ymd();
            assert_eq!(Day::from_ymd(y, m, d), Some(Day(n)));
        }
        assert_eq!(
            Day::parse("2026-10-23").map(Day::weekday),
            Some(Weekday::Fri)
        );
        assert_eq!(
            Day::parse("2024-02-29").map(|d| d.to_string()),
            Some("2024-02-29".into())
        );
        assert_eq!(Day::parse("2025-02-29"), None);
    }

    #[test]
    fn times_convert_to_uk_local_time() {
        let t = |s: &str| LocalTime::parse(s).map(|t| t.to_string());
        assert_eq!(t("2026-03-13T15:40"), Some("2026-03-13T15:40".into()));
        assert_eq!(t("2026-03-13 15:40:59.5"), Some("2026-03-13T15:40".into()));
        // Winter: UTC is local time; summer: one hour ahead.
        assert_eq!(t("2026-01-10T09:00:00Z"), Some("2026-01-10T09:00".into()));
        assert_eq!(t("2026-06-10T09:00:00Z"), Some("2026-06-10T10:00".into()));
        assert_eq!(
            t("2026-06-10T10:00:00+01:00"),
            Some("2026-06-10T10:00".into())
        );
        // The change: 2026-03-29 01:00 UTC, 2026-10-25 01:00 UTC.
        assert_eq!(t("2026-03-29T00:59Z"), Some("2026-03-29T00:59".into()));
        assert_eq!(t("2026-03-29T01:00Z"), Some("2026-03-29T02:00".into()));
        assert_eq!(t("2026-10-25T00:59Z"), Some("2026-10-25T01:59".into()));
        assert_eq!(t("2026-10-25T01:00Z"), Some("2026-10-25T01:00".into()));
        let rfc = |s: &str| LocalTime::parse_rfc3339(s).map(LocalTime::to_rfc3339);
        assert_eq!(
            rfc("2026-10-23T14:40:00Z"),
            Some("2026-10-23T15:40:00+01:00".into())
        );
        assert_eq!(
            rfc("2026-12-01t09:05:59.999+00:00"),
            Some("2026-12-01T09:05:00+00:00".into())
        );
        assert_eq!(
            rfc("2026-06-10T05:00:00-04:00"),
            Some("2026-06-10T10:00:00+01:00".into())
        );
        // The repeated hour in October reads as its first (summer) occurrence.
        assert_eq!(
            LocalTime::parse("2026-10-25T01:30").map(LocalTime::to_rfc3339),
            Some("2026-10-25T01:30:00+01:00".into())
        );
        assert_eq!(
            LocalTime::parse("2026-10-25T02:00").map(LocalTime::to_rfc3339),
            Some("2026-10-25T02:00:00+00:00".into())
        );
        assert_eq!(
            LocalTime::parse("2026-03-29T02:00").map(LocalTime::to_rfc3339),
            Some("2026-03-29T02:00:00+01:00".into())
        );
        for bad in [
            "2026-10-23T14:40:00",
            "2026-10-23T14:40Z",
            "2026-10-23 14:40:00Z",
            "2026-10-23T14:40:00.Z",
            "2026-10-23",
            "",
        ] {
            assert_eq!(LocalTime::parse_rfc3339(bad), None, "{bad}");
        }
        for bad in [
            "2026-13-01T10:00",
            "2026-03-13",
            "2026-03-13T24:00",
            "2026-03-13T10:00+5",
            "x",
        ] {
            assert_eq!(t(bad), None, "{bad}");
        }
    }
}
