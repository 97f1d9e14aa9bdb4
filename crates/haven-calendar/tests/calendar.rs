//! The school calendar: bank holidays, term boundaries, INSET days, deadlines and year groups.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a test failure with its message"
)]

use haven_calendar::calendar::{age_on, bank_holidays, year_group};
use haven_calendar::time::{Day, LocalTime};
use haven_calendar::{due, Calendar};

fn day(s: &str) -> Day {
    Day::parse(s).unwrap()
}

fn kingsbury() -> Calendar {
    let text = include_str!("../../../policies/kingsbury_2019/calendar.toml");
    Calendar::from_toml(text).unwrap()
}

fn due_at(token: &str, reported: &str) -> Option<String> {
    due(
        Some(token),
        LocalTime::parse(reported).unwrap(),
        &kingsbury(),
    )
    .map(|t| t.to_string())
}

#[test]
fn bank_holidays_match_the_gov_uk_list() {
    // https://www.gov.uk/bank-holidays, division england-and-wales.
    let published: &[(i64, &[&str])] = &[
        (
            2022,
            &[
                "2022-01-03",
                "2022-04-15",
                "2022-04-18",
                "2022-05-02",
                "2022-06-02",
                "2022-06-03",
                "2022-08-29",
                "2022-09-19",
                "2022-12-26",
                "2022-12-27",
            ],
        ),
        (
            2023,
            &[
                "2023-01-02",
                "2023-04-07",
                "2023-04-10",
                "2023-05-01",
                "2023-05-08",
                "2023-05-29",
                "2023-08-28",
                "2023-12-25",
                "2023-12-26",
            ],
        ),
        (
            2024,
            &[
                "2024-01-01",
                "2024-03-29",
                "2024-04-01",
                "2024-05-06",
                "2024-05-27",
                "2024-08-26",
                "2024-12-25",
                "2024-12-26",
            ],
        ),
        (
            2025,
            &[
                "2025-01-01",
                "2025-04-18",
                "2025-04-21",
                "2025-05-05",
                "2025-05-26",
                "2025-08-25",
                "2025-12-25",
                "2025-12-26",
            ],
        ),
        (
            2026,
            &[
                "2026-01-01",
                "2026-04-03",
                "2026-04-06",
                "2026-05-04",
                "2026-05-25",
                "2026-08-31",
                "2026-12-25",
                "2026-12-28",
            ],
        ),
        (
            2027,
            &[
                "2027-01-01",
                "2027-03-26",
                "2027-03-29",
                "2027-05-03",
                "2027-05-31",
                "2027-08-30",
                "2027-12-27",
                "2027-12-28",
            ],
        ),
    ];
    for (year, dates) in published {
        let got: Vec<String> = bank_holidays(*year).iter().map(Day::to_string).collect();
        assert_eq!(got, *dates, "{year}");
    }
}

#[test]
fn term_boundaries_half_terms_and_holidays() {
    let cal = kingsbury();
    // Autumn 2025: first pupil day Wed 3 Sep, last Fri 19 Dec; half term 27–31 Oct.
    assert!(!cal.is_term_day(day("2025-09-02")));
    assert!(cal.is_term_day(day("2025-09-03")));
    assert!(cal.is_term_day(day("2025-10-24")));
    assert!(!cal.is_school_day(day("2025-10-27")));
    assert!(!cal.is_school_day(day("2025-10-31")));
    assert!(cal.is_school_day(day("2025-11-03")));
    assert!(cal.is_school_day(day("2025-12-19")));
    assert!(!cal.is_school_day(day("2025-12-22")));
    // Half term and holidays are still working days (not weekends or bank holidays).
    assert!(cal.is_working_day(day("2025-10-27")));
    assert!(!cal.is_working_day(day("2025-12-25")));
    // Weekends inside term are not school days.
    assert!(!cal.is_school_day(day("2025-09-06")));
    // Bank holiday inside term: early May bank holiday 2026.
    assert!(!cal.is_school_day(day("2026-05-04")));
    assert_eq!(
        cal.term_of(day("2026-05-04")).map(|t| t.name.as_str()),
        Some("summer 2026")
    );
}

