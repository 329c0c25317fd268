//! When work goes to rayon's pool. A hook checking a one-commit push has one or two pieces of
//! each kind of work (a commit, a tree diff, a file, a text); handing them to the pool costs more
//! than doing them: the pool starts its threads on first use, and on a 2-vCPU VM a thread woken
//! on the other vCPU starts 0.1–0.7 ms later (measured), on a hook that takes ≈ 4 ms in all.
//! Work this small runs on the calling thread and the pool is never started.

/// Fewer items than this run on the calling thread.
pub const MIN_ITEMS: usize = 4;

/// Fewer bytes of text to scan than this are scanned on the calling thread (≈ 0.3 ms of scanning).
pub const MIN_BYTES: usize = 256 << 10;

/// Is a parallel loop over `items` pieces of work worth rayon's pool?
pub fn worth_it(items: usize) -> bool {
    items >= MIN_ITEMS
}

/// Is scanning `items` texts of `bytes` bytes in all worth rayon's pool?
pub fn worth_it_to_scan(items: usize, bytes: usize) -> bool {
    items >= 2 && bytes >= MIN_BYTES
}
