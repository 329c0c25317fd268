//! The policy: where it is found, how it is read, and the validated form the checks use.
//!
//! `RawPolicy` (raw.rs) is the file as written; [`Policy`] is what it means, with globs compiled
//! and paths resolved. Turning one into the other collects every problem as a [`Diagnostic`]
//! pointing at `file:line:col`; a policy with any problem is refused whole, never half-applied.

pub mod diag;
pub mod raw;

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::{GlobBuilder, GlobMatcher};
use toml::Spanned;

pub use diag::{Diagnostic, Source};
use raw::RawPolicy;

use crate::checks::signatures::verify::TrustStore;

/// The policy used when no file is found: secrets and PII on, signatures off, no protected
/// branches.
pub const DEFAULT_POLICY: &str = include_str!("default.toml");

/// Text blobs up to this size are scanned in full (25 MiB: generated code and data dumps of
/// several MB are ordinary).
pub const DEFAULT_MAX_BLOB_BYTES: u64 = 25 << 20;

/// Where the policy in force came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    File(PathBuf),
    Embedded,
}

/// A policy that could not be loaded: every problem found.
#[derive(Debug)]
pub struct PolicyError {
    pub diagnostics: Vec<Diagnostic>,
}

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for PolicyError {}

/// Which new commits must carry a valid signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Require {
    All,
    Protected,
    Off,
}

/// `[signatures]`, validated.
#[derive(Debug, Clone)]
pub struct Signatures {
    pub require: Require,
    pub require_span: Option<Range<usize>>,
    pub openpgp_files: Vec<PathBuf>,
    pub allowed_signers: Option<PathBuf>,
    pub committer_must_match: bool,
    pub unsigned_forge_merges: bool,
}

/// `[bypass]`, validated.
#[derive(Debug, Clone, Default)]
pub struct Bypass {
    pub identities: Vec<String>,
    pub categories: Vec<crate::report::Category>,
    pub span: Option<Range<usize>>,
}

/// One `[branches.<pattern>]` entry.
#[derive(Debug, Clone)]
pub struct BranchRule {
    pub pattern: String,
    matcher: RefPattern,
    pub promote_from: Option<Spanned<String>>,
    pub force_push: bool,
    pub delete: bool,
    pub pushers: Vec<String>,
    pub forge_merges: bool,
    /// Span of the whole table, for "defined here" labels.
    pub span: Range<usize>,
}

impl BranchRule {
    /// Does this rule protect the branch called `name` (without `refs/heads/`)?
    pub fn applies_to(&self, name: &str) -> bool {
        self.matcher.is_match(name)
    }
}

/// A `[branches.<pattern>]` or `[tags.<pattern>]` key as a matcher. A key without glob syntax
/// (the usual `live`, `staging`, `v1.0`) is compared as a string: a compiled glob is a regex, and
/// building one cost ≈ 0.1 ms of every hook run per protected branch.
#[derive(Debug, Clone)]
enum RefPattern {
    Exact(String),
    Glob(GlobMatcher),
}

impl RefPattern {
    /// Bytes that make a key a glob for globset (with `backslash_escape`): without any of them,
    /// the glob matches the key itself and nothing else.
    const GLOB_SYNTAX: [char; 7] = ['*', '?', '[', ']', '{', '}', '\\'];

    fn new(key: &str) -> Result<Self, globset::Error> {
        if !key.contains(Self::GLOB_SYNTAX) {
            return Ok(Self::Exact(key.to_string()));
        }
        Ok(Self::Glob(Self::glob(key)?))
    }

    /// `key` as a glob over ref names: `*` does not cross `/`, `\` escapes.
    fn glob(key: &str) -> Result<GlobMatcher, globset::Error> {
        Ok(GlobBuilder::new(key).literal_separator(true).backslash_escape(true).build()?.compile_matcher())
    }

    fn is_match(&self, name: &str) -> bool {
        match self {
            Self::Exact(key) => key == name,
            Self::Glob(g) => g.is_match(name),
        }
    }
}

