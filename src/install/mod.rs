//! `pushgate install`: puts the hook where each kind of server (or clone) runs it, and takes it
//! away again. No git, no shell: plain file operations, so it works on a Gitea or Gitaly host
//! as the user that owns the repositories.
//!
//! | target | file written | notes |
//! |---|---|---|
//! | [`Target::Bare`] | `<repo>/hooks/pre-receive` (or under `core.hooksPath`) | an existing hook is kept as `pre-receive.pushgate-chained` and still runs |
//! | [`Target::Gitea`] | `<repo>/hooks/pre-receive.d/pushgate` | Gitea's own `hooks/pre-receive` runs every file in `pre-receive.d/` |
//! | [`Target::GiteaAll`] | the same, for every `<root>/<owner>/<repo>.git` | wikis (`<repo>.wiki.git`) included: wiki pushes can leak secrets too |
//! | [`Target::GitLab`] | `<repo>/custom_hooks/pre-receive.d/pushgate` | Gitaly runs it after GitLab's own checks |
//! | [`Target::GitLabGlobal`] | `<dir>/pre-receive.d/pushgate` | `<dir>` is gitaly's `[hooks] custom_hooks_dir`; every repository, wikis included |
//! | [`Target::Local`] | `<git dir>/hooks/pre-push` (or under `core.hooksPath`) | chains an existing `pre-push` like `Bare` |
//!
//! Every file is a hook file (`#!<binary> run-hook`, the binary reads it: no shell starts) or a
//! `#!/bin/sh` script (see `script.rs`), with `# installed by pushgate` as its second line; those
//! two lines are how a later run recognises its own files. Nothing without them is ever changed or
//! removed, except that an existing main hook (`hooks/pre-receive`, `hooks/pre-push`) is *moved* to
//! `<hook>.pushgate-chained` (never over an existing file of that name) and run after pushgate
//! by the new hook, with the same standard input and arguments; the push goes ahead only if both
//! accept. Uninstalling moves it back, byte for byte. Running install twice changes nothing the
//! second time ([`ActionKind::Unchanged`]); running it with another binary or policy path
//! rewrites our file ([`ActionKind::Updated`]).
//!
//! The hook calls the binary by its absolute path and records `--policy` when given, because
//! git, Gitea and Gitaly run hooks with their own working directory and `PATH`.
//!
//! ## Repositories created later (Gitea)
//!
//! Gitea has no server-wide hook directory, and seeding new repositories through git's
//! `init.templateDir` stopped working in Gitea 1.17 (go-gitea/gitea#21643). Re-run
//! `pushgate install gitea --all <root>` after creating repositories — from cron (it is
//! idempotent and touches only repositories that lack the hook), and after
//! `gitea admin regenerate hooks`, which rewrites only `hooks/pre-receive` and
//! `hooks/pre-receive.d/gitea` and so leaves our file in place, but is also how a repository
//! whose wrapper is missing gets it back. Until then a new repository is unprotected.
//! On GitLab the global directory ([`Target::GitLabGlobal`]) covers new repositories by itself.
//!
//! ## What is not read
//!
//! For [`Target::Local`] and [`Target::Bare`], `core.hooksPath` is honoured when it is set in the
//! repository's own `config` file. A `core.hooksPath` set in `~/.gitconfig`, `/etc/gitconfig`,
//! `config.worktree` or an `include`d file is not seen: check with
//! `git config --show-origin core.hooksPath` and install there by hand if it is set.
//! Gitea and GitLab targets ignore `core.hooksPath` (the forge decides where hooks run from).

mod error;
mod gitdir;
mod place;
mod script;
#[cfg(test)]
mod tests;

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

pub use error::InstallError;
pub use script::{Hook, HookFile, MAX_HOOK_FILE, RUN_HOOK, read_hook_file};

/// Where to install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A plain bare repository served by `git daemon`, SSH, smart HTTP or gitolite.
    Bare(PathBuf),
    /// One Gitea/Forgejo repository (`<root>/<owner>/<repo>.git`).
    Gitea(PathBuf),
    /// Every repository under Gitea's repository root: `<root>/<owner>/<repo>.git`, wikis included.
    GiteaAll(PathBuf),
    /// One GitLab repository (`repo.git` on the Gitaly node).
    GitLab(PathBuf),
    /// GitLab's global server hooks directory (gitaly `[hooks] custom_hooks_dir`).
    GitLabGlobal(PathBuf),
    /// A clone: its work tree (or any directory inside), or its git dir. Installs `pre-push`.
    Local(PathBuf),
}

