//! A skeleton policy from a source document: one rule per found sentence, citing it with its
//! section heading, its modality taken from the verb, tokens suggested from the vocabulary
//! words in the sentence, and a `when todo "…"` condition the checker reports as "to
//! complete" (so a draft never passes `check` by accident).

use crate::classify::classify;
use crate::matching::{covers_fragments, fragments, normalise};
use crate::sentences::sentences;
use haven_core::syntax::ast::{DeclKind, File, Item, Modality, Outcome, TokenKind, Verdict};

/// One drafted rule.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DraftRule {
    /// The rule's id (`line_57`, `line_57_2`).
    pub name: String,
    /// The sentence's line.
    pub line: usize,
    /// The section heading it cites.
    pub section: String,
    /// The sentence it cites.
    pub quote: String,
    /// The modality from the sentence's verb.
    pub modality: Modality,
    /// The suggested action token, if a vocabulary word names one.
    pub action: Option<String>,
    /// Suggested targets (roles or agencies named in the sentence).
    pub targets: Vec<String>,
    /// Other tokens named in the sentence, as `kind token` (`role pupil`, `device phone`).
    pub tokens: Vec<String>,
}

/// The files `haven draft` writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draft {
    /// The rules, in document order.
    pub rules: Vec<DraftRule>,
    /// `policy.haven`.
    pub policy: String,
    /// `scenarios.toml` (empty: scenarios are the author's).
    pub scenarios: String,
    /// `NOTES.md`.
    pub notes: String,
}

/// A vocabulary token with the phrases that name it in prose.
struct Token {
    kind: TokenKind,
    name: String,
    phrases: Vec<Vec<String>>,
}

/// Phrases for tokens whose name or label is not how documents say it.
const SYNONYMS: &[(&str, &[&str])] = &[
    (
        "dsl",
        &[
            "dsl",
            "dsp",
            "dsl's",
            "designated safeguarding lead",
            "designated safeguarding person",
            "designated person",
            "designated safeguarding leads",
        ],
    ),
    (
        "deputy_dsl",
        &["deputy dsl", "deputy designated safeguarding lead"],
    ),
    (
        "headteacher",
        &["headteacher", "head teacher", "headteachers", "head"],
    ),
    (
        "online_safety_coordinator",
        &[
            "online safety coordinator",
            "online safety co-ordinator",
            "online safety lead",
            "online safety leader",
            "e-safety leader",
            "e-safety lead",
            "e-safety coordinator",
            "online safety officer",
            "osl",
        ],
    ),
    (
        "slt",
        &[
            "slt",
            "senior leadership team",
            "senior leaders",
            "senior member of staff",
            "senior leader",
        ],
    ),
    (
        "parent_carer",
        &[
            "parent",
            "parents",
            "carer",
            "carers",
            "parents/carers",
            "parent/carer",
            "families",
        ],
    ),
    (
        "pupil",
        &[
            "pupil", "pupils", "child", "children", "student", "students", "learners",
        ],
    ),
    (
        "staff",
        &[
            "staff",
            "member of staff",
            "staff member",
            "staff members",
            "members of staff",
            "adults",
        ],
    ),
    ("teacher", &["teacher", "teachers", "class teacher"]),
    ("governor", &["governor", "governors", "governing body"]),
    ("visitor", &["visitor", "visitors"]),
    ("volunteer", &["volunteer", "volunteers"]),
    ("line_manager", &["line manager"]),
    (
        "network_manager",
        &["network manager", "technician", "it technician"],
    ),
    ("police", &["police"]),
    (
        "childrens_social_care",
        &["social care", "children's social care", "social services"],
    ),
    ("lado", &["lado", "local authority designated officer"]),
    ("local_authority", &["local authority", "la"]),
    ("iwf", &["iwf", "internet watch foundation"]),
    ("ceop", &["ceop"]),
    ("prevent", &["prevent", "channel"]),
    (
        "phone",
        &[
            "phone",
            "phones",
            "mobile",
            "mobiles",
            "mobile phone",
            "mobile phones",
        ],
    ),
    ("tablet", &["tablet", "tablets", "ipad", "ipads"]),
    ("camera", &["camera", "cameras"]),
    ("locker", &["locker", "lockers"]),
    ("designated_area", &["designated area", "designated areas"]),
    (
        "off_site_trip",
        &["school trip", "trip", "trips", "residential"],
    ),
    (
        "lesson",
        &["lesson", "lessons", "lesson time", "lesson times"],
    ),
    ("sharing_nudes", &["sexting", "nudes", "nude", "semi-nude"]),
    (
        "csam",
        &[
            "indecent images of children",
            "indecent image of a child",
            "child abuse images",
            "indecent images",
        ],
    ),
    (
        "radicalisation",
        &["radicalisation", "extremism", "extremist"],
    ),
    ("self_harm_risk", &["self-harm", "self harm", "suicide"]),
    ("online_gambling", &["gambling"]),
    ("copyright_breach", &["copyright"]),
    ("hacking_or_virus", &["hacking", "virus", "viruses"]),
    (
        "cyberbullying",
        &[
            "cyberbullying",
            "cyber bullying",
            "cyber-bullying",
            "online bullying",
        ],
    ),
];

