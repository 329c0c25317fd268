//! The built-in rules: TOML files under `rules/secrets/` are the source. The binary holds them
//! as a static table in `builtin_table.rs`, generated from the files by the test
//! `builtin_table_is_current`: parsing the TOML cost ≈ 0.4 ms on every push, and building the
//! rules as owned values (≈ 560 strings copied to the heap) ≈ 0.15 ms; borrowed from the table
//! they cost neither. Only test builds embed the files themselves (`builtin_files.rs`), for their
//! samples and the generator.

#[cfg(test)]
use super::builtin_files::FILES;
#[cfg(test)]
use super::config::ConfigError;
#[cfg(test)]
use super::rule::parse_rule_file;
use super::rule::{RawRule, Rule};
use super::validators::Validator;

/// One built-in rule as the binary holds it. The built-in files use only these keys (no `path`,
/// `keywords` or `allowlist`; the generator refuses a file that does).
#[derive(Debug)]
pub(crate) struct Builtin {
    /// Full id, `secret/<id>`.
    pub id: &'static str,
    /// The file's `description` (the id when it has none).
    pub description: &'static str,
    pub regex: &'static str,
    pub secret_group: Option<usize>,
    pub entropy: Option<f64>,
    pub validator: Option<Validator>,
    pub help: Option<&'static str>,
    pub generic: bool,
}

impl Builtin {
    /// The rule as a rule file would give it (samples left out): for a policy that changes a
    /// built-in rule (`[secrets.rule-allowlist]`).
    pub(super) fn to_raw(&self) -> RawRule {
        let s = |v: &str| toml::Spanned::new(0..0, v.to_owned());
        RawRule {
            description: Some(self.description.to_owned()),
            regex: Some(s(self.regex)),
            secret_group: self.secret_group,
            entropy: self.entropy,
            validate: self.validator.map(|v| s(v.name())),
            help: self.help.map(str::to_owned),
            generic: self.generic,
            ..RawRule::new(s(self.id.strip_prefix("secret/").unwrap_or(self.id)))
        }
    }
}

/// The built-in rules, in file order.
pub(crate) fn table() -> &'static [Builtin] {
    super::builtin_table::RULES
}

/// All built-in raw rules with the name of their file, samples included (the tests run them).
#[cfg(test)]
pub(super) fn raw_rules(errors: &mut Vec<ConfigError>) -> Vec<(&'static str, RawRule)> {
    parse(errors, true)
}

/// Built-in rules, regexes not compiled yet.
pub(super) fn rules() -> Vec<Rule> {
    table().iter().map(Rule::from_builtin).collect()
}

#[cfg(test)]
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
#[cfg(test)]
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

    fn raw(text: &str) -> String {
        assert!(!text.contains("\"####"), "{text}");
        format!("r####\"{text}\"####")
    }

    fn opt(v: Option<&str>) -> String {
        v.map_or("None".into(), |x| format!("Some({})", raw(x)))
    }

    /// The Rust source of `builtin_table.rs` for `raws` (rules of the built-in files, samples
    /// left out). Panics on a key the static table has no field for: extend [`Builtin`] first.
    fn render(raws: &[RawRule]) -> String {
        let mut out = String::from(
            "// Generated by the test `builtin_table_is_current` (builtin.rs) from rules/secrets/*.toml,\n\
             // samples left out. Do not edit; regenerate with PUSHGATE_UPDATE_GATES=1 cargo test builtin_\n\
             use super::builtin::Builtin;\n\
             use super::validators::Validator;\n\n\
             #[rustfmt::skip]\n\
             pub(super) static RULES: &[Builtin] = &[\n",
        );
        for r in raws {
            let id = r.id.get_ref();
            assert!(r.must_match.is_empty() && r.must_not_match.is_empty());
            assert!(
                r.path.is_none() && r.keywords.is_empty() && r.allowlist.is_none(),
                "built-in rule {id}: `path`, `keywords` and `allowlist` have no field in the static table yet"
            );
            let regex = r.regex.as_ref().unwrap_or_else(|| panic!("built-in rule {id} has no regex"));
            let fid = format!("secret/{}", id.strip_prefix("secret/").unwrap_or(id));
            let validator = r.validate.as_ref().map(|v| {
                let v = Validator::from_name(v.get_ref()).unwrap_or_else(|| panic!("{id}: unknown validator"));
                format!("Validator::{v:?}")
            });
            out.push_str(&format!(
                "    Builtin {{ id: {}, description: {}, regex: {}, secret_group: {:?}, entropy: {:?}, validator: {}, \
                 help: {}, generic: {} }},\n",
                raw(&fid),
                raw(r.description.as_deref().unwrap_or(&fid)),
                raw(regex.get_ref()),
                r.secret_group,
                r.entropy,
                validator.map_or("None".to_owned(), |v| format!("Some({v})")),
                opt(r.help.as_deref()),
                r.generic,
            ));
        }
        out.push_str("];\n");
        out
    }

    /// `builtin_table.rs` holds exactly the rules of the files (what a hook uses instead of
    /// parsing them).
    #[test]
    fn builtin_table_is_current() {
        let mut errors = Vec::new();
        let raws: Vec<RawRule> = parse(&mut errors, false).into_iter().map(|(_, r)| r).collect();
        assert!(errors.is_empty(), "{errors:?}");
        let text = render(&raws);
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/checks/content/secrets/builtin_table.rs");
        if std::env::var_os("PUSHGATE_UPDATE_GATES").is_some() {
            std::fs::write(path, &text).unwrap();
        }
        let current = std::fs::read_to_string(path).unwrap_or_default();
        assert!(current == text, "builtin_table.rs is stale: run PUSHGATE_UPDATE_GATES=1 cargo test builtin_");
        // The compiled-in table renders to the same text: every field made it across (ids in the
        // files are short, as `to_raw` gives them).
        let back: Vec<RawRule> = table().iter().map(Builtin::to_raw).collect();
        assert_eq!(render(&back), text);
    }
}
