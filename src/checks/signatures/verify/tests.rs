//! Tests of [`TrustStore::verify`] with signatures made by the real `gpg` (2.2) and
//! `ssh-keygen`, the same way git makes them (`gpg --status-fd=2 -bsau <key>`,
//! `ssh-keygen -Y sign -n git`). Each test has its own short GNUPGHOME under /tmp (the
//! gpg-agent socket path is length-limited) and kills its agent when done.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // tests make real signatures with gpg and ssh-keygen

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use super::*;

const DAY: i64 = 86_400;

fn now_secs() -> i64 {
    i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()).unwrap()
}

fn payload(email: &str, time: i64) -> Vec<u8> {
    format!(
        "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\
         author Alice Example <{email}> {time} +0000\n\
         committer Alice Example <{email}> {time} +0000\n\nAdd a thing\n"
    )
    .into_bytes()
}

fn run(cmd: &mut Command, stdin: Option<&[u8]>) -> Output {
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut pipe = child.stdin.take().unwrap();
    pipe.write_all(stdin.unwrap_or_default()).unwrap();
    drop(pipe);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// A throw-away gpg home.
struct Gpg {
    home: tempfile::TempDir,
}

impl Gpg {
    fn new() -> Self {
        let home = tempfile::Builder::new().prefix("pg").tempdir_in("/tmp").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        Gpg { home }
    }

    fn cmd(&self, at: Option<i64>) -> Command {
        let mut c = Command::new("gpg");
        c.env("GNUPGHOME", self.home.path()).args(["--no-tty", "--pinentry-mode", "loopback", "--passphrase", ""]);
        if let Some(t) = at {
            c.arg("--faked-system-time").arg(format!("{t}!"));
        }
        c
    }

    /// Generates a key (`algo` e.g. `ed25519`, `rsa3072`) and returns its fingerprint.
    fn gen_key(&self, uid: &str, algo: &str, expire: &str, at: Option<i64>) -> String {
        run(self.cmd(at).args(["--batch", "--quick-gen-key", uid, algo, "sign", expire]), None);
        self.fingerprints(uid)[0].clone()
    }

    fn fingerprints(&self, query: &str) -> Vec<String> {
        let out = run(self.cmd(None).args(["--batch", "--with-colons", "--list-keys", query]), None);
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter_map(|l| l.strip_prefix("fpr:::::::::"))
            .map(|l| l.trim_end_matches(':').to_owned())
            .collect()
    }

    fn add_signing_subkey(&self, fpr: &str) -> String {
        run(self.cmd(None).args(["--batch", "--quick-add-key", fpr, "ed25519", "sign", "0"]), None);
        self.fingerprints(fpr).last().unwrap().clone()
    }

    fn export(&self, fpr: &str) -> Vec<u8> {
        run(self.cmd(None).args(["--batch", "--armor", "--export", fpr]), None).stdout
    }

    /// Signs like git does: detached, armored, payload on stdin.
    fn sign(&self, key: &str, payload: &[u8], at: Option<i64>) -> Vec<u8> {
        self.sign_with(key, payload, at, &[])
    }

    fn sign_with(&self, key: &str, payload: &[u8], at: Option<i64>, extra: &[&str]) -> Vec<u8> {
        run(self.cmd(at).args(extra).args(["--batch", "--status-fd=2", "-bsau", key]), Some(payload)).stdout
    }

    fn set_expire(&self, fpr: &str, expire: &str, at: i64) {
        run(self.cmd(Some(at)).args(["--batch", "--quick-set-expire", fpr, expire]), None);
    }

    /// Makes and imports a revocation certificate; reason 1 = compromised, 2 = superseded.
    fn revoke(&self, fpr: &str, reason: u8, at: i64) {
        let answers = format!("y\n{reason}\ntest revocation\n\ny\n");
        let rev = run(
            self.cmd(Some(at)).args(["--command-fd", "0", "--status-fd", "2", "--armor", "--gen-revoke", fpr]),
            Some(answers.as_bytes()),
        )
        .stdout;
        run(self.cmd(Some(at)).args(["--batch", "--import"]), Some(&rev));
    }
}

impl Drop for Gpg {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf").env("GNUPGHOME", self.home.path()).args(["--kill", "all"]).output();
    }
}

