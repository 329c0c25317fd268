//! Protected branches and tags: promotion (development → staging → live by fast-forward),
//! force-pushes, deletions, who may move a branch, and immutable tags.
//!
//! A branch with `promote-from = S` may only move to a commit that was already reachable from
//! `S` *before this push*, and only by fast-forward. Pushing to `S` and to the branch in the same
//! push therefore does not promote: the commit has to be on `S` first, where its own checks ran.

pub mod codes;

use gix::ObjectId;

use crate::policy::{BranchRule, Policy};
use crate::push::{Mode, Push, RefUpdate, WalkError};
use crate::report::{Category, Finding};

use codes::*;

fn short(id: ObjectId) -> String {
    id.to_hex_with_len(7).to_string()
}

/// Judge every ref update of the push against the branch and tag rules.
pub fn check(push: &Push, policy: &Policy) -> Result<Vec<Finding>, WalkError> {
    let mut out = Vec::new();
    for u in &push.updates {
        if let Some(branch) = u.branch() {
            for rule in policy.branch_rules(branch) {
                check_branch(push, policy, u, branch, rule, &mut out)?;
            }
        } else if let Some(tag) = u.tag() {
            for rule in policy.tags.iter().filter(|r| r.immutable && r.applies_to(tag)) {
                let Some(old) = u.old else { continue };
                let label = policy.label(&rule.span);
                let f = if u.is_delete() {
                    Finding::new(TAG_DELETED, Category::Branch, format!("tag {tag} is immutable and cannot be deleted"))
                        .help(format!("tags matching `{}` never move or disappear once pushed", rule.pattern))
                } else {
                    Finding::new(
                        TAG_MOVED,
                        Category::Branch,
                        format!("tag {tag} is immutable: it points at {} and cannot be moved", short(old)),
                    )
                    .help(format!("create a new tag instead (tags matching `{}` never move once pushed)", rule.pattern))
                };
                out.push(f.at_ref(&u.name).policy(label));
            }
        }
    }
    Ok(out)
}

fn check_branch(
    push: &Push,
    policy: &Policy,
    u: &RefUpdate,
    branch: &str,
    rule: &BranchRule,
    out: &mut Vec<Finding>,
) -> Result<(), WalkError> {
    let table = policy.label(&rule.span);
    if push.mode.is_server() && !rule.pushers.is_empty() {
        let allowed = push.identity.pusher.as_ref().is_some_and(|p| rule.pushers.iter().any(|a| a == p));
        if !allowed {
            let who =
                push.identity.pusher.as_deref().map_or("an unidentified pusher".to_string(), |p| format!("`{p}`"));
            out.push(
                Finding::new(PUSHER_NOT_ALLOWED, Category::Branch, format!("{who} may not move {branch}"))
                    .at_ref(&u.name)
                    .policy(table.clone())
                    .help(format!("only these identities may move {branch}: {}", rule.pushers.join(", "))),
            );
        }
    }
    let remote = match &push.mode {
        Mode::PrePush { remote } => remote.as_str(),
        _ => "origin",
    };
    let Some(new) = u.new else {
        if !rule.delete {
            out.push(
                Finding::new(DELETE, Category::Branch, format!("{branch} is protected and cannot be deleted"))
                    .at_ref(&u.name)
                    .policy(table)
                    .help(format!("deleting {branch} needs `delete = true` in its policy entry")),
            );
        }
        return Ok(());
    };
    let Some(new_commit) = push.peel(new)? else {
        out.push(
            Finding::new(
                NOT_A_COMMIT,
                Category::Branch,
                format!("{branch} would point at {}, which is not a commit", short(new)),
            )
            .at_ref(&u.name)
            .policy(table),
        );
        return Ok(());
    };
    if let Some(old) = u.old
        && !rule.force_push
        && !push.is_ancestor(old, new_commit)?
    {
        out.push(
            Finding::new(
                FORCE_PUSH,
                Category::Branch,
                format!(
                    "{branch} cannot be force-pushed: {} does not contain its current tip {}",
                    short(new_commit),
                    short(old)
                ),
            )
            .at_ref(&u.name)
            .in_commit(new_commit)
            .policy(table.clone())
            .help(format!("bring your branch up to date first (git pull --rebase {remote} {branch}), then push again")),
        );
    }
    if let Some(from) = &rule.promote_from {
        let source = from.get_ref();
        let label = policy.label(&from.span());
        match push.branch_before(source) {
            None => out.push(
                Finding::new(
                    NOT_PROMOTED,
                    Category::Branch,
                    format!("{branch} can only receive commits from {source}, which does not exist"),
                )
                .at_ref(&u.name)
                .in_commit(new_commit)
                .policy(label)
                .help(format!("create {source} first and promote from it")),
            ),
            Some(source_tip) => {
                let Some(source_tip) = push.peel(source_tip)? else { return Ok(()) };
                if !push.is_ancestor(new_commit, source_tip)? && !forge_merge_ok(push, rule, u, new_commit, source_tip)?
                {
                    let verb = if u.is_create() { "would be created at" } else { "moved to" };
                    let direct = if push.is_new(new_commit) { " (a commit made directly on it)" } else { "" };
                    out.push(
                        Finding::new(NOT_PROMOTED, Category::Branch, format!("{branch} {verb} {}{direct}, which is not on {source}", short(new_commit)))
                            .at_ref(&u.name)
                            .in_commit(new_commit)
                            .policy(label)
                            .help(format!(
                                "commits reach {branch} only through {source}: push them to {source} first, then promote\n\
                                 by fast-forwarding {branch} to a commit {source} already has: git push {remote} {remote}/{source}:refs/heads/{branch}"
                            )),
                    );
                }
            }
        }
    }
    Ok(())
}

/// A merge made by the forge in its UI (Gitea PR merge, GitLab web merge) into a branch whose
/// policy says `forge-merges = true`: accepted when its first parent is the branch's old tip and
/// every other parent is already on the promotion source. The forge's own review and merge
/// permissions are then what guards the branch; the merged commits themselves are promoted ones.
fn forge_merge_ok(
    push: &Push,
    rule: &BranchRule,
    u: &RefUpdate,
    new: ObjectId,
    source_tip: ObjectId,
) -> Result<bool, WalkError> {
    if !rule.forge_merges || !push.identity.forge_merge || !push.mode.is_server() {
        return Ok(false);
    }
    let Some(commit) = push.commit(new) else { return Ok(false) };
    let [first, rest @ ..] = commit.parents.as_slice() else { return Ok(false) };
    if rest.is_empty() || Some(*first) != u.old {
        return Ok(false);
    }
    for p in rest {
        if !push.is_ancestor(*p, source_tip)? {
            return Ok(false);
        }
    }
    Ok(true)
}
