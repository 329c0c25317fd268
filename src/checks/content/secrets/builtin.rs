//! The built-in rules: TOML files under `rules/secrets/`, embedded at build time
//! (`builtin_files.rs`), parsed and turned into lazily compiled [`Rule`]s at start-up.

use super::builtin_files::FILES;
use super::config::ConfigError;
use super::rule::{RawRule, Rule, parse_rule_file};

/// All built-in raw rules with the name of their file, samples included (the tests run them).
pub(super) fn raw_rules(errors: &mut Vec<ConfigError>) -> Vec<(&'static str, RawRule)> {
    parse(errors, true)
}

/// Built-in rules, regexes not compiled yet. The files are parsed without their sample arrays
/// (a third of their bytes, only the tests need them): a hook parses them on every push.
pub(super) fn rules(errors: &mut Vec<ConfigError>) -> Vec<Rule> {
    parse(errors, false).iter().filter_map(|(_, raw)| Rule::from_raw(raw, "builtin", false, errors)).collect()
}

fn parse(errors: &mut Vec<ConfigError>, samples: bool) -> Vec<(&'static str, RawRule)> {
    let mut out = Vec::new();
    for (name, text) in FILES {
        let parsed = if samples { parse_rule_file(text) } else { parse_rule_file(&without_samples(text)) };
        match parsed {
            Ok(rules) => out.extend(rules.into_iter().map(|r| (*name, r))),
            // A span into the stripped text would point at the wrong place of the file.
            Err(e) => errors.push(ConfigError {
                span: if samples { e.span() } else { None },
                message: format!("built-in rule file {name}.toml: {}", e.message()),
            }),
        }
    }
    out
}

/// A rule file without its `must-match = [...]` / `must-not-match = [...]` lines (each is one
/// line in the built-in files; `samples_are_one_line_and_stripping_them_changes_nothing_else`
/// checks it).
fn without_samples(text: &str) -> String {
    text.lines()
        .filter(|l| !(l.starts_with("must-match") || l.starts_with("must-not-match")))
        .flat_map(|l| [l, "\n"])
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_one_line_and_stripping_them_changes_nothing_else() {
        for (name, text) in FILES {
            for l in text.lines().filter(|l| l.starts_with("must-")) {
                assert!(l.ends_with(']'), "{name}: a sample array spans lines: {l}");
            }
            let full = parse_rule_file(text).unwrap();
            let stripped = parse_rule_file(&without_samples(text)).unwrap();
            assert_eq!(full.len(), stripped.len(), "{name}");
            for (a, b) in full.iter().zip(&stripped) {
                assert!(b.must_match.is_empty() && b.must_not_match.is_empty(), "{name}");
                assert_eq!(
                    (a.id.get_ref(), a.regex.as_ref().map(|r| r.get_ref()), &a.keywords, a.entropy),
                    (b.id.get_ref(), b.regex.as_ref().map(|r| r.get_ref()), &b.keywords, b.entropy),
                    "{name}"
                );
            }
        }
    }
}
