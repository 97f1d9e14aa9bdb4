//! The incident record's fields, in contract order: one row per key, read by the incident
//! reader (which keys exist), the checker (which names a condition may use), `question.rs`
//! (how a question names and asks for a missing field), the JSON Schema generator and the
//! tests that hold the binding type files to the contract. Adding a record field starts
//! with one row here.

use crate::ir::{Field, Who};
use crate::syntax::ast::TokenKind;

/// What a record key holds, and how the engine sees it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Slot {
    /// `id`: echoed into the decision, never evaluated.
    Id,
    /// A vocabulary token read into an IR field.
    Token(Field, TokenKind),
    /// A person object; the noun phrase names them in questions.
    Person(Who, &'static str),
    /// `others`: a list of person objects.
    People,
    /// `device`: an object whose keys are rows of their own (`device.kind`, `device.owner`).
    Object,
    /// `facts`: the policy's declared facts.
    Facts,
    /// An RFC 3339 date-time (`occurred_at`, `reported_at`): never evaluated by rules; the
    /// report time gives each deadline its `due` time on the school's calendar.
    Timestamp(Stamp),
}

/// The timestamps of a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stamp {
    /// When the incident happened.
    Occurred,
    /// When it was reported to the school: deadlines run from here.
    Reported,
}

/// One key of the incident record.
#[derive(Clone, Copy, Debug)]
pub struct RecordField {
    /// The key path, `category` or `device.kind`.
    pub path: &'static str,
    /// The question asked when the field is missing and a rule needs it.
    pub question: &'static str,
    /// One line of documentation (the schema's `description`).
    pub doc: &'static str,
    pub(crate) slot: Slot,
}

impl RecordField {
    /// The JSON shape of the key, as the contract names it: `id`, `token`, `person`,
    /// `people`, `object`, `facts` or `timestamp`.
    pub fn shape(&self) -> &'static str {
        match self.slot {
            Slot::Id => "id",
            Slot::Token(..) => "token",
            Slot::Person(..) => "person",
            Slot::People => "people",
            Slot::Object => "object",
            Slot::Facts => "facts",
            Slot::Timestamp(_) => "timestamp",
        }
    }

    /// The vocabulary keyword of a token field (`category`, `device`, `owner`).
    pub fn token_keyword(&self) -> Option<&'static str> {
        match self.slot {
            Slot::Token(_, kind) => Some(kind.keyword()),
            _ => None,
        }
    }

    /// Whether the key sits at the top of the record (not inside `device`).
    pub fn is_top(&self) -> bool {
        !self.path.contains('.')
    }
}