fn opts(must_match: bool) -> VerifyOptions {
    VerifyOptions { committer_must_match: must_match, now: SystemTime::now() }
}

fn verify(store: &TrustStore, payload: &[u8], sig: &[u8], email: &str, time: i64) -> Verdict {
    store
        .verify(&SignedObject { payload, signature: sig, committer_email: Some(email), commit_time: time }, &opts(true))
}

fn store_with(certs: &[&[u8]]) -> TrustStore {
    let mut store = TrustStore::empty();
    for (i, c) in certs.iter().enumerate() {
        assert_eq!(store.add_openpgp_bytes(&format!("cert{i}.asc"), c).unwrap(), 1);
    }
    store
}

#[test]
fn trust_store_is_send_and_sync() {
    fn is<T: Send + Sync>() {}
    is::<TrustStore>();
}

#[test]
fn names_are_stable() {
    let all = [
        (Status::Valid, "valid"),
        (Status::Unsigned, "unsigned"),
        (Status::Bad, "bad"),
        (Status::UnknownKey, "unknown-key"),
        (Status::Expired, "expired"),
        (Status::Revoked, "revoked"),
        (Status::Mismatch, "mismatch"),
        (Status::Error, "error"),
    ];
    for (status, name) in all {
        assert_eq!(status.to_string(), name);
        assert_eq!(serde_json_like(&status), format!("\"{name}\""), "serde name of {status:?}");
    }
    assert_eq!(Format::OpenPgp.to_string(), "openpgp");
    assert_eq!(Format::Ssh.to_string(), "ssh");
    assert_eq!(serde_json_like(&Format::OpenPgp), "\"openpgp\"");
    assert_eq!(serde_json_like(&Format::Ssh), "\"ssh\"");
}

/// Serialises a unit enum variant with a minimal serializer (no serde_json dependency).
fn serde_json_like<T: serde::Serialize>(v: &T) -> String {
    struct S;
    #[derive(Debug)]
    struct E;
    impl std::fmt::Display for E {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("unsupported")
        }
    }
    impl std::error::Error for E {}
    impl serde::ser::Error for E {
        fn custom<T: std::fmt::Display>(_: T) -> Self {
            E
        }
    }
    macro_rules! unsupported {
        ($($f:ident($($t:ty),*)),*) => {$(
            fn $f(self, $(_: $t),*) -> Result<String, E> { Err(E) }
        )*};
    }
    impl serde::Serializer for S {
        type Ok = String;
        type Error = E;
        type SerializeSeq = serde::ser::Impossible<String, E>;
        type SerializeTuple = serde::ser::Impossible<String, E>;
        type SerializeTupleStruct = serde::ser::Impossible<String, E>;
        type SerializeTupleVariant = serde::ser::Impossible<String, E>;
        type SerializeMap = serde::ser::Impossible<String, E>;
        type SerializeStruct = serde::ser::Impossible<String, E>;
        type SerializeStructVariant = serde::ser::Impossible<String, E>;
        fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<String, E> {
            Ok(format!("\"{variant}\""))
        }
        unsupported!(
            serialize_bool(bool),
            serialize_i8(i8),
            serialize_i16(i16),
            serialize_i32(i32),
            serialize_i64(i64),
            serialize_u8(u8),
            serialize_u16(u16),
            serialize_u32(u32),
            serialize_u64(u64),
            serialize_f32(f32),
            serialize_f64(f64),
            serialize_char(char),
            serialize_str(&str),
            serialize_bytes(&[u8]),
            serialize_none(),
            serialize_unit(),
            serialize_unit_struct(&'static str)
        );
        fn serialize_some<T: ?Sized + serde::Serialize>(self, _: &T) -> Result<String, E> {
            Err(E)
        }
        fn serialize_newtype_struct<T: ?Sized + serde::Serialize>(self, _: &'static str, _: &T) -> Result<String, E> {
            Err(E)
        }
        fn serialize_newtype_variant<T: ?Sized + serde::Serialize>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &T,
        ) -> Result<String, E> {
            Err(E)
        }
        fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, E> {
            Err(E)
        }
        fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, E> {
            Err(E)
        }
        fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, E> {
            Err(E)
        }
        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleVariant, E> {
            Err(E)
        }
        fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, E> {
            Err(E)
        }
        fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, E> {
            Err(E)
        }
        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStructVariant, E> {
            Err(E)
        }
    }
    v.serialize(S).unwrap()
}

