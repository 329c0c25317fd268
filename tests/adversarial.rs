//! Adversarial pushes with the real git: objects and histories chosen to break a pre-receive hook
//! (huge blobs, huge trees, hostile paths, non-commit ref targets, forged signature headers,
//! thousands of refs, a policy that vanishes, a hook that is killed). Each test asserts the verdict
//! (or a refusal that says why) and, on refusal, that no ref moved.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

use std::ffi::OsStr;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{BIN, PROMOTION_POLICY, Pushed, TestRemote};

/// A valid NHS number (mod 11 check digit 7) and a CSV that holds it under an `nhs_number` column.
const NHS: &str = "401 023 2137";
fn nhs_csv() -> String {
    format!("name,nhs_number\nA Patient,{NHS}\n")
}

/// git with arbitrary-byte arguments and standard input, isolated like the harness's own git.
fn git_raw(t: &TestRemote, dir: &Path, args: &[&OsStr], stdin: &[u8]) -> Vec<u8> {
    let mut cmd = Command::new("git");
    common::isolate(&mut cmd, &t.home());
    cmd.args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_DATE", "1760000000 +0000")
        .env("GIT_COMMITTER_DATE", "1760000000 +0000")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    {
        let mut sin = child.stdin.take().unwrap();
        sin.write_all(stdin).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn git_stdin(t: &TestRemote, args: &[&str], stdin: &[u8]) -> String {
    let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    String::from_utf8(git_raw(t, &t.work, &args, stdin)).unwrap().trim().to_string()
}

/// Write a loose object of `kind` with exactly these bytes (no checks: `--literally`).
fn write_object(t: &TestRemote, kind: &str, data: &[u8]) -> String {
    git_stdin(t, &["hash-object", "-t", kind, "-w", "--literally", "--stdin"], data)
}

/// An accepted push: the hook said so and the server ref is the pushed value.
fn assert_accepted(t: &TestRemote, p: &Pushed, server_ref: &str, want: &str) {
    assert!(p.ok, "push refused:\n{}", p.stderr);
    assert!(!p.stderr.contains("internal error"), "{}", p.stderr);
    assert_eq!(t.server_ref(server_ref).as_deref(), Some(want), "{}", p.stderr);
}

/// A refused push: non-zero, the hook gave a reason containing `why`, and no ref moved.
fn assert_refused(t: &TestRemote, p: &Pushed, why: &str, refs_before: &str) {
    assert!(!p.ok, "push accepted:\n{}", p.stderr);
    let text = p.remote_lines();
    assert!(text.contains(why), "expected `{why}` in:\n{}", p.stderr);
    assert!(!p.stderr.contains("internal error"), "{}", p.stderr);
    assert_eq!(server_refs(t), refs_before, "refs moved on refusal");
}

fn server_refs(t: &TestRemote) -> String {
    t.server_git(&["for-each-ref", "--format=%(refname) %(objectname)"])
}

fn timed<T>(what: &str, f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let v = f();
    let d = start.elapsed();
    eprintln!("timing: {what}: {:.2?}", d);
    (v, d)
}

/// A first commit on development, on the server.
fn seeded(policy: &str) -> TestRemote {
    let t = TestRemote::new(policy);
    t.commit("README", "hello\n", "first");
    let p = t.push(&["HEAD:development"]);
    assert!(p.ok, "{}", p.stderr);
    t
}

// ---------------------------------------------------------------------------------------------
// Size
// ---------------------------------------------------------------------------------------------

#[test]
fn a_200_mb_blob_from_a_small_pack_is_skipped_and_listed() {
    let t = seeded("");
    {
        let mut f = std::fs::File::create(t.work.join("disk.img")).unwrap();
        let chunk = vec![0u8; 1 << 20];
        let mut left = 200_000_000usize;
        while left > 0 {
            let n = left.min(chunk.len());
            f.write_all(&chunk[..n]).unwrap();
            left -= n;
        }
    }
    t.git(&["add", "disk.img"]);
    t.git(&["commit", "-q", "-m", "a disk image"]);
    std::fs::remove_file(t.work.join("disk.img")).unwrap();
    let head = t.rev("HEAD");
    let (p, took) = timed("push of a 200 MB zero blob", || t.push(&["HEAD:development"]));
    assert_accepted(&t, &p, "refs/heads/development", &head);
    let text = p.remote_lines();
    assert!(text.contains("not scanned: disk.img"), "{text}");
    assert!(text.contains("200000000 bytes, over the"), "{text}");
    assert!(took < Duration::from_secs(60), "{took:?}");
}

/// A blob over `max-blob-bytes` is measured from its object header and never decoded: the hook
/// runs with 96 MiB of data memory (`ulimit -d`) and still accepts a push whose 200 MB zero blob
/// (a few hundred KB in the pack) is listed as skipped. Decoding it whole would fail to allocate.
#[test]
fn an_over_size_blob_is_skipped_without_being_decoded() {
    let t = seeded("");
    let hook = t.server.join("hooks").join("pre-receive");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh
ulimit -d 98304 || exit 1
exec {BIN} --policy {} pre-receive
",
            t.policy.display()
        ),
    )
    .unwrap();
    common::make_executable(&hook);
    {
        let mut f = std::fs::File::create(t.work.join("zeros.img")).unwrap();
        let chunk = vec![0u8; 1 << 20];
        for _ in 0..200 {
            f.write_all(&chunk).unwrap();
        }
    }
    // Text, not binary: only the size can keep it out of memory.
    t.commit("notes.txt", &"a line of notes\n".repeat(10), "notes");
    t.git(&["add", "zeros.img"]);
    t.git(&["commit", "-q", "-m", "zeros"]);
    std::fs::remove_file(t.work.join("zeros.img")).unwrap();
    let head = t.rev("HEAD");
    // Few objects: git unpacks them, and the blob is a loose object in the quarantine.
    let p = t.push(&["HEAD:development"]);
    assert_accepted(&t, &p, "refs/heads/development", &head);
    let text = p.remote_lines();
    assert!(text.contains("not scanned: zeros.img") && text.contains("209715200 bytes, over the"), "{text}");

    // Kept as a pack (unpackLimit 1), the big blob in the oldest of 41 commits: read last, by the
    // pack reader of a thread that has read dozens of objects already.
    t.server_git(&["config", "receive.unpackLimit", "1"]);
    {
        let mut f = std::fs::File::create(t.work.join("ones.img")).unwrap();
        let chunk = vec![1u8; 1 << 20];
        for _ in 0..200 {
            f.write_all(&chunk).unwrap();
        }
    }
    t.git(&["add", "ones.img"]);
    t.git(&["commit", "-q", "-m", "ones"]);
    std::fs::remove_file(t.work.join("ones.img")).unwrap();
    for i in 0..40 {
        t.commit(&format!("notes/{i}.txt"), &format!("note {i}\n"), &format!("note {i}"));
    }
    let head = t.rev("HEAD");
    let p = t.push(&["HEAD:development"]);
    assert_accepted(&t, &p, "refs/heads/development", &head);
    let text = p.remote_lines();
    assert!(text.contains("not scanned: ones.img") && text.contains("209715200 bytes, over the"), "{text}");
}