/// Sentence words (stems) that name an action, strongest evidence first.
const ACTION_WORDS: &[(&str, &[&str])] = &[
    ("refer", &["refer", "referred", "referral", "referrals"]),
    (
        "confiscate_device",
        &["confiscate", "confiscated", "confiscation"],
    ),
    (
        "store_device",
        &["locker", "stored", "store", "handed", "hand"],
    ),
    ("return_device", &["returned", "return"]),
    ("search_device", &["search", "searched", "searching"]),
    ("delete_imagery", &["delete", "deleted", "deletion"]),
    ("view_imagery", &["view", "viewed", "viewing"]),
    (
        "copy_or_share_imagery",
        &["print", "printed", "forward", "forwarded", "copy", "copied"],
    ),
    (
        "investigate",
        &["investigate", "investigated", "investigation"],
    ),
    ("disciplinary_action", &["disciplinary"]),
    (
        "suspension",
        &["suspension", "suspended", "exclusion", "excluded"],
    ),
    ("sanction", &["sanction", "sanctions"]),
    ("warning", &["warn", "warned", "warning"]),
    (
        "risk_assessment",
        &["risk assessment", "risk assessed", "risk assess"],
    ),
    ("escalate", &["escalate", "escalated", "escalation"]),
    (
        "preserve_evidence",
        &["evidence", "secured", "retained", "save"],
    ),
    (
        "log_incident",
        &["log", "logged", "record", "recorded", "recording"],
    ),
    (
        "support_pupil",
        &[
            "reassure",
            "support the pupil",
            "support the child",
            "support the victim",
        ],
    ),
    (
        "notify",
        &[
            "report",
            "reported",
            "reporting",
            "inform",
            "informed",
            "notify",
            "notified",
            "tell",
            "told",
            "alert",
            "contact",
            "contacted",
            "discuss",
            "discussed",
            "raise",
            "check",
        ],
    ),
];

