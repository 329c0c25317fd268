//! Protected branches and promotion, pushed with the real `git` into a bare repository whose
//! pre-receive hook is pushgate. After every refusal the server's refs must not have moved.
#![allow(clippy::unwrap_used)]

mod common;

use common::{PROMOTION_POLICY, TestRemote};

/// development has one commit, and staging and live point at it.
fn three_stages(policy: &str) -> (TestRemote, String) {
    let t = TestRemote::new(policy);
    let base = t.commit("app.txt", "v1\n", "first");
    for spec in ["development", "development:staging", "development:live"] {
        let p = t.push(&[spec]);
        assert!(p.ok, "{spec}: {}", p.stderr);
    }
    t.git(&["fetch", "-q", "origin"]);
    (t, base)
}

#[test]
fn promotion_by_fast_forward_is_accepted_stage_by_stage() {
    let (t, _) = three_stages(PROMOTION_POLICY);
    let c = t.commit("app.txt", "v2\n", "feature");
    assert!(t.push(&["development"]).ok);
    t.git(&["fetch", "-q", "origin"]);
    let p = t.push(&["origin/development:refs/heads/staging"]);
    assert!(p.ok, "{}", p.stderr);
    t.git(&["fetch", "-q", "origin"]);
    let p = t.push(&["origin/staging:refs/heads/live"]);
    assert!(p.ok, "{}", p.stderr);
    assert_eq!(t.server_ref("refs/heads/live").unwrap(), c);
    assert!(p.remote_lines().starts_with("pushgate: push accepted"), "{}", p.stderr);
}

#[test]
fn a_commit_made_directly_on_staging_is_refused() {
    let (t, base) = three_stages(PROMOTION_POLICY);
    let c = t.commit("app.txt", "hotfix\n", "direct fix");
    let p = t.push(&["HEAD:staging"]);
    assert!(!p.ok);
    assert_eq!(t.server_ref("refs/heads/staging").unwrap(), base, "refs moved after a refusal");
    let text = p.remote_lines();
    assert!(text.contains("error[branch/not-promoted]"), "{text}");
    assert!(text.contains(&format!("staging moved to {}", &c[..7])), "{text}");
    assert!(text.contains("which is not on development"), "{text}");
    insta::assert_snapshot!("direct_commit_on_staging", t.redact(&text));
}

#[test]
fn skipping_a_stage_is_refused() {
    let (t, base) = three_stages(PROMOTION_POLICY);
    t.commit("app.txt", "v2\n", "feature");
    assert!(t.push(&["development"]).ok);
    t.git(&["fetch", "-q", "origin"]);
    // development -> live, without staging.
    let p = t.push(&["origin/development:refs/heads/live"]);
    assert!(!p.ok);
    assert!(p.remote_lines().contains("which is not on staging"), "{}", p.stderr);
    assert_eq!(t.server_ref("refs/heads/live").unwrap(), base);
}

#[test]
fn promotion_uses_the_source_branch_as_it_stood_before_the_push() {
    let (t, base) = three_stages(PROMOTION_POLICY);
    t.commit("app.txt", "v2\n", "feature");
    // One push that moves development, staging and live together: staging and live are
    // refused because the commit was on neither source branch before the push.
    let p = t.push(&["HEAD:development", "HEAD:staging", "HEAD:live"]);
    assert!(!p.ok);
    let text = p.remote_lines();
    assert!(text.contains("refs/heads/staging") && text.contains("refs/heads/live"), "{text}");
    assert!(text.contains("2 problems"), "{text}");
    assert_eq!(t.server_ref("refs/heads/live").unwrap(), base);
    // pre-receive refuses the push as a whole: not even the unprotected ref moves.
    assert_eq!(t.server_ref("refs/heads/development").unwrap(), base);
}

