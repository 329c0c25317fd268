//! Who is pushing, through which forge, and whether the forge itself made the push (a merge
//! clicked in the UI). Read from the environment variables each server sets for its hooks; the
//! exact names and their sources are in `shared/research/signing-branches.md`.

/// The server software the hook runs under, as far as the environment tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forge {
    Gitea,
    GitLab,
    Gitolite,
    Http,
    None,
}

impl Forge {
    pub fn as_str(self) -> &'static str {
        match self {
            Forge::Gitea => "gitea",
            Forge::GitLab => "gitlab",
            Forge::Gitolite => "gitolite",
            Forge::Http => "http",
            Forge::None => "none",
        }
    }
}

/// The pusher and the way the push arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub forge: Forge,
    /// Login name of the pusher, when the server says.
    pub pusher: Option<String>,
    /// `ssh`, `http`, `web` (GitLab), … when known.
    pub protocol: Option<String>,
    /// The forge made this push itself: a pull/merge request merged in its UI or API.
    pub forge_merge: bool,
    /// Gitea's internal pushes (`GITEA_INTERNAL_PUSH=true`): repository creation, templating.
    pub internal: bool,
    /// `git push -o` options, when the server advertised push options.
    pub push_options: Vec<String>,
}

impl Identity {
    /// Nobody in particular (local runs: pre-push, check).
    pub fn local() -> Self {
        Self {
            forge: Forge::None,
            pusher: None,
            protocol: None,
            forge_merge: false,
            internal: false,
            push_options: Vec::new(),
        }
    }

    /// Read the identity from a variable lookup (the process environment in production).
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Self {
        let var = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        let push_options = push_options(&var);
        if let Some(pusher) = var("GITEA_PUSHER_NAME") {
            let pr = var("GITEA_PR_ID").is_some_and(|v| v.trim() != "0");
            let trigger = var("GITEA_PUSH_TRIGGER").is_some();
            return Self {
                forge: Forge::Gitea,
                pusher: Some(pusher),
                protocol: None,
                forge_merge: pr || trigger,
                internal: var("GITEA_INTERNAL_PUSH").is_some_and(|v| v == "true"),
                push_options,
            };
        }
        if var("GL_ID").is_some() || var("GL_USERNAME").is_some() || var("GL_PROTOCOL").is_some() {
            let protocol = var("GL_PROTOCOL");
            return Self {
                forge: Forge::GitLab,
                pusher: var("GL_USERNAME"),
                forge_merge: protocol.as_deref() == Some("web"),
                protocol,
                internal: false,
                push_options,
            };
        }
        if let Some(user) = var("GL_USER") {
            return Self {
                forge: Forge::Gitolite,
                pusher: Some(user),
                protocol: Some("ssh".into()),
                forge_merge: false,
                internal: false,
                push_options,
            };
        }
        if let Some(user) = var("REMOTE_USER") {
            return Self {
                forge: Forge::Http,
                pusher: Some(user),
                protocol: Some("http".into()),
                forge_merge: false,
                internal: false,
                push_options,
            };
        }
        Self { push_options, ..Self::local() }
    }

    /// Whether output lines need GitLab's `GL-HOOK-ERR:` prefix to show in its UI.
    pub fn is_gitlab(&self) -> bool {
        self.forge == Forge::GitLab
    }

    /// The value of `-o <key>=<value>`, if given.
    pub fn push_option(&self, key: &str) -> Option<&str> {
        self.push_options.iter().find_map(|o| o.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
    }
}

fn push_options(var: &impl Fn(&str) -> Option<String>) -> Vec<String> {
    let count: usize = var("GIT_PUSH_OPTION_COUNT").and_then(|c| c.trim().parse().ok()).unwrap_or(0);
    // git caps the number of push options far below this; a hostile value must not make us loop.
    (0..count.min(1000)).filter_map(|i| var(&format!("GIT_PUSH_OPTION_{i}"))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn id(vars: &[(&str, &str)]) -> Identity {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect();
        Identity::from_env(|k| map.get(k).cloned())
    }

    #[test]
    fn gitea_push_and_pr_merge() {
        let plain = id(&[("GITEA_PUSHER_NAME", "alice"), ("GITEA_PR_ID", "0")]);
        assert_eq!((plain.forge, plain.pusher.as_deref(), plain.forge_merge), (Forge::Gitea, Some("alice"), false));
        assert!(id(&[("GITEA_PUSHER_NAME", "bob"), ("GITEA_PR_ID", "17")]).forge_merge);
        assert!(id(&[("GITEA_PUSHER_NAME", "bob"), ("GITEA_PUSH_TRIGGER", "pr-merge-to-base")]).forge_merge);
        assert!(id(&[("GITEA_PUSHER_NAME", "gitea"), ("GITEA_INTERNAL_PUSH", "true")]).internal);
    }

    #[test]
    fn gitlab_web_merge() {
        let web = id(&[("GL_ID", "user-1"), ("GL_USERNAME", "carol"), ("GL_PROTOCOL", "web")]);
        assert_eq!(web.forge, Forge::GitLab);
        assert!(web.forge_merge && web.is_gitlab());
        assert!(!id(&[("GL_ID", "user-1"), ("GL_USERNAME", "carol"), ("GL_PROTOCOL", "ssh")]).forge_merge);
    }

    #[test]
    fn gitolite_http_and_nobody() {
        assert_eq!(id(&[("GL_USER", "dave")]).forge, Forge::Gitolite);
        assert_eq!(id(&[("REMOTE_USER", "erin")]).pusher.as_deref(), Some("erin"));
        assert_eq!(id(&[]), Identity::local());
    }

    #[test]
    fn push_options_are_read_and_bounded() {
        let i = id(&[
            ("GIT_PUSH_OPTION_COUNT", "2"),
            ("GIT_PUSH_OPTION_0", "ci.skip"),
            ("GIT_PUSH_OPTION_1", "pushgate.bypass=fp"),
        ]);
        assert_eq!(i.push_option("pushgate.bypass"), Some("fp"));
        assert_eq!(id(&[("GIT_PUSH_OPTION_COUNT", "99999999999")]).push_options.len(), 0);
    }
}
