//! Tracing a plain-text policy document to the haven policy that encodes it.
//!
//! - [`sentences`] splits a document (a plain-text extraction of a Word file: headings,
//!   numbered sections, bullet lists, wrapped lines, page furniture) into sentences, each with
//!   its line number and the section heading in force.
//! - [`classify`] says whether a sentence states a duty, a prohibition, a permission or a
//!   consequence (its modal verbs through [`haven_core::modal`], "is not permitted", "will be",
//!   or an imperative step of a procedure).
//! - [`accounts`] collects what a policy file says about its source: every quoted citation
//!   and every `declines` entry; [`trace()`] matches sentences against them.
//! - [`draft`] writes a skeleton policy from the same sentences.
//!
//! No I/O, no printing, no panics on any input.
//!
//! ```
//! use haven_trace::{sentences, trace, Account, Accounting, Status};
//! let doc = "2. Responsibilities\n\nAll breaches must be reported to the DSL. The school is large.\n";
//! let found = sentences(doc);
//! assert_eq!(found[0].section, "2 Responsibilities");
//! let accounts = vec![Account {
//!     section: "§2 Responsibilities".into(),
//!     quote: "All breaches must be reported to the DSL.".into(),
//!     accounting: Accounting::Cites { by: "report_breaches".into() },
//! }];
//! let t = trace(doc, &accounts);
//! assert_eq!(t.summary.found, 1);
//! assert_eq!(t.sentences[0].status, Status::Cited);
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod accounts;
mod classify;
mod draft;
mod matching;
mod sentences;
mod trace;

pub use accounts::{accounts, Account, Accounting};
pub use classify::{classify, Found, Kind, Trigger};
pub use draft::{agreement, draft, Agreement, Disagreement, Draft, DraftRule};
pub use matching::{covers, normalise};
pub use sentences::{sentences, Sentence};
pub use trace::{trace, Status, Summary, Trace, TracedSentence, UnmatchedQuote};
