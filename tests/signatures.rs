//! Signed commits and tags, made with the real `gpg` and `ssh-keygen` through the real `git`, and
//! pushed into a bare repository whose pre-receive hook is pushgate.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

use common::TestRemote;

const OPENPGP_ALL: &str = "[signatures]\nrequire = \"all\"\nopenpgp-certs = [\"keys/*.asc\"]\n";

fn ssh_policy(t: &TestRemote, signers: &str) {
    std::fs::write(t.home().join("keys").join("allowed_signers"), signers).unwrap();
    t.set_policy("[signatures]\nrequire = \"all\"\nssh-allowed-signers = \"keys/allowed_signers\"\n");
}

#[test]
fn a_good_openpgp_signature_is_accepted_and_an_unsigned_commit_refused() {
    let t = TestRemote::new("");
    let fpr = t.gpg_key("Dev One", "dev@example.org", "dev.asc");
    t.set_policy(OPENPGP_ALL);
    t.sign_with_gpg(&fpr);
    t.commit("a", "1\n", "signed");
    let p = t.push(&["HEAD:development"]);
    assert!(p.ok, "{}", p.stderr);

    t.no_signing();
    let c = t.commit("a", "2\n", "unsigned");
    let before = t.server_ref("refs/heads/development");
    let p = t.push(&["HEAD:development"]);
    assert!(!p.ok);
    let text = p.remote_lines();
    assert!(text.contains(&format!("error[signature/unsigned]: commit {} is not signed", &c[..7])), "{text}");
    assert!(text.contains("git commit -S"), "{text}");
    assert_eq!(t.server_ref("refs/heads/development"), before);
}

#[test]
fn a_key_the_server_does_not_trust_is_refused() {
    let t = TestRemote::new("");
    t.gpg_key("Dev One", "dev@example.org", "dev.asc");
    // A second key, with the same e-mail, that the policy does not list.
    let other = t.gpg_key("Dev One (laptop)", "dev@example.org", "other.key");
    t.set_policy(OPENPGP_ALL);
    t.sign_with_gpg(&other);
    t.commit("a", "1\n", "signed by an untrusted key");
    let p = t.push(&["HEAD:development"]);
    assert!(!p.ok);
    let text = p.remote_lines();
    assert!(text.contains("error[signature/unknown-key]"), "{text}");
    assert!(text.contains("does not trust"), "{text}");
}

#[test]
fn the_committer_must_match_the_key() {
    let t = TestRemote::new("");
    let fpr = t.gpg_key("Someone Else", "else@example.org", "else.asc");
    t.set_policy(OPENPGP_ALL);
    t.sign_with_gpg(&fpr);
    t.commit("a", "1\n", "committed as dev@, signed by else@");
    let p = t.push(&["HEAD:development"]);
    assert!(!p.ok);
    assert!(p.remote_lines().contains("error[signature/committer-mismatch]"), "{}", p.stderr);
    // With committer-must-match = false the same commit is fine.
    t.set_policy(&format!("{OPENPGP_ALL}committer-must-match = false\n"));
    assert!(t.push(&["HEAD:development"]).ok);
}

#[test]
fn good_ssh_signatures_and_keys_not_in_allowed_signers() {
    let t = TestRemote::new("");
    let dev = t.ssh_key("dev");
    t.ssh_key("stranger");
    ssh_policy(&t, &format!("dev@example.org namespaces=\"git\" {dev}\n"));
    t.sign_with_ssh("dev");
    t.commit("a", "1\n", "ssh signed");
    let p = t.push(&["HEAD:development"]);
    assert!(p.ok, "{}", p.stderr);

    t.sign_with_ssh("stranger");
    t.commit("a", "2\n", "signed by a stranger");
    let p = t.push(&["HEAD:development"]);
    assert!(!p.ok);
    assert!(p.remote_lines().contains("error[signature/unknown-key]"), "{}", p.stderr);
}

#[test]
fn ssh_principals_must_match_the_committer() {
    let t = TestRemote::new("");
    let dev = t.ssh_key("dev");
    ssh_policy(&t, &format!("*@ops.example.org {dev}\n"));
    t.sign_with_ssh("dev");
    t.commit("a", "1\n", "committer dev@example.org is not *@ops.example.org");
    let p = t.push(&["HEAD:development"]);
    assert!(!p.ok);
    assert!(p.remote_lines().contains("signature/committer-mismatch"), "{}", p.stderr);
}

