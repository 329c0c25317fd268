//! The rule data format shared by built-in rule files, `[[secrets.rules]]` in the policy and
//! imported gitleaks rules, and its compilation into a [`Rule`] the engine runs.
//!
//! Regexes are always compiled in ASCII mode (`unicode(false)`, `regex::bytes`): Unicode `\w`/`\b`
//! make the combined rule set ~30× slower and 100× slower to compile (research/crates.md §4).

use std::ops::Range;
use std::sync::OnceLock;

use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::bytes::{Regex, RegexBuilder};
use serde::Deserialize;
use toml::Spanned;

use super::Text;
use super::builtin::Builtin;
use super::config::ConfigError;
use super::validators::Validator;

/// Byte budget for one compiled rule regex (NFA) and for its lazy DFA cache.
pub(super) const RULE_SIZE_LIMIT: usize = 8 << 20;
pub(super) const RULE_DFA_LIMIT: usize = 4 << 20;

/// One rule as written in TOML (`[[rule]]` in `rules/secrets/*.toml`, `[[secrets.rules]]` in policy).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawRule {
    /// Short id; the full id is `secret/<id>` (a leading `secret/` is accepted too).
    pub id: Spanned<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// Content regex (ASCII mode). The secret is the named group `secret`, else `secret-group`,
    /// else the first group that took part in the match, else the whole match.
    #[serde(default)]
    pub regex: Option<Spanned<String>>,
    /// Regex on the path: alone it makes a file-name rule, with `regex` it limits the rule to paths.
    #[serde(default)]
    pub path: Option<Spanned<String>>,
    #[serde(default)]
    pub secret_group: Option<usize>,
    /// Minimum Shannon entropy (bits per byte) of the secret.
    #[serde(default)]
    pub entropy: Option<f64>,
    /// The rule only applies when one of these occurs (case-insensitive) on the match's line(s).
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Named validator implemented in Rust (`github-crc32`, `jwt`, `not-all-hex`, `bech32`).
    #[serde(default)]
    pub validate: Option<Spanned<String>>,
    #[serde(default)]
    pub help: Option<String>,
    /// A heuristic rule (assignment-style): it yields to specific rules on the same secret and
    /// gets the placeholder and look-alike filters for free-form values.
    #[serde(default)]
    pub generic: bool,
    #[serde(default)]
    pub must_match: Vec<String>,
    #[serde(default)]
    pub must_not_match: Vec<String>,
    #[serde(default)]
    pub allowlist: Option<RawRuleAllowlist>,
}

impl RawRule {
    /// A rule with only an id (other fields empty), for building rules in code.
    pub fn new(id: Spanned<String>) -> Self {
        RawRule {
            id,
            description: None,
            regex: None,
            path: None,
            secret_group: None,
            entropy: None,
            keywords: Vec::new(),
            validate: None,
            help: None,
            generic: false,
            must_match: Vec::new(),
            must_not_match: Vec::new(),
            allowlist: None,
        }
    }
}

/// `[rule.allowlist]` (same keys as the global `[secrets.allowlist]`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawRuleAllowlist {
    /// Regexes tested on the secret.
    #[serde(default)]
    pub regexes: Vec<Spanned<String>>,
    /// Globs on the path.
    #[serde(default)]
    pub paths: Vec<Spanned<String>>,
    /// Regexes on the path (gitleaks' allowlist `paths` are regexes; they land here).
    #[serde(default)]
    pub path_regexes: Vec<Spanned<String>>,
    /// Regexes tested on the whole line(s) of the match.
    #[serde(default)]
    pub lines: Vec<Spanned<String>>,
    /// Case-insensitive substrings of the secret.
    #[serde(default)]
    pub stopwords: Vec<String>,
}

/// A rule file: `[[rule]]` tables (the built-in files; tests and the table generator read them).
#[cfg(test)]
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RuleFile {
    pub rule: Vec<RawRule>,
}

/// Compiled allowlist (rule-level or global).
#[derive(Debug, Default)]
pub(super) struct Allowlist {
    pub regexes: Vec<Regex>,
    pub paths: Option<GlobSet>,
    pub path_regexes: Vec<Regex>,
    pub lines: Vec<Regex>,
    /// Lowercased.
    pub stopwords: Vec<Vec<u8>>,
}

impl Allowlist {
    pub fn path_allowed(&self, path: &[u8]) -> bool {
        self.paths.as_ref().is_some_and(|g| g.is_match_candidate(&globset::Candidate::from_bytes(path)))
            || self.path_regexes.iter().any(|r| r.is_match(path))
    }

    pub fn secret_allowed(&self, secret: &[u8], lines: &[u8]) -> bool {
        if self.regexes.iter().any(|r| r.is_match(secret)) {
            return true;
        }
        if self.lines.iter().any(|r| r.is_match(lines)) {
            return true;
        }
        if !self.stopwords.is_empty() {
            let lower = secret.to_ascii_lowercase();
            if self.stopwords.iter().any(|w| !w.is_empty() && contains(&lower, w)) {
                return true;
            }
        }
        false
    }
}

/// Substring test on bytes.
pub(super) fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

