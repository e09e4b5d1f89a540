//! The `outpost` binary.

// sled copies tree nodes on write; mimalloc makes those many small allocations cheap.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    allocator::lean();
    outpost::tuning::on_churn(allocator::churn);
    std::process::exit(outpost::cli::main());
}

/// mimalloc tuned for a laptop's memory (issue 13: 150 MB at 100k records). It is built
/// without transparent huge pages (Cargo feature `no_thp`: each touched 4 KB would be
/// 2 MB of resident memory), and here told to give freed memory back to the system at
/// once instead of a second later. Together they took `export contact` at 100k records
/// from 215 to 158 MB and `report activity` from 271 to 187 MB, at no measurable cost in
/// time. A long write keeps freed memory a little (`churn`): it frees and allocates
/// sled's node copies all the time, and giving each page back at once and faulting it in
/// again kept a restore 6 of its 25 s of CPU in the kernel (2 s with a 100 ms delay).
/// - restore, import, demo: 100 ms. At 100k records: `restore` 15.1-16.2 -> 11.8-13.5 s
///   (peak 110-141 -> 124-142 MB), `import` of 100k rows 5.9-6.1 -> 4.3-4.7 s (93 ->
///   112-114 MB).
/// - `outpost sync`: 25 ms (100 ms took a first pull to 142-153 MB). A first push of
///   409k records 43.3-45.5 -> 39.8-40.9 s (103-110 -> 120-122 MB), the first pull into
///   an empty laptop 23.6-25.2 -> 22.5-23.2 s (108-118 -> 112-124 MB).
/// - `outpost serve`: 100 ms for as long as it runs. Measured together with its page
///   cache of 64 MB instead of 24: the server's CPU over a first push of 409k records
///   25.9 -> 20.9 s, its peak over a push and a pull 120-131 -> 211-216 MB (300 MB
///   budget).
///
/// The TUI (its syncs included) and the other commands keep the lean setting; a command
/// the open TUI runs for another process goes back to it when it ends. The only unsafe
/// code of the crate: calls into C.
#[allow(unsafe_code)]
mod allocator {
    use std::ffi::{c_int, c_long};
    use std::sync::atomic::{AtomicBool, Ordering};

    unsafe extern "C" {
        fn mi_option_get(option: c_int) -> c_long;
        fn mi_option_set(option: c_int, value: c_long);
    }

    /// `mi_option_purge_delay` in mimalloc 3 (libmimalloc-sys 0.1.49 has no name for it).
    const PURGE_DELAY: c_int = 15;
    /// mimalloc 3's default purge delay, in milliseconds.
    const DEFAULT_PURGE_DELAY: c_long = 1000;
    /// The purge delay of a long bulk write and of a sync, in milliseconds.
    const BULK_PURGE_DELAY: c_long = 100;
    const SYNC_PURGE_DELAY: c_long = 25;

    /// Whether [`lean`] set the purge delay (so [`churn`] may change it again).
    static LEAN: AtomicBool = AtomicBool::new(false);

    pub fn lean() {
        // SAFETY: mimalloc's option calls are thread-safe and take plain integers.
        unsafe {
            // Only the option we know, at its default: a MIMALLOC_PURGE_DELAY set by the
            // user, or another numbering in a later mimalloc, is left alone.
            if mi_option_get(PURGE_DELAY) == DEFAULT_PURGE_DELAY {
                mi_option_set(PURGE_DELAY, 0);
                LEAN.store(true, Ordering::Relaxed);
            }
        }
    }

    /// A long write starts (`Some`), or the lean setting comes back (`None`: a long
    /// write ended, for a command the open TUI ran for another process, or a stretch of
    /// one asks for it, `tuning::lean`).
    pub fn churn(kind: Option<outpost::tuning::Churn>) {
        let delay = match kind {
            Some(outpost::tuning::Churn::Bulk) => BULK_PURGE_DELAY,
            Some(outpost::tuning::Churn::Sync) => SYNC_PURGE_DELAY,
            None => 0,
        };
        if LEAN.load(Ordering::Relaxed) {
            // SAFETY: as in `lean`; mimalloc reads the option each time it purges.
            unsafe { mi_option_set(PURGE_DELAY, delay) }
        }
    }
}