#[test]
fn openpgp_good_ed25519_and_rsa_tampered_mismatch_unknown() {
    let gpg = Gpg::new();
    let ed = gpg.gen_key("Alice Example <alice@example.org>", "ed25519", "0", None);
    let rsa = gpg.gen_key("Rob Rsa <Rob@Example.org>", "rsa3072", "0", None);
    let other = gpg.gen_key("Mallory <mallory@example.org>", "ed25519", "0", None);
    let store = store_with(&[&gpg.export(&ed), &gpg.export(&rsa)]);
    let t = now_secs() - 60;

    let p = payload("alice@example.org", t);
    let sig = gpg.sign(&ed, &p, None);
    let v = verify(&store, &p, &sig, "alice@example.org", t);
    assert_eq!(v.status, Status::Valid, "{v:?}");
    assert_eq!(v.format, Some(Format::OpenPgp));
    assert_eq!(v.key.as_deref(), Some(ed.as_str()));
    assert_eq!(v.signer.as_deref(), Some("Alice Example <alice@example.org>"));

    // RSA, and the e-mail comparison ignores case.
    let p2 = payload("rob@example.org", t);
    let sig2 = gpg.sign(&rsa, &p2, None);
    let v = verify(&store, &p2, &sig2, "rob@example.org", t);
    assert_eq!(v.status, Status::Valid, "{v:?}");
    assert_eq!(v.key.as_deref(), Some(rsa.as_str()));

    // SHA-1 is refused by the standard policy, even with a trusted key.
    let sha1 = gpg.sign_with(&rsa, &p2, None, &["--digest-algo", "SHA1"]);
    let v = verify(&store, &p2, &sha1, "rob@example.org", t);
    assert_eq!(v.status, Status::Bad, "{v:?}");
    assert!(v.detail.contains("SHA1"), "{}", v.detail);

    // One flipped byte in the payload.
    let mut tampered = p.clone();
    tampered[10] ^= 1;
    let v = verify(&store, &tampered, &sig, "alice@example.org", t);
    assert_eq!(v.status, Status::Bad, "{v:?}");
    assert!(v.detail.contains("does not verify"), "{}", v.detail);

    // Good signature, but the committer is someone else.
    let v = verify(&store, &p, &sig, "bob@example.org", t);
    assert_eq!(v.status, Status::Mismatch, "{v:?}");
    assert!(v.detail.contains("<bob@example.org>"), "{}", v.detail);
    // ... which is fine when the policy does not bind signer and committer.
    let obj = SignedObject { payload: &p, signature: &sig, committer_email: Some("bob@example.org"), commit_time: t };
    assert_eq!(store.verify(&obj, &opts(false)).status, Status::Valid);

    // A key the store does not hold.
    let sig3 = gpg.sign(&other, &p, None);
    let v = verify(&store, &p, &sig3, "alice@example.org", t);
    assert_eq!(v.status, Status::UnknownKey, "{v:?}");
    assert!(v.detail.contains(&other[24..]), "{}", v.detail);
    assert_eq!(verify(&TrustStore::empty(), &p, &sig, "alice@example.org", t).status, Status::UnknownKey);

    // Describe names every trusted key.
    let described = store.describe().join("\n");
    assert!(described.contains(&ed) && described.contains(&rsa), "{described}");
    assert!(described.contains("alice@example.org"));
    assert!(!described.contains(&other));
}

