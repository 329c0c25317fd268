//! Signature verification of hostile signature bytes against a store holding the example
//! policy's keys. Input: `<payload> NUL <signature> [NUL <committer e-mail>]`; without a NUL the
//! whole input is the signature. Nothing here may ever be `valid`: the fuzzer has no private key.
#![no_main]

use std::sync::LazyLock;
use std::time::{Duration, SystemTime};

use libfuzzer_sys::fuzz_target;
use pushgate::checks::signatures::verify::{SignedObject, Status, TrustStore, VerifyOptions};

static STORE: LazyLock<TrustStore> = LazyLock::new(|| {
    let mut t = TrustStore::empty();
    t.add_openpgp_bytes("release-engineer.asc", include_bytes!("../../examples/keys/release-engineer.asc"))
        .expect("example certificate loads");
    t.add_allowed_signers("allowed_signers", include_str!("../../examples/keys/allowed_signers"))
        .expect("example allowed_signers loads");
    t
});

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |b| *b == 0);
    let (payload, signature, email) = match (parts.next(), parts.next(), parts.next()) {
        (Some(p), Some(s), e) => (p, s, e.and_then(|e| std::str::from_utf8(e).ok())),
        (Some(s), None, _) => (&b""[..], s, None),
        _ => return,
    };
    let time = i64::from_le_bytes(payload.get(..8).and_then(|b| b.try_into().ok()).unwrap_or([0; 8]));
    let obj = SignedObject { payload, signature, committer_email: email, commit_time: time };
    for must_match in [false, true] {
        let opts = VerifyOptions {
            committer_must_match: must_match,
            now: SystemTime::UNIX_EPOCH + Duration::from_secs(1_760_000_000),
        };
        for store in [&*STORE, &TrustStore::empty()] {
            let v = store.verify(&obj, &opts);
            assert_ne!(v.status, Status::Valid, "{v:?}");
        }
    }
});
