//! Sensitive file names: files whose mere presence in a push is a finding (`id_rsa`, `.env`,
//! `*.p12`, `terraform.tfstate`, …), some only when their content holds a credential
//! (`*.pem`/`*.key` with a private key, `.npmrc` with a token, `.netrc` with a password).

use super::rule::contains;

/// One file-name rule.
pub(crate) struct FileRule {
    pub id: &'static str,
    pub description: &'static str,
    pub help: &'static str,
    check: fn(&Name<'_>, Option<&[u8]>) -> bool,
}

impl std::fmt::Debug for FileRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileRule").field("id", &self.id).finish()
    }
}

/// A path split for matching: lowercased whole path and base name.
struct Name<'a> {
    path: &'a [u8],
    base: &'a [u8],
}

impl FileRule {
    pub fn matches(&self, path: &[u8], content: Option<&[u8]>) -> bool {
        let lower = path.to_ascii_lowercase();
        let norm: Vec<u8> = lower.iter().map(|&b| if b == b'\\' { b'/' } else { b }).collect();
        let base = norm.rsplit(|&b| b == b'/').next().unwrap_or(&norm[..]);
        (self.check)(&Name { path: &norm, base }, content)
    }
}

fn ext_is(n: &Name<'_>, exts: &[&[u8]]) -> bool {
    exts.iter().any(|e| n.base.ends_with(e) && n.base.len() > e.len())
}

fn has_private_key(c: Option<&[u8]>) -> bool {
    c.is_some_and(|c| contains(c, b"-----BEGIN") && contains(c, b"PRIVATE KEY"))
}

/// A value after `key` on some line that is not empty and not a `${VAR}` reference.
fn has_value_after(c: Option<&[u8]>, keys: &[&[u8]]) -> bool {
    let Some(c) = c else { return false };
    c.split(|&b| b == b'\n').any(|line| {
        let l = line.to_ascii_lowercase();
        keys.iter().any(|k| {
            let Some(pos) = l.windows(k.len()).position(|w| w == *k) else {
                return false;
            };
            let rest = &l[pos + k.len()..];
            let rest: Vec<u8> =
                rest.iter().copied().skip_while(|b| matches!(b, b' ' | b'\t' | b'=' | b':' | b'"' | b'\'')).collect();
            !rest.is_empty()
                && !rest.starts_with(b"${")
                && !rest.starts_with(b"$")
                && !rest.starts_with(b"<")
                && !rest.starts_with(b"\r")
        })
    })
}

const ENV_TEMPLATE_PARTS: &[&[u8]] =
    &[b"example", b"sample", b"template", b"dist", b"defaults", b"schema", b"tpl", b"tmpl"];