#[test]
fn force_push_of_a_protected_branch_is_refused() {
    let (t, base) = three_stages(PROMOTION_POLICY);
    let c2 = t.commit("app.txt", "v2\n", "second");
    for spec in ["development", "development:staging", "development:live"] {
        assert!(t.push(&[spec]).ok);
    }
    // Rewind live to the first commit: it is on staging, but not a fast-forward.
    let p = t.push(&[&format!("+{base}:refs/heads/live")]);
    assert!(!p.ok);
    let text = p.remote_lines();
    assert!(text.contains("error[branch/force-push]"), "{text}");
    assert!(!text.contains("branch/not-promoted"), "{text}");
    assert_eq!(t.server_ref("refs/heads/live").unwrap(), c2);
    insta::assert_snapshot!("force_push_live", t.redact(&text));
}

#[test]
fn force_push_allowed_by_policy_is_accepted() {
    let policy = "[branches.staging]\nforce-push = true\n";
    let (t, base) = three_stages(policy);
    t.commit("app.txt", "v2\n", "second");
    assert!(t.push(&["HEAD:staging"]).ok);
    let p = t.push(&[&format!("+{base}:refs/heads/staging")]);
    assert!(p.ok, "{}", p.stderr);
    assert_eq!(t.server_ref("refs/heads/staging").unwrap(), base);
}

#[test]
fn deleting_a_protected_branch_is_refused_unless_allowed() {
    let (t, base) = three_stages(&format!("{PROMOTION_POLICY}\n[branches.\"feature/*\"]\ndelete = true\n"));
    let p = t.push(&[":live"]);
    assert!(!p.ok);
    assert!(p.remote_lines().contains("error[branch/delete]: live is protected and cannot be deleted"), "{}", p.stderr);
    assert_eq!(t.server_ref("refs/heads/live").unwrap(), base);
    assert!(t.push(&["HEAD:feature/x"]).ok);
    let p = t.push(&[":feature/x"]);
    assert!(p.ok, "{}", p.stderr);
    assert_eq!(t.server_ref("refs/heads/feature/x"), None);
}

#[test]
fn unprotected_branches_move_freely() {
    let (t, base) = three_stages(PROMOTION_POLICY);
    t.commit("app.txt", "v2\n", "x");
    assert!(t.push(&["HEAD:topic"]).ok);
    assert!(t.push(&[&format!("+{base}:refs/heads/topic")]).ok);
    assert!(t.push(&[":topic"]).ok);
}

#[test]
fn creating_a_protected_branch_follows_promotion() {
    let t = TestRemote::new(PROMOTION_POLICY);
    let base = t.commit("a", "1\n", "first");
    assert!(t.push(&["development"]).ok);
    // staging created from a commit that is on development: fine.
    assert!(t.push(&["development:staging"]).ok);
    // live created from a commit that is on no staging yet... it is: staging == base.
    t.commit("a", "2\n", "second");
    let p = t.push(&["HEAD:live"]);
    assert!(!p.ok);
    assert!(p.remote_lines().contains("live would be created at"), "{}", p.stderr);
    assert!(t.push(&[&format!("{base}:refs/heads/live")]).ok);
}

#[test]
fn promotion_from_a_branch_that_does_not_exist_is_refused() {
    let t = TestRemote::new("[branches.live]\npromote-from = \"staging\"\n");
    t.commit("a", "1\n", "first");
    let p = t.push(&["HEAD:live"]);
    assert!(!p.ok);
    assert!(p.remote_lines().contains("can only receive commits from staging, which does not exist"), "{}", p.stderr);
}

const PUSHERS: &str = r#"
[branches.live]
pushers = ["release-bot", "alice"]
"#;

#[test]
fn pushers_are_checked_with_gitea_and_gitlab_identities() {
    let t = TestRemote::new(PUSHERS);
    t.commit("a", "1\n", "first");
    let p = t.push_as(&[("GITEA_PUSHER_NAME", "mallory"), ("GITEA_PR_ID", "0")], &["HEAD:live"]);
    assert!(!p.ok);
    let text = p.remote_lines();
    assert!(text.contains("error[branch/pusher-not-allowed]: `mallory` may not move live"), "{text}");
    assert!(text.contains("release-bot, alice"), "{text}");
    assert_eq!(t.server_ref("refs/heads/live"), None);

    // No identity at all: refused too (fail closed).
    let p = t.push(&["HEAD:live"]);
    assert!(p.remote_lines().contains("an unidentified pusher may not move live"), "{}", p.stderr);

    let p = t.push_as(&[("GL_ID", "user-7"), ("GL_USERNAME", "alice"), ("GL_PROTOCOL", "ssh")], &["HEAD:live"]);
    assert!(p.ok, "{}", p.stderr);
    t.commit("a", "2\n", "second");
    let p = t.push_as(&[("GL_USER", "release-bot")], &["HEAD:live"]);
    assert!(p.ok, "{}", p.stderr);
    t.commit("a", "3\n", "third");
    let p = t.push_as(&[("REMOTE_USER", "eve")], &["HEAD:live"]);
    assert!(!p.ok);
}

