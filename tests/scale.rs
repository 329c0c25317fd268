//! Many refs and many pushes: correctness at scale (speed is measured in bench/, not here).
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

use common::TestRemote;

const GHP: &str = "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";

#[test]
fn ten_concurrent_pushes_each_get_their_own_verdict() {
    let t = TestRemote::new("");
    t.commit("a", "1\n", "base");
    assert!(t.push(&["HEAD:development"]).ok);
    let base = t.rev("HEAD");
    // Ten commits on ten branches; the odd ones carry a secret.
    let mut tips = Vec::new();
    for i in 0..10 {
        t.git(&["checkout", "-q", "-B", &format!("b{i}"), &base]);
        let body = if i % 2 == 1 { format!("token = {GHP}\n") } else { format!("x = {i}\n") };
        tips.push(t.commit(&format!("f{i}.py"), &body, &format!("change {i}")));
    }
    let work = t.work.clone();
    let home = t.home();
    let results: Vec<(usize, bool, String)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..10)
            .map(|i| {
                let (work, home) = (&work, &home);
                s.spawn(move || {
                    let out = std::process::Command::new("git")
                        .args(["push", "origin", &format!("b{i}:refs/heads/b{i}")])
                        .current_dir(work)
                        .env("HOME", home)
                        .env("GIT_CONFIG_NOSYSTEM", "1")
                        .env("GIT_CONFIG_GLOBAL", "/dev/null")
                        .output()
                        .unwrap();
                    (i, out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (i, ok, stderr) in results {
        assert_eq!(ok, i % 2 == 0, "push {i}: {stderr}");
        let on_server = t.server_ref(&format!("refs/heads/b{i}"));
        if i % 2 == 0 {
            assert_eq!(on_server.as_deref(), Some(tips[i].as_str()));
        } else {
            assert!(stderr.contains("secret/github-pat"), "push {i}: {stderr}");
            assert_eq!(on_server, None);
        }
    }
}

#[test]
fn a_one_commit_push_into_a_repository_with_ten_thousand_refs() {
    let t = TestRemote::new("[branches.live]\npromote-from = \"staging\"\n");
    t.commit("a", "1\n", "base");
    assert!(t.push(&["HEAD:development"]).ok);
    assert!(t.push(&["HEAD:staging"]).ok);
    let base = t.rev("HEAD");
    // 10 000 refs in packed-refs, all at existing history.
    let mut packed = String::from("# pack-refs with: peeled fully-peeled sorted \n");
    let mut names: Vec<String> = (0..10_000).map(|i| format!("refs/heads/team/r{i:05}")).collect();
    names.sort();
    for n in &names {
        packed.push_str(&format!("{base} {n}\n"));
    }
    std::fs::write(t.server.join("packed-refs"), packed).unwrap();
    assert_eq!(t.server_git(&["for-each-ref", "--count=20000"]).lines().count(), 10_002);
    t.commit("b", "2\n", "one new commit");
    let p = t.push_as(&[("PUSHGATE_LOG", "pushgate::push=debug")], &["HEAD:refs/heads/topic"]);
    assert!(p.ok, "{}", p.stderr);
    assert!(p.remote_lines().contains("push accepted (1 commit checked)"), "{}", p.stderr);
    // The new commit sits on a ref tip: listed without walking the 10 000 refs' history.
    assert!(p.remote_lines().contains("found above the old refs"), "{}", p.stderr);
    let p = t.push(&["HEAD:live"]);
    assert!(!p.ok);
    assert!(p.remote_lines().contains("branch/not-promoted"), "{}", p.stderr);
}

/// A push onto an old commit that no ref names cannot be listed from the quarantine alone: the
/// hook walks with every old ref hidden, and still checks exactly the new commits.
#[test]
fn a_push_onto_an_old_commit_that_no_ref_names_is_walked_in_full() {
    let t = TestRemote::new("");
    t.commit("a", "1\n", "one");
    let first = t.rev("HEAD");
    t.commit("a", "2\n", "two");
    t.commit("a", "3\n", "three");
    assert!(t.push(&["HEAD:development"]).ok);
    // Two new commits on top of `first`, which the server has but no ref names.
    t.git(&["checkout", "-q", "-b", "side", &first]);
    t.commit("b", "x\n", "side one");
    t.commit("c", "y\n", "side two");
    let p = t.push_as(&[("PUSHGATE_LOG", "pushgate::push=debug")], &["HEAD:refs/heads/side"]);
    let out = p.remote_lines();
    assert!(p.ok, "{out}");
    assert!(out.contains("walking with every old ref hidden"), "{out}");
    assert!(out.contains("push accepted (2 commits checked)"), "{out}");
    // The same road refuses a secret.
    t.git(&["checkout", "-q", "-b", "side2", &first]);
    t.commit("d", &format!("token = \"{GHP}\"\n"), "side token");
    let p = t.push_as(&[("PUSHGATE_LOG", "pushgate::push=debug")], &["HEAD:refs/heads/side2"]);
    let out = p.remote_lines();
    assert!(!p.ok, "the token must be refused:\n{out}");
    assert!(out.contains("walking with every old ref hidden"), "{out}");
    assert!(out.contains("secret/github-pat"), "{out}");
}
