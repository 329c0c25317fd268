//! What a push adds, as text to scan: for each new commit, the lines it adds relative to its
//! parent (a merge: only lines found in none of its parents), its message, and the paths it adds
//! or changes. A (old blob, new blob) pair at one path is diffed and read once however many commits
//! carry it (at another path it is judged again: findings depend on the path).
//! Binary and over-size blobs are not scanned; they are listed as skipped.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;

use gix::ObjectId;
use gix::bstr::ByteSlice;
use rayon::prelude::*;

use super::walk::{NewCommit, WalkError};

/// Bytes of a blob inspected for a NUL to decide it is binary (git's own heuristic).
const BINARY_SNIFF: usize = 8000;

/// One piece of added text to scan.
#[derive(Debug, Clone)]
pub struct AddedText {
    pub commit: ObjectId,
    /// Repository-relative path; `None` for a commit message.
    pub path: Option<String>,
    /// The added lines joined by `\n`.
    pub text: Vec<u8>,
    /// For each line of `text`, its line number in the new file.
    pub lines: Vec<u32>,
    /// The new file's first line when it is not among the added lines (a CSV header).
    pub header: Option<Vec<u8>>,
}

impl AddedText {
    /// The line number in the file of a 1-based line of `text`.
    pub fn file_line(&self, text_line: u32) -> u32 {
        self.lines.get(text_line.saturating_sub(1) as usize).copied().unwrap_or(text_line)
    }
}

/// Everything a push adds.
#[derive(Debug, Default)]
pub struct Added {
    pub texts: Vec<AddedText>,
    /// `(commit, path, reason)` of blobs that were not scanned.
    pub skipped: Vec<(ObjectId, String, String)>,
}

fn err(id: ObjectId, e: impl std::fmt::Display) -> WalkError {
    WalkError::Object { id, message: e.to_string() }
}

