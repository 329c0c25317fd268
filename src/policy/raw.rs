//! The policy file as written: serde structs that mirror `policy.toml` key for key.
//!
//! Every struct denies unknown fields and uses kebab-case, so a typo is an error with a position
//! rather than a silently ignored rule. No `flatten` and no `untagged` enums: both destroy serde's
//! unknown-key errors. Values that are validated later (globs, branch names, paths) keep their
//! span so that a validation error, and a finding, can point at `file:line:col`.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// The whole `policy.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawPolicy {
    #[serde(default)]
    pub signatures: RawSignatures,
    /// `[branches.<name or glob>]`; `refs/heads/` is implied.
    #[serde(default)]
    pub branches: BTreeMap<String, Spanned<RawBranch>>,
    /// `[tags.<glob>]`; `refs/tags/` is implied.
    #[serde(default)]
    pub tags: BTreeMap<String, Spanned<RawTag>>,
    pub secrets: Option<crate::checks::content::secrets::SecretsConfig>,
    pub pii: Option<crate::checks::content::pii::PiiConfig>,
    pub limits: Option<RawLimits>,
    pub bypass: Option<RawBypass>,
    pub audit: Option<RawAudit>,
}

/// `[signatures]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawSignatures {
    pub require: Option<Spanned<String>>,
    #[serde(default)]
    pub openpgp_certs: Vec<Spanned<String>>,
    pub ssh_allowed_signers: Option<Spanned<String>>,
    pub committer_must_match: Option<bool>,
    /// Accept unsigned merge commits made by the forge (Gitea PR merge, GitLab web merge) whose
    /// parents are old history or verified new commits.
    #[serde(default)]
    pub unsigned_forge_merges: bool,
}

/// `[branches.<pattern>]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawBranch {
    pub promote_from: Option<Spanned<String>>,
    #[serde(default)]
    pub force_push: bool,
    #[serde(default)]
    pub delete: bool,
    #[serde(default)]
    pub pushers: Vec<Spanned<String>>,
    #[serde(default)]
    pub forge_merges: bool,
}

/// `[tags.<pattern>]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawTag {
    #[serde(default)]
    pub immutable: bool,
    /// Tags matching the pattern must be annotated and carry a valid signature.
    #[serde(default)]
    pub signed: bool,
}

/// `[limits]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawLimits {
    /// Text blobs larger than this many bytes are not scanned (and listed as skipped).
    pub max_blob_bytes: Option<Spanned<i64>>,
    /// Whether a skipped (binary or over-size) blob blocks the push.
    #[serde(default)]
    pub skipped_blobs_block: bool,
    /// Time budget for the checks of one push: "500ms", "60s", "2m".
    pub time: Option<Spanned<String>>,
    /// What happens when the budget is exceeded: "reject" (default) or "accept".
    pub on_timeout: Option<Spanned<String>>,
    /// A push whose objects take more than this many bytes as received (the quarantine's packs
    /// and loose objects) is over the limit.
    pub max_push_bytes: Option<Spanned<i64>>,
    /// What happens to a push over `max-push-bytes`: "reject" (default) or "accept".
    pub on_oversize: Option<Spanned<String>>,
}

/// `[bypass]`: who may override findings with `git push -o pushgate.bypass="<reason>"`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawBypass {
    #[serde(default)]
    pub identities: Vec<Spanned<String>>,
    /// Finding categories a bypass may override; default `["secret", "pii"]`.
    pub categories: Option<Vec<Spanned<String>>>,
}

/// `[audit]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawAudit {
    /// File that receives one JSON line per push decision (relative to the policy file).
    pub log: Spanned<String>,
}
