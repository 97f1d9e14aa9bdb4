//! Which sentences state a duty, a prohibition, a permission or a consequence.
//!
//! A sentence counts when its modal verbs say so ([`haven_core::modal::modalities`]; a
//! declarative of practice does not count here: "the school provides training" describes, it
//! does not require), when it says something "will be" done or "will lead to" something, or
//! when it is a step of a procedure in the imperative ("Report the incident to the DSL", "Do
//! not reply to the sender"). A list item with no verb of its own takes its lead-in's ("Users
//! must not:" + "Reveal confidential information").

use crate::sentences::Sentence;
use haven_core::modal::modalities;
use haven_core::Modality;

/// What a found sentence states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Something must or should be done.
    Duty,
    /// Something must not or should not be done.
    Prohibition,
    /// Something may be done.
    Permission,
    /// What follows from something ("will be investigated", "may lead to exclusion").
    Consequence,
}

/// What made the sentence count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// A modal verb or its negative ("must", "should not", "may", "is not permitted").
    Modal,
    /// The modal verb of the list's lead-in ("Users must not:").
    LeadIn,
    /// An imperative step ("Report…", "Do not…", "Never…").
    Imperative,
}

/// A sentence that states a duty, prohibition, permission or consequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Found {
    /// What it states.
    pub kind: Kind,
    /// The modality a rule encoding it would carry (the strongest verb found).
    pub modality: Modality,
    /// Why it counts.
    pub trigger: Trigger,
}

/// Base-form verbs that open a procedure step ("Report the incident…").
const IMPERATIVES: &[&str] = &[
    "access",
    "act",
    "agree",
    "alert",
    "allow",
    "appear",
    "apply",
    "approve",
    "arrange",
    "ask",
    "assess",
    "attend",
    "avoid",
    "be",
    "block",
    "call",
    "carry",
    "check",
    "close",
    "collaborate",
    "communicate",
    "complete",
    "confirm",
    "confiscate",
    "consider",
    "consult",
    "contact",
    "continue",
    "delete",
    "discuss",
    "do",
    "encourage",
    "ensure",
    "escalate",
    "establish",
    "explain",
    "follow",
    "forward",
    "foster",
    "gather",
    "give",
    "hand",
    "have",
    "help",
    "hold",
    "identify",
    "implement",
    "inform",
    "install",
    "intimidate",
    "investigate",
    "invite",
    "keep",
    "know",
    "let",
    "liaise",
    "limit",
    "listen",
    "log",
    "look",
    "maintain",
    "make",
    "meet",
    "model",
    "monitor",
    "notify",
    "obtain",
    "offer",
    "oversee",
    "pass",
    "place",
    "plan",
    "prepare",
    "preserve",
    "preview",
    "print",
    "promote",
    "protect",
    "provide",
    "put",
    "raise",
    "read",
    "reassure",
    "receive",
    "record",
    "refer",
    "remind",
    "remove",
    "report",
    "request",
    "respect",
    "respond",
    "restrict",
    "retain",
    "return",
    "reveal",
    "review",
    "save",
    "schedule",
    "search",
    "secure",
    "seek",
    "send",
    "set",
    "share",
    "show",
    "sign",
    "speak",
    "stay",
    "stop",
    "store",
    "submit",
    "supervise",
    "support",
    "switch",
    "take",
    "talk",
    "teach",
    "tell",
    "think",
    "transmit",
    "treat",
    "turn",
    "undertake",
    "understand",
    "update",
    "upload",
    "use",
    "view",
    "visit",
    "warn",
    "work",
    "write",
];