#[test]
fn a_30_mb_text_blob_is_over_the_limit_skipped_and_said_so() {
    let t = seeded("");
    let mut big = nhs_csv();
    let row = "B Patient,not a number here\n";
    while big.len() < 30 << 20 {
        big.push_str(row);
    }
    let c = t.commit("export.csv", &big, "a big export");
    std::fs::remove_file(t.work.join("export.csv")).unwrap();
    let before = server_refs(&t);

    // With skipped-blobs-block the push is refused and says which blob and why.
    t.set_policy("[limits]\nskipped-blobs-block = true\n");
    let (p, _) = timed("refused push of a 30 MB text blob", || t.push(&["HEAD:development"]));
    assert_refused(&t, &p, "export.csv was not scanned", &before);
    assert!(p.remote_lines().contains("over the 26214400-byte limit"), "{}", p.remote_lines());

    // By default it is accepted, and the note is printed: the PII inside was not looked at.
    t.set_policy("");
    let (p, took) = timed("accepted push of a 30 MB text blob", || t.push(&["HEAD:development"]));
    assert_accepted(&t, &p, "refs/heads/development", &c);
    let text = p.remote_lines();
    assert!(text.contains(&format!("not scanned: export.csv in {}", &c[..7])), "{text}");
    assert!(took < Duration::from_secs(20), "{took:?}");
}