#[test]
fn a_signature_copied_onto_a_changed_commit_is_bad() {
    let t = TestRemote::new("");
    let fpr = t.gpg_key("Dev One", "dev@example.org", "dev.asc");
    t.set_policy(OPENPGP_ALL);
    t.sign_with_gpg(&fpr);
    let c = t.commit("a", "1\n", "original message");
    let raw = t.git(&["cat-file", "commit", &c]);
    let forged = raw.replace("original message", "forged message");
    let path = t.home().join("forged");
    std::fs::write(&path, forged).unwrap();
    let id = t.git(&["hash-object", "-t", "commit", "-w", path.to_str().unwrap()]).trim().to_string();
    let p = t.push(&[&format!("{id}:refs/heads/development")]);
    assert!(!p.ok);
    let text = p.remote_lines();
    assert!(text.contains("error[signature/bad]"), "{text}");
    assert_eq!(t.server_ref("refs/heads/development"), None);
}

#[test]
fn garbage_in_the_signature_header_is_bad() {
    let t = TestRemote::new("");
    t.gpg_key("Dev One", "dev@example.org", "dev.asc");
    t.set_policy(OPENPGP_ALL);
    let c = t.commit("a", "1\n", "unsigned");
    let raw = t.git(&["cat-file", "commit", &c]);
    let (head, body) = raw.split_once("\n\n").unwrap();
    let forged = format!(
        "{head}\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n AAAAnot-base64!!\n -----END PGP SIGNATURE-----\n\n{body}"
    );
    let path = t.home().join("garbage");
    std::fs::write(&path, forged).unwrap();
    let id = t.git(&["hash-object", "-t", "commit", "-w", path.to_str().unwrap()]).trim().to_string();
    let p = t.push(&[&format!("{id}:refs/heads/development")]);
    assert!(!p.ok);
    assert!(p.remote_lines().contains("error[signature/bad]"), "{}", p.stderr);
}

#[test]
fn unsigned_history_from_before_the_policy_is_left_alone() {
    let t = TestRemote::new("");
    for i in 0..5 {
        t.commit("a", &format!("{i}\n"), "old unsigned work");
    }
    assert!(t.push(&["HEAD:development"]).ok);
    let fpr = t.gpg_key("Dev One", "dev@example.org", "dev.asc");
    t.set_policy(OPENPGP_ALL);
    t.sign_with_gpg(&fpr);
    t.commit("a", "new\n", "signed");
    let p = t.push(&["HEAD:development"]);
    assert!(p.ok, "{}", p.stderr);
    assert!(p.remote_lines().contains("push accepted (1 commit checked)"), "{}", p.stderr);
    // A new branch from old history introduces no commit and needs no signature.
    let p = t.push(&["HEAD~3:refs/heads/old-topic"]);
    assert!(p.ok, "{}", p.stderr);
}

#[test]
fn require_protected_only_judges_commits_for_protected_branches() {
    let t = TestRemote::new("");
    t.gpg_key("Dev One", "dev@example.org", "dev.asc");
    t.set_policy("[signatures]\nrequire = \"protected\"\nopenpgp-certs = [\"keys/dev.asc\"]\n[branches.live]\n");
    t.commit("a", "1\n", "unsigned");
    assert!(t.push(&["HEAD:topic"]).ok);
    t.commit("a", "2\n", "unsigned too");
    let p = t.push(&["HEAD:live"]);
    assert!(!p.ok);
    assert!(p.remote_lines().contains("signature/unsigned"), "{}", p.stderr);
}

