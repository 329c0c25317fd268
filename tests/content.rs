//! Secrets and PII in what a push adds, pushed with the real `git`, and `pushgate scan`.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

use common::TestRemote;

/// A valid NHS number (mod-11 check digit 5) that is not in the 9xx test range.
const NHS: &str = "401 023 2137";

#[test]
fn pii_added_in_a_push_is_refused_and_masked() {
    let t = TestRemote::new("");
    t.commit("README.md", "hello\n", "docs");
    assert!(t.push(&["HEAD:development"]).ok);
    t.commit("data/patients.csv", &format!("name,nhs_number\nA,{NHS}\n"), "add export");
    let p = t.push(&["HEAD:development"]);
    assert!(!p.ok, "{}", p.stderr);
    let text = p.remote_lines();
    assert!(text.contains("error[pii/uk-nhs-number]"), "{text}");
    assert!(text.contains("data/patients.csv:2"), "{text}");
    assert!(!text.contains(NHS) && !text.contains(&NHS.replace(' ', "")), "value leaked:\n{text}");
}

#[test]
fn content_present_before_the_push_is_not_judged_again() {
    let t = TestRemote::new("[pii]\nenabled = false\n");
    t.commit("data/patients.csv", &format!("name,nhs_number\nA,{NHS}\n"), "old export");
    assert!(t.push(&["HEAD:development"]).ok);
    t.set_policy("");
    t.commit("data/patients.csv", &format!("name,nhs_number\nA,{NHS}\nB,none\n"), "unrelated change");
    let p = t.push(&["HEAD:development"]);
    assert!(p.ok, "{}", p.stderr);
}

#[test]
fn pii_added_and_removed_in_the_same_push_is_still_refused() {
    let t = TestRemote::new("");
    t.commit("a.txt", "x\n", "first");
    assert!(t.push(&["HEAD:development"]).ok);
    t.commit("notes.md", &format!("patient NHS number {NHS}\n"), "oops");
    t.commit("notes.md", "clean\n", "remove it again");
    let p = t.push(&["HEAD:development"]);
    assert!(!p.ok);
    assert!(p.remote_lines().contains("pii/uk-nhs-number"), "{}", p.stderr);
}

#[test]
fn scan_reports_files_with_paths_as_given() {
    let t = TestRemote::new("");
    let dir = t.home().join("tree");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("sub/export.json"), format!("{{\"nhs_number\": \"{NHS}\"}}\n")).unwrap();
    std::fs::write(dir.join("clean.txt"), "nothing here 1700000000\n").unwrap();
    let out = t.pushgate(&t.home(), &["scan", "tree", "--format", "json"], b"", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = &v["findings"][0];
    assert_eq!(f["rule"], "pii/uk-nhs-number");
    assert_eq!(f["path"], "tree/sub/export.json");
    assert_eq!(f["line"], 1);
    assert_eq!(f["commit"], serde_json::Value::Null);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("4010232137"));
    let out = t.pushgate(&t.home(), &["scan", "tree/clean.txt"], b"", &[]);
    assert_eq!(out.status.code(), Some(0));
}

/// A synthetic classic GitHub token with a valid checksum suffix (from the rule's samples).
const GHP: &str = "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";

fn pushed_secret(t: &TestRemote, refspec: &str) -> String {
    let p = t.push(&[refspec]);
    assert!(!p.ok, "expected a refusal:\n{}", p.stderr);
    let text = p.remote_lines();
    assert!(text.contains("error[secret/github-pat]"), "{text}");
    assert!(!text.contains(GHP) && !text.contains(&GHP[4..]), "token leaked:\n{text}");
    text
}

#[test]
fn secrets_in_new_and_modified_files_and_in_the_third_of_five_commits() {
    let t = TestRemote::new("");
    t.commit("config.py", "DEBUG = True\n", "base");
    assert!(t.push(&["HEAD:development"]).ok);
    let base = t.rev("HEAD");
    t.commit("settings.py", &format!("token = \"{GHP}\"\n"), "new file");
    let text = pushed_secret(&t, "HEAD:development");
    assert!(text.contains("settings.py:1"), "{text}");
    assert!(text.contains("ghp_\u{2026} (fingerprint "), "{text}");
    assert_eq!(t.server_ref("refs/heads/development").unwrap(), base);

    t.git(&["reset", "-q", "--hard", &base]);
    t.commit("config.py", &format!("DEBUG = True\nGITHUB_TOKEN = \"{GHP}\"\n"), "modified file");
    assert!(pushed_secret(&t, "HEAD:development").contains("config.py:2"));

    t.git(&["reset", "-q", "--hard", &base]);
    for i in 0..5 {
        let body = if i == 2 { format!("x = {i}\ntoken = {GHP}\n") } else { format!("x = {i}\n") };
        t.commit("a.py", &body, &format!("commit {i}"));
    }
    let third = t.rev("HEAD~2");
    let text = pushed_secret(&t, "HEAD:development");
    assert!(text.contains(&format!("commit {}", &third[..7])), "{text}");
}