/// Blob changes of `tree` relative to `parent_tree`: path → (old blob, new blob).
fn changes(
    repo: &gix::Repository,
    parent_tree: Option<ObjectId>,
    tree: ObjectId,
) -> Result<HashMap<String, (Option<ObjectId>, ObjectId)>, WalkError> {
    let hash = repo.object_hash();
    let objects = super::packs::Objects(repo);
    let new_data = read_tree(repo, tree)?;
    let old_data = match parent_tree {
        Some(t) => read_tree(repo, t)?,
        None => Vec::new(),
    };
    // Root trees of consecutive commits are nearly always equal but for an entry or two, and
    // both are parsed whole by the diff: over a history that was most of the tree work.
    let (old_mid, new_mid) = differing_middles(&old_data, &new_data, hash.len_in_bytes());
    let mut rec = gix::diff::tree::Recorder::default();
    gix::diff::tree(
        gix::objs::TreeRefIter::from_bytes(old_mid, hash),
        gix::objs::TreeRefIter::from_bytes(new_mid, hash),
        gix::diff::tree::State::default(),
        &objects,
        &mut rec,
    )
    .map_err(|e| err(tree, e))?;
    give_back(new_data);
    give_back(old_data);
    let mut out = HashMap::new();
    for change in rec.records {
        use gix::diff::tree::recorder::Change;
        match change {
            Change::Addition { entry_mode, oid, path, .. } if entry_mode.is_blob() => {
                out.insert(path.to_str_lossy().into_owned(), (None, oid));
            }
            Change::Modification { previous_oid, entry_mode, oid, path, previous_entry_mode, .. }
                if entry_mode.is_blob() =>
            {
                let old = previous_entry_mode.is_blob().then_some(previous_oid);
                out.insert(path.to_str_lossy().into_owned(), (old, oid));
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Length of the tree entry (`<mode> <name>\0<id>`) that starts at `at`, if it is whole.
fn entry_len(tree: &[u8], at: usize, id_len: usize) -> Option<usize> {
    let len = memchr::memchr(0, tree.get(at..)?)? + 1 + id_len;
    (at + len <= tree.len()).then_some(len)
}

/// The first entry boundary of `tree` at or after `at` (`tree.len()` counts), if the entries up
/// to it parse.
fn boundary_from(tree: &[u8], at: usize, id_len: usize) -> Option<usize> {
    let mut pos = 0;
    while pos < at {
        pos += entry_len(tree, pos, id_len)?;
    }
    Some(pos)
}

/// Two versions of a tree without the entries both start and end with byte for byte. Entries
/// are sorted by name and unique, so an entry equal in both (name, mode and id) is unchanged,
/// and diffing what lies between gives every change that diffing the whole trees gives. The
/// common ends are cut at entry boundaries of *both* trees (ids are binary: a byte run equal in
/// both may start mid-entry in one of them); anything that does not parse is left whole, for
/// the diff to report.
fn differing_middles<'a>(old: &'a [u8], new: &'a [u8], id_len: usize) -> (&'a [u8], &'a [u8]) {
    // Entries wholly inside the bytes both trees start with are at the same offsets in both.
    let same = common_prefix_len(old, new);
    let mut start = 0;
    while let Some(len) = entry_len(new, start, id_len) {
        if start + len > same {
            break;
        }
        start += len;
    }
    let (o, n) = (&old[start..], &new[start..]);
    let same_end = common_suffix_len(o, n);
    let cut = boundary_from(n, n.len() - same_end, id_len).and_then(|n_end| {
        let o_end = o.len() - (n.len() - n_end);
        (boundary_from(o, o_end, id_len)? == o_end).then_some((o_end, n_end))
    });
    match cut {
        Some((o_end, n_end)) => (&o[..o_end], &n[..n_end]),
        None => (o, n),
    }
}

/// Buffers kept for reuse per thread: at most this many, each up to [`KEEP_BUFFER`] bytes.
const KEPT_BUFFERS: usize = 8;
const KEEP_BUFFER: usize = 4 << 20;

thread_local! {
    /// Buffers that objects are decoded into, handed back after use: a history scan reads tens
    /// of thousands of multi-KB blobs and root trees, and a fresh allocation for each (grown
    /// while a delta is applied, freed right after the diff) was ≈ 5 % of its time.
    static BUFFERS: std::cell::RefCell<Vec<Vec<u8>>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn take_buffer() -> Vec<u8> {
    BUFFERS.with(|b| b.try_borrow_mut().ok().and_then(|mut b| b.pop())).unwrap_or_default()
}

/// Hand a buffer from [`read_object`] back for the next read.
fn give_back(mut buffer: Vec<u8>) {
    if buffer.capacity() <= KEEP_BUFFER {
        buffer.clear();
        BUFFERS.with(|b| {
            if let Ok(mut b) = b.try_borrow_mut()
                && b.len() < KEPT_BUFFERS
            {
                b.push(buffer);
            }
        });
    }
}

/// An object's content, which must be of `kind`: through this thread's chain-caching pack
/// reader when it is packed, else gix's own lookup. Hand the buffer [`give_back`] when done.
fn read_object(repo: &gix::Repository, id: ObjectId, kind: gix::object::Kind) -> Result<Vec<u8>, WalkError> {
    read_object_within(repo, id, kind, None)?.map_err(|size| err(id, format!("{size} bytes, over no limit")))
}

/// A blob's content, or `Err(size)` when it is over `max` bytes: then it is never decoded whole
/// (a few hundred KB of zeros in a pushed pack can decode to gigabytes).
fn read_blob(repo: &gix::Repository, id: ObjectId, max: u64) -> Result<Result<Vec<u8>, u64>, WalkError> {
    read_object_within(repo, id, gix::object::Kind::Blob, Some(max))
}

/// [`read_object`], and with `max`, `Ok(Err(size))` for an object over `max` bytes, which is
/// not decoded whole: the pack reader knows an undeltified object's size from its entry, and
/// anything it leaves to gix (a loose object, a thread's first reads, a delta far over the
/// limit) is measured from its header first.
fn read_object_within(
    repo: &gix::Repository,
    id: ObjectId,
    kind: gix::object::Kind,
    max: Option<u64>,
) -> Result<Result<Vec<u8>, u64>, WalkError> {
    let mut data = take_buffer();
    let found = match super::packs::find_within(repo, &id, &mut data, max) {
        Some(Ok(found)) => found,
        Some(Err(size)) => {
            give_back(data);
            return Ok(Err(size));
        }
        None => {
            if let Some(max) = max {
                let size = repo.find_header(id).map_err(|e| err(id, e))?.size();
                if size > max {
                    give_back(data);
                    return Ok(Err(size));
                }
            }
            data.clear();
            match gix::objs::Find::try_find(&repo.objects, &id, &mut data).map_err(|e| err(id, e))? {
                Some(obj) => obj.kind,
                None => return Err(err(id, "object not found")),
            }
        }
    };
    if found != kind {
        return Err(err(id, format!("expected a {kind}, found a {found}")));
    }
    if let Some(max) = max
        && data.len() as u64 > max
    {
        let size = data.len() as u64;
        give_back(data);
        return Ok(Err(size));
    }
    Ok(Ok(data))
}

fn read_tree(repo: &gix::Repository, id: ObjectId) -> Result<Vec<u8>, WalkError> {
    read_object(repo, id, gix::object::Kind::Tree)
}

/// git's heuristic: a NUL byte in the first 8000 bytes means binary.
pub fn is_binary(data: &[u8]) -> bool {
    data[..data.len().min(BINARY_SNIFF)].contains(&0)
}

/// (old blob, new blob, path) already read, so that a change carried by many commits (merges,
/// cherry-picks) is read and scanned once. The path is part of it: what a text's findings are
/// depends on where it is (file-name rules, rules and allowlists limited to paths), so the same
/// blob copied to another path is scanned there too — a secret in an allowlisted `testdata/`
/// file copied to `src/` is found, and every copy of a key is named.
pub type Seen = HashSet<(Option<ObjectId>, ObjectId, String)>;

/// One changed path of one commit: the new blob and its versions in each parent (`None`: absent).
struct Change {
    path: String,
    new: ObjectId,
    olds: Vec<Option<ObjectId>>,
}

/// What a commit object says that the content scan needs.
struct CommitInfo {
    tree: ObjectId,
    message: Vec<u8>,
}

fn read_commit(repo: &gix::Repository, id: ObjectId) -> Result<CommitInfo, WalkError> {
    let data = read_object(repo, id, gix::object::Kind::Commit)?;
    let info = gix::objs::CommitRef::from_bytes(&data, repo.object_hash())
        .map(|decoded| CommitInfo { tree: decoded.tree(), message: decoded.message.to_vec() })
        .map_err(|e| err(id, e))?;
    give_back(data);
    Ok(info)
}

/// A commit's message and the paths it changes relative to every parent. `trees`: the root
/// trees of this batch's commits (a parent outside the batch is read).
fn commit_changes(
    repo: &gix::Repository,
    c: &NewCommit,
    info: &CommitInfo,
    trees: &HashMap<ObjectId, ObjectId>,
) -> Result<(AddedText, Vec<Change>), WalkError> {
    crate::budget::PROGRESS.commits_done.fetch_add(1, Ordering::Relaxed);
    let CommitInfo { tree, message } = info;
    let tree = *tree;
    let text = AddedText {
        commit: c.id,
        path: None,
        lines: (1..=message.lines().count() as u32).collect(),
        text: message.clone(),
        header: None,
    };
    let mut parent_trees = Vec::new();
    for p in &c.parents {
        parent_trees.push(match trees.get(p) {
            Some(t) => *t,
            None => read_commit(repo, *p)?.tree,
        });
    }
    let per_parent: Vec<HashMap<String, (Option<ObjectId>, ObjectId)>> = if parent_trees.is_empty() {
        vec![changes(repo, None, tree)?]
    } else {
        parent_trees.iter().map(|t| changes(repo, Some(*t), tree)).collect::<Result<_, _>>()?
    };
    let Some((first, rest)) = per_parent.split_first() else { return Ok((text, Vec::new())) };
    let mut out: Vec<Change> = first
        .iter()
        // A merge adds a path's content only where it differs from every parent.
        .filter(|(path, _)| rest.iter().all(|m| m.contains_key(*path)))
        .map(|(path, (old, new))| Change {
            path: path.clone(),
            new: *new,
            olds: std::iter::once(*old).chain(rest.iter().map(|m| m[path].0)).collect(),
        })
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((text, out))
}

/// What reading one changed blob gives.
enum Read {
    Text(AddedText),
    Skipped(ObjectId, String, String),
}

fn read_change(repo: &gix::Repository, commit: ObjectId, ch: &Change, max_blob: u64) -> Result<Read, WalkError> {
    let blob = match read_blob(repo, ch.new, max_blob)? {
        Ok(blob) => blob,
        Err(size) => {
            crate::budget::PROGRESS.bytes_read.fetch_add(size, Ordering::Relaxed);
            let why = format!("{size} bytes, over the {max_blob}-byte limit");
            return Ok(Read::Skipped(commit, ch.path.clone(), why));
        }
    };
    crate::budget::PROGRESS.bytes_read.fetch_add(blob.len() as u64, Ordering::Relaxed);
    if is_binary(&blob) {
        give_back(blob);
        return Ok(Read::Skipped(commit, ch.path.clone(), "binary".into()));
    }
    let mut old_blobs = Vec::new();
    for o in ch.olds.iter().flatten() {
        // An old version over the limit or binary is left out of the diff, as if absent.
        if let Ok(data) = read_blob(repo, *o, max_blob)? {
            if is_binary(&data) {
                give_back(data);
            } else {
                old_blobs.push(data);
            }
        }
    }
    let text = added_lines(commit, &ch.path, &blob, &old_blobs);
    give_back(blob);
    old_blobs.into_iter().for_each(give_back);
    Ok(Read::Text(text))
}

/// A few long chunks per thread: each chunk gets one repository handle whose pack cache keeps
/// delta bases across the blobs it reads (a handle per item would re-inflate delta chains).
fn chunk_len(n: usize) -> usize {
    n.div_ceil(rayon::current_num_threads() * 4).max(1)
}

/// `f` over `items` in order, each chunk of them with its own repository handle: on rayon's pool
/// when `parallel`, else on the calling thread with one handle (a one-commit push: the pool is
/// never started, see [`crate::par`]).
fn per_chunk<T: Sync, R: Send>(
    sync: &gix::ThreadSafeRepository,
    items: &[T],
    parallel: bool,
    f: impl Fn(&gix::Repository, &T) -> Result<R, WalkError> + Sync,
) -> Result<Vec<R>, WalkError> {
    if !parallel {
        let repo = sync.to_thread_local();
        return items.iter().map(|i| f(&repo, i)).collect();
    }
    let chunks = items
        .par_chunks(chunk_len(items.len()))
        .map(|chunk| {
            let repo = sync.to_thread_local();
            chunk.iter().map(|i| f(&repo, i)).collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(chunks.into_iter().flatten().collect())
}

/// Collect what `commits` add. `max_blob` bytes: larger blobs are skipped. `seen` carries over
/// between batches of one push.
///
/// Three phases keep the result deterministic while using every core: tree diffs per commit in
/// parallel; then, in walk order, the decision which (old, new) pairs are new; then blob reads
/// and line diffs in parallel. Each worker thread has its own handle on the same object store
/// (gix's `Repository` is not `Sync`), which keeps the quarantine view.
pub fn collect(
    sync: &gix::ThreadSafeRepository,
    commits: &[NewCommit],
    max_blob: u64,
    seen: &mut Seen,
) -> Result<Added, WalkError> {
    // Each commit object is read once: its tree is also the parent tree of its child.
    let parallel = crate::par::worth_it(commits.len());
    let infos: Vec<CommitInfo> = per_chunk(sync, commits, parallel, |repo, c| read_commit(repo, c.id))?;
    let trees: HashMap<ObjectId, ObjectId> = commits.iter().zip(&infos).map(|(c, i)| (c.id, i.tree)).collect();
    let pairs: Vec<(&NewCommit, CommitInfo)> = commits.iter().zip(infos).collect();
    let per_commit: Vec<(AddedText, Vec<Change>)> =
        per_chunk(sync, &pairs, parallel, |repo, (c, info)| commit_changes(repo, c, info, &trees))?;
    let mut added = Added::default();
    let mut work: Vec<(ObjectId, Change)> = Vec::new();
    for (c, (message, changes)) in commits.iter().zip(per_commit) {
        added.texts.push(message);
        for ch in changes {
            let key = (ch.olds.first().copied().flatten(), ch.new, ch.path.clone());
            if !seen.insert(key) && ch.olds.len() == 1 {
                continue;
            }
            work.push((c.id, ch));
        }
    }
    let read: Vec<Read> = per_chunk(sync, &work, crate::par::worth_it(work.len()), |repo, (commit, ch)| {
        read_change(repo, *commit, ch, max_blob)
    })?;
    for r in read {
        match r {
            Read::Text(t) => added.texts.push(t),
            Read::Skipped(c, path, why) => added.skipped.push((c, path, why)),
        }
    }
    Ok(added)
}

/// Collect what non-commit tip objects add: an annotated tag's message, a blob's content (named
/// after the ref), every blob of a tree (as if it were a root commit's).
pub fn collect_objects(
    repo: &gix::Repository,
    objects: &[(ObjectId, gix::object::Kind, String)],
    max_blob: u64,
    seen: &mut Seen,
) -> Result<Added, WalkError> {
    let mut added = Added::default();
    let mut work = Vec::new();
    for (id, kind, name) in objects {
        match kind {
            gix::object::Kind::Tag => {
                let tag = repo.find_object(*id).map_err(|e| err(*id, e))?.into_tag();
                let message = tag.decode().map_err(|e| err(*id, e))?.message.to_vec();
                added.texts.push(AddedText {
                    commit: *id,
                    path: None,
                    lines: (1..=message.lines().count() as u32).collect(),
                    text: message,
                    header: None,
                });
            }
            gix::object::Kind::Blob => work.push((*id, Change { path: name.clone(), new: *id, olds: vec![None] })),
            gix::object::Kind::Tree => {
                let mut changes: Vec<_> = changes(repo, None, *id)?.into_iter().collect();
                changes.sort();
                for (path, (_, new)) in changes {
                    work.push((*id, Change { path, new, olds: vec![None] }));
                }
            }
            gix::object::Kind::Commit => {}
        }
    }
    for (id, ch) in work {
        if !seen.insert((None, ch.new, ch.path.clone())) {
            continue;
        }
        match read_change(repo, id, &ch, max_blob)? {
            Read::Text(t) => added.texts.push(t),
            Read::Skipped(c, path, why) => added.skipped.push((c, path, why)),
        }
    }
    Ok(added)
}

/// The lines of `new` that are added: for one old version by a line diff, for several (a merge)
/// the lines found in none of them.
fn added_lines(commit: ObjectId, path: &str, new: &[u8], olds: &[Vec<u8>]) -> AddedText {
    let mut text = Vec::new();
    let mut lines = Vec::new();
    fn push(text: &mut Vec<u8>, lines: &mut Vec<u32>, n: u32, line: &[u8]) {
        if !lines.is_empty() {
            text.push(b'\n');
        }
        text.extend_from_slice(line.strip_suffix(b"\n").unwrap_or(line));
        lines.push(n);
    }
    match olds {
        [] => {
            text.reserve_exact(new.len());
            for (i, l) in new.lines_with_terminator().enumerate() {
                push(&mut text, &mut lines, i as u32 + 1, l);
            }
        }
        [old] => {
            // Lines both versions start and end with are not added: only the middle is diffed
            // (interning every line of both versions was most of the cost of a small change to
            // a big file).
            let (prefix, suffix) = common_ends(old, new);
            let skipped = u32::try_from(memchr::memchr_iter(b'\n', &new[..prefix]).count()).unwrap_or(u32::MAX);
            let middle = &new[prefix..new.len() - suffix];
            // What is added lies in the middle: one allocation instead of growing line by line.
            text.reserve_exact(middle.len());
            let input = imara_diff::InternedInput::new(&old[prefix..old.len() - suffix], middle);
            let diff = imara_diff::Diff::compute(imara_diff::Algorithm::Histogram, &input);
            for h in diff.hunks() {
                for i in h.after.clone() {
                    let token = input.after[i as usize];
                    push(&mut text, &mut lines, skipped.saturating_add(i + 1), input.interner[token]);
                }
            }
        }
        many => {
            text.reserve_exact(new.len());
            let known: HashSet<&[u8]> = many.iter().flat_map(|o| o.lines_with_terminator()).collect();
            for (i, l) in new.lines_with_terminator().enumerate() {
                if !known.contains(l) {
                    push(&mut text, &mut lines, i as u32 + 1, l);
                }
            }
        }
    }
    if !olds.is_empty()
        && let Some((with_markers, numbers)) = with_key_markers(new, &lines)
    {
        (text, lines) = (with_markers, numbers);
    }
    let header = match lines.first() {
        Some(1) | None => None,
        Some(_) => new.lines().next().map(<[u8]>::to_vec),
    };
    AddedText { commit, path: Some(path.to_string()), text, lines, header }
}

/// When added lines lie inside a private-key block of `new` (`-----BEGIN … PRIVATE KEY…-----` …
/// `-----END …-----`) whose marker lines were not added, those marker lines joined in
/// order with the added ones (and their line numbers); `None` when there is no such block.
/// A key replaced between unchanged markers (a rotated key in a committed file) adds only body
/// lines, which no key rule can recognise without its markers.
fn with_key_markers(new: &[u8], added: &[u32]) -> Option<(Vec<u8>, Vec<u32>)> {
    memchr::memmem::find(new, b"-----BEGIN ")?;
    // As `added_lines` takes lines: up to a newline, which is dropped (a `\r` stays).
    let all: Vec<&[u8]> = new.lines_with_terminator().map(|l| l.strip_suffix(b"\n").unwrap_or(l)).collect();
    let is_added = |n: u32| added.binary_search(&n).is_ok();
    let mut extra = Vec::new();
    let mut i = 0;
    while i < all.len() {
        let line = all[i];
        if !(line.starts_with(b"-----BEGIN ") && memchr::memmem::find(line, b"PRIVATE KEY").is_some()) {
            i += 1;
            continue;
        }
        let Some(end) = (i + 1..all.len()).find(|&j| all[j].starts_with(b"-----END ")) else { break };
        // Line numbers are 1-based; the block's body is begin+1 ..= end-1.
        let (begin_no, end_no) = (i as u32 + 1, end as u32 + 1);
        if (begin_no + 1..end_no).any(is_added) {
            extra.extend([begin_no, end_no].into_iter().filter(|&n| !is_added(n)));
        }
        i = end + 1;
    }
    if extra.is_empty() {
        return None;
    }
    let mut numbers: Vec<u32> = added.iter().copied().chain(extra).collect();
    numbers.sort_unstable();
    let mut text = Vec::new();
    for (k, &n) in numbers.iter().enumerate() {
        if k > 0 {
            text.push(b'\n');
        }
        text.extend_from_slice(all.get(n as usize - 1).copied().unwrap_or_default());
    }
    Some((text, numbers))
}

/// Compared in blocks first (a slice comparison is a vectorised `memcmp`): the common part of
/// two versions of a file is usually nearly all of it.
const BLOCK: usize = 64;

fn common_prefix_len(a: &[u8], b: &[u8]) -> usize {
    let max = a.len().min(b.len());
    let mut i = 0;
    while i + BLOCK <= max && a[i..i + BLOCK] == b[i..i + BLOCK] {
        i += BLOCK;
    }
    i + a[i..max].iter().zip(&b[i..max]).take_while(|(x, y)| x == y).count()
}

fn common_suffix_len(a: &[u8], b: &[u8]) -> usize {
    let max = a.len().min(b.len());
    let (a, b) = (&a[a.len() - max..], &b[b.len() - max..]);
    let mut i = 0;
    while i + BLOCK <= max && a[max - i - BLOCK..max - i] == b[max - i - BLOCK..max - i] {
        i += BLOCK;
    }
    i + a[..max - i].iter().rev().zip(b[..max - i].iter().rev()).take_while(|(x, y)| x == y).count()
}

/// Byte lengths of the longest common prefix and suffix of `old` and `new` made of whole lines
/// (each ends with a newline; the suffix starts after one), not overlapping in either.
fn common_ends(old: &[u8], new: &[u8]) -> (usize, usize) {
    let raw = common_prefix_len(old, new);
    let prefix = old[..raw].iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    let (o, n) = (&old[prefix..], &new[prefix..]);
    let raw = common_suffix_len(o, n);
    let line_start = |v: &[u8]| v.len() == raw || v[v.len() - raw - 1] == b'\n';
    if line_start(o) && line_start(n) {
        return (prefix, raw);
    }
    // The common tail starts mid-line: keep only what follows its first newline.
    let tail = &o[o.len() - raw..];
    let suffix = tail.iter().position(|&b| b == b'\n').map_or(0, |p| raw - p - 1);
    (prefix, suffix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_comparisons_agree_with_byte_comparisons() {
        let naive_prefix = |a: &[u8], b: &[u8]| a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let naive_suffix = |a: &[u8], b: &[u8]| a.iter().rev().zip(b.iter().rev()).take_while(|(x, y)| x == y).count();
        let base: Vec<u8> = (0..1000u32).map(|i| b"abcdefgh\n"[(i % 9) as usize]).collect();
        for cut in [0, 1, 63, 64, 65, 127, 128, 500, 999, 1000] {
            for edit in [0usize, 1, 63, 64, 200, 998] {
                let mut other = base[..cut].to_vec();
                if let Some(b) = other.get_mut(edit) {
                    *b = b'#';
                }
                assert_eq!(common_prefix_len(&base, &other), naive_prefix(&base, &other), "{cut} {edit}");
                assert_eq!(common_suffix_len(&base, &other), naive_suffix(&base, &other), "{cut} {edit}");
                assert_eq!(common_suffix_len(&other, &base), naive_suffix(&other, &base), "{cut} {edit}");
            }
        }
    }

    #[test]
    fn work_done_on_the_calling_thread_equals_work_done_on_the_pool() {
        use crate::push::test_git::git;
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q"]);
        for i in 0..12 {
            for f in 0..3 {
                let body: String = (0..=i).map(|n| format!("line {n} of file {f}\n")).collect();
                std::fs::write(dir.path().join(format!("f{f}.txt")), body).unwrap();
            }
            git(dir.path(), &["add", "-A"]);
            git(dir.path(), &["commit", "-qm", &format!("commit {i}")]);
        }
        let ids: Vec<ObjectId> =
            git(dir.path(), &["rev-list", "HEAD"]).lines().map(|l| ObjectId::from_hex(l.as_bytes()).unwrap()).collect();
        let sync = gix::open(dir.path()).unwrap().into_sync();
        let read = |parallel| {
            per_chunk(&sync, &ids, parallel, |repo, id| read_commit(repo, *id))
                .unwrap()
                .into_iter()
                .map(|c| (c.tree, c.message))
                .collect::<Vec<_>>()
        };
        let (alone, pooled) = (read(false), read(true));
        assert_eq!(alone.len(), 12);
        assert_eq!(alone, pooled);
        assert_eq!(alone[0].1, b"commit 11\n");
        // An object that cannot be read is an error either way.
        let mut bad = ids.clone();
        bad.insert(5, ObjectId::null(gix::hash::Kind::Sha1));
        for parallel in [false, true] {
            assert!(per_chunk(&sync, &bad, parallel, |repo, id| read_commit(repo, *id)).is_err());
        }
    }

    /// A root-level tree as git writes it: entries sorted by name (no subtrees here).
    fn tree_bytes(entries: &std::collections::BTreeMap<String, (u8, [u8; 20])>) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, (mode, id)) in entries {
            let mode: &[u8] = [b"100644".as_slice(), b"100755", b"120000", b"160000"][*mode as usize % 4];
            out.extend_from_slice(mode);
            out.push(b' ');
            out.extend_from_slice(name.as_bytes());
            out.push(0);
            out.extend_from_slice(id);
        }
        out
    }

    fn tree_diff(old: &[u8], new: &[u8]) -> Vec<gix::diff::tree::recorder::Change> {
        let hash = gix::hash::Kind::Sha1;
        let mut rec = gix::diff::tree::Recorder::default();
        gix::diff::tree(
            gix::objs::TreeRefIter::from_bytes(old, hash),
            gix::objs::TreeRefIter::from_bytes(new, hash),
            gix::diff::tree::State::default(),
            gix::objs::find::Never,
            &mut rec,
        )
        .unwrap();
        rec.records
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1024))]

        /// Diffing what lies between the common entries gives exactly the whole trees' diff.
        /// Ids are drawn from bytes that look like entry syntax (NUL, space, digits, letters of
        /// the names), so equal byte runs start mid-entry often.
        #[test]
        fn tree_middles_diff_like_whole_trees(
            base in proptest::collection::btree_map("[ab0 ]{1,3}", (0u8..4, proptest::array::uniform20(proptest::sample::select(vec![0u8, b' ', b'0', b'1', b'a', b'b', 6]))), 0..12),
            edits in proptest::collection::vec(("[ab0 ]{1,3}", 0u8..4, proptest::array::uniform20(proptest::sample::select(vec![0u8, b' ', b'0', b'a', 6])), 0u8..3), 0..4),
        ) {
            let mut next = base.clone();
            for (name, mode, id, what) in edits {
                match what {
                    0 => { next.remove(&name); }
                    1 => { next.insert(name, (mode, id)); }
                    _ => if let Some(e) = next.get_mut(&name) { e.1 = id; },
                }
            }
            let (old, new) = (tree_bytes(&base), tree_bytes(&next));
            let (o, n) = differing_middles(&old, &new, 20);
            proptest::prop_assert_eq!(tree_diff(o, n), tree_diff(&old, &new));
            proptest::prop_assert_eq!(tree_diff(n, o), tree_diff(&new, &old));
        }
    }

    #[test]
    fn tree_middles_are_cut_at_entry_boundaries_of_both() {
        use std::collections::BTreeMap;
        let id = |b: u8| [b; 20];
        let base: BTreeMap<String, (u8, [u8; 20])> = [("a", 0, 1), ("b", 0, 2), ("c", 0, 3), ("d", 0, 4)]
            .iter()
            .map(|&(n, m, b)| (n.into(), (m, id(b))))
            .collect();
        let mut next = base.clone();
        next.insert("b".into(), (0, id(9)));
        let (old, new) = (tree_bytes(&base), tree_bytes(&next));
        let (o, n) = differing_middles(&old, &new, 20);
        // Only the changed entry is left on each side.
        assert_eq!((o.len(), n.len()), (29, 29));
        assert_eq!(tree_diff(o, n).len(), 1);
        // Identical trees: nothing to diff. A damaged tree is left whole for the diff to report.
        assert_eq!(differing_middles(&old, &old, 20), (&[][..], &[][..]));
        let damaged = &new[..new.len() - 5];
        assert_eq!(differing_middles(&old, damaged, 20).1.len(), damaged.len() - 29);
    }

    #[test]
    fn a_key_replaced_between_unchanged_markers_is_given_its_markers() {
        let key = |c: char| {
            let body: String = (0..4).map(|i| format!("{}{i}\n", c.to_string().repeat(63))).collect();
            format!(
                "name: deploy\nkey: |\n-----BEGIN RSA PRIVATE KEY-----\n{body}-----END RSA PRIVATE KEY-----\nport: 22\n"
            )
        };
        let (old, new) = (key('A'), key('B'));
        let a = added_lines(oid(), "deploy.yaml", new.as_bytes(), &[old.into_bytes()]);
        assert_eq!(a.lines, vec![3, 4, 5, 6, 7, 8]);
        let text = String::from_utf8(a.text).unwrap();
        assert!(
            text.starts_with("-----BEGIN RSA PRIVATE KEY-----\nBBBB")
                && text.ends_with("-----END RSA PRIVATE KEY-----"),
            "{text}"
        );
        // A change outside the block adds no markers; nor does a block that is not a private key.
        let moved = new.replace("port: 22", "port: 2222");
        let b = added_lines(oid(), "deploy.yaml", moved.as_bytes(), &[new.clone().into_bytes()]);
        assert_eq!((b.text.as_slice(), b.lines.as_slice()), (&b"port: 2222"[..], &[9][..]));
        let cert = |c: &str| format!("-----BEGIN CERTIFICATE-----\n{c}\n-----END CERTIFICATE-----\n");
        let c = added_lines(oid(), "ca.pem", cert("NEW").as_bytes(), &[cert("OLD").into_bytes()]);
        assert_eq!(c.text, b"NEW");
    }

    #[test]
    fn common_ends_are_whole_lines() {
        assert_eq!(common_ends(b"a\nb\nc\n", b"a\nb\nc\nd\n"), (6, 0));
        assert_eq!(common_ends(b"a\nb\nc\n", b"a\nX\nc\n"), (2, 2));
        assert_eq!(common_ends(b"ab\n", b"ac\n"), (0, 0));
        assert_eq!(common_ends(b"x\n", b"x\n"), (2, 0));
        assert_eq!(common_ends(b"", b"new\n"), (0, 0));
        assert_eq!(common_ends(b"a\nb", b"a\nc\nb"), (2, 1));
        assert_eq!(common_ends(b"a\nb\n", b"a\nX\nb\n"), (2, 2));
        // A trimmed diff adds exactly the lines a full diff adds.
        let old = b"fn a() {}\nfn b() {}\nfn c() {}\n";
        let new = b"fn a() {}\nfn b() {}\nlet secret = 1;\nfn c() {}\n";
        let a = added_lines(oid(), "f", new, &[old.to_vec()]);
        assert_eq!((a.text.as_slice(), a.lines.as_slice()), (&b"let secret = 1;"[..], &[3][..]));
    }

    fn oid() -> ObjectId {
        ObjectId::null(gix::hash::Kind::Sha1)
    }

    #[test]
    fn only_added_lines_with_their_numbers() {
        let a = added_lines(oid(), "f", b"one\ntwo\nthree\nfour\n", &[b"one\nthree\n".to_vec()]);
        assert_eq!(a.text, b"two\nfour");
        assert_eq!(a.lines, vec![2, 4]);
        assert_eq!(a.header.as_deref(), Some(&b"one"[..]));
        assert_eq!(a.file_line(2), 4);
    }

    #[test]
    fn a_new_file_is_all_added_and_a_merge_reports_lines_in_no_parent() {
        let a = added_lines(oid(), "f", b"x\ny", &[]);
        assert_eq!((a.text.as_slice(), a.lines.as_slice()), (&b"x\ny"[..], &[1, 2][..]));
        let m = added_lines(oid(), "f", b"a\nb\nresolution\n", &[b"a\n".to_vec(), b"b\n".to_vec()]);
        assert_eq!(m.text, b"resolution");
        assert_eq!(m.lines, vec![3]);
    }

    #[test]
    fn binary_detection() {
        assert!(is_binary(b"PK\x03\x04\0\0"));
        assert!(!is_binary(b"plain text"));
    }
}
