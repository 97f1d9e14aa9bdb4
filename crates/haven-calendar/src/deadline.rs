//! Deadline tokens to concrete due times (the rules are written out in `docs/calendar.md`,
//! the one place they are described).

use crate::calendar::Calendar;
use crate::time::{Day, LocalTime};

/// The due time of an action with `deadline` for a concern reported at `reported`; `None`
/// when the deadline names no time (`unspecified`, no deadline, or a token this version does
/// not know).
pub fn due(deadline: Option<&str>, reported: LocalTime, cal: &Calendar) -> Option<LocalTime> {
    let day = reported.day();
    let end_of = |d: Day| LocalTime::at(d, 1439);
    match deadline? {
        // A grace of `immediately_minutes` (default 60) from the report.
        "immediately" => Some(LocalTime(reported.0 + cal.immediately_minutes)),
        // Before midnight of the day it was reported, whatever kind of day that is.
        "same_day" => Some(end_of(day)),
        // By the end of the school day: today's if reported on a school day before it ends,
        // otherwise the next school day's.
        "end_of_day" => {
            if cal.is_school_day(day) && reported.minute_of_day() <= cal.day_ends {
                Some(cal.end_of_school_day(day))
            } else {
                cal.next_school_day(day).map(|d| cal.end_of_school_day(d))
            }
        }
        // By the end (midnight) of the next working day, in term or not: the agencies it
        // concerns work on working days, and the school's safeguarding cover runs in holidays.
        "within_1_working_day" => Some(end_of(cal.next_working_day(day))),
        // By the end of the next school day.
        "as_soon_as_practicable" => cal.next_school_day(day).map(|d| cal.end_of_school_day(d)),
        // By the end of the school day on the last day of the term the report falls in (or,
        // in a holiday or after that day's end, of the next term).
        "termly" => cal
            .terms
            .iter()
            .map(|t| cal.end_of_school_day(t.ends))
            .find(|end| *end >= reported),
        // By 31 August, the end of the academic year of the report.
        "annually" => {
            let year = crate::calendar::academic_year(day) + 1;
            Day::from_ymd(year, 8, 31).map(end_of)
        }
        _ => None,
    }
}

/// What a decision says when its due times were computed without the school's
/// `calendar.toml`: weekends and bank holidays are known, term dates are not.
pub const NOTE_WITHOUT_CALENDAR: &str = "due times were computed without the school's calendar (no calendar.toml): every working day (Monday to Friday, not an England and Wales bank holiday) counts as a school day, the school day is taken to end at 15:30, and term dates, half terms and INSET days are not known; check any `end_of_day`, `as_soon_as_practicable` or `termly` due time against the school's term dates";
