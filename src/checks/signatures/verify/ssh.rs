//! SSH signatures (`-----BEGIN SSH SIGNATURE-----`, OpenSSH SSHSIG) checked against
//! allowed_signers entries, with git's semantics: namespace `git`, the key must be listed, the
//! entry's `namespaces=` must allow `git`, and `valid-after`/`valid-before` are evaluated at the
//! committer timestamp (git passes it to ssh-keygen as `-Overify-time`). Unlike git, the
//! principal can be required to match the committer e-mail (`committer_must_match`).
//!
//! `cert-authority` entries are refused at load time: ssh-key 0.6 does not decode an SSHSIG
//! whose public key is a certificate, so such an entry could never verify anything, and
//! silently ignoring a line of a trust file is worse than saying so.

use std::collections::HashMap;

use ssh_key::{HashAlg, PublicKey, SshSig, public::KeyData};

use super::allowed_signers::{self, AllowedSigner, ParseError, match_pattern_list};
use super::{
    Format, LoadError, MAX_CLOCK_SKEW_SECS, SignedObject, Status, Verdict, VerifyOptions, echo, human_time, unix_secs,
};

/// The only namespace git signs commits and tags with.
const GIT_NAMESPACE: &str = "git";

struct Entry {
    origin: String,
    signer: AllowedSigner,
}

/// All trusted allowed_signers entries, indexed by public key.
#[derive(Default)]
pub(super) struct Signers {
    entries: Vec<Entry>,
    by_key: HashMap<KeyData, Vec<usize>>,
}

impl Signers {
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(super) fn add(&mut self, origin: &str, text: &str) -> Result<usize, LoadError> {
        let parsed = allowed_signers::parse(text)
            .map_err(|errors| LoadError::AllowedSigners { origin: origin.to_owned(), errors })?;
        let unsupported: Vec<ParseError> = parsed
            .iter()
            .filter(|s| s.cert_authority)
            .map(|s| ParseError {
                line: s.line,
                message: "cert-authority entries are not supported (SSH certificate signatures \
                          cannot be verified); list the signing public keys themselves"
                    .to_owned(),
            })
            .collect();
        if !unsupported.is_empty() {
            return Err(LoadError::AllowedSigners { origin: origin.to_owned(), errors: unsupported });
        }
        if parsed.is_empty() {
            return Err(LoadError::NoSigners { origin: origin.to_owned() });
        }
        let count = parsed.len();
        for signer in parsed {
            let idx = self.entries.len();
            self.by_key.entry(signer.key.key_data().clone()).or_default().push(idx);
            self.entries.push(Entry { origin: origin.to_owned(), signer });
        }
        Ok(count)
    }

    pub(super) fn describe(&self) -> Vec<String> {
        self.entries
            .iter()
            .map(|e| {
                format!(
                    "{} {} {} (ssh, {}:{})",
                    e.signer.key.fingerprint(HashAlg::Sha256),
                    e.signer.key.algorithm().as_str(),
                    e.signer.principals.join(","),
                    e.origin,
                    e.signer.line
                )
            })
            .collect()
    }