/// One `[tags.<pattern>]` entry.
#[derive(Debug, Clone)]
pub struct TagRule {
    pub pattern: String,
    matcher: RefPattern,
    pub immutable: bool,
    pub signed: bool,
    pub span: Range<usize>,
}

impl TagRule {
    pub fn applies_to(&self, name: &str) -> bool {
        self.matcher.is_match(name)
    }
}

/// The validated policy.
#[derive(Debug, Clone)]
pub struct Policy {
    pub origin: Origin,
    pub source: Source,
    pub signatures: Signatures,
    pub branches: Vec<BranchRule>,
    pub tags: Vec<TagRule>,
    /// The secret rules as configured; `None` when `[secrets] enabled = false`.
    pub secrets: Option<Arc<crate::checks::content::secrets::SecretScanner>>,
    /// Fingerprints (`rule:fingerprint` or bare) of findings to ignore.
    pub ignored: Arc<std::collections::HashSet<String>>,
    /// The PII detectors as configured; `None` when `[pii] enabled = false`.
    pub pii: Option<Arc<crate::checks::content::pii::PiiScanner>>,
    /// `[limits]`.
    pub limits: Limits,
    /// Who may bypass, and which finding categories a bypass overrides.
    pub bypass: Bypass,
    /// Where push decisions are recorded, one JSON line each.
    pub audit_log: Option<PathBuf>,
    /// Every key `[signatures]` trusts, parsed once.
    pub trust: Arc<TrustStore>,
}

impl Policy {
    /// The embedded default policy.
    pub fn embedded() -> Self {
        let source = Source { name: "<embedded default policy>".into(), text: DEFAULT_POLICY.into() };
        Self::parse(source, Origin::Embedded, None)
            .expect("BUG: the embedded default policy is valid because a test parses it")
    }

    /// Read and validate the policy file at `path`.
    pub fn from_file(path: &Path) -> Result<Self, PolicyError> {
        tracing::debug!(policy = %path.display(), "loading policy");
        let text = std::fs::read_to_string(path).map_err(|e| PolicyError {
            diagnostics: vec![Diagnostic::bare(format!("cannot read policy {}: {e}", path.display()))],
        })?;
        let source = Source { name: path.display().to_string(), text: text.into() };
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Self::parse(source, Origin::File(path.to_path_buf()), Some(&base))
    }

    /// Parse and validate policy text. `base` is the directory relative paths are resolved in.
    pub fn parse(source: Source, origin: Origin, base: Option<&Path>) -> Result<Self, PolicyError> {
        let raw: RawPolicy = toml::from_str(&source.text).map_err(|e| {
            let message = e.message().trim().to_string();
            let d = match e.span() {
                Some(span) => Diagnostic::at(&source, span, message),
                None => Diagnostic::file(&source, message),
            };
            PolicyError { diagnostics: vec![d] }
        })?;
        let mut v = Validator { source: &source, base, diags: Vec::new() };
        let (signatures, trust) = v.signatures(raw.signatures);
        let branches = raw.branches.into_iter().filter_map(|(k, t)| v.branch(k, t)).collect();
        let tags = raw.tags.into_iter().filter_map(|(k, t)| v.tag(k, t)).collect();
        let pii = v.pii(raw.pii);
        let (secrets, ignored) = v.secrets(raw.secrets);
        let limits = v.limits(raw.limits);
        let bypass = v.bypass(raw.bypass);
        let audit_log = raw.audit.map(|a| v.resolve(a.log.get_ref()));
        if !v.diags.is_empty() {
            return Err(PolicyError { diagnostics: v.diags });
        }
        Ok(Self {
            origin,
            signatures,
            branches,
            tags,
            secrets,
            ignored: Arc::new(ignored),
            pii,
            limits,
            bypass,
            audit_log,
            trust: Arc::new(trust),
            source,
        })
    }

