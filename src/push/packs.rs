//! Reading packed objects with every delta-chain member cached, as git's delta-base cache does.
//!
//! gix caches only the objects it is asked for, so reading an object whose delta chain runs
//! through other files' versions (git deltifies similar files against each other, chains up to
//! 50 deep) inflates the whole chain again on every read. A history scan reads tens of
//! thousands of such objects. This reader decodes a chain from its base upwards, one delta at a
//! time, so that every member lands in a memory-capped LRU cache and the next chain through the
//! same members stops there.
//!
//! Only an accelerator: whatever it cannot find or decode (loose objects, a damaged pack, an
//! unusual chain) is left to gix's own lookup, which reports errors properly.

use std::cell::RefCell;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

use gix::odb::pack;
use gix::odb::pack::cache::DecodeEntry;
use gix::odb::pack::data::entry::Header;

/// Decoded objects kept per reader (one reader per worker thread).
const CACHE_BYTES: usize = 16 << 20;
/// Deeper chains are left to gix (git's own limit is 4095; `gc` writes at most 50).
const MAX_CHAIN: usize = 10_000;
/// Offsets remembered as cached; cleared when it grows past this (a stale entry costs only speed).
const MAX_KNOWN: usize = 1 << 20;

pub struct PackReader {
    key: PathBuf,
    bundles: Vec<pack::Bundle>,
    cache: pack::cache::lru::MemoryCappedHashmap,
    /// `(pack id, data offset)` of the delta entries this reader has put in the cache.
    known: HashSet<(u32, u64)>,
    inflate: gix::zlib::Inflate,
    scratch: Vec<u8>,
}

impl PackReader {
    /// A reader over the packs of `objects` (an objects directory) and of its alternates.
    fn open(objects: &Path, hash: gix::hash::Kind) -> Self {
        let mut dirs = vec![objects.to_path_buf()];
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        dirs.extend(gix::odb::alternate::resolve(objects.to_path_buf(), &cwd).unwrap_or_default());
        let mut bundles = Vec::new();
        for dir in dirs {
            let Ok(entries) = std::fs::read_dir(dir.join("pack")) else { continue };
            let mut idx: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "idx"))
                .collect();
            idx.sort();
            bundles.extend(idx.into_iter().filter_map(|p| pack::Bundle::at(p, hash).ok()));
        }
        // Cache keys are (pack id, offset). gix derives a pack's id from a CRC-32 of its path, and
        // a pushed pack's name is chosen by its content: two colliding ids would let one pack's
        // cached object stand in for another's. Number them instead.
        for (i, b) in bundles.iter_mut().enumerate() {
            b.pack.id = u32::try_from(i).unwrap_or(u32::MAX);
        }
        PackReader {
            key: objects.to_path_buf(),
            bundles,
            cache: pack::cache::lru::MemoryCappedHashmap::new(CACHE_BYTES),
            known: HashSet::new(),
            inflate: gix::zlib::Inflate::default(),
            scratch: Vec::new(),
        }
    }

    /// Decode object `id` into `out` if it is in one of the packs; `None` means "ask gix".
    /// With `max`: an undeltified object over `max` bytes is not decoded (`Err(size)`), and no
    /// decode may allocate more than about three times `max` (a delta's result and base are
    /// held together), so a delta whose result is far over it fails and is left to the caller.
    fn find(&mut self, id: &gix::oid, out: &mut Vec<u8>, max: Option<u64>) -> Option<Result<gix::object::Kind, u64>> {
        let PackReader { bundles, cache, known, inflate, scratch, .. } = self;
        let limit = max.map(|m| usize::try_from(m.saturating_mul(3).saturating_add(1 << 20)).unwrap_or(usize::MAX));
        for b in bundles.iter_mut() {
            b.pack.alloc_limit_bytes = limit;
        }
        let (b, idx) = bundles.iter().find_map(|b| Some((b, lookup(&b.index, id)?)))?;
        let target = b.pack.entry(b.index.pack_offset_at_index(idx)).ok()?;
        if let Some(max) = max
            && !target.header.is_delta()
            && target.decompressed_size > max
        {
            return Some(Err(target.decompressed_size));
        }
        let resolve = |base: &gix::oid, _: &mut Vec<u8>| {
            lookup(&b.index, base)
                .map(|i| {
                    b.pack.entry(b.index.pack_offset_at_index(i)).map(pack::data::decode::entry::ResolvedBase::InPack)
                })
                .transpose()
        };
        // The chain below the target, down to a member already cached or the undeltified base.
        let mut chain = Vec::new();
        let mut cur = target.clone();
        while chain.len() < MAX_CHAIN && !known.contains(&(b.pack.id, cur.data_offset)) {
            let next = match cur.header {
                Header::OfsDelta { base_distance } => {
                    cur.checked_base_pack_offset(base_distance).and_then(|o| b.pack.entry(o).ok())
                }
                Header::RefDelta { base_id } => {
                    lookup(&b.index, &base_id).and_then(|i| b.pack.entry(b.index.pack_offset_at_index(i)).ok())
                }
                _ => None,
            };
            match next {
                Some(n) => {
                    chain.push(n.clone());
                    cur = n;
                }
                None => break,
            }
        }
        // Bottom-up, each delta member against the one below it (cached a step earlier).
        for e in chain.iter().rev().filter(|e| e.header.is_delta()) {
            let key = (b.pack.id, e.data_offset);
            if known.contains(&key) {
                continue;
            }
            b.pack.decode_entry(e.clone(), scratch, inflate, &resolve, cache as &mut dyn DecodeEntry).ok()?;
            if known.len() >= MAX_KNOWN {
                known.clear();
            }
            known.insert(key);
        }
        let is_delta = target.header.is_delta();
        let key = (b.pack.id, target.data_offset);
        let outcome = b.pack.decode_entry(target, out, inflate, &resolve, cache as &mut dyn DecodeEntry).ok()?;
        if is_delta {
            known.insert(key);
        }
        Some(Ok(outcome.kind))
    }
}

