//! Policy text: TOML parsing, schema, validation and diagnostics rendering. Inputs that could name
//! key files are skipped, so a run never reads (or walks) the file system.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pushgate::policy::{Origin, Policy, Source};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // `[signatures]` key files are paths (and globs walked from the current directory); TOML
    // escapes in quoted keys could spell them, so skip anything that could.
    if text.contains("certs") || text.contains("signers") || text.contains("\\u") || text.contains("\\U") {
        return;
    }
    let source = Source { name: "fuzz.toml".into(), text: text.into() };
    if let Err(e) = Policy::parse(source, Origin::Embedded, None) {
        assert!(!e.diagnostics.is_empty());
        let _ = e.to_string();
    }
});