#[test]
fn a_commit_of_20000_files_is_accepted_reasonably_fast() {
    let t = seeded("");
    for d in 0..200 {
        let dir = t.work.join(format!("d{d:03}"));
        std::fs::create_dir_all(&dir).unwrap();
        for f in 0..100 {
            std::fs::write(dir.join(format!("f{f:03}.txt")), format!("file {d} {f}\nsome text\n")).unwrap();
        }
    }
    timed("git add of 20000 files", || t.git(&["add", "-A"]));
    t.git(&["commit", "-q", "-m", "twenty thousand files"]);
    let head = t.rev("HEAD");
    let (out, check) =
        timed("pushgate check of a 20000-file commit", || t.pushgate(&t.work, &["check", "HEAD^..HEAD"], b"", &[]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (p, push) = timed("push of a 20000-file commit", || t.push(&["HEAD:development"]));
    assert_accepted(&t, &p, "refs/heads/development", &head);
    assert!(p.remote_lines().contains("push accepted (1 commit checked)"), "{}", p.remote_lines());
    assert!(check < Duration::from_secs(20), "pushgate check took {check:?}");
    assert!(push < Duration::from_secs(40), "push took {push:?}");
}

#[test]
fn pii_200_directories_deep_is_found_and_named() {
    let t = seeded("");
    let deep = format!("{}patients.csv", "d/".repeat(200));
    t.commit(&deep, &nhs_csv(), "deep");
    let before = server_refs(&t);
    let (p, _) = timed("push of a 200-deep tree", || t.push(&["HEAD:development"]));
    assert_refused(&t, &p, "error[pii/uk-nhs-number]", &before);
    assert!(p.remote_lines().contains(&format!("{deep}:2")), "{}", p.remote_lines());
}

// ---------------------------------------------------------------------------------------------
// Hostile paths and tree entries
// ---------------------------------------------------------------------------------------------

/// Commit `content` at a path of arbitrary bytes (through the index, as `git add` cannot).
fn commit_at_raw_path(t: &TestRemote, path: &[u8], content: &str, message: &str) -> String {
    let blob = write_object(t, "blob", content.as_bytes());
    let mut entry = format!("100644 {blob}\t").into_bytes();
    entry.extend_from_slice(path);
    entry.push(0);
    git_stdin(t, &["update-index", "--add", "-z", "--index-info"], &entry);
    t.git(&["commit", "-q", "-m", message]);
    t.rev("HEAD")
}

#[test]
fn pii_at_a_path_with_a_newline_and_invalid_utf8_is_refused_and_named() {
    let t = seeded("");
    commit_at_raw_path(&t, b"exports/pat\nients-\xff\xfe.csv", &nhs_csv(), "hostile path");
    let before = server_refs(&t);
    let p = t.push(&["HEAD:development"]);
    assert_refused(&t, &p, "error[pii/uk-nhs-number]", &before);
    // The path is named (invalid bytes shown as U+FFFD or escaped), without a crash.
    assert!(p.stderr.contains("exports/pat"), "{}", p.stderr);
    assert!(p.stderr.contains("ients-"), "{}", p.stderr);

    // The machine formats stay valid documents.
    for format in ["json", "sarif"] {
        let out = t.pushgate(&t.work, &["--format", format, "check"], b"", &[]);
        assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let text = v.to_string();
        assert!(text.contains("pii/uk-nhs-number"), "{text}");
        assert!(text.contains("exports/pat\\nients-"), "{text}");
    }
}

#[test]
fn a_newline_in_a_path_cannot_forge_hook_output_lines() {
    let t = seeded("");
    commit_at_raw_path(&t, b"x\npushgate: push accepted (1 commit checked)\n.csv", &nhs_csv(), "forged");
    let p = t.push(&["HEAD:development"]);
    assert!(!p.ok);
    let text = p.remote_lines();
    assert!(!text.lines().any(|l| l.starts_with("pushgate: push accepted")), "a path forged a verdict line:\n{text}");
}

#[test]
fn a_symlink_and_a_submodule_gitlink_are_accepted() {
    let t = seeded("");
    std::os::unix::fs::symlink("../../etc/passwd", t.work.join("link")).unwrap();
    t.git(&["add", "link"]);
    let some_commit = t.rev("HEAD");
    t.git(&["update-index", "--add", "--cacheinfo", &format!("160000,{some_commit},vendor/sub")]);
    // A gitlink to a commit that exists nowhere.
    t.git(&["update-index", "--add", "--cacheinfo", &format!("160000,{},vendor/ghost", "1".repeat(40))]);
    t.git(&["commit", "-q", "-m", "symlink and submodules"]);
    let head = t.rev("HEAD");
    let tree = t.git(&["ls-tree", "-r", "HEAD"]);
    assert!(tree.contains("120000 blob") && tree.contains("160000 commit"), "{tree}");
    let p = t.push(&["HEAD:development"]);
    assert_accepted(&t, &p, "refs/heads/development", &head);
}

// ---------------------------------------------------------------------------------------------
// Refs pointing at trees and blobs
// ---------------------------------------------------------------------------------------------

#[test]
fn unprotected_tags_at_a_tree_and_a_blob_are_accepted() {
    let t = seeded(PROMOTION_POLICY);
    let tree = t.rev("HEAD^{tree}");
    let blob = t.rev("HEAD:README");
    let p = t.push(&[&format!("{tree}:refs/tags/tree-tag"), &format!("{blob}:refs/tags/blob-tag")]);
    assert_accepted(&t, &p, "refs/tags/tree-tag", &tree);
    assert_eq!(t.server_ref("refs/tags/blob-tag").as_deref(), Some(blob.as_str()));
    // An annotated tag of a tree, too.
    t.git(&["tag", "-a", "-m", "a tree", "annotated-tree", &tree]);
    let tag = t.rev("annotated-tree");
    let p = t.push(&["refs/tags/annotated-tree"]);
    assert_accepted(&t, &p, "refs/tags/annotated-tree", &tag);
}

#[test]
fn a_protected_branch_pointed_at_a_tree_is_refused() {
    let t = seeded(PROMOTION_POLICY);
    let tree = t.rev("HEAD^{tree}");
    // git refuses to write a tree into refs/heads/ locally, so push it from a tag ref.
    t.git(&["update-ref", "refs/tags/tmp", &tree]);
    t.git(&["tag", "-a", "-m", "a tree", "annotated-tree", &tree]);
    for src in ["refs/tags/tmp", "refs/tags/annotated-tree"] {
        let before = server_refs(&t);
        let p = t.push(&[&format!("{src}:refs/heads/live")]);
        assert_refused(&t, &p, "error[branch/not-a-commit]", &before);
        assert!(p.remote_lines().contains("live would point at"), "{}", p.remote_lines());
        assert!(p.remote_lines().contains("which is not a commit"), "{}", p.remote_lines());
    }
}

#[test]
fn pii_in_a_blob_pushed_directly_to_a_tag_is_refused() {
    let t = seeded("");
    let blob = write_object(&t, "blob", nhs_csv().as_bytes());
    t.git(&["update-ref", "refs/tags/data", &blob]);
    let before = server_refs(&t);
    let p = t.push(&["refs/tags/data"]);
    assert_refused(&t, &p, "pii/uk-nhs-number", &before);
}

// ---------------------------------------------------------------------------------------------
// Signatures
// ---------------------------------------------------------------------------------------------

const OPENPGP_ALL: &str = "[signatures]\nrequire = \"all\"\nopenpgp-certs = [\"keys/*.asc\"]\n";

/// The `gpgsig` header (with its continuation lines) of a raw commit, and where it ends.
fn gpgsig_header(raw: &str) -> (usize, usize) {
    let start = raw.find("\ngpgsig ").unwrap() + 1;
    let end_marker = " -----END PGP SIGNATURE-----\n";
    let end = start + raw[start..].find(end_marker).unwrap() + end_marker.len();
    (start, end)
}

#[test]
fn a_commit_with_two_gpgsig_headers_is_not_accepted() {
    let t = TestRemote::new("");
    let fpr = t.gpg_key("Dev One", "dev@example.org", "dev.asc");
    t.set_policy(OPENPGP_ALL);
    t.sign_with_gpg(&fpr);
    t.commit("a", "1\n", "signed");
    let signed = t.rev("HEAD");
    let p = t.push(&["HEAD:development"]);
    assert_accepted(&t, &p, "refs/heads/development", &signed);
    t.commit("a", "2\n", "signed again");
    let raw = t.git(&["cat-file", "commit", "HEAD"]);
    let (start, end) = gpgsig_header(&raw);
    let header = &raw[start..end];

    let variants = [
        ("a copy of the signature", format!("{}{header}{}", &raw[..end], &raw[end..])),
        ("a garbage second header", format!("{}gpgsig hello\n{}", &raw[..end], &raw[end..])),
        ("a garbage first header", format!("{}gpgsig hello\n{}", &raw[..start], &raw[start..])),
        (
            "a second signature in the message position",
            format!("{}{}{}", &raw[..end], header.replacen("gpgsig ", "gpgsig-sha256 ", 1), &raw[end..]),
        ),
    ];
    let mut accepted = Vec::new();
    for (i, (what, text)) in variants.iter().enumerate() {
        let id = write_object(&t, "commit", text.as_bytes());
        let name = format!("refs/heads/dup-{i}");
        t.git(&["update-ref", &name, &id]);
        let before = server_refs(&t);
        let p = t.push(&[&format!("{name}:{name}")]);
        if p.ok {
            accepted.push(format!("{what} ({id})"));
        } else {
            assert!(p.remote_lines().contains("error[signature/"), "{what}: {}", p.stderr);
            assert!(!p.stderr.contains("internal error"), "{}", p.stderr);
            assert_eq!(server_refs(&t), before);
        }
    }
    assert!(accepted.is_empty(), "accepted commits with two signature headers: {accepted:?}");
}

#[test]
fn a_signed_commit_in_a_sha256_repository_is_valid() {
    let t = TestRemote::with_object_format("", "sha256");
    let fpr = t.gpg_key("Dev One", "dev@example.org", "dev.asc");
    t.set_policy(OPENPGP_ALL);
    t.sign_with_gpg(&fpr);
    let c = t.commit("a", "1\n", "signed in sha256");
    assert_eq!(c.len(), 64);
    let raw = t.git(&["cat-file", "commit", "HEAD"]);
    assert!(raw.contains("\ngpgsig-sha256 -----BEGIN PGP SIGNATURE-----"), "{raw}");
    let p = t.push(&["HEAD:development"]);
    assert_accepted(&t, &p, "refs/heads/development", &c);
    let out =
        t.pushgate(&t.work, &["--policy", t.policy.to_str().unwrap(), "--format", "json", "verify", "HEAD"], b"", &[]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["objects"][0]["status"], "valid", "{v}");
    assert_eq!(v["objects"][0]["id"], c.as_str(), "{v}");
}

// ---------------------------------------------------------------------------------------------
// Many refs, many merges
// ---------------------------------------------------------------------------------------------

fn create_branches(t: &TestRemote, prefix: &str, n: usize, targets: &[&str]) {
    let script: String =
        (0..n).map(|i| format!("create refs/heads/{prefix}/b{i:04} {}\n", targets[i % targets.len()])).collect();
    git_stdin(t, &["update-ref", "--stdin"], script.as_bytes());
}

#[test]
fn two_thousand_refs_in_one_push_are_accepted_and_one_violation_is_named_alone() {
    let t = seeded(PROMOTION_POLICY);
    let old = t.rev("HEAD");
    let p = t.push(&["HEAD:staging"]);
    assert!(p.ok, "{}", p.stderr);
    let new = t.commit("b", "new\n", "new work");
    create_branches(&t, "feature", 2000, &[&old, &new]);
    let (p, took) = timed("push of 2000 refs", || t.push(&["refs/heads/feature/*:refs/heads/feature/*"]));
    assert!(p.ok, "{}", p.stderr);
    let count = t.server_git(&["for-each-ref", "refs/heads/feature/"]).lines().count();
    assert_eq!(count, 2000);
    assert!(took < Duration::from_secs(30), "{took:?}");

    // 2000 more, plus live moved to a commit that is not on staging: only live is named.
    let direct = t.commit("c", "direct\n", "straight to live");
    create_branches(&t, "bulk", 2000, &[&old, &new, &direct]);
    let before = server_refs(&t);
    let (p, _) = timed("refused push of 2001 refs", || {
        t.push(&["refs/heads/bulk/*:refs/heads/bulk/*", &format!("{direct}:refs/heads/live")])
    });
    assert_refused(&t, &p, "error[branch/not-promoted]", &before);
    let text = p.remote_lines();
    assert!(text.contains("refs/heads/live"), "{text}");
    assert!(!text.contains("bulk/"), "a branch without a problem was named:\n{text}");
    assert_eq!(text.matches("error[").count(), 1, "{text}");
}

#[test]
fn fifty_merges_give_the_right_commit_count() {
    let t = seeded("");
    for i in 0..50 {
        t.git(&["checkout", "-q", "-b", &format!("side{i}")]);
        t.commit(&format!("side{i}.txt"), &format!("side {i}\n"), &format!("side {i}"));
        t.git(&["checkout", "-q", "development"]);
        t.commit(&format!("main{i}.txt"), &format!("main {i}\n"), &format!("main {i}"));
        t.git(&["merge", "-q", "--no-ff", "-m", &format!("merge {i}"), &format!("side{i}")]);
    }
    let want: usize = t.git(&["rev-list", "--count", "origin/development..HEAD"]).trim().parse().unwrap();
    assert_eq!(want, 150);
    let merges = t.git(&["rev-list", "--merges", "--count", "HEAD"]).trim().parse::<usize>().unwrap();
    assert_eq!(merges, 50);
    let out = t.pushgate(&t.work, &["--format", "json", "check"], b"", &[]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["commits_checked"], 150, "{v}");
    let head = t.rev("HEAD");
    let (p, _) = timed("push of 50 merges", || t.push(&["HEAD:development"]));
    assert_accepted(&t, &p, "refs/heads/development", &head);
    assert!(p.remote_lines().contains("push accepted (150 commits checked)"), "{}", p.remote_lines());
}

#[test]
fn pii_resolved_into_a_merge_is_found_once() {
    let t = seeded("");
    t.git(&["checkout", "-q", "-b", "side"]);
    t.commit("a.csv", "name,nhs_number\n", "side");
    t.git(&["checkout", "-q", "development"]);
    t.commit("b.txt", "b\n", "main");
    t.git(&["merge", "-q", "--no-ff", "--no-commit", "side"]);
    std::fs::write(t.work.join("a.csv"), nhs_csv()).unwrap();
    t.git(&["add", "a.csv"]);
    t.git(&["commit", "-q", "-m", "evil merge"]);
    let before = server_refs(&t);
    let p = t.push(&["HEAD:development"]);
    assert_refused(&t, &p, "error[pii/uk-nhs-number]", &before);
    assert_eq!(p.remote_lines().matches("error[pii/uk-nhs-number]").count(), 1, "{}", p.remote_lines());
}

// ---------------------------------------------------------------------------------------------
// The policy and the hook itself
// ---------------------------------------------------------------------------------------------

#[test]
fn a_policy_deleted_between_two_pushes_refuses_the_second() {
    let t = seeded(PROMOTION_POLICY);
    t.commit("a", "1\n", "more");
    std::fs::remove_file(&t.policy).unwrap();
    let before = server_refs(&t);
    let p = t.push(&["HEAD:development"]);
    assert_refused(&t, &p, "the policy cannot be used", &before);
    assert!(p.remote_lines().contains("cannot read policy"), "{}", p.remote_lines());

    // A directory where the file was, and a policy that is not TOML: refused the same way.
    std::fs::create_dir(&t.policy).unwrap();
    let p = t.push(&["HEAD:development"]);
    assert_refused(&t, &p, "the policy cannot be used", &before);
    std::fs::remove_dir(&t.policy).unwrap();
    t.set_policy("[branches.live\npromote-from = ");
    let p = t.push(&["HEAD:development"]);
    assert_refused(&t, &p, "the policy cannot be used", &before);
    assert!(p.remote_lines().contains("policy.toml:1:"), "{}", p.remote_lines());
}

#[test]
fn an_unreadable_policy_refuses_the_push() {
    use std::os::unix::fs::PermissionsExt;
    let t = seeded(PROMOTION_POLICY);
    t.commit("a", "1\n", "more");
    std::fs::set_permissions(&t.policy, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&t.policy).is_ok() {
        eprintln!("skipped: running as root (or with CAP_DAC_OVERRIDE), mode 000 does not stop reading the policy");
        return;
    }
    let before = server_refs(&t);
    let p = t.push(&["HEAD:development"]);
    assert_refused(&t, &p, "the policy cannot be used", &before);
    assert!(p.remote_lines().contains("Permission denied"), "{}", p.remote_lines());
}

#[test]
fn a_key_file_that_does_not_parse_refuses_with_the_reason() {
    let t = seeded("");
    std::fs::create_dir_all(t.home().join("keys")).unwrap();
    std::fs::write(t.home().join("keys/dev.asc"), "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot base64!\n").unwrap();
    t.set_policy(OPENPGP_ALL);
    t.commit("a", "1\n", "more");
    let before = server_refs(&t);
    let p = t.push(&["HEAD:development"]);
    assert_refused(&t, &p, "the policy cannot be used", &before);
    assert!(p.remote_lines().contains("dev.asc"), "{}", p.remote_lines());

    // The same for an allowed_signers file with a bad line.
    std::fs::write(t.home().join("keys/allowed_signers"), "dev@example.org ssh-ed25519 AAAAnot-a-key\n").unwrap();
    t.set_policy("[signatures]\nrequire = \"all\"\nssh-allowed-signers = \"keys/allowed_signers\"\n");
    let p = t.push(&["HEAD:development"]);
    assert_refused(&t, &p, "the policy cannot be used", &before);
    assert!(p.remote_lines().contains("allowed_signers:1"), "{}", p.remote_lines());
}

#[test]
fn a_killed_hook_refuses_and_moves_no_ref() {
    let t = seeded("");
    // Enough work that pushgate cannot finish in a millisecond.
    for i in 0..200 {
        std::fs::write(t.work.join(format!("f{i}.txt")), format!("{i}\n")).unwrap();
    }
    t.git(&["add", "-A"]);
    t.git(&["commit", "-q", "-m", "work"]);
    let rc_file = t.home().join("hook-rc");
    let hook = t.server.join("hooks/pre-receive");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\ntimeout -s KILL 0.001 {BIN} --policy {} pre-receive\nrc=$?\necho $rc > {}\nexit $rc\n",
            t.policy.display(),
            rc_file.display()
        ),
    )
    .unwrap();
    common::make_executable(&hook);
    // A killed hook leaves its private object directory behind (SECURITY.md): in this test's
    // own directory, not in /dev/shm.
    let tmp = tempfile::tempdir().unwrap();
    t.set_env("TMPDIR", tmp.path().to_str().unwrap());
    let before = server_refs(&t);
    let p = t.push(&["HEAD:development", "HEAD:refs/heads/other"]);
    let rc: i32 = std::fs::read_to_string(&rc_file).unwrap().trim().parse().unwrap();
    if rc == 0 {
        eprintln!("skipped: pushgate finished within 1 ms, so it was not killed");
        return;
    }
    assert_eq!(rc, 137, "the hook should have been killed by SIGKILL (timeout exits 128+9)");
    assert!(!p.ok, "{}", p.stderr);
    assert!(p.stderr.contains("pre-receive hook declined"), "{}", p.stderr);
    assert_eq!(server_refs(&t), before, "a ref moved although the hook was killed");
}