#[test]
fn openpgp_signing_subkey() {
    let gpg = Gpg::new();
    let primary = gpg.gen_key("Sub Signer <sub@example.org>", "ed25519", "0", None);
    let subkey = gpg.add_signing_subkey(&primary);
    assert_ne!(primary, subkey);
    let store = store_with(&[&gpg.export(&primary)]);
    let t = now_secs();
    let p = payload("sub@example.org", t);
    // `KEY!` forces exactly that (sub)key.
    let sig = gpg.sign(&format!("{subkey}!"), &p, None);
    let v = verify(&store, &p, &sig, "sub@example.org", t);
    assert_eq!(v.status, Status::Valid, "{v:?}");
    assert_eq!(v.key.as_deref(), Some(primary.as_str()));
    assert!(v.detail.contains(&subkey), "{}", v.detail);
}

#[test]
fn openpgp_expiry_is_judged_at_signature_time() {
    let gpg = Gpg::new();
    let t0 = now_secs() - 400 * DAY;
    // Expires 30 days after creation, long ago.
    let key = gpg.gen_key("Old Key <old@example.org>", "ed25519", &format!("seconds={}", 30 * DAY), Some(t0));
    let p = payload("old@example.org", t0 + DAY);
    let sig = gpg.sign(&key, &p, Some(t0 + DAY));
    let store = store_with(&[&gpg.export(&key)]);
    let v = verify(&store, &p, &sig, "old@example.org", t0 + DAY);
    assert_eq!(v.status, Status::Valid, "expired after signing: {v:?}");

    // A signature made after expiry. gpg refuses to sign with an expired key, so sign first
    // with a key that has no expiry yet, then add a self-signature dated before the signature
    // that makes the key expire before it.
    let gpg2 = Gpg::new();
    let key2 = gpg2.gen_key("Late Signer <late@example.org>", "ed25519", "0", Some(t0));
    let p2 = payload("late@example.org", t0 + 10 * DAY);
    let sig2 = gpg2.sign(&key2, &p2, Some(t0 + 10 * DAY));
    gpg2.set_expire(&key2, "seconds=3600", t0 + DAY);
    let store2 = store_with(&[&gpg2.export(&key2)]);
    let v = verify(&store2, &p2, &sig2, "late@example.org", t0 + 10 * DAY);
    assert_eq!(v.status, Status::Expired, "{v:?}");
    assert!(v.detail.contains("had expired"), "{}", v.detail);
    assert_eq!(v.signer.as_deref(), Some("Late Signer <late@example.org>"));
}

#[test]
fn openpgp_revocations() {
    let t0 = now_secs() - 100 * DAY;

    // Hard revocation (key compromised) after the signature: still revoked.
    let gpg = Gpg::new();
    let key = gpg.gen_key("Hard <hard@example.org>", "ed25519", "0", Some(t0));
    let p = payload("hard@example.org", t0 + DAY);
    let sig = gpg.sign(&key, &p, Some(t0 + DAY));
    gpg.revoke(&key, 1, t0 + 5 * DAY);
    let store = store_with(&[&gpg.export(&key)]);
    let v = verify(&store, &p, &sig, "hard@example.org", t0 + DAY);
    assert_eq!(v.status, Status::Revoked, "{v:?}");
    assert!(v.detail.contains("hard revocation"), "{}", v.detail);
    assert_eq!(v.signer.as_deref(), Some("Hard <hard@example.org>"));

    // Soft revocation (superseded) after the signature: the old signature stays valid ...
    let gpg2 = Gpg::new();
    let key2 = gpg2.gen_key("Soft <soft@example.org>", "ed25519", "0", Some(t0));
    let p_old = payload("soft@example.org", t0 + DAY);
    let sig_old = gpg2.sign(&key2, &p_old, Some(t0 + DAY));
    let p_new = payload("soft@example.org", t0 + 10 * DAY);
    let sig_new = gpg2.sign(&key2, &p_new, Some(t0 + 10 * DAY));
    gpg2.revoke(&key2, 2, t0 + 5 * DAY);
    let store2 = store_with(&[&gpg2.export(&key2)]);
    let v = verify(&store2, &p_old, &sig_old, "soft@example.org", t0 + DAY);
    assert_eq!(v.status, Status::Valid, "{v:?}");
    // ... but one made after the revocation is not.
    let v = verify(&store2, &p_new, &sig_new, "soft@example.org", t0 + 10 * DAY);
    assert_eq!(v.status, Status::Revoked, "{v:?}");
    assert!(v.detail.contains("soft revocation"), "{}", v.detail);
}

