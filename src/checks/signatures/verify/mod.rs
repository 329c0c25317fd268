//! In-process verification of git commit and tag signatures against the keys a policy trusts.
//!
//! A [`TrustStore`] is filled once at start-up from OpenPGP certificates and `allowed_signers`
//! files, then [`TrustStore::verify`] judges one signed object: it dispatches on the armor header
//! (`-----BEGIN PGP SIGNATURE-----` → sequoia-openpgp, `-----BEGIN SSH SIGNATURE-----` →
//! ssh-key's SSHSIG) and returns a [`Verdict`]. Nothing here shells out, prints or panics on
//! hostile input; every failure becomes a verdict with a one-sentence reason.
//!
//! Time semantics: a signature is judged at the moment it claims to have been made (the
//! OpenPGP signature creation time; for SSH, which has no signed time, the committer timestamp
//! as git does), so a key that expired or was soft-revoked *later* still validates history. A
//! hard revocation (key compromise, or no reason given) invalidates every signature. Because the
//! claimed time is chosen by the signer, times more than [`MAX_CLOCK_SKEW_SECS`] after `now`
//! are refused.

pub mod allowed_signers;
mod openpgp;
mod ssh;
#[cfg(test)]
mod tests;

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// How far a signature (OpenPGP) or commit (SSH) time may lie in the future before it is refused.
pub const MAX_CLOCK_SKEW_SECS: i64 = 5 * 60;

/// The signature technology of a verified object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// `-----BEGIN PGP SIGNATURE-----` (git `gpg.format=openpgp`).
    OpenPgp,
    /// `-----BEGIN SSH SIGNATURE-----` (git `gpg.format=ssh`).
    Ssh,
}

impl Format {
    /// The stable name used in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::OpenPgp => "openpgp",
            Format::Ssh => "ssh",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of verifying one object. Only [`Status::Valid`] is acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Cryptographically good, made by a trusted key that was alive and not revoked at signing
    /// time (SSH: inside the entry's validity window, namespace allowed) and, when required,
    /// bound to the committer's e-mail.
    Valid,
    /// The object carries no signature (never produced by [`TrustStore::verify`]; callers use
    /// [`Verdict::unsigned`] when there is no signature header).
    Unsigned,
    /// The signature is malformed, does not match the payload, uses a refused algorithm (e.g.
    /// SHA-1), has the wrong SSH namespace, claims a time in the future, or is not a format we
    /// know.
    Bad,
    /// No trusted key made it (or, SSH, the key's allowed_signers entries exclude namespace `git`).
    UnknownKey,
    /// Made by a trusted key that had expired at signing time (OpenPGP), whose signature
    /// itself expired, or (SSH) outside the entry's `valid-after`/`valid-before` window.
    Expired,
    /// Made by a trusted key that is hard-revoked, or was soft-revoked before the signature.
    Revoked,
    /// A good signature by a trusted key, but the committer e-mail is not one of the key's user
    /// ID e-mails (OpenPGP) / does not match its principals (SSH).
    Mismatch,
    /// Verification could not be carried out (internal trouble); fail closed.
    Error,
}

impl Status {
    /// The stable name used in JSON output and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Unsigned => "unsigned",
            Status::Bad => "bad",
            Status::UnknownKey => "unknown-key",
            Status::Expired => "expired",
            Status::Revoked => "revoked",
            Status::Mismatch => "mismatch",
            Status::Error => "error",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The judgement on one signed object.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Verdict {
    /// What was concluded.
    pub status: Status,
    /// Which signature technology, when recognised.
    pub format: Option<Format>,
    /// Who signed: the OpenPGP user ID (the one matching the committer, else the primary) or the
    /// SSH principal (the committer e-mail when it matched, else the entry's principal list).
    pub signer: Option<String>,
    /// The key: OpenPGP primary fingerprint (upper-case hex) or SSH `SHA256:...` fingerprint.
    pub key: Option<String>,
    /// One human sentence saying why. Holds only public data (fingerprints, user IDs, times).
    pub detail: String,
}

impl Verdict {
    /// The verdict for an object that has no signature at all.
    pub fn unsigned() -> Self {
        Verdict::new(Status::Unsigned, None, "the object is not signed")
    }

    fn new(status: Status, format: Option<Format>, detail: impl Into<String>) -> Self {
        Verdict { status, format, signer: None, key: None, detail: detail.into() }
    }

    /// True only for [`Status::Valid`].
    pub fn is_valid(&self) -> bool {
        self.status == Status::Valid
    }
}

/// Why a key file could not be loaded. The policy loader turns it into a diagnostic; a store
/// that failed to load must not be used half-filled.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The data parsed but held no certificate.
    #[error("{origin}: no OpenPGP certificate found")]
    NoCertificates {
        /// Where the data came from (a path, as the policy names it).
        origin: String,
    },
    /// The OpenPGP data could not be parsed.
    #[error("{origin}: not a valid OpenPGP certificate file: {reason}")]
    OpenPgp {
        /// Where the data came from.
        origin: String,
        /// The parser's complaint.
        reason: String,
    },
    /// One or more lines of an allowed_signers file are wrong (all are listed).
    #[error("{}", render_line_errors(origin, errors))]
    AllowedSigners {
        /// Where the text came from.
        origin: String,
        /// Every bad line.
        errors: Vec<allowed_signers::ParseError>,
    },
    /// An allowed_signers file with no entry: a policy that names it trusts nobody, which is
    /// almost certainly a mistake.
    #[error("{origin}: no allowed_signers entry found")]
    NoSigners {
        /// Where the text came from.
        origin: String,
    },
}

