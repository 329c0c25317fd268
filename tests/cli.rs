//! The command line and the hook protocols: pre-push, check, update/pre-receive input errors,
//! output formats, exit codes, policy errors, SHA-256 repositories, and failing closed.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

use common::{BIN, PROMOTION_POLICY, TestRemote};

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn the_hook_sees_the_quarantined_commits() {
    let t = TestRemote::new("");
    for i in 0..30 {
        t.commit("a", &format!("{i}\n"), "history");
    }
    assert!(t.push(&["HEAD:development"]).ok);
    for i in 0..3 {
        t.commit("b", &format!("{i}\n"), "new");
    }
    // JSON on stdout reaches the pusher as remote: lines too.
    t.install_hook("pre-receive", &format!("--policy {} --format json pre-receive", t.policy.display()));
    let p = t.push(&["HEAD:development"]);
    assert!(p.ok, "{}", p.stderr);
    let json: serde_json::Value = serde_json::from_str(&p.remote_lines()).unwrap();
    assert_eq!(json["decision"], "accept");
    assert_eq!(json["commits_checked"], 3, "only the pushed commits, not the history");
}

#[test]
fn sha256_repositories_work_end_to_end() {
    let t = TestRemote::with_object_format(PROMOTION_POLICY, "sha256");
    let base = t.commit("a", "1\n", "first");
    assert_eq!(base.len(), 64);
    assert!(t.push(&["HEAD:development"]).ok);
    assert!(t.push(&["HEAD:staging"]).ok);
    t.commit("a", "2\n", "direct");
    let p = t.push(&["HEAD:staging"]);
    assert!(!p.ok);
    assert!(p.remote_lines().contains("branch/not-promoted"), "{}", p.stderr);
    assert_eq!(t.server_ref("refs/heads/staging").unwrap(), base);
}

#[test]
fn the_pre_push_hook_refuses_before_anything_leaves() {
    let t = TestRemote::new("");
    t.remove_hook("pre-receive");
    t.set_policy(PROMOTION_POLICY);
    let hook = t.work.join(".git/hooks/pre-push");
    std::fs::write(&hook, format!("#!/bin/sh\nexec {BIN} --policy {} pre-push \"$@\"\n", t.policy.display())).unwrap();
    common::make_executable(&hook);
    t.commit("a", "1\n", "first");
    assert!(t.push(&["HEAD:development"]).ok);
    assert!(t.push(&["HEAD:staging"]).ok);
    t.commit("a", "2\n", "direct to staging");
    let p = t.push(&["HEAD:staging"]);
    assert!(!p.ok);
    assert!(p.stderr.contains("error[branch/not-promoted]"), "{}", p.stderr);
    assert!(p.stderr.contains("git push origin origin/development:refs/heads/staging"), "{}", p.stderr);
    assert_ne!(t.server_ref("refs/heads/staging").unwrap(), t.rev("HEAD"));
    // Deleting a protected branch from the laptop is refused too.
    let p = t.push(&[":staging"]);
    assert!(!p.ok);
    assert!(p.stderr.contains("error[branch/delete]"), "{}", p.stderr);
}