#[test]
fn openpgp_future_signature_is_bad() {
    let gpg = Gpg::new();
    let t0 = now_secs() - DAY;
    let key = gpg.gen_key("Future <future@example.org>", "ed25519", "0", Some(t0));
    let t = now_secs() + 3600;
    let p = payload("future@example.org", t);
    let sig = gpg.sign(&key, &p, Some(t));
    let store = store_with(&[&gpg.export(&key)]);
    let v = verify(&store, &p, &sig, "future@example.org", t);
    assert_eq!(v.status, Status::Bad, "{v:?}");
    assert!(v.detail.contains("future"), "{}", v.detail);
    // Within the allowed skew it is fine.
    let t = now_secs() + 120;
    let p = payload("future@example.org", t);
    let sig = gpg.sign(&key, &p, Some(t));
    let v = verify(&store, &p, &sig, "future@example.org", t);
    assert_eq!(v.status, Status::Valid, "{v:?}");
}

#[test]
fn unrecognised_and_empty_signatures_are_bad() {
    let store = TrustStore::empty();
    let p = payload("a@example.org", 1);
    for (sig, want) in [
        (&b""[..], "empty"),
        (b"  \n\t ", "empty"),
        (b"garbage", "unrecognised signature format"),
        (b"-----BEGIN SIGNED MESSAGE-----\nMIIx\n-----END SIGNED MESSAGE-----\n", "unrecognised signature format"),
    ] {
        let v = verify(&store, &p, sig, "a@example.org", 1);
        assert_eq!(v.status, Status::Bad, "{v:?}");
        assert_eq!(v.format, None);
        assert!(v.detail.contains(want), "{}", v.detail);
    }
    // Right armor, broken content.
    for sig in [
        &b"-----BEGIN PGP SIGNATURE-----\n\nnot base64 !!\n-----END PGP SIGNATURE-----\n"[..],
        b"-----BEGIN PGP SIGNATURE-----\n",
        b"-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----\n",
    ] {
        let v = verify(&store, &p, sig, "a@example.org", 1);
        assert_eq!(v.status, Status::Bad, "{v:?}");
        assert!(v.format.is_some());
    }
    assert_eq!(Verdict::unsigned().status, Status::Unsigned);
}

#[test]
fn load_errors_fail_closed() {
    let mut store = TrustStore::empty();
    let e = store.add_openpgp_bytes("k.asc", b"").unwrap_err();
    assert!(e.to_string().starts_with("k.asc: "), "{e}");
    assert!(store.add_openpgp_bytes("k.asc", b"hello world").is_err());
    let e = store.add_allowed_signers("as", "# nothing\n").unwrap_err();
    assert_eq!(e.to_string(), "as: no allowed_signers entry found");
    let e = store
        .add_allowed_signers("as", "a@x ssh-ed25519 AAAA\nb@x valid-before=1 ssh-ed25519 AAAA\n")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("as:1: invalid public key"), "{e}");
    assert!(e.contains("\nas:2: invalid time"), "{e}");
    assert!(store.is_empty());
}

