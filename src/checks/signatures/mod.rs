//! Signed commits and tags: every new commit that policy says must be signed carries a signature
//! that verifies, in-process, against a key the policy trusts (see `verify/`). Also the
//! per-object verdicts of `pushgate verify`.
//!
//! The signed payload is extracted with gix exactly as git does: a commit without its `gpgsig`
//! (`gpgsig-sha256` in SHA-256 repositories) header, a tag without its trailing signature.

pub mod codes;
pub mod verify;

use std::time::SystemTime;

use gix::ObjectId;
use rayon::prelude::*;

use crate::policy::{Policy, Require};
use crate::push::{Push, WalkError};
use crate::report::{Category, Finding};
use codes::*;
use verify::{SignedObject, Status, TrustStore, Verdict, VerifyOptions};

/// What kind of object a verdict is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ObjectKind {
    Commit,
    Tag,
}

/// A signed (or unsigned) object read from the repository, ready to verify.
struct Extracted {
    kind: ObjectKind,
    payload: Vec<u8>,
    signature: Option<Vec<u8>>,
    email: Option<String>,
    time: i64,
    /// Set when the object could not be parsed: the verdict is `bad`.
    malformed: Option<String>,
}

fn read(repo: &gix::Repository, id: ObjectId) -> Result<Extracted, WalkError> {
    let obj = repo.find_object(id).map_err(|e| WalkError::Object { id, message: e.to_string() })?;
    let hash = repo.object_hash();
    let data = &obj.data;
    let malformed = |kind, why: String| Extracted {
        kind,
        payload: Vec::new(),
        signature: None,
        email: None,
        time: 0,
        malformed: Some(why),
    };
    match obj.kind {
        gix::object::Kind::Commit => {
            let committer = gix::objs::CommitRef::from_bytes(data, hash).and_then(|c| c.committer());
            let (email, time) = match committer {
                Ok(c) => (Some(c.email.to_string().trim().to_string()), c.seconds()),
                Err(e) => return Ok(malformed(ObjectKind::Commit, format!("the commit cannot be parsed: {e}"))),
            };
            match gix::objs::CommitRefIter::signature(data, hash) {
                Ok(Some((sig, signed))) => Ok(Extracted {
                    kind: ObjectKind::Commit,
                    payload: signed.to_bstring().into(),
                    signature: Some(sig.to_vec()),
                    email,
                    time,
                    malformed: None,
                }),
                Ok(None) => Ok(Extracted {
                    kind: ObjectKind::Commit,
                    payload: Vec::new(),
                    signature: None,
                    email,
                    time,
                    malformed: None,
                }),
                Err(e) => {
                    Ok(malformed(ObjectKind::Commit, format!("the commit's signature header cannot be parsed: {e}")))
                }
            }
        }
        gix::object::Kind::Tag => {
            let tagger = gix::objs::TagRef::from_bytes(data, hash).and_then(|t| t.tagger());
            let (email, time) = match tagger {
                Ok(Some(t)) => (Some(t.email.to_string().trim().to_string()), t.seconds()),
                Ok(None) => (None, 0),
                Err(e) => return Ok(malformed(ObjectKind::Tag, format!("the tag cannot be parsed: {e}"))),
            };
            let (payload, signature) = match gix::objs::TagRefIter::signature(data) {
                Some((sig, signed)) => (signed.to_bstring().into(), Some(sig.data.to_vec())),
                None => (Vec::new(), None),
            };
            Ok(Extracted { kind: ObjectKind::Tag, payload, signature, email, time, malformed: None })
        }
        other => Ok(malformed(ObjectKind::Commit, format!("a {other} is neither a commit nor a tag"))),
    }
}

fn judge(e: &Extracted, trust: &TrustStore, opts: &VerifyOptions) -> Verdict {
    if let Some(why) = &e.malformed {
        return Verdict { status: Status::Bad, format: None, signer: None, key: None, detail: why.clone() };
    }
    let Some(sig) = &e.signature else { return Verdict::unsigned() };
    trust.verify(
        &SignedObject { payload: &e.payload, signature: sig, committer_email: e.email.as_deref(), commit_time: e.time },
        opts,
    )
}

/// Verify a batch of objects; reading is sequential (the repository is not `Sync`), the
/// cryptography runs on all cores.
pub fn verify_many(
    repo: &gix::Repository,
    ids: &[ObjectId],
    trust: &TrustStore,
    opts: &VerifyOptions,
) -> Result<Vec<(ObjectId, ObjectKind, Verdict)>, WalkError> {
    let extracted = ids.iter().map(|id| read(repo, *id).map(|e| (*id, e))).collect::<Result<Vec<_>, _>>()?;
    let verify = |(id, e): (ObjectId, Extracted)| (id, e.kind, judge(&e, trust, opts));
    Ok(if crate::par::worth_it(extracted.len()) {
        extracted.into_par_iter().map(verify).collect()
    } else {
        extracted.into_iter().map(verify).collect()
    })
}

fn rule_for(status: Status) -> &'static str {
    match status {
        Status::Valid => "signature/valid",
        Status::Unsigned => UNSIGNED,
        Status::Bad => BAD,
        Status::UnknownKey => UNKNOWN_KEY,
        Status::Expired => EXPIRED_KEY,
        Status::Revoked => REVOKED_KEY,
        Status::Mismatch => COMMITTER_MISMATCH,
        Status::Error => ERROR,
    }
}

const SIGN_HELP: &str = "sign with `git commit -S` (SSH keys: git config gpg.format ssh; git config user.signingkey ~/.ssh/id_ed25519.pub);\n\
re-sign a range: git rebase --exec 'git commit --amend --no-edit -S' <base>";

