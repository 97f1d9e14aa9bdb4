//! What a question asks about, and its wording. Evaluation only finds the *keys* of the
//! unknown fields that keep a rule undecided ([`QKey`]); the path (`facts.adult_involved`,
//! `others[1].role`) and the question text are rendered from the record table
//! ([`crate::record`]) and the policy's fact declarations only when a decision is read or
//! serialised, straight into the output (the [`fmt::Display`] adapters below), so an
//! evaluation builds no strings.

use crate::ir::{Field, PolicyIr, Who};
use crate::record;
use std::cmp::Ordering;
use std::fmt::{self, Write as _};

/// Which person a quantifier is looking at, for naming questions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PersonRef {
    Actor,
    Subject,
    Reporter,
    Other(usize),
}

impl PersonRef {
    /// The named person of the record table, or `None` for an entry of `others`.
    fn who(self) -> Option<Who> {
        match self {
            PersonRef::Actor => Some(Who::Actor),
            PersonRef::Subject => Some(Who::Subject),
            PersonRef::Reporter => Some(Who::Reporter),
            PersonRef::Other(_) => None,
        }
    }

    fn index(self) -> usize {
        match self {
            PersonRef::Other(i) => i,
            _ => 0,
        }
    }
}

/// A field a question asks about. Two keys are equal exactly when their paths are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum QKey {
    Field(Field),
    Person(PersonRef, Option<u16>),
    OthersList,
}

impl QKey {
    /// The key of `field`, with `each` the person a quantifier's body is looking at.
    pub(crate) fn of(field: Field, each: Option<PersonRef>) -> QKey {
        let concrete = |who: Who| match who {
            Who::Actor => Some(PersonRef::Actor),
            Who::Subject => Some(PersonRef::Subject),
            Who::Reporter => Some(PersonRef::Reporter),
            Who::Each => each,
        };
        match field {
            Field::Role(who) => concrete(who).map_or(QKey::Field(field), |p| QKey::Person(p, None)),
            Field::PersonFact(who, i) => {
                concrete(who).map_or(QKey::Field(field), |p| QKey::Person(p, Some(i)))
            }
            other => QKey::Field(other),
        }
    }

    /// The record path, rendered when written (`facts.adult_involved`).
    pub(crate) fn path<'a>(&'a self, ir: &'a PolicyIr) -> Path<'a> {
        Path(self, ir)
    }

    /// The question text, rendered when written.
    pub(crate) fn ask<'a>(&'a self, ir: &'a PolicyIr) -> Ask<'a> {
        Ask(self, ir)
    }

    /// Compare two keys by their paths, as strings, without allocating for the usual
    /// short paths.
    pub(crate) fn cmp_path(&self, other: &QKey, ir: &PolicyIr) -> Ordering {
        let mut a = StackText::default();
        let mut b = StackText::default();
        let _ = write!(a, "{}", self.path(ir));
        let _ = write!(b, "{}", other.path(ir));
        a.as_str().cmp(b.as_str())
    }
}

fn person_fact(ir: &PolicyIr, i: u16) -> &str {
    ir.vocab
        .person_facts
        .get(usize::from(i))
        .map_or("?", |f| f.name.as_str())
}

fn is_top_field(f: Field) -> bool {
    matches!(
        f,
        Field::Category
            | Field::Activity
            | Field::Location
            | Field::Time
            | Field::DeviceKind
            | Field::DeviceOwner
    )
}

/// [`QKey::path`].
pub(crate) struct Path<'a>(&'a QKey, &'a PolicyIr);

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Path(key, ir) = *self;
        match key {
            QKey::Field(field) if is_top_field(*field) => {
                f.write_str(record::by_field(*field).map_or("?", |r| r.path))
            }
            QKey::Field(Field::Fact(i)) => {
                let name = ir.vocab.facts.get(usize::from(*i));
                write!(f, "facts.{}", name.map_or("?", |x| x.name.as_str()))
            }
            QKey::Field(Field::PersonFact(_, i)) => f.write_str(person_fact(ir, *i)),
            QKey::Field(_) => f.write_str("role"),
            QKey::Person(p, fact) => {
                match p.who() {
                    Some(who) => f.write_str(record::person_row(who).map_or("?", |r| r.0))?,
                    None => write!(f, "others[{}]", p.index())?,
                }
                match fact {
                    None => f.write_str(".role"),
                    Some(i) => write!(f, ".{}", person_fact(ir, *i)),
                }
            }
            QKey::OthersList => f.write_str("others"),
        }
    }
}

/// How a question names a person: the record table's noun phrase, or `others[i]`.
struct WhoText(PersonRef);

impl fmt::Display for WhoText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.who() {
            Some(who) => f.write_str(record::person_row(who).map_or("?", |r| r.1)),
            None => write!(f, "other person involved (others[{}])", self.0.index()),
        }
    }
}

/// [`QKey::ask`].
pub(crate) struct Ask<'a>(&'a QKey, &'a PolicyIr);

impl fmt::Display for Ask<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Ask(key, ir) = *self;
        match key {
            QKey::Field(field) if is_top_field(*field) => {
                f.write_str(record::by_field(*field).map_or("?", |r| r.question))
            }
            QKey::Field(Field::Fact(i)) => {
                let fact = ir.vocab.facts.get(usize::from(*i));
                match fact.and_then(|x| x.ask.as_deref()) {
                    Some(ask) => f.write_str(ask),
                    None => write!(f, "What is `{}`?", fact.map_or("?", |x| x.name.as_str())),
                }
            }
            QKey::Person(p, None) => write!(f, "What is the role of the {}?", WhoText(*p)),
            QKey::Person(p, Some(i)) => {
                let fact = ir.vocab.person_facts.get(usize::from(*i));
                match fact.and_then(|x| x.ask.as_deref()) {
                    Some(template) => {
                        // The author's template, with `{who}` naming the person.
                        let mut parts = template.split("{who}");
                        f.write_str(parts.next().unwrap_or(""))?;
                        for part in parts {
                            write!(f, "{}{part}", WhoText(*p))?;
                        }
                        Ok(())
                    }
                    None => write!(
                        f,
                        "What is the {}'s `{}`?",
                        WhoText(*p),
                        fact.map_or("?", |x| x.name.as_str())
                    ),
                }
            }
            QKey::Field(_) => f.write_str("Who is involved?"),
            QKey::OthersList => f.write_str("Who else is involved (the `others` list)?"),
        }
    }
}

/// A short text on the stack (paths are short); longer text spills to the heap.
struct StackText {
    buf: [u8; 96],
    len: usize,
    spill: Option<String>,
}

impl Default for StackText {
    fn default() -> Self {
        StackText {
            buf: [0; 96],
            len: 0,
            spill: None,
        }
    }
}

impl StackText {
    fn as_str(&self) -> &str {
        match &self.spill {
            Some(s) => s,
            None => self
                .buf
                .get(..self.len)
                .and_then(|b| std::str::from_utf8(b).ok())
                .unwrap_or(""),
        }
    }
}

impl fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if let Some(spill) = &mut self.spill {
            spill.push_str(s);
            return Ok(());
        }
        let end = self.len + s.len();
        match self.buf.get_mut(self.len..end) {
            Some(dst) => {
                dst.copy_from_slice(s.as_bytes());
                self.len = end;
            }
            None => {
                let mut spill = self.as_str().to_owned();
                spill.push_str(s);
                self.spill = Some(spill);
            }
        }
        Ok(())
    }
}