#[test]
fn secrets_in_commit_messages_and_merge_resolutions() {
    let t = TestRemote::new("");
    let base = t.commit("a.txt", "1\n", "base");
    assert!(t.push(&["HEAD:development"]).ok);
    t.commit("a.txt", "2\n", &format!("debugging, token = {GHP}"));
    let text = pushed_secret(&t, "HEAD:development");
    assert!(text.contains("(commit message)") || !text.contains("a.txt"), "{text}");

    // A merge whose resolution adds the secret: only the merge is blamed.
    t.git(&["reset", "-q", "--hard", &base]);
    t.git(&["checkout", "-q", "-b", "side"]);
    t.commit("f.txt", "side\n", "side");
    t.git(&["checkout", "-q", "development"]);
    t.commit("f.txt", "main\n", "main");
    let _ = t.git_may_fail(&["merge", "-q", "side"]);
    std::fs::write(t.work.join("f.txt"), format!("resolved\ntoken = {GHP}\n")).unwrap();
    t.git(&["add", "f.txt"]);
    t.git(&["commit", "-q", "--no-edit"]);
    let merge = t.rev("HEAD");
    let text = pushed_secret(&t, "HEAD:development");
    assert!(text.contains(&format!("commit {}", &merge[..7])), "{text}");
    assert_eq!(text.matches("error[secret/github-pat]").count(), 1, "{text}");
}

#[test]
fn an_old_secret_left_untouched_is_not_reported_again() {
    let t = TestRemote::new("[secrets]\nenabled = false\n");
    t.commit("old.py", &format!("token = {GHP}\n"), "before pushgate");
    assert!(t.push(&["HEAD:development"]).ok);
    t.set_policy("");
    t.commit("old.py", &format!("token = {GHP}\nx = 1\n"), "unrelated line");
    let p = t.push(&["HEAD:development"]);
    assert!(p.ok, "{}", p.stderr);
}

#[test]
fn a_secret_added_and_removed_in_the_same_push_is_refused() {
    let t = TestRemote::new("");
    t.commit("a", "1\n", "base");
    assert!(t.push(&["HEAD:development"]).ok);
    t.commit("s.env", &format!("GITHUB_TOKEN={GHP}\n"), "oops");
    t.commit("s.env", "GITHUB_TOKEN=\n", "remove it again");
    pushed_secret(&t, "HEAD:development");
}

#[test]
fn allow_markers_and_ignored_fingerprints() {
    let t = TestRemote::new("");
    t.commit("a", "1\n", "base");
    assert!(t.push(&["HEAD:development"]).ok);
    t.commit("test_fixture.py", &format!("token = \"{GHP}\"  # pushgate:allow\n"), "allowed inline");
    let p = t.push(&["HEAD:development"]);
    assert!(p.ok, "{}", p.stderr);

    t.commit("b.py", &format!("token = \"{GHP}\"\n"), "not allowed");
    let text = pushed_secret(&t, "HEAD:development");
    let fp = text.split("fingerprint ").nth(1).unwrap().split(')').next().unwrap().to_string();
    std::fs::write(t.home().join("ignore.txt"), format!("# reviewed: test token\nsecret/github-pat:{fp}\n")).unwrap();
    t.set_policy("[secrets]\nignore-file = \"ignore.txt\"\n");
    let p = t.push(&["HEAD:development"]);
    assert!(p.ok, "{}", p.stderr);
}

#[test]
fn sensitive_file_names_are_refused() {
    let t = TestRemote::new("");
    t.commit("a", "1\n", "base");
    assert!(t.push(&["HEAD:development"]).ok);
    t.commit("deploy/.env", "DB_HOST=db\n", "env file");
    let p = t.push(&["HEAD:development"]);
    assert!(!p.ok);
    assert!(p.remote_lines().contains("secret/file-"), "{}", p.stderr);
}