#[test]
fn check_judges_the_commits_not_on_a_remote_and_revision_ranges() {
    let t = TestRemote::new("");
    t.gpg_key("Dev One", "dev@example.org", "dev.asc");
    t.set_policy("[signatures]\nrequire = \"all\"\nopenpgp-certs = [\"keys/dev.asc\"]\n");
    t.commit("a", "1\n", "pushed");
    t.remove_hook("pre-receive");
    assert!(t.push(&["HEAD:development"]).ok);
    t.git(&["fetch", "-q", "origin"]);
    let c1 = t.commit("a", "2\n", "local 1");
    t.commit("a", "3\n", "local 2");
    let policy = t.policy.to_str().unwrap().to_string();
    let out = t.pushgate(&t.work, &["check", "--policy", &policy, "--format", "json"], b"", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["decision"], "reject");
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2);
    for f in findings {
        assert_eq!(f["rule"], "signature/unsigned");
        assert_eq!(f["category"], "signature");
        assert_eq!(f["severity"], "block");
        assert_eq!(f["commit"].as_str().unwrap().len(), 40);
        assert!(f.get("path").is_some() && f.get("line").is_some() && f.get("ref").is_some());
    }
    let out = t.pushgate(&t.work, &["check", "--policy", &policy, "HEAD~1..HEAD"], b"", &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("1 problem"), "{}", stdout(&out));
    let out = t.pushgate(&t.work, &["check", "--policy", &policy, "HEAD", &format!("^{c1}")], b"", &[]);
    assert!(stdout(&out).contains("1 problem"), "{}", stdout(&out));
    // --policy after the command, SARIF output.
    let out = t.pushgate(&t.work, &["check", "HEAD~1..HEAD", "--format", "sarif", "--policy", &policy], b"", &[]);
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "signature/unsigned");
    assert_eq!(sarif["runs"][0]["results"][0]["level"], "error");
    // Nothing to check: exit 0.
    let out = t.pushgate(&t.work, &["check", "--policy", &policy, "HEAD..HEAD"], b"", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn malformed_hook_input_is_refused_with_a_reason() {
    let t = TestRemote::new("");
    let policy = t.policy.to_str().unwrap().to_string();
    let z = "0".repeat(40);
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"garbage\n".to_vec(), "line 1: expected 3"),
        (format!("{z} {} refs/heads/x\n", "g".repeat(40)).into_bytes(), "is not an object id"),
        (format!("{z} {} refs/heads/x\n", "1".repeat(64)).into_bytes(), "64 hex digits"),
        (format!("{z} {} ../../etc\n", "1".repeat(40)).into_bytes(), "not a valid ref name"),
        (b"\xff\xfe\n".to_vec(), "not valid UTF-8"),
    ];
    for (input, want) in cases {
        let out = t.pushgate(&t.server, &["--policy", &policy, "pre-receive"], &input, &[("GIT_DIR", ".")]);
        assert_eq!(out.status.code(), Some(2), "{want}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.starts_with("pushgate: push rejected: invalid input"), "{err}");
        assert!(err.contains(want), "{want}: {err}");
    }
    // An object the repository does not have: refused (exit 3), never accepted.
    let input = format!("{z} {} refs/heads/x\n", "1".repeat(40));
    let out = t.pushgate(&t.server, &["--policy", &policy, "pre-receive"], input.as_bytes(), &[("GIT_DIR", ".")]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("push rejected"));
}

#[test]
fn blank_lines_in_hook_input_are_ignored() {
    let t = TestRemote::new("");
    let c = t.commit("a", "1\n", "x");
    t.remove_hook("pre-receive");
    assert!(t.push(&["HEAD:development"]).ok);
    let policy = t.policy.to_str().unwrap().to_string();
    let input = format!("\n{} {c} refs/heads/other\n\n", "0".repeat(40));
    let out = t.pushgate(&t.server, &["--policy", &policy, "pre-receive"], input.as_bytes(), &[("GIT_DIR", ".")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("push accepted (0 commits checked)"), "{}", stderr(&out));
}

#[test]
fn a_policy_that_cannot_be_read_refuses_every_push() {
    let t = TestRemote::new(PROMOTION_POLICY);
    t.commit("a", "1\n", "x");
    std::fs::remove_file(&t.policy).unwrap();
    let p = t.push(&["HEAD:development"]);
    assert!(!p.ok);
    assert!(p.remote_lines().contains("cannot read policy"), "{}", p.stderr);
    assert_eq!(t.server_ref("refs/heads/development"), None);
    t.set_policy("[branches.live]\npromote-from = staging\n");
    let p = t.push(&["HEAD:development"]);
    assert!(!p.ok);
    assert!(p.remote_lines().contains("policy.toml:2:16"), "{}", p.stderr);
}

#[test]
fn policy_lookup_order() {
    let t = TestRemote::new("");
    let c = t.commit("a", "1\n", "x");
    std::fs::write(t.server.join("pushgate.toml"), "[branches.development]\ndelete = false\npushers = [\"nobody\"]\n")
        .unwrap();
    // No --policy: $GIT_DIR/pushgate.toml is used.
    t.install_hook("pre-receive", "pre-receive");
    let p = t.push(&["HEAD:development"]);
    assert!(!p.ok);
    assert!(p.remote_lines().contains("./pushgate.toml"), "{}", p.stderr);
    // $PUSHGATE_POLICY wins over it.
    let env_policy = t.home().join("env.toml");
    std::fs::write(&env_policy, "").unwrap();
    t.install_hook("pre-receive", &format!("pre-receive # PUSHGATE_POLICY={}", env_policy.display()));
    let hook = t.server.join("hooks/pre-receive");
    std::fs::write(&hook, format!("#!/bin/sh\nPUSHGATE_POLICY={} exec {BIN} pre-receive\n", env_policy.display()))
        .unwrap();
    let p = t.push(&["HEAD:development"]);
    assert!(p.ok, "{}", p.stderr);
    assert_eq!(t.server_ref("refs/heads/development").unwrap(), c);
}

#[test]
fn policy_check_reports_every_problem_with_positions() {
    let t = TestRemote::new("");
    let bad = t.home().join("bad.toml");
    std::fs::write(
        &bad,
        "[signatures]\nrequire = \"sometimes\"\nopenpgp-certs = [\"keys/none-*.asc\"]\n\n[branches.\"refs/heads/live\"]\n\n[branches.live]\npromote-from = \"staging\"\nforce-pushes = true\n",
    )
    .unwrap();
    let out = t.pushgate(t.dir.path(), &["policy", "check", bad.to_str().unwrap()], b"", &[]);
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!("policy_check_unknown_key", t.redact(&stderr(&out)));

    std::fs::write(&bad, "[signatures]\nrequire = \"sometimes\"\nopenpgp-certs = [\"keys/none-*.asc\"]\n\n[branches.\"refs/heads/live\"]\n[tags.\"v[\"]\n").unwrap();
    let out = t.pushgate(t.dir.path(), &["policy", "check", bad.to_str().unwrap()], b"", &[]);
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!("policy_check_bad_values", t.redact(&stderr(&out)));

    std::fs::write(&bad, "[branches.live\npromote-from = 1\n").unwrap();
    let out = t.pushgate(t.dir.path(), &["policy", "check", bad.to_str().unwrap()], b"", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("bad.toml:1:"), "{}", stderr(&out));

    std::fs::write(&bad, "[branches.live]\npromote-from = 1\n").unwrap();
    let out = t.pushgate(t.dir.path(), &["policy", "check", bad.to_str().unwrap()], b"", &[]);
    assert!(stderr(&out).contains("bad.toml:2:16"), "{}", stderr(&out));
    assert!(stderr(&out).contains("invalid type"), "{}", stderr(&out));
}

#[test]
fn the_documented_example_policy_is_valid() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out =
        std::process::Command::new(BIN).args(["policy", "check", &format!("{root}/policy.toml")]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("policy OK"));
}

