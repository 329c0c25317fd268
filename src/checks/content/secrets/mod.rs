//! Secret scanning: built-in and custom rules that turn one text buffer (a whole file, or the
//! lines a commit adds joined by `\n`) into findings, plus sensitive file-name checks.
//!
//! Layout:
//! - `rule.rs`      rule data format (TOML, shared by built-ins, `[[secrets.rules]]` and gitleaks import)
//! - `builtin.rs`   the built-in rules: `rules/secrets/*.toml`, compiled in as `builtin_table.rs`
//! - `engine.rs`    [`SecretScanner`]: one pass of the combined set, then per-rule confirmation
//! - `set.rs`       the combined set of every rule's widened pattern, its DFA states shared by threads
//! - `gate.rs`      required literals of a rule, to pre-select rules without the set (small pushes)
//! - `filters.rs`   entropy, placeholder and look-alike filters
//! - `validators.rs` named checksum/structure validators (`github-crc32`, `jwt`, …)
//! - `filenames.rs` sensitive file names (`id_rsa`, `.env`, `*.p12`, …)
//! - `config.rs`    the `[secrets]` policy table and its validation
//! - `gitleaks.rs`  import of a gitleaks TOML configuration

mod builtin;
#[cfg(test)]
mod builtin_files;
mod builtin_gates;
mod builtin_table;
mod config;
mod engine;
mod filenames;
mod filters;
mod gate;
mod gitleaks;
mod rule;
mod set;
mod validators;

#[cfg(test)]
mod corpus_tests;

use std::ops::Range;

pub use config::{ConfigError, RawAllowlist, SecretsConfig};
pub use engine::{SecretScanner, Strategy};
pub use gitleaks::{GitleaksError, GitleaksImport, import_gitleaks, import_gitleaks_full};
pub use rule::{RawRule, RawRuleAllowlist};

/// A rule's id, description or help: borrowed from the binary for built-in rules (no copy per
/// run), owned for policy and imported rules.
pub type Text = std::borrow::Cow<'static, str>;

/// One secret found in a buffer or a path.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretMatch {
    /// Full rule id, e.g. `secret/github-pat`.
    pub rule_id: Text,
    /// One-line description of the rule.
    pub description: Text,
    /// 1-based line in the scanned text where the secret starts (1 for path findings).
    pub line: u32,
    /// Byte range of the secret in the scanned text (empty for path-only findings).
    pub secret: Range<usize>,
    /// Extra fix hint of the rule, if any.
    pub help: Option<Text>,
}

impl std::fmt::Debug for SecretMatch {
    // The secret itself is never part of Debug output: only its position.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretMatch")
            .field("rule_id", &self.rule_id)
            .field("line", &self.line)
            .field("secret", &self.secret)
            .finish_non_exhaustive()
    }
}

/// What `pushgate rules` lists for one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInfo {
    /// Full id with the `secret/` prefix.
    pub id: Text,
    pub description: Text,
    pub help: Option<Text>,
    /// Where the rule comes from: `builtin`, `policy` or `gitleaks`.
    pub origin: &'static str,
}
