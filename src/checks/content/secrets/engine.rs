//! The scanner: all enabled rules compiled into ONE multi-pattern regex (`set.rs`; ASCII mode; each
//! pattern loosened and trimmed at the front, see `content::pattern::set_form`) that says which rules may hit
//! a buffer, then, for those rules only, a per-rule `Regex` (compiled on
//! first hit, kept in a `OnceLock`) for positions and the secret group, followed by entropy,
//! keyword, validator, placeholder, look-alike, allowlist and inline-marker filters.

use std::sync::OnceLock;

use regex::bytes::Captures;

use super::Text;
use super::builtin;
use super::config::{ConfigError, SecretsConfig};
use super::filenames::{self, FileRule};
use super::filters;
use super::gate::{Gate, GateIndex};
use super::rule::{Allowlist, Rule, SecretGroup, contains, full_id};
use super::set::RuleSet;
use super::{RuleInfo, SecretMatch};
use crate::checks::content::pattern::set_form;

/// Findings one rule may report in one buffer: bounds work on hostile input.
const MAX_FINDINGS_PER_RULE: usize = 256;
/// Inline markers that suppress a finding on their line.
const ALLOW_MARKERS: &[&[u8]] = &[b"pushgate:allow", b"gitleaks:allow"];

/// How a scan pre-selects the rules that may hit a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// One pass of the combined rule set (built once per process, a few ms): for big pushes.
    Set,
    /// Each rule's required literals (see `gate.rs`), searched for one rule at a time, and only
    /// the rules that pass compile their regex: for a few KB, where building even the
    /// literals' automaton would cost more than the scan.
    Gated,
    /// The same literals, all found in one Aho-Corasick pass: for pushes up to a few MB, where
    /// the set's lazy DFA would still be under construction.
    Indexed,
}

/// A compiled, immutable set of secret rules. `Send + Sync`: share one across threads.
#[derive(Debug)]
pub struct SecretScanner {
    rules: Vec<Rule>,
    /// The set of the loosened patterns, built on first use: a push small enough to be scanned
    /// gated (see `content::GATED_SCAN_BYTES`) never builds it.
    set: OnceLock<Option<RuleSet>>,
    /// `set` pattern index → index in `rules`.
    set_rules: Vec<usize>,
    /// Per rule with a pattern (same order as `set_rules`): its gate for [`Strategy::Gated`]
    /// scans, derived on first use.
    gates: OnceLock<Vec<Option<Gate>>>,
    /// All gates in one automaton, built on first use.
    gate_index: OnceLock<GateIndex>,
    global: Allowlist,
    files: Vec<&'static FileRule>,
}

/// Newline positions of a buffer, built once when the first candidate needs a line number.
struct Lines<'a> {
    text: &'a [u8],
    nl: Option<Vec<usize>>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a [u8]) -> Self {
        Lines { text, nl: None }
    }
    fn nl(&mut self) -> &[usize] {
        let text = self.text;
        self.nl.get_or_insert_with(|| text.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i).collect())
    }
    /// 1-based line number of byte `pos`.
    fn line_of(&mut self, pos: usize) -> u32 {
        let n = self.nl().partition_point(|&p| p < pos);
        u32::try_from(n + 1).unwrap_or(u32::MAX)
    }
    /// The full lines covering `start..end` (without the final newline).
    fn span(&self, start: usize, end: usize) -> std::ops::Range<usize> {
        let s = self.text[..start].iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
        let e = self.text[end.max(start)..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(self.text.len(), |p| end.max(start) + p);
        s..e
    }
}

impl SecretScanner {
    /// The built-in rules and file-name checks, no policy.
    pub fn builtin() -> Self {
        let rules = builtin::rules();
        let files = filenames::RULES.iter().collect();
        Self::assemble(rules, Allowlist::default(), files)
            .expect("BUG: built-in rules form a valid rule set because test builtin_rules_compile checks it")
    }

