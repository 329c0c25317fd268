//! Tests for `pushgate install` over real repositories made with `git`, running the installed
//! hooks as git does (executed directly: the kernel reads their `#!` line) and through real pushes.

#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // tests run git and sh

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use tempfile::TempDir;

use super::script::sh_quote;
use super::*;

fn git(cwd: &Path, args: &[&str]) -> Output {
    let out = Command::new("git")
        .current_dir(cwd)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "T")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "T")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env_remove("GIT_DIR")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn bare(dir: &Path, name: &str) -> PathBuf {
    let p = dir.join(name);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    git(dir, &["init", "-q", "--bare", p.to_str().unwrap()]);
    p
}

fn write_exec(path: &Path, content: &[u8], mode: u32) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, content).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// A test bench: a temp dir with a fake pushgate binary that records its arguments and stdin in
/// `log/pushgate.args` and `log/pushgate.stdin` and exits with `$FAKE_PUSHGATE_EXIT`.
struct Bench {
    tmp: TempDir,
    binary: PathBuf,
    log: PathBuf,
}

impl Bench {
    fn new() -> Self {
        Self::with_binary_dir("bin")
    }

    fn with_binary_dir(bin_dir: &str) -> Self {
        let tmp = TempDir::new().unwrap();
        let log = tmp.path().join("log");
        fs::create_dir(&log).unwrap();
        let binary = tmp.path().join(bin_dir).join("pushgate");
        write_exec(&binary, &recorder(&log, "pushgate", "FAKE_PUSHGATE_EXIT"), 0o755);
        Bench { tmp, binary, log }
    }

    fn path(&self) -> &Path {
        self.tmp.path()
    }

    fn opts(&self) -> Options {
        Options { binary: self.binary.clone(), policy: None, uninstall: false }
    }

    fn uninstall(&self) -> Options {
        Options { uninstall: true, ..self.opts() }
    }

    fn log(&self, name: &str) -> String {
        fs::read_to_string(self.log.join(name)).unwrap_or_else(|_| panic!("{name} was not written: not run"))
    }

    /// The command line pushgate was run with, as the `exec` line of a shell hook would give it:
    /// a hook file's `run-hook <file> [args]` (the kernel's doing) is turned into the
    /// `[--policy P] <hook> [args]` it stands for, read back from that file as pushgate does.
    fn args(&self) -> String {
        let logged = self.log("pushgate.args");
        let mut lines = logged.lines();
        if lines.next() != Some(RUN_HOOK) {
            return logged;
        }
        let file = read_hook_file(Path::new(lines.next().unwrap())).unwrap();
        let mut out = String::new();
        if let Some(p) = file.policy {
            out.push_str(&format!("--policy\n{}\n", p.display()));
        }
        out.push_str(file.hook.name());
        out.push('\n');
        for rest in lines {
            out.push_str(&format!("{rest}\n"));
        }
        out
    }

    fn ran(&self, name: &str) -> bool {
        self.log.join(name).exists()
    }

    fn clear_log(&self) {
        for e in fs::read_dir(&self.log).unwrap() {
            fs::remove_file(e.unwrap().path()).unwrap();
        }
    }
}

/// A script recording its args and stdin as `<log>/<name>.args|.stdin`, exiting with `$<exit_var>`.
fn recorder(log: &Path, name: &str, exit_var: &str) -> Vec<u8> {
    let mut s = b"#!/bin/sh\nlog=".to_vec();
    s.extend_from_slice(&sh_quote(log.as_os_str().as_encoded_bytes()));
    s.extend_from_slice(
        format!("\nprintf '%s\\n' \"$@\" >\"$log/{name}.args\"\ncat >\"$log/{name}.stdin\"\nexit ${{{exit_var}:-0}}\n")
            .as_bytes(),
    );
    s
}

/// Starts `cmd`, retrying while the kernel says the file is busy: another test thread that forks
/// while this one still has the just-written hook open for writing passes that descriptor to its
/// child until the child's `exec` closes it (rust-lang/rust#114554), and `exec` of a file open
/// for writing anywhere fails with ETXTBSY. git, single-threaded, does not meet this.
fn spawn(cmd: &mut Command) -> std::process::Child {
    for _ in 0..100 {
        match cmd.spawn() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            other => return other.unwrap(),
        }
    }
    panic!("{cmd:?}: executable file busy for a second")
}

