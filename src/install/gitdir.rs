//! Finding a repository's git directory and hooks directory without running git.
//!
//! Handles the layouts users have: a bare repository, a clone's `.git` directory, a `.git` FILE
//! (`gitdir: <path>`, written for linked worktrees and submodules), a linked worktree's git dir
//! (hooks live in the common dir named by its `commondir` file), and `core.hooksPath` set in the
//! repository's own `config`. Not read: `core.hooksPath` from `~/.gitconfig`, `/etc/gitconfig`,
//! `config.worktree` or `include`d files (git would use those; the module doc says so).

use std::fs;
use std::path::{Path, PathBuf};

use super::InstallError;

/// A repository as the `local` target sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct LocalRepo {
    /// The git directory (`.git`, `.git/worktrees/<name>`, `.git/modules/<name>`, or a bare repo).
    pub(super) git_dir: PathBuf,
    /// Where shared files live (hooks, config): `git_dir` unless it has a `commondir` file.
    pub(super) common_dir: PathBuf,
    /// The work tree's top directory, when there is one.
    pub(super) work_tree: Option<PathBuf>,
}

/// Whether `p` looks like a git directory: `HEAD`, and `objects/` (or `commondir` for a linked
/// worktree's private git dir). git's own test is similar (`is_git_directory` in setup.c).
pub(super) fn is_git_dir(p: &Path) -> bool {
    p.join("HEAD").is_file() && (p.join("objects").is_dir() || p.join("commondir").is_file())
}

/// Checks a server-side repository path (`bare`, `gitea`, `gitlab` targets).
pub(super) fn require_git_dir(p: &Path) -> Result<(), InstallError> {
    if !p.exists() {
        return Err(InstallError::Missing(p.to_path_buf()));
    }
    if !p.is_dir() {
        return Err(InstallError::NotADirectory(p.to_path_buf()));
    }
    if is_git_dir(p) {
        return Ok(());
    }
    let hint = if p.join(".git").exists() {
        " (it is a clone's work tree: the server hook goes into the bare repository; for a pre-push hook use `pushgate install local`)"
    } else {
        " (no HEAD and objects/ in it)"
    };
    Err(InstallError::NotAGitDir { path: p.to_path_buf(), hint })
}

/// Finds the repository containing `start` (a work tree, any directory inside one, or a git dir),
/// walking up like git does.
pub(super) fn resolve_local(start: &Path) -> Result<LocalRepo, InstallError> {
    if !start.exists() {
        return Err(InstallError::Missing(start.to_path_buf()));
    }
    let abs = fs::canonicalize(start).map_err(InstallError::io("resolve", start))?;
    for dir in abs.ancestors() {
        let dot_git = dir.join(".git");
        let git_dir = if dot_git.is_dir() && is_git_dir(&dot_git) {
            Some((dot_git, Some(dir.to_path_buf())))
        } else if dot_git.is_file() {
            Some((read_git_file(&dot_git)?, Some(dir.to_path_buf())))
        } else if is_git_dir(dir) {
            // Given the git dir itself: a `.git` directory's work tree is its parent.
            let wt =
                if dir.file_name().is_some_and(|n| n == ".git") { dir.parent().map(Path::to_path_buf) } else { None };
            Some((dir.to_path_buf(), wt))
        } else {
            None
        };
        if let Some((git_dir, work_tree)) = git_dir {
            // `gitdir:` and `commondir` hold relative paths like `../../`: print them resolved.
            let git_dir = fs::canonicalize(&git_dir).map_err(InstallError::io("resolve", &git_dir))?;
            let common_dir = common_dir(&git_dir)?;
            let common_dir = fs::canonicalize(&common_dir).map_err(InstallError::io("resolve", &common_dir))?;
            return Ok(LocalRepo { git_dir, common_dir, work_tree });
        }
    }
    Err(InstallError::NotAGitDir {
        path: start.to_path_buf(),
        hint: " (neither it nor a parent directory is a git repository)",
    })
}

/// Reads a `.git` file: `gitdir: <path>`, relative paths being relative to the file's directory.
pub(super) fn read_git_file(file: &Path) -> Result<PathBuf, InstallError> {
    let bad = |reason| InstallError::BadGitFile { path: file.to_path_buf(), reason };
    let bytes = fs::read(file).map_err(InstallError::io("read", file))?;
    if bytes.len() > 4096 {
        return Err(bad("too large for a .git file"));
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| bad("not UTF-8"))?;
    let first = text.lines().next().unwrap_or("");
    let target = first.strip_prefix("gitdir: ").ok_or(bad("it does not start with `gitdir: `"))?.trim_end();
    if target.is_empty() {
        return Err(bad("`gitdir:` names no path"));
    }
    let base = file.parent().unwrap_or(Path::new("."));
    let path = base.join(target);
    if !is_git_dir(&path) {
        return Err(InstallError::NotAGitDir { path, hint: " (named by a .git file)" });
    }
    Ok(path)
}

