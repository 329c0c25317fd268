//! The commits a push introduces: reachable from a new ref value and from no ref that existed
//! before the push (`git rev-list <new>... --not <old refs>`), computed once for the whole push
//! and then attributed to the refs whose new value reaches them.

use std::collections::{HashMap, HashSet};

use gix::ObjectId;

/// A commit the push introduces.
#[derive(Debug, Clone)]
pub struct NewCommit {
    pub id: ObjectId,
    pub parents: Vec<ObjectId>,
    /// Indices into `Push::updates` of the refs whose new value reaches this commit.
    pub refs: Vec<usize>,
}

#[derive(Debug, thiserror::Error)]
pub enum WalkError {
    #[error("cannot walk the pushed commits: {0}")]
    Walk(String),
    #[error("object {id} cannot be read: {message}")]
    Object { id: ObjectId, message: String },
}

/// Where a ref value leads: the annotated tags on the way, and the object at the end.
#[derive(Debug, Clone)]
pub struct Peeled {
    pub tags: Vec<ObjectId>,
    pub end: ObjectId,
    pub kind: gix::object::Kind,
}

fn object_error(id: ObjectId) -> impl Fn(gix::Error) -> WalkError {
    move |e| WalkError::Object { id, message: e.to_string() }
}

/// Follow `id` through annotated tags to the first object that is not a tag.
pub fn peel(repo: &gix::Repository, id: ObjectId) -> Result<Peeled, WalkError> {
    let mut current = id;
    let mut tags = Vec::new();
    // A chain of tags longer than this is hostile; git itself gives up much earlier.
    for _ in 0..64 {
        // The header tells the kind without inflating the object: ref tips are mostly commits.
        let kind = repo.find_header(current).map_err(object_error(current))?.kind();
        if kind != gix::object::Kind::Tag {
            return Ok(Peeled { tags, end: current, kind });
        }
        tags.push(current);
        let tag = repo.find_object(current).map_err(object_error(current))?.into_tag();
        current = tag.target_id().map_err(object_error(current))?.detach();
    }
    Err(WalkError::Object { id, message: "tag chain is too long".into() })
}

/// Peel `id` through annotated tags. `Ok(None)` when it ends at a tree or blob.
pub fn peel_to_commit(repo: &gix::Repository, id: ObjectId) -> Result<Option<ObjectId>, WalkError> {
    let p = peel(repo, id)?;
    Ok((p.kind == gix::object::Kind::Commit).then_some(p.end))
}

/// `rev-list <tips> --not <hidden>`, newest first. `hidden` ids that are not commits are peeled;
/// ones that cannot be read are left out, which can only make more commits count as new.
///
/// `stored`: the repository's own object store without the quarantine, when the hook runs in
/// one. Then a push that only builds on ref tips (nearly every push) is listed without walking
/// the old history at all, see [`new_commits_above_refs`].
pub fn new_commits(
    repo: &gix::Repository,
    tips: &[ObjectId],
    hidden: &[ObjectId],
    stored: Option<&dyn gix::objs::Exists>,
) -> Result<Vec<(ObjectId, Vec<ObjectId>)>, WalkError> {
    if tips.is_empty() {
        return Ok(Vec::new());
    }
    if let Some(stored) = stored
        && let Some(list) = new_commits_above_refs(repo, tips, hidden, stored)?
    {
        tracing::debug!(commits = list.len(), "new commits: found above the old refs, no walk of old history");
        return Ok(list);
    }
    tracing::debug!(hidden = hidden.len(), "new commits: walking with every old ref hidden");
    let mut hide: Vec<ObjectId> = Vec::with_capacity(hidden.len());
    let mut seen = HashSet::new();
    for id in hidden {
        if seen.insert(*id)
            && let Ok(Some(c)) = peel_to_commit(repo, *id)
        {
            hide.push(c);
        }
    }
    let walk =
        repo.rev_walk(tips.iter().copied()).with_hidden(hide).all().map_err(|e| WalkError::Walk(e.to_string()))?;
    let mut out = Vec::new();
    for info in walk {
        let info = info.map_err(|e| WalkError::Walk(e.to_string()))?;
        out.push((info.id, info.parent_ids.iter().copied().collect()));
    }
    Ok(out)
}

/// Commits with their parents, in walk order.
type Listed = Vec<(ObjectId, Vec<ObjectId>)>;

/// Commits a fast walk may list before it gives way to the full one.
const ABOVE_REFS_LIMIT: usize = 100_000;

