//! The `[secrets]` table of policy.toml (raw serde form) and its validation into the parts the
//! scanner is built from. Every regex, glob and id keeps its span so errors point at
//! file:line:col; validation collects all errors instead of stopping at the first.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::builtin::{self, Builtin};
use super::filenames::{self, FileRule};
use super::gitleaks;
use super::rule::{Allowlist, RawRule, RawRuleAllowlist, Rule, compile_allowlist, full_id};

/// Allowlist keys: `paths` (globs), `path-regexes`, `regexes` (on the secret), `lines` (on the
/// whole line), `stopwords` (case-insensitive substrings of the secret).
pub type RawAllowlist = RawRuleAllowlist;

/// `[secrets]` in policy.toml.
///
/// ```toml
/// [secrets]
/// enabled = true
/// disable = ["secret/jwt"]
/// gitleaks-config = ".gitleaks.toml"
/// [secrets.allowlist]
/// paths = ["**/testdata/**"]
/// [secrets.rule-allowlist."secret/generic-password"]
/// stopwords = ["hunter"]
/// [[secrets.rules]]
/// id = "acme-token"
/// regex = '''\b(acme_[a-z0-9]{32})\b'''
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SecretsConfig {
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Rule ids (`secret/...`) to turn off; each must exist.
    #[serde(default)]
    pub disable: Vec<Spanned<String>>,
    /// Custom rules, same format as the built-in rule files. A rule with a built-in id replaces it.
    #[serde(default)]
    pub rules: Vec<RawRule>,
    /// Global allowlist.
    #[serde(default)]
    pub allowlist: Option<RawAllowlist>,
    /// Extra allowlist per rule id.
    #[serde(default)]
    pub rule_allowlist: BTreeMap<Spanned<String>, RawAllowlist>,
    /// Path of a gitleaks TOML config (resolved and read by the caller, relative to the policy).
    #[serde(default)]
    pub gitleaks_config: Option<Spanned<String>>,
    /// File of finding fingerprints to ignore (`<rule>:<fingerprint>` or a bare fingerprint per
    /// line, `#` comments), resolved by the caller relative to the policy. Fingerprints hash the
    /// rule and the value, not the commit, so they survive rebases and squashes.
    #[serde(default)]
    pub ignore_file: Option<Spanned<String>>,
}

fn default_true() -> bool {
    true
}

impl Default for SecretsConfig {
    fn default() -> Self {
        SecretsConfig {
            enabled: true,
            disable: Vec::new(),
            rules: Vec::new(),
            allowlist: None,
            rule_allowlist: BTreeMap::new(),
            gitleaks_config: None,
            ignore_file: None,
        }
    }
}

/// One problem in the `[secrets]` table. `span` is a byte range in the policy file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ConfigError {
    pub span: Option<Range<usize>>,
    pub message: String,
}

