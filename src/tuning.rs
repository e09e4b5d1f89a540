//! What the binary tunes for a long bulk write. The library says when one starts
//! ([`bulk_write`]); the binary, which owns the allocator, says what that changes
//! ([`on_bulk_write`]). Tests and other users of the library register nothing, and
//! nothing changes for them.

use std::sync::OnceLock;

static HOOK: OnceLock<fn()> = OnceLock::new();

/// Registers what to do when a long bulk write starts (once; later calls are ignored).
pub fn on_bulk_write(hook: fn()) {
    let _ = HOOK.set(hook);
}

/// Says that a long bulk write starts in this process (a restore, a big import, the
/// demo): its memory churns for seconds, and the binary trades a little of it for time.
pub fn bulk_write() {
    if let Some(hook) = HOOK.get() {
        hook();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    static CALLED: AtomicUsize = AtomicUsize::new(0);

    fn count() {
        CALLED.fetch_add(1, Ordering::Relaxed);
    }

    /// The registered hook runs at each bulk write; a second registration is ignored.
    #[test]
    fn a_bulk_write_runs_the_registered_hook() {
        fn other() {
            CALLED.fetch_add(1_000, Ordering::Relaxed);
        }
        super::on_bulk_write(count);
        super::on_bulk_write(other);
        let before = CALLED.load(Ordering::Relaxed);
        super::bulk_write();
        super::bulk_write();
        // Other tests in this binary may write in bulk meanwhile: each adds 1.
        let added = CALLED.load(Ordering::Relaxed) - before;
        assert!((2..1_000).contains(&added), "{added}");
    }
}
