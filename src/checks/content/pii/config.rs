//! The `[pii]` table of policy.toml: the raw serde struct (unknown keys are errors) and its
//! validation into the settings a [`super::PiiScanner`] runs with. Validation collects every
//! problem, each with the byte span of the offending value when there is one.
//!
//! ```toml
//! [pii]
//! enabled = true
//! payment-card = "block"      # one key per detector: "block" | "warn" | "off"
//! us-ssn = "warn"
//! email = "off"
//! dump-threshold = 10         # distinct PII values in one buffer that escalate warn → block
//! context-window = 40         # bytes before a value searched for context words
//! allow-paths-all = ["tests/fixtures/**"]
//! [pii.allow-paths]
//! br-cpf = ["seeds/*.sql"]
//! ```

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use std::ops::Range;
use toml::Spanned;

/// What a detector does when it finds something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Block,
    Warn,
    Off,
}

/// `[pii]` as written in the policy.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PiiConfig {
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub payment_card: Option<Level>,
    #[serde(default)]
    pub iban: Option<Level>,
    #[serde(default)]
    pub uk_nhs_number: Option<Level>,
    #[serde(default)]
    pub uk_nino: Option<Level>,
    #[serde(default)]
    pub br_cpf: Option<Level>,
    #[serde(default)]
    pub br_cnpj: Option<Level>,
    #[serde(default)]
    pub br_pix: Option<Level>,
    #[serde(default)]
    pub us_ssn: Option<Level>,
    #[serde(default)]
    pub email: Option<Level>,
    #[serde(default)]
    pub phone: Option<Level>,
    /// Distinct PII values in one buffer from which warn findings become block (a data dump).
    #[serde(default)]
    pub dump_threshold: Option<Spanned<i64>>,
    /// Bytes before a value (same line) searched for context words.
    #[serde(default)]
    pub context_window: Option<Spanned<i64>>,
    /// Per-detector path globs whose files that detector does not scan (fixtures).
    #[serde(default)]
    pub allow_paths: AllowPaths,
    /// Path globs no PII detector scans.
    #[serde(default)]
    pub allow_paths_all: Vec<Spanned<String>>,
}

/// `[pii.allow-paths]`: one list of globs per detector name.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AllowPaths {
    #[serde(default)]
    pub payment_card: Vec<Spanned<String>>,
    #[serde(default)]
    pub iban: Vec<Spanned<String>>,
    #[serde(default)]
    pub uk_nhs_number: Vec<Spanned<String>>,
    #[serde(default)]
    pub uk_nino: Vec<Spanned<String>>,
    #[serde(default)]
    pub br_cpf: Vec<Spanned<String>>,
    #[serde(default)]
    pub br_cnpj: Vec<Spanned<String>>,
    #[serde(default)]
    pub br_pix: Vec<Spanned<String>>,
    #[serde(default)]
    pub us_ssn: Vec<Spanned<String>>,
    #[serde(default)]
    pub email: Vec<Spanned<String>>,
    #[serde(default)]
    pub phone: Vec<Spanned<String>>,
}

fn yes() -> bool {
    true
}

impl Default for PiiConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            payment_card: None,
            iban: None,
            uk_nhs_number: None,
            uk_nino: None,
            br_cpf: None,
            br_cnpj: None,
            br_pix: None,
            us_ssn: None,
            email: None,
            phone: None,
            dump_threshold: None,
            context_window: None,
            allow_paths: AllowPaths::default(),
            allow_paths_all: Vec::new(),
        }
    }
}

/// One problem in the `[pii]` table; `span` is a byte range into the parsed document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ConfigError {
    pub span: Option<Range<usize>>,
    pub message: String,
}

pub(crate) const DEFAULT_DUMP_THRESHOLD: usize = 10;
pub(crate) const DEFAULT_CONTEXT_WINDOW: usize = 40;
const MAX_CONTEXT_WINDOW: i64 = 1000;

impl PiiConfig {
    /// Parse a `[pii]` table on its own (tests, `pushgate policy check` of a fragment).
    pub fn from_toml(s: &str) -> Result<Self, ConfigError> {
        toml::from_str(s).map_err(|e| ConfigError { span: e.span(), message: e.message().to_string() })
    }

    /// Level per detector config name (`None` when not set: use the default).
    pub(crate) fn level(&self, name: &str) -> Option<Level> {
        match name {
            "payment-card" => self.payment_card,
            "iban" => self.iban,
            "uk-nhs-number" => self.uk_nhs_number,
            "uk-nino" => self.uk_nino,
            "br-cpf" => self.br_cpf,
            "br-cnpj" => self.br_cnpj,
            "br-pix" => self.br_pix,
            "us-ssn" => self.us_ssn,
            "email" => self.email,
            "phone" => self.phone,
            _ => None,
        }
    }

