//! One real server end to end: lighttpd serves `git http-backend` over HTTP Basic authentication,
//! the server repository's pre-receive hook is the real pushgate binary, and the real `git` clones
//! and pushes over `http://`. The web server sets `REMOTE_USER`, http-backend passes it on to
//! `git receive-pack`, and the hook reads it as the pusher.
//!
//! Needs `lighttpd` (Debian package `lighttpd`, which also ships mod_auth/mod_authn_file/mod_cgi);
//! the test fails, not skips, without it — `.ci/run` installs it.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::{BIN, isolate};

/// A valid NHS number (mod-11 check digit 5) that is not in the 9xx test range.
const NHS: &str = "401 023 2137";

const POLICY: &str = r#"
[branches.live]
pushers = ["alice"]

[branches.staging]
promote-from = "development"
"#;

/// Web users, htpasswd format (`openssl passwd -apr1 -salt pushgate <password>`):
/// alice / secret and bob / hunter2. Both may push; only alice may move live.
const HTPASSWD: &str = "alice:$apr1$pushgate$5pIy9iLK4U7sYvJnCqaHe1\nbob:$apr1$pushgate$4/rmDHSKJ/JdCcVeLuFyP/\n";
const ALICE: &str = "alice:secret";
const BOB: &str = "bob:hunter2";

/// A running `lighttpd -D`; killed (and reaped) when dropped, even when the test panics.
struct WebServer {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Drop for WebServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A bare `server.git` behind lighttpd, and a temporary directory for clones.
struct Site {
    // Fields drop in order: stop the server before its directory goes.
    server: WebServer,
    dir: tempfile::TempDir,
    tick: std::cell::Cell<u64>,
}

/// What a git command returned.
struct Ran {
    ok: bool,
    stderr: String,
}

impl Ran {
    fn remote_lines(&self) -> String {
        common::remote_lines(&self.stderr)
    }
}

/// `lighttpd` on the PATH or in the sbin directories (often not on a non-root user's PATH).
fn find_lighttpd() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs = std::env::split_paths(&path).chain(["/usr/sbin", "/usr/local/sbin", "/sbin"].map(PathBuf::from));
    for dir in dirs {
        let candidate = dir.join("lighttpd");
        if candidate.is_file() {
            return candidate;
        }
    }
    panic!(
        "lighttpd is not installed, and this test needs a real web server: install it with \
         `apt-get install -y lighttpd` (Debian/Ubuntu; .ci/run does this)"
    );
}

/// git-http-backend of the `git` on the PATH (not of another git installed elsewhere).
fn http_backend(home: &Path) -> PathBuf {
    let mut cmd = Command::new("git");
    isolate(&mut cmd, home);
    let out = cmd.arg("--exec-path").output().expect("git is not on the PATH");
    assert!(out.status.success(), "git --exec-path: {}", String::from_utf8_lossy(&out.stderr));
    let backend = PathBuf::from(String::from_utf8(out.stdout).unwrap().trim()).join("git-http-backend");
    assert!(backend.is_file(), "{} is missing: the git on the PATH has no smart HTTP backend", backend.display());
    backend
}

