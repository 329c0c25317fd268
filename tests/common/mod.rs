//! Test harness: a bare "server" repository whose hooks are the real pushgate binary, and a
//! working clone that pushes to it with the real `git` binary. Commit dates are fixed, so object
//! ids (and the snapshots that show them) are the same on every run.
#![allow(dead_code, clippy::unwrap_used, clippy::disallowed_methods)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_pushgate");

/// A bare server repository with pushgate installed, and a clone of it.
pub struct TestRemote {
    pub dir: tempfile::TempDir,
    pub server: PathBuf,
    pub work: PathBuf,
    pub policy: PathBuf,
    tick: std::cell::Cell<u64>,
    env: std::cell::RefCell<Vec<(String, String)>>,
}

/// What a push returned.
pub struct Pushed {
    pub ok: bool,
    pub stderr: String,
    pub stdout: String,
}

impl Pushed {
    /// The hook's own lines, without git's `remote: ` prefix and trailing padding.
    pub fn remote_lines(&self) -> String {
        remote_lines(&self.stderr)
    }
}

/// The hook's own lines in git's stderr, without the `remote: ` prefix and trailing padding.
pub fn remote_lines(stderr: &str) -> String {
    stderr.lines().filter_map(|l| l.strip_prefix("remote: ")).map(|l| format!("{}\n", l.trim_end())).collect()
}

/// Isolate git (and the pushgate it runs) from the user's and the system's configuration,
/// credential helpers, prompts, proxies and forge variables: a failing authentication fails at
/// once instead of waiting for a password, and no identity leaks in from the environment.
pub fn isolate(cmd: &mut Command, home: &Path) {
    cmd.env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_AUTHOR_NAME", "Dev One")
        .env("GIT_AUTHOR_EMAIL", "dev@example.org")
        .env("GIT_COMMITTER_NAME", "Dev One")
        .env("GIT_COMMITTER_EMAIL", "dev@example.org");
    for k in [
        "GIT_DIR",
        "GIT_ASKPASS",
        "SSH_ASKPASS",
        "PUSHGATE_POLICY",
        "GNUPGHOME",
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
        "REMOTE_USER",
        "GITEA_PUSHER_NAME",
        "GITEA_PR_ID",
        "GL_ID",
        "GL_USERNAME",
        "GL_PROTOCOL",
        "GL_USER",
    ] {
        cmd.env_remove(k);
    }
}

impl TestRemote {
    /// A server repository (default branch `development`) with the given policy, the pushgate
    /// pre-receive hook, and an empty clone.
    pub fn new(policy: &str) -> Self {
        Self::with_object_format(policy, "sha1")
    }

    pub fn with_object_format(policy: &str, format: &str) -> Self {
        let dir = tempfile::Builder::new().prefix("pg-").tempdir().unwrap();
        let server = dir.path().join("server.git");
        let work = dir.path().join("work");
        let policy_path = dir.path().join("policy.toml");
        std::fs::write(&policy_path, policy).unwrap();
        let t = Self {
            server,
            work,
            policy: policy_path,
            dir,
            tick: std::cell::Cell::new(0),
            env: std::cell::RefCell::new(Vec::new()),
        };
        t.run_in(
            t.dir.path(),
            &["init", "-q", "--bare", &format!("--object-format={format}"), "-b", "development", "server.git"],
        );
        t.run_in(t.dir.path(), &["init", "-q", &format!("--object-format={format}"), "-b", "development", "work"]);
        t.git(&["remote", "add", "origin", t.server.to_str().unwrap()]);
        t.install_hook("pre-receive", &format!("--policy {} pre-receive", t.policy.display()));
        t
    }

    /// Write `hooks/<name>` on the server as a shell shim running pushgate with `args`.
    pub fn install_hook(&self, name: &str, args: &str) {
        let path = self.server.join("hooks").join(name);
        let extra = if name == "update" { " \"$@\"" } else { "" };
        std::fs::write(&path, format!("#!/bin/sh\nexec {BIN} {args}{extra}\n")).unwrap();
        make_executable(&path);
    }