/// Whether `s` states a duty, prohibition, permission or consequence, and which.
pub fn classify(s: &Sentence) -> Option<Found> {
    let own = words(&s.text);
    if own.is_empty() {
        return None;
    }
    if let Some(found) = by_modal(&s.text, &own, Trigger::Modal) {
        return Some(found);
    }
    // "Never reply…", "Do not…" say it themselves, whatever the lead-in says.
    if let Some(found) = imperative(&own, false) {
        return Some(found);
    }
    if let Some(lead) = s.lead.as_deref() {
        let joined = format!("{lead} {}", s.text);
        let found = by_modal(&joined, &words(&joined), Trigger::LeadIn);
        // A lead-in's verb governs its items when they are what is required or forbidden
        // ("Users must not: - Reveal…", "Staff will: - Keep…", "…must not … material that
        // relates to: - Indecent images…"), not when they only list what the lead-in talks
        // about ("The school will monitor the impact using: - Parent surveys").
        let governs = found.is_some_and(|f| {
            f.modality.is_negative() || starts_with_verb(&own) || ends_with_modal(lead)
        });
        if governs {
            return found;
        }
        // "Teaching staff are responsible for ensuring that: - they report any misuse…"
        let lw = words(lead);
        let n = lw.len();
        let ensuring = lw.get(n.saturating_sub(2)..).is_some_and(|end| {
            end.iter()
                .any(|x| matches!(x.as_str(), "ensure" | "ensuring"))
        });
        if ensuring {
            return Some(Found {
                kind: Kind::Duty,
                modality: Modality::Must,
                trigger: Trigger::LeadIn,
            });
        }
    }
    imperative(&own, s.step)
}

/// Whether the words open with a base-form verb (after "only", "always", an adverb).
fn starts_with_verb(w: &[String]) -> bool {
    w.iter()
        .map(String::as_str)
        .find(|x| {
            !matches!(*x, "please" | "always" | "only" | "also" | "not") && !x.ends_with("ly")
        })
        .is_some_and(|x| IMPERATIVES.contains(&x))
}

/// Whether a lead-in ends with its modal verb ("Staff must:", "Parents will -") or with
/// words that make each item a required clause ("…responsible for ensuring that:").
fn ends_with_modal(lead: &str) -> bool {
    let w = words(lead);
    w.iter().rev().take(2).any(|x| {
        matches!(
            x.as_str(),
            "must"
                | "should"
                | "will"
                | "shall"
                | "may"
                | "can"
                | "to"
                | "that"
                | "ensure"
                | "ensuring"
        )
    })
}

fn by_modal(text: &str, w: &[String], trigger: Trigger) -> Option<Found> {
    let set = modalities(text);
    if set.declarative() {
        return None;
    }
    // "might" and "could" speak of what is possible, not of what is allowed.
    let without: Vec<&str> = w
        .iter()
        .map(String::as_str)
        .filter(|x| !matches!(*x, "might" | "could"))
        .collect();
    let set = modalities(&without.join(" "));
    if set.declarative() {
        return None;
    }
    let modality = set.primary()?;
    let kind = if consequence(w) {
        Kind::Consequence
    } else {
        match modality {
            Modality::Must | Modality::Should => Kind::Duty,
            Modality::MustNot | Modality::ShouldNot => Kind::Prohibition,
            Modality::May => Kind::Permission,
        }
    };
    Some(Found {
        kind,
        modality,
        trigger,
    })
}

/// "will be investigated", "will lead to", "may result in", "will apply".
fn consequence(w: &[String]) -> bool {
    let strong = w
        .iter()
        .any(|x| matches!(x.as_str(), "must" | "should" | "shall" | "ought"));
    let at = |i: usize| w.get(i).map_or("", String::as_str);
    !strong
        && (0..w.len()).any(|i| {
            let next = if matches!(at(i + 1), "also" | "then" | "normally" | "usually") {
                at(i + 2)
            } else {
                at(i + 1)
            };
            matches!(at(i), "will" | "may" | "could")
                && matches!(
                    next,
                    "be" | "lead" | "result" | "apply" | "face" | "receive"
                )
        })
}

