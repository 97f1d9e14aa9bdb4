//! Syntax: text to AST ([`parse`]) and AST back to canonical text (formatting).

pub mod ast;
mod fmt;
mod grammar;
mod parse;

pub use fmt::format;
pub use parse::parse;