#[test]
fn rules_lists_stable_ids() {
    let out = std::process::Command::new(BIN).arg("rules").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    for id in
        ["branch/not-promoted", "branch/force-push", "branch/delete", "branch/pusher-not-allowed", "signature/unsigned"]
    {
        assert!(text.contains(id), "{id} missing from\n{text}");
    }
    let out = std::process::Command::new(BIN).args(["rules", "--format", "json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["rules"].as_array().unwrap().len() >= 180);
}

#[test]
fn usage_errors_exit_2() {
    let out = std::process::Command::new(BIN).arg("no-such-command").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = std::process::Command::new(BIN).args(["update", "refs/heads/x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// `run-hook` runs the hook its file names, with the arguments git passes that hook, and refuses
/// anything else with the reason: extra or missing arguments, and `--policy` (the file names it).
#[test]
fn run_hook_takes_git_s_arguments_and_its_policy_from_the_file() {
    let t = TestRemote::new("");
    t.remove_hook("pre-receive");
    let server = t.server.to_str().unwrap().to_string();
    let policy = t.policy.to_str().unwrap().to_string();
    let out = t.pushgate(t.dir.path(), &["install", "bare", &server, "--policy", &policy], b"", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let hook = t.server.join("hooks/pre-receive");
    if !std::fs::read_to_string(&hook).unwrap().lines().next().unwrap().ends_with(" run-hook") {
        return; // a binary path with spaces or over 127 bytes gets a shell script (tests/deploy.rs)
    }
    let hook = hook.to_str().unwrap();
    let env = [("GIT_DIR", ".")];
    let ok = t.pushgate(&t.server, &["run-hook", hook], b"", &env);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    for (args, says) in [
        (vec!["run-hook", hook, "extra"], "pre-receive: git passes no arguments, got 1"),
        (vec!["--policy", &policy, "run-hook", hook], "run-hook takes the policy from the hook file"),
        (vec!["run-hook", "/nonexistent/hooks/pre-receive"], "hook file /nonexistent/hooks/pre-receive"),
    ] {
        let o = t.pushgate(&t.server, &args, b"", &env);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("push rejected: invalid input") && stderr(&o).contains(says), "{}", stderr(&o));
    }
}