/// Runs a hook the way git does: executed directly (`<cwd>/<hook> args < input`), in `cwd`.
fn run_hook(cwd: &Path, hook: &str, args: &[&str], input: &str, env: &[(&str, &str)]) -> i32 {
    let mut cmd = Command::new(cwd.join(hook));
    cmd.current_dir(cwd).args(args).stdin(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = spawn(&mut cmd);
    {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    child.wait().unwrap().code().unwrap()
}

fn kinds(actions: &[Action]) -> Vec<&ActionKind> {
    actions.iter().map(|a| &a.kind).collect()
}

const INPUT: &str = "0000000000000000000000000000000000000000 1111111111111111111111111111111111111111 refs/heads/main\n\
                     2222222222222222222222222222222222222222 3333333333333333333333333333333333333333 refs/heads/live\n";

#[test]
fn bare_install_idempotent_uninstall() {
    let b = Bench::new();
    let repo = bare(b.path(), "app.git");
    let hook = repo.join("hooks/pre-receive");

    let a = install(&Target::Bare(repo.clone()), &b.opts()).unwrap();
    assert_eq!(a, vec![Action { path: hook.clone(), kind: ActionKind::Created }]);
    let content = fs::read_to_string(&hook).unwrap();
    // A hook file the kernel hands to the binary: no shell in between.
    let first = format!("#!{} run-hook\n# installed by pushgate\n", b.binary.display());
    assert!(content.starts_with(&first), "{content}");
    assert!(content.contains("\nhook = \"pre-receive\"\n"), "{content}");
    assert!(!content.contains("policy"));
    assert_eq!(mode(&hook), 0o755);

    let again = install(&Target::Bare(repo.clone()), &b.opts()).unwrap();
    assert_eq!(kinds(&again), vec![&ActionKind::Unchanged]);
    assert!(!again.iter().any(Action::is_change));
    assert_eq!(again[0].to_string(), format!("unchanged {} (already installed)", hook.display()));

    // The hook runs pushgate with the pushed lines.
    assert_eq!(run_hook(&repo, "hooks/pre-receive", &[], INPUT, &[]), 0);
    assert_eq!(b.args(), "pre-receive\n");
    assert_eq!(b.log("pushgate.stdin"), INPUT);
    assert_eq!(run_hook(&repo, "hooks/pre-receive", &[], INPUT, &[("FAKE_PUSHGATE_EXIT", "1")]), 1);

    let u = install(&Target::Bare(repo.clone()), &b.uninstall()).unwrap();
    assert_eq!(kinds(&u), vec![&ActionKind::Removed]);
    assert!(!hook.exists());
    let u = install(&Target::Bare(repo.clone()), &b.uninstall()).unwrap();
    assert_eq!(kinds(&u), vec![&ActionKind::NotInstalled]);
}

/// A hook an earlier version wrote as a shell script is ours: install turns it into a hook file,
/// uninstall removes it.
#[test]
fn a_shell_script_hook_from_an_earlier_install_is_updated() {
    let b = Bench::new();
    let repo = bare(b.path(), "app.git");
    let hook = repo.join("hooks/pre-receive");
    let old =
        format!("#!/bin/sh\n# installed by pushgate\n# remove with: ...\nexec '{}' pre-receive\n", b.binary.display());
    write_exec(&hook, old.as_bytes(), 0o755);
    let a = install(&Target::Bare(repo.clone()), &b.opts()).unwrap();
    assert_eq!(kinds(&a), vec![&ActionKind::Updated]);
    assert!(fs::read_to_string(&hook).unwrap().starts_with(&format!("#!{} run-hook\n", b.binary.display())));
    assert!(!repo.join("hooks/pre-receive.pushgate-chained").exists());
    assert_eq!(run_hook(&repo, "hooks/pre-receive", &[], INPUT, &[]), 0);
    assert_eq!(b.args(), "pre-receive\n");
    write_exec(&hook, old.as_bytes(), 0o755);
    assert_eq!(kinds(&install(&Target::Bare(repo.clone()), &b.uninstall()).unwrap()), vec![&ActionKind::Removed]);
}

#[test]
fn policy_is_recorded_and_a_new_policy_updates_the_hook() {
    let b = Bench::new();
    let repo = bare(b.path(), "app.git");
    let policy = b.path().join("policy.toml");
    fs::write(&policy, "").unwrap();
    let opts = Options { policy: Some(policy.clone()), ..b.opts() };
    install(&Target::Bare(repo.clone()), &opts).unwrap();
    assert_eq!(run_hook(&repo, "hooks/pre-receive", &[], INPUT, &[]), 0);
    assert_eq!(b.args(), format!("--policy\n{}\npre-receive\n", policy.display()));

    let other = b.path().join("other.toml");
    fs::write(&other, "").unwrap();
    let a = install(&Target::Bare(repo.clone()), &Options { policy: Some(other.clone()), ..b.opts() }).unwrap();
    assert_eq!(kinds(&a), vec![&ActionKind::Updated]);
    assert!(fs::read_to_string(repo.join("hooks/pre-receive")).unwrap().contains("other.toml"));

    // A hook made non-executable is repaired.
    fs::set_permissions(repo.join("hooks/pre-receive"), fs::Permissions::from_mode(0o644)).unwrap();
    let a = install(&Target::Bare(repo.clone()), &Options { policy: Some(other), ..b.opts() }).unwrap();
    assert_eq!(kinds(&a), vec![&ActionKind::Updated]);
    assert_eq!(mode(&repo.join("hooks/pre-receive")), 0o755);
}

#[test]
fn bare_chains_an_existing_hook_and_restores_it() {
    let b = Bench::new();
    let repo = bare(b.path(), "app.git");
    let hook = repo.join("hooks/pre-receive");
    let chained = repo.join("hooks/pre-receive.pushgate-chained");
    let old = recorder(&b.log, "old", "FAKE_OLD_EXIT");
    write_exec(&hook, &old, 0o750);

    let a = install(&Target::Bare(repo.clone()), &b.opts()).unwrap();
    assert_eq!(
        a,
        vec![
            Action { path: hook.clone(), kind: ActionKind::KeptExisting { kept_as: chained.clone() } },
            Action { path: hook.clone(), kind: ActionKind::Created },
        ]
    );
    assert_eq!(fs::read(&chained).unwrap(), old);
    assert_eq!(mode(&chained), 0o750);
    let again = install(&Target::Bare(repo.clone()), &b.opts()).unwrap();
    assert_eq!(kinds(&again), vec![&ActionKind::Unchanged]);

    // Both run on the same input; the status combines, pushgate's first.
    let tmpdir = b.path().join("tmp");
    fs::create_dir(&tmpdir).unwrap();
    for (pg, old_exit, want) in [("0", "0", 0), ("1", "0", 1), ("0", "3", 3), ("2", "3", 2)] {
        b.clear_log();
        let env = [("FAKE_PUSHGATE_EXIT", pg), ("FAKE_OLD_EXIT", old_exit), ("TMPDIR", tmpdir.to_str().unwrap())];
        assert_eq!(run_hook(&repo, "hooks/pre-receive", &[], INPUT, &env), want, "pushgate {pg}, old {old_exit}");
        assert_eq!(b.log("pushgate.stdin"), INPUT);
        assert_eq!(b.log("old.stdin"), INPUT, "the old hook runs even when pushgate refuses");
        assert_eq!(b.args(), "pre-receive\n");
        assert_eq!(fs::read_dir(&tmpdir).unwrap().count(), 0, "the saved input is removed");
    }

    // Through a real push: git runs the chain, and a refusal by the old hook refuses the push.
    let work = b.path().join("work");
    git(b.path(), &["init", "-q", "-b", "main", work.to_str().unwrap()]);
    git(&work, &["commit", "-q", "--allow-empty", "-m", "one"]);
    b.clear_log();
    git(&work, &["push", "-q", repo.to_str().unwrap(), "main"]);
    assert!(b.log("pushgate.stdin").ends_with(" refs/heads/main\n"));
    assert_eq!(b.log("pushgate.stdin"), b.log("old.stdin"));
    git(&work, &["commit", "-q", "--allow-empty", "-m", "two"]);
    let out = Command::new("git")
        .current_dir(&work)
        .args(["push", "-q", repo.to_str().unwrap(), "main"])
        .env("FAKE_OLD_EXIT", "1")
        .output()
        .unwrap();
    assert!(!out.status.success(), "the old hook's refusal must refuse the push");

    let u = install(&Target::Bare(repo.clone()), &b.uninstall()).unwrap();
    assert_eq!(u, vec![Action { path: hook.clone(), kind: ActionKind::Restored { from: chained.clone() } }]);
    assert_eq!(fs::read(&hook).unwrap(), old);
    assert_eq!(mode(&hook), 0o750);
    assert!(!chained.exists());
}

#[test]
fn never_overwrites_a_taken_chain_slot() {
    let b = Bench::new();
    let repo = bare(b.path(), "app.git");
    let hook = repo.join("hooks/pre-receive");
    let chained = repo.join("hooks/pre-receive.pushgate-chained");
    write_exec(&hook, b"#!/bin/sh\nexit 0\n", 0o755);
    write_exec(&chained, b"#!/bin/sh\nexit 7\n", 0o755);
    let e = install(&Target::Bare(repo.clone()), &b.opts()).unwrap_err();
    assert!(matches!(e, InstallError::ChainSlotTaken { .. }), "{e}");
    assert!(e.to_string().contains("pre-receive.pushgate-chained is already taken"), "{e}");
    assert_eq!(fs::read(&hook).unwrap(), b"#!/bin/sh\nexit 0\n");
    assert_eq!(fs::read(&chained).unwrap(), b"#!/bin/sh\nexit 7\n");

    // Uninstall leaves a hook that is not ours alone.
    let u = install(&Target::Bare(repo.clone()), &b.uninstall()).unwrap();
    assert!(matches!(u[0].kind, ActionKind::LeftAlone { .. }));
    assert!(hook.exists() && chained.exists());
}

#[test]
fn leftover_chained_file_without_a_hook_is_not_resurrected() {
    let b = Bench::new();
    let repo = bare(b.path(), "app.git");
    let chained = repo.join("hooks/pre-receive.pushgate-chained");
    write_exec(&chained, b"#!/bin/sh\nexit 7\n", 0o755);
    let a = install(&Target::Bare(repo.clone()), &b.opts()).unwrap();
    assert_eq!(a[0].kind, ActionKind::Created);
    assert!(matches!(a[1].kind, ActionKind::LeftAlone { .. }));
    assert_eq!(run_hook(&repo, "hooks/pre-receive", &[], INPUT, &[]), 0);
    install(&Target::Bare(repo.clone()), &b.uninstall()).unwrap();
    assert!(chained.exists() && !repo.join("hooks/pre-receive").exists());
}

#[test]
fn quoting_paths_with_spaces_and_a_single_quote() {
    let b = Bench::with_binary_dir("my bin's dir $HOME `x`");
    let repo = bare(b.path(), "it's a repo.git");
    let policy = b.path().join("po'licy \"dir\"/policy file.toml");
    fs::create_dir_all(policy.parent().unwrap()).unwrap();
    fs::write(&policy, "").unwrap();
    let opts = Options { policy: Some(policy.clone()), ..b.opts() };
    let a = install(&Target::Bare(repo.clone()), &opts).unwrap();
    assert_eq!(kinds(&a), vec![&ActionKind::Created]);
    assert_eq!(run_hook(&repo, "hooks/pre-receive", &[], INPUT, &[]), 0);
    assert_eq!(b.args(), format!("--policy\n{}\npre-receive\n", policy.display()));
    assert_eq!(b.log("pushgate.stdin"), INPUT);

    // The same through the chaining script.
    install(&Target::Bare(repo.clone()), &b.uninstall()).unwrap();
    write_exec(&repo.join("hooks/pre-receive"), &recorder(&b.log, "old", "FAKE_OLD_EXIT"), 0o755);
    install(&Target::Bare(repo.clone()), &opts).unwrap();
    b.clear_log();
    assert_eq!(run_hook(&repo, "hooks/pre-receive", &[], INPUT, &[]), 0);
    assert_eq!(b.args(), format!("--policy\n{}\npre-receive\n", policy.display()));
    assert_eq!(b.log("old.stdin"), INPUT);
}

#[test]
fn options_are_checked() {
    let b = Bench::new();
    let repo = bare(b.path(), "app.git");
    let rel = Options { binary: PathBuf::from("pushgate"), ..b.opts() };
    assert!(matches!(install(&Target::Bare(repo.clone()), &rel), Err(InstallError::RelativeBinary(_))));
    let rel = Options { policy: Some(PathBuf::from("policy.toml")), ..b.opts() };
    assert!(matches!(install(&Target::Bare(repo.clone()), &rel), Err(InstallError::RelativePolicy(_))));
    assert!(!repo.join("hooks/pre-receive").exists());
    // Uninstall does not need a usable binary path.
    let u = Options { binary: PathBuf::new(), policy: None, uninstall: true };
    assert!(install(&Target::Bare(repo.clone()), &u).is_ok());
    // A binary or policy that does not exist (yet) is installed, with a warning.
    let missing = Options { binary: b.path().join("nope"), policy: Some(b.path().join("nope.toml")), uninstall: false };
    let a = install(&Target::Bare(repo.clone()), &missing).unwrap();
    assert!(matches!(a[0].kind, ActionKind::Warning { .. }) && matches!(a[1].kind, ActionKind::Warning { .. }));
    assert_eq!(a[2].kind, ActionKind::Created);
}

#[test]
fn targets_that_are_not_repositories() {
    let b = Bench::new();
    let plain = b.path().join("plain");
    fs::create_dir(&plain).unwrap();
    for t in [Target::Bare(plain.clone()), Target::Gitea(plain.clone()), Target::GitLab(plain.clone())] {
        let e = install(&t, &b.opts()).unwrap_err();
        assert!(matches!(e, InstallError::NotAGitDir { .. }), "{e}");
        assert!(e.to_string().contains("is not a git directory"), "{e}");
    }
    let e = install(&Target::Bare(b.path().join("missing.git")), &b.opts()).unwrap_err();
    assert!(matches!(e, InstallError::Missing(_)), "{e}");
    let e = install(&Target::Local(plain.clone()), &b.opts()).unwrap_err();
    assert!(e.to_string().contains("neither it nor a parent directory is a git repository"), "{e}");
    let e = install(&Target::GitLabGlobal(b.path().join("nope")), &b.opts()).unwrap_err();
    assert!(matches!(e, InstallError::Missing(_)), "{e}");
    assert!(!b.path().join("nope").exists(), "a mistyped global dir is not created");
    let file = b.path().join("file");
    fs::write(&file, "").unwrap();
    let e = install(&Target::GitLabGlobal(file), &b.opts()).unwrap_err();
    assert!(matches!(e, InstallError::NotADirectory(_)), "{e}");

    // A clone's work tree is not a server repository, and the error says what to do.
    let work = b.path().join("work");
    git(b.path(), &["init", "-q", work.to_str().unwrap()]);
    let e = install(&Target::Bare(work), &b.opts()).unwrap_err();
    assert!(e.to_string().contains("pushgate install local"), "{e}");

    // Gitea root without repositories.
    let e = install(&Target::GiteaAll(plain), &b.opts()).unwrap_err();
    assert!(matches!(e, InstallError::NoRepositories(_)), "{e}");

    // A hooks path that cannot be written: hooks/ is a file.
    let repo = bare(b.path(), "broken.git");
    fs::remove_dir_all(repo.join("hooks")).unwrap();
    fs::write(repo.join("hooks"), "").unwrap();
    let e = install(&Target::Bare(repo), &b.opts()).unwrap_err();
    assert!(matches!(e, InstallError::Io { .. }), "{e}");
    assert!(e.to_string().starts_with("could not create "), "{e}");
}

/// Gitea's generated `hooks/pre-receive` (modules/repository/hooks.go), to run ours as Gitea does.
const GITEA_WRAPPER: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/hooks/gitea-pre-receive.sh"));

fn gitea_repo(root: &Path, name: &str) -> PathBuf {
    let repo = bare(root, name);
    write_exec(&repo.join("hooks/pre-receive"), GITEA_WRAPPER.as_bytes(), 0o755);
    write_exec(&repo.join("hooks/pre-receive.d/gitea"), b"#!/bin/sh\ncat >/dev/null\nexit 0\n", 0o755);
    repo
}

#[test]
fn gitea_one_repository() {
    let b = Bench::new();
    let root = b.path().join("gitea-repositories");
    let repo = gitea_repo(&root, "alice/app.git");
    let file = repo.join("hooks/pre-receive.d/pushgate");

    let a = install(&Target::Gitea(repo.clone()), &b.opts()).unwrap();
    assert_eq!(a, vec![Action { path: file.clone(), kind: ActionKind::Created }]);
    assert_eq!(mode(&file), 0o755);
    let first = format!("#!{} run-hook\n# installed by pushgate\n", b.binary.display());
    assert!(fs::read_to_string(&file).unwrap().starts_with(&first));
    assert_eq!(kinds(&install(&Target::Gitea(repo.clone()), &b.opts()).unwrap()), vec![&ActionKind::Unchanged]);
    let names: Vec<_> =
        fs::read_dir(repo.join("hooks/pre-receive.d")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 2, "no temporary file left behind: {names:?}");

    // Gitea's wrapper runs it, and its refusal refuses the push.
    assert_eq!(run_hook(&repo, "hooks/pre-receive", &[], INPUT, &[("GIT_DIR", ".")]), 0);
    assert_eq!(b.log("pushgate.stdin"), INPUT);
    assert_eq!(run_hook(&repo, "hooks/pre-receive", &[], INPUT, &[("GIT_DIR", "."), ("FAKE_PUSHGATE_EXIT", "1")]), 1);

    let u = install(&Target::Gitea(repo.clone()), &b.uninstall()).unwrap();
    assert_eq!(kinds(&u), vec![&ActionKind::Removed]);
    assert!(!file.exists() && repo.join("hooks/pre-receive.d/gitea").exists());

    // A foreign file named pushgate is refused, and left alone by uninstall.
    write_exec(&file, b"#!/bin/sh\nexit 0\n", 0o755);
    assert!(matches!(install(&Target::Gitea(repo.clone()), &b.opts()), Err(InstallError::ForeignFile(_))));
    let u = install(&Target::Gitea(repo.clone()), &b.uninstall()).unwrap();
    assert!(matches!(u[0].kind, ActionKind::LeftAlone { .. }));
    assert_eq!(fs::read(&file).unwrap(), b"#!/bin/sh\nexit 0\n");

    // Without Gitea's wrapper the drop-in would never run: say so.
    let plain = bare(&root, "bob/plain.git");
    let a = install(&Target::Gitea(plain.clone()), &b.opts()).unwrap();
    assert_eq!(a[0].kind, ActionKind::Created);
    assert!(a[1].to_string().contains("gitea admin regenerate hooks"), "{}", a[1]);
}

#[test]
fn gitea_all_over_two_owners() {
    let b = Bench::new();
    let root = b.path().join("gitea-repositories");
    let repos = [
        gitea_repo(&root, "alice/app.git"),
        gitea_repo(&root, "alice/app.wiki.git"),
        gitea_repo(&root, "bob/site.git"),
    ];
    fs::create_dir_all(root.join("bob/notes")).unwrap(); // not *.git: skipped
    fs::write(root.join("README"), "").unwrap();

    let a = install(&Target::GiteaAll(root.clone()), &b.opts()).unwrap();
    let want: Vec<_> = repos
        .iter()
        .map(|r| Action { path: r.join("hooks/pre-receive.d/pushgate"), kind: ActionKind::Created })
        .collect();
    assert_eq!(a, want);
    assert!(!root.join("bob/notes/hooks").exists());

    // A repository created later: the re-run installs only there.
    let new = gitea_repo(&root, "carol/new.git");
    let a = install(&Target::GiteaAll(root.clone()), &b.opts()).unwrap();
    assert_eq!(a.iter().filter(|a| a.is_change()).count(), 1);
    assert!(a.iter().any(|x| x.path == new.join("hooks/pre-receive.d/pushgate") && x.kind == ActionKind::Created));

    // One broken repository does not stop the others; the error lists it and carries the rest.
    let broken = root.join("dave/broken.git");
    fs::create_dir_all(&broken).unwrap();
    match install(&Target::GiteaAll(root.clone()), &b.opts()) {
        Err(InstallError::Incomplete { done, failed }) => {
            assert_eq!(done.len(), 4);
            assert_eq!(failed.len(), 1);
            assert_eq!(failed[0].0, broken);
        }
        other => panic!("{other:?}"),
    }
    fs::remove_dir(&broken).unwrap();

    let u = install(&Target::GiteaAll(root.clone()), &b.uninstall()).unwrap();
    assert_eq!(u.len(), 4);
    assert!(u.iter().all(|a| a.kind == ActionKind::Removed));
    for r in repos.iter().chain([&new]) {
        assert!(!r.join("hooks/pre-receive.d/pushgate").exists());
        assert!(r.join("hooks/pre-receive.d/gitea").exists());
    }
}

#[test]
fn gitlab_repository_and_global() {
    let b = Bench::new();
    let repo = bare(b.path(), "@hashed/ab/cd/abcd.git");
    let file = repo.join("custom_hooks/pre-receive.d/pushgate");
    let a = install(&Target::GitLab(repo.clone()), &b.opts()).unwrap();
    assert_eq!(a, vec![Action { path: file.clone(), kind: ActionKind::Created }]);
    assert_eq!(mode(&file), 0o755);
    assert_eq!(kinds(&install(&Target::GitLab(repo.clone()), &b.opts()).unwrap()), vec![&ActionKind::Unchanged]);
    assert_eq!(run_hook(&repo, "custom_hooks/pre-receive.d/pushgate", &[], INPUT, &[]), 0);
    assert_eq!(b.log("pushgate.stdin"), INPUT);
    assert_eq!(kinds(&install(&Target::GitLab(repo.clone()), &b.uninstall()).unwrap()), vec![&ActionKind::Removed]);
    assert!(!file.exists());

    let global = b.path().join("custom_hooks");
    fs::create_dir(&global).unwrap();
    let file = global.join("pre-receive.d/pushgate");
    let a = install(&Target::GitLabGlobal(global.clone()), &b.opts()).unwrap();
    assert_eq!(a, vec![Action { path: file.clone(), kind: ActionKind::Created }]);
    assert_eq!(
        kinds(&install(&Target::GitLabGlobal(global.clone()), &b.opts()).unwrap()),
        vec![&ActionKind::Unchanged]
    );
    assert_eq!(
        kinds(&install(&Target::GitLabGlobal(global.clone()), &b.uninstall()).unwrap()),
        vec![&ActionKind::Removed]
    );
    assert_eq!(
        kinds(&install(&Target::GitLabGlobal(global), &b.uninstall()).unwrap()),
        vec![&ActionKind::NotInstalled]
    );
}

#[test]
fn local_pre_push_chains_and_runs_on_a_real_push() {
    let b = Bench::new();
    let remote = bare(b.path(), "remote.git");
    let work = b.path().join("work");
    git(b.path(), &["init", "-q", "-b", "main", work.to_str().unwrap()]);
    git(&work, &["remote", "add", "origin", remote.to_str().unwrap()]);
    git(&work, &["commit", "-q", "--allow-empty", "-m", "one"]);
    let hook = work.join(".git/hooks/pre-push");
    let old = recorder(&b.log, "old", "FAKE_OLD_EXIT");
    write_exec(&hook, &old, 0o755);

    // From a sub-directory, like git.
    fs::create_dir(work.join("sub")).unwrap();
    let a = install(&Target::Local(work.join("sub")), &b.opts()).unwrap();
    let hook = fs::canonicalize(&hook).unwrap();
    assert_eq!(
        kinds(&a),
        vec![
            &ActionKind::KeptExisting { kept_as: hook.with_file_name("pre-push.pushgate-chained") },
            &ActionKind::Created
        ]
    );
    assert_eq!(a[1].path, hook);
    assert_eq!(kinds(&install(&Target::Local(work.clone()), &b.opts()).unwrap()), vec![&ActionKind::Unchanged]);

    git(&work, &["push", "-q", "origin", "main"]);
    let url = remote.to_str().unwrap();
    assert_eq!(b.args(), format!("pre-push\norigin\n{url}\n"));
    assert_eq!(b.log("old.args"), format!("origin\n{url}\n"));
    let stdin = b.log("pushgate.stdin");
    assert!(
        stdin.starts_with("refs/heads/main ") && stdin.ends_with(&format!(" refs/heads/main {}\n", "0".repeat(40)))
    );
    assert_eq!(b.log("old.stdin"), stdin);

    // pushgate's refusal stops the push; `--no-verify` skips the hook (why the server hook enforces).
    git(&work, &["commit", "-q", "--allow-empty", "-m", "two"]);
    let out = Command::new("git")
        .current_dir(&work)
        .args(["push", "-q", "origin", "main"])
        .env("FAKE_PUSHGATE_EXIT", "1")
        .output()
        .unwrap();
    assert!(!out.status.success());
    b.clear_log();
    git(&work, &["push", "-q", "--no-verify", "origin", "main"]);
    assert!(!b.ran("pushgate.args"));

    let u = install(&Target::Local(work.clone()), &b.uninstall()).unwrap();
    assert!(matches!(u[0].kind, ActionKind::Restored { .. }));
    assert_eq!(fs::read(&hook).unwrap(), old);
}

#[test]
fn local_worktree_and_submodule_git_files() {
    let b = Bench::new();
    let work = b.path().join("work");
    git(b.path(), &["init", "-q", "-b", "main", work.to_str().unwrap()]);
    git(&work, &["commit", "-q", "--allow-empty", "-m", "one"]);
    let wt = b.path().join("wt");
    git(&work, &["worktree", "add", "-q", "-b", "feature", wt.to_str().unwrap()]);
    assert!(wt.join(".git").is_file());

    // A linked worktree's hooks are the main repository's.
    let a = install(&Target::Local(wt.clone()), &b.opts()).unwrap();
    let main_hooks = fs::canonicalize(work.join(".git/hooks")).unwrap();
    assert_eq!(a, vec![Action { path: main_hooks.join("pre-push"), kind: ActionKind::Created }]);
    install(&Target::Local(wt.clone()), &b.uninstall()).unwrap();

    // A submodule-style .git file with a relative gitdir.
    let modules = work.join(".git/modules/sub");
    git(b.path(), &["init", "-q", "--bare", modules.to_str().unwrap()]);
    let sub = work.join("sub");
    fs::create_dir(&sub).unwrap();
    fs::write(sub.join(".git"), "gitdir: ../.git/modules/sub\n").unwrap();
    let a = install(&Target::Local(sub.clone()), &b.opts()).unwrap();
    assert_eq!(a[0].path, fs::canonicalize(&modules).unwrap().join("hooks/pre-push"));
    assert!(modules.join("hooks/pre-push").is_file());

    // A .git file that is not one.
    fs::write(sub.join(".git"), "nonsense\n").unwrap();
    let e = install(&Target::Local(sub), &b.opts()).unwrap_err();
    assert!(matches!(e, InstallError::BadGitFile { .. }), "{e}");
}

#[test]
fn local_respects_core_hooks_path() {
    let b = Bench::new();
    let work = b.path().join("work");
    git(b.path(), &["init", "-q", work.to_str().unwrap()]);
    git(&work, &["config", "core.hooksPath", ".githooks"]);
    let a = install(&Target::Local(work.clone()), &b.opts()).unwrap();
    let want = fs::canonicalize(&work).unwrap().join(".githooks/pre-push");
    assert_eq!(a, vec![Action { path: want.clone(), kind: ActionKind::Created }]);
    // git agrees on where the hook is.
    let out = git(&work, &["rev-parse", "--git-path", "hooks/pre-push"]);
    assert_eq!(work.join(String::from_utf8(out.stdout).unwrap().trim()), work.join(".githooks/pre-push"));

    // The git dir given directly works the same.
    let a = install(&Target::Local(work.join(".git")), &b.opts()).unwrap();
    assert_eq!(a, vec![Action { path: want, kind: ActionKind::Unchanged }]);
}
