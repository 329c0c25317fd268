//! Import of a gitleaks configuration (`.gitleaks.toml`): `[[rules]]` with `id`, `description`,
//! `regex`, `secretGroup`, `entropy`, `keywords`, `path`, `[rules.allowlist]` /
//! `[[rules.allowlists]]`, and the top-level `[allowlist]` / `[[allowlists]]` (v8.25,
//! `targetRules`). Go RE2 syntax mostly compiles with the `regex` crate in ASCII mode; a rule
//! that does not compile is an error naming its id.
//!
//! Not honoured: allowlist `commits` (the scanner sees content, not commits: ignoring them is
//! stricter, never laxer), `[extend] useDefault`/`disabledRules` (pushgate's built-ins stay on;
//! use `disable`), `tags`. Refused with an error: `[extend] path`, `condition = "AND"` with more
//! than one kind of criterion, composite rules (`[[rules.required]]`).

use serde::Deserialize;
use toml::Spanned;

use super::rule::{RawRule, RawRuleAllowlist, build_regex, regex_error_text};

/// A problem in a gitleaks config.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GitleaksError {
    #[error("not a valid gitleaks TOML file: {0}")]
    Toml(String),
    #[error("rule {id}: {message}")]
    Rule { id: String, message: String },
    #[error("{0}")]
    Other(String),
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GlConfig {
    #[serde(default)]
    rules: Vec<GlRule>,
    #[serde(default)]
    allowlist: Option<GlAllowlist>,
    #[serde(default)]
    allowlists: Vec<GlAllowlist>,
    #[serde(default)]
    extend: Option<GlExtend>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GlExtend {
    #[serde(default)]
    path: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GlRule {
    id: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    regex: Option<String>,
    #[serde(default)]
    secret_group: Option<i64>,
    #[serde(default)]
    entropy: Option<f64>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    allowlist: Option<GlAllowlist>,
    #[serde(default)]
    allowlists: Vec<GlAllowlist>,
    #[serde(default)]
    required: Option<toml::Value>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GlAllowlist {
    #[serde(default)]
    condition: Option<String>,
    #[serde(default)]
    regex_target: Option<String>,
    #[serde(default)]
    regexes: Vec<String>,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    stopwords: Vec<String>,
    #[serde(default)]
    commits: Vec<String>,
    #[serde(default)]
    target_rules: Vec<String>,
}

/// Result of an import: the rules and the config-wide allowlist.
#[derive(Debug, Default)]
pub struct GitleaksImport {
    pub rules: Vec<RawRule>,
    pub allowlist: RawRuleAllowlist,
}

/// Import the `[[rules]]` of a gitleaks config (their own allowlists included).
pub fn import_gitleaks(text: &str) -> Result<Vec<RawRule>, Vec<GitleaksError>> {
    import_gitleaks_full(text).map(|i| i.rules)
}

fn sp(s: &str) -> Spanned<String> {
    // Imported values have no position in the policy file; errors name the rule instead.
    Spanned::new(0..0, s.to_owned())
}

fn norm_id(id: &str) -> String {
    id.trim()
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_') { c } else { '-' })
        .collect()
}

/// Convert one gitleaks allowlist, checking its regexes.
fn convert_allowlist(al: &GlAllowlist, owner: &str, errors: &mut Vec<GitleaksError>) -> RawRuleAllowlist {
    let mut out = RawRuleAllowlist::default();
    let kinds = [!al.regexes.is_empty(), !al.paths.is_empty(), !al.stopwords.is_empty()].iter().filter(|&&k| k).count();
    if al.condition.as_deref().is_some_and(|c| c.eq_ignore_ascii_case("and")) && kinds > 1 {
        errors.push(GitleaksError::Rule {
            id: owner.to_owned(),
            message: "allowlist condition = \"AND\" is not supported (pushgate allowlists are OR)".to_owned(),
        });
    }
    let target = al.regex_target.as_deref().unwrap_or("secret");
    for r in &al.regexes {
        if let Err(e) = build_regex(r) {
            errors.push(GitleaksError::Rule {
                id: owner.to_owned(),
                message: format!("allowlist regex does not compile: {}", regex_error_text(&e)),
            });
            continue;
        }
        match target {
            "secret" => out.regexes.push(sp(r)),
            // A regex on the match also matches the line holding it: slightly wider, same intent.
            "match" | "line" => out.lines.push(sp(r)),
            other => errors.push(GitleaksError::Rule {
                id: owner.to_owned(),
                message: format!("unknown allowlist regexTarget {other:?}"),
            }),
        }
    }
    for p in &al.paths {
        match build_regex(p) {
            Ok(_) => out.path_regexes.push(sp(p)),
            Err(e) => errors.push(GitleaksError::Rule {
                id: owner.to_owned(),
                message: format!("allowlist path regex does not compile: {}", regex_error_text(&e)),
            }),
        }
    }
    out.stopwords.extend(al.stopwords.iter().cloned());
    // `commits` cannot be honoured on content: ignored (stricter).
    let _ = &al.commits;
    out
}

fn merge(into: &mut RawRuleAllowlist, from: RawRuleAllowlist) {
    into.regexes.extend(from.regexes);
    into.paths.extend(from.paths);
    into.path_regexes.extend(from.path_regexes);
    into.lines.extend(from.lines);
    into.stopwords.extend(from.stopwords);
}

/// Import rules and the config-wide allowlist. All problems are returned together.
pub fn import_gitleaks_full(text: &str) -> Result<GitleaksImport, Vec<GitleaksError>> {
    let cfg: GlConfig = toml::from_str(text).map_err(|e| vec![GitleaksError::Toml(e.message().to_owned())])?;
    let mut errors = Vec::new();
    if cfg.extend.as_ref().is_some_and(|e| e.path.is_some()) {
        errors.push(GitleaksError::Other("[extend] path is not supported: merge the configs into one file".to_owned()));
    }
    let mut out = GitleaksImport::default();
    for r in &cfg.rules {
        let id = norm_id(&r.id);
        if id.is_empty() {
            errors.push(GitleaksError::Other("a rule has an empty id".to_owned()));
            continue;
        }
        if r.required.is_some() {
            errors.push(GitleaksError::Rule {
                id: id.clone(),
                message: "composite rules ([[rules.required]]) are not supported".to_owned(),
            });
        }
        if r.regex.is_none() && r.path.is_none() {
            errors.push(GitleaksError::Rule { id: id.clone(), message: "has neither regex nor path".to_owned() });
            continue;
        }
        if let Some(re) = &r.regex
            && let Err(e) = build_regex(re)
        {
            errors.push(GitleaksError::Rule {
                id: id.clone(),
                message: format!(
                    "regex does not compile in pushgate's engine (Rust regex, ASCII mode): {}",
                    regex_error_text(&e)
                ),
            });
        }
        if let Some(p) = &r.path
            && let Err(e) = build_regex(p)
        {
            errors.push(GitleaksError::Rule {
                id: id.clone(),
                message: format!("path regex does not compile: {}", regex_error_text(&e)),
            });
        }
        let secret_group = match r.secret_group {
            None | Some(0) => None,
            Some(g) => match usize::try_from(g) {
                Ok(g) => Some(g),
                Err(_) => {
                    errors.push(GitleaksError::Rule {
                        id: id.clone(),
                        message: "secretGroup must not be negative".to_owned(),
                    });
                    None
                }
            },
        };
        let mut allow = RawRuleAllowlist::default();
        for al in r.allowlist.iter().chain(r.allowlists.iter()) {
            let conv = convert_allowlist(al, &id, &mut errors);
            merge(&mut allow, conv);
        }
        let empty = allow.regexes.is_empty()
            && allow.paths.is_empty()
            && allow.path_regexes.is_empty()
            && allow.lines.is_empty()
            && allow.stopwords.is_empty();
        out.rules.push(RawRule {
            id: sp(&id),
            description: r.description.clone(),
            regex: r.regex.as_deref().map(sp),
            path: r.path.as_deref().map(sp),
            secret_group,
            entropy: r.entropy,
            keywords: r.keywords.clone(),
            allowlist: (!empty).then_some(allow),
            ..RawRule::new(sp(&id))
        });
    }
    for al in cfg.allowlist.iter().chain(cfg.allowlists.iter()) {
        if al.target_rules.is_empty() {
            let conv = convert_allowlist(al, "[allowlist]", &mut errors);
            merge(&mut out.allowlist, conv);
            continue;
        }
        for t in &al.target_rules {
            let tid = norm_id(t);
            let conv = convert_allowlist(al, &tid, &mut errors);
            match out.rules.iter_mut().find(|r| r.id.get_ref() == &tid) {
                Some(r) => merge(r.allowlist.get_or_insert_with(Default::default), conv),
                None => errors.push(GitleaksError::Rule {
                    id: tid,
                    message: "targetRules names a rule that this config does not define".to_owned(),
                }),
            }
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::{SecretScanner, SecretsConfig};
    use super::*;

    const GL: &str = r#"
title = "team gitleaks config"

[extend]
useDefault = true

[allowlist]
description = "global"
paths = ['''(^|/)vendor/''']
regexes = ['''EXAMPLE''']

[[rules]]
id = "acme-api-key"
description = "ACME API key"
regex = '''(?i)acme[_-]?key\s*[:=]\s*["']?([a-z0-9]{32})["']?'''
secretGroup = 1
entropy = 3.0
keywords = ["acme"]
tags = ["key", "acme"]

  [[rules.allowlists]]
  regexTarget = "line"
  regexes = ['''acme_key\s*=\s*["']?0{32}''']
  stopwords = ["deadbeef"]

[[rules]]
id = "internal-host-dump"
description = "Dump files"
path = '''\.sqldump$'''

[[allowlists]]
targetRules = ["acme-api-key"]
paths = ['''^docs/''']
"#;

    #[test]
    fn imports_rules_and_allowlists() {
        let imp = import_gitleaks_full(GL).unwrap();
        assert_eq!(imp.rules.len(), 2);
        let r = &imp.rules[0];
        assert_eq!(r.id.get_ref(), "acme-api-key");
        assert_eq!(r.secret_group, Some(1));
        assert_eq!(r.keywords, vec!["acme".to_owned()]);
        let al = r.allowlist.as_ref().unwrap();
        assert_eq!(al.lines.len(), 1);
        assert_eq!(al.path_regexes.len(), 1);
        assert_eq!(al.stopwords, vec!["deadbeef".to_owned()]);
        assert_eq!(imp.allowlist.path_regexes.len(), 1);
        assert_eq!(imp.allowlist.regexes.len(), 1);
    }

    #[test]
    fn imported_rules_scan() {
        let cfg = SecretsConfig::default();
        let s = SecretScanner::from_config(&cfg, Some(GL)).unwrap();
        let key = "q8w7e6r5t4y3u2i1o9p8a7s6d5f4g3h2";
        let text = format!("# config\nacme_key = \"{key}\"\n");
        let f = s.scan(b"src/settings.py", text.as_bytes());
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(&*f[0].rule_id, "secret/acme-api-key");
        assert_eq!(f[0].line, 2);
        assert_eq!(&text.as_bytes()[f[0].secret.clone()], key.as_bytes());
        // rule allowlist (targetRules path) and global path allowlist
        assert!(s.scan(b"docs/a.md", text.as_bytes()).is_empty());
        assert!(s.scan(b"x/vendor/a.py", text.as_bytes()).is_empty());
        // line allowlist
        let zeros = format!("acme_key = \"{}\"", "0".repeat(32));
        assert!(s.scan(b"a.py", zeros.as_bytes()).is_empty());
        // path-only rule
        let p = s.scan_path(b"backup/prod.sqldump", None);
        assert_eq!(p.len(), 1);
        assert_eq!(&*p[0].rule_id, "secret/internal-host-dump");
        // built-ins still on
        assert!(s.rules().iter().any(|r| &*r.id == "secret/github-pat"));
    }

    #[test]
    fn unsupported_constructs_name_the_rule() {
        let bad = r#"
[[rules]]
id = "lookahead"
regex = '''foo(?=bar)'''

[[rules]]
id = "unicode-class"
regex = '''\p{Greek}+'''

[[rules]]
id = "composite"
regex = '''x'''
[[rules.required]]
id = "other"

[[rules]]
id = "and-allowlist"
regex = '''y'''
[rules.allowlist]
condition = "AND"
regexes = ['''a''']
paths = ['''b''']
"#;
        let errs = import_gitleaks(bad).unwrap_err();
        let text: Vec<String> = errs.iter().map(ToString::to_string).collect();
        let all = text.join("\n");
        assert!(all.contains("rule lookahead: regex does not compile"), "{all}");
        assert!(all.contains("rule unicode-class: regex does not compile"), "{all}");
        assert!(all.contains("rule composite: composite rules"), "{all}");
        assert!(all.contains("rule and-allowlist: allowlist condition"), "{all}");
        assert!(matches!(import_gitleaks("[[rules]"), Err(e) if matches!(e[0], GitleaksError::Toml(_))));
    }
}