/// [`new_commits`] without walking old history, when that is provably the same list: a
/// breadth-first walk from `tips` (the order gix's walk gives) that stops at the `hidden` ids and
/// meets no commit the repository stored before the push. Every commit a ref reached before the
/// push is in the repository's own store (git keeps refs connected), so commits absent from it
/// are reached by no old ref, and whatever lies beyond the hidden ids is old. `None` as soon as
/// the walk meets a stored commit that is not a hidden id itself (a push onto an older commit,
/// through a tag, or no quarantine in use): the caller walks in full.
fn new_commits_above_refs(
    repo: &gix::Repository,
    tips: &[ObjectId],
    hidden: &[ObjectId],
    stored: &dyn gix::objs::Exists,
) -> Result<Option<Listed>, WalkError> {
    let boundary: HashSet<&ObjectId> = hidden.iter().collect();
    let mut seen: HashSet<ObjectId> = HashSet::new();
    let mut queue: std::collections::VecDeque<ObjectId> = std::collections::VecDeque::new();
    for t in tips {
        if !boundary.contains(t) && seen.insert(*t) {
            queue.push_back(*t);
        }
    }
    let mut out = Vec::new();
    while let Some(id) = queue.pop_front() {
        if out.len() >= ABOVE_REFS_LIMIT || stored.exists(&id) {
            return Ok(None);
        }
        let commit = repo.find_commit(id).map_err(|e| WalkError::Object { id, message: e.to_string() })?;
        let parents: Vec<ObjectId> = commit.parent_ids().map(|p| p.detach()).collect();
        for p in &parents {
            if !boundary.contains(p) && seen.insert(*p) {
                queue.push_back(*p);
            }
        }
        out.push((id, parents));
    }
    Ok(Some(out))
}

/// For each commit, which of the `tips` (by index) reach it through new commits only.
pub fn attribute(commits: &[(ObjectId, Vec<ObjectId>)], tips: &[(usize, ObjectId)]) -> HashMap<ObjectId, Vec<usize>> {
    let parents: HashMap<ObjectId, &Vec<ObjectId>> = commits.iter().map(|(id, p)| (*id, p)).collect();
    let mut out: HashMap<ObjectId, Vec<usize>> = HashMap::new();
    for (idx, tip) in tips {
        let mut stack = vec![*tip];
        let mut seen = HashSet::new();
        while let Some(id) = stack.pop() {
            if !seen.insert(id) {
                continue;
            }
            let Some(ps) = parents.get(&id) else { continue };
            out.entry(id).or_default().push(*idx);
            stack.extend(ps.iter().copied());
        }
    }
    out
}

/// Is `ancestor` reachable from `descendant` (or equal to it)?
pub fn is_ancestor(repo: &gix::Repository, ancestor: ObjectId, descendant: ObjectId) -> Result<bool, WalkError> {
    if ancestor == descendant {
        return Ok(true);
    }
    match repo.merge_base(ancestor, descendant) {
        Ok(Some(base)) => Ok(base.detach() == ancestor),
        Ok(None) => Ok(false),
        Err(e) => Err(WalkError::Walk(e.to_string())),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::disallowed_methods)]
mod tests {
    use super::*;

    fn oid(n: u8) -> ObjectId {
        ObjectId::from_bytes_or_panic(&[n; 20])
    }

    #[test]
    fn attribution_follows_only_new_commits() {
        // 3 -> 2 -> 1 (1's parent 0 is old); 4 -> 1
        let commits =
            vec![(oid(3), vec![oid(2)]), (oid(4), vec![oid(1)]), (oid(2), vec![oid(1)]), (oid(1), vec![oid(0)])];
        let a = attribute(&commits, &[(0, oid(3)), (1, oid(4))]);
        assert_eq!(a[&oid(3)], vec![0]);
        assert_eq!(a[&oid(4)], vec![1]);
        assert_eq!(a[&oid(1)], vec![0, 1]);
        assert!(!a.contains_key(&oid(0)));
    }

    /// What a repository stored before a push, for the fast walk.
    struct Stored(HashSet<ObjectId>);

    impl gix::objs::Exists for Stored {
        fn exists(&self, id: &gix::oid) -> bool {
            self.0.contains(id)
        }
    }

    fn git(dir: &std::path::Path, args: &[&str]) -> String {
        super::super::test_git::git(dir, args).trim().to_string()
    }