/// A procedure step in the imperative (list items), or "Do not…" / "Never…" anywhere.
fn imperative(w: &[String], step: bool) -> Option<Found> {
    let first = w.first().map(String::as_str)?;
    let second = w.get(1).map(String::as_str).unwrap_or("");
    let prohibition = Found {
        kind: Kind::Prohibition,
        modality: Modality::MustNot,
        trigger: Trigger::Imperative,
    };
    if (first == "do" && second == "not") || first == "don't" || first == "never" {
        return Some(prohibition);
    }
    if !step {
        return None;
    }
    // "Please report…", "Always check…", "Only use…", "Carefully supervise…".
    let verb = w.iter().map(String::as_str).find(|x| {
        !matches!(
            *x,
            "please" | "always" | "only" | "also" | "immediately" | "then"
        ) && !x.ends_with("ly")
    })?;
    if verb == "never" {
        return Some(prohibition);
    }
    IMPERATIVES.contains(&verb).then_some(Found {
        kind: Kind::Duty,
        modality: Modality::Must,
        trigger: Trigger::Imperative,
    })
}

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’'))
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase().replace('’', "'"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str, step: bool, lead: Option<&str>) -> Option<(Kind, Modality, Trigger)> {
        let s = Sentence {
            text: text.to_owned(),
            line: 1,
            section: String::new(),
            step,
            lead: lead.map(str::to_owned),
        };
        classify(&s).map(|f| (f.kind, f.modality, f.trigger))
    }

    #[test]
    fn modal_verbs_state_duties_prohibitions_and_permissions() {
        use Kind::*;
        use Modality::*;
        use Trigger::*;
        assert_eq!(
            found(
                "All breaches of this policy must be reported to Fiona Ajose.",
                false,
                None
            ),
            Some((Duty, Must, Modal))
        );
        assert_eq!(found("Staff, governors and pupils should not open emails or attachments from suspect sources", false, None), Some((Prohibition, ShouldNot, Modal)));
        assert_eq!(
            found(
                "Pupils may only use school approved accounts on the school system.",
                false,
                None
            ),
            Some((Permission, May, Modal))
        );
        assert_eq!(found("Please note that the recording of any session is not permitted by anyone other than school staff.", false, None), Some((Prohibition, MustNot, Modal)));
        assert_eq!(found("Breaches will be investigated, recorded and, where appropriate, disciplinary procedures will apply.", false, None), Some((Consequence, Must, Modal)));
        assert_eq!(
            found(
                "Breaches may also lead to criminal or civil proceedings.",
                false,
                None
            ),
            Some((Consequence, May, Modal))
        );
    }

    #[test]
    fn declaratives_and_possibilities_are_not_found() {
        assert_eq!(
            found(
                "The school provides online safety information for parents/carers.",
                false,
                None
            ),
            None
        );
        assert_eq!(
            found(
                "Online safety is embedded within our curriculum.",
                false,
                None
            ),
            None
        );
        assert_eq!(
            found("This could place young people in danger.", false, None),
            None
        );
        assert_eq!(found("pupils", true, Some("The policy applies to:")), None);
    }

    #[test]
    fn a_lead_in_governs_only_items_that_say_what_is_required() {
        assert_eq!(
            found(
                "Parent surveys",
                true,
                Some("The school will monitor the impact of the policy using:")
            ),
            None
        );
        assert_eq!(
            found(
                "Keep their login details secure.",
                true,
                Some("School Staff will:")
            )
            .map(|f| f.2),
            Some(Trigger::LeadIn)
        );
        assert_eq!(
            found(
                "Indecent images of children",
                true,
                Some("Users must not: Visit internet sites that relate to:")
            )
            .map(|f| f.1),
            Some(Modality::MustNot)
        );
    }

    #[test]
    fn items_a_lead_in_makes_someone_ensure_are_duties() {
        assert_eq!(
            found(
                "they report any suspected misuse or problem to the Headteacher.",
                true,
                Some("Are responsible for ensuring that:")
            ),
            Some((Kind::Duty, Modality::Must, Trigger::LeadIn))
        );
    }

    #[test]
    fn imperative_steps_and_lead_ins() {
        use Kind::*;
        use Modality::*;
        use Trigger::*;
        assert_eq!(
            found(
                "Contact the complainants and invite them to a meeting.",
                true,
                None
            ),
            Some((Duty, Must, Imperative))
        );
        assert_eq!(
            found(
                "Only use school registered accounts to host meetings, never personal ones.",
                true,
                None
            ),
            Some((Duty, Must, Imperative))
        );
        assert_eq!(
            found("Do not delete the evidence.", false, None),
            Some((Prohibition, MustNot, Imperative))
        );
        assert_eq!(
            found(
                "Never reply to the sender/poster of cyberbullying content.",
                false,
                None
            ),
            Some((Prohibition, MustNot, Imperative))
        );
        // Not a step: an imperative-looking sentence in prose is not found.
        assert_eq!(
            found("Report writing is taught in Year 5.", false, None),
            None
        );
        assert_eq!(
            found(
                "Reveal or publicise confidential or proprietary information",
                true,
                Some("Users must not:")
            ),
            Some((Prohibition, MustNot, LeadIn))
        );
        assert_eq!(
            found(
                "any member of staff",
                true,
                Some("Under no circumstance should pupils use their phones to take images of")
            ),
            Some((Prohibition, MustNot, LeadIn))
        );
    }
}