    pub fn remove_hook(&self, name: &str) {
        let _ = std::fs::remove_file(self.server.join("hooks").join(name));
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    fn command_in(&self, dir: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new("git");
        cmd.args(args).current_dir(dir);
        isolate(&mut cmd, &self.home());
        let t = self.tick.get();
        let date = format!("{} +0000", 1_760_000_000 + t * 60);
        cmd.env("GIT_AUTHOR_DATE", &date).env("GIT_COMMITTER_DATE", &date);
        for (k, v) in self.env.borrow().iter() {
            cmd.env(k, v);
        }
        cmd
    }

    /// Set an environment variable for every later git command of this test.
    pub fn set_env(&self, key: &str, value: &str) {
        self.env.borrow_mut().retain(|(k, _)| k != key);
        self.env.borrow_mut().push((key.to_string(), value.to_string()));
    }

    /// Replace the server's policy file.
    pub fn set_policy(&self, policy: &str) {
        std::fs::write(&self.policy, policy).unwrap();
    }

    /// Generate an OpenPGP ed25519 key for `email` in this test's GNUPGHOME (made on first use and
    /// used by git for signing); export its public certificate to `<dir>/keys/<file>`; return the
    /// fingerprint.
    pub fn gpg_key(&self, name: &str, email: &str, file: &str) -> String {
        let home = self.gpg_home();
        let gpg = |args: &[&str]| {
            let out = Command::new("gpg")
                .args(["--batch", "--pinentry-mode", "loopback", "--passphrase", ""])
                .args(args)
                .env("GNUPGHOME", &home)
                .output()
                .unwrap();
            assert!(out.status.success(), "gpg {args:?}: {}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8_lossy(&out.stdout).to_string()
        };
        let uid = format!("{name} <{email}>");
        gpg(&["--quick-gen-key", &uid, "ed25519", "sign", "never"]);
        let listing = gpg(&["--with-colons", "--list-keys", &format!("={uid}")]);
        let fpr = listing.lines().find(|l| l.starts_with("fpr:")).unwrap().split(':').nth(9).unwrap().to_string();
        let keys = self.dir.path().join("keys");
        std::fs::create_dir_all(&keys).unwrap();
        std::fs::write(keys.join(file), gpg(&["--armor", "--export", &fpr])).unwrap();
        fpr
    }

    /// This test's GNUPGHOME (short path: gpg-agent's socket path is length-limited), made on
    /// first use and handed to every later git command.
    pub fn gpg_home(&self) -> PathBuf {
        let home = self.dir.path().join("g");
        if !home.exists() {
            std::fs::create_dir_all(&home).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
            self.set_env("GNUPGHOME", home.to_str().unwrap());
        }
        home
    }

    /// Generate an SSH ed25519 key pair at `<dir>/keys/<name>`; return the public key line.
    pub fn ssh_key(&self, name: &str) -> String {
        let keys = self.dir.path().join("keys");
        std::fs::create_dir_all(&keys).unwrap();
        let path = keys.join(name);
        let out = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        std::fs::read_to_string(path.with_extension("pub")).unwrap().trim().to_string()
    }

    /// Sign later commits in the work clone with this OpenPGP key.
    pub fn sign_with_gpg(&self, fpr: &str) {
        self.git(&["config", "gpg.format", "openpgp"]);
        self.git(&["config", "user.signingkey", fpr]);
        self.git(&["config", "commit.gpgsign", "true"]);
    }

    /// Sign later commits in the work clone with the SSH key `<dir>/keys/<name>`.
    pub fn sign_with_ssh(&self, name: &str) {
        let key = self.dir.path().join("keys").join(name);
        self.git(&["config", "gpg.format", "ssh"]);
        self.git(&["config", "user.signingkey", key.to_str().unwrap()]);
        self.git(&["config", "commit.gpgsign", "true"]);
    }

    pub fn no_signing(&self) {
        self.git(&["config", "commit.gpgsign", "false"]);
    }

    fn run_in(&self, dir: &Path, args: &[&str]) -> String {
        let out = self.command_in(dir, args).output().unwrap();
        assert!(out.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// Run git in the working clone; panics on failure.
    pub fn git(&self, args: &[&str]) -> String {
        self.run_in(&self.work, args)
    }

    /// Run git in the working clone; returns whether it succeeded.
    pub fn git_may_fail(&self, args: &[&str]) -> bool {
        self.command_in(&self.work, args).output().unwrap().status.success()
    }

    /// Run git in the bare server repository.
    pub fn server_git(&self, args: &[&str]) -> String {
        self.run_in(&self.server, args)
    }

    /// Commit a file change on the current branch; returns the commit id.
    pub fn commit(&self, path: &str, content: &str, message: &str) -> String {
        self.tick.set(self.tick.get() + 1);
        let file = self.work.join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&file, content).unwrap();
        self.git(&["add", "--", path]);
        self.git(&["commit", "-q", "-m", message]);
        self.rev("HEAD")
    }

    pub fn rev(&self, rev: &str) -> String {
        self.git(&["rev-parse", rev]).trim().to_string()
    }

    /// The value of a ref on the server, or None.
    pub fn server_ref(&self, name: &str) -> Option<String> {
        let out = self.command_in(&self.server, &["rev-parse", "--verify", "-q", name]).output().unwrap();
        out.status.success().then(|| String::from_utf8(out.stdout).unwrap().trim().to_string())
    }

    /// `git push origin <refspecs>` with extra environment for the server side (set through
    /// `--receive-pack`, the way Gitea and GitLab give their hooks identities).
    pub fn push_as(&self, env: &[(&str, &str)], refspecs: &[&str]) -> Pushed {
        let mut args: Vec<String> = vec!["push".into()];
        if !env.is_empty() {
            let vars: Vec<String> = env.iter().map(|(k, v)| format!("{k}='{v}'")).collect();
            args.push(format!("--receive-pack=env {} git-receive-pack", vars.join(" ")));
        }
        args.push("origin".into());
        args.extend(refspecs.iter().map(|s| (*s).to_string()));
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = self.command_in(&self.work, &argv).output().unwrap();
        Pushed {
            ok: out.status.success(),
            stderr: String::from_utf8_lossy(&out.stderr).into(),
            stdout: String::from_utf8_lossy(&out.stdout).into(),
        }
    }

    pub fn push(&self, refspecs: &[&str]) -> Pushed {
        self.push_as(&[], refspecs)
    }

    /// Run pushgate directly with `args`, in `dir`, with `stdin`.
    pub fn pushgate(&self, dir: &Path, args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(BIN);
        cmd.args(args).current_dir(dir);
        isolate(&mut cmd, &self.home());
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        {
            use std::io::Write;
            let mut sin = child.stdin.take().unwrap();
            let _ = sin.write_all(stdin);
        }
        child.wait_with_output().unwrap()
    }

    /// Replace the temporary directory in `text` with `[TMP]` so snapshots are stable.
    pub fn redact(&self, text: &str) -> String {
        let tmp = self.dir.path().to_str().unwrap();
        let canon = std::fs::canonicalize(self.dir.path()).unwrap();
        text.replace(canon.to_str().unwrap(), "[TMP]").replace(tmp, "[TMP]")
    }
}

#[cfg(unix)]
pub fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mut p = std::fs::metadata(path).unwrap().permissions();
    p.set_mode(0o755);
    std::fs::set_permissions(path, p).unwrap();
}

/// The three-stage policy most tests use.
pub const PROMOTION_POLICY: &str = r#"
[branches.live]
promote-from = "staging"

[branches.staging]
promote-from = "development"
"#;
