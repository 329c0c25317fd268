//! `pii/email`: e-mail addresses, minus what is not a person's address in code:
//! reserved domains (RFC 2606/6761: example.*, .test, .invalid, .localhost, .local …),
//! `noreply`/`no-reply`/GitHub noreply addresses, commit trailers (`Signed-off-by:` …),
//! scp-style SSH remotes (`git@github.com:org/repo`) and URL userinfo, retina asset names
//! (`icon@2x.png`), and **package/authorship metadata**: lines keyed `author`, `maintainer`,
//! `contributors`, `copyright` … and files such as `AUTHORS`, `CODEOWNERS`, `.mailmap`,
//! `Cargo.toml`, `package.json`, `pyproject.toml`. Those name people on purpose, publicly,
//! and flagging them would train users to ignore the detector.

use super::Hit;
use super::Scoped;
use super::context::{TextCtx, words, words_match};

pub(crate) const PATTERN: &str = r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,62}[A-Za-z0-9])?)+";

const TRAILERS: &[&[u8]] = &[
    b"signed-off-by:",
    b"co-authored-by:",
    b"reviewed-by:",
    b"acked-by:",
    b"tested-by:",
    b"reported-by:",
    b"suggested-by:",
    b"helped-by:",
    b"cc:",
    b"author:",
    b"commit:",
    b"committer:",
];

const AUTHOR_WORDS: &[&str] = &[
    "author",
    "authors",
    "maintainer",
    "maintainers",
    "contributor",
    "contributors",
    "copyright",
    "packager",
    "creator",
    "credits",
];

const METADATA_FILES: &[&str] = &[
    "authors",
    "authors.md",
    "authors.txt",
    "contributors",
    "contributors.md",
    "contributors.txt",
    "maintainers",
    "maintainers.md",
    "codeowners",
    ".mailmap",
    "cargo.toml",
    "package.json",
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "pkg-info",
    "metadata",
    "composer.json",
    "pom.xml",
    "build.gradle",
    "build.gradle.kts",
    "control",
    "changelog",
    "changelog.md",
    "changes.md",
    "security.md",
    "code_of_conduct.md",
    "license",
    "license.md",
    "license.txt",
    "notice",
    "copying",
    "bower.json",
    "gemfile",
    "description",
    "meta.yml",
    "meta.json",
    "flake.nix",
    "pubspec.yaml",
    "mix.exs",
    "project.clj",
];

const RESERVED_TLDS: &[&[u8]] = &[
    b"test",
    b"example",
    b"invalid",
    b"localhost",
    b"local",
    b"internal",
    b"lan",
    b"home",
    b"corp",
    b"localdomain",
    b"domain",
    b"png",
    b"jpg",
    b"jpeg",
    b"gif",
    b"svg",
    b"webp",
    b"ico",
    b"bmp",
    b"tif",
    b"tiff",
    b"avif",
];

const RESERVED_DOMAINS: &[&[u8]] = &[
    b"example.com",
    b"example.org",
    b"example.net",
    b"example.edu",
    b"users.noreply.github.com",
    b"noreply.github.com",
    b"noreply.gitlab.com",
    b"users.noreply.gitlab.com",
    b"email.com",
    b"domain.com",
    b"yourdomain.com",
    b"yourcompany.com",
    b"company.com",
    b"mycompany.com",
    b"acme.com",
    b"foo.com",
    b"bar.com",
    b"foo.bar",
    b"test.com",
    b"sentry.io",
    b"localhost.localdomain",
];

const PLACEHOLDER_LOCALS: &[&[u8]] = &[
    b"noreply",
    b"no-reply",
    b"no_reply",
    b"donotreply",
    b"do-not-reply",
    b"mailer-daemon",
    b"postmaster",
    b"user",
    b"username",
    b"your.name",
    b"yourname",
    b"your-email",
    b"your_email",
    b"youremail",
    b"name",
    b"email",
    b"someone",
    b"somebody",
    b"john.doe",
    b"jane.doe",
    b"johndoe",
    b"janedoe",
    b"foo",
    b"bar",
    b"test",
    b"xxx",
];

/// Is `pos` inside a `scheme://…` token (back to whitespace or a quote)?
fn in_url(text: &[u8], pos: usize) -> bool {
    let from = text[..pos]
        .iter()
        .rposition(|&b| b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b'<' | b'(' | b'`'))
        .map_or(0, |p| p + 1);
    text[from..pos].windows(3).any(|w| w == b"://")
}

pub(crate) fn path_is_metadata(path: &[u8]) -> bool {
    let base = path.rsplit(|&b| b == b'/' || b == b'\\').next().unwrap_or(path);
    let lower = String::from_utf8_lossy(base).to_ascii_lowercase();
    METADATA_FILES.contains(&lower.as_str())
        || lower.ends_with(".gemspec")
        || lower.ends_with(".nuspec")
        || lower.ends_with(".cabal")
        || lower.ends_with(".podspec")
}

