//! Deployment as users do it: `pushgate install` for each layout, then real pushes; bypass with a
//! reason through a push option; the audit log; the time budget.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

use common::{BIN, TestRemote};

const GHP: &str = "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";

fn install(t: &TestRemote, args: &[&str]) -> String {
    let out = t.pushgate(t.dir.path(), args, b"", &[]);
    assert_eq!(out.status.code(), Some(0), "install {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A server whose pre-receive hook was put in place by `pushgate install bare`.
fn installed_bare(policy: &str) -> TestRemote {
    let t = TestRemote::new(policy);
    t.remove_hook("pre-receive");
    let (server, policy) = (t.server.to_str().unwrap().to_string(), t.policy.to_str().unwrap().to_string());
    install(&t, &["install", "bare", &server, "--policy", &policy]);
    t
}

/// The `#!` line of the hook file `install` writes for this binary, if its path fits in one
/// (127 bytes, no whitespace); else install writes a shell script.
fn hook_file_line() -> Option<String> {
    let bin = std::fs::canonicalize(BIN).unwrap().display().to_string();
    let line = format!("#!{bin} run-hook");
    (line.len() <= 127 && !bin.contains(char::is_whitespace)).then_some(line)
}

#[test]
fn install_bare_then_push() {
    let t = installed_bare("[branches.live]\ndelete = false\n");
    let hook = std::fs::read_to_string(t.server.join("hooks/pre-receive")).unwrap();
    assert!(hook.contains(BIN) || hook.contains(&std::fs::canonicalize(BIN).unwrap().display().to_string()), "{hook}");
    match hook_file_line() {
        // git executes the file and the kernel runs pushgate on it: its TOML lines are not shell.
        Some(line) => assert!(hook.starts_with(&format!("{line}\n# installed by pushgate\n")), "{hook}"),
        None => assert!(hook.starts_with("#!/bin/sh\n# installed by pushgate\n"), "{hook}"),
    }
    // The policy named in the hook applies (deleting live is refused below).
    t.commit("a", "1\n", "x");
    assert!(t.push(&["HEAD:live"]).ok);
    let p = t.push(&[":live"]);
    assert!(!p.ok);
    assert!(p.remote_lines().contains("error[branch/delete]"), "{}", p.stderr);
    // Idempotent, and uninstall removes it.
    let (server, policy) = (t.server.to_str().unwrap().to_string(), t.policy.to_str().unwrap().to_string());
    let again = install(&t, &["install", "bare", &server, "--policy", &policy]);
    assert!(again.contains("unchanged"), "{again}");
    install(&t, &["install", "bare", &server, "--uninstall"]);
    assert!(!t.server.join("hooks/pre-receive").exists());
    assert!(t.push(&[":live"]).ok);
}

/// A hook file pushgate cannot use refuses every push and says why; a shell would have run none
/// of it either (the file is TOML below its `#!` line).
#[test]
fn a_hook_file_that_cannot_be_used_refuses_the_push() {
    let Some(line) = hook_file_line() else { return };
    let t = installed_bare("");
    let hook = t.server.join("hooks/pre-receive");
    let good = std::fs::read_to_string(&hook).unwrap();
    assert!(good.starts_with(&line), "{good}");
    t.commit("a", "1\n", "x");
    for (content, says) in [
        (good.replace("hook = \"pre-receive\"", "hook = \"post-receive\""), "expected \"pre-receive\" or \"pre-push\""),
        (good.replace("policy = \"", "policy = \"relative/"), "is not an absolute path"),
        (format!("{good}bypass = true\n"), "unknown field"),
        (good.replace("# installed by pushgate\n", ""), "write it with `pushgate install`"),
    ] {
        std::fs::write(&hook, &content).unwrap();
        let p = t.push(&["HEAD:development"]);
        assert!(!p.ok, "{content}");
        let text = p.remote_lines();
        assert!(text.contains("pushgate: push rejected: invalid input") && text.contains(says), "{text}");
        assert_eq!(t.server_ref("development"), None);
    }
    std::fs::write(&hook, &good).unwrap();
    assert!(t.push(&["HEAD:development"]).ok);
}

/// The hook reads the quarantine through a private object directory in `$TMPDIR` (or `/dev/shm`);
/// it is gone after every push, accepted or refused, and the quarantine itself is untouched.
#[test]
fn the_private_object_directory_is_removed_after_every_push() {
    let t = TestRemote::new("");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_str().unwrap();
    let env = [("TMPDIR", dir), ("PUSHGATE_LOG", "pushgate::push::repo=debug")];
    t.commit("a.txt", "fine\n", "clean");
    let ok = t.push_as(&env, &["HEAD:development"]);
    assert!(ok.ok, "{}", ok.stderr);
    assert!(ok.stderr.contains(&format!("shim={dir}/pushgate-odb-")), "{}", ok.stderr);
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    t.commit("b.txt", &format!("token = \"{GHP}\"\n"), "a token");
    let refused = t.push_as(&env, &["HEAD:development"]);
    assert!(!refused.ok && refused.stderr.contains("secret/github-pat"), "{}", refused.stderr);
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    assert_eq!(t.server_ref("development"), Some(t.rev("HEAD~1")));
}

/// Gitea's generated `hooks/pre-receive`: runs every executable in pre-receive.d with the same stdin.
const GITEA_WRAPPER: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/hooks/gitea-pre-receive.sh"));

#[test]
fn install_gitea_runs_under_giteas_wrapper_with_giteas_environment() {
    let t = TestRemote::new("[branches.live]\npushers = [\"alice\"]\n");
    let wrapper = t.server.join("hooks/pre-receive");
    std::fs::write(&wrapper, GITEA_WRAPPER).unwrap();
    common::make_executable(&wrapper);
    std::fs::create_dir_all(t.server.join("hooks/pre-receive.d")).unwrap();
    let (server, policy) = (t.server.to_str().unwrap().to_string(), t.policy.to_str().unwrap().to_string());
    install(&t, &["install", "gitea", &server, "--policy", &policy]);
    assert!(t.server.join("hooks/pre-receive.d/pushgate").exists());
    t.commit("a", "1\n", "x");
    let p = t.push_as(&[("GITEA_PUSHER_NAME", "mallory"), ("GITEA_PR_ID", "0")], &["HEAD:live"]);
    assert!(!p.ok);
    assert!(p.remote_lines().contains("`mallory` may not move live"), "{}", p.stderr);
    let p = t.push_as(&[("GITEA_PUSHER_NAME", "alice"), ("GITEA_PR_ID", "0")], &["HEAD:live"]);
    assert!(p.ok, "{}", p.stderr);
}

/// What Gitaly does with custom hooks: run each file of custom_hooks/pre-receive.d in order and
/// stop at the first refusal.
const GITLAB_RUNNER: &str = r#"#!/bin/sh
data=$(cat)
for hook in "$GIT_DIR"/custom_hooks/pre-receive.d/*; do
  [ -x "$hook" ] || continue
  printf '%s\n' "$data" | "$hook" || exit 1
done
"#;

#[test]
fn install_gitlab_output_reaches_the_ui_with_gl_hook_err() {
    let t = TestRemote::new("[branches.live]\npromote-from = \"staging\"\n");
    let runner = t.server.join("hooks/pre-receive");
    std::fs::write(&runner, GITLAB_RUNNER).unwrap();
    common::make_executable(&runner);
    let (server, policy) = (t.server.to_str().unwrap().to_string(), t.policy.to_str().unwrap().to_string());
    install(&t, &["install", "gitlab", &server, "--policy", &policy]);
    t.commit("a", "1\n", "x");
    let p = t.push_as(
        &[("GL_ID", "user-3"), ("GL_USERNAME", "dev"), ("GL_PROTOCOL", "ssh"), ("GIT_DIR", ".")],
        &["HEAD:live"],
    );
    assert!(!p.ok);
    let text = p.remote_lines();
    assert!(text.lines().next().unwrap().starts_with("GL-HOOK-ERR: pushgate: push rejected"), "{text}");
    assert!(text.contains("GL-HOOK-ERR: error[branch/not-promoted]"), "{text}");
}

#[test]
fn install_local_refuses_before_anything_leaves() {
    let t = TestRemote::new("");
    t.remove_hook("pre-receive");
    let out = t.pushgate(&t.work, &["install", "local", "--policy", t.policy.to_str().unwrap()], b"", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(t.work.join(".git/hooks/pre-push").exists());
    t.commit("app.py", &format!("token = \"{GHP}\"\n"), "oops");
    let p = t.push(&["HEAD:development"]);
    assert!(!p.ok);
    assert!(p.stderr.contains("error[secret/github-pat]"), "{}", p.stderr);
    assert_eq!(t.server_ref("refs/heads/development"), None, "nothing reached the server");
}

fn bypass_remote() -> TestRemote {
    let t = TestRemote::new("");
    let log = t.home().join("audit.jsonl");
    t.set_policy(&format!("[bypass]\nidentities = [\"alice\"]\n\n[audit]\nlog = \"{}\"\n", log.display()));
    t.server_git(&["config", "receive.advertisePushOptions", "true"]);
    t.commit("a", "1\n", "base");
    assert!(t.push(&["HEAD:development"]).ok);
    t.commit("fixture.py", &format!("token = \"{GHP}\"\n"), "test fixture");
    t
}

fn audit_lines(t: &TestRemote) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(t.home().join("audit.jsonl")).unwrap();
    assert!(!text.contains(GHP) && !text.contains(&GHP[4..]), "secret in the audit log");
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn bypass_with_a_reason_is_granted_to_listed_identities_and_audited() {
    let t = bypass_remote();
    let env = [("GITEA_PUSHER_NAME", "alice"), ("GITEA_PR_ID", "0")];
    let p = t.push_as(&env, &["-o", "pushgate.bypass=synthetic token in a test fixture", "HEAD:development"]);
    assert!(p.ok, "{}", p.stderr);
    let text = p.remote_lines();
    assert!(text.contains("warning[secret/github-pat]: (bypassed)"), "{text}");
    assert!(text.contains("bypass by alice granted"), "{text}");
    let last = audit_lines(&t).pop().unwrap();
    assert_eq!(last["decision"], "accept");
    assert_eq!(last["pusher"], "alice");
    assert_eq!(last["forge"], "gitea");
    assert_eq!(last["bypass"]["granted"], true);
    assert_eq!(last["bypass"]["reason"], "synthetic token in a test fixture");
    assert_eq!(last["refs"][0]["name"], "refs/heads/development");
    assert_eq!(last["findings"][0]["rule"], "secret/github-pat");
}

#[test]
fn bypass_is_refused_without_a_reason_or_for_other_identities() {
    let t = bypass_remote();
    let p = t.push_as(
        &[("GITEA_PUSHER_NAME", "bob"), ("GITEA_PR_ID", "0")],
        &["-o", "pushgate.bypass=trust me", "HEAD:development"],
    );
    assert!(!p.ok);
    let text = p.remote_lines();
    assert!(text.contains("error[policy/bypass-refused]: `bob` may not bypass pushgate"), "{text}");
    assert!(text.contains("error[secret/github-pat]"), "{text}");
    let p = t.push_as(
        &[("GITEA_PUSHER_NAME", "alice"), ("GITEA_PR_ID", "0")],
        &["-o", "pushgate.bypass=", "HEAD:development"],
    );
    assert!(!p.ok);
    assert!(p.remote_lines().contains("a bypass needs a reason"), "{}", p.stderr);
    let lines = audit_lines(&t);
    let refused: Vec<_> = lines.iter().filter(|l| l["bypass"]["granted"] == false).collect();
    assert_eq!(refused.len(), 2, "{lines:?}");
    assert!(refused.iter().all(|l| l["decision"] == "reject"));
    assert_eq!(t.server_ref("refs/heads/development").unwrap(), t.rev("HEAD~1"));
}

#[test]
fn bypass_does_not_cover_branch_rules_unless_listed() {
    let t = TestRemote::new("[bypass]\nidentities = [\"alice\"]\n[branches.live]\ndelete = false\n");
    t.server_git(&["config", "receive.advertisePushOptions", "true"]);
    t.commit("a", "1\n", "x");
    assert!(t.push(&["HEAD:live"]).ok);
    let env = [("GITEA_PUSHER_NAME", "alice"), ("GITEA_PR_ID", "0")];
    let p = t.push_as(&env, &["-o", "pushgate.bypass=cleanup", ":live"]);
    assert!(!p.ok, "{}", p.stderr);
    t.set_policy("[bypass]\nidentities = [\"alice\"]\ncategories = [\"branch\"]\n[branches.live]\ndelete = false\n");
    let p = t.push_as(&env, &["-o", "pushgate.bypass=cleanup", ":live"]);
    assert!(p.ok, "{}", p.stderr);
}

#[test]
fn every_push_decision_is_one_audit_line_even_under_concurrency() {
    let t = TestRemote::new("");
    let log = t.home().join("audit.jsonl");
    t.set_policy(&format!("[audit]\nlog = \"{}\"\n", log.display()));
    t.commit("a", "1\n", "x");
    assert!(t.push(&["HEAD:development"]).ok);
    let policy = t.policy.to_str().unwrap().to_string();
    let head = t.rev("HEAD");
    let zero = "0".repeat(40);
    let server = t.server.clone();
    std::thread::scope(|s| {
        for i in 0..10 {
            let (server, policy, head, zero) = (&server, &policy, &head, &zero);
            s.spawn(move || {
                use std::io::Write;
                let mut child = std::process::Command::new(BIN)
                    .args(["--policy", policy, "pre-receive"])
                    .current_dir(server)
                    .env("GIT_DIR", ".")
                    .stdin(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .unwrap();
                child.stdin.take().unwrap().write_all(format!("{zero} {head} refs/heads/b{i}\n").as_bytes()).unwrap();
                assert!(child.wait().unwrap().success());
            });
        }
    });
    let lines = std::fs::read_to_string(&log).unwrap();
    assert_eq!(lines.lines().count(), 11);
    for l in lines.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert!(v["time"].as_str().unwrap().ends_with('Z'));
    }
}

#[test]
fn an_audit_log_that_cannot_be_written_refuses_the_push() {
    let t = TestRemote::new("[audit]\nlog = \"no/such/dir/audit.jsonl\"\n");
    t.commit("a", "1\n", "x");
    let p = t.push(&["HEAD:development"]);
    assert!(!p.ok);
    assert!(p.remote_lines().contains("error[policy/audit-log-failed]"), "{}", p.stderr);
}

#[test]
fn the_time_budget_refuses_or_accepts_loudly() {
    let t = TestRemote::new("[limits]\ntime = \"1ms\"\n");
    for i in 0..50 {
        t.commit(&format!("f{i}.txt"), &"some text line\n".repeat(200), "bulk");
    }
    // The abandoned worker's private object directory is removed too.
    let tmp = tempfile::tempdir().unwrap();
    t.set_env("TMPDIR", tmp.path().to_str().unwrap());
    let p = t.push(&["HEAD:development"]);
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    assert!(!p.ok);
    assert!(
        p.remote_lines().contains("error[policy/time-budget-exceeded]: the checks did not finish within 1ms"),
        "{}",
        p.stderr
    );
    t.set_policy("[limits]\ntime = \"1ms\"\non-timeout = \"accept\"\n");
    let p = t.push(&["HEAD:development"]);
    assert!(p.ok, "{}", p.stderr);
    assert!(p.remote_lines().contains("warning[policy/time-budget-exceeded]"), "{}", p.stderr);
}

#[test]
fn a_push_over_max_push_bytes_is_refused_unchecked_or_accepted_and_checked() {
    let t = TestRemote::new("[limits]\nmax-push-bytes = 4000\n");
    // ≈ 17 KB that zlib cannot shrink much (a PRNG's output in hex), and a token.
    let mut x: u64 = 7;
    let mut data = String::new();
    for _ in 0..1000 {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        data.push_str(&format!("{x:016x}\n"));
    }
    let token = "const TOKEN: &str = \"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\";\n";
    t.commit("data.txt", &format!("{data}{token}"), "data");
    let p = t.push(&["HEAD:development"]);
    assert!(!p.ok);
    let said = p.remote_lines();
    assert!(said.contains("error[policy/push-too-large]: the push's objects take"), "{said}");
    assert!(said.contains("over the limit of 3.9 KiB"), "{said}");
    // Refused for its size, not read: the token is not reported.
    assert!(!said.contains("github-pat"), "{said}");
    assert!(t.server_ref("refs/heads/development").is_none());

    // Accepted over the limit: checked as usual (the token refuses it), and the size is said.
    t.set_policy("[limits]\nmax-push-bytes = 4000\non-oversize = \"accept\"\n");
    let said = t.push(&["HEAD:development"]).remote_lines();
    assert!(said.contains("warning[policy/push-too-large]"), "{said}");
    assert!(said.contains("secret/github-pat"), "{said}");
    std::fs::write(t.work.join("data.txt"), &data).unwrap();
    t.git(&["commit", "-q", "--amend", "-a", "-m", "data without the token"]);
    let p = t.push(&["HEAD:development"]);
    assert!(p.ok, "{}", p.stderr);
    assert!(p.remote_lines().contains("warning[policy/push-too-large]"), "{}", p.stderr);

    // Under the limit: nothing to say.
    t.set_policy("[limits]\nmax-push-bytes = 10000000\n");
    t.commit("small.txt", "small\n", "small");
    let p = t.push(&["HEAD:development"]);
    assert!(p.ok, "{}", p.stderr);
    assert!(!p.remote_lines().contains("push-too-large"), "{}", p.stderr);
}

#[test]
fn a_verdict_given_on_timeout_is_whole_json_and_audited() {
    // The watchdog thread gives this verdict while the checks still run, and ends the process:
    // its JSON must reach stdout whole, and the audit log must have its line.
    let t = TestRemote::new("");
    let log = t.home().join("audit.jsonl");
    t.set_policy(&format!("[limits]\ntime = \"1ms\"\n[audit]\nlog = \"{}\"\n", log.display()));
    for i in 0..50 {
        t.commit(&format!("f{i}.txt"), &"some text line\n".repeat(200), "bulk");
    }
    t.install_hook("pre-receive", &format!("--policy {} --format json pre-receive", t.policy.display()));
    let p = t.push(&["HEAD:development"]);
    assert!(!p.ok);
    let json: serde_json::Value = serde_json::from_str(&p.remote_lines()).expect("one JSON object");
    assert_eq!(json["decision"], "reject");
    assert_eq!(json["findings"][0]["rule"], "policy/time-budget-exceeded", "{json}");
    let audit = std::fs::read_to_string(&log).unwrap();
    assert_eq!(audit.lines().count(), 1, "{audit}");
    let entry: serde_json::Value = serde_json::from_str(audit.trim()).unwrap();
    assert_eq!(entry["decision"], "reject", "{entry}");
    // The budget ran out before the checks had opened the repository; the line still says
    // what was pushed.
    assert_eq!(entry["refs"][0]["name"], "refs/heads/development", "{entry}");
    assert!(t.server_ref("refs/heads/development").is_none());
}