fn phrase(s: &str) -> Vec<String> {
    s.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '-' || c == '/'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn vocabulary(vocab: &File) -> Vec<Token> {
    let mut out = Vec::new();
    for item in &vocab.items {
        let Item::Decl(d) = item else { continue };
        let DeclKind::Token {
            kind, name, label, ..
        } = &d.kind
        else {
            continue;
        };
        if matches!(
            kind,
            TokenKind::Action | TokenKind::Deadline | TokenKind::Owner | TokenKind::Activity
        ) {
            continue;
        }
        let mut phrases = vec![phrase(&name.node.replace('_', " "))];
        if let Some(label) = &label {
            phrases.push(phrase(&label.node));
        }
        if let Some((_, syn)) = SYNONYMS.iter().find(|(n, _)| *n == name.node) {
            phrases.extend(syn.iter().map(|s| phrase(s)));
        }
        phrases.retain(|p| !p.is_empty());
        out.push(Token {
            kind: *kind,
            name: name.node.clone(),
            phrases,
        });
    }
    out
}

/// The first word index at which `p` occurs in `words`.
fn find_phrase(words: &[String], p: &[String]) -> Option<usize> {
    if p.is_empty() || p.len() > words.len() {
        return None;
    }
    words.windows(p.len()).position(|w| w == p)
}

/// Tokens of `kind` named in `words`, in order of first mention (most specific first when
/// two start at the same word).
fn mentioned<'v>(vocab: &'v [Token], words: &[String], kind: TokenKind) -> Vec<&'v str> {
    let mut hits: Vec<(usize, usize, &str)> = vocab
        .iter()
        .filter(|t| t.kind == kind)
        .filter_map(|t| {
            t.phrases
                .iter()
                .filter_map(|p| {
                    find_phrase(words, p).map(|i| (i, usize::MAX - p.len(), t.name.as_str()))
                })
                .min()
        })
        .collect();
    hits.sort_unstable();
    let mut out: Vec<&str> = Vec::new();
    for (_, _, name) in hits {
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// The action a sentence names, and its targets.
fn suggest(vocab: &[Token], words: &[String]) -> (Option<String>, Vec<String>, Vec<String>) {
    let roles = mentioned(vocab, words, TokenKind::Role);
    let agencies = mentioned(vocab, words, TokenKind::Agency);
    // The action is the verb the modal governs: look from the first modal verb on, then
    // anywhere ("The person reporting the cyberbullying should save the evidence").
    let from = words
        .iter()
        .position(|w| {
            matches!(
                w.as_str(),
                "must"
                    | "should"
                    | "will"
                    | "shall"
                    | "may"
                    | "can"
                    | "cannot"
                    | "need"
                    | "required"
            )
        })
        .unwrap_or(0);
    let first_hit = |list: &[&str]| -> Option<usize> {
        let at = |start: usize| {
            list.iter()
                .filter_map(|w| {
                    let p = phrase(w);
                    words
                        .get(start..)
                        .and_then(|rest| find_phrase(rest, &p))
                        .map(|i| i + start)
                })
                .min()
        };
        at(from).or_else(|| at(0).map(|i| i + words.len()))
    };
    let mut best: Option<(usize, &str)> = None;
    for (action, stems) in ACTION_WORDS {
        if let Some(i) = first_hit(stems) {
            if best.is_none_or(|(j, _)| i < j) {
                best = Some((i, action));
            }
        }
    }
    let mut action = best.map(|(_, a)| a.to_owned());
    let mut targets = Vec::new();
    let parents = words.iter().any(|w| {
        matches!(
            w.as_str(),
            "parent" | "parents" | "carer" | "carers" | "parents/carers" | "parent/carer"
        )
    });
    match action.as_deref() {
        Some("notify") if parents && !words.iter().any(|w| w.starts_with("report")) => {
            action = Some("inform_parents".to_owned());
        }
        Some("notify" | "refer") => {
            if let Some(agency) = agencies.first() {
                action = Some("refer".to_owned());
                targets.push((*agency).to_owned());
            } else if let Some(role) = roles.iter().find(|r| {
                !matches!(
                    **r,
                    "pupil" | "staff" | "adult" | "parent_carer" | "visitor" | "volunteer"
                )
            }) {
                targets.push((*role).to_owned());
            }
        }
        _ => {}
    }
    let mut tokens: Vec<String> = Vec::new();
    for kind in [
        TokenKind::Role,
        TokenKind::Category,
        TokenKind::Device,
        TokenKind::Location,
        TokenKind::Time,
    ] {
        for t in mentioned(vocab, words, kind) {
            if !targets.iter().any(|x| x == t) {
                tokens.push(format!("{} {t}", kind.keyword()));
            }
        }
    }
    (action, targets, tokens)
}

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Draft a policy `id` from `source` (plain text, its file name `source_name`), suggesting
/// tokens from `vocab` (the parsed `std/vocabulary`).
pub fn draft(source: &str, source_name: &str, id: &str, vocab: &File) -> Draft {
    let tokens = vocabulary(vocab);
    let mut rules: Vec<DraftRule> = Vec::new();
    for s in sentences(source) {
        let Some(found) = classify(&s) else { continue };
        let text = match &s.lead {
            Some(lead) => format!("{lead} {}", s.text),
            None => s.text.clone(),
        };
        let words = phrase(&text);
        let (action, targets, tok) = suggest(&tokens, &words);
        // "Staff must only use school equipment…": a prohibition of everything else.
        let only = words.windows(2).any(|w| {
            matches!(w, [m, o] if o == "only" && matches!(m.as_str(), "must" | "will" | "may" | "can" | "should"))
        });
        let modality = if only && action.is_none() {
            Modality::MustNot
        } else {
            found.modality
        };
        let same_line = rules.iter().filter(|r| r.line == s.line).count();
        let name = if same_line == 0 {
            format!("line_{}", s.line)
        } else {
            format!("line_{}_{}", s.line, same_line + 1)
        };
        rules.push(DraftRule {
            name,
            line: s.line,
            section: s.section,
            quote: s.text,
            modality,
            action,
            targets,
            tokens: tok,
        });
    }
    let title = source
        .lines()
        .map(|l| l.trim().replace("**", ""))
        .find(|l| !l.is_empty() && l.chars().count() <= 100)
        .unwrap_or_else(|| id.to_owned());
    let policy = policy_text(id, &title, source_name, &rules);
    let notes = notes_text(id, source_name, &rules);
    Draft {
        rules,
        policy,
        scenarios:
            "# Scenarios for this policy: one [[scenario]] per sentence checked, citing it.\n"
                .to_owned(),
        notes,
    }
}

fn policy_text(id: &str, title: &str, source_name: &str, rules: &[DraftRule]) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "// Drafted by `haven draft` from {source_name}. Every rule's `when` is a `todo` the\n\
         // checker reports as to complete; suggested tokens are guesses from the sentence's words.\n\n"
    ));
    out.push_str(&format!(
        "policy {id} {} {{\n  version \"draft\"\n  source {}\n  extends baseline\n  use std/vocabulary\n}}\n",
        quote(title),
        quote(source_name)
    ));
    for r in rules {
        out.push_str(&format!("\n// line {}\nrule {} {{\n", r.line, r.name));
        let section = if r.section.is_empty() {
            "§".to_owned()
        } else {
            format!("§{}", r.section)
        };
        out.push_str(&format!(
            "  cites {}: {}\n",
            quote(&section),
            quote(&r.quote)
        ));
        let hint = if r.tokens.is_empty() {
            "the condition".to_owned()
        } else {
            format!("the condition; the sentence names {}", r.tokens.join(", "))
        };
        out.push_str(&format!("  when todo {}\n", quote(&hint)));
        match &r.action {
            Some(a) if !(matches!(a.as_str(), "notify" | "refer") && r.targets.is_empty()) => {
                let mut line = format!("  {} {a}", r.modality.keyword());
                if !r.targets.is_empty() {
                    line.push(' ');
                    line.push_str(&r.targets.join(" and "));
                }
                out.push_str(&line);
                out.push('\n');
            }
            Some(a) => out.push_str(&format!(
                "  note {}\n",
                quote(&format!(
                    "to complete: {} {a} (whom?)",
                    r.modality.keyword()
                ))
            )),
            // A prohibition or a permission with no action named reads as a verdict.
            None if r.modality == Modality::MustNot => {
                out.push_str("  permission not_allowed\n");
            }
            None if r.modality == Modality::May => out.push_str("  permission allowed\n"),
            None => out.push_str(&format!(
                "  note {}\n",
                quote(&format!(
                    "to complete: {} (what action?)",
                    r.modality.keyword()
                ))
            )),
        }
        out.push_str("}\n");
    }
    out
}

