//! Sentences of a source document against a policy's accounts of them.

use crate::accounts::{Account, Accounting};
use crate::classify::{classify, Found};
use crate::matching::{covers_fragments, fragments, normalise};
use crate::sentences::scan;

/// How the policy accounts for a sentence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A rule, table row, criterion or person cites it.
    Cited,
    /// A `declines` entry names it, with a reason.
    Declined,
    /// Nothing accounts for it.
    Unaccounted,
}

/// One sentence of the source with what the policy says about it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TracedSentence {
    /// The 1-based line it starts on.
    pub line: usize,
    /// The section heading in force.
    pub section: String,
    /// The sentence.
    pub text: String,
    /// What it states, when it states a duty, prohibition, permission or consequence.
    pub found: Option<Found>,
    /// How the policy accounts for it.
    pub status: Status,
    /// What cites it (`rule report_breaches`, ...), in policy order.
    pub cited_by: Vec<String>,
    /// Why the policy declines it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declined_because: Option<String>,
}

/// A quote of the policy that matches no sentence of the source (misquoted, or from another
/// document).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct UnmatchedQuote {
    /// The section it names.
    pub section: String,
    /// The quote.
    pub quote: String,
    /// What cites or declines it.
    pub by: String,
}

/// The counts `haven trace` prints: over the found sentences only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// Sentences stating a duty, prohibition, permission or consequence.
    pub found: usize,
    /// Of those, cited by the policy.
    pub cited: usize,
    /// Of those, declined with a reason.
    pub declined: usize,
    /// Of those, accounted for by nothing.
    pub unaccounted: usize,
}

/// The whole trace.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Trace {
    /// The counts.
    pub summary: Summary,
    /// Every sentence of the source, found or not, in document order.
    pub sentences: Vec<TracedSentence>,
    /// Quotes of the policy that match no sentence.
    pub unmatched_quotes: Vec<UnmatchedQuote>,
}

impl Trace {
    /// The found sentences nothing accounts for.
    pub fn unaccounted(&self) -> impl Iterator<Item = &TracedSentence> {
        self.sentences
            .iter()
            .filter(|s| s.found.is_some() && s.status == Status::Unaccounted)
    }
}

/// Trace `source` (a plain-text policy document) against `accounts`.
pub fn trace(source: &str, accounts: &[Account]) -> Trace {
    let prepared: Vec<(Vec<String>, &Account)> =
        accounts.iter().map(|a| (fragments(&a.quote), a)).collect();
    let mut matched = vec![false; accounts.len()];
    let mut out = Vec::new();
    let mut summary = Summary::default();
    let (sentences, headings) = scan(source);
    for s in sentences {
        let found = classify(&s);
        let norm = normalise(&s.text);
        let mut cited_by: Vec<String> = Vec::new();
        let mut declined_because = None;
        for ((frags, account), hit) in prepared.iter().zip(matched.iter_mut()) {
            if !covers_fragments(frags, &norm) {
                continue;
            }
            *hit = true;
            match &account.accounting {
                Accounting::Cites { by } => {
                    if !cited_by.contains(by) {
                        cited_by.push(by.clone());
                    }
                }
                Accounting::Declines { reason } => {
                    declined_because.get_or_insert_with(|| reason.clone());
                }
            }
        }
        let status = if !cited_by.is_empty() {
            Status::Cited
        } else if declined_because.is_some() {
            Status::Declined
        } else {
            Status::Unaccounted
        };
        if found.is_some() {
            summary.found += 1;
            match status {
                Status::Cited => summary.cited += 1,
                Status::Declined => summary.declined += 1,
                Status::Unaccounted => summary.unaccounted += 1,
            }
        }
        out.push(TracedSentence {
            line: s.line,
            section: s.section,
            text: s.text,
            found,
            status,
            cited_by,
            declined_because,
        });
    }
    // A quote of a heading ("Co Headteachers - Andrew Kidd & Sarah Ridley") is not a
    // misquote, though no sentence holds it.
    let headings: Vec<String> = headings.iter().map(|h| normalise(h)).collect();
    let unmatched_quotes = prepared
        .iter()
        .zip(&matched)
        .filter(|(_, hit)| !**hit)
        .filter(|((frags, _), _)| !headings.iter().any(|h| covers_fragments(frags, h)))
        .map(|((_, a), _)| UnmatchedQuote {
            section: a.section.clone(),
            quote: a.quote.clone(),
            by: match &a.accounting {
                Accounting::Cites { by } => by.clone(),
                Accounting::Declines { .. } => "declines".to_owned(),
            },
        })
        .collect();
    Trace {
        summary,
        sentences: out,
        unmatched_quotes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cites(quote: &str, by: &str) -> Account {
        Account {
            section: "§1".to_owned(),
            quote: quote.to_owned(),
            accounting: Accounting::Cites { by: by.to_owned() },
        }
    }

    #[test]
    fn each_found_sentence_is_cited_declined_or_unaccounted() {
        let doc = "1. Rules\n\nAll breaches must be reported to the DSL. Phones must be switched off in lessons. Visitors should sign in. The school is in Leeds.\n";
        let accounts = vec![
            cites("All breaches must be reported…the DSL", "rule a"),
            cites("All breaches must be reported to the DSL.", "rule b"),
            Account {
                section: "§1".to_owned(),
                quote: "Visitors should sign in.".to_owned(),
                accounting: Accounting::Declines {
                    reason: "front office procedure".to_owned(),
                },
            },
            cites("A sentence from another document.", "rule c"),
        ];
        let t = trace(doc, &accounts);
        assert_eq!(
            t.summary,
            Summary {
                found: 3,
                cited: 1,
                declined: 1,
                unaccounted: 1
            }
        );
        let s = &t.sentences;
        assert_eq!(s[0].cited_by, ["rule a", "rule b"]);
        assert_eq!(
            s[2].declined_because.as_deref(),
            Some("front office procedure")
        );
        assert_eq!(
            t.unaccounted().map(|s| s.text.as_str()).collect::<Vec<_>>(),
            ["Phones must be switched off in lessons."]
        );
        assert!(s[3].found.is_none());
        assert_eq!(t.unmatched_quotes.len(), 1);
        assert_eq!(t.unmatched_quotes[0].by, "rule c");
    }
}