    /// Find the policy in force, in the order DESIGN.md fixes: `--policy`, `$PUSHGATE_POLICY`,
    /// `pushgate.toml` in the git directory, `/etc/pushgate/policy.toml`, the embedded default.
    pub fn locate(explicit: Option<&Path>, git_dir: Option<&Path>) -> Result<Self, PolicyError> {
        if let Some(p) = explicit {
            return Self::from_file(p);
        }
        if let Some(p) = std::env::var_os("PUSHGATE_POLICY").filter(|v| !v.is_empty()) {
            return Self::from_file(Path::new(&p));
        }
        if let Some(dir) = git_dir {
            let p = dir.join("pushgate.toml");
            if p.exists() {
                return Self::from_file(&p);
            }
        }
        let system = Path::new("/etc/pushgate/policy.toml");
        if system.exists() {
            return Self::from_file(system);
        }
        Ok(Self::embedded())
    }

    /// All branch rules that apply to `branch` (a short name). Several may: all of them hold.
    pub fn branch_rules<'a>(&'a self, branch: &'a str) -> impl Iterator<Item = &'a BranchRule> + 'a {
        self.branches.iter().filter(move |r| r.applies_to(branch))
    }

    /// Is `branch` protected by any rule?
    pub fn is_protected(&self, branch: &str) -> bool {
        self.branch_rules(branch).next().is_some()
    }

    /// "policy.toml:7:16  promote-from = \"staging\"" for a span of this policy.
    pub fn label(&self, span: &Range<usize>) -> String {
        self.source.label(span)
    }
}

/// `[limits]`, validated.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Text blobs larger than this are not scanned.
    pub max_blob_bytes: u64,
    /// A skipped blob (binary or over-size) blocks the push.
    pub skipped_blobs_block: bool,
    /// Time budget for the checks of one push.
    pub time_budget: Option<std::time::Duration>,
    /// Accept (and record) a push whose checks exceeded the budget, instead of refusing it.
    pub accept_on_timeout: bool,
    /// Server hooks: a push whose objects take more bytes than this as received is over the
    /// limit (`policy/push-too-large`). `None`: no limit.
    pub max_push_bytes: Option<u64>,
    /// Accept (and record) a push over `max_push_bytes`, checked as usual, instead of refusing it.
    pub accept_oversize: bool,
}

struct Validator<'a> {
    source: &'a Source,
    base: Option<&'a Path>,
    diags: Vec<Diagnostic>,
}