pub(crate) static RULES: &[FileRule] = &[
    FileRule {
        id: "secret/file-ssh-private-key",
        description: "SSH private key file (id_rsa, id_ed25519, …)",
        help: "Remove the file, treat the key as compromised and replace it where it is authorised.",
        check: |n, _| {
            matches!(n.base, b"id_rsa" | b"id_dsa" | b"id_ecdsa" | b"id_ed25519" | b"id_ecdsa_sk" | b"id_ed25519_sk")
        },
    },
    FileRule {
        id: "secret/file-private-key",
        description: "*.pem / *.key file holding a private key",
        help: "Remove the file, rotate the key, and load it from a secret store at run time.",
        check: |n, c| ext_is(n, &[b".pem", b".key"]) && has_private_key(c),
    },
    FileRule {
        id: "secret/file-env",
        description: "dotenv file (.env, .env.production, …; not .env.example/.sample/.template)",
        help: "Remove it, add `.env*` to .gitignore, commit a `.env.example` without values instead.",
        check: |n, _| {
            n.base == b".env"
                || (n.base.starts_with(b".env.")
                    && !n.base.split(|&b| b == b'.').any(|part| ENV_TEMPLATE_PARTS.contains(&part)))
        },
    },
    FileRule {
        id: "secret/file-pkcs12",
        description: "PKCS#12 key store (*.p12, *.pfx)",
        help: "Remove the key store and reissue the certificate/key it holds.",
        check: |n, _| ext_is(n, &[b".p12", b".pfx"]),
    },
    FileRule {
        id: "secret/file-java-keystore",
        description: "Java key store (*.jks, *.keystore, *.bks)",
        help: "Remove the key store and reissue the keys it holds.",
        check: |n, _| ext_is(n, &[b".jks", b".keystore", b".bks"]),
    },
    FileRule {
        id: "secret/file-aws-credentials",
        description: "AWS shared credentials file (.aws/credentials)",
        help: "Remove the file and deactivate the access keys in IAM.",
        check: |n, c| {
            n.path.ends_with(b".aws/credentials")
                || (n.base == b"credentials" && c.is_some_and(|c| contains(c, b"aws_secret_access_key")))
        },
    },
    FileRule {
        id: "secret/file-npmrc",
        description: ".npmrc with an auth token or password",
        help: "Use `${NPM_TOKEN}` in .npmrc and provide the token from the environment; revoke the token.",
        check: |n, c| n.base == b".npmrc" && has_value_after(c, &[b"_authtoken=", b"_password=", b"_auth="]),
    },
    FileRule {
        id: "secret/file-pypirc",
        description: ".pypirc with a password or token",
        help: "Remove the password from .pypirc (use keyring or TWINE_PASSWORD) and revoke the token.",
        check: |n, c| n.base == b".pypirc" && has_value_after(c, &[b"password"]),
    },
    FileRule {
        id: "secret/file-terraform-state",
        description: "Terraform state (holds resource secrets in clear text)",
        help: "Remove it and use a remote backend; rotate secrets the state contained.",
        check: |n, _| n.base.ends_with(b".tfstate") || n.base.ends_with(b".tfstate.backup"),
    },
    FileRule {
        id: "secret/file-htpasswd",
        description: "Apache .htpasswd password file",
        help: "Remove the file and change the passwords it held.",
        check: |n, _| n.base == b".htpasswd",
    },
    FileRule {
        id: "secret/file-git-credentials",
        description: "git credential store (.git-credentials)",
        help: "Remove it and revoke the tokens it contains.",
        check: |n, _| n.base == b".git-credentials",
    },
    FileRule {
        id: "secret/file-netrc",
        description: ".netrc / _netrc with a password",
        help: "Remove it and change the passwords it contains.",
        check: |n, c| (n.base == b".netrc" || n.base == b"_netrc") && has_value_after(c, &[b"password "]),
    },
    FileRule {
        id: "secret/file-keepass",
        description: "KeePass database (*.kdbx, *.kdb)",
        help: "Remove the database from the repository; change the master password if it may be weak.",
        check: |n, _| ext_is(n, &[b".kdbx", b".kdb"]),
    },
    FileRule {
        id: "secret/file-gpg-secret-keyring",
        description: "GnuPG secret keyring (secring.gpg, private-keys-v1.d/)",
        help: "Remove it and revoke the keys it holds.",
        check: |n, _| n.base == b"secring.gpg" || n.base == b"secring.pgp" || contains(n.path, b"private-keys-v1.d/"),
    },
    FileRule {
        id: "secret/file-docker-config",
        description: "Docker client config with registry credentials (.docker/config.json)",
        help: "Remove it, use a credential helper, and revoke the registry tokens.",
        check: |n, c| n.path.ends_with(b".docker/config.json") && c.is_some_and(|c| contains(c, b"\"auth\"")),
    },
    FileRule {
        id: "secret/file-kubeconfig",
        description: "kubeconfig with client keys or tokens",
        help: "Remove it and rotate the credentials (client certificate, token) it contains.",
        check: |n, c| {
            (n.path.ends_with(b".kube/config") || n.base == b"kubeconfig")
                && c.is_some_and(|c| contains(c, b"client-key-data:") || has_value_after(Some(c), &[b"token:"]))
        },
    },
    FileRule {
        id: "secret/file-gcloud-credentials",
        description: "Google Cloud SDK credentials (application_default_credentials.json, credentials.db)",
        help: "Remove the file and revoke the credentials (gcloud auth revoke).",
        check: |n, _| {
            n.base == b"application_default_credentials.json"
                || (contains(n.path, b".config/gcloud/")
                    && matches!(n.base, b"credentials.db" | b"access_tokens.db" | b"legacy_credentials"))
        },
    },
    FileRule {
        id: "secret/file-shell-history",
        description: "Shell history file (often holds pasted tokens and passwords)",
        help: "Remove the file from the repository and add it to .gitignore.",
        check: |n, _| {
            matches!(n.base, b".bash_history" | b".zsh_history" | b".sh_history" | b".psql_history" | b".mysql_history")
        },
    },
    FileRule {
        id: "secret/file-crypto-wallet",
        description: "Cryptocurrency wallet (wallet.dat)",
        help: "Remove it and move the funds to a new wallet.",
        check: |n, _| n.base == b"wallet.dat",
    },
];

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ids(path: &str, content: Option<&str>) -> Vec<&'static str> {
        RULES.iter().filter(|r| r.matches(path.as_bytes(), content.map(str::as_bytes))).map(|r| r.id).collect()
    }

    #[test]
    fn positives() {
        let pk = "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n";
        let cases: &[(&str, Option<&str>, &str)] = &[
            ("home/.ssh/id_rsa", None, "secret/file-ssh-private-key"),
            ("id_ed25519", None, "secret/file-ssh-private-key"),
            ("deploy/server.pem", Some(pk), "secret/file-private-key"),
            ("tls/site.key", Some(pk), "secret/file-private-key"),
            (".env", None, "secret/file-env"),
            ("app/.env.production", None, "secret/file-env"),
            ("certs/client.p12", None, "secret/file-pkcs12"),
            ("CERTS\\Client.PFX", None, "secret/file-pkcs12"),
            ("android/release.jks", None, "secret/file-java-keystore"),
            ("android/app.keystore", None, "secret/file-java-keystore"),
            ("home/.aws/credentials", None, "secret/file-aws-credentials"),
            ("ci/credentials", Some("[default]\naws_secret_access_key = abc\n"), "secret/file-aws-credentials"),
            (".npmrc", Some("//registry.npmjs.org/:_authToken=npm_abc\n"), "secret/file-npmrc"),
            (".pypirc", Some("[pypi]\nusername = __token__\npassword = pypi-AgEI\n"), "secret/file-pypirc"),
            ("infra/terraform.tfstate", None, "secret/file-terraform-state"),
            ("infra/terraform.tfstate.backup", None, "secret/file-terraform-state"),
            ("web/.htpasswd", None, "secret/file-htpasswd"),
            (".git-credentials", None, "secret/file-git-credentials"),
            (".netrc", Some("machine host login me password s3cret\n"), "secret/file-netrc"),
            ("vault/team.kdbx", None, "secret/file-keepass"),
            ("gnupg/secring.gpg", None, "secret/file-gpg-secret-keyring"),
            (".docker/config.json", Some("{\"auths\":{\"r\":{\"auth\":\"dXM6cHc=\"}}}"), "secret/file-docker-config"),
            (".kube/config", Some("users:\n- user:\n    client-key-data: LS0t\n"), "secret/file-kubeconfig"),
            ("application_default_credentials.json", None, "secret/file-gcloud-credentials"),
            (".bash_history", None, "secret/file-shell-history"),
            ("wallet.dat", None, "secret/file-crypto-wallet"),
        ];
        for (path, content, id) in cases {
            assert_eq!(ids(path, *content), vec![*id], "{path}");
        }
    }

    #[test]
    fn negatives() {
        let cases: &[(&str, Option<&str>)] = &[
            ("home/.ssh/id_rsa.pub", None),
            ("id_ed25519.pub", None),
            ("certs/ca.pem", Some("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")),
            ("certs/ca.pem", None),
            (".env.example", None),
            (".env.sample", None),
            (".env.template", None),
            ("app/.env.local.example", None),
            ("src/environment.ts", None),
            (".npmrc", Some("//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n")),
            (".npmrc", Some("save-exact=true\n")),
            (".pypirc", Some("[pypi]\nusername = __token__\n")),
            (".netrc", Some("machine host login me\n")),
            ("docs/credentials.md", None),
            ("src/credentials", Some("just notes\n")),
            ("main.tf", None),
            (".docker/config.json", Some("{\"credsStore\":\"desktop\"}")),
            (".kube/config", Some("users:\n- user:\n    exec: {}\n")),
            ("src/keystore.rs", None),
        ];
        for (path, content) in cases {
            assert!(ids(path, *content).is_empty(), "{path}: {:?}", ids(path, *content));
        }
    }
}