fn finding(what: &str, id: ObjectId, v: &Verdict, trust: &TrustStore, policy: &Policy) -> Finding {
    let short = id.to_hex_with_len(7);
    let by = v.signer.as_deref().or(v.key.as_deref()).map(|s| format!(" by {s}")).unwrap_or_default();
    let (message, help) = match v.status {
        Status::Unsigned => (format!("{what} {short} is not signed"), SIGN_HELP.to_string()),
        Status::UnknownKey => (
            format!("{what} {short} is signed{by} with a key the server does not trust"),
            format!("sign with a trusted key, or ask an administrator to add your public key to the policy; trusted: {}", trusted(trust)),
        ),
        Status::Bad => (
            format!("{what} {short} has a signature that does not verify: {}", v.detail),
            format!("re-sign it with a trusted key; {SIGN_HELP}"),
        ),
        Status::Expired => (
            format!("{what} {short} is signed{by}, but the key was not valid when it signed: {}", v.detail),
            "renew the key's expiry (or use a current key), then re-sign the commits".to_string(),
        ),
        Status::Revoked => (
            format!("{what} {short} is signed{by} with a revoked key: {}", v.detail),
            "a revoked key can no longer vouch for commits: sign with a new key and have it trusted".to_string(),
        ),
        Status::Mismatch => (
            format!("{what} {short} is signed{by}, which does not match its committer: {}", v.detail),
            "commit with the e-mail address of your key (git config user.email), then re-sign; or add that address to the key"
                .to_string(),
        ),
        Status::Valid | Status::Error => (format!("{what} {short}: {}", v.detail), "report this to the administrator".to_string()),
    };
    let mut f = Finding::new(rule_for(v.status), Category::Signature, message).in_commit(id).help(help);
    if let Some(span) = &policy.signatures.require_span {
        f = f.policy(policy.label(span));
    }
    f
}

fn trusted(trust: &TrustStore) -> String {
    let all = trust.describe();
    let mut s = all.iter().take(3).cloned().collect::<Vec<_>>().join("; ");
    if all.len() > 3 {
        s.push_str(&format!("; and {} more", all.len() - 3));
    }
    if s.is_empty() { "no key".into() } else { s }
}

/// Check the signatures of the push's new commits and of tags that policy says must be signed.
pub fn check(push: &Push, policy: &Policy, now: SystemTime) -> Result<Vec<Finding>, WalkError> {
    let sigs = &policy.signatures;
    let opts = VerifyOptions { committer_must_match: sigs.committer_must_match, now };
    let mut out = Vec::new();
    let required: Vec<ObjectId> = push
        .commits
        .iter()
        .filter(|c| match sigs.require {
            Require::All => true,
            Require::Off => false,
            Require::Protected => {
                c.refs.iter().any(|&i| push.updates[i].branch().is_some_and(|b| policy.is_protected(b)))
            }
        })
        .map(|c| c.id)
        .collect();
    let verdicts = verify_many(&push.repo.repo, &required, &policy.trust, &opts)?;
    let valid: std::collections::HashSet<ObjectId> =
        verdicts.iter().filter(|(_, _, v)| v.is_valid()).map(|(id, _, _)| *id).collect();
    for (id, _, v) in &verdicts {
        if v.is_valid() {
            continue;
        }
        if v.status == Status::Unsigned && sigs.unsigned_forge_merges && forge_merge_of_verified(push, *id, &valid) {
            continue;
        }
        let mut f = finding("commit", *id, v, &policy.trust, policy);
        if let Some(r) = push.ref_of(*id) {
            f = f.at_ref(r);
        }
        out.push(f);
    }
    out.extend(check_tags(push, policy, &opts)?);
    Ok(out)
}

/// An unsigned merge the forge made in its UI is accepted (when policy says so) if each parent is
/// either old history or a new commit whose signature verified.
fn forge_merge_of_verified(push: &Push, id: ObjectId, valid: &std::collections::HashSet<ObjectId>) -> bool {
    if !push.identity.forge_merge || !push.mode.is_server() {
        return false;
    }
    let Some(c) = push.commit(id) else { return false };
    c.parents.len() >= 2 && c.parents.iter().all(|p| !push.is_new(*p) || valid.contains(p))
}

fn check_tags(push: &Push, policy: &Policy, opts: &VerifyOptions) -> Result<Vec<Finding>, WalkError> {
    let mut out = Vec::new();
    for u in &push.updates {
        let (Some(tag), Some(new)) = (u.tag(), u.new) else { continue };
        let Some(rule) = policy.tags.iter().find(|r| r.signed && r.applies_to(tag)) else { continue };
        let label = policy.label(&rule.span);
        let obj = push.repo.repo.find_object(new).map_err(|e| WalkError::Object { id: new, message: e.to_string() })?;
        if obj.kind != gix::object::Kind::Tag {
            out.push(
                Finding::new(
                    LIGHTWEIGHT_TAG,
                    Category::Signature,
                    format!("tag {tag} must be an annotated, signed tag"),
                )
                .at_ref(&u.name)
                .policy(label)
                .help(format!("create it with `git tag -s {tag}` and push again")),
            );
            continue;
        }
        let verdicts = verify_many(&push.repo.repo, &[new], &policy.trust, opts)?;
        for (id, _, v) in verdicts.into_iter().filter(|(_, _, v)| !v.is_valid()) {
            let mut f =
                finding(&format!("tag {tag}"), id, &v, &policy.trust, policy).at_ref(&u.name).policy(label.clone());
            if v.status == Status::Unsigned {
                f = f.help(format!("sign it: git tag -s -f {tag} {tag}^{{}} , then push again"));
            }
            out.push(f);
        }
    }
    Ok(out)
}