impl Validator<'_> {
    fn err(&mut self, span: Range<usize>, msg: impl Into<String>) {
        self.diags.push(Diagnostic::at(self.source, span, msg));
    }

    fn signatures(&mut self, raw: raw::RawSignatures) -> (Signatures, TrustStore) {
        let require = match raw.require.as_ref().map(|s| s.get_ref().as_str()) {
            None | Some("off") => Require::Off,
            Some("all") => Require::All,
            Some("protected") => Require::Protected,
            Some(other) => {
                let span = raw.require.as_ref().map(Spanned::span).unwrap_or_default();
                self.err(
                    span,
                    format!("unknown value `{other}` for `require`: expected \"all\", \"protected\" or \"off\""),
                );
                Require::Off
            }
        };
        let mut trust = TrustStore::empty();
        let mut openpgp_files = Vec::new();
        for pat in &raw.openpgp_certs {
            match self.expand(pat.get_ref()) {
                Ok(files) if files.is_empty() => {
                    self.err(pat.span(), format!("`{}` matches no file", pat.get_ref()));
                }
                Ok(files) => {
                    for file in files {
                        let loaded = std::fs::read(&file)
                            .map_err(|e| format!("cannot read {}: {e}", file.display()))
                            .and_then(|bytes| {
                                trust.add_openpgp_bytes(&file.display().to_string(), &bytes).map_err(|e| e.to_string())
                            });
                        if let Err(e) = loaded {
                            self.err(pat.span(), e);
                        }
                        openpgp_files.push(file);
                    }
                }
                Err(e) => self.err(pat.span(), e),
            }
        }
        let allowed_signers = raw.ssh_allowed_signers.as_ref().and_then(|p| {
            let path = self.resolve(p.get_ref());
            let loaded = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read allowed_signers file `{}`: {e}", path.display()))
                .and_then(|text| {
                    trust.add_allowed_signers(&path.display().to_string(), &text).map_err(|e| e.to_string())
                });
            match loaded {
                Ok(_) => Some(path),
                Err(e) => {
                    self.err(p.span(), e);
                    None
                }
            }
        });
        if require != Require::Off && raw.openpgp_certs.is_empty() && raw.ssh_allowed_signers.is_none() {
            let span = raw.require.as_ref().map(Spanned::span).unwrap_or_default();
            self.err(
                span,
                "signatures are required but no key is trusted: set `openpgp-certs` or `ssh-allowed-signers`",
            );
        }
        let sigs = Signatures {
            require,
            require_span: raw.require.as_ref().map(Spanned::span),
            openpgp_files,
            allowed_signers,
            committer_must_match: raw.committer_must_match.unwrap_or(true),
            unsigned_forge_merges: raw.unsigned_forge_merges,
        };
        (sigs, trust)
    }

    fn pii(
        &mut self,
        raw: Option<crate::checks::content::pii::PiiConfig>,
    ) -> Option<Arc<crate::checks::content::pii::PiiScanner>> {
        use crate::checks::content::pii::PiiScanner;
        let Some(cfg) = raw else { return Some(Arc::new(PiiScanner::builtin())) };
        if !cfg.enabled {
            return None;
        }
        match PiiScanner::from_config(&cfg) {
            Ok(s) => Some(Arc::new(s)),
            Err(errors) => {
                self.config_errors("pii", errors.into_iter().map(|e| (e.span, e.message)).collect());
                None
            }
        }
    }

    fn config_errors(&mut self, section: &str, errors: Vec<(Option<Range<usize>>, String)>) {
        for (span, message) in errors {
            let d = match span {
                Some(span) => Diagnostic::at(self.source, span, format!("[{section}] {message}")),
                None => Diagnostic::file(self.source, format!("[{section}] {message}")),
            };
            self.diags.push(d);
        }
    }

    fn secrets(
        &mut self,
        raw: Option<crate::checks::content::secrets::SecretsConfig>,
    ) -> (Option<Arc<crate::checks::content::secrets::SecretScanner>>, std::collections::HashSet<String>) {
        use crate::checks::content::secrets::SecretScanner;
        let mut ignored = std::collections::HashSet::new();
        let Some(cfg) = raw else { return (Some(Arc::new(SecretScanner::builtin())), ignored) };
        if let Some(file) = &cfg.ignore_file {
            let path = self.resolve(file.get_ref());
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    ignored = text
                        .lines()
                        .map(|l| l.split('#').next().unwrap_or("").trim())
                        .filter(|l| !l.is_empty())
                        .map(str::to_string)
                        .collect();
                }
                Err(e) => self.err(file.span(), format!("cannot read ignore file `{}`: {e}", path.display())),
            }
        }
        let gitleaks = match &cfg.gitleaks_config {
            None => None,
            Some(p) => {
                let path = self.resolve(p.get_ref());
                match std::fs::read_to_string(&path) {
                    Ok(text) => Some(text),
                    Err(e) => {
                        self.err(p.span(), format!("cannot read gitleaks config `{}`: {e}", path.display()));
                        return (None, ignored);
                    }
                }
            }
        };
        match SecretScanner::from_config(&cfg, gitleaks.as_deref()) {
            Ok(s) if cfg.enabled => (Some(Arc::new(s)), ignored),
            Ok(_) => (None, ignored),
            Err(errors) => {
                self.config_errors("secrets", errors.into_iter().map(|e| (e.span, e.message)).collect());
                (None, ignored)
            }
        }
    }

    fn bypass(&mut self, raw: Option<raw::RawBypass>) -> Bypass {
        use crate::report::Category;
        let Some(raw) = raw else { return Bypass::default() };
        let mut categories = Vec::new();
        match &raw.categories {
            None => categories.extend([Category::Secret, Category::Pii]),
            Some(list) => {
                for c in list {
                    match c.get_ref().as_str() {
                        "secret" => categories.push(Category::Secret),
                        "pii" => categories.push(Category::Pii),
                        "signature" => categories.push(Category::Signature),
                        "branch" => categories.push(Category::Branch),
                        other => self.err(
                            c.span(),
                            format!(
                                "unknown category `{other}`: expected \"secret\", \"pii\", \"signature\" or \"branch\""
                            ),
                        ),
                    }
                }
            }
        }
        let mut identities = Vec::new();
        for i in &raw.identities {
            if i.get_ref().trim().is_empty() {
                self.err(i.span(), "empty identity");
            } else {
                identities.push(i.get_ref().clone());
            }
        }
        let span = raw.identities.first().map(Spanned::span);
        Bypass { identities, categories, span }
    }

    /// "reject" (the default) → false, "accept" → true; anything else is an error.
    fn accept_or_reject(&mut self, value: Option<&Spanned<String>>, key: &str) -> bool {
        match value.map(|s| s.get_ref().as_str()) {
            None | Some("reject") => false,
            Some("accept") => true,
            Some(other) => {
                let span = value.map(Spanned::span).unwrap_or_default();
                self.err(span, format!("unknown value `{other}` for `{key}`: expected \"reject\" or \"accept\""));
                false
            }
        }
    }

    fn limits(&mut self, raw: Option<raw::RawLimits>) -> Limits {
        let raw = raw.unwrap_or_default();
        let max = match &raw.max_blob_bytes {
            None => DEFAULT_MAX_BLOB_BYTES,
            Some(v) if *v.get_ref() > 0 => u64::try_from(*v.get_ref()).unwrap_or(DEFAULT_MAX_BLOB_BYTES),
            Some(v) => {
                self.err(v.span(), "`max-blob-bytes` must be a positive number of bytes");
                DEFAULT_MAX_BLOB_BYTES
            }
        };
        let time = raw.time.as_ref().and_then(|t| match parse_duration(t.get_ref()) {
            Some(d) if !d.is_zero() => Some(d),
            _ => {
                self.err(
                    t.span(),
                    format!("`{}` is not a duration: write e.g. \"500ms\", \"60s\" or \"2m\"", t.get_ref()),
                );
                None
            }
        });
        let accept_on_timeout = self.accept_or_reject(raw.on_timeout.as_ref(), "on-timeout");
        let max_push_bytes = raw.max_push_bytes.as_ref().and_then(|v| match u64::try_from(*v.get_ref()) {
            Ok(n) if n > 0 => Some(n),
            _ => {
                self.err(v.span(), "`max-push-bytes` must be a positive number of bytes");
                None
            }
        });
        let accept_oversize = self.accept_or_reject(raw.on_oversize.as_ref(), "on-oversize");
        Limits {
            max_blob_bytes: max,
            skipped_blobs_block: raw.skipped_blobs_block,
            time_budget: time,
            accept_on_timeout,
            max_push_bytes,
            accept_oversize,
        }
    }

    fn pattern(&mut self, kind: &str, key: &str, span: &Range<usize>) -> Option<RefPattern> {
        let implied = format!("refs/{kind}/");
        if key.is_empty() {
            self.err(span.clone(), format!("empty {kind} pattern"));
            return None;
        }
        if key.starts_with("refs/") {
            self.err(span.clone(), format!("write `{}` without `refs/`: `{implied}` is implied", key));
            return None;
        }
        match RefPattern::new(key) {
            Ok(p) => Some(p),
            Err(e) => {
                self.err(span.clone(), format!("invalid pattern `{key}`: {}", e.kind()));
                None
            }
        }
    }

    fn branch(&mut self, key: String, table: Spanned<raw::RawBranch>) -> Option<BranchRule> {
        let span = table.span();
        let matcher = self.pattern("heads", &key, &span)?;
        let raw = table.into_inner();
        if let Some(from) = &raw.promote_from {
            let name = from.get_ref();
            if name.is_empty()
                || name.contains(['*', '?', '[', ' '])
                || name.starts_with("refs/")
                || name.starts_with('-')
            {
                self.err(
                    from.span(),
                    format!("`promote-from` must name one branch (without refs/heads/), not `{name}`"),
                );
            } else if name == &key {
                self.err(from.span(), "a branch cannot be promoted from itself");
            }
        }
        let mut pushers = Vec::new();
        for p in raw.pushers {
            if p.get_ref().trim().is_empty() {
                self.err(p.span(), "empty pusher identity");
            } else {
                pushers.push(p.into_inner());
            }
        }
        Some(BranchRule {
            pattern: key,
            matcher,
            promote_from: raw.promote_from,
            force_push: raw.force_push,
            delete: raw.delete,
            pushers,
            forge_merges: raw.forge_merges,
            span,
        })
    }

    fn tag(&mut self, key: String, table: Spanned<raw::RawTag>) -> Option<TagRule> {
        let span = table.span();
        let matcher = self.pattern("tags", &key, &span)?;
        let raw = table.get_ref();
        Some(TagRule { pattern: key, matcher, immutable: raw.immutable, signed: raw.signed, span })
    }

    fn resolve(&self, p: &str) -> PathBuf {
        let path = Path::new(p);
        match self.base {
            Some(base) if path.is_relative() => base.join(path),
            _ => path.to_path_buf(),
        }
    }

    /// Expand a file glob relative to the policy file.
    fn expand(&self, pattern: &str) -> Result<Vec<PathBuf>, String> {
        let full = self.resolve(pattern);
        let full_str = full.to_string_lossy().to_string();
        if !full_str.contains(['*', '?', '[']) {
            return Ok(if full.is_file() { vec![full] } else { Vec::new() });
        }
        // Walk from the longest directory prefix without glob characters.
        let glob_at = full_str.find(['*', '?', '[']).unwrap_or(0);
        let root = PathBuf::from(&full_str[..full_str[..glob_at].rfind('/').map_or(0, |i| i + 1)]);
        let root = if root.as_os_str().is_empty() { PathBuf::from(".") } else { root };
        let matcher = GlobBuilder::new(&full_str)
            .literal_separator(true)
            .build()
            .map_err(|e| format!("invalid pattern `{pattern}`: {}", e.kind()))?
            .compile_matcher();
        let mut found = Vec::new();
        let mut stack = vec![(root, 0u8)];
        while let Some((dir, depth)) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            for entry in entries.flatten() {
                let path = entry.path();
                let Ok(ft) = entry.file_type() else { continue };
                if ft.is_dir() && depth < 8 {
                    stack.push((path, depth + 1));
                } else if matcher.is_match(&path) && path.is_file() {
                    found.push(path);
                }
            }
        }
        found.sort();
        Ok(found)
    }
}