/// A port on 127.0.0.1 that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// lighttpd configuration: http-backend as a CGI at `/`, Basic authentication required for the
/// push half of the protocol (`info/refs?service=git-receive-pack` and `POST .../git-receive-pack`),
/// reads open to anyone.
fn lighttpd_conf(dir: &Path, port: u16, backend: &Path) -> String {
    let d = dir.display();
    format!(
        r#"server.modules = ( "mod_auth", "mod_authn_file", "mod_setenv", "mod_alias", "mod_cgi", "mod_accesslog" )
server.bind = "127.0.0.1"
server.port = {port}
server.document-root = "{d}/htdocs"
server.upload-dirs = ( "{d}/upload" )
server.pid-file = "{d}/lighttpd.pid"
server.errorlog = "{d}/error.log"
accesslog.filename = "{d}/access.log"

alias.url = ( "/" => "{backend}/" )
cgi.assign = ( "" => "" )
setenv.set-environment = (
  "GIT_PROJECT_ROOT" => "{d}/repos",
  "GIT_HTTP_EXPORT_ALL" => "1",
  "HOME" => "{d}",
  "GIT_CONFIG_NOSYSTEM" => "1",
  "GIT_CONFIG_GLOBAL" => "/dev/null",
)
# mod_auth has already checked it: keep the password out of the CGI's (and the hook's) environment.
setenv.set-request-header = ( "Authorization" => "" )

auth.backend = "htpasswd"
auth.backend.htpasswd.userfile = "{d}/htpasswd"
$HTTP["querystring"] =~ "(^|&)service=git-receive-pack(&|$)" {{
  auth.require = ( "" => ( "method" => "basic", "realm" => "git", "require" => "valid-user" ) )
}}
$HTTP["url"] =~ "/git-receive-pack$" {{
  auth.require = ( "" => ( "method" => "basic", "realm" => "git", "require" => "valid-user" ) )
}}
"#,
        backend = backend.display()
    )
}

/// Start lighttpd in the foreground on a free port; wait (at most ~5 s) until it accepts
/// connections. A port taken between choosing and binding it means another try.
fn start_lighttpd(dir: &Path, backend: &Path) -> WebServer {
    let lighttpd = find_lighttpd();
    let mut last_error = String::new();
    for _attempt in 0..3 {
        let port = free_port();
        let conf = dir.join("lighttpd.conf");
        std::fs::write(&conf, lighttpd_conf(dir, port, backend)).unwrap();
        let _ = std::fs::remove_file(dir.join("error.log"));
        let child = Command::new(&lighttpd)
            .arg("-D")
            .arg("-f")
            .arg(&conf)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", lighttpd.display()));
        let mut server = WebServer { child, port, log: dir.join("error.log") };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return server;
            }
            if let Some(status) = server.child.try_wait().unwrap() {
                last_error = format!(
                    "lighttpd exited with {status}: {}",
                    std::fs::read_to_string(&server.log).unwrap_or_default()
                );
                break;
            }
            if Instant::now() > deadline {
                last_error = format!("lighttpd did not accept connections on port {port} within 5 s");
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        drop(server);
    }
    panic!("could not start lighttpd: {last_error}");
}

impl Site {
    /// `repos/server.git` (default branch development, `http.receivepack=true`, pushgate as its
    /// pre-receive hook with [`POLICY`]) served by a fresh lighttpd.
    fn new() -> Self {
        let dir = tempfile::Builder::new().prefix("pg-http-").tempdir().unwrap();
        let d = dir.path();
        for sub in ["htdocs", "upload", "repos"] {
            std::fs::create_dir_all(d.join(sub)).unwrap();
        }
        std::fs::write(d.join("htpasswd"), HTPASSWD).unwrap();
        let policy = d.join("policy.toml");
        std::fs::write(&policy, POLICY).unwrap();
        let backend = http_backend(d);
        let site = Self { server: start_lighttpd(d, &backend), dir, tick: std::cell::Cell::new(0) };
        site.run(&site.dir.path().join("repos"), &["init", "-q", "--bare", "-b", "development", "server.git"]);
        site.server_git(&["config", "http.receivepack", "true"]);
        let hook = site.server_dir().join("hooks/pre-receive");
        std::fs::write(&hook, format!("#!/bin/sh\nexec {BIN} --policy {} pre-receive\n", policy.display())).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
        site
    }

    fn server_dir(&self) -> PathBuf {
        self.dir.path().join("repos/server.git")
    }

    /// The repository's URL, with `user:password@` when `credentials` is not empty.
    fn url(&self, credentials: &str) -> String {
        let at = if credentials.is_empty() { String::new() } else { format!("{credentials}@") };
        format!("http://{at}127.0.0.1:{}/server.git", self.server.port)
    }

