//! "Unknown name" diagnostics: the vocabulary's own word for a common synonym, else the
//! nearest declared name, else the names there are.

use crate::diagnostic::{suggest, Diagnostic};
use crate::ir::{quote_list, Vocab};
use crate::source::Span;
use crate::syntax::ast::TokenKind;

/// An "unknown X" diagnostic with a suggestion.
pub(in crate::check) fn unknown_name(
    vocab: &Vocab,
    kind: TokenKind,
    name: &str,
    span: Span,
) -> Diagnostic {
    let known = vocab.names(kind);
    let code = match kind {
        TokenKind::Role => "haven::check::unknown_role",
        TokenKind::Agency => "haven::check::unknown_agency",
        TokenKind::Device => "haven::check::unknown_device",
        TokenKind::Owner => "haven::check::unknown_owner",
        TokenKind::Location => "haven::check::unknown_location",
        TokenKind::Time => "haven::check::unknown_time",
        TokenKind::Activity => "haven::check::unknown_activity",
        TokenKind::Category => "haven::check::unknown_category",
        TokenKind::Action => "haven::check::unknown_action",
        TokenKind::Deadline => "haven::check::unknown_deadline",
    };
    let d = Diagnostic::error(code, format!("unknown {} `{name}`", kind.keyword()), span)
        .with_label(format!("not a declared {}", kind.keyword()));
    if let Some(word) = synonym(kind, name).filter(|w| known.iter().any(|k| k == w)) {
        return d.with_suggestion(word).with_help(format!(
            "did you mean `{word}`? the vocabulary calls {name_words} `{word}`; declare `{} {name}` only if it means something else",
            kind.keyword(),
            name_words = name.replace('_', " "),
        ));
    }
    match suggest(name, &known) {
        Some(s) => d.with_suggestion(s),
        None if known.is_empty() => d.with_help(format!(
            "no {} is declared; add `use std/vocabulary` to the header",
            kind.keyword()
        )),
        None => d.with_help(format!(
            "declare it with `{} {name}` or use one of {}",
            kind.keyword(),
            quote_list(&known)
        )),
    }
}

/// The vocabulary's word for a name authors often write instead (`sexting` is
/// `sharing_nudes`), per token kind.
const SYNONYMS: &[(TokenKind, &[&str], &str)] = &[
    (
        TokenKind::Category,
        &[
            "sexting",
            "nudes",
            "nude_images",
            "nude_selfies",
            "semi_nudes",
            "sharing_nudes_and_semi_nudes",
            "youth_produced_sexual_imagery",
            "self_generated_images",
        ],
        "sharing_nudes",
    ),
    (
        TokenKind::Category,
        &["bullying", "online_bullying", "cyber_bullying", "trolling"],
        "cyberbullying",
    ),
    (
        TokenKind::Category,
        &["extremism", "extremist_material", "radicalization"],
        "radicalisation",
    ),
    (
        TokenKind::Category,
        &["sexual_extortion", "financially_motivated_sexual_extortion"],
        "sextortion",
    ),
    (
        TokenKind::Category,
        &[
            "indecent_images",
            "indecent_images_of_children",
            "child_sexual_abuse_material",
            "child_abuse_images",
        ],
        "csam",
    ),
    (
        TokenKind::Category,
        &["peer_on_peer_abuse", "peer_abuse"],
        "child_on_child_abuse",
    ),
    (
        TokenKind::Category,
        &["self_harm", "suicide_risk", "suicidal_ideation"],
        "self_harm_risk",
    ),
    (
        TokenKind::Category,
        &["hacking", "virus", "malware", "computer_misuse"],
        "hacking_or_virus",
    ),
    (
        TokenKind::Category,
        &["data_breach", "gdpr_breach", "personal_data_breach"],
        "data_protection_breach",
    ),
    (TokenKind::Category, &["gambling"], "online_gambling"),
    (
        TokenKind::Category,
        &["piracy", "plagiarism"],
        "copyright_breach",
    ),
    (
        TokenKind::Category,
        &["filter_evasion", "vpn_use", "proxy_use"],
        "filter_bypass",
    ),
    (
        TokenKind::Category,
        &["fake_account"],
        "impersonation_account",
    ),
    (
        TokenKind::Role,
        &["designated_safeguarding_lead", "safeguarding_lead", "dsp"],
        "dsl",
    ),
    (
        TokenKind::Role,
        &["head", "head_teacher", "principal"],
        "headteacher",
    ),
    (
        TokenKind::Role,
        &["parent", "carer", "parents"],
        "parent_carer",
    ),
    (TokenKind::Role, &["ta"], "teaching_assistant"),
    (TokenKind::Role, &["deputy_head"], "deputy_headteacher"),
    (TokenKind::Role, &["student", "child", "learner"], "pupil"),
    (TokenKind::Role, &["chair"], "chair_of_governors"),
    (
        TokenKind::Agency,
        &["social_care", "social_services"],
        "childrens_social_care",
    ),
];

/// The declared-vocabulary word for `name` of this kind, if `name` is a known synonym.
pub(in crate::check) fn synonym(kind: TokenKind, name: &str) -> Option<&'static str> {
    let name = name.to_ascii_lowercase();
    SYNONYMS
        .iter()
        .find(|(k, words, _)| *k == kind && words.contains(&name.as_str()))
        .map(|(_, _, word)| *word)
}
