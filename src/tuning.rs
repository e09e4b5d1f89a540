//! What the binary tunes for a long write whose memory churns for seconds. The library
//! says when one starts ([`churn`]); the binary, which owns the allocator, says what that
//! changes ([`on_churn`]). Tests and other users of the library register nothing, and
//! nothing changes for them.

use std::sync::OnceLock;

/// A long write: it frees and allocates sled's node copies all the time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Churn {
    /// A restore, a big import, the demo: one process writing as fast as it can.
    Bulk,
    /// `outpost sync` (the command, not the TUI's sync): writes paced by the network
    /// and the server beside them, with the pages of a pull or a push in memory.
    Sync,
}

static HOOK: OnceLock<fn(Churn)> = OnceLock::new();

/// Registers what to do when a long write starts (once; later calls are ignored).
pub fn on_churn(hook: fn(Churn)) {
    let _ = HOOK.set(hook);
}

/// Says that a long write of kind `kind` starts in this process: the binary trades a
/// little memory for time.
pub fn churn(kind: Churn) {
    if let Some(hook) = HOOK.get() {
        hook(kind);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::Churn;

    static BULK: AtomicUsize = AtomicUsize::new(0);
    static SYNC: AtomicUsize = AtomicUsize::new(0);

    fn count(kind: Churn) {
        match kind {
            Churn::Bulk => BULK.fetch_add(1, Ordering::Relaxed),
            Churn::Sync => SYNC.fetch_add(1, Ordering::Relaxed),
        };
    }

    /// The registered hook runs at each long write, told its kind; a second
    /// registration is ignored.
    #[test]
    fn a_long_write_runs_the_registered_hook_with_its_kind() {
        fn other(_: Churn) {
            BULK.fetch_add(1_000, Ordering::Relaxed);
        }
        super::on_churn(count);
        super::on_churn(other);
        let (bulk, sync) = (BULK.load(Ordering::Relaxed), SYNC.load(Ordering::Relaxed));
        super::churn(Churn::Bulk);
        super::churn(Churn::Bulk);
        super::churn(Churn::Sync);
        // Other tests in this binary may write in bulk meanwhile: each adds 1.
        let added = BULK.load(Ordering::Relaxed) - bulk;
        assert!((2..1_000).contains(&added), "{added}");
        assert!(SYNC.load(Ordering::Relaxed) > sync);
    }
}