type Parts = (Vec<Rule>, Allowlist, Vec<&'static FileRule>);

fn merge_allowlist(into: &mut RawAllowlist, from: &RawAllowlist) {
    into.regexes.extend(from.regexes.iter().cloned());
    into.paths.extend(from.paths.iter().cloned());
    into.path_regexes.extend(from.path_regexes.iter().cloned());
    into.lines.extend(from.lines.iter().cloned());
    into.stopwords.extend(from.stopwords.iter().cloned());
}

/// Validate `cfg` and produce the rules, the global allowlist and the file-name rules.
/// Errors are appended to `errors`; `None` when any occurred.
pub(super) fn build_parts(
    cfg: &SecretsConfig,
    gitleaks_text: Option<&str>,
    errors: &mut Vec<ConfigError>,
) -> Option<Parts> {
    let n0 = errors.len();
    // (origin, rule) in order; later entries with the same id replace earlier ones.
    let mut raws: Vec<(&'static str, Entry)> =
        builtin::table().iter().map(|b| ("builtin", Entry::Builtin(b))).collect();
    let mut global_raw = cfg.allowlist.clone().unwrap_or_default();

    let gl_span = cfg.gitleaks_config.as_ref().map(Spanned::span);
    match (gitleaks_text, &cfg.gitleaks_config) {
        (Some(text), _) => match gitleaks::import_gitleaks_full(text) {
            Ok(imp) => {
                for r in imp.rules {
                    upsert(&mut raws, "gitleaks", r);
                }
                merge_allowlist(&mut global_raw, &imp.allowlist);
            }
            Err(errs) => errors.extend(
                errs.into_iter()
                    .map(|e| ConfigError { span: gl_span.clone(), message: format!("gitleaks-config: {e}") }),
            ),
        },
        (None, Some(p)) => errors.push(ConfigError {
            span: Some(p.span()),
            message: "gitleaks-config is set but its content was not loaded".to_owned(),
        }),
        (None, None) => {}
    }

    let mut seen = BTreeMap::new();
    for r in &cfg.rules {
        let id = full_id(r.id.get_ref());
        if let Some(prev) = seen.insert(id.clone(), r.id.span()) {
            errors.push(ConfigError {
                span: Some(r.id.span()),
                message: format!("duplicate custom rule id {id} (first defined at byte {})", prev.start),
            });
            continue;
        }
        upsert(&mut raws, "policy", r.clone());
    }

    let file_ids: Vec<&'static str> = filenames::RULES.iter().map(|f| f.id).collect();
    for (key, al) in &cfg.rule_allowlist {
        let id = full_id(key.get_ref());
        // Validate now so errors carry policy spans, even for lazily compiled built-ins.
        let _ = compile_allowlist(al, &format!("rule-allowlist {id}"), errors);
        match raws.iter_mut().find(|(_, r)| r.full_id() == id) {
            Some((_, r)) => {
                let mut raw = r.to_raw();
                merge_allowlist(raw.allowlist.get_or_insert_with(Default::default), al);
                *r = Entry::Raw(Box::new(raw));
            }
            None => errors.push(ConfigError {
                span: Some(key.span()),
                message: if file_ids.contains(&id.as_str()) {
                    format!("rule-allowlist: {id} is a file-name rule; use secrets.allowlist.paths")
                } else {
                    format!("rule-allowlist: no secret rule with id {id}")
                },
            }),
        }
    }

    let mut disabled = Vec::new();
    for d in &cfg.disable {
        let id = full_id(d.get_ref());
        let exists = raws.iter().any(|(_, r)| r.full_id() == id) || file_ids.contains(&id.as_str());
        if exists {
            disabled.push(id);
        } else {
            errors.push(ConfigError { span: Some(d.span()), message: format!("disable: no secret rule with id {id}") });
        }
    }

    let mut rules: Vec<Rule> = Vec::with_capacity(raws.len());
    rules.extend(raws.iter().filter(|(_, r)| !disabled.iter().any(|d| *d == r.full_id())).filter_map(|(origin, r)| {
        match r {
            Entry::Builtin(b) => Some(Rule::from_builtin(b)),
            // Policy and imported rules compile now; built-ins keep compiling lazily.
            Entry::Raw(r) => Rule::from_raw(r, origin, *origin != "builtin", errors),
        }
    }));
    let global = compile_allowlist(&global_raw, "secrets.allowlist", errors);
    let files = filenames::RULES.iter().filter(|f| !disabled.iter().any(|d| d == f.id)).collect();
    (errors.len() == n0).then_some((rules, global, files))
}

/// A rule on its way into the scanner: a built-in one as the binary holds it, or one the policy
/// gave, imported, or changed (a built-in with a `rule-allowlist`).
enum Entry {
    Builtin(&'static Builtin),
    Raw(Box<RawRule>),
}

impl Entry {
    fn full_id(&self) -> std::borrow::Cow<'static, str> {
        match self {
            Entry::Builtin(b) => b.id.into(),
            Entry::Raw(r) => full_id(r.id.get_ref()).into(),
        }
    }

    /// The rule as raw data, to change it.
    fn to_raw(&self) -> RawRule {
        match self {
            Entry::Builtin(b) => b.to_raw(),
            Entry::Raw(r) => (**r).clone(),
        }
    }
}

fn upsert(raws: &mut Vec<(&'static str, Entry)>, origin: &'static str, r: RawRule) {
    let id = full_id(r.id.get_ref());
    match raws.iter_mut().find(|(_, x)| x.full_id() == id) {
        Some(slot) => *slot = (origin, Entry::Raw(Box::new(r))),
        None => raws.push((origin, Entry::Raw(Box::new(r)))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::SecretScanner;
    use super::*;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Policy {
        secrets: SecretsConfig,
    }

    fn load(text: &str) -> Result<SecretScanner, Vec<ConfigError>> {
        let p: Policy =
            toml::from_str(text).map_err(|e| vec![ConfigError { span: e.span(), message: e.message().to_owned() }])?;
        SecretScanner::from_config(&p.secrets, None)
    }

    fn line_col(text: &str, pos: usize) -> (usize, usize) {
        let before = &text[..pos];
        let line = before.matches('\n').count() + 1;
        let col = pos - before.rfind('\n').map_or(0, |p| p + 1) + 1;
        (line, col)
    }

    #[test]
    fn default_config_is_builtin() {
        let s = load("[secrets]\n").unwrap();
        assert_eq!(s.rules().len(), SecretScanner::builtin().rules().len());
    }

    #[test]
    fn unknown_key_is_an_error_with_span() {
        let text = "[secrets]\nenabled = true\nbogus = 1\n";
        let errs = load(text).unwrap_err();
        let span = errs[0].span.clone().unwrap();
        assert_eq!(line_col(text, span.start).0, 3);
        assert!(errs[0].message.contains("bogus"), "{}", errs[0].message);
    }

    #[test]
    fn all_errors_are_collected_with_spans() {
        let text = r#"[secrets]
disable = ["secret/jwt", "secret/no-such-rule"]

[[secrets.rules]]
id = "bad-regex"
regex = '''(unclosed'''

[[secrets.rules]]
id = "acme-token"
regex = '''\b(acme_[a-z0-9]{32})\b'''
must-match = ["acme_0123456789abcdefghijklmnopqrstuv"]
must-not-match = ["acme_short"]

[secrets.allowlist]
paths = ["[unclosed"]

[secrets.rule-allowlist."secret/nope"]
stopwords = ["x"]
"#;
        let errs = load(text).unwrap_err();
        let msgs: Vec<String> = errs
            .iter()
            .map(|e| {
                let (l, c) = line_col(text, e.span.clone().unwrap().start);
                format!("{l}:{c} {}", e.message)
            })
            .collect();
        let all = msgs.join("\n");
        assert_eq!(errs.len(), 4, "{all}");
        assert!(all.contains("2:26 disable: no secret rule with id secret/no-such-rule"), "{all}");
        assert!(all.contains("6:9 rule secret/bad-regex: invalid regex"), "{all}");
        assert!(all.contains("15:10 secrets.allowlist: invalid path glob"), "{all}");
        assert!(all.contains("17:25 rule-allowlist: no secret rule with id secret/nope"), "{all}");
    }

    #[test]
    fn custom_rule_samples_are_checked() {
        let text = r#"[secrets]
[[secrets.rules]]
id = "acme-token"
regex = '''\b(acme_[a-z0-9]{32})\b'''
must-match = ["acme_short"]
must-not-match = ["acme_0123456789abcdefghijklmnopqrstuv"]
"#;
        let errs = load(text).unwrap_err();
        assert_eq!(errs.len(), 2);
        assert!(errs[0].message.contains("must-match sample #1 does not match"));
        assert!(errs[1].message.contains("must-not-match sample #1 matches"));
        assert_eq!(line_col(text, errs[0].span.clone().unwrap().start), (3, 6));
    }

    #[test]
    fn custom_rule_disable_and_allowlists_work() {
        let text = r#"[secrets]
disable = ["secret/jwt", "secret/file-env"]
[[secrets.rules]]
id = "acme-token"
description = "ACME token"
regex = '''\b(acme_[a-z0-9]{32})\b'''
keywords = ["acme"]
must-match = ["acme_0123456789abcdefghijklmnopqrstuv"]
[secrets.allowlist]
paths = ["**/fixtures/**"]
lines = ['''NOT-A-SECRET''']
[secrets.rule-allowlist."secret/acme-token"]
regexes = ['''^acme_0000''']
"#;
        let s = load(text).unwrap();
        let ids = s.rule_ids();
        assert!(ids.contains("secret/acme-token"));
        assert!(!ids.contains("secret/jwt"));
        assert!(!ids.contains("secret/file-env"));
        let tok = "acme_0123456789abcdefghijklmnopqrstuv";
        let f = s.scan(b"src/a.txt", format!("x = {tok}\n").as_bytes());
        assert_eq!(f.len(), 1);
        assert_eq!(&*f[0].rule_id, "secret/acme-token");
        assert!(s.scan(b"tests/fixtures/a.txt", tok.as_bytes()).is_empty());
        assert!(s.scan(b"a.txt", format!("{tok} # NOT-A-SECRET").as_bytes()).is_empty());
        assert!(s.scan(b"a.txt", b"acme_0000456789abcdefghijklmnopqrstuv").is_empty());
        assert!(s.scan_path(b".env", Some(b"A=1")).is_empty());
    }

    #[test]
    fn disabled_section_finds_nothing_but_still_validates() {
        let s = load("[secrets]\nenabled = false\n").unwrap();
        assert!(s.scan(b"a", b"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").is_empty());
        assert!(s.rules().is_empty());
        assert!(load("[secrets]\nenabled = false\ndisable = [\"secret/nope\"]\n").is_err());
    }

    #[test]
    fn custom_rule_overrides_builtin() {
        let text = r#"[secrets]
[[secrets.rules]]
id = "github-pat"
description = "my own"
regex = '''\b(ghp_[A-Za-z0-9]{36})\b'''
"#;
        let s = load(text).unwrap();
        let r: Vec<_> = s.rules().into_iter().filter(|r| &*r.id == "secret/github-pat").collect();
        assert_eq!(r.len(), 1);
        assert_eq!(&*r[0].description, "my own");
        assert_eq!(r[0].origin, "policy");
    }
}
