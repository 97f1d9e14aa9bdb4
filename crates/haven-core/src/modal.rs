//! The modal verbs of a policy sentence (DESIGN §3 "modality follows the cited sentence").
//!
//! A sentence's verbs say which modalities a rule citing it may carry: must / will / shall /
//! is to be / are required / need to → `must`; should / ought / are advised → `should`;
//! may / can / is permitted → `may`; their negatives likewise ("may not" and "cannot" state a
//! prohibition, so they read as `must_not`). A sentence with none of these is a declarative
//! of practice ("parents are informed"), which reads as `must` (or `must_not` when it is
//! negated: "staff do not use…", "never").
//!
//! The classifier is deliberately lexical: it finds verbs, it does not parse. It is shared by
//! the checker's modality lint and by `haven trace` / `haven draft`.
//!
//! ```
//! use haven_core::modal::{modalities, VerbSet};
//! use haven_core::Modality;
//! let set = modalities("Parents should be notified immediately.");
//! assert!(set.allows(Modality::Should));
//! assert!(!set.allows(Modality::Must));
//! let set = modalities("Mobile phones may not be used in lessons.");
//! assert!(set.allows(Modality::MustNot));
//! assert_eq!(modalities("Incidents are recorded in the log.").declarative(), true);
//! ```

use crate::syntax::ast::Modality;

/// The modalities a sentence's verbs support, as a small bit set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VerbSet {
    bits: u8,
    declarative: bool,
}

fn bit(m: Modality) -> u8 {
    match m {
        Modality::Must => 1,
        Modality::MustNot => 2,
        Modality::Should => 4,
        Modality::ShouldNot => 8,
        Modality::May => 16,
    }
}

impl VerbSet {
    /// Whether the sentence has no modal verb at all (a declarative of practice).
    pub fn declarative(&self) -> bool {
        self.declarative
    }

    /// Whether a rule with modality `m` agrees with the sentence.
    pub fn allows(&self, m: Modality) -> bool {
        self.bits & bit(m) != 0
    }

    /// Whether no modality was found (an empty sentence).
    pub fn is_empty(&self) -> bool {
        self.bits == 0
    }

    /// The modalities found, strongest first.
    pub fn iter(&self) -> impl Iterator<Item = Modality> + '_ {
        [
            Modality::Must,
            Modality::MustNot,
            Modality::Should,
            Modality::ShouldNot,
            Modality::May,
        ]
        .into_iter()
        .filter(|m| self.allows(*m))
    }

    /// The modality a draft rule for this sentence gets: the first verb's, strongest first.
    pub fn primary(&self) -> Option<Modality> {
        self.iter().next()
    }

    /// The verbs as words, for messages: `"should"`, `"must or may"`.
    pub fn describe(&self) -> String {
        let words: Vec<&str> = self.iter().map(Modality::keyword).collect();
        if self.declarative {
            format!("{} (a declarative of practice)", words.join(" or "))
        } else {
            words.join(" or ")
        }
    }

    fn add(&mut self, m: Modality) {
        self.bits |= bit(m);
    }
}

/// Lower-cased words of `s` (letters, digits and apostrophes; curly apostrophes folded).
fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’'))
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase().replace('’', "'"))
        .collect()
}

/// The modalities `text`'s verbs support, clause by clause (clauses end at `.`, `;`, `!`,
/// `?`): a clause without a modal verb is a declarative of practice. Empty text gives an
/// empty set.
pub fn modalities(text: &str) -> VerbSet {
    let mut set = VerbSet::default();
    let mut any_modal = false;
    for clause in text.split(['.', ';', '!', '?']) {
        let c = clause_modalities(clause);
        if c.is_empty() {
            continue;
        }
        any_modal |= !c.declarative;
        set.bits |= c.bits;
    }
    set.declarative = !set.is_empty() && !any_modal;
    set
}

