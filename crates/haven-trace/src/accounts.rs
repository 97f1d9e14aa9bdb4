//! What a policy file says about its source document: quoted citations and declined
//! sentences, read from the file's syntax tree (the school's own file, not its layers).

use haven_core::syntax::ast::{Cite, File, Item};

/// One statement of the policy about a sentence of its source.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Account {
    /// The section it names (`"§2 Responsibilities"`).
    pub section: String,
    /// The quoted sentence (possibly shortened with `…`).
    pub quote: String,
    /// Whether it encodes the sentence or declines it.
    pub accounting: Accounting,
}

/// How the policy accounts for a sentence.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Accounting {
    /// A citation: `by` names what cites it (`rule report_breaches`, `table sanctions row
    /// "Cyberbullying"`, `criteria ukcis c1`, `person "Fiona Ajose"`).
    Cites {
        /// What cites it.
        by: String,
    },
    /// A `declines` entry.
    Declines {
        /// Why the policy does not encode it.
        reason: String,
    },
}

/// Every quoted citation and every `declines` entry of `file`, in source order. Citations
/// without a quote account for no sentence and are left out.
pub fn accounts(file: &File) -> Vec<Account> {
    let mut out = Vec::new();
    let mut cite = |c: &Cite, by: String| {
        if let Some(q) = &c.quote {
            out.push(Account {
                section: c.section.node.clone(),
                quote: q.node.clone(),
                accounting: Accounting::Cites { by },
            });
        }
    };
    for item in &file.items {
        match item {
            Item::Rule(r) => {
                for c in &r.cites {
                    cite(c, format!("rule {}", r.name.node));
                }
            }
            Item::Table(t) => {
                for c in &t.cites {
                    cite(c, format!("table {}", t.name.node));
                }
                for (i, row) in t.rows.iter().enumerate() {
                    if let Some(c) = &row.cites {
                        cite(c, format!("table {}/{}", t.name.node, i + 1));
                    }
                }
            }
            Item::Criteria(cr) => {
                if let Some(c) = &cr.cites {
                    cite(c, format!("criteria {}", cr.name.node));
                }
                for it in &cr.items {
                    if let Some(c) = &it.cites {
                        cite(c, format!("criteria {}.{}", cr.name.node, it.name.node));
                    }
                }
            }
            Item::Person(p) => {
                if let Some(c) = &p.cites {
                    cite(c, format!("person \"{}\"", p.name.node));
                }
            }
            Item::Relation(r) => {
                if let Some(c) = &r.cites {
                    cite(
                        c,
                        format!(
                            "relation {} implies {}",
                            r.antecedent.fact.node, r.consequent.fact.node
                        ),
                    );
                }
            }
            Item::Declines(_) | Item::Caveat(_) | Item::Decl(_) => {}
        }
    }
    for item in &file.items {
        if let Item::Declines(d) = item {
            out.push(Account {
                section: d.section.node.clone(),
                quote: d.quote.node.clone(),
                accounting: Accounting::Declines {
                    reason: d.reason.node.clone(),
                },
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use haven_core::{Limits, SourceId};

    #[test]
    fn citations_of_rules_rows_criteria_people_and_declines_are_collected() {
        let text = r#"policy t "T" {
  version "1"
}
person "Fiona Ajose" holds dsl
  cites "§2": "The named co-ordinator is Fiona Ajose."
criteria c "C" any {
  c1: adult_involved
    cites "§4": "An adult is involved."
}
rule r {
  cites "§2": "All breaches must be reported."
  cites "§3"
  when category is any
  must notify dsl
}
table s "S" {
  hit collect
  columns {
    a: must notify dsl
  }
  row "Row" when category is any | X | cites "§5": "Row sentence."
}
declines "§6": "Online safety is embedded." because "curriculum"
"#;
        let (file, diags) = haven_core::syntax::parse(SourceId(0), text, &Limits::default());
        assert!(diags.is_empty(), "{diags:?}");
        let got: Vec<(String, String)> = accounts(&file.unwrap())
            .into_iter()
            .map(|a| {
                let how = match a.accounting {
                    Accounting::Cites { by } => by,
                    Accounting::Declines { reason } => format!("declined: {reason}"),
                };
                (a.quote, how)
            })
            .collect();
        let want = [
            (
                "The named co-ordinator is Fiona Ajose.",
                "person \"Fiona Ajose\"",
            ),
            ("An adult is involved.", "criteria c.c1"),
            ("All breaches must be reported.", "rule r"),
            ("Row sentence.", "table s/1"),
            ("Online safety is embedded.", "declined: curriculum"),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect();
        assert_eq!(got, want);
    }
}
