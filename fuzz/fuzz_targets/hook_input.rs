//! Hook input as git (or a hostile pusher through a forge) hands it over: pre-receive and pre-push
//! stdin, and update's three arguments. The first byte picks the repository's hash kind.
#![no_main]

use gix::hash::Kind;
use libfuzzer_sys::fuzz_target;
use pushgate::push::hook_input::{parse_pre_push, parse_pre_receive, parse_update};

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else { return };
    let kind = if first & 1 == 0 { Kind::Sha1 } else { Kind::Sha256 };
    if let Ok(updates) = parse_pre_receive(rest, kind) {
        for u in &updates {
            // Whatever is accepted is well formed.
            assert!(u.name.starts_with("refs/"));
            assert!(u.old.is_some() || u.new.is_some());
        }
    }
    let _ = parse_pre_push(rest, kind);
    let text = String::from_utf8_lossy(rest);
    let mut args = text.splitn(3, '\0');
    let (name, old, new) = (args.next().unwrap_or(""), args.next().unwrap_or(""), args.next().unwrap_or(""));
    let _ = parse_update(name, old, new, kind);
});