/// How to install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Absolute path of the pushgate binary, as the hook will call it.
    pub binary: PathBuf,
    /// Absolute path of the policy, recorded as `--policy` in the hook; `None` leaves the lookup
    /// (`$PUSHGATE_POLICY`, `pushgate.toml` in the git dir, `/etc/pushgate/policy.toml`) to pushgate.
    pub policy: Option<PathBuf>,
    /// Remove what an earlier install wrote instead (then `binary` and `policy` are not used).
    pub uninstall: bool,
}

/// One thing install did or decided not to do, for the CLI to print (`Display`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub path: PathBuf,
    pub kind: ActionKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionKind {
    /// A new file was written.
    Created,
    /// Our file was rewritten (other binary or policy path, or an older format, or not executable).
    Updated,
    /// Our file was already exactly as wanted.
    Unchanged,
    /// An existing hook was moved to `kept_as` and is now run after pushgate.
    KeptExisting { kept_as: PathBuf },
    /// Uninstall: the chained hook was moved back from `from`.
    Restored { from: PathBuf },
    /// Uninstall: our file was removed.
    Removed,
    /// Uninstall: there was nothing to remove.
    NotInstalled,
    /// A file that is not ours, not touched.
    LeftAlone { reason: &'static str },
    /// Done, but something will stop the hook from working as expected.
    Warning { message: String },
}

impl Action {
    fn new(path: &Path, kind: ActionKind) -> Self {
        Action { path: path.to_path_buf(), kind }
    }

    /// Whether this action changed something on disk.
    pub fn is_change(&self) -> bool {
        matches!(
            self.kind,
            ActionKind::Created
                | ActionKind::Updated
                | ActionKind::KeptExisting { .. }
                | ActionKind::Restored { .. }
                | ActionKind::Removed
        )
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.path.display();
        match &self.kind {
            ActionKind::Created => write!(f, "wrote {p}"),
            ActionKind::Updated => write!(f, "updated {p}"),
            ActionKind::Unchanged => write!(f, "unchanged {p} (already installed)"),
            ActionKind::KeptExisting { kept_as } => {
                write!(f, "kept the existing hook {p} as {} (it runs after pushgate)", kept_as.display())
            }
            ActionKind::Restored { from } => write!(f, "restored {p} from {}", from.display()),
            ActionKind::Removed => write!(f, "removed {p}"),
            ActionKind::NotInstalled => write!(f, "nothing to remove at {p} (not installed)"),
            ActionKind::LeftAlone { reason } => write!(f, "left {p} alone: {reason}"),
            ActionKind::Warning { message } => write!(f, "warning: {p}: {message}"),
        }
    }
}

/// Installs (or with `opts.uninstall`, removes) the hook for `target`. Returns what was done,
/// in order. With [`Target::GiteaAll`], a failure on one repository does not stop the others:
/// the result is then [`InstallError::Incomplete`], which carries what was done.
pub fn install(target: &Target, opts: &Options) -> Result<Vec<Action>, InstallError> {
    let mut actions = Vec::new();
    if !opts.uninstall {
        check_options(opts, &mut actions)?;
    }
    match target {
        Target::Bare(repo) => {
            gitdir::require_git_dir(repo)?;
            // git runs a bare repository's hooks in the repository itself.
            let hooks = gitdir::hooks_dir(repo, repo)?;
            main_hook(
                &hooks,
                Hook::PreReceive,
                opts,
                "remove with: pushgate install bare <repository> --uninstall",
                &mut actions,
            )?;
        }
        Target::Gitea(repo) => gitea(repo, opts, &mut actions)?,
        Target::GiteaAll(root) => gitea_all(root, opts, &mut actions)?,
        Target::GitLab(repo) => {
            gitdir::require_git_dir(repo)?;
            let dir = repo.join("custom_hooks").join("pre-receive.d");
            dropin(
                &dir,
                opts,
                "run by Gitaly after GitLab's own checks; remove with: pushgate install gitlab <repository> --uninstall",
                &mut actions,
            )?;
        }
        Target::GitLabGlobal(dir) => {
            if !dir.exists() {
                // A typo would otherwise create a directory Gitaly never reads.
                return Err(InstallError::Missing(dir.clone()));
            }
            if !dir.is_dir() {
                return Err(InstallError::NotADirectory(dir.clone()));
            }
            let d = dir.join("pre-receive.d");
            dropin(
                &d,
                opts,
                "run by Gitaly for every repository; remove with: pushgate install gitlab --global <dir> --uninstall",
                &mut actions,
            )?;
        }
        Target::Local(start) => {
            let repo = gitdir::resolve_local(start)?;
            // git runs pre-push at the top of the work tree (in the git dir when there is none).
            let run_dir = repo.work_tree.as_deref().unwrap_or(&repo.git_dir);
            let hooks = gitdir::hooks_dir(&repo.common_dir, run_dir)?;
            main_hook(
                &hooks,
                Hook::PrePush,
                opts,
                "advisory: `git push --no-verify` skips it; remove with: pushgate install local --uninstall",
                &mut actions,
            )?;
        }
    }
    Ok(actions)
}

/// Absolute paths only; a missing binary or policy is allowed (it may be installed next) but said.
fn check_options(opts: &Options, actions: &mut Vec<Action>) -> Result<(), InstallError> {
    if !opts.binary.is_absolute() {
        return Err(InstallError::RelativeBinary(opts.binary.clone()));
    }
    if let Some(p) = &opts.policy
        && !p.is_absolute()
    {
        return Err(InstallError::RelativePolicy(p.clone()));
    }
    if !opts.binary.is_file() {
        actions.push(Action::new(
            &opts.binary,
            ActionKind::Warning { message: "no such file here; the hook refuses every push until it exists".into() },
        ));
    }
    if let Some(p) = &opts.policy
        && !p.is_file()
    {
        actions.push(Action::new(
            p,
            ActionKind::Warning { message: "no such file here; the hook refuses every push until it exists".into() },
        ));
    }
    Ok(())
}

fn main_hook(
    hooks: &Path,
    hook: Hook,
    opts: &Options,
    how: &str,
    actions: &mut Vec<Action>,
) -> Result<(), InstallError> {
    if opts.uninstall {
        place::uninstall_main(hooks, hook, actions)
    } else {
        place::install_main(hooks, hook, opts, how, actions)
    }
}

/// The file name of our drop-in in a forge's `pre-receive.d/`.
const DROPIN: &str = "pushgate";

fn dropin(dir: &Path, opts: &Options, how: &str, actions: &mut Vec<Action>) -> Result<(), InstallError> {
    if opts.uninstall {
        place::uninstall_dropin(dir, DROPIN, actions)
    } else {
        place::install_dropin(dir, DROPIN, opts, how, actions)
    }
}

fn gitea(repo: &Path, opts: &Options, actions: &mut Vec<Action>) -> Result<(), InstallError> {
    gitdir::require_git_dir(repo)?;
    let hooks = repo.join("hooks");
    dropin(
        &hooks.join("pre-receive.d"),
        opts,
        "run by Gitea's hooks/pre-receive; remove with: pushgate install gitea <repository> --uninstall",
        actions,
    )?;
    if !opts.uninstall {
        // Our file only runs if Gitea's wrapper loops over pre-receive.d/.
        let wrapper = hooks.join("pre-receive");
        let loops = fs::read(&wrapper).map(|c| c.windows(3).any(|w| w == b".d/")).unwrap_or(false);
        if !loops {
            actions.push(Action::new(
                &wrapper,
                ActionKind::Warning {
                    message: "missing or not Gitea's wrapper, so pre-receive.d/ does not run; \
                              run `gitea admin regenerate hooks`"
                        .into(),
                },
            ));
        }
    }
    Ok(())
}

/// Every `<root>/<owner>/<name>.git` directory, sorted.
fn gitea_repositories(root: &Path) -> Result<Vec<PathBuf>, InstallError> {
    if !root.exists() {
        return Err(InstallError::Missing(root.to_path_buf()));
    }
    if !root.is_dir() {
        return Err(InstallError::NotADirectory(root.to_path_buf()));
    }
    let mut repos = Vec::new();
    for owner in sorted_dirs(root)? {
        for repo in sorted_dirs(&owner)? {
            if repo.extension().is_some_and(|e| e == "git") {
                repos.push(repo);
            }
        }
    }
    Ok(repos)
}

/// Sub-directories of `dir`, skipping dot-directories, in name order.
fn sorted_dirs(dir: &Path) -> Result<Vec<PathBuf>, InstallError> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(InstallError::io("list", dir))? {
        let entry = entry.map_err(InstallError::io("list", dir))?;
        let hidden = entry.file_name().as_encoded_bytes().starts_with(b".");
        // file_type() does not follow symlinks; a symlinked owner or repository is followed.
        if !hidden && entry.path().is_dir() {
            out.push(entry.path());
        }
    }
    out.sort();
    Ok(out)
}

fn gitea_all(root: &Path, opts: &Options, actions: &mut Vec<Action>) -> Result<(), InstallError> {
    let repos = gitea_repositories(root)?;
    if repos.is_empty() {
        return Err(InstallError::NoRepositories(root.to_path_buf()));
    }
    let mut failed = Vec::new();
    for repo in repos {
        let mut mine = Vec::new();
        match gitea(&repo, opts, &mut mine) {
            Ok(()) => actions.append(&mut mine),
            Err(e) => {
                actions.append(&mut mine);
                failed.push((repo, e));
            }
        }
    }
    if failed.is_empty() { Ok(()) } else { Err(InstallError::Incomplete { done: std::mem::take(actions), failed }) }
}
