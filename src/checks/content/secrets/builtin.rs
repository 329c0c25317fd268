//! The built-in rules: TOML files under `rules/secrets/`, embedded at build time
//! (`builtin_files.rs`), parsed and turned into lazily compiled [`Rule`]s at start-up.

use super::builtin_files::FILES;
use super::config::ConfigError;
use super::rule::{RawRule, Rule, parse_rule_file};

/// All built-in raw rules with the name of their file.
pub(super) fn raw_rules(errors: &mut Vec<ConfigError>) -> Vec<(&'static str, RawRule)> {
    let mut out = Vec::new();
    for (name, text) in FILES {
        match parse_rule_file(text) {
            Ok(rules) => out.extend(rules.into_iter().map(|r| (*name, r))),
            Err(e) => errors.push(ConfigError {
                span: e.span(),
                message: format!("built-in rule file {name}.toml: {}", e.message()),
            }),
        }
    }
    out
}

/// Built-in rules, regexes not compiled yet (only the `RegexSet` is built up front).
pub(super) fn rules(errors: &mut Vec<ConfigError>) -> Vec<Rule> {
    raw_rules(errors).iter().filter_map(|(_, raw)| Rule::from_raw(raw, "builtin", false, errors)).collect()
}
