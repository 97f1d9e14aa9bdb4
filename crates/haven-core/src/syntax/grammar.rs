//! The pest parser generated from `grammar/haven.pest`. Private: pest types stop at
//! `syntax::parse`.

#![allow(missing_docs, reason = "generated code")]
#![allow(unreachable_pub, reason = "generated code")]

#[derive(pest_derive::Parser)]
#[grammar = "../../grammar/haven.pest"]
pub(crate) struct HavenParser;