fn notes_text(id: &str, source_name: &str, rules: &[DraftRule]) -> String {
    let with_action = rules.iter().filter(|r| r.action.is_some()).count();
    format!(
        "# {id}: interpretation notes\n\n\
         Drafted by `haven draft` from `{source_name}`: {} rules, one per sentence that states a duty,\n\
         prohibition, permission or consequence ({with_action} with a suggested action).\n\n\
         To do before the policy checks clean:\n\n\
         - replace every `when todo \"…\"` with the rule's condition (`haven check` lists them as\n\
           `haven::check::to_complete`);\n\
         - check each suggested action, target and modality against its sentence;\n\
         - merge rules that encode one decision, and write `declines \"§…\": \"…\" because \"…\"`\n\
           for sentences the policy deliberately does not encode (`haven trace` lists the rest);\n\
         - record each interpretation choice here, with the sentence it rests on.\n",
        rules.len()
    )
}

/// A drafted sentence where the draft and the hand encoding disagree.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Disagreement {
    /// The sentence's line.
    pub line: usize,
    /// The sentence.
    pub quote: String,
    /// The draft's modality and action.
    pub draft: (Modality, Option<String>),
    /// The modalities and actions of the rules citing it.
    pub hand: (Vec<Modality>, Vec<String>),
}