    pub(crate) fn allow_globs(&self, name: &str) -> &[Spanned<String>] {
        let a = &self.allow_paths;
        match name {
            "payment-card" => &a.payment_card,
            "iban" => &a.iban,
            "uk-nhs-number" => &a.uk_nhs_number,
            "uk-nino" => &a.uk_nino,
            "br-cpf" => &a.br_cpf,
            "br-cnpj" => &a.br_cnpj,
            "br-pix" => &a.br_pix,
            "us-ssn" => &a.us_ssn,
            "email" => &a.email,
            "phone" => &a.phone,
            _ => &[],
        }
    }

    pub(crate) fn dump_threshold_checked(&self, errs: &mut Vec<ConfigError>) -> usize {
        match &self.dump_threshold {
            None => DEFAULT_DUMP_THRESHOLD,
            Some(v) => match usize::try_from(*v.get_ref()) {
                Ok(n) if n >= 2 => n,
                _ => {
                    errs.push(ConfigError {
                        span: Some(v.span()),
                        message: format!("pii.dump-threshold must be an integer of at least 2, got {}", v.get_ref()),
                    });
                    DEFAULT_DUMP_THRESHOLD
                }
            },
        }
    }

    pub(crate) fn context_window_checked(&self, errs: &mut Vec<ConfigError>) -> usize {
        match &self.context_window {
            None => DEFAULT_CONTEXT_WINDOW,
            Some(v) if (0..=MAX_CONTEXT_WINDOW).contains(v.get_ref()) => {
                usize::try_from(*v.get_ref()).unwrap_or(DEFAULT_CONTEXT_WINDOW)
            }
            Some(v) => {
                errs.push(ConfigError {
                    span: Some(v.span()),
                    message: format!(
                        "pii.context-window must be between 0 and {MAX_CONTEXT_WINDOW} bytes, got {}",
                        v.get_ref()
                    ),
                });
                DEFAULT_CONTEXT_WINDOW
            }
        }
    }
}

/// Compile path globs. A glob without `/` matches the file name in any directory
/// (`*.csv`), like `.gitignore`; `*` never crosses `/`, `**` does.
pub(crate) fn compile_globs(globs: &[Spanned<String>], key: &str, errs: &mut Vec<ConfigError>) -> Option<GlobSet> {
    if globs.is_empty() {
        return None;
    }
    let mut b = GlobSetBuilder::new();
    for g in globs {
        let raw = g.get_ref().trim_start_matches("./");
        let pat = if raw.contains('/') { raw.to_string() } else { format!("**/{raw}") };
        if raw.is_empty() {
            errs.push(ConfigError { span: Some(g.span()), message: format!("{key}: empty glob") });
            continue;
        }
        match GlobBuilder::new(&pat).literal_separator(true).build() {
            Ok(glob) => {
                b.add(glob);
            }
            Err(e) => errs.push(ConfigError {
                span: Some(g.span()),
                message: format!("{key}: invalid glob {:?}: {}", g.get_ref(), e.kind()),
            }),
        }
    }
    b.build().ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::PiiScanner;
    use super::*;

    #[test]
    fn parses_all_keys() {
        let src = r#"
enabled = true
payment-card = "block"
iban = "warn"
uk-nhs-number = "block"
uk-nino = "off"
br-cpf = "block"
br-cnpj = "warn"
br-pix = "block"
us-ssn = "warn"
email = "off"
phone = "warn"
dump-threshold = 5
context-window = 60
allow-paths-all = ["tests/fixtures/**"]
[allow-paths]
br-cpf = ["seeds/*.sql", "*.csv"]
"#;
        let cfg = PiiConfig::from_toml(src).unwrap();
        assert_eq!(cfg.uk_nino, Some(Level::Off));
        assert_eq!(cfg.allow_paths.br_cpf.len(), 2);
        assert!(PiiScanner::from_config(&cfg).is_ok());
    }

    #[test]
    fn unknown_keys_and_values_are_errors() {
        let e = PiiConfig::from_toml("credit-card = \"block\"").unwrap_err();
        assert!(e.message.contains("unknown field"), "{}", e.message);
        assert!(e.span.is_some());
        let e = PiiConfig::from_toml("email = \"maybe\"").unwrap_err();
        assert!(e.span.is_some());
        let e = PiiConfig::from_toml("[allow-paths]\ncredit-card = []").unwrap_err();
        assert!(e.message.contains("unknown field"), "{}", e.message);
    }

    #[test]
    fn validation_collects_every_error_with_spans() {
        let src =
            "dump-threshold = 0\ncontext-window = 99999\nallow-paths-all = [\"a[\"]\n[allow-paths]\nemail = [\"{x\"]\n";
        let cfg = PiiConfig::from_toml(src).unwrap();
        let errs = PiiScanner::from_config(&cfg).err().unwrap();
        assert_eq!(errs.len(), 4, "{errs:?}");
        for e in &errs {
            let span = e.span.clone().unwrap();
            assert!(span.end <= src.len() && span.start < span.end);
        }
        let dump = errs.iter().find(|e| e.message.contains("dump-threshold")).unwrap();
        assert_eq!(&src[dump.span.clone().unwrap()], "0");
    }

    #[test]
    fn defaults() {
        let cfg = PiiConfig::from_toml("").unwrap();
        assert!(cfg.enabled);
        assert!(PiiScanner::from_config(&cfg).is_ok());
    }
}