/// The real public certificates of the corpus (see shared/corpora/README.md).
#[test]
fn corpus_certificates_load() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/signatures");
    let mut store = TrustStore::empty();
    let github = std::fs::read(Path::new(dir).join("github-web-flow.gpg")).unwrap();
    assert_eq!(store.add_openpgp_bytes("github-web-flow.gpg", &github).unwrap(), 2);
    let junio = std::fs::read(Path::new(dir).join("junio-c-hamano.asc")).unwrap();
    assert_eq!(store.add_openpgp_bytes("junio-c-hamano.asc", &junio).unwrap(), 1);
    let described = store.describe();
    assert_eq!(described.len(), 3, "{described:?}");
    let all = described.join("\n");
    for fpr in ["5DE3E0509C47EA3CF04A42D34AEE18F83AFDEB23", "968479A1AFF927E37D1A566BB5690EEEBB952194"] {
        assert!(all.contains(fpr), "{all}");
    }
    assert!(all.contains("Junio C Hamano"), "{all}");
    assert!(all.contains("(openpgp, github-web-flow.gpg)"), "{all}");
    // Loading the same file again merges instead of duplicating.
    store.add_openpgp_bytes("again.gpg", &github).unwrap();
    assert_eq!(store.describe().len(), 3);
}

/// A throw-away directory with ssh keys.
struct Ssh {
    dir: tempfile::TempDir,
}

impl Ssh {
    fn new() -> Self {
        Ssh { dir: tempfile::Builder::new().prefix("ps").tempdir_in("/tmp").unwrap() }
    }

    /// Generates a key; returns its `keytype base64 comment` public line.
    fn gen_key(&self, name: &str, kind: &[&str]) -> String {
        let path = self.dir.path().join(name);
        run(Command::new("ssh-keygen").args(["-q", "-N", "", "-C", name, "-f"]).arg(&path).args(kind), None);
        std::fs::read_to_string(path.with_extension("pub")).unwrap().trim().to_owned()
    }

    fn sign(&self, name: &str, namespace: &str, payload: &[u8]) -> Vec<u8> {
        let file = self.dir.path().join(format!("{name}-payload"));
        std::fs::write(&file, payload).unwrap();
        run(
            Command::new("ssh-keygen")
                .args(["-q", "-Y", "sign", "-n", namespace, "-f"])
                .arg(self.dir.path().join(name))
                .arg(&file),
            None,
        );
        let sig_path = self.dir.path().join(format!("{name}-payload.sig"));
        let sig = std::fs::read(&sig_path).unwrap();
        std::fs::remove_file(sig_path).unwrap();
        sig
    }
}

fn ssh_store(text: &str) -> TrustStore {
    let mut store = TrustStore::empty();
    store.add_allowed_signers("allowed_signers", text).unwrap();
    store
}

#[test]
fn ssh_good_for_each_key_type_and_tampered() {
    let ssh = Ssh::new();
    let t = now_secs() - 60;
    let p = payload("alice@example.org", t);
    for (name, kind) in [
        ("ed", &["-t", "ed25519"][..]),
        ("ec256", &["-t", "ecdsa", "-b", "256"]),
        ("ec384", &["-t", "ecdsa", "-b", "384"]),
        ("rsa", &["-t", "rsa", "-b", "2048"]),
    ] {
        let public = ssh.gen_key(name, kind);
        let store = ssh_store(&format!("alice@example.org {public}\n"));
        let sig = ssh.sign(name, "git", &p);
        let v = verify(&store, &p, &sig, "alice@example.org", t);
        assert_eq!(v.status, Status::Valid, "{name}: {v:?}");
        assert_eq!(v.format, Some(Format::Ssh));
        assert_eq!(v.signer.as_deref(), Some("alice@example.org"));
        let key = v.key.unwrap();
        assert!(key.starts_with("SHA256:"), "{key}");
        assert!(store.describe()[0].starts_with(&key), "{:?}", store.describe());

        let mut tampered = p.clone();
        tampered[5] ^= 1;
        let v = verify(&store, &tampered, &sig, "alice@example.org", t);
        assert_eq!(v.status, Status::Bad, "{name}: {v:?}");

        // A damaged signature: re-encode the SSHSIG with the last signature byte flipped.
        let parsed = ssh_key::SshSig::from_pem(&sig).unwrap();
        let mut raw = parsed.signature_bytes().to_vec();
        *raw.last_mut().unwrap() ^= 1;
        let forged = ssh_key::SshSig::new(
            parsed.public_key().clone(),
            parsed.namespace(),
            parsed.hash_alg(),
            ssh_key::Signature::new(parsed.signature().algorithm(), raw).unwrap(),
        )
        .unwrap()
        .to_pem(ssh_key::LineEnding::LF)
        .unwrap();
        let v = verify(&store, &p, forged.as_bytes(), "alice@example.org", t);
        assert_eq!(v.status, Status::Bad, "{name}: {v:?}");
    }
}