    pub(super) fn verify(&self, obj: &SignedObject<'_>, opts: &VerifyOptions) -> Verdict {
        let bad = |detail: String| Verdict::new(Status::Bad, Some(Format::Ssh), detail);
        let sig = match SshSig::from_pem(obj.signature) {
            Ok(sig) => sig,
            Err(e) => return bad(format!("malformed SSH signature: {e}")),
        };
        let key = PublicKey::from(sig.public_key().clone());
        let fingerprint = key.fingerprint(HashAlg::Sha256).to_string();
        let with_key = |mut v: Verdict| {
            v.key = Some(fingerprint.clone());
            v
        };
        if sig.namespace() != GIT_NAMESPACE {
            return with_key(bad(format!(
                "the SSH signature is for namespace `{}`, not `git`",
                echo(sig.namespace(), 40)
            )));
        }
        let now = unix_secs(opts.now);
        if obj.commit_time > now.saturating_add(MAX_CLOCK_SKEW_SECS) {
            return with_key(bad(format!(
                "the commit is dated {}, in the future, so its SSH signature cannot be judged",
                human_time(obj.commit_time)
            )));
        }
        // The signature carries its public key, so the cryptographic check needs no trust
        // decision: a forged or damaged signature is `bad` whoever claims to have made it.
        if let Err(e) = key.verify(GIT_NAMESPACE, obj.payload, &sig) {
            return with_key(bad(format!("the SSH signature does not match the signed data ({e})")));
        }
        let Some(candidates) = self.by_key.get(sig.public_key()) else {
            return with_key(Verdict::new(
                Status::UnknownKey,
                Some(Format::Ssh),
                format!("SSH key {fingerprint} is not in any trusted allowed_signers file"),
            ));
        };
        // Several lines may list the same key; the most favourable outcome wins, as with
        // ssh-keygen trying every matching principal.
        let best = candidates
            .iter()
            .filter_map(|&i| self.entries.get(i))
            .map(|e| judge(e, obj, opts, &fingerprint))
            .max_by_key(|(rank, _)| *rank)
            .map(|(_, v)| v);
        with_key(best.unwrap_or_else(|| {
            Verdict::new(Status::Error, Some(Format::Ssh), "internal error: SSH key index points at no entry")
        }))
    }
}

/// Judges one entry for a cryptographically good signature; the rank orders outcomes from
/// "least matching" to valid.
fn judge(e: &Entry, obj: &SignedObject<'_>, opts: &VerifyOptions, fingerprint: &str) -> (u8, Verdict) {
    let s = &e.signer;
    let at = format!("{}:{}", e.origin, s.line);
    let principals = s.principals.join(",");
    if let Some(ns) = &s.namespaces
        && !match_pattern_list(GIT_NAMESPACE, ns, false)
    {
        return (
            0,
            Verdict::new(
                Status::UnknownKey,
                Some(Format::Ssh),
                format!("SSH key {fingerprint} is trusted at {at} only for namespaces \"{}\", not git", ns.join(",")),
            ),
        );
    }
    let matched_email = obj.committer_email.filter(|email| match_pattern_list(email, &s.principals, true));
    let mut verdict = if opts.committer_must_match && matched_email.is_none() {
        (
            1,
            Verdict::new(
                Status::Mismatch,
                Some(Format::Ssh),
                format!(
                    "good SSH signature by {principals} ({at}), but the committer e-mail {} \
                         does not match those principals",
                    obj.committer_email.map_or_else(|| "(none)".to_owned(), |m| format!("<{}>", echo(m, 80)))
                ),
            ),
        )
    } else if let Some(after) = s.valid_after.filter(|&a| obj.commit_time < a) {
        (
            2,
            Verdict::new(
                Status::Expired,
                Some(Format::Ssh),
                format!(
                    "SSH key {fingerprint} is valid only from {} ({at}), but the commit is dated {}",
                    human_time(after),
                    human_time(obj.commit_time)
                ),
            ),
        )
    } else if let Some(before) = s.valid_before.filter(|&b| obj.commit_time > b) {
        (
            2,
            Verdict::new(
                Status::Expired,
                Some(Format::Ssh),
                format!(
                    "SSH key {fingerprint} is valid only until {} ({at}), but the commit is dated {}",
                    human_time(before),
                    human_time(obj.commit_time)
                ),
            ),
        )
    } else {
        (
            3,
            Verdict::new(
                Status::Valid,
                Some(Format::Ssh),
                format!(
                    "good SSH signature by {} with key {fingerprint}, trusted at {at}",
                    matched_email.unwrap_or(&principals)
                ),
            ),
        )
    };
    verdict.1.signer = Some(matched_email.map_or(principals, str::to_owned));
    verdict
}
