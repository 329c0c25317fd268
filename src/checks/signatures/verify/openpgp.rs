//! OpenPGP signatures (`-----BEGIN PGP SIGNATURE-----`) verified in-process with
//! sequoia-openpgp's streaming `DetachedVerifier` and `StandardPolicy`.
//!
//! sequoia evaluates the signing key at the signature's creation time: the key must be bound,
//! alive and not revoked *then*, so later expiry or a later soft revocation (superseded,
//! retired) leaves old signatures valid, while a hard revocation (compromised, or no reason)
//! invalidates all of them. StandardPolicy refuses MD5 and SHA-1 data signatures and weak
//! algorithms. Certificates are indexed by the key ID of every (sub)key, so a verification only
//! clones the certificates its issuer subpackets name.

use std::collections::HashMap;
use std::time::Duration;

use sequoia_openpgp as pgp;

use pgp::cert::prelude::*;
use pgp::packet::Signature;
use pgp::parse::Parse;
use pgp::parse::stream::{
    DetachedVerifierBuilder, GoodChecksum, MessageLayer, MessageStructure, VerificationError, VerificationHelper,
};
use pgp::policy::StandardPolicy;
use pgp::types::{RevocationStatus, RevocationType};
use pgp::{Cert, Fingerprint, KeyHandle, KeyID};

use super::{
    Format, LoadError, MAX_CLOCK_SKEW_SECS, SignedObject, Status, Verdict, VerifyOptions, echo, human_time, unix_secs,
};

/// Trusted certificates and an index from every (sub)key's key ID to the certificates holding it.
#[derive(Default)]
pub(super) struct Keyring {
    certs: Vec<(Cert, String)>,
    by_keyid: HashMap<KeyID, Vec<usize>>,
    by_fingerprint: HashMap<Fingerprint, usize>,
}

impl Keyring {
    pub(super) fn len(&self) -> usize {
        self.certs.len()
    }

    pub(super) fn add(&mut self, origin: &str, bytes: &[u8]) -> Result<usize, LoadError> {
        let parse_err = |e: anyhow::Error| LoadError::OpenPgp { origin: origin.to_owned(), reason: e.to_string() };
        let parser = CertParser::from_bytes(bytes).map_err(parse_err)?;
        let mut certs = Vec::new();
        for cert in parser {
            // Fail closed: a file with one broken certificate is refused, not half-loaded.
            // Secret key material, if someone exported a whole key, is dropped at once.
            certs.push(cert.map_err(parse_err)?.strip_secret_key_material());
        }
        if certs.is_empty() {
            return Err(LoadError::NoCertificates { origin: origin.to_owned() });
        }
        let count = certs.len();
        for cert in certs {
            self.insert(cert, origin);
        }
        Ok(count)
    }

    fn insert(&mut self, cert: Cert, origin: &str) {
        let fpr = cert.fingerprint();
        if let Some(&idx) = self.by_fingerprint.get(&fpr)
            && let Some(slot) = self.certs.get_mut(idx)
        {
            // The same certificate from two files: merge, so revocations and new subkeys from
            // either are honoured.
            if let Ok(merged) = slot.0.clone().merge_public(cert) {
                slot.0 = merged;
            }
            self.reindex(idx);
            return;
        }
        let idx = self.certs.len();
        self.certs.push((cert, origin.to_owned()));
        self.by_fingerprint.insert(fpr, idx);
        self.reindex(idx);
    }

    fn reindex(&mut self, idx: usize) {
        let Some((cert, _)) = self.certs.get(idx) else {
            return;
        };
        for ka in cert.keys() {
            let list = self.by_keyid.entry(ka.key().keyid()).or_default();
            if !list.contains(&idx) {
                list.push(idx);
            }
        }
    }

    /// The certificates holding a key named by any of the issuer handles.
    fn lookup(&self, ids: &[KeyHandle]) -> Vec<Cert> {
        let mut idxs: Vec<usize> =
            ids.iter().filter_map(|h| self.by_keyid.get(&KeyID::from(h))).flatten().copied().collect();
        idxs.sort_unstable();
        idxs.dedup();
        idxs.into_iter().filter_map(|i| self.certs.get(i).map(|(c, _)| c.clone())).collect()
    }