#[test]
fn ssh_trust_rules() {
    let ssh = Ssh::new();
    let alice = ssh.gen_key("alice", &["-t", "ed25519"]);
    let stranger = ssh.gen_key("stranger", &["-t", "ed25519"]);
    let t = now_secs() - 60;
    let p = payload("alice@example.org", t);
    let sig = ssh.sign("alice", "git", &p);
    let store = ssh_store(&format!("# team\nalice@example.org {alice}\n"));

    // Not listed.
    let sig_stranger = ssh.sign("stranger", "git", &p);
    let v = verify(&store, &p, &sig_stranger, "alice@example.org", t);
    assert_eq!(v.status, Status::UnknownKey, "{v:?}");
    let _ = stranger;

    // Signed for another namespace.
    let sig_file = ssh.sign("alice", "file", &p);
    let v = verify(&store, &p, &sig_file, "alice@example.org", t);
    assert_eq!(v.status, Status::Bad, "{v:?}");
    assert!(v.detail.contains("namespace `file`"), "{}", v.detail);

    // Listed, but the entry does not allow the git namespace.
    let ns = ssh_store(&format!("alice@example.org namespaces=\"file\" {alice}\n"));
    let v = verify(&ns, &p, &sig, "alice@example.org", t);
    assert_eq!(v.status, Status::UnknownKey, "{v:?}");
    let ns = ssh_store(&format!("alice@example.org namespaces=\"file,g?t\" {alice}\n"));
    assert_eq!(verify(&ns, &p, &sig, "alice@example.org", t).status, Status::Valid);

    // Committer mismatch, case-insensitive match.
    let v = verify(&store, &p, &sig, "eve@example.org", t);
    assert_eq!(v.status, Status::Mismatch, "{v:?}");
    assert_eq!(verify(&store, &p, &sig, "Alice@Example.ORG", t).status, Status::Valid);

    // Wildcard principals with a negation.
    let wild = ssh_store(&format!("\"*@example.org,!eve@*\" {alice}\n"));
    let v = verify(&wild, &p, &sig, "alice@example.org", t);
    assert_eq!(v.status, Status::Valid, "{v:?}");
    assert_eq!(v.signer.as_deref(), Some("alice@example.org"));
    assert_eq!(verify(&wild, &p, &sig, "bob@example.org", t).status, Status::Valid);
    assert_eq!(verify(&wild, &p, &sig, "eve@example.org", t).status, Status::Mismatch);
    assert_eq!(verify(&wild, &p, &sig, "alice@example.com", t).status, Status::Mismatch);

    // Validity window, judged at the commit time.
    let past = ssh_store(&format!("alice@example.org valid-before=20200101 {alice}\n"));
    let v = verify(&past, &p, &sig, "alice@example.org", t);
    assert_eq!(v.status, Status::Expired, "{v:?}");
    assert!(v.detail.contains("2020-01-01 00:00:00 UTC"), "{}", v.detail);
    let v = verify(&past, &p, &sig, "alice@example.org", 1_500_000_000);
    assert_eq!(v.status, Status::Valid, "an old commit time is inside the window: {v:?}");
    let later = ssh_store(&format!("alice@example.org valid-after=29990101Z {alice}\n"));
    assert_eq!(verify(&later, &p, &sig, "alice@example.org", t).status, Status::Expired);

    // Several lines for one key: the matching one counts.
    let two = ssh_store(&format!(
        "bob@example.org {alice}\nalice@example.org valid-before=20200101 {alice}\nalice@example.org valid-after=20200101 {alice}\n"
    ));
    let v = verify(&two, &p, &sig, "alice@example.org", t);
    assert_eq!(v.status, Status::Valid, "{v:?}");
    assert!(v.detail.contains("allowed_signers:3"), "{}", v.detail);

    // A commit dated in the future is refused.
    let v = verify(&store, &p, &sig, "alice@example.org", now_secs() + 3600);
    assert_eq!(v.status, Status::Bad, "{v:?}");
    assert!(v.detail.contains("future"), "{}", v.detail);
}

