//! The oracle: the benchmark decision written directly in Rust, twice.
//!
//! - [`decide`] reads a typed struct (enums, `Option<bool>`, small integers) and returns a
//!   bit set: the physical limit for this decision.
//! - [`decide_json`] parses the incident's JSON text into a `serde_json::Value` and reads the
//!   same facts from the map: the floor for anything that starts from JSON text.
//!
//! The decision: the UKCIS immediate-referral criteria (`policies/shared/ukcis_2024.haven`)
//! and Basnett Street's staff sanctions table (`policies/basnett_2024/policy.haven`, 15 rows
//! x 8 columns). Like haven, a fact that is absent is unknown, and only what *definitely*
//! follows counts: `not deliberate` holds only when `deliberate` is known to be false, and an
//! actor of unknown role is not known to be staff.

use super::corpus::{Case, Person};
use super::Tuple;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// The elements a decision can hold, as `(modality, action, targets)`; bit `i` of an
/// [`Outcome`] is element `i`.
pub(crate) const ELEMENTS: [(&str, &str, &[&str]); 9] = [
    ("must", "refer", &["childrens_social_care", "police"]),
    ("must", "refer", &["line_manager"]),
    ("must", "refer", &["headteacher"]),
    ("must", "refer", &["la_hr"]),
    ("must", "refer", &["police"]),
    ("must", "refer", &["network_manager"]),
    ("may", "warning", &[]),
    ("may", "suspension", &[]),
    ("may", "disciplinary_action", &[]),
];

const REFERRAL: u16 = 1;
// The staff_sanctions columns, in the table's order: LM HT LA Pol Tech W Sus Dis.
const LM: u16 = 1 << 1;
const HT: u16 = 1 << 2;
const LA: u16 = 1 << 3;
const POL: u16 = 1 << 4;
#[allow(dead_code, reason = "the table ticks no row in the Tech column")]
const TECH: u16 = 1 << 5;
const W: u16 = 1 << 6;
const SUS: u16 = 1 << 7;
const DIS: u16 = 1 << 8;

/// A decision as a bit set over [`ELEMENTS`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Outcome(pub(crate) u16);

impl Outcome {
    pub(crate) fn tuples(self) -> BTreeSet<Tuple> {
        ELEMENTS
            .iter()
            .enumerate()
            .filter(|(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, (m, a, t))| {
                (
                    (*m).to_owned(),
                    (*a).to_owned(),
                    t.iter().map(|s| (*s).to_owned()).collect(),
                )
            })
            .collect()
    }
}

/// The categories the decision names; every other category is `Other`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Category {
    SharingNudes,
    Sextortion,
    DeliberateAccessInappropriate,
    Csam,
    ExtremePornography,
    ObsceneAdultContent,
    CriminallyRacistMaterial,
    InappropriatePersonalUse,
    UnauthorisedDownload,
    AccountMisuse,
    DataProtectionBreach,
    HackingOrVirus,
    OffensiveMessage,
    Cyberbullying,
    StaffPersonalCommsWithPupils,
    ProfessionalStanding,
    Disrepute,
    FilterBypass,
    AccidentalAccessNotReported,
    Pornography,
    CopyrightBreach,
    Other,
}

impl Category {
    pub(crate) fn parse(s: &str) -> Category {
        use Category::*;
        match s {
            "sharing_nudes" => SharingNudes,
            "sextortion" => Sextortion,
            "deliberate_access_inappropriate" => DeliberateAccessInappropriate,
            "csam" => Csam,
            "extreme_pornography" => ExtremePornography,
            "obscene_adult_content" => ObsceneAdultContent,
            "criminally_racist_material" => CriminallyRacistMaterial,
            "inappropriate_personal_use" => InappropriatePersonalUse,
            "unauthorised_download" => UnauthorisedDownload,
            "account_misuse" => AccountMisuse,
            "data_protection_breach" => DataProtectionBreach,
            "hacking_or_virus" => HackingOrVirus,
            "offensive_message" => OffensiveMessage,
            "cyberbullying" => Cyberbullying,
            "staff_personal_comms_with_pupils" => StaffPersonalCommsWithPupils,
            "professional_standing" => ProfessionalStanding,
            "disrepute" => Disrepute,
            "filter_bypass" => FilterBypass,
            "accidental_access_not_reported" => AccidentalAccessNotReported,
            "pornography" => Pornography,
            "copyright_breach" => CopyrightBreach,
            _ => Other,
        }
    }
}