    pub(super) fn describe(&self) -> Vec<String> {
        let policy = StandardPolicy::new();
        self.certs
            .iter()
            .map(|(cert, origin)| {
                let uid = cert
                    .with_policy(&policy, None)
                    .ok()
                    .and_then(|vc| vc.primary_userid().ok().map(|u| uid_string(u.userid())))
                    .or_else(|| first_uid(cert))
                    .unwrap_or_else(|| "(no user ID)".to_owned());
                format!("{} {uid} (openpgp, {origin})", cert.fingerprint().to_hex())
            })
            .collect()
    }

    pub(super) fn verify(&self, obj: &SignedObject<'_>, opts: &VerifyOptions) -> Verdict {
        let policy = StandardPolicy::new();
        let helper = Helper { ring: self, policy: &policy, obj, opts, verdict: None };
        let bad = |what: &str, e: anyhow::Error| {
            Verdict::new(Status::Bad, Some(Format::OpenPgp), format!("{what}: {}", echo(&e.to_string(), 200)))
        };
        let builder = match DetachedVerifierBuilder::from_bytes(obj.signature) {
            Ok(b) => b,
            Err(e) => return bad("malformed OpenPGP signature", e),
        };
        // sequoia checks that the signature is alive at this time with zero tolerance when a
        // time is given; allow the same skew as `Helper::future`, which explains a refusal.
        let horizon = opts.now.checked_add(Duration::from_secs(MAX_CLOCK_SKEW_SECS.unsigned_abs())).unwrap_or(opts.now);
        let mut verifier = match builder.with_policy(&policy, Some(horizon), helper) {
            Ok(v) => v,
            Err(e) => return bad("malformed OpenPGP signature", e),
        };
        // `check` below always returns Ok and records its own verdict, so an Err here means the
        // signature data itself could not be processed.
        if let Err(e) = verifier.verify_bytes(obj.payload) {
            return bad("the OpenPGP signature could not be processed", e);
        }
        verifier
            .into_helper()
            .verdict
            .unwrap_or_else(|| Verdict::new(Status::Bad, Some(Format::OpenPgp), "the OpenPGP data holds no signature"))
    }
}

struct Helper<'a> {
    ring: &'a Keyring,
    policy: &'a StandardPolicy<'a>,
    obj: &'a SignedObject<'a>,
    opts: &'a VerifyOptions,
    verdict: Option<Verdict>,
}

impl VerificationHelper for Helper<'_> {
    fn get_certs(&mut self, ids: &[KeyHandle]) -> pgp::Result<Vec<Cert>> {
        Ok(self.ring.lookup(ids))
    }

    fn check(&mut self, structure: MessageStructure) -> pgp::Result<()> {
        let mut best: Option<(u8, Verdict)> = None;
        for layer in structure {
            if let MessageLayer::SignatureGroup { results } = layer {
                for result in results {
                    let judged = match result {
                        Ok(good) => self.judge_good(&good),
                        Err(e) => self.judge_error(&e),
                    };
                    if best.as_ref().is_none_or(|(r, _)| judged.0 > *r) {
                        best = Some(judged);
                    }
                }
            }
        }
        self.verdict = best.map(|(_, v)| v);
        Ok(())
    }
}

/// Outcome ranks: with several signatures in one block the most favourable one counts.
const RANK_BAD: u8 = 0;
const RANK_UNKNOWN: u8 = 1;
const RANK_REVOKED: u8 = 2;
const RANK_EXPIRED: u8 = 3;
const RANK_MISMATCH: u8 = 4;
const RANK_VALID: u8 = 5;