#[test]
fn annotated_tag_messages_and_trees_pushed_to_a_ref_are_scanned() {
    let t = TestRemote::new("");
    t.commit("a.txt", "1\n", "base");
    assert!(t.push(&["HEAD:development"]).ok);
    t.git(&["tag", "-a", "-m", &format!("release notes\ndeploy token {GHP}\n"), "v1.0"]);
    let p = t.push(&["v1.0"]);
    assert!(!p.ok, "{}", p.stderr);
    let text = p.remote_lines();
    assert!(text.contains("error[secret/github-pat]") && text.contains("refs/tags/v1.0"), "{text}");
    assert_eq!(t.server_ref("refs/tags/v1.0"), None);

    // A tree with a secret, pushed to a ref without any commit.
    std::fs::write(t.work.join("creds.py"), format!("token = \"{GHP}\"\n")).unwrap();
    t.git(&["add", "creds.py"]);
    let tree = t.git(&["write-tree"]).trim().to_string();
    t.git(&["update-ref", "refs/tags/snapshot", &tree]);
    let p = t.push(&["refs/tags/snapshot"]);
    assert!(!p.ok, "{}", p.stderr);
    assert!(p.remote_lines().contains("creds.py:1"), "{}", p.stderr);
}

/// A push big enough to take the medium road: more than 16 KiB of added text (the secret rules'
/// literals found in one Aho-Corasick pass, not rule by rule), more than git's `unpackLimit`
/// objects (kept as a pack in the quarantine, read through pushgate's chain-caching pack reader),
/// on top of a server history that `git gc` has deltified.
#[test]
fn a_big_push_is_scanned_like_a_small_one() {
    let t = TestRemote::new("");
    let filler: String = (0..400).map(|i| format!("fn helper_{i}(x: u64) -> u64 {{ x * {i} + 7 }}\n")).collect();
    t.commit("src/lib.rs", &filler, "base");
    let mut log = String::new();
    for i in 0..40 {
        log.push_str(&format!("entry {i}\n"));
        t.commit("CHANGES", &log, &format!("history {i}"));
    }
    assert!(t.push(&["HEAD:development"]).ok);
    t.server_git(&["gc", "-q"]);
    let big: String = (0..800).map(|i| format!("pub const TABLE_{i}: [u8; 4] = [{i}, 1, 2, 3];\n")).collect();
    assert!(big.len() > 16 << 10);
    t.commit("src/table.rs", &big, "a big new file");
    let mut text = filler.clone();
    for i in 0..120 {
        text.push_str(&format!("fn added_{i}() -> u32 {{ {i} }}\n"));
        if i == 60 {
            text.push_str(&format!("const TOKEN: &str = \"{GHP}\";\n"));
        }
        if i == 90 {
            text.push_str(&format!("// nhs_number: {NHS}\n"));
        }
        t.commit("src/lib.rs", &text, &format!("grow {i}"));
    }
    let token_commit = t.rev("HEAD~59");
    let nhs_commit = t.rev("HEAD~29");
    let p = t.push_as(&[("PUSHGATE_LOG", "pushgate::checks::content=debug")], &["HEAD:development"]);
    assert!(!p.ok, "expected a refusal:\n{}", p.stderr);
    let out = p.remote_lines();
    assert!(out.contains("secrets: Indexed, pii: Lines"), "not the medium road:\n{out}");
    assert!(out.contains("error[secret/github-pat]"), "{out}");
    assert!(out.contains(&format!("src/lib.rs:{}", 400 + 61 + 1)), "{out}");
    assert!(out.contains(&token_commit[..7]), "{out}");
    assert!(out.contains("pii/uk-nhs-number"), "{out}");
    assert!(out.contains(&nhs_commit[..7]), "{out}");
    assert!(out.contains(&format!("src/lib.rs:{}", 400 + 91 + 2)), "{out}");
    assert!(!out.contains(GHP) && !out.contains(&GHP[4..]), "token leaked:\n{out}");
}

/// A push past 4 MiB of added text is scanned with the compiled rule sets (the road of huge
/// pushes and full histories), and finds what the other roads find.
#[test]
fn a_huge_push_is_scanned_with_the_rule_sets() {
    let t = TestRemote::new("");
    t.commit("README", "hello\n", "base");
    assert!(t.push(&["HEAD:development"]).ok);
    let line = "pub const TABLE: [u32; 8] = [1, 2, 3, 4, 5, 6, 7, 8]; // filler of a generated table\n";
    let mut big = line.repeat((5 << 20) / line.len());
    let at = big.len() / 2;
    let at = at - at % line.len();
    big.insert_str(at, &format!("const TOKEN: &str = \"{GHP}\";\n"));
    let token_line = at / line.len() + 1;
    t.commit("src/table.rs", &big, "a generated table");
    t.commit("src/ids.rs", &format!("// nhs_number: {NHS}\n"), "ids");
    let p = t.push_as(&[("PUSHGATE_LOG", "pushgate::checks::content=debug")], &["HEAD:development"]);
    assert!(!p.ok, "expected a refusal:\n{}", p.stderr);
    let out = p.remote_lines();
    assert!(out.contains("secrets: Set, pii: Lines"), "not the road of the rule sets:\n{out}");
    assert!(out.contains("error[secret/github-pat]"), "{out}");
    assert!(out.contains(&format!("src/table.rs:{token_line}")), "{out}");
    assert!(out.contains("pii/uk-nhs-number") && out.contains("src/ids.rs:1"), "{out}");
    assert!(!out.contains(GHP) && !out.contains(&GHP[4..]), "token leaked:\n{out}");
}

