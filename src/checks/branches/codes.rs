//! Rule ids of the branch and tag protection check, with their one-line docs.

use crate::rules::RuleMeta;

pub const NOT_PROMOTED: &str = "branch/not-promoted";
pub const FORCE_PUSH: &str = "branch/force-push";
pub const DELETE: &str = "branch/delete";
pub const PUSHER_NOT_ALLOWED: &str = "branch/pusher-not-allowed";
pub const NOT_A_COMMIT: &str = "branch/not-a-commit";
pub const TAG_MOVED: &str = "branch/tag-moved";
pub const TAG_DELETED: &str = "branch/tag-deleted";

pub const RULES: &[RuleMeta] = &[
    RuleMeta::new(
        NOT_PROMOTED,
        "a protected branch moved to a commit that is not on its `promote-from` branch (as it stood before the push)",
    ),
    RuleMeta::new(FORCE_PUSH, "a protected branch was moved by a non-fast-forward push (history rewritten)"),
    RuleMeta::new(DELETE, "a protected branch was deleted"),
    RuleMeta::new(PUSHER_NOT_ALLOWED, "the pusher is not in the branch's `pushers` list"),
    RuleMeta::new(NOT_A_COMMIT, "a protected branch was pointed at a tree or blob"),
    RuleMeta::new(TAG_MOVED, "an immutable tag was moved to another object"),
    RuleMeta::new(TAG_DELETED, "an immutable tag was deleted"),
];
