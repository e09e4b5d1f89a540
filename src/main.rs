//! The `outpost` binary.

// sled copies tree nodes on write; mimalloc makes those many small allocations cheap.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    allocator::lean();
    std::process::exit(outpost::cli::main());
}

/// mimalloc tuned for a laptop's memory (issue 13: 150 MB at 100k records). By default it
/// keeps freed memory for a second before giving it back, and asks for transparent huge
/// pages, which turn every touched 4 KB into 2 MB of resident memory. Both together made
/// `export contact` at 100k peak at 215 MB instead of 157 MB, for no measurable speed.
/// The only unsafe code of the crate: two calls into C, made before any thread starts.
#[allow(unsafe_code)]
mod allocator {
    use std::ffi::{c_int, c_long};

    unsafe extern "C" {
        fn mi_option_get(option: c_int) -> c_long;
        fn mi_option_set(option: c_int, value: c_long);
    }

    /// `mi_option_purge_delay` in mimalloc 3 (libmimalloc-sys 0.1.49 has no name for it).
    const PURGE_DELAY: c_int = 15;
    /// mimalloc 3's default purge delay, in milliseconds.
    const DEFAULT_PURGE_DELAY: c_long = 1000;

    pub fn lean() {
        // SAFETY: mimalloc's option calls are thread-safe and take plain integers.
        unsafe {
            // Only the option we know, at its default: a MIMALLOC_PURGE_DELAY set by the
            // user, or another numbering in a later mimalloc, is left alone.
            if mi_option_get(PURGE_DELAY) == DEFAULT_PURGE_DELAY {
                mi_option_set(PURGE_DELAY, 0);
            }
        }
        no_huge_pages();
    }

    #[cfg(target_os = "linux")]
    fn no_huge_pages() {
        unsafe extern "C" {
            fn prctl(option: c_int, ...) -> c_int;
        }
        const PR_SET_THP_DISABLE: c_int = 41;
        // SAFETY: PR_SET_THP_DISABLE takes one integer flag and only sets a process flag.
        // A failure (an old kernel) leaves the default, which is only more memory.
        unsafe {
            prctl(
                PR_SET_THP_DISABLE,
                1 as std::ffi::c_ulong,
                0 as std::ffi::c_ulong,
                0 as std::ffi::c_ulong,
                0 as std::ffi::c_ulong,
            );
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn no_huge_pages() {}
}
