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
pub fn new_commits(
    repo: &gix::Repository,
    tips: &[ObjectId],
    hidden: &[ObjectId],
) -> Result<Vec<(ObjectId, Vec<ObjectId>)>, WalkError> {
    if tips.is_empty() {
        return Ok(Vec::new());
    }
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
}