/// Build a regex in ASCII mode with explicit limits.
pub(super) fn build_regex(src: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(src).unicode(false).size_limit(RULE_SIZE_LIMIT).dfa_size_limit(RULE_DFA_LIMIT).build()
}

fn err(span: Option<Range<usize>>, message: String) -> ConfigError {
    ConfigError { span, message }
}

/// Short form of a regex error: its last line, without echoing the pattern (which may hold a secret).
pub(super) fn regex_error_text(e: &regex::Error) -> String {
    match e {
        regex::Error::CompiledTooBig(n) => format!("regex too big once compiled (limit {n} bytes)"),
        other => {
            let text = other.to_string();
            text.lines()
                .rev()
                .find(|l| l.trim_start().starts_with("error:"))
                .map_or(text.clone(), |l| l.trim().to_owned())
        }
    }
}

pub(super) fn compile_allowlist(raw: &RawRuleAllowlist, what: &str, errors: &mut Vec<ConfigError>) -> Allowlist {
    let mut out = Allowlist::default();
    for r in &raw.regexes {
        match build_regex(r.get_ref()) {
            Ok(re) => out.regexes.push(re),
            Err(e) => {
                errors.push(err(Some(r.span()), format!("{what}: invalid allowlist regex: {}", regex_error_text(&e))))
            }
        }
    }
    for r in &raw.path_regexes {
        match build_regex(r.get_ref()) {
            Ok(re) => out.path_regexes.push(re),
            Err(e) => errors.push(err(Some(r.span()), format!("{what}: invalid path regex: {}", regex_error_text(&e)))),
        }
    }
    for r in &raw.lines {
        match build_regex(r.get_ref()) {
            Ok(re) => out.lines.push(re),
            Err(e) => errors
                .push(err(Some(r.span()), format!("{what}: invalid allowlist line regex: {}", regex_error_text(&e)))),
        }
    }
    if !raw.paths.is_empty() {
        let mut b = GlobSetBuilder::new();
        for p in &raw.paths {
            match Glob::new(p.get_ref()) {
                Ok(g) => {
                    b.add(g);
                }
                Err(e) => errors
                    .push(err(Some(p.span()), format!("{what}: invalid path glob {:?}: {}", p.get_ref(), e.kind()))),
            }
        }
        match b.build() {
            Ok(set) => out.paths = Some(set),
            Err(e) => errors.push(err(None, format!("{what}: invalid path globs: {e}"))),
        }
    }
    out.stopwords = raw.stopwords.iter().map(|s| s.as_bytes().to_ascii_lowercase()).collect();
    out
}

/// Which capture group holds the secret.
#[derive(Debug, Clone, Copy)]
pub(super) enum SecretGroup {
    Index(usize),
    /// First group that participated in the match (lets alternations each capture the secret).
    FirstParticipating,
    Whole,
}

/// The part of a rule compiled only when the combined rule set says the rule hit a buffer.
#[derive(Debug)]
pub(super) struct Compiled {
    pub regex: Regex,
    pub group: SecretGroup,
    pub allow: Allowlist,
}

/// A rule ready for the engine.
#[derive(Debug)]
pub(super) struct Rule {
    pub id: Text,
    pub description: Text,
    pub help: Option<Text>,
    pub origin: &'static str,
    /// Content regex source (None: path-only rule).
    pub pattern: Option<Text>,
    pub path: Option<Regex>,
    pub secret_group: Option<usize>,
    pub entropy: Option<f64>,
    /// Lowercased.
    pub keywords: Vec<Vec<u8>>,
    pub validator: Option<Validator>,
    pub generic: bool,
    pub raw_allowlist: Option<Box<RawRuleAllowlist>>,
    /// Boxed, like `raw_allowlist`: most rules never compile in a run, and a small `Rule` keeps
    /// building the ≈ 140 of them cheap (≈ 100 bytes each instead of ≈ 500).
    compiled: OnceLock<Option<Box<Compiled>>>,
}

/// `github-pat` or `secret/github-pat` → `secret/github-pat`.
pub(super) fn full_id(id: &str) -> String {
    if id.starts_with("secret/") { id.to_owned() } else { format!("secret/{id}") }
}

fn valid_short_id(id: &str) -> bool {
    let short = id.strip_prefix("secret/").unwrap_or(id);
    !short.is_empty()
        && short.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.' || b == b'_')
}