#[test]
fn ssh_cert_authority_is_refused_at_load() {
    let ssh = Ssh::new();
    let ca = ssh.gen_key("ca", &["-t", "ed25519"]);
    let mut store = TrustStore::empty();
    let e = store
        .add_allowed_signers("signers", &format!("\n*@example.org cert-authority {ca}\n"))
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("signers:2: cert-authority entries are not supported"), "{e}");
}

#[test]
fn mixed_store_dispatches_by_armor() {
    let gpg = Gpg::new();
    let ssh = Ssh::new();
    let pgp_key = gpg.gen_key("Mixed <mixed@example.org>", "ed25519", "0", None);
    let ssh_key = ssh.gen_key("mixed", &["-t", "ed25519"]);
    let mut store = store_with(&[&gpg.export(&pgp_key)]);
    store.add_allowed_signers("as", &format!("mixed@example.org {ssh_key}")).unwrap();
    let t = now_secs();
    let p = payload("mixed@example.org", t);
    let v1 = verify(&store, &p, &gpg.sign(&pgp_key, &p, None), "mixed@example.org", t);
    let v2 = verify(&store, &p, &ssh.sign("mixed", "git", &p), "mixed@example.org", t);
    assert_eq!((v1.status, v1.format), (Status::Valid, Some(Format::OpenPgp)));
    assert_eq!((v2.status, v2.format), (Status::Valid, Some(Format::Ssh)));
    assert_eq!(store.describe().len(), 2);
    // Leading whitespace before the armor is tolerated.
    let mut padded = b"\n  ".to_vec();
    padded.extend(gpg.sign(&pgp_key, &p, None));
    assert_eq!(verify(&store, &p, &padded, "mixed@example.org", t).status, Status::Valid);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

    /// Hostile signature bytes behind either armor header never panic and never pass.
    #[test]
    fn hostile_signatures_never_pass(
        header in 0usize..3,
        body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
        b64 in "[A-Za-z0-9+/=\n]{0,300}",
    ) {
        let mut store = TrustStore::empty();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/signatures");
        let github = std::fs::read(Path::new(dir).join("github-web-flow.gpg")).unwrap();
        store.add_openpgp_bytes("gh", &github).unwrap();
        let (begin, end) = [
            ("-----BEGIN PGP SIGNATURE-----\n\n", "\n-----END PGP SIGNATURE-----\n"),
            ("-----BEGIN SSH SIGNATURE-----\n", "\n-----END SSH SIGNATURE-----\n"),
            ("", ""),
        ][header];
        for sig in [
            [begin.as_bytes(), &body, end.as_bytes()].concat(),
            [begin.as_bytes(), b64.as_bytes(), end.as_bytes()].concat(),
        ] {
            let v = verify(&store, b"payload", &sig, "a@example.org", 1_700_000_000);
            proptest::prop_assert!(!v.is_valid(), "{v:?}");
            proptest::prop_assert!(!v.detail.is_empty());
        }
    }
}
