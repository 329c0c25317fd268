//! Errors of `pushgate install`: each says which path is wrong and what to do about it.

use std::fmt;
use std::io;
use std::path::PathBuf;

use super::Action;

/// Why an installation (or uninstallation) did not happen, or did not happen everywhere.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// The hook must find the binary from any working directory and any `PATH` (git, Gitea and
    /// Gitaly run hooks with their own environment), so only an absolute path will do.
    #[error("the pushgate binary path must be absolute, got {}", .0.display())]
    RelativeBinary(PathBuf),
    /// Same reason as [`InstallError::RelativeBinary`]: hooks run in `$GIT_DIR` or the work tree.
    #[error("the policy path must be absolute, got {}", .0.display())]
    RelativePolicy(PathBuf),
    #[error("{} does not exist", .0.display())]
    Missing(PathBuf),
    #[error("{} is not a git directory{hint}", path.display())]
    NotAGitDir { path: PathBuf, hint: &'static str },
    #[error("{} is not a directory", .0.display())]
    NotADirectory(PathBuf),
    /// A `.git` file (worktree, submodule) that does not say `gitdir: <path>`.
    #[error("cannot read {}: {reason}", path.display())]
    BadGitFile { path: PathBuf, reason: &'static str },
    /// The repository's `config` has a `core.hooksPath` this module cannot read with confidence.
    #[error("cannot read core.hooksPath from {}: {reason}", path.display())]
    BadConfig { path: PathBuf, reason: &'static str },
    /// The place where an existing hook would be kept is taken; never overwrite it.
    #[error(
        "{} exists and is not pushgate's, and {} is already taken, so the existing hook cannot be kept; \
         move one of them away and run again",
        hook.display(),
        chained.display()
    )]
    ChainSlotTaken { hook: PathBuf, chained: PathBuf },
    /// A file with our name in a `*.d/` directory that we did not write.
    #[error("{} exists and was not installed by pushgate; remove or rename it, then run again", .0.display())]
    ForeignFile(PathBuf),
    #[error("{} is a directory, expected a hook file", .0.display())]
    HookIsDirectory(PathBuf),
    #[error("no repositories (<owner>/<repo>.git) found under {}; is this Gitea's repository root?", .0.display())]
    NoRepositories(PathBuf),
    #[error("could not {op} {}: {source}{}", path.display(), permission_hint(source))]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// `--all`: some repositories were done, some failed. `done` lists what did happen.
    #[error("{}", Incomplete(failed))]
    Incomplete { done: Vec<Action>, failed: Vec<(PathBuf, InstallError)> },
}

impl InstallError {
    pub(super) fn io(op: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> Self {
        let path = path.into();
        move |source| InstallError::Io { op, path, source }
    }
}

fn permission_hint(e: &io::Error) -> &'static str {
    if e.kind() == io::ErrorKind::PermissionDenied {
        " (run as the user that owns the repositories, e.g. `sudo -u git pushgate install ...`)"
    } else {
        ""
    }
}

struct Incomplete<'a>(&'a [(PathBuf, InstallError)]);

impl fmt::Display for Incomplete<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} repositories failed:", self.0.len())?;
        for (repo, e) in self.0 {
            write!(f, "\n  {}: {e}", repo.display())?;
        }
        Ok(())
    }
}