/// Every key of incident record version 1, in contract order.
pub const FIELDS: &[RecordField] = &[
    RecordField {
        path: "id",
        question: "",
        doc: "The caller's identifier for the incident, echoed as `incident_id` in the decision.",
        slot: Slot::Id,
    },
    RecordField {
        path: "category",
        question: "What kind of incident is it?",
        doc: "What happened: an incident category from the vocabulary.",
        slot: Slot::Token(Field::Category, TokenKind::Category),
    },
    RecordField {
        path: "activity",
        question: "What activity is being asked about?",
        doc: "For a permission request (\"may a pupil use a phone?\"): the activity asked about.",
        slot: Slot::Token(Field::Activity, TokenKind::Activity),
    },
    RecordField {
        path: "actor",
        question: "What is the role of the person whose conduct this is about?",
        doc: "The person whose conduct the incident is about.",
        slot: Slot::Person(Who::Actor, "person whose conduct this is about"),
    },
    RecordField {
        path: "subject",
        question: "What is the role of the person affected?",
        doc: "The person affected.",
        slot: Slot::Person(Who::Subject, "person affected"),
    },
    RecordField {
        path: "reporter",
        question: "What is the role of the person who reported it?",
        doc: "The person who reported the incident.",
        slot: Slot::Person(Who::Reporter, "person who reported it"),
    },
    RecordField {
        path: "others",
        question: "Who else is involved (the `others` list)?",
        doc: "Other people involved; `all(...)`/`any(...)` conditions range over them.",
        slot: Slot::People,
    },
    RecordField {
        path: "device",
        question: "What kind of device is involved?",
        doc: "The device involved.",
        slot: Slot::Object,
    },
    RecordField {
        path: "device.kind",
        question: "What kind of device is involved?",
        doc: "The kind of device: a device name from the vocabulary.",
        slot: Slot::Token(Field::DeviceKind, TokenKind::Device),
    },
    RecordField {
        path: "device.owner",
        question: "Is the device personal or school-owned?",
        doc: "Who owns the device: an owner name from the vocabulary.",
        slot: Slot::Token(Field::DeviceOwner, TokenKind::Owner),
    },
    RecordField {
        path: "location",
        question: "Where is this happening?",
        doc: "Where it happened: a location name from the vocabulary.",
        slot: Slot::Token(Field::Location, TokenKind::Location),
    },
    RecordField {
        path: "time",
        question: "At what time of the school day?",
        doc: "When in the school day: a time name from the vocabulary.",
        slot: Slot::Token(Field::Time, TokenKind::Time),
    },
    RecordField {
        path: "occurred_at",
        question: "",
        doc: "When the incident happened: an RFC 3339 date and time with its offset, e.g. `2026-10-23T15:10:00+01:00`. Not after `reported_at`.",
        slot: Slot::Timestamp(Stamp::Occurred),
    },
    RecordField {
        path: "reported_at",
        question: "",
        doc: "When the concern was reported to the school: an RFC 3339 date and time with its offset, e.g. `2026-10-23T15:40:00+01:00`. Each action with a deadline then gains a `due` time on the school's calendar.",
        slot: Slot::Timestamp(Stamp::Reported),
    },
    RecordField {
        path: "facts",
        question: "",
        doc: "Answers to the policy's declared facts, by name.",
        slot: Slot::Facts,
    },
];

/// The keys at the top of the record, in contract order.
pub fn top_keys() -> impl Iterator<Item = &'static str> {
    FIELDS.iter().filter(|f| f.is_top()).map(|f| f.path)
}

/// The keys inside the object at `parent` (`device` → `kind`, `owner`).
pub(crate) fn child_keys(parent: &str) -> impl Iterator<Item = &'static str> + '_ {
    FIELDS.iter().filter_map(move |f| {
        f.path
            .strip_prefix(parent)
            .and_then(|rest| rest.strip_prefix('.'))
    })
}

/// The row of a key path.
pub(crate) fn by_path(path: &str) -> Option<&'static RecordField> {
    FIELDS.iter().find(|f| f.path == path)
}

/// The row of a token field.
pub(crate) fn by_field(field: Field) -> Option<&'static RecordField> {
    FIELDS
        .iter()
        .find(|f| matches!(f.slot, Slot::Token(g, _) if g == field))
}

/// The person row of a key (`actor`, `subject`, `reporter`).
pub(crate) fn person(key: &str) -> Option<Who> {
    match by_path(key)?.slot {
        Slot::Person(who, _) => Some(who),
        _ => None,
    }
}

/// The key and noun phrase of a named person.
pub(crate) fn person_row(who: Who) -> Option<(&'static str, &'static str)> {
    FIELDS.iter().find_map(|f| match f.slot {
        Slot::Person(w, noun) if w == who => Some((f.path, noun)),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_unique_and_children_follow_their_parent() {
        for (i, f) in FIELDS.iter().enumerate() {
            assert!(
                FIELDS.iter().skip(i + 1).all(|g| g.path != f.path),
                "{}",
                f.path
            );
            if let Some((parent, _)) = f.path.split_once('.') {
                let row = by_path(parent).map(|r| r.shape());
                assert_eq!(row, Some("object"), "{}", f.path);
            }
        }
        assert_eq!(child_keys("device").collect::<Vec<_>>(), ["kind", "owner"]);
        assert_eq!(top_keys().count(), 13);
    }
}