/// The position of `id` in `index`, as `index.lookup(id)`. gix's binary search compares whole ids
/// with a `memcmp` call at every step (5 % of a history scan); here the first eight bytes,
/// compared as one big-endian integer, decide nearly every step.
fn lookup(index: &pack::index::File, id: &gix::oid) -> Option<u32> {
    let want = id.as_bytes();
    let key = prefix(want)?;
    let (mut lo, mut hi) = (0u32, index.num_objects());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let have = index.oid_at_index(mid).as_bytes();
        match prefix(have)?.cmp(&key).then_with(|| have.cmp(want)) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => return Some(mid),
        }
    }
    None
}

/// The first eight bytes of an object id (20 or 32 bytes) as a big-endian integer: ordered as
/// the ids are.
fn prefix(id: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(id.get(..8)?.try_into().ok()?))
}

/// Objects a thread reads through gix before it opens its own reader. A reader maps every pack
/// and index of the repository again (≈ 0.2 ms per thread on a 60 MB pack): worth it for a
/// thread that reads thousands of objects, not for the dozen of a one-commit push, which gix's
/// handle (its packs already mapped by the walk) reads as fast.
const READER_AFTER: u32 = 32;

thread_local! {
    static READER: RefCell<Option<PackReader>> = const { RefCell::new(None) };
    static LOOKUPS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Object `id` of `repo` decoded into `out` by this thread's chain-caching reader, if it is
/// packed; `None`: read it with gix.
pub fn find(repo: &gix::Repository, id: &gix::oid, out: &mut Vec<u8>) -> Option<gix::object::Kind> {
    find_within(repo, id, out, None).and_then(Result::ok)
}

/// [`find`], for an object that is not wanted over `max` bytes: `Some(Err(size))` when the pack
/// says it is bigger (it is not decoded then). `None` (ask gix) also when a delta turned out
/// far bigger than `max`: the caller must measure before gix decodes it.
pub fn find_within(
    repo: &gix::Repository,
    id: &gix::oid,
    out: &mut Vec<u8>,
    max: Option<u64>,
) -> Option<Result<gix::object::Kind, u64>> {
    let lookups = LOOKUPS.get();
    if lookups < READER_AFTER {
        LOOKUPS.set(lookups + 1);
        return None;
    }
    let objects = repo.objects.store_ref().path();
    READER.with(|cell| {
        let mut slot = cell.try_borrow_mut().ok()?;
        if slot.as_ref().is_none_or(|r| r.key != objects) {
            *slot = Some(PackReader::open(objects, repo.object_hash()));
        }
        slot.as_mut()?.find(id, out, max)
    })
}

/// `repo`'s objects, packed ones through this thread's chain-caching reader: hand it to gix
/// algorithms (tree diffs) that look objects up themselves.
pub struct Objects<'r>(pub &'r gix::Repository);