#[test]
fn inset_days_are_school_days_without_being_term_days() {
    let cal = kingsbury();
    for d in ["2025-09-01", "2025-09-02", "2026-01-05", "2026-07-22"] {
        assert!(cal.is_school_day(day(d)), "{d}");
        assert!(!cal.is_term_day(day(d)), "{d}");
    }
    // Reported on the Monday bank holiday before term: `end_of_day` falls on the INSET day.
    assert_eq!(
        due_at("end_of_day", "2026-08-31T10:00"),
        Some("2026-09-01T15:30".into())
    );
    // And the first school day after the summer is an INSET day, not the first pupil day.
    assert_eq!(
        cal.next_school_day(day("2026-07-22")),
        Some(day("2026-09-01"))
    );
}

#[test]
fn a_report_on_the_friday_afternoon_before_half_term() {
    // Friday 23 October 2026, 15:40, after the school day ends (15:30); half term follows,
    // then Monday 2 November is an INSET day.
    let r = "2026-10-23T15:40";
    assert_eq!(due_at("immediately", r), Some("2026-10-23T16:40".into()));
    assert_eq!(due_at("same_day", r), Some("2026-10-23T23:59".into()));
    assert_eq!(due_at("end_of_day", r), Some("2026-11-02T15:30".into()));
    assert_eq!(
        due_at("within_1_working_day", r),
        Some("2026-10-26T23:59".into())
    );
    assert_eq!(
        due_at("as_soon_as_practicable", r),
        Some("2026-11-02T15:30".into())
    );
    assert_eq!(due_at("termly", r), Some("2026-12-18T15:30".into()));
    assert_eq!(due_at("annually", r), Some("2027-08-31T23:59".into()));
    assert_eq!(due_at("unspecified", r), None);
    // The same Friday before the school day ends: today.
    assert_eq!(
        due_at("end_of_day", "2026-10-23T14:00"),
        Some("2026-10-23T15:30".into())
    );
    // Done on the Tuesday after half term: one school day late (half term does not count).
    let cal = kingsbury();
    assert_eq!(
        cal.school_days_between(day("2026-10-23"), day("2026-11-03")),
        2
    );
    assert_eq!(
        cal.school_days_between(day("2026-11-02"), day("2026-11-03")),
        1
    );
}

#[test]
fn within_one_working_day_skips_weekends_and_bank_holidays() {
    // Thursday before Easter 2026 (Good Friday 3 April, Easter Monday 6 April).
    assert_eq!(
        due_at("within_1_working_day", "2026-04-02T11:00"),
        Some("2026-04-07T23:59".into())
    );
    // Christmas Eve 2026: 25th Friday, 28th Monday substitute for Boxing Day.
    assert_eq!(
        due_at("within_1_working_day", "2026-12-24T09:00"),
        Some("2026-12-29T23:59".into())
    );
}

#[test]
fn year_group_changes_on_1_september() {
    // Born 31 August 2015 and 1 September 2015: a year apart in school, a day apart in age.
    let on = day("2026-10-01");
    assert_eq!(year_group(day("2015-08-31"), on), 7);
    assert_eq!(year_group(day("2015-09-01"), on), 6);
    // The same child either side of 1 September.
    assert_eq!(year_group(day("2015-09-01"), day("2026-08-31")), 5);
    assert_eq!(year_group(day("2015-09-01"), day("2026-09-01")), 6);
    // Reception: turns five during the school year.
    assert_eq!(year_group(day("2021-09-01"), day("2026-09-01")), 0);
    assert_eq!(year_group(day("2022-08-31"), day("2026-09-01")), 0);
    assert_eq!(age_on(day("2015-09-01"), day("2026-08-31")), 10);
    assert_eq!(age_on(day("2015-09-01"), day("2026-09-01")), 11);
}

#[test]
fn calendar_errors_are_located() {
    let err = |text: &str| Calendar::from_toml(text).unwrap_err().to_string();
    assert_eq!(
        err("[[term]]\nname = \"autumn\"\nstarts = 2026-09-03\nends = 2026-09-01\n"),
        "4:8: term `autumn` ends before it starts"
    );
    assert!(err("day_ends = \"3pm\"\n").starts_with("1:12: `day_ends` must be a time"));
    assert!(err("holidays = []\n").contains("unknown field `holidays`"));
    assert!(err("[[term]]\nname = \"a\"\nstarts = 2026-09-03\nends = 2026-12-18\nhalf_term = [2027-01-01, 2027-01-02]\n")
        .starts_with("5:13: `half_term` of term `a` must be"));
}