/// A blob is judged at every path it is added at, not once per content: a token in a file under
/// an allowlisted `testdata/` directory is not a finding there, but the same file copied into
/// `src/` in a later commit of the same push is, and a key added at two paths is named at both.
#[test]
fn the_same_blob_at_another_path_is_judged_there() {
    let t = TestRemote::new("[secrets.allowlist]\npaths = [\"**/testdata/**\"]\n");
    t.commit("README", "hello\n", "base");
    assert!(t.push(&["HEAD:development"]).ok);
    let file = format!("token = \"{GHP}\"\n");
    t.commit("tests/testdata/fixture.py", &file, "a fixture");
    let copy = t.commit("src/settings.py", &file, "settings copied from the fixture");
    let p = t.push(&["HEAD:development"]);
    assert!(!p.ok, "the copy outside testdata/ was not found:\n{}", p.stderr);
    let out = p.remote_lines();
    assert!(out.contains("src/settings.py:1") && out.contains(&copy[..7]), "{out}");
    assert!(!out.contains("tests/testdata/fixture.py"), "{out}");
    assert!(!out.contains(GHP) && !out.contains(&GHP[4..]), "token leaked:\n{out}");

    // Both copies outside the allowlist: both named.
    let t = TestRemote::new("");
    t.commit("README", "hello\n", "base");
    assert!(t.push(&["HEAD:development"]).ok);
    t.commit("a/settings.py", &file, "one");
    t.commit("b/settings.py", &file, "two");
    let p = t.push(&["HEAD:development"]);
    let out = p.remote_lines();
    assert!(!p.ok && out.contains("a/settings.py:1") && out.contains("b/settings.py:1"), "{out}");
}

/// A key replaced between unchanged `-----BEGIN/END … PRIVATE KEY-----` lines (a rotated key in
/// a committed file) adds only body lines; the markers are taken from the file so the key rule
/// sees the block. An edit elsewhere in the file does not report the untouched key.
#[test]
fn a_rotated_key_between_unchanged_markers_is_found() {
    let key = |seed: u64| {
        // Base64 body lines that differ per seed (what a new key looks like to a diff).
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let body: String = (0..12)
            .map(|_| {
                let line: String = (0..64)
                    .map(|_| {
                        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                        alphabet[(x >> 58) as usize] as char
                    })
                    .collect();
                line + "\n"
            })
            .collect();
        format!("-----BEGIN RSA PRIVATE KEY-----\n{body}-----END RSA PRIVATE KEY-----\n")
    };
    let file = |k: &str, port: u32| format!("host: deploy.internal\nport: {port}\nkey: |\n{k}");
    let t = TestRemote::new("");
    // The old key got in before pushgate guarded the repository.
    t.remove_hook("pre-receive");
    t.commit("deploy.yaml", &file(&key(1), 22), "deploy config");
    assert!(t.push(&["HEAD:development"]).ok);
    t.install_hook("pre-receive", &format!("--policy {} pre-receive", t.policy.display()));
    // Untouched key, another line edited: accepted.
    t.commit("deploy.yaml", &file(&key(1), 2222), "another port");
    let p = t.push(&["HEAD:development"]);
    assert!(p.ok, "an untouched key was reported:\n{}", p.stderr);
    // The key rotated in place: refused, at the BEGIN line.
    let rotated = t.commit("deploy.yaml", &file(&key(2), 2222), "rotate the deploy key");
    let p = t.push(&["HEAD:development"]);
    assert!(!p.ok, "a rotated key was let through:\n{}", p.stderr);
    let out = p.remote_lines();
    assert!(out.contains("error[secret/private-key-rsa]") && out.contains("deploy.yaml:4"), "{out}");
    assert!(out.contains(&rotated[..7]), "{out}");
}