impl gix::objs::Find for Objects<'_> {
    fn try_find<'a>(&self, id: &gix::oid, buffer: &'a mut Vec<u8>) -> gix::Result<Option<gix::objs::Data<'a>>> {
        match find(self.0, id, buffer) {
            Some(kind) => Ok(Some(gix::objs::Data::new(buffer, kind, self.0.object_hash()))),
            None => self.0.objects.try_find(id, buffer),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::disallowed_methods)]
mod tests {
    use super::*;

    use super::super::test_git::git;

    /// With a size limit, a packed blob over it is not decoded: an undeltified one is measured
    /// from its pack entry, and a delta whose result is far bigger fails within the allocation
    /// limit (the caller then measures it from its header), while a blob under the limit decodes
    /// as before.
    #[test]
    fn blobs_over_a_limit_are_not_decoded() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        git(dir, &["init", "-q", "-b", "main", "."]);
        // Text lines, so that git deltifies the two versions against each other.
        let text: String = (0..200_000).map(|i| format!("line {i} of a big generated file\n")).collect();
        std::fs::write(dir.join("big.txt"), &text).unwrap();
        std::fs::write(dir.join("small.txt"), "small\n").unwrap();
        git(dir, &["add", "."]);
        git(dir, &["commit", "-q", "-m", "one"]);
        std::fs::write(dir.join("big.txt"), format!("{text}one more line\n")).unwrap();
        git(dir, &["commit", "-q", "-a", "-m", "two"]);
        git(dir, &["repack", "-q", "-a", "-d", "-f"]);
        let repo = gix::open(dir).unwrap();
        let id = |rev: &str| gix::ObjectId::from_hex(git(dir, &["rev-parse", rev]).trim().as_bytes()).unwrap();
        let (old, new, small) = (id("HEAD~:big.txt"), id("HEAD:big.txt"), id("HEAD:small.txt"));
        let mut out = Vec::new();
        for _ in 0..READER_AFTER {
            assert_eq!(find_within(&repo, &small, &mut out, Some(1 << 20)), None);
        }
        let max = 1u64 << 20;
        let mut sizes = Vec::new();
        for blob in [old, new] {
            let mut out = Vec::new();
            match find_within(&repo, &blob, &mut out, Some(max)) {
                Some(Err(size)) => sizes.push(size),
                None => sizes.push(0),
                Some(Ok(_)) => panic!("a {} byte blob was decoded under a 1 MiB limit", out.len()),
            }
            assert!(out.capacity() < (4 << 20), "{} bytes allocated", out.capacity());
        }
        // One of the two is the undeltified base, measured from its entry; the other a delta.
        assert!(sizes.contains(&(text.len() as u64)) || sizes.contains(&(text.len() as u64 + 14)), "{sizes:?}");
        assert_eq!(find_within(&repo, &small, &mut out, Some(max)), Some(Ok(gix::object::Kind::Blob)));
        assert_eq!(out, b"small\n");
        // Without a limit both decode whole.
        assert_eq!(find(&repo, &new, &mut out), Some(gix::object::Kind::Blob));
        assert_eq!(out.len(), text.len() + 14);
    }

    /// Every object of a packed repository with long delta chains decodes exactly as gix
    /// decodes it, whatever the order of reads.
    #[test]
    fn decodes_every_packed_object_like_gix() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        git(dir, &["init", "-q", "-b", "main", "."]);
        // Each version edits one line of a fixed-size file: a version is most like its
        // neighbour, so git deltifies them into long chains.
        let mut lines: Vec<Vec<String>> =
            (0..3).map(|f| (0..200).map(|l| format!("file {f} line {l}: {}", "x".repeat(40))).collect()).collect();
        for i in 0..120 {
            for (f, file) in lines.iter_mut().enumerate() {
                let at = (i * 37 + f * 11) % file.len();
                file[at] = format!("file {f} line {at} edited in version {i}: {}", "y".repeat(30 + i % 7));
                std::fs::write(dir.join(format!("f{f}.txt")), file.join("\n")).unwrap();
            }
            git(dir, &["add", "."]);
            git(dir, &["commit", "-q", "-m", &format!("c{i}")]);
        }
        git(dir, &["repack", "-q", "-a", "-d", "-f", "--depth=50", "--window=250"]);
        let ids: Vec<String> = git(dir, &["cat-file", "--batch-all-objects", "--batch-check=%(objectname)"])
            .lines()
            .map(String::from)
            .collect();
        let pack_dir = dir.join(".git/objects/pack");
        let idx = std::fs::read_dir(&pack_dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "idx"))
            .unwrap();
        let stats = git(dir, &["verify-pack", "-v", idx.to_str().unwrap()]);
        let deepest = stats
            .lines()
            .filter_map(|l| l.strip_prefix("chain length = "))
            .filter_map(|l| l.split(':').next()?.parse::<usize>().ok())
            .max()
            .unwrap_or(0);
        assert!(deepest >= 10, "the test needs long delta chains, got {deepest}");
        let repo = gix::open(dir).unwrap();
        let mut out = Vec::new();
        // The first lookups of a thread are left to gix.
        let first = gix::ObjectId::from_hex(ids[0].as_bytes()).unwrap();
        for _ in 0..READER_AFTER {
            assert_eq!(find(&repo, &first, &mut out), None);
        }
        let mut found = 0;
        for order in [false, true] {
            let iter: Box<dyn Iterator<Item = &String>> =
                if order { Box::new(ids.iter().rev()) } else { Box::new(ids.iter()) };
            for hex in iter {
                let id = gix::ObjectId::from_hex(hex.as_bytes()).unwrap();
                let expected = repo.find_object(id).unwrap();
                if let Some(kind) = find(&repo, &id, &mut out) {
                    found += 1;
                    assert_eq!(kind, expected.kind, "{hex}");
                    assert_eq!(out, expected.data, "{hex}");
                }
            }
        }
        assert_eq!(found, 2 * ids.len(), "every object is packed after the repack");
        // The integer-prefix binary search finds what gix's finds, and nothing that is absent
        // (ids one bit away from present ones, at the start and at the end).
        let bundle = pack::Bundle::at(&idx, gix::hash::Kind::Sha1).unwrap();
        for hex in &ids {
            let id = gix::ObjectId::from_hex(hex.as_bytes()).unwrap();
            assert_eq!(lookup(&bundle.index, &id), bundle.index.lookup(id), "{hex}");
            for flip in [0usize, 7, 8, 19] {
                let mut bytes = id.as_bytes().to_vec();
                bytes[flip] ^= 1;
                let other = gix::ObjectId::from_bytes_or_panic(&bytes);
                assert_eq!(lookup(&bundle.index, &other), bundle.index.lookup(other), "{hex} ^ byte {flip}");
            }
        }
    }
}