    /// Built-ins adjusted by the policy's `[secrets]` table (and an imported gitleaks config).
    /// Returns every problem found, each with a byte span in the policy file when there is one.
    pub fn from_config(cfg: &SecretsConfig, gitleaks_text: Option<&str>) -> Result<Self, Vec<ConfigError>> {
        let custom = !cfg.rules.is_empty() || gitleaks_text.is_some();
        let mut errors = Vec::new();
        if !cfg.enabled {
            // Still validate, so a typo is not hidden until someone enables the check.
            let _ = super::config::build_parts(cfg, gitleaks_text, &mut errors);
            if !errors.is_empty() {
                return Err(errors);
            }
            return Ok(Self::empty());
        }
        let parts = super::config::build_parts(cfg, gitleaks_text, &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        let Some((rules, global, files)) = parts else {
            return Err(errors);
        };
        let scanner = match Self::assemble(rules, global, files).map_err(|e| e.to_string()).and_then(|s| {
            // Built-in rules (or a subset of them) are known to compile together; custom ones are
            // proven now, so that a bad policy is refused at load and not at the first push.
            if custom {
                s.try_set()?;
            }
            Ok(s)
        }) {
            Ok(s) => s,
            Err(e) => {
                return Err(vec![ConfigError {
                    span: None,
                    message: format!("secret rules do not compile together: {e}"),
                }]);
            }
        };
        // Samples of policy rules are checked now, so a rule that cannot fire is refused.
        scanner.check_custom_samples(cfg, &mut errors);
        if errors.is_empty() { Ok(scanner) } else { Err(errors) }
    }

    /// A scanner that finds nothing (`enabled = false`).
    pub fn empty() -> Self {
        SecretScanner {
            rules: Vec::new(),
            set: OnceLock::new(),
            set_rules: Vec::new(),
            gates: OnceLock::new(),
            gate_index: OnceLock::new(),
            global: Allowlist::default(),
            files: Vec::new(),
        }
    }

    pub(super) fn assemble(
        rules: Vec<Rule>,
        global: Allowlist,
        files: Vec<&'static FileRule>,
    ) -> Result<Self, regex::Error> {
        let set_rules = rules.iter().enumerate().filter(|(_, r)| r.pattern.is_some()).map(|(i, _)| i).collect();
        Ok(SecretScanner {
            rules,
            set: OnceLock::new(),
            set_rules,
            gates: OnceLock::new(),
            gate_index: OnceLock::new(),
            global,
            files,
        })
    }

    fn build_set(&self) -> Result<Option<RuleSet>, String> {
        // The set only pre-selects rules: a looser pattern compiles several times faster, and one
        // trimmed at the front searches faster (see `set_form`).
        let patterns: Vec<String> =
            self.set_rules.iter().filter_map(|&ri| self.rules.get(ri)?.pattern.as_deref().map(set_form)).collect();
        if patterns.is_empty() {
            return Ok(None);
        }
        RuleSet::new(&patterns).map(Some)
    }

    /// Build the set now, reporting a failure (used to validate custom rules at load).
    fn try_set(&self) -> Result<(), String> {
        if self.set.get().is_none() {
            let set = self.build_set()?;
            let _ = self.set.set(set);
        }
        Ok(())
    }

    /// The rule set, built on first use.
    fn set(&self) -> Option<&RuleSet> {
        self.set
            .get_or_init(|| {
                self.build_set().expect(
                    "BUG: the set compiles because built-in rules are tested together (builtin_rules_compile) and \
                     custom ones are compiled when the policy loads",
                )
            })
            .as_ref()
    }

    /// Is the combined rule set built already (so that [`Strategy::Set`] costs nothing more)?
    pub fn set_is_built(&self) -> bool {
        self.set.get().is_some()
    }

    /// Each set rule's gate: its keywords when it has some (a finding needs one on its line),
    /// else the literals every match of its regex contains.
    fn gates(&self) -> &[Option<Gate>] {
        self.gates.get_or_init(|| {
            self.set_rules
                .iter()
                .map(|&ri| {
                    let rule = self.rules.get(ri)?;
                    if !rule.keywords.is_empty() {
                        return Gate::from_keywords(&rule.keywords);
                    }
                    let pattern = rule.pattern.as_deref()?;
                    Gate::builtin(pattern).or_else(|| Gate::of(pattern))
                })
                .collect()
        })
    }

    /// Every rule, content and file-name, for `pushgate rules`.
    pub fn rules(&self) -> Vec<RuleInfo> {
        let mut out: Vec<RuleInfo> = self
            .rules
            .iter()
            .map(|r| RuleInfo {
                id: r.id.clone(),
                description: r.description.clone(),
                help: r.help.clone(),
                origin: r.origin,
            })
            .collect();
        out.extend(self.files.iter().map(|f| RuleInfo {
            id: Text::Borrowed(f.id),
            description: Text::Borrowed(f.description),
            help: Some(Text::Borrowed(f.help)),
            origin: "builtin",
        }));
        out
    }

    /// Find secrets in `text` (a whole file, or added lines joined by `\n`) found at `path`.
    pub fn scan(&self, path: &[u8], text: &[u8]) -> Vec<SecretMatch> {
        self.scan_using(Strategy::Set, path, text)
    }

    /// [`Self::scan`] with a choice of how rules are pre-selected; both give the same findings.
    pub fn scan_using(&self, strategy: Strategy, path: &[u8], text: &[u8]) -> Vec<SecretMatch> {
        if self.set_rules.is_empty() || self.global.path_allowed(path) {
            return Vec::new();
        }
        let selected: Vec<usize> = match strategy {
            Strategy::Set => {
                let Some(set) = self.set() else {
                    return Vec::new();
                };
                set.matches(text)
            }
            Strategy::Gated => {
                let lower = text.to_ascii_lowercase();
                self.gates()
                    .iter()
                    .enumerate()
                    .filter(|(_, g)| g.as_ref().is_none_or(|g| g.admits(&lower)))
                    .map(|(i, _)| i)
                    .collect()
            }
            Strategy::Indexed => self.gate_index.get_or_init(|| GateIndex::new(self.gates())).admitted(text),
        };
        let mut lines = Lines::new(text);
        let mut found: Vec<(SecretMatch, usize, bool)> = Vec::new();
        for set_idx in selected {
            let Some(&ri) = self.set_rules.get(set_idx) else {
                continue;
            };
            let Some(rule) = self.rules.get(ri) else {
                continue;
            };
            self.scan_rule(rule, path, text, &mut lines, &mut found);
        }
        dedup(found)
    }

    fn scan_rule(
        &self,
        rule: &Rule,
        path: &[u8],
        text: &[u8],
        lines: &mut Lines<'_>,
        out: &mut Vec<(SecretMatch, usize, bool)>,
    ) {
        if let Some(p) = &rule.path
            && !p.is_match(path)
        {
            return;
        }
        let Some(compiled) = rule.compiled() else {
            return;
        };
        if compiled.allow.path_allowed(path) {
            return;
        }
        let mut count = 0;
        for caps in compiled.regex.captures_iter(text) {
            let Some(whole) = caps.get(0) else {
                continue;
            };
            let Some(sec) = secret_of(&caps, compiled.group) else {
                continue;
            };
            if sec.is_empty() {
                continue;
            }
            let span = lines.span(whole.start(), whole.end());
            let ctx = &text[span.clone()];
            if ALLOW_MARKERS.iter().any(|m| contains(ctx, m)) {
                continue;
            }
            if !rule.keywords.is_empty() {
                let lower = ctx.to_ascii_lowercase();
                if !rule.keywords.iter().any(|k| contains(&lower, k)) {
                    continue;
                }
            }
            let secret = &text[sec.clone()];
            if let Some(min) = rule.entropy
                && filters::shannon_entropy(secret) < min
            {
                continue;
            }
            if filters::is_placeholder(secret) || filters::inside_hash_or_blob(text, sec.start) {
                continue;
            }
            if let Some(v) = rule.validator
                && !v.check(secret)
            {
                continue;
            }
            if rule.generic {
                let key = caps.name("key").map(|m| m.as_bytes());
                if filters::generic_rejects(path, text, sec.start, sec.end, key, ctx) {
                    continue;
                }
            }
            if compiled.allow.secret_allowed(secret, ctx) || self.global.secret_allowed(secret, ctx) {
                continue;
            }
            let line = lines.line_of(sec.start);
            out.push((
                SecretMatch {
                    rule_id: rule.id.clone(),
                    description: rule.description.clone(),
                    line,
                    secret: sec,
                    help: rule.help.clone(),
                },
                whole.len(),
                rule.generic,
            ));
            count += 1;
            if count >= MAX_FINDINGS_PER_RULE {
                break;
            }
        }
    }

    /// File-name findings for `path` (`id_rsa`, `.env`, …). `text` is the file content when
    /// available: some names only count when the content holds a credential (`*.pem`, `.npmrc`).
    pub fn scan_path(&self, path: &[u8], text: Option<&[u8]>) -> Vec<SecretMatch> {
        if self.global.path_allowed(path) {
            return Vec::new();
        }
        let mut out = Vec::new();
        for f in &self.files {
            if f.matches(path, text) {
                out.push(SecretMatch {
                    rule_id: Text::Borrowed(f.id),
                    description: Text::Borrowed(f.description),
                    line: 1,
                    secret: 0..0,
                    help: Some(Text::Borrowed(f.help)),
                });
            }
        }
        // Path-only custom rules (`path` without `regex`).
        for r in &self.rules {
            if r.pattern.is_none()
                && let Some(p) = &r.path
                && p.is_match(path)
            {
                out.push(SecretMatch {
                    rule_id: r.id.clone(),
                    description: r.description.clone(),
                    line: 1,
                    secret: 0..0,
                    help: r.help.clone(),
                });
            }
        }
        out
    }

    /// Run one rule alone over `text` (sample checks).
    pub(super) fn scan_one(&self, rule_id: &str, path: &[u8], text: &[u8]) -> Vec<SecretMatch> {
        let Some(rule) = self.rules.iter().find(|r| &*r.id == rule_id) else {
            return Vec::new();
        };
        let mut lines = Lines::new(text);
        let mut found = Vec::new();
        self.scan_rule(rule, path, text, &mut lines, &mut found);
        found.into_iter().map(|(m, _, _)| m).collect()
    }

    fn check_custom_samples(&self, cfg: &SecretsConfig, errors: &mut Vec<ConfigError>) {
        for raw in &cfg.rules {
            let id = full_id(raw.id.get_ref());
            for (i, s) in raw.must_match.iter().enumerate() {
                if self.scan_one(&id, b"sample.txt", s.as_bytes()).is_empty() {
                    errors.push(ConfigError {
                        span: Some(raw.id.span()),
                        message: format!("rule {id}: must-match sample #{} does not match", i + 1),
                    });
                }
            }
            for (i, s) in raw.must_not_match.iter().enumerate() {
                if !self.scan_one(&id, b"sample.txt", s.as_bytes()).is_empty() {
                    errors.push(ConfigError {
                        span: Some(raw.id.span()),
                        message: format!("rule {id}: must-not-match sample #{} matches", i + 1),
                    });
                }
            }
        }
    }

    /// Ids of all rules (content and file-name).
    #[cfg(test)]
    pub(super) fn rule_ids(&self) -> std::collections::BTreeSet<Text> {
        self.rules().into_iter().map(|r| r.id).collect()
    }
}

fn secret_of(caps: &Captures<'_>, group: SecretGroup) -> Option<std::ops::Range<usize>> {
    match group {
        SecretGroup::Index(i) => caps.get(i).map(|m| m.range()),
        SecretGroup::Whole => caps.get(0).map(|m| m.range()),
        SecretGroup::FirstParticipating => {
            (1..caps.len()).find_map(|i| caps.get(i)).or_else(|| caps.get(0)).map(|m| m.range())
        }
    }
}

/// Drop overlapping findings: a generic rule yields to a specific one; among specific rules
/// the one with the longer match (more context, e.g. a service-account JSON around its private
/// key) wins; identical findings collapse.
fn dedup(mut found: Vec<(SecretMatch, usize, bool)>) -> Vec<SecretMatch> {
    found.sort_by(|a, b| {
        (a.0.secret.start, a.0.secret.end, &a.0.rule_id).cmp(&(b.0.secret.start, b.0.secret.end, &b.0.rule_id))
    });
    found.dedup_by(|a, b| a.0.secret == b.0.secret && a.0.rule_id == b.0.rule_id);
    let overlaps = |a: &std::ops::Range<usize>, b: &std::ops::Range<usize>| a.start < b.end && b.start < a.end;
    let beats = |a: &(SecretMatch, usize, bool), b: &(SecretMatch, usize, bool)| {
        // Does `a` suppress `b`?
        match (a.2, b.2) {
            (false, true) => true,
            (true, false) => false,
            _ => a.1 > b.1,
        }
    };
    // Sorted by start: the findings overlapping `found[i]` that start after it are the run
    // right behind it. One rule's matches never overlap each other, so a run holds at most one
    // finding per rule and this stays linear in practice.
    let mut keep = vec![true; found.len()];
    for i in 0..found.len() {
        let mut j = i + 1;
        while j < found.len() && found[j].0.secret.start < found[i].0.secret.end {
            if overlaps(&found[i].0.secret, &found[j].0.secret) {
                if beats(&found[i], &found[j]) {
                    keep[j] = false;
                }
                if beats(&found[j], &found[i]) {
                    keep[i] = false;
                }
            }
            j += 1;
        }
    }
    found.into_iter().zip(keep).filter(|(_, k)| *k).map(|(f, _)| f.0).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::builtin;
    use super::*;
    use std::collections::BTreeSet;

    fn ids(found: &[SecretMatch]) -> BTreeSet<String> {
        found.iter().map(|m| m.rule_id.to_string()).collect()
    }

    #[test]
    fn builtin_rules_compile_and_are_fast_to_build() {
        let mut errors = Vec::new();
        let raws = builtin::raw_rules(&mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        let files: BTreeSet<&str> = raws.iter().map(|(f, _)| *f).collect();
        assert!(files.len() >= 60, "only {} rule families", files.len());
        let t = std::time::Instant::now();
        let s = SecretScanner::builtin();
        let build = t.elapsed();
        // Every rule regex and allowlist compiles on its own, with the same limits.
        for r in &s.rules {
            assert!(r.compiled().is_some(), "{} does not compile", r.id);
        }
        let all = t.elapsed();
        let unique: BTreeSet<_> = raws.iter().map(|(_, r)| full_id(r.id.get_ref())).collect();
        assert_eq!(unique.len(), raws.len(), "duplicate built-in rule ids");
        println!(
            "secrets: {} content rules in {} families + {} file-name rules; builtin() {:?}, all rule regexes {:?}",
            s.rules.len(),
            files.len(),
            s.files.len(),
            build,
            all - build
        );
        let t = std::time::Instant::now();
        let found = s.scan_using(Strategy::Gated, b"a.txt", b"nothing to see here\n");
        let gated = t.elapsed();
        let ungated: Vec<&str> =
            s.gates().iter().zip(&s.set_rules).filter(|(g, _)| g.is_none()).map(|(_, &ri)| &*s.rules[ri].id).collect();
        println!("secrets: gated scan of a clean buffer {gated:?}; rules without a gate: {ungated:?}");
        assert!(found.is_empty());
        // Nearly every rule has a literal to be pre-selected by; an ungated rule is compiled on
        // every small push.
        assert!(ungated.is_empty(), "{ungated:?}");
        let t = std::time::Instant::now();
        let found = s.scan(b"a.txt", b"nothing to see here\n");
        println!("secrets: first scan of a clean buffer with the set {:?}", t.elapsed());
        assert!(found.is_empty());
    }

    #[test]
    fn every_rule_sample() {
        let mut errors = Vec::new();
        let raws = builtin::raw_rules(&mut errors);
        let s = SecretScanner::builtin();
        let mut failures = Vec::new();
        let mut n = 0;
        for (file, raw) in &raws {
            let id = full_id(raw.id.get_ref());
            if raw.must_match.is_empty() {
                failures.push(format!("{id}: no must-match sample"));
            }
            if raw.must_not_match.is_empty() {
                failures.push(format!("{id}: no must-not-match sample"));
            }
            for sample in raw.must_match.iter().chain(&raw.must_not_match) {
                let set = s.scan_using(Strategy::Set, b"sample.txt", sample.as_bytes());
                for how in [Strategy::Gated, Strategy::Indexed] {
                    let other = s.scan_using(how, b"sample.txt", sample.as_bytes());
                    if set != other {
                        failures
                            .push(format!("{id}: {how:?} differs from the set on {sample:?}: {set:?} vs {other:?}"));
                    }
                }
            }
            for sample in &raw.must_match {
                n += 1;
                let found = s.scan(b"sample.txt", sample.as_bytes());
                let got = ids(&found);
                if got != BTreeSet::from([id.clone()]) || found.len() != 1 {
                    failures.push(format!("{file}: {id} must-match {sample:?} gave {got:?}"));
                    continue;
                }
                let m = &found[0];
                let secret = &sample.as_bytes()[m.secret.clone()];
                let expected_line = sample[..m.secret.start].matches('\n').count() as u32 + 1;
                if secret.len() < 8 || m.line != expected_line {
                    failures.push(format!("{id}: bad position {m:?}"));
                }
            }
            for sample in &raw.must_not_match {
                n += 1;
                let found = s.scan(b"sample.txt", sample.as_bytes());
                if ids(&found).contains(&id) {
                    failures.push(format!("{file}: {id} must-not-match {sample:?} matched"));
                }
            }
        }
        println!("secrets: {n} rule samples checked");
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    /// `builtin_gates.rs` holds the gate of every built-in pattern, so that a hook does not parse
    /// 140 patterns on every push. `PUSHGATE_UPDATE_GATES=1 cargo test builtin_gates` rewrites it.
    #[test]
    fn builtin_gates_are_current() {
        let mut errors = Vec::new();
        let mut table: Vec<(String, Vec<Vec<u8>>)> = builtin::raw_rules(&mut errors)
            .iter()
            .filter_map(|(_, r)| {
                let p = r.regex.as_ref()?.get_ref().clone();
                let g = Gate::of(&p)?;
                Some((p, g.literals().to_vec()))
            })
            .collect();
        table.sort();
        table.dedup();
        let mut text = String::from(
            "// Generated by the test `builtin_gates_are_current` (engine.rs): the required literals of every\n\
             // built-in rule pattern (see gate.rs), sorted by pattern. Do not edit; regenerate with\n\
             // PUSHGATE_UPDATE_GATES=1 cargo test builtin_gates\n\
             #[rustfmt::skip]\n\
             pub(super) const GATES: &[(&str, &[&[u8]])] = &[\n",
        );
        for (p, lits) in &table {
            assert!(!p.contains("\"####"), "{p}");
            let lits: Vec<String> = lits.iter().map(|l| format!("b\"{}\"", l.escape_ascii())).collect();
            text.push_str(&format!("    (r####\"{p}\"####, &[{}]),\n", lits.join(", ")));
        }
        text.push_str("];\n");
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/checks/content/secrets/builtin_gates.rs");
        if std::env::var_os("PUSHGATE_UPDATE_GATES").is_some() {
            std::fs::write(path, &text).unwrap();
        }
        let current = std::fs::read_to_string(path).unwrap_or_default();
        assert!(current == text, "builtin_gates.rs is stale: run PUSHGATE_UPDATE_GATES=1 cargo test builtin_gates");
        for (p, lits) in &table {
            assert_eq!(Gate::builtin(p).map(|g| g.literals().to_vec()).as_ref(), Some(lits), "{p}");
        }
    }

    #[test]
    fn exact_positions_and_lines() {
        let s = SecretScanner::builtin();
        let tok = "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";
        let text = format!("line one\n\nconst t = \"{tok}\";\n");
        let f = s.scan(b"a.js", text.as_bytes());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].line, 3);
        assert_eq!(&text[f[0].secret.clone()], tok);
        assert_eq!(&*f[0].rule_id, "secret/github-pat");
        assert!(f[0].help.is_some());
        // Debug never shows the secret
        assert!(!format!("{:?}", f[0]).contains("wZNc"));
    }

    #[test]
    fn placeholders_and_lookalikes_are_not_findings() {
        let s = SecretScanner::builtin();
        let texts = [
            "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
            "SLACK_TOKEN=xoxb-your-token\n",
            "api_key = \"your_api_key_here\"\n",
            "GITHUB_TOKEN=<your token>\n",
            "token: XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\n",
            "DB_PASSWORD=${DB_PASSWORD}\npassword = os.environ[\"DB_PASSWORD\"]\n",
            "const pw = process.env.DB_PASSWORD;\n",
            "\"errors.password\": \"Password is too short\",\n",
            "\"integrity\": \"sha512-2G7hZ4FmVGgSLXg4ObZTLnxzyvHNu7jexdN7ZF/3SnTAj+OJthuBXiMXq/+RtD0SzgRyAk8LtEdg8l3U8+nXfJhbQ==\"\n",
            "golang.org/x/crypto v0.21.0 h1:X31++rzVUdKhX5sWmSOFZxx8UW/ldWx55cbf08iNAMA=\n",
            "<img src=\"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==\">\n",
            "commit = \"3f786850e387550fdab836ed7e6dc881de23001b\"\n",
            "api_key = \"123e4567-e89b-12d3-a456-426614174000\"\n",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGk3b0pLQ2s4cWx6dWxVbXp2YjRqbXh0d2ZxYmVkY3N5 user@host\n",
            "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ\n-----END CERTIFICATE-----\n",
            "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEhvRYqbIKlq4Y5lVqL0aQq6mH2n1e\n-----END PUBLIC KEY-----\n",
            "To use a key, paste it between -----BEGIN RSA PRIVATE KEY----- and the END line.\n",
        ];
        for t in texts {
            let f = s.scan(b"config/app.yml", t.as_bytes());
            assert!(f.is_empty(), "{t:?} -> {:?}", ids(&f));
        }
    }

    #[test]
    fn inline_allow_markers() {
        let s = SecretScanner::builtin();
        let tok = "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";
        for marker in ["# pushgate:allow", "// gitleaks:allow"] {
            let t = format!("token = \"{tok}\" {marker}\n");
            assert!(s.scan(b"a.py", t.as_bytes()).is_empty(), "{marker}");
        }
        // The marker only covers its own line.
        let t = format!("# pushgate:allow\ntoken = \"{tok}\"\n");
        assert_eq!(s.scan(b"a.py", t.as_bytes()).len(), 1);
    }

    #[test]
    fn generic_yields_to_specific_and_dedups() {
        let s = SecretScanner::builtin();
        let t = "GITHUB_TOKEN=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\n";
        let f = s.scan(b".env", t.as_bytes());
        assert_eq!(ids(&f), BTreeSet::from(["secret/github-pat".to_owned()]));
    }

    #[test]
    fn scanner_is_send_sync() {
        fn check<T: Send + Sync>() {}
        check::<SecretScanner>();
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        #[test]
        fn never_panics_on_arbitrary_bytes(path in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40),
                                           text in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2000)) {
            let s = scanner();
            let found = s.scan(&path, &text);
            for m in &found {
                proptest::prop_assert!(m.secret.end <= text.len());
                proptest::prop_assert!(m.line >= 1);
            }
            let _ = s.scan_path(&path, Some(&text));
        }

