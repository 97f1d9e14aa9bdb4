//! Syntax: text to AST ([`parse`]) and AST back to canonical text (formatting).

pub mod ast;
mod grammar;
mod parse;

pub use parse::parse;