#[test]
fn protected_tags_must_be_annotated_and_signed() {
    let t = TestRemote::new("");
    let fpr = t.gpg_key("Dev One", "dev@example.org", "dev.asc");
    t.set_policy("[signatures]\nopenpgp-certs = [\"keys/dev.asc\"]\n[tags.\"v*\"]\nsigned = true\n");
    t.commit("a", "1\n", "work");
    assert!(t.push(&["HEAD:development"]).ok);
    t.git(&["tag", "v1.0"]);
    let p = t.push(&["v1.0"]);
    assert!(!p.ok);
    assert!(p.remote_lines().contains("error[signature/lightweight-tag]"), "{}", p.stderr);
    t.git(&["tag", "-a", "-m", "release", "v1.1"]);
    let p = t.push(&["v1.1"]);
    assert!(!p.ok);
    assert!(p.remote_lines().contains("error[signature/unsigned]: tag v1.1"), "{}", p.stderr);
    t.git(&["tag", "-s", "-u", &fpr, "-m", "release", "v1.2"]);
    let p = t.push(&["v1.2"]);
    assert!(p.ok, "{}", p.stderr);
    // Other tags are not concerned.
    t.git(&["tag", "nightly"]);
    assert!(t.push(&["nightly"]).ok);
}

#[test]
fn unsigned_forge_merges_of_verified_commits_are_accepted_when_policy_says_so() {
    let t = TestRemote::new("");
    let fpr = t.gpg_key("Dev One", "dev@example.org", "dev.asc");
    t.set_policy(&format!("{OPENPGP_ALL}unsigned-forge-merges = true\n"));
    t.sign_with_gpg(&fpr);
    let base = t.commit("a", "1\n", "signed base");
    assert!(t.push(&["HEAD:development"]).ok);
    t.git(&["checkout", "-q", "-b", "feature"]);
    t.commit("b", "1\n", "signed feature");
    t.git(&["checkout", "-q", "development"]);
    t.no_signing();
    t.commit("c", "1\n", "x");
    t.git(&["reset", "-q", "--hard", &base]);
    t.git(&["merge", "-q", "--no-ff", "--no-gpg-sign", "-m", "Merge pull request", "feature"]);
    // A developer pushing an unsigned merge: refused.
    let p = t.push_as(&[("GITEA_PUSHER_NAME", "dev"), ("GITEA_PR_ID", "0")], &["HEAD:development"]);
    assert!(!p.ok);
    assert!(p.remote_lines().contains("signature/unsigned"), "{}", p.stderr);
    // Gitea merging the pull request: accepted, the merged commit itself is verified.
    let p = t.push_as(&[("GITEA_PUSHER_NAME", "dev"), ("GITEA_PR_ID", "42")], &["HEAD:development"]);
    assert!(p.ok, "{}", p.stderr);
}