/// The modalities one clause's verbs support.
fn clause_modalities(sentence: &str) -> VerbSet {
    let w = words(sentence);
    let mut set = VerbSet::default();
    let at = |i: usize| w.get(i).map(String::as_str).unwrap_or("");
    // "not" or "never" right after a modal verb (allowing one adverb between: "must also not").
    // "Under no circumstances should…", "At no time may…": the negation comes first.
    let fronted_negation = |i: usize| {
        (i > 0 && matches!(at(0), "no" | "nobody" | "none" | "neither"))
            || (1..i).any(|j| {
                at(j - 1) == "no"
                    && matches!(
                        at(j),
                        "circumstance" | "circumstances" | "time" | "account" | "occasion"
                    )
            })
    };
    let negated = |i: usize| {
        fronted_negation(i)
            || matches!(at(i + 1), "not" | "never")
            || (matches!(at(i + 2), "not" | "never")
                && matches!(
                    at(i + 1),
                    "also" | "normally" | "usually" | "ever" | "then" | "therefore"
                ))
    };
    let be_form = |x: &str| matches!(x, "is" | "are" | "be" | "being" | "was" | "were");
    let mut negative_words = false;
    let mut i = 0;
    while i < w.len() {
        let word = at(i);
        match word {
            "must" | "shall" | "will" => {
                // "will" as a noun ("free will", "the will of") is rare in policies.
                if negated(i) {
                    set.add(Modality::MustNot);
                } else {
                    set.add(Modality::Must);
                }
            }
            "mustn't" | "shan't" | "won't" | "cannot" | "can't" => set.add(Modality::MustNot),
            "should" | "ought" => {
                if fronted_negation(i) {
                    // "Under no circumstances should…" is absolute: a should_not that
                    // reads as a must_not too.
                    set.add(Modality::MustNot);
                    set.add(Modality::ShouldNot);
                } else if negated(i) {
                    set.add(Modality::ShouldNot);
                } else {
                    set.add(Modality::Should);
                }
            }
            "shouldn't" | "oughtn't" => set.add(Modality::ShouldNot),
            "may" | "can" | "might" | "could" => {
                if negated(i) {
                    set.add(Modality::MustNot);
                } else {
                    set.add(Modality::May);
                }
            }
            "need" | "needs" if at(i + 1) == "to" => set.add(Modality::Must),
            "required" | "obliged" | "expected" if be_form(at(i.wrapping_sub(1))) => {
                set.add(Modality::Must)
            }
            "required" | "obliged" if at(i + 1) == "to" => set.add(Modality::Must),
            "to" if at(i + 1) == "be" && be_form(at(i.wrapping_sub(1))) => set.add(Modality::Must),
            "permitted" | "allowed" | "authorised" | "authorized" | "acceptable" => {
                let prev = at(i.wrapping_sub(1));
                if prev == "not" || at(i.wrapping_sub(2)) == "not" && be_form(prev) {
                    set.add(Modality::MustNot);
                } else if be_form(prev) || prev == "only" {
                    set.add(Modality::May);
                }
            }
            "prohibited" | "forbidden" | "banned" | "unacceptable" => set.add(Modality::MustNot),
            "advised" | "requested" | "encouraged" | "recommended" | "asked"
                if be_form(at(i.wrapping_sub(1))) =>
            {
                if matches!(at(i + 1), "not") || matches!(at(i + 2), "not") {
                    set.add(Modality::ShouldNot);
                } else {
                    set.add(Modality::Should);
                }
            }
            "not" | "never" | "don't" | "doesn't" | "no" => negative_words = true,
            _ => {}
        }
        i += 1;
    }
    if set.is_empty() && !w.is_empty() {
        set.declarative = true;
        set.add(Modality::Must);
        if negative_words {
            set.add(Modality::MustNot);
        }
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;
    use Modality::*;

    fn found(s: &str) -> Vec<Modality> {
        modalities(s).iter().collect()
    }

    #[test]
    fn verbs_map_to_the_design_table() {
        assert_eq!(found("All breaches must be reported to Fiona."), [Must]);
        assert_eq!(
            found("The DSL will refer the matter to the police."),
            [Must]
        );
        assert_eq!(found("Staff shall keep their phones locked."), [Must]);
        assert_eq!(found("Devices are to be stored in the office."), [Must]);
        assert_eq!(found("Staff are required to sign the AUP."), [Must]);
        assert_eq!(found("Staff need to report concerns."), [Must]);
        assert_eq!(found("Parents should be notified immediately."), [Should]);
        assert_eq!(found("Pupils ought to tell an adult."), [Should]);
        assert_eq!(found("Staff may take photographs."), [May]);
        assert_eq!(found("Pupils can use the library computers."), [May]);
        assert_eq!(found("Phones are permitted in the staff room."), [May]);
        assert_eq!(
            found("Visitors are requested to keep phones on silent."),
            [Should]
        );
    }

    #[test]
    fn negatives_are_prohibitions() {
        assert_eq!(found("Staff must not view the imagery."), [MustNot]);
        assert_eq!(found("Phones may not be used in lessons."), [MustNot]);
        assert_eq!(found("Pupils cannot bring phones."), [MustNot]);
        assert_eq!(found("Staff should not contact pupils."), [ShouldNot]);
        assert_eq!(found("Phones are not permitted in class."), [MustNot]);
        assert_eq!(found("Staff won't share passwords."), [MustNot]);
        assert_eq!(found("Staff must also not copy it."), [MustNot]);
        assert_eq!(found("Parents are advised not to call."), [ShouldNot]);
        assert_eq!(
            found("Under no circumstances should staff contact pupils."),
            [MustNot, ShouldNot]
        );
        assert_eq!(
            found("No reply should ever be sent to the sender."),
            [MustNot, ShouldNot]
        );
        assert_eq!(
            found("No member of staff may use a personal phone."),
            [MustNot]
        );
        assert_eq!(found("At no time may pupils use phones."), [MustNot]);
    }

    #[test]
    fn several_verbs_are_a_union() {
        assert_eq!(
            found("Breaches that may have put a child at risk must also be reported."),
            [Must, May]
        );
    }

    #[test]
    fn clauses_without_a_modal_verb_are_practice() {
        let s = modalities("Staff must never view it; they confiscate the device.");
        assert!(s.allows(MustNot) && s.allows(Must));
        assert!(!s.declarative());
    }

    #[test]
    fn declaratives_of_practice() {
        let s = modalities("Incidents are recorded in the log.");
        assert!(s.declarative());
        assert_eq!(s.iter().collect::<Vec<_>>(), [Must]);
        let s = modalities("Staff do not use personal phones in lessons.");
        assert!(s.declarative());
        assert!(s.allows(MustNot));
        assert!(modalities("").is_empty());
    }
}
