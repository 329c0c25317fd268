//! git's allowed_signers format (principals, options, key) as the policy loads it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pushgate::checks::signatures::verify::TrustStore;
use pushgate::checks::signatures::verify::allowed_signers;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = allowed_signers::parse(text);
    for line in text.lines().take(8) {
        if let Some(v) = line.strip_prefix("valid-after=") {
            let _ = allowed_signers::parse_time(v);
        }
    }
    let _ = TrustStore::empty().add_allowed_signers("fuzz", text);
});