#[test]
fn verify_reports_each_object_as_json() {
    let t = TestRemote::new("");
    let fpr = t.gpg_key("Dev One", "dev@example.org", "dev.asc");
    t.set_policy(OPENPGP_ALL);
    t.commit("a", "1\n", "unsigned");
    t.sign_with_gpg(&fpr);
    let signed = t.commit("a", "2\n", "signed");
    let policy = t.policy.to_str().unwrap().to_string();
    let out =
        t.pushgate(&t.work, &["verify", "--format", "json", "--policy", &policy, "HEAD~1..HEAD", "HEAD~1"], b"", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let objects = v["objects"].as_array().unwrap();
    assert_eq!(objects.len(), 2);
    let by_status = |s: &str| objects.iter().find(|o| o["status"] == s).unwrap();
    assert_eq!(by_status("valid")["id"], signed.as_str());
    assert_eq!(by_status("valid")["format"], "openpgp");
    assert_eq!(by_status("valid")["kind"], "commit");
    assert!(by_status("valid")["signer"].as_str().unwrap().contains("dev@example.org"));
    assert_eq!(by_status("unsigned")["format"], serde_json::Value::Null);
    // --stdin, all valid: exit 0.
    let out = t.pushgate(&t.work, &["verify", "--stdin", "--policy", &policy], format!("{signed}\n").as_bytes(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stdout).contains(" commit valid openpgp "));
}

#[test]
fn a_policy_whose_key_file_does_not_parse_refuses_every_push() {
    let t = TestRemote::new("");
    std::fs::create_dir_all(t.home().join("keys")).unwrap();
    std::fs::write(t.home().join("keys").join("broken.asc"), "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnonsense\n")
        .unwrap();
    t.set_policy(OPENPGP_ALL);
    t.commit("a", "1\n", "x");
    let p = t.push(&["HEAD:development"]);
    assert!(!p.ok);
    let text = p.remote_lines();
    assert!(text.contains("the policy cannot be used"), "{text}");
    assert!(text.contains("policy.toml:3:18"), "{text}");
}

/// Make git sign through gpg at a faked time (`gpg --faked-system-time`), so tests can sign in
/// the past.
fn sign_at(t: &TestRemote, when: &str) {
    let wrapper = t.home().join("gpg-at");
    std::fs::write(&wrapper, format!("#!/bin/sh\nexec gpg --faked-system-time {when}! \"$@\"\n")).unwrap();
    common::make_executable(&wrapper);
    t.git(&["config", "gpg.program", wrapper.to_str().unwrap()]);
}

fn gpg(t: &TestRemote, args: &[&str]) -> String {
    let out = std::process::Command::new("gpg")
        .args(["--batch", "--yes", "--pinentry-mode", "loopback", "--passphrase", ""])
        .args(args)
        .env("GNUPGHOME", t.gpg_home())
        .output()
        .unwrap();
    assert!(out.status.success(), "gpg {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_key_that_expired_after_signing_is_accepted_and_a_signature_after_expiry_refused() {
    let t = TestRemote::new("");
    // The key is made in January 2020 without expiry; one commit is signed in June 2020, one in
    // 2021; then a self-signature dated May 2020 gives the key an expiry of 2020-09-01 (gpg
    // replaces the original self-signature, and refuses to sign with an expired key, hence the
    // order).
    gpg(
        &t,
        &[
            "--faked-system-time",
            "20200101T000000!",
            "--quick-gen-key",
            "Dev One <dev@example.org>",
            "ed25519",
            "sign",
            "never",
        ],
    );
    let listing = gpg(&t, &["--with-colons", "--list-keys", "dev@example.org"]);
    let fpr = listing.lines().find(|l| l.starts_with("fpr:")).unwrap().split(':').nth(9).unwrap().to_string();
    t.sign_with_gpg(&fpr);
    sign_at(&t, "20200601T000000");
    t.commit("a", "1\n", "signed while the key was valid");
    sign_at(&t, "20210101T000000");
    let late = t.commit("a", "2\n", "signed after the key's (later recorded) expiry");
    gpg(&t, &["--faked-system-time", "20200501T000000!", "--quick-set-expire", &fpr, "2020-09-01"]);
    std::fs::create_dir_all(t.home().join("keys")).unwrap();
    std::fs::write(t.home().join("keys/dev.asc"), gpg(&t, &["--armor", "--export", &fpr])).unwrap();
    t.set_policy(OPENPGP_ALL);
    let p = t.push(&["HEAD~1:refs/heads/development"]);
    assert!(p.ok, "signed before expiry must verify: {}", p.stderr);
    let p = t.push(&["HEAD:development"]);
    assert!(!p.ok);
    let text = p.remote_lines();
    assert!(text.contains(&format!("error[signature/expired-key]: commit {}", &late[..7])), "{text}");
}

#[test]
fn a_hard_revoked_key_invalidates_even_old_signatures() {
    let t = TestRemote::new("");
    let fpr = t.gpg_key("Dev One", "dev@example.org", "dev.asc");
    t.sign_with_gpg(&fpr);
    t.commit("a", "1\n", "signed before the key was revoked");
    // gpg wrote a revocation certificate (reason: none given = hard) when it made the key.
    let rev = std::fs::read_to_string(t.home().join("g/openpgp-revocs.d").join(format!("{fpr}.rev"))).unwrap();
    let rev_path = t.home().join("revoke.asc");
    std::fs::write(
        &rev_path,
        rev.replace(":-----BEGIN PGP PUBLIC KEY BLOCK-----", "-----BEGIN PGP PUBLIC KEY BLOCK-----"),
    )
    .unwrap();
    gpg(&t, &["--import", rev_path.to_str().unwrap()]);
    std::fs::write(t.home().join("keys/dev.asc"), gpg(&t, &["--armor", "--export", &fpr])).unwrap();
    t.set_policy(OPENPGP_ALL);
    let p = t.push(&["HEAD:development"]);
    assert!(!p.ok);
    assert!(p.remote_lines().contains("error[signature/revoked-key]"), "{}", p.stderr);
}
