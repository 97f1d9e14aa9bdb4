//! Limits on input size and shape. They are part of the API: exceeding one is a located
//! error, never a crash, a hang or unbounded memory.

/// Every limit haven enforces. [`Limits::default`] is what the CLI and bindings use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest policy or module file, in bytes.
    pub max_policy_bytes: usize,
    /// Deepest nesting of `(`, `[` and `{` in a policy.
    pub max_nesting: usize,
    /// Most grammar-rule calls pest may make on one file (bounds parse time).
    pub parser_call_limit: usize,
    /// Most files one policy may load through `use` and `extends`.
    pub max_modules: usize,
    /// How deep criteria lists may refer to other criteria lists.
    pub max_criteria_depth: usize,
    /// Most condition nodes a criteria list may expand to (criteria are inlined).
    pub max_condition_nodes: usize,
    /// Largest incident record, in bytes of JSON.
    pub max_incident_bytes: usize,
    /// Deepest nesting of arrays and objects in an incident record.
    pub max_incident_depth: usize,
    /// Most entries in a list in an incident record (e.g. `others`).
    pub max_list_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_policy_bytes: 4 * 1024 * 1024,
            max_nesting: 64,
            parser_call_limit: 50_000_000,
            max_modules: 64,
            max_criteria_depth: 16,
            max_condition_nodes: 100_000,
            max_incident_bytes: 1024 * 1024,
            max_incident_depth: 16,
            max_list_len: 1_000,
        }
    }
}