/// How far a draft's suggestions agree with a hand encoding of the same source.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Agreement {
    /// Drafted sentences the hand encoding cites (in a rule or a table row).
    pub cited: usize,
    /// Of those, where the draft's modality is one the citing rules carry.
    pub modality_agrees: usize,
    /// Cited sentences whose citing rules carry at least one action.
    pub with_action: usize,
    /// Of those, where the draft's suggested action is one of the citing rules' actions.
    pub action_agrees: usize,
    /// The sentences where modality or action disagree.
    pub disagreements: Vec<Disagreement>,
}

/// Modalities and actions of what cites a quote.
struct HandRule {
    frags: Vec<String>,
    modalities: Vec<Modality>,
    actions: Vec<String>,
}

fn outcome_into(o: &Outcome, m: &mut Vec<Modality>, a: &mut Vec<String>) {
    match o {
        Outcome::Action(act) => {
            m.push(act.modality.node);
            a.push(act.action.node.clone());
        }
        Outcome::Permission(p) => m.push(match p.verdict.node {
            Verdict::NotAllowed => Modality::MustNot,
            Verdict::Allowed | Verdict::AllowedIf | Verdict::NotAddressed => Modality::May,
        }),
        Outcome::Breach(_) => m.push(Modality::MustNot),
        Outcome::Note(_) => {}
    }
}

fn hand_rules(hand: &File) -> Vec<HandRule> {
    let mut out = Vec::new();
    for item in &hand.items {
        match item {
            Item::Rule(r) => {
                let (mut m, mut a) = (Vec::new(), Vec::new());
                for o in &r.outcomes {
                    outcome_into(o, &mut m, &mut a);
                }
                for c in &r.cites {
                    if let Some(q) = &c.quote {
                        out.push(HandRule {
                            frags: fragments(&q.node),
                            modalities: m.clone(),
                            actions: a.clone(),
                        });
                    }
                }
            }
            Item::Table(t) => {
                for row in &t.rows {
                    let Some(q) = row.cites.as_ref().and_then(|c| c.quote.as_ref()) else {
                        continue;
                    };
                    let (mut m, mut a) = (Vec::new(), Vec::new());
                    for (cell, column) in row.cells.iter().zip(&t.columns) {
                        if cell.node.is_some() {
                            for o in &column.outcomes {
                                outcome_into(o, &mut m, &mut a);
                            }
                        }
                    }
                    out.push(HandRule {
                        frags: fragments(&q.node),
                        modalities: m,
                        actions: a,
                    });
                }
            }
            _ => {}
        }
    }
    out
}