    fn git_in(&self, dir: &Path, args: &[&str]) -> Ran {
        let mut cmd = Command::new("git");
        cmd.args(args).current_dir(dir).stdin(Stdio::null());
        isolate(&mut cmd, self.dir.path());
        let date = format!("{} +0000", 1_760_000_000 + self.tick.get() * 60);
        cmd.env("GIT_AUTHOR_DATE", &date).env("GIT_COMMITTER_DATE", &date);
        let out = cmd.output().unwrap();
        Ran { ok: out.status.success(), stderr: String::from_utf8_lossy(&out.stderr).into() }
    }

    fn run(&self, dir: &Path, args: &[&str]) {
        let r = self.git_in(dir, args);
        assert!(r.ok, "git {args:?} failed: {}\n{}", r.stderr, self.logs());
    }

    fn server_git(&self, args: &[&str]) {
        self.run(&self.server_dir(), args);
    }

    /// lighttpd's error log, for failure messages.
    fn logs(&self) -> String {
        format!("lighttpd error.log:\n{}", std::fs::read_to_string(&self.server.log).unwrap_or_default())
    }

    /// Clone over HTTP into `<tmp>/<name>` as `credentials` ("" for anonymous); the clone pushes
    /// to the same URL.
    fn clone_as(&self, name: &str, credentials: &str) -> Work<'_> {
        self.run(self.dir.path(), &["clone", "-q", &self.url(credentials), name]);
        Work { site: self, work: self.dir.path().join(name) }
    }

    /// The value of a ref in server.git, or None.
    fn server_ref(&self, name: &str) -> Option<String> {
        let mut cmd = Command::new("git");
        cmd.args(["rev-parse", "--verify", "-q", name]).current_dir(self.server_dir());
        isolate(&mut cmd, self.dir.path());
        let out = cmd.output().unwrap();
        out.status.success().then(|| String::from_utf8(out.stdout).unwrap().trim().to_string())
    }

    /// Whether server.git holds the object `id` (a refused push leaves none of its objects).
    fn server_has(&self, id: &str) -> bool {
        self.git_in(&self.server_dir(), &["cat-file", "-e", id]).ok
    }
}

/// A working clone of server.git.
struct Work<'a> {
    site: &'a Site,
    work: PathBuf,
}

impl Work<'_> {
    fn git(&self, args: &[&str]) -> Ran {
        self.site.git_in(&self.work, args)
    }

    /// Commit a file change on the current branch; returns the commit id.
    fn commit(&self, path: &str, content: &str, message: &str) -> String {
        self.site.tick.set(self.site.tick.get() + 1);
        let file = self.work.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, content).unwrap();
        self.site.run(&self.work, &["add", "--", path]);
        self.site.run(&self.work, &["commit", "-q", "-m", message]);
        let mut cmd = Command::new("git");
        cmd.args(["rev-parse", "HEAD"]).current_dir(&self.work);
        isolate(&mut cmd, self.site.dir.path());
        String::from_utf8(cmd.output().unwrap().stdout).unwrap().trim().to_string()
    }

    /// `git push origin <refspecs>` over HTTP as the clone's credentials.
    fn push(&self, refspecs: &[&str]) -> Ran {
        let mut args = vec!["push", "origin"];
        args.extend_from_slice(refspecs);
        self.git(&args)
    }

    /// Push as someone else: same clone, another URL.
    fn push_as(&self, credentials: &str, refspecs: &[&str]) -> Ran {
        let url = self.site.url(credentials);
        let mut args = vec!["push", url.as_str()];
        args.extend_from_slice(refspecs);
        self.git(&args)
    }
}

/// A site whose development branch has one commit (pushed by alice), with a clone of it.
fn site_with_development() -> (Site, String) {
    let site = Site::new();
    let base = {
        let alice = site.clone_as("alice", ALICE);
        let base = alice.commit("app.txt", "v1\n", "first");
        let p = alice.push(&["HEAD:development"]);
        assert!(p.ok, "{}\n{}", p.stderr, site.logs());
        base
    };
    (site, base)
}