/// The common dir of a git dir: the target of its `commondir` file (linked worktrees), else itself.
fn common_dir(git_dir: &Path) -> Result<PathBuf, InstallError> {
    let f = git_dir.join("commondir");
    if !f.is_file() {
        return Ok(git_dir.to_path_buf());
    }
    let text = fs::read_to_string(&f).map_err(InstallError::io("read", &f))?;
    let target = text.lines().next().unwrap_or("").trim_end();
    if target.is_empty() {
        return Err(InstallError::BadGitFile { path: f, reason: "empty commondir file" });
    }
    Ok(git_dir.join(target))
}

/// The hooks directory git uses for this repository: `core.hooksPath` from its `config` when set
/// (relative to the work tree top, or to the git dir of a bare repository, where git runs hooks),
/// else `<common dir>/hooks`.
pub(super) fn hooks_dir(common_dir: &Path, run_dir: &Path) -> Result<PathBuf, InstallError> {
    let config = common_dir.join("config");
    let Some(value) = (match fs::read(&config) {
        Ok(bytes) => config_value(&String::from_utf8_lossy(&bytes), "core", "hookspath")
            .map_err(|reason| InstallError::BadConfig { path: config.clone(), reason })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(InstallError::io("read", config)(e)),
    }) else {
        return Ok(common_dir.join("hooks"));
    };
    if value.is_empty() {
        return Err(InstallError::BadConfig { path: config, reason: "core.hooksPath is empty" });
    }
    if let Some(rest) = value.strip_prefix("~/") {
        let home = std::env::var_os("HOME").ok_or(InstallError::BadConfig {
            path: config,
            reason: "core.hooksPath starts with ~/ and HOME is unset",
        })?;
        return Ok(PathBuf::from(home).join(rest));
    }
    Ok(run_dir.join(value))
}

/// The last value of `<section>.<key>` (no subsection) in git config text, or `None`.
/// `key` must be given in lowercase. Errors on what this small reader cannot decode for sure.
pub(super) fn config_value(text: &str, section: &str, key: &str) -> Result<Option<String>, &'static str> {
    let mut in_section = false;
    let mut found = None;
    for raw in text.lines() {
        let mut line = raw.trim_start();
        if line.starts_with('[') {
            let end = line.find(']').ok_or("unterminated section header")?;
            let header = line.get(1..end).unwrap_or("").trim();
            // `[core "sub"]` and `[core.sub]` are subsections: not the plain section.
            let plain = !header.contains(['"', ' ', '\t', '.']);
            in_section = plain && header.eq_ignore_ascii_case(section);
            line = line.get(end + 1..).unwrap_or("").trim_start();
        }
        if !in_section || line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        let name_end = line.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-')).unwrap_or(line.len());
        let (name, rest) = line.split_at(name_end);
        if !name.eq_ignore_ascii_case(key) {
            continue;
        }
        let rest = rest.trim_start();
        match rest.strip_prefix('=') {
            Some(v) => found = Some(parse_value(v)?),
            // `key` alone is boolean true: no path.
            None if rest.is_empty() || rest.starts_with(['#', ';']) => found = None,
            None => return Err("malformed line"),
        }
    }
    Ok(found)
}

/// One config value: quotes removed, escapes decoded, comment and outer blanks dropped.
fn parse_value(v: &str) -> Result<String, &'static str> {
    let mut out = String::new();
    let mut quoted = false;
    // Length of `out` up to the last character that was quoted or not blank (trailing blanks go).
    let mut keep = 0;
    let mut chars = v.trim_start().chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                quoted = !quoted;
                keep = out.len();
            }
            '\\' => {
                let e = match chars.next() {
                    None => return Err("line continuation in the value"),
                    Some('n') => '\n',
                    Some('t') => '\t',
                    Some('b') => '\u{8}',
                    Some('\\') => '\\',
                    Some('"') => '"',
                    Some(_) => return Err("unknown escape in the value"),
                };
                out.push(e);
                keep = out.len();
            }
            '#' | ';' if !quoted => break,
            c => {
                out.push(c);
                if quoted || !c.is_whitespace() {
                    keep = out.len();
                }
            }
        }
    }
    if quoted {
        return Err("unterminated quote in the value");
    }
    out.truncate(keep);
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn config_values() {
        let c = "[core]\n\tbare = false\n\thooksPath = .githooks # team hooks\n[core \"x\"]\n\thookspath = no\n";
        assert_eq!(config_value(c, "core", "hookspath").unwrap().as_deref(), Some(".githooks"));
        let c = "[Core]\nHOOKSPATH = \"/srv/my hooks\" \n[user]\nhooksPath = /nope\n";
        assert_eq!(config_value(c, "core", "hookspath").unwrap().as_deref(), Some("/srv/my hooks"));
        let c = "[core] hooksPath = a\\\\b\n[core]\nhooksPath=/last\n";
        assert_eq!(config_value(c, "core", "hookspath").unwrap().as_deref(), Some("/last"));
        assert_eq!(config_value("[core]\nbare = true\n", "core", "hookspath").unwrap(), None);
        assert!(config_value("[core]\nhooksPath = /a\\\n/b\n", "core", "hookspath").is_err());
        assert!(config_value("[core]\nhooksPath = \"/a\n", "core", "hookspath").is_err());
        assert!(config_value("[core\nx", "core", "hookspath").is_err());
    }
}