impl Helper<'_> {
    /// A signature that sequoia found cryptographically good under the policy at its creation time.
    fn judge_good(&self, good: &GoodChecksum<'_>) -> (u8, Verdict) {
        let ka = &good.ka;
        let vc = ka.valid_cert();
        let fpr = vc.fingerprint().to_hex();
        if let Some(v) = self.future(good.sig) {
            return (RANK_BAD, with_key(v, fpr));
        }
        let sig_time = sig_time_text(good.sig);
        let subkey = if ka.key().fingerprint() == vc.fingerprint() {
            String::new()
        } else {
            format!(" (signing subkey {})", ka.key().fingerprint().to_hex())
        };
        // User IDs valid and not revoked at signing time; a revoked user ID no longer vouches
        // for its address.
        let uids: Vec<(String, Option<String>)> = vc
            .userids()
            .filter(|u| !matches!(u.revocation_status(), RevocationStatus::Revoked(_)))
            .map(|u| {
                let email = u.userid().email().ok().flatten().map(str::to_lowercase);
                (uid_string(u.userid()), email)
            })
            .collect();
        let committer = self.obj.committer_email.map(str::to_lowercase);
        let matching = committer.as_deref().and_then(|c| uids.iter().find(|(_, e)| e.as_deref() == Some(c)));
        let primary =
            vc.primary_userid().ok().map(|u| uid_string(u.userid())).or_else(|| uids.first().map(|(u, _)| u.clone()));
        let signer = matching.map(|(u, _)| u.clone()).or(primary);
        let who = signer.clone().unwrap_or_else(|| "(no user ID)".to_owned());

        let (rank, mut v) = if self.opts.committer_must_match && matching.is_none() {
            (
                RANK_MISMATCH,
                verdict(
                    Status::Mismatch,
                    format!(
                        "good OpenPGP signature by {who}, key {fpr}{subkey}, but the committer e-mail {} \
                         is not one of the key's user IDs",
                        self.obj.committer_email.map_or_else(|| "(none)".to_owned(), |m| format!("<{}>", echo(m, 80)))
                    ),
                ),
            )
        } else {
            (
                RANK_VALID,
                verdict(Status::Valid, format!("good OpenPGP signature by {who}, key {fpr}{subkey}, made {sig_time}")),
            )
        };
        v.signer = signer;
        (rank, with_key(v, fpr))
    }

    fn judge_error(&self, e: &VerificationError<'_>) -> (u8, Verdict) {
        match e {
            VerificationError::MissingKey { sig } => {
                if let Some(v) = self.future(sig) {
                    return (RANK_BAD, v);
                }
                let issuers: Vec<String> = sig.get_issuers().iter().map(KeyHandle::to_hex).collect();
                let detail = if issuers.is_empty() {
                    "the OpenPGP signature names no issuer key, so no trusted key can be found".to_owned()
                } else {
                    format!("the OpenPGP signature was made by key {}, which is not trusted", issuers.join(" / "))
                };
                let mut v = verdict(Status::UnknownKey, detail);
                v.key = sig.get_issuers().first().map(KeyHandle::to_hex);
                (RANK_UNKNOWN, v)
            }
            VerificationError::UnboundKey { sig, cert, error } => {
                let fpr = cert.fingerprint().to_hex();
                if let Some(v) = self.future(sig) {
                    return (RANK_BAD, with_key(v, fpr));
                }
                let at = sig.signature_creation_time();
                if let RevocationStatus::Revoked(revs) = cert.revocation_status(self.policy, at) {
                    return (RANK_REVOKED, with_key(revoked(&fpr, &revs, first_uid(cert)), fpr));
                }
                let detail = format!(
                    "key {fpr} was not valid when the signature was made ({}): {}",
                    sig_time_text(sig),
                    echo(&error.to_string(), 200)
                );
                (RANK_BAD, with_key(verdict(Status::Bad, detail), fpr))
            }
            VerificationError::BadKey { sig, ka, error } => {
                let fpr = ka.valid_cert().fingerprint().to_hex();
                if let Some(v) = self.future(sig) {
                    return (RANK_BAD, with_key(v, fpr));
                }
                let mut revs = Vec::new();
                if let RevocationStatus::Revoked(r) = ka.valid_cert().revocation_status() {
                    revs.extend(r);
                }
                if let RevocationStatus::Revoked(r) = ka.revocation_status() {
                    revs.extend(r);
                }
                if !revs.is_empty() {
                    return (RANK_REVOKED, with_key(revoked(&fpr, &revs, primary_uid(ka.valid_cert())), fpr));
                }
                let expired = ka.valid_cert().alive().is_err() || ka.alive().is_err();
                let (rank, status, what) = if expired {
                    (RANK_EXPIRED, Status::Expired, "had expired")
                } else {
                    (RANK_BAD, Status::Bad, "was not usable for signing")
                };
                let detail = format!(
                    "key {fpr} {what} when the signature was made ({}): {}",
                    sig_time_text(sig),
                    echo(&error.to_string(), 200)
                );
                let mut v = verdict(status, detail);
                v.signer = primary_uid(ka.valid_cert());
                (rank, with_key(v, fpr))
            }
            VerificationError::BadSignature { sig, ka, error } => {
                let fpr = ka.valid_cert().fingerprint().to_hex();
                if let Some(v) = self.future(sig) {
                    return (RANK_BAD, with_key(v, fpr));
                }
                // The signature's own expiration (not the key's) is judged at `now`.
                let (rank, status, detail) = match error.downcast_ref::<pgp::Error>() {
                    Some(pgp::Error::Expired(_)) => {
                        (RANK_EXPIRED, Status::Expired, format!("the OpenPGP signature by key {fpr} has expired"))
                    }
                    Some(pgp::Error::PolicyViolation(..)) => (
                        RANK_BAD,
                        Status::Bad,
                        format!(
                            "the OpenPGP signature by key {fpr} uses {} with {}, which the policy \
                             refuses: {}",
                            sig.hash_algo(),
                            sig.pk_algo(),
                            echo(&error.to_string(), 200)
                        ),
                    ),
                    _ => (
                        RANK_BAD,
                        Status::Bad,
                        format!(
                            "the OpenPGP signature by key {fpr} does not verify: {}",
                            echo(&error.to_string(), 200)
                        ),
                    ),
                };
                let mut v = verdict(status, detail);
                v.signer = primary_uid(ka.valid_cert());
                (rank, with_key(v, fpr))
            }
            VerificationError::MalformedSignature { error, .. } => (
                RANK_BAD,
                verdict(Status::Bad, format!("malformed OpenPGP signature: {}", echo(&error.to_string(), 200))),
            ),
            VerificationError::UnknownSignature { .. } => {
                (RANK_BAD, verdict(Status::Bad, "unparsable or unsupported OpenPGP signature packet".to_owned()))
            }
            // VerificationError is non_exhaustive: anything new is not a pass.
            _ => (RANK_BAD, verdict(Status::Bad, format!("OpenPGP verification failed: {e}"))),
        }
    }

    /// Refuses signatures claiming a creation time too far after `now`: the time is chosen by
    /// the signer, and accepting the future would let a signature dodge a key's expiry.
    fn future(&self, sig: &Signature) -> Option<Verdict> {
        let t = sig.signature_creation_time()?;
        let limit = self.opts.now.checked_add(Duration::from_secs(MAX_CLOCK_SKEW_SECS.unsigned_abs()))?;
        (t > limit).then(|| {
            verdict(
                Status::Bad,
                format!("the OpenPGP signature claims to be made {}, in the future", sig_time_text(sig)),
            )
        })
    }
}