#[test]
fn alice_may_move_live_over_http_and_bob_may_not() {
    let (site, base) = site_with_development();
    let alice = Work { site: &site, work: site.dir.path().join("alice") };
    let p = alice.push(&["HEAD:live"]);
    assert!(p.ok, "{}\n{}", p.stderr, site.logs());
    assert!(p.remote_lines().starts_with("pushgate: "), "the hook did not speak: {}", p.stderr);
    assert_eq!(site.server_ref("refs/heads/live").unwrap(), base);

    // bob is a valid web user (the web server lets him push), but not a live pusher.
    let bob = site.clone_as("bob", BOB);
    let c = bob.commit("app.txt", "v2\n", "bob's change");
    let p = bob.push(&["HEAD:live"]);
    assert!(!p.ok, "bob moved live: {}", p.stderr);
    let text = p.remote_lines();
    assert!(text.contains("error[branch/pusher-not-allowed]: `bob` may not move live"), "{text}");
    assert_eq!(site.server_ref("refs/heads/live").unwrap(), base, "live moved after a refusal");
    assert!(!site.server_has(&c), "a refused push left its objects in the repository");

    // The same commit, pushed by alice, goes through: the identity is the web user, not the
    // commit's author.
    let p = bob.push_as(ALICE, &["HEAD:live"]);
    assert!(p.ok, "{}", p.stderr);
    assert_eq!(site.server_ref("refs/heads/live").unwrap(), c);
}

#[test]
fn pushes_without_valid_credentials_are_refused_by_the_web_server() {
    let (site, base) = site_with_development();
    // Reading needs no credentials; pushing does.
    let anon = site.clone_as("anon", "");
    anon.commit("app.txt", "v2\n", "anonymous change");
    let p = anon.push(&["HEAD:development"]);
    assert!(!p.ok, "an anonymous push went through: {}", p.stderr);
    assert!(p.remote_lines().is_empty(), "the hook ran for an anonymous push: {}", p.stderr);
    // git only asks for a user name after a 401; with prompts off it gives up at once.
    assert!(p.stderr.contains("could not read Username"), "{}", p.stderr);

    let p = anon.push_as("alice:wrong", &["HEAD:development"]);
    assert!(!p.ok, "a wrong password was accepted: {}", p.stderr);
    assert!(p.stderr.contains("Authentication failed"), "{}", p.stderr);
    assert_eq!(site.server_ref("refs/heads/development").unwrap(), base);
}

#[test]
fn a_direct_commit_to_staging_over_http_is_refused() {
    let (site, base) = site_with_development();
    let alice = Work { site: &site, work: site.dir.path().join("alice") };
    // Promotion: staging starts at a commit development already has.
    let p = alice.push(&["origin/development:refs/heads/staging"]);
    assert!(p.ok, "{}", p.stderr);
    let c = alice.commit("app.txt", "hotfix\n", "direct fix");
    let p = alice.push(&["HEAD:staging"]);
    assert!(!p.ok, "{}", p.stderr);
    let text = p.remote_lines();
    assert!(text.contains("error[branch/not-promoted]"), "{text}");
    assert!(text.contains(&format!("staging moved to {}", &c[..7])), "{text}");
    assert!(text.contains("which is not on development"), "{text}");
    assert_eq!(site.server_ref("refs/heads/staging").unwrap(), base, "staging moved after a refusal");
    // The hook read the pushed commit from git's quarantine, which git then threw away.
    assert!(!site.server_has(&c), "a refused push left its objects in the repository");
}

#[test]
fn personal_data_pushed_over_http_is_refused() {
    let (site, base) = site_with_development();
    let alice = Work { site: &site, work: site.dir.path().join("alice") };
    alice.commit("data/patients.csv", &format!("name,nhs_number\nA,{NHS}\n"), "add export");
    let p = alice.push(&["HEAD:development"]);
    assert!(!p.ok, "{}", p.stderr);
    let text = p.remote_lines();
    assert!(text.contains("error[pii/uk-nhs-number]"), "{text}");
    assert!(text.contains("data/patients.csv:2"), "{text}");
    assert!(!text.contains(NHS) && !text.contains(&NHS.replace(' ', "")), "value leaked:\n{text}");
    assert_eq!(site.server_ref("refs/heads/development").unwrap(), base);
}