/// The roles of the vocabulary, as far as the decision cares: staff or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Staff,
    Teacher,
    TeachingAssistant,
    SupportStaff,
    OfficeStaff,
    NetworkManager,
    ComputingLead,
    OnlineSafetyCoordinator,
    Slt,
    Dsl,
    DeputyDsl,
    Headteacher,
    DeputyHeadteacher,
    HeadOfYear,
    LeadTeacher,
    LineManager,
    Practitioner,
    SupplyStaff,
    PeripateticStaff,
    StudentTeacher,
    Dpo,
    /// Any role that is not staff (pupil, parent, visitor, governor, …).
    NotStaff,
}

impl Role {
    pub(crate) fn parse(s: &str) -> Role {
        use Role::*;
        match s {
            "staff" => Staff,
            "teacher" => Teacher,
            "teaching_assistant" => TeachingAssistant,
            "support_staff" => SupportStaff,
            "office_staff" => OfficeStaff,
            "network_manager" => NetworkManager,
            "computing_lead" => ComputingLead,
            "online_safety_coordinator" => OnlineSafetyCoordinator,
            "slt" => Slt,
            "dsl" => Dsl,
            "deputy_dsl" => DeputyDsl,
            "headteacher" => Headteacher,
            "deputy_headteacher" => DeputyHeadteacher,
            "head_of_year" => HeadOfYear,
            "lead_teacher" => LeadTeacher,
            "line_manager" => LineManager,
            "practitioner" => Practitioner,
            "supply_staff" => SupplyStaff,
            "peripatetic_staff" => PeripateticStaff,
            "student_teacher" => StudentTeacher,
            "dpo" => Dpo,
            _ => NotStaff,
        }
    }

    pub(crate) fn is_staff(self) -> bool {
        self != Role::NotStaff
    }
}

/// Every role that is (or descends from) `staff` in `policies/std/vocabulary.haven`.
pub(crate) fn is_staff_name(role: &str) -> bool {
    Role::parse(role).is_staff()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TypedPerson {
    pub(crate) role: Option<Role>,
    pub(crate) age: Option<u8>,
}

/// The incident as a typed struct: what a caller that already holds typed data passes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Typed {
    /// `None`: a permission request, not an incident.
    pub(crate) category: Option<Category>,
    pub(crate) actor: Option<TypedPerson>,
    pub(crate) subject: Option<TypedPerson>,
    pub(crate) others: Option<Vec<TypedPerson>>,
    pub(crate) adult_involved: Option<bool>,
    pub(crate) coerced_blackmailed_or_groomed: Option<bool>,
    pub(crate) capacity_to_consent_concern: Option<bool>,
    pub(crate) unusual_or_violent_acts: Option<bool>,
    pub(crate) sexual_acts: Option<bool>,
    pub(crate) immediate_risk_of_harm: Option<bool>,
    pub(crate) illegal_content_suspected: Option<bool>,
    pub(crate) deliberate: Option<bool>,
}

fn typed_person(p: &Person) -> TypedPerson {
    TypedPerson {
        role: p.role.map(Role::parse),
        age: p.age.and_then(|a| u8::try_from(a).ok()),
    }
}

impl Typed {
    pub(crate) fn from_case(c: &Case) -> Typed {
        Typed {
            category: c.category.map(Category::parse),
            actor: c.actor.as_ref().map(typed_person),
            subject: c.subject.as_ref().map(typed_person),
            others: c
                .others
                .as_ref()
                .map(|o| o.iter().map(typed_person).collect()),
            adult_involved: c.fact("adult_involved"),
            coerced_blackmailed_or_groomed: c.fact("coerced_blackmailed_or_groomed"),
            capacity_to_consent_concern: c.fact("capacity_to_consent_concern"),
            unusual_or_violent_acts: c.fact("unusual_or_violent_acts"),
            sexual_acts: c.fact("sexual_acts"),
            immediate_risk_of_harm: c.fact("immediate_risk_of_harm"),
            illegal_content_suspected: c.fact("illegal_content_suspected"),
            deliberate: c.fact("deliberate"),
        }
    }
}