        #[test]
        fn never_panics_on_token_shaped_text(text in "(ghp_|xoxb-|AKIA|sk-proj-|password = \"|eyJ|-----BEGIN RSA PRIVATE KEY-----\n|postgres://u:|[A-Za-z0-9+/=_\\-.:@\"' \n]){0,60}") {
            let s = scanner();
            let _ = s.scan(b"x.py", text.as_bytes());
        }

        #[test]
        fn every_strategy_finds_the_same(text in "(ghp_|xoxb-|AKIA|sk-proj-|Password = \"|API_KEY=|eyJ|-----BEGIN RSA PRIVATE KEY-----\n|postgres://u:|[A-Za-z0-9+/=_\\-.:@\"' \n]){0,80}") {
            let s = scanner();
            let set = s.scan(b"x.py", text.as_bytes());
            proptest::prop_assert_eq!(&s.scan_using(Strategy::Gated, b"x.py", text.as_bytes()), &set);
            proptest::prop_assert_eq!(&s.scan_using(Strategy::Indexed, b"x.py", text.as_bytes()), &set);
        }
    }

    fn scanner() -> &'static SecretScanner {
        static S: std::sync::OnceLock<SecretScanner> = std::sync::OnceLock::new();
        S.get_or_init(SecretScanner::builtin)
    }
}