    /// A commit with `parents` (none: a root), made with plumbing so that any shape is possible.
    fn commit(dir: &std::path::Path, parents: &[&str], n: u32) -> String {
        std::fs::write(dir.join("f"), format!("{n}\n")).unwrap();
        git(dir, &["add", "f"]);
        let tree = git(dir, &["write-tree"]);
        let mut args = vec!["commit-tree", tree.as_str(), "-m", "c"];
        for p in parents {
            args.extend(["-p", p]);
        }
        let date = format!("{} +0000", 1_700_000_000 + n);
        let mut cmd = super::super::test_git::command(dir);
        cmd.env("GIT_AUTHOR_DATE", &date).env("GIT_COMMITTER_DATE", &date);
        super::super::test_git::run(&mut cmd, &args).trim().to_string()
    }

    fn id(hex: &str) -> ObjectId {
        ObjectId::from_hex(hex.as_bytes()).unwrap()
    }

    /// The walk above the old refs lists exactly what the full walk lists, in the same order,
    /// whenever it answers; and it gives way where it cannot prove its answer.
    #[test]
    fn the_walk_above_old_refs_agrees_with_the_full_walk() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        git(dir, &["init", "-q", "."]);
        // Old history: c1 - c2 - c3 - c4 - c5; refs: branch `main` at c5, branch `old` at c3, an
        // annotated tag at c2 (hidden by the tag object's id, not the commit's).
        let c1 = commit(dir, &[], 1);
        let c2 = commit(dir, &[&c1], 2);
        let c3 = commit(dir, &[&c2], 3);
        let c4 = commit(dir, &[&c3], 4);
        let c5 = commit(dir, &[&c4], 5);
        git(dir, &["update-ref", "refs/heads/main", &c5]);
        git(dir, &["update-ref", "refs/heads/old", &c3]);
        git(dir, &["tag", "-a", "-m", "v1", "v1", &c2]);
        let tag = git(dir, &["rev-parse", "v1"]);
        let stored = Stored(
            git(dir, &["cat-file", "--batch-all-objects", "--batch-check=%(objectname)"]).lines().map(id).collect(),
        );
        let hidden = vec![id(&c5), id(&c3), id(&tag)];
        // New commits (after `stored` was taken).
        let n1 = commit(dir, &[&c5], 11);
        let n2 = commit(dir, &[&n1], 12);
        let b1 = commit(dir, &[&c3], 13);
        let merge = commit(dir, &[&n2, &b1], 14);
        let on_c4 = commit(dir, &[&c4], 15);
        let on_tagged = commit(dir, &[&c2], 16);
        let root = commit(dir, &[], 17);
        let over_old = commit(dir, &[&merge, &on_c4], 18);
        let repo = gix::open(dir).unwrap();
        let cases: Vec<(Vec<&str>, bool)> = vec![
            (vec![&n1], true),
            (vec![&n2], true),
            (vec![&merge], true),
            (vec![&merge, &n1, &b1], true),
            (vec![&b1, &merge], true),
            (vec![&c5], true),
            (vec![&root], true),
            (vec![&root, &merge], true),
            // Onto c4, which no ref names: only the full walk can tell what is old.
            (vec![&on_c4], false),
            // Onto c2, hidden only through its tag.
            (vec![&on_tagged], false),
            (vec![&over_old], false),
            (vec![&c4], false),
        ];
        for (tips, fast) in cases {
            let tips: Vec<ObjectId> = tips.iter().map(|t| id(t)).collect();
            let full = new_commits(&repo, &tips, &hidden, None).unwrap();
            let above = new_commits_above_refs(&repo, &tips, &hidden, &stored).unwrap();
            assert_eq!(above.is_some(), fast, "tips {tips:?}");
            if let Some(above) = above {
                assert_eq!(above, full, "tips {tips:?}");
            }
            assert_eq!(new_commits(&repo, &tips, &hidden, Some(&stored)).unwrap(), full, "tips {tips:?}");
        }
        // Sanity: the full walk itself sees what `git rev-list` sees.
        let listed = git(dir, &["rev-list", &merge, "--not", &c5, &c3, &tag]);
        let full = new_commits(&repo, &[id(&merge)], &hidden, None).unwrap();
        let mut a: Vec<String> = listed.lines().map(String::from).collect();
        let mut b: Vec<String> = full.iter().map(|(c, _)| c.to_string()).collect();
        a.sort();
        b.sort();
        assert_eq!(a, b);
    }
}