fn render_line_errors(origin: &str, errors: &[allowed_signers::ParseError]) -> String {
    errors.iter().map(|e| format!("{origin}:{}: {}", e.line, e.message)).collect::<Vec<_>>().join("\n")
}

/// A signed git object as the caller extracted it.
#[derive(Debug, Clone, Copy)]
pub struct SignedObject<'a> {
    /// The signed bytes: the commit without its `gpgsig*` headers, or the tag without the
    /// trailing signature.
    pub payload: &'a [u8],
    /// The armored signature (continuation spaces already removed).
    pub signature: &'a [u8],
    /// The committer (or tagger) e-mail, without angle brackets.
    pub committer_email: Option<&'a str>,
    /// The committer (or tagger) timestamp, unix seconds.
    pub commit_time: i64,
}

/// Knobs for one verification.
#[derive(Debug, Clone, Copy)]
pub struct VerifyOptions {
    /// Require the committer e-mail to be among the signer's user-ID e-mails / SSH principals.
    pub committer_must_match: bool,
    /// The trusted current time (the receipt time in a hook).
    pub now: SystemTime,
}

/// Every key the policy trusts, parsed once and indexed for lookup by issuer / public key.
#[derive(Default)]
pub struct TrustStore {
    openpgp: openpgp::Keyring,
    ssh: ssh::Signers,
}

impl fmt::Debug for TrustStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustStore")
            .field("openpgp_certs", &self.openpgp.len())
            .field("ssh_entries", &self.ssh.len())
            .finish()
    }
}

impl TrustStore {
    /// A store that trusts nobody: every signature verifies as `unknown-key` at best.
    pub fn empty() -> Self {
        TrustStore::default()
    }

    /// Adds OpenPGP certificates (armored or binary; several per file). Returns how many were
    /// read; zero certificates or any unparsable packet is an error.
    pub fn add_openpgp_bytes(&mut self, origin: &str, bytes: &[u8]) -> Result<usize, LoadError> {
        self.openpgp.add(origin, bytes)
    }

    /// Adds the entries of an allowed_signers file. Returns how many; any bad line (or a
    /// `cert-authority` entry, which is not supported) rejects the whole file.
    pub fn add_allowed_signers(&mut self, origin: &str, text: &str) -> Result<usize, LoadError> {
        self.ssh.add(origin, text)
    }

    /// Judges one signed object. Never panics; every problem is a verdict.
    pub fn verify(&self, obj: &SignedObject<'_>, opts: &VerifyOptions) -> Verdict {
        let sig = trim_ascii_start(obj.signature);
        if sig.iter().all(u8::is_ascii_whitespace) {
            return Verdict::new(Status::Bad, None, "the signature is empty");
        }
        let obj = SignedObject { signature: sig, ..*obj };
        if sig.starts_with(b"-----BEGIN PGP SIGNATURE-----") {
            self.openpgp.verify(&obj, opts)
        } else if sig.starts_with(b"-----BEGIN SSH SIGNATURE-----") {
            self.ssh.verify(&obj, opts)
        } else if sig.starts_with(b"-----BEGIN SIGNED MESSAGE-----") {
            Verdict::new(
                Status::Bad,
                None,
                "unrecognised signature format: X.509 (gpgsm/gitsign) signatures are not supported",
            )
        } else {
            Verdict::new(Status::Bad, None, "unrecognised signature format: expected an OpenPGP or SSH signature")
        }
    }

    /// One line per trusted key, for messages such as "the server trusts: ...".
    pub fn describe(&self) -> Vec<String> {
        let mut lines = self.openpgp.describe();
        lines.extend(self.ssh.describe());
        lines
    }

    /// True when no key at all is trusted.
    pub fn is_empty(&self) -> bool {
        self.openpgp.len() == 0 && self.ssh.len() == 0
    }
}

fn trim_ascii_start(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|c| !c.is_ascii_whitespace()).unwrap_or(b.len());
    b.get(start..).unwrap_or_default()
}

/// Unix seconds of a `SystemTime`, saturating (times before 1970 count as negative).
fn unix_secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

/// `2024-01-31 12:00:00 UTC`, for verdict details.
fn human_time(t: i64) -> String {
    // format_time gives YYYYMMDDHHMMSSZ; the year part may be longer or signed for absurd input.
    let s = allowed_signers::format_time(t);
    let Some(y_end) = s.len().checked_sub(11) else {
        return format!("{t} (unix time)");
    };
    let part = |from: usize, len: usize| s.get(from..from + len).unwrap_or("??");
    format!(
        "{}-{}-{} {}:{}:{} UTC",
        part(0, y_end),
        part(y_end, 2),
        part(y_end + 2, 2),
        part(y_end + 4, 2),
        part(y_end + 6, 2),
        part(y_end + 8, 2)
    )
}

/// Cuts signer-controlled text placed in a detail sentence.
fn echo(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut cut: String = s.chars().take(max).collect();
        cut.push('…');
        cut
    }
}
