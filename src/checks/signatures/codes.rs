//! Rule ids of the signature check.

use crate::rules::RuleMeta;

pub const UNSIGNED: &str = "signature/unsigned";
pub const BAD: &str = "signature/bad";
pub const UNKNOWN_KEY: &str = "signature/unknown-key";
pub const EXPIRED_KEY: &str = "signature/expired-key";
pub const REVOKED_KEY: &str = "signature/revoked-key";
pub const COMMITTER_MISMATCH: &str = "signature/committer-mismatch";
pub const LIGHTWEIGHT_TAG: &str = "signature/lightweight-tag";
pub const ERROR: &str = "signature/error";

pub const RULES: &[RuleMeta] = &[
    RuleMeta::new(UNSIGNED, "a new commit (or a protected tag) carries no signature"),
    RuleMeta::new(
        BAD,
        "a signature does not verify: tampered object, malformed or unrecognised signature, weak hash, future time",
    ),
    RuleMeta::new(UNKNOWN_KEY, "the signing key is not among the policy's trusted keys"),
    RuleMeta::new(EXPIRED_KEY, "the key had expired (or was outside its allowed_signers validity) when it signed"),
    RuleMeta::new(REVOKED_KEY, "the key was hard-revoked, or soft-revoked before it signed"),
    RuleMeta::new(COMMITTER_MISMATCH, "the signer's user-id e-mail / SSH principal is not the committer's e-mail"),
    RuleMeta::new(LIGHTWEIGHT_TAG, "a tag that policy says must be signed is a lightweight tag"),
    RuleMeta::new(ERROR, "a signature could not be checked"),
];
