//! Putting one hook file in place, and taking it away again, without harming anything else.
//!
//! Two shapes: a *main hook* (`hooks/pre-receive`, `hooks/pre-push`), where a hook that is already
//! there is kept running by moving it to `<hook>.pushgate-chained` and chaining it; and a *drop-in*
//! (`pre-receive.d/pushgate` for Gitea and GitLab), where the forge runs every file of the
//! directory and we only own our one file. Files are written to a temporary name and renamed, so
//! a push arriving mid-install sees the old hook or the new one, never half a script.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::script::{self, CHAINED_SUFFIX, Hook};
use super::{Action, ActionKind, InstallError, Options};

/// Our scripts are a few hundred bytes; anything much larger cannot be ours.
const MAX_OURS: u64 = 64 * 1024;

/// What is at a hook's path.
enum State {
    Absent,
    Directory,
    /// A file we wrote, with its content and whether it is executable.
    Ours(Vec<u8>, bool),
    /// Anything else, including any symlink (we never write through or replace one as ours).
    Foreign,
}

fn state(path: &Path) -> Result<State, InstallError> {
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(State::Absent),
        Err(e) => return Err(InstallError::io("inspect", path)(e)),
    };
    if meta.is_dir() {
        return Ok(State::Directory);
    }
    if !meta.is_file() || meta.len() > MAX_OURS {
        return Ok(State::Foreign);
    }
    let content = fs::read(path).map_err(InstallError::io("read", path))?;
    if script::is_ours(&content) { Ok(State::Ours(content, is_executable(&meta))) } else { Ok(State::Foreign) }
}