/// The staff sanctions table: the columns ticked by every row that matches a staff actor's
/// incident (hit policy `collect`).
fn sanctions(category: Category, illegal: Option<bool>, deliberate: Option<bool>) -> u16 {
    use Category::*;
    match category {
        // Row 1 (illegal material) and row 14 (offensive or pornographic material).
        DeliberateAccessInappropriate => match illegal {
            Some(true) => HT | LA | POL | DIS,
            Some(false) => LM | HT | POL | SUS,
            None => 0,
        },
        // Row 1 also names the illegal categories, for deliberate access only.
        Csam | ExtremePornography | ObsceneAdultContent | CriminallyRacistMaterial => {
            match deliberate {
                Some(true) => HT | LA | POL | DIS,
                _ => 0,
            }
        }
        InappropriatePersonalUse
        | UnauthorisedDownload
        | FilterBypass
        | AccidentalAccessNotReported => LM | HT,
        AccountMisuse => LM | HT | W | DIS,
        // Rows 5 (careless) and 6 (deliberate).
        DataProtectionBreach => match deliberate {
            Some(false) => LM | HT,
            Some(true) => LM | HT | LA | W | DIS,
            None => 0,
        },
        HackingOrVirus => LM | HT | LA | POL | DIS,
        OffensiveMessage | Cyberbullying => LM | HT | LA | W | DIS,
        StaffPersonalCommsWithPupils => LM | HT | W | DIS,
        ProfessionalStanding => LM | LA | W | DIS,
        Disrepute => HT,
        // Row 14: deliberately accessing pornography.
        Pornography => match deliberate {
            Some(true) => LM | HT | POL | SUS,
            _ => 0,
        },
        CopyrightBreach => LM | HT | DIS,
        SharingNudes | Sextortion | Other => 0,
    }
}

/// The decision over a typed incident.
pub(crate) fn decide(i: &Typed) -> Outcome {
    let mut out = 0;
    if matches!(
        i.category,
        Some(Category::SharingNudes | Category::Sextortion)
    ) {
        let under_13 = |p: &TypedPerson| p.age.is_some_and(|a| a < 13);
        let c4 = i.sexual_acts == Some(true)
            && (i.actor.iter().any(under_13)
                || i.subject.iter().any(under_13)
                || i.others.iter().flatten().any(under_13));
        if i.adult_involved == Some(true)
            || i.coerced_blackmailed_or_groomed == Some(true)
            || i.capacity_to_consent_concern == Some(true)
            || i.unusual_or_violent_acts == Some(true)
            || c4
            || i.immediate_risk_of_harm == Some(true)
        {
            out |= REFERRAL;
        }
    }
    if let (Some(category), Some(TypedPerson { role: Some(r), .. })) = (i.category, i.actor) {
        if r.is_staff() {
            out |= sanctions(category, i.illegal_content_suspected, i.deliberate);
        }
    }
    Outcome(out)
}

/// The decision over an incident record already parsed into a JSON map.
pub(crate) fn decide_map(m: &Map<String, Value>) -> Outcome {
    let facts = m.get("facts").and_then(Value::as_object);
    let fact = |k: &str| facts.and_then(|f| f.get(k)).and_then(Value::as_bool);
    let category = m.get("category").and_then(Value::as_str);
    let mut out = 0;
    if matches!(category, Some("sharing_nudes" | "sextortion")) {
        let under_13 = |p: &Value| p.get("age").and_then(Value::as_i64).is_some_and(|a| a < 13);
        let c4 = fact("sexual_acts") == Some(true)
            && (m.get("actor").is_some_and(under_13)
                || m.get("subject").is_some_and(under_13)
                || m.get("others")
                    .and_then(Value::as_array)
                    .is_some_and(|o| o.iter().any(under_13)));
        if fact("adult_involved") == Some(true)
            || fact("coerced_blackmailed_or_groomed") == Some(true)
            || fact("capacity_to_consent_concern") == Some(true)
            || fact("unusual_or_violent_acts") == Some(true)
            || c4
            || fact("immediate_risk_of_harm") == Some(true)
        {
            out |= REFERRAL;
        }
    }
    let staff = m
        .get("actor")
        .and_then(|a| a.get("role"))
        .and_then(Value::as_str)
        .is_some_and(is_staff_name);
    if let (Some(c), true) = (category, staff) {
        out |= sanctions(
            Category::parse(c),
            fact("illegal_content_suspected"),
            fact("deliberate"),
        );
    }
    Outcome(out)
}

/// The decision from JSON text: parse into a map, then read it.
pub(crate) fn decide_json(text: &str) -> Option<Outcome> {
    let v: Value = serde_json::from_str(text).ok()?;
    Some(decide_map(v.as_object()?))
}