#[test]
fn gitlab_output_carries_gl_hook_err_on_every_line() {
    let t = TestRemote::new(PUSHERS);
    t.commit("a", "1\n", "first");
    let p = t.push_as(&[("GL_ID", "user-9"), ("GL_USERNAME", "mallory"), ("GL_PROTOCOL", "http")], &["HEAD:live"]);
    assert!(!p.ok);
    let text = p.remote_lines();
    assert!(!text.is_empty());
    for line in text.lines() {
        assert!(line.starts_with("GL-HOOK-ERR: "), "{line:?} in\n{text}");
    }
}

/// A merge of staging into live made "in the UI": the forge pushes a merge commit whose first
/// parent is live and whose second is staging's tip.
fn forge_merge_setup(forge_merges: bool) -> (TestRemote, String, String) {
    let policy = format!("[branches.live]\npromote-from = \"staging\"\nforge-merges = {forge_merges}\n");
    let t = TestRemote::new(&policy);
    let base = t.commit("a", "1\n", "first");
    for spec in ["HEAD:development", "HEAD:staging", "HEAD:live"] {
        assert!(t.push(&[spec]).ok);
    }
    t.git(&["checkout", "-q", "-b", "staging"]);
    t.commit("b", "feature\n", "feature on staging");
    assert!(t.push(&["staging:staging"]).ok);
    t.git(&["checkout", "-q", "-b", "live", &base]);
    t.commit("c", "hotfix\n", "x"); // make live diverge so the merge is a real merge
    t.git(&["reset", "-q", "--hard", &base]);
    t.git(&["merge", "-q", "--no-ff", "-m", "Merge branch 'staging' into 'live'", "staging"]);
    let merge = t.rev("HEAD");
    (t, base, merge)
}

#[test]
fn forge_merges_are_accepted_only_when_policy_allows_and_the_forge_made_them() {
    let (t, base, merge) = forge_merge_setup(true);
    // A developer pushing the same merge from a laptop: refused.
    let p = t.push_as(&[("GL_ID", "user-1"), ("GL_USERNAME", "dev"), ("GL_PROTOCOL", "ssh")], &["live:live"]);
    assert!(!p.ok);
    assert!(p.remote_lines().contains("branch/not-promoted"), "{}", p.stderr);
    assert_eq!(t.server_ref("refs/heads/live").unwrap(), base);
    // GitLab's web merge: accepted.
    let p = t.push_as(&[("GL_ID", "user-1"), ("GL_USERNAME", "dev"), ("GL_PROTOCOL", "web")], &["live:live"]);
    assert!(p.ok, "{}", p.stderr);
    assert_eq!(t.server_ref("refs/heads/live").unwrap(), merge);
}

#[test]
fn forge_merges_are_refused_when_policy_does_not_allow_them() {
    let (t, base, _) = forge_merge_setup(false);
    let p = t.push_as(
        &[("GITEA_PUSHER_NAME", "dev"), ("GITEA_PR_ID", "12"), ("GITEA_PUSH_TRIGGER", "pr-merge-to-base")],
        &["live:live"],
    );
    assert!(!p.ok);
    assert_eq!(t.server_ref("refs/heads/live").unwrap(), base);
}