/// Compare `draft`'s modality and action suggestions with the hand encoding `hand` of the
/// same source, sentence by sentence.
pub fn agreement(draft: &Draft, hand: &File) -> Agreement {
    let hand = hand_rules(hand);
    let mut out = Agreement::default();
    for r in &draft.rules {
        let norm = normalise(&r.quote);
        let citing: Vec<&HandRule> = hand
            .iter()
            .filter(|h| covers_fragments(&h.frags, &norm))
            .collect();
        if citing.is_empty() {
            continue;
        }
        out.cited += 1;
        let modality_ok = citing.iter().any(|h| h.modalities.contains(&r.modality));
        if modality_ok {
            out.modality_agrees += 1;
        }
        let mut action_ok = true;
        if citing.iter().any(|h| !h.actions.is_empty()) {
            out.with_action += 1;
            action_ok = r
                .action
                .as_ref()
                .is_some_and(|a| citing.iter().any(|h| h.actions.contains(a)));
            if action_ok {
                out.action_agrees += 1;
            }
        }
        if !(modality_ok && action_ok) {
            let mut hand = (Vec::new(), Vec::new());
            for h in &citing {
                for m in &h.modalities {
                    if !hand.0.contains(m) {
                        hand.0.push(*m);
                    }
                }
                for a in &h.actions {
                    if !hand.1.contains(a) {
                        hand.1.push(a.clone());
                    }
                }
            }
            out.disagreements.push(Disagreement {
                line: r.line,
                quote: r.quote.clone(),
                draft: (r.modality, r.action.clone()),
                hand,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use haven_core::{Limits, SourceId};

    fn parse(text: &str) -> File {
        let (file, diags) = haven_core::syntax::parse(SourceId(0), text, &Limits::default());
        assert!(diags.is_empty(), "{diags:?}");
        file.unwrap()
    }

    const VOCAB: &str = r#"module v {
}
role staff "Member of staff"
role pupil "Pupil"
role dsl is staff "Designated safeguarding lead"
role parent_carer "Parent or carer"
agency police
device phone
location locker
time lesson
category cyberbullying
action notify
action refer
action inform_parents
action store_device
"#;

    #[test]
    fn rules_cite_their_sentence_with_modality_and_suggested_tokens() {
        let doc = "2. Responsibilities\n\nAll breaches must be reported to the Designated Safeguarding Lead. The DSL will refer details to the police. Parents should be informed. In lesson times all phones must be placed in the locker. The school is big.\n";
        let d = draft(doc, "seed.txt", "new_school", &parse(VOCAB));
        let got: Vec<(&str, Modality, Option<&str>, Vec<String>)> = d
            .rules
            .iter()
            .map(|r| {
                (
                    r.name.as_str(),
                    r.modality,
                    r.action.as_deref(),
                    r.targets.clone(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "line_3",
                    Modality::Must,
                    Some("notify"),
                    vec!["dsl".to_owned()]
                ),
                (
                    "line_3_2",
                    Modality::Must,
                    Some("refer"),
                    vec!["police".to_owned()]
                ),
                ("line_3_3", Modality::Should, Some("inform_parents"), vec![]),
                ("line_3_4", Modality::Must, Some("store_device"), vec![]),
            ]
        );
        assert!(d.rules[3].tokens.contains(&"device phone".to_owned()));
        assert!(d.rules[3].tokens.contains(&"time lesson".to_owned()));
        assert!(d.policy.contains("cites \"§2 Responsibilities\": \"All breaches must be reported to the Designated Safeguarding Lead.\""));
        assert!(d.policy.contains("when todo \""));
        // The draft parses (the checker, not the parser, rejects its `todo`s).
        let _ = parse(&d.policy);
    }

    #[test]
    fn agreement_counts_cited_sentences_only() {
        let doc = "All breaches must be reported to the DSL. Phones should be in the locker. Nothing here.\n";
        let d = draft(doc, "seed.txt", "s", &parse(VOCAB));
        let hand = parse(
            r#"policy s "S" {
  version "1"
}
rule a {
  cites "§1": "All breaches must be reported to the DSL."
  when category is any
  must notify dsl
}
rule b {
  cites "§1": "Phones should be in the locker."
  when category is any
  must store_device
}
"#,
        );
        let a = agreement(&d, &hand);
        assert_eq!(
            (a.cited, a.modality_agrees, a.with_action, a.action_agrees),
            (2, 1, 2, 2)
        );
        assert_eq!(a.disagreements.len(), 1);
        assert_eq!(a.disagreements[0].draft.0, Modality::Should);
    }
}
