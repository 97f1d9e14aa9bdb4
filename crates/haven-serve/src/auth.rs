//! Bearer tokens, stored as SHA-256 hashes: `sha256:<hex> [policy ids…]` per line, `#`
//! comments. A token with no ids may use every policy.

use crate::hash::sha256_hex;
use std::collections::HashMap;

/// The tokens a server accepts.
#[derive(Debug, Default, Clone)]
pub struct Tokens {
    /// Hex SHA-256 of the token → the policy ids it may use (empty: all).
    by_hash: HashMap<String, Vec<String>>,
}

/// Why a request may not use a policy.
#[derive(Debug, PartialEq, Eq)]
pub enum Denied {
    /// No `Authorization: Bearer` header, or a token we do not know.
    Unauthenticated,
    /// A known token, not allowed for this policy.
    Forbidden,
}

impl Tokens {
    /// Parse the tokens file format (`;` also separates entries, for `HAVEN_TOKENS`).
    pub fn parse(text: &str) -> Result<Tokens, String> {
        let mut by_hash = HashMap::new();
        for (n, line) in text.split(['\n', ';']).enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let mut words = line.split_whitespace();
            let first = words.next().unwrap_or("");
            let hex = first.strip_prefix("sha256:").ok_or_else(|| {
                format!(
                    "entry {}: expected `sha256:<64 hex digits> [policy ids]`, found `{first}` \
                     (store hashes, not tokens: `haven serve hash-token`)",
                    n + 1
                )
            })?;
            if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!(
                    "entry {}: `{first}` is not a SHA-256 hash (64 hex digits)",
                    n + 1
                ));
            }
            by_hash.insert(
                hex.to_ascii_lowercase(),
                words.map(str::to_owned).collect::<Vec<_>>(),
            );
        }
        Ok(Tokens { by_hash })
    }

    /// How many tokens.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// May the holder of `authorization` (the header's value) use `policy` (`None`: is it a
    /// token we know at all)?
    pub fn check(&self, authorization: Option<&str>, policy: Option<&str>) -> Result<(), Denied> {
        let token = authorization
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(Denied::Unauthenticated)?;
        let scope = self
            .by_hash
            .get(&sha256_hex(token.as_bytes()))
            .ok_or(Denied::Unauthenticated)?;
        if scope.is_empty() || policy.is_none_or(|policy| scope.iter().any(|p| p == policy)) {
            Ok(())
        } else {
            Err(Denied::Forbidden)
        }
    }
}

/// The tokens-file line for `token` (what `haven serve hash-token` prints).
pub fn token_line(token: &str, policies: &[String]) -> String {
    let mut line = format!("sha256:{}", sha256_hex(token.trim().as_bytes()));
    for p in policies {
        line.push(' ');
        line.push_str(p);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scoped_and_unscoped_tokens() {
        let text = format!(
            "# comment\n{}\n{}\n",
            token_line("all", &[]),
            token_line("one", &["kenilworth_2022".to_owned()])
        );
        let tokens = Tokens::parse(&text).unwrap_or_default();
        assert_eq!(tokens.len(), 2);
        assert_eq!(tokens.check(Some("Bearer all"), Some("x")), Ok(()));
        assert_eq!(
            tokens.check(Some("Bearer one"), Some("kenilworth_2022")),
            Ok(())
        );
        assert_eq!(
            tokens.check(Some("Bearer one"), Some("x")),
            Err(Denied::Forbidden)
        );
        assert_eq!(
            tokens.check(Some("Bearer nope"), Some("x")),
            Err(Denied::Unauthenticated)
        );
        assert_eq!(tokens.check(None, Some("x")), Err(Denied::Unauthenticated));
        assert!(Tokens::parse("plaintext-token").is_err());
    }
}