pub(crate) fn find(ctx: &TextCtx<'_>, re: &Scoped<'_>, path: &[u8]) -> Vec<Hit> {
    if path_is_metadata(path) {
        return Vec::new();
    }
    let text = ctx.text;
    let mut out = Vec::new();
    for m in re.find_iter(text) {
        let (start, mut end) = (m.start(), m.end());
        // Trailing dots/hyphens are punctuation, not part of the domain.
        while end > start && matches!(text[end - 1], b'.' | b'-') {
            end -= 1;
        }
        let s = &text[start..end];
        let Some(at) = s.iter().position(|&b| b == b'@') else {
            continue;
        };
        let (local, domain) = (&s[..at], &s[at + 1..]);
        if local.is_empty() || local.starts_with(b".") || local.ends_with(b".") {
            continue;
        }
        // Glued to a longer token (`a=b@c.d` is fine, `x/y@z.com` paths and `@@` are not).
        if start > 0 && matches!(text[start - 1], b'/' | b'@' | b'\\') {
            continue;
        }
        // `https://user:pass@host` is URL userinfo; `mailto:` and `email:` are fine.
        if start > 0 && text[start - 1] == b':' && in_url(text, start) {
            continue;
        }
        if matches!(text.get(end), Some(b'@' | b'_')) || text.get(end).is_some_and(u8::is_ascii_alphanumeric) {
            continue;
        }
        // scp-like remote `git@host:org/repo`.
        if text.get(end) == Some(&b':') && text.get(end + 1).is_some_and(|b| !b.is_ascii_whitespace()) {
            continue;
        }
        let domain_l = domain.to_ascii_lowercase();
        let local_l = local.to_ascii_lowercase();
        let tld = domain_l.rsplit(|&b| b == b'.').next().unwrap_or(b"");
        if tld.len() < 2 || !tld.iter().all(u8::is_ascii_alphabetic) || RESERVED_TLDS.contains(&tld) {
            continue;
        }
        if RESERVED_DOMAINS.iter().any(|d| domain_l == *d || domain_l.ends_with(&[b".", *d].concat())) {
            continue;
        }
        if domain_l.split(|&b| b == b'.').any(|l| l == b"example") {
            continue;
        }
        if PLACEHOLDER_LOCALS.contains(&local_l.as_slice())
            || local_l.starts_with(b"noreply")
            || local_l.starts_with(b"no-reply")
            || local_l.starts_with(b"notifications")
        {
            continue;
        }
        let line = ctx.line_range(start);
        let line_l = text[line.start..start].trim_ascii_start().to_ascii_lowercase();
        if TRAILERS.iter().any(|t| line_l.starts_with(t)) {
            continue;
        }
        if words_match(&words(&text[line.start..start]), AUTHOR_WORDS)
            || ctx.context_words(start).is_some_and(|w| words_match(&w, AUTHOR_WORDS))
        {
            continue;
        }
        out.push(Hit { range: start..end, key: [local_l, b"@".to_vec(), domain_l].concat(), note: None });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::PiiScanner;

    fn ids(path: &str, text: &str) -> Vec<&'static str> {
        PiiScanner::builtin().scan(path.as_bytes(), text.as_bytes()).into_iter().map(|m| m.detector_id).collect()
    }

    #[test]
    fn real_addresses() {
        assert_eq!(ids("a.py", "send_to = 'maria.silva@gmail.com'"), ["pii/email"]);
        assert_eq!(ids("a.log", "login ok user=j.smith@nhs.net."), ["pii/email"]);
        assert_eq!(ids("a.html", "<a href=\"mailto:r.lima@corpmail.io\">"), ["pii/email"]);
        assert_eq!(ids("a.txt", "email:r.lima@corpmail.io"), ["pii/email"]);
    }

    #[test]
    fn not_findings() {
        for (p, t) in [
            ("a.py", "alice@example.com"),
            ("a.py", "bob@mail.example.org"),
            ("a.py", "x@service.test"),
            ("a.py", "noreply@company.co.uk"),
            ("a.py", "12345+user@users.noreply.github.com"),
            ("a.txt", "Signed-off-by: Jane Roe <jane.roe@kernel.org>"),
            ("a.txt", "    Co-authored-by: Jane Roe <jane.roe@kernel.org>"),
            ("a.txt", "git clone git@github.com:org/repo.git"),
            ("a.txt", "ssh://git@gitlab.corp.io/org/repo"),
            ("a.txt", "https://deploy:s3cret@registry.corp.io/v2"),
            ("a.css", "url(icon@2x.png)"),
            ("a.js", "import x from 'lodash@4.17.21'"),
            ("a.toml", "authors = [\"Jane Roe <jane.roe@kernel.org>\"]"),
            // The same array over several lines (Cargo.toml, pyproject.toml).
            (
                "a.toml",
                "[package]\nauthors = [\n    \"Jane Roe <jane.roe@kernel.org>\",\n    \"Richard Miles <rmiles@corp.io>\",\n]",
            ),
            ("a.py", "AUTHORS = [\n    'Jane Roe <jane.roe@kernel.org>',\n]"),
            ("package.json", "\"email\": \"jane.roe@kernel.org\""),
            ("a.py", "__author__ = 'Jane Roe <jane.roe@kernel.org>'"),
        ] {
            assert!(ids(p, t).is_empty(), "{t}");
        }
    }
}
