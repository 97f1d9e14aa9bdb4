//! The UK school calendar: a school's `calendar.toml` (terms, half terms, INSET days,
//! closures, the school day) over the England and Wales bank holidays; working-day and
//! school-day arithmetic; each deadline token of a haven decision turned into a concrete due
//! time from when a concern was reported. The rules are written out in `docs/calendar.md`.
//!
//! ```
//! use haven_calendar::{due, Calendar, LocalTime};
//! let cal = Calendar::default();
//! // Friday 23 October 2026, 15:40 BST: the next working day is Monday 26 October.
//! let reported = LocalTime::parse("2026-10-23T14:40:00Z").unwrap();
//! let at = due(Some("within_1_working_day"), reported, &cal).unwrap();
//! assert_eq!(at.to_rfc3339(), "2026-10-26T23:59:00+00:00");
//! ```
//!
//! Used by haven-core (the `due` time of each action in a decision) and haven-audit
//! (lateness of what was done). **Invariant:** no I/O, no printing, no panics on any input.

pub mod calendar;
mod deadline;
mod reader;
pub mod time;

pub use calendar::{Calendar, CalendarError, Term, BANK_HOLIDAY_SOURCE};
pub use deadline::{due, NOTE_WITHOUT_CALENDAR};
pub use time::{Day, LocalTime, Weekday};