#[test]
fn a_forge_merge_of_a_branch_that_is_not_the_source_is_refused() {
    let policy = "[branches.live]\npromote-from = \"staging\"\nforge-merges = true\n";
    let t = TestRemote::new(policy);
    let base = t.commit("a", "1\n", "first");
    for spec in ["HEAD:development", "HEAD:staging", "HEAD:live"] {
        assert!(t.push(&[spec]).ok);
    }
    t.git(&["checkout", "-q", "-b", "topic"]);
    t.commit("b", "unreviewed\n", "topic work");
    assert!(t.push(&["topic:topic"]).ok);
    t.git(&["checkout", "-q", "-b", "live", &base]);
    t.git(&["merge", "-q", "--no-ff", "-m", "merge topic", "topic"]);
    let p = t.push_as(&[("GITEA_PUSHER_NAME", "dev"), ("GITEA_PR_ID", "3")], &["live:live"]);
    assert!(!p.ok, "{}", p.stderr);
}

#[test]
fn immutable_tags_cannot_move_or_disappear() {
    let t = TestRemote::new("[tags.\"v*\"]\nimmutable = true\n");
    let a = t.commit("a", "1\n", "first");
    t.git(&["tag", "v1.0"]);
    assert!(t.push(&["HEAD:development", "v1.0"]).ok);
    t.commit("a", "2\n", "second");
    t.git(&["tag", "-f", "v1.0"]);
    let p = t.push(&["+v1.0"]);
    assert!(!p.ok);
    assert!(p.remote_lines().contains("error[branch/tag-moved]: tag v1.0 is immutable"), "{}", p.stderr);
    let p = t.push(&[":refs/tags/v1.0"]);
    assert!(!p.ok);
    assert!(p.remote_lines().contains("error[branch/tag-deleted]"), "{}", p.stderr);
    assert_eq!(t.server_ref("refs/tags/v1.0").unwrap(), a);
    // Other tags and new tags are fine.
    t.git(&["tag", "scratch"]);
    assert!(t.push(&["scratch"]).ok);
    assert!(t.push(&["+HEAD:refs/tags/scratch"]).ok);
    t.git(&["tag", "v2.0"]);
    assert!(t.push(&["v2.0"]).ok);
}

#[test]
fn the_update_hook_judges_each_ref() {
    let t = TestRemote::new(PROMOTION_POLICY);
    t.remove_hook("pre-receive");
    t.install_hook("update", &format!("--policy {} update", t.policy.display()));
    let base = t.commit("a", "1\n", "first");
    assert!(t.push(&["development", "development:staging"]).ok);
    t.commit("a", "2\n", "second");
    // topic is unprotected and moves; staging is refused, in the same push.
    let p = t.push(&["HEAD:topic", "HEAD:staging"]);
    assert!(!p.ok);
    assert!(p.remote_lines().contains("branch/not-promoted"), "{}", p.stderr);
    assert_eq!(t.server_ref("refs/heads/staging").unwrap(), base);
    assert_eq!(t.server_ref("refs/heads/topic").unwrap(), t.rev("HEAD"));
}

#[test]
fn promotion_is_judged_the_same_with_a_commit_graph_on_the_server() {
    let (t, base) = three_stages(PROMOTION_POLICY);
    for i in 0..20 {
        t.commit("app.txt", &format!("v{i}\n"), "history");
    }
    assert!(t.push(&["HEAD:development"]).ok);
    t.server_git(&["commit-graph", "write", "--reachable"]);
    assert!(
        t.server.join("objects/info/commit-graph").exists() || t.server.join("objects/info/commit-graphs").exists()
    );
    t.git(&["fetch", "-q", "origin"]);
    // Promotion of a commit that is in the graph: accepted.
    let p = t.push(&["origin/development:refs/heads/staging"]);
    assert!(p.ok, "{}", p.stderr);
    // A new (quarantined, not in the graph) commit straight to staging: refused.
    t.commit("app.txt", "direct\n", "direct");
    let p = t.push(&["HEAD:staging"]);
    assert!(!p.ok);
    assert!(p.remote_lines().contains("branch/not-promoted"), "{}", p.stderr);
    // Rewinding staging below its tip: refused as a force-push.
    let p = t.push(&[&format!("+{base}:refs/heads/staging")]);
    assert!(!p.ok);
    assert!(p.remote_lines().contains("branch/force-push"), "{}", p.stderr);
}