impl Rule {
    /// Check a raw rule and turn it into a [`Rule`]. With `eager`, the content regex and the
    /// allowlist are compiled now (policy rules: errors must surface at load time); built-ins
    /// compile lazily on their first hit.
    pub fn from_raw(raw: &RawRule, origin: &'static str, eager: bool, errors: &mut Vec<ConfigError>) -> Option<Rule> {
        let n_before = errors.len();
        let id = raw.id.get_ref();
        if !valid_short_id(id) {
            errors.push(err(
                Some(raw.id.span()),
                format!("rule id {id:?} must be lowercase letters, digits, '-', '.' or '_'"),
            ));
        }
        let fid = full_id(id);
        if raw.regex.is_none() && raw.path.is_none() {
            errors.push(err(Some(raw.id.span()), format!("rule {fid}: needs `regex`, `path` or both")));
        }
        if let Some(e) = raw.entropy
            && !(0.0..=8.0).contains(&e)
        {
            errors
                .push(err(Some(raw.id.span()), format!("rule {fid}: entropy must be between 0 and 8 (bits per byte)")));
        }
        let validator = match &raw.validate {
            None => None,
            Some(v) => match Validator::from_name(v.get_ref()) {
                Some(v) => Some(v),
                None => {
                    errors.push(err(
                        Some(v.span()),
                        format!(
                            "rule {fid}: unknown validator {:?} (known: {})",
                            v.get_ref(),
                            Validator::NAMES.join(", ")
                        ),
                    ));
                    None
                }
            },
        };
        let path = match &raw.path {
            None => None,
            Some(p) => match build_regex(p.get_ref()) {
                Ok(r) => Some(r),
                Err(e) => {
                    errors
                        .push(err(Some(p.span()), format!("rule {fid}: invalid path regex: {}", regex_error_text(&e))));
                    None
                }
            },
        };
        let rule = Rule {
            description: Text::Owned(raw.description.clone().unwrap_or_else(|| fid.clone())),
            id: Text::Owned(fid.clone()),
            help: raw.help.clone().map(Text::Owned),
            origin,
            pattern: raw.regex.as_ref().map(|r| Text::Owned(r.get_ref().clone())),
            path,
            secret_group: raw.secret_group,
            entropy: raw.entropy,
            keywords: raw
                .keywords
                .iter()
                .map(|k| k.as_bytes().to_ascii_lowercase())
                .filter(|k| !k.is_empty())
                .collect(),
            validator,
            generic: raw.generic,
            raw_allowlist: raw.allowlist.clone().map(Box::new),
            compiled: OnceLock::new(),
        };
        if eager {
            if let Some(re) = &raw.regex {
                match rule.try_compile() {
                    Ok(c) => {
                        if let Some(g) = raw.secret_group
                            && g >= c.regex.captures_len()
                        {
                            errors.push(err(
                                Some(re.span()),
                                format!(
                                    "rule {fid}: secret-group {g} but the regex has {} group(s)",
                                    c.regex.captures_len() - 1
                                ),
                            ));
                        }
                        let _ = rule.compiled.set(Some(Box::new(c)));
                    }
                    Err(msgs) => {
                        for (span_of_regex, m) in msgs {
                            let span = if span_of_regex { Some(re.span()) } else { None };
                            errors.push(err(span, format!("rule {fid}: {m}")));
                        }
                    }
                }
            }
            if let Some(al) = &raw.allowlist {
                let _ = compile_allowlist(al, &format!("rule {fid}"), errors);
            }
        }
        (errors.len() == n_before).then_some(rule)
    }

    /// A built-in rule: its text borrowed from the binary, nothing checked (the tests check every
    /// built-in), the regex compiled on the rule's first hit.
    pub fn from_builtin(b: &'static Builtin) -> Rule {
        Rule {
            id: Text::Borrowed(b.id),
            description: Text::Borrowed(b.description),
            help: b.help.map(Text::Borrowed),
            origin: "builtin",
            pattern: Some(Text::Borrowed(b.regex)),
            path: None,
            secret_group: b.secret_group,
            entropy: b.entropy,
            keywords: Vec::new(),
            validator: b.validator,
            generic: b.generic,
            raw_allowlist: None,
            compiled: OnceLock::new(),
        }
    }

    /// Compile regex and allowlist. Errors: (is-about-the-regex, message).
    fn try_compile(&self) -> Result<Compiled, Vec<(bool, String)>> {
        let Some(src) = &self.pattern else {
            return Err(vec![(false, "no content regex".to_owned())]);
        };
        let regex = build_regex(src).map_err(|e| vec![(true, format!("invalid regex: {}", regex_error_text(&e)))])?;
        let group = match self.secret_group {
            Some(g) => SecretGroup::Index(g),
            None => match regex.capture_names().position(|n| n == Some("secret")) {
                Some(i) => SecretGroup::Index(i),
                None if regex.captures_len() > 1 => SecretGroup::FirstParticipating,
                None => SecretGroup::Whole,
            },
        };
        let mut errs = Vec::new();
        let allow = match self.raw_allowlist.as_deref() {
            Some(al) => compile_allowlist(al, "allowlist", &mut errs),
            None => Allowlist::default(),
        };
        if !errs.is_empty() {
            return Err(errs.into_iter().map(|e| (false, e.message)).collect());
        }
        Ok(Compiled { regex, group, allow })
    }

    /// The compiled form, built on first use. `None` only if the rule cannot compile, which the
    /// built-in test and policy validation rule out; the engine then treats the rule as silent.
    pub fn compiled(&self) -> Option<&Compiled> {
        self.compiled.get_or_init(|| self.try_compile().ok().map(Box::new)).as_deref()
    }
}

/// Parse one rule file's text.
#[cfg(test)]
pub(super) fn parse_rule_file(text: &str) -> Result<Vec<RawRule>, toml::de::Error> {
    toml::from_str::<RuleFile>(text).map(|f| f.rule)
}