/// "500ms", "60s", "2m", "1h" → a duration.
fn parse_duration(s: &str) -> Option<std::time::Duration> {
    let s = s.trim();
    let digits = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let n: u64 = s.get(..digits)?.parse().ok()?;
    let ms = match s.get(digits..)?.trim() {
        "ms" => n,
        "s" => n.checked_mul(1000)?,
        "m" => n.checked_mul(60_000)?,
        "h" => n.checked_mul(3_600_000)?,
        _ => return None,
    };
    Some(std::time::Duration::from_millis(ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("60s"), Some(std::time::Duration::from_secs(60)));
        assert_eq!(parse_duration("500ms"), Some(std::time::Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Some(std::time::Duration::from_secs(120)));
        assert_eq!(parse_duration("2 m"), Some(std::time::Duration::from_secs(120)));
        for bad in ["", "s", "10", "10x", "-1s", "99999999999999999999h"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    fn parse(text: &str) -> Result<Policy, PolicyError> {
        Policy::parse(Source { name: "p.toml".into(), text: text.into() }, Origin::Embedded, None)
    }

    #[test]
    fn embedded_default_is_valid() {
        let p = Policy::embedded();
        assert!(p.secrets.is_some() && p.pii.is_some());
        assert_eq!(p.signatures.require, Require::Off);
        assert!(p.branches.is_empty());
    }

    #[test]
    fn globs_do_not_cross_slashes() {
        let p = parse("[branches.\"release/*\"]\nforce-push = false\n").unwrap();
        assert!(p.is_protected("release/1.0"));
        assert!(!p.is_protected("release/1.0/hotfix"));
        assert!(!p.is_protected("main"));
    }

    #[test]
    fn a_key_without_glob_syntax_matches_as_the_glob_would() {
        let names = [
            "live",
            "Live",
            "live/x",
            "x/live",
            "lives",
            "alive",
            "",
            "release-1.0",
            "release-1x0",
            "a.b+c(d)",
            "a.b+c(d)e",
            "feature/x",
            "feature/y",
            "feature",
            "v1.0",
            "v1,0",
            "ü",
            "u",
            "a b",
            "a  b",
            "!x",
            "x",
        ];
        for key in ["live", "release-1.0", "a.b+c(d)", "feature/x", "v1.0", "ü", "a b", "!x", "^$.|+()"] {
            let exact = RefPattern::new(key).unwrap();
            assert!(matches!(exact, RefPattern::Exact(_)), "{key}");
            let glob = RefPattern::glob(key).unwrap();
            for name in names.iter().copied().chain([key]) {
                assert_eq!(exact.is_match(name), glob.is_match(name), "key {key:?}, name {name:?}");
            }
        }
        for key in ["release/*", "v[0-9]*", "{live,staging}", "a\\*", "x?"] {
            assert!(matches!(RefPattern::new(key), Ok(RefPattern::Glob(_))), "{key}");
        }
        assert!(RefPattern::new("a[").is_err());
    }

    #[test]
    fn push_size_limits() {
        let p = parse("[limits]\nmax-push-bytes = 4096\non-oversize = \"accept\"\n").unwrap();
        assert_eq!((p.limits.max_push_bytes, p.limits.accept_oversize), (Some(4096), true));
        let p = parse("").unwrap();
        assert_eq!((p.limits.max_push_bytes, p.limits.accept_oversize), (None, false));
        for bad in ["max-push-bytes = 0", "max-push-bytes = -1", "on-oversize = \"maybe\""] {
            let e = parse(&format!("[limits]\n{bad}\n")).unwrap_err().to_string();
            assert!(e.contains("p.toml:2:"), "{bad}: {e}");
            assert!(e.contains("max-push-bytes") || e.contains("on-oversize"), "{bad}: {e}");
        }
    }

    #[test]
    fn every_problem_is_reported() {
        let e = parse("[signatures]\nrequire = \"sometimes\"\n[branches.\"refs/heads/live\"]\n[branches.live]\npromote-from = \"st*\"\n").unwrap_err();
        let text = e.to_string();
        assert_eq!(e.diagnostics.len(), 3, "{text}");
        assert!(text.contains("p.toml:2:11"), "{text}");
        assert!(text.contains("without `refs/`"), "{text}");
        assert!(text.contains("must name one branch"), "{text}");
    }

    #[test]
    fn unknown_key_points_at_it() {
        let e = parse("[branches.live]\npromte-from = \"staging\"\n").unwrap_err();
        let text = e.to_string();
        assert!(text.contains("p.toml:2:1"), "{text}");
        assert!(text.contains("unknown field `promte-from`"), "{text}");
    }
}