fn exists(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

#[cfg(unix)]
fn is_executable(meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 == 0o111
}

#[cfg(not(unix))]
fn is_executable(_: &fs::Metadata) -> bool {
    true
}

/// `<dir>/<name>.pushgate-chained`.
pub(super) fn chained_path(hooks_dir: &Path, hook: Hook) -> PathBuf {
    hooks_dir.join(format!("{}{CHAINED_SUFFIX}", hook.name()))
}

/// Installs pushgate as `<hooks_dir>/<hook>`, chaining a hook that is already there.
pub(super) fn install_main(
    hooks_dir: &Path,
    hook: Hook,
    opts: &Options,
    how: &str,
    actions: &mut Vec<Action>,
) -> Result<(), InstallError> {
    fs::create_dir_all(hooks_dir).map_err(InstallError::io("create", hooks_dir))?;
    let path = hooks_dir.join(hook.name());
    let chained = chained_path(hooks_dir, hook);
    let policy = opts.policy.as_deref();
    match state(&path)? {
        State::Directory => return Err(InstallError::HookIsDirectory(path)),
        State::Absent => {
            write_atomic(&path, &script::direct(&opts.binary, policy, hook, how))?;
            actions.push(Action::new(&path, ActionKind::Created));
            if exists(&chained) {
                // Left over from an earlier, hand-made change: running it again is not ours to decide.
                actions.push(Action::new(
                    &chained,
                    ActionKind::LeftAlone { reason: "no hook was in place to chain; it does not run" },
                ));
            }
        }
        State::Ours(current, executable) => {
            let want = if script::is_chaining(&current) && exists(&chained) {
                script::chaining(&opts.binary, policy, hook, how)
            } else {
                script::direct(&opts.binary, policy, hook, how)
            };
            update(&path, &current, executable, &want, actions)?;
        }
        State::Foreign => {
            if exists(&chained) {
                return Err(InstallError::ChainSlotTaken { hook: path, chained });
            }
            fs::rename(&path, &chained).map_err(InstallError::io("move aside", &path))?;
            actions.push(Action::new(&path, ActionKind::KeptExisting { kept_as: chained.clone() }));
            if let Err(e) = write_atomic(&path, &script::chaining(&opts.binary, policy, hook, how)) {
                // Put the user's hook back rather than leave the repository without one.
                let _ = fs::rename(&chained, &path);
                return Err(e);
            }
            actions.push(Action::new(&path, ActionKind::Created));
        }
    }
    Ok(())
}

/// Removes our `<hooks_dir>/<hook>`, putting back the hook it chained, byte for byte.
pub(super) fn uninstall_main(hooks_dir: &Path, hook: Hook, actions: &mut Vec<Action>) -> Result<(), InstallError> {
    let path = hooks_dir.join(hook.name());
    let chained = chained_path(hooks_dir, hook);
    match state(&path)? {
        State::Absent => actions.push(Action::new(&path, ActionKind::NotInstalled)),
        State::Directory | State::Foreign => {
            actions.push(Action::new(&path, ActionKind::LeftAlone { reason: "not installed by pushgate" }));
        }
        State::Ours(current, _) => {
            if script::is_chaining(&current) && exists(&chained) {
                // rename() replaces our file in one step: there is always a hook in place.
                fs::rename(&chained, &path).map_err(InstallError::io("restore", &chained))?;
                actions.push(Action::new(&path, ActionKind::Restored { from: chained }));
            } else {
                fs::remove_file(&path).map_err(InstallError::io("remove", &path))?;
                actions.push(Action::new(&path, ActionKind::Removed));
            }
        }
    }
    Ok(())
}

/// Installs `<dir>/<name>` (a forge's `pre-receive.d/pushgate`).
pub(super) fn install_dropin(
    dir: &Path,
    name: &str,
    opts: &Options,
    how: &str,
    actions: &mut Vec<Action>,
) -> Result<(), InstallError> {
    fs::create_dir_all(dir).map_err(InstallError::io("create", dir))?;
    let path = dir.join(name);
    let want = script::direct(&opts.binary, opts.policy.as_deref(), Hook::PreReceive, how);
    match state(&path)? {
        State::Directory => Err(InstallError::HookIsDirectory(path)),
        State::Foreign => Err(InstallError::ForeignFile(path)),
        State::Absent => {
            write_atomic(&path, &want)?;
            actions.push(Action::new(&path, ActionKind::Created));
            Ok(())
        }
        State::Ours(current, executable) => update(&path, &current, executable, &want, actions),
    }
}

/// Removes our `<dir>/<name>`; leaves the directory, which the forge owns.
pub(super) fn uninstall_dropin(dir: &Path, name: &str, actions: &mut Vec<Action>) -> Result<(), InstallError> {
    let path = dir.join(name);
    match state(&path)? {
        State::Absent => actions.push(Action::new(&path, ActionKind::NotInstalled)),
        State::Directory | State::Foreign => {
            actions.push(Action::new(&path, ActionKind::LeftAlone { reason: "not installed by pushgate" }));
        }
        State::Ours(..) => {
            fs::remove_file(&path).map_err(InstallError::io("remove", &path))?;
            actions.push(Action::new(&path, ActionKind::Removed));
        }
    }
    Ok(())
}

/// Rewrites one of our files only if its content or its executable bit is not what we want.
fn update(
    path: &Path,
    current: &[u8],
    executable: bool,
    want: &[u8],
    actions: &mut Vec<Action>,
) -> Result<(), InstallError> {
    if current == want && executable {
        actions.push(Action::new(path, ActionKind::Unchanged));
    } else {
        write_atomic(path, want)?;
        actions.push(Action::new(path, ActionKind::Updated));
    }
    Ok(())
}

/// Writes `content` with mode 755 to a temporary dot-file beside `path` (forges skip dot-files
/// when they run `*.d/*`), then renames it over `path`.
fn write_atomic(path: &Path, content: &[u8]) -> Result<(), InstallError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.pushgate-tmp"));
    let result = (|| {
        let mut f = match open_new(&tmp) {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                // Left by an interrupted run: it is ours by its name, replace it.
                fs::remove_file(&tmp)?;
                open_new(&tmp)?
            }
            other => other?,
        };
        f.write_all(content)?;
        f.sync_all()?;
        drop(f);
        set_executable(&tmp)?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(InstallError::io("write", path))
}

fn open_new(p: &Path) -> io::Result<fs::File> {
    fs::OpenOptions::new().write(true).create_new(true).open(p)
}

#[cfg(unix)]
fn set_executable(p: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(p, fs::Permissions::from_mode(0o755))
}

#[cfg(not(unix))]
fn set_executable(_: &Path) -> io::Result<()> {
    Ok(())
}