fn revoked(fpr: &str, revs: &[&Signature], signer: Option<String>) -> Verdict {
    let reason = revs.iter().find_map(|r| r.reason_for_revocation()).map_or_else(
        || " (no reason given, treated as compromised)".to_owned(),
        |(code, text)| {
            let kind = match code.revocation_type() {
                RevocationType::Hard => "hard",
                RevocationType::Soft => "soft",
            };
            let text = if text.is_empty() {
                String::new()
            } else {
                format!(", \"{}\"", echo(&String::from_utf8_lossy(text), 80))
            };
            format!(" ({kind} revocation: {code}{text})")
        },
    );
    let mut v = verdict(Status::Revoked, format!("key {fpr} is revoked{reason}"));
    v.signer = signer;
    v
}

fn verdict(status: Status, detail: String) -> Verdict {
    Verdict::new(status, Some(Format::OpenPgp), detail)
}

fn with_key(mut v: Verdict, fpr: String) -> Verdict {
    v.key = Some(fpr);
    v
}

fn primary_uid(vc: &ValidCert<'_>) -> Option<String> {
    vc.primary_userid().ok().map(|u| uid_string(u.userid()))
}

/// The first user ID without any policy (the certificate may not be valid at all).
fn first_uid(cert: &Cert) -> Option<String> {
    cert.userids().next().map(|u| uid_string(u.userid()))
}

fn uid_string(uid: &pgp::packet::UserID) -> String {
    echo(&String::from_utf8_lossy(uid.value()), 120)
}

fn sig_time_text(sig: &Signature) -> String {
    sig.signature_creation_time()
        .map_or_else(|| "at an unknown time".to_owned(), |t| format!("at {}", human_time(unix_secs(t))))
}
