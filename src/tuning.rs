//! What the binary tunes for a long write whose memory churns for seconds. The library
//! says when one starts and ends ([`churn`], and the guard it returns); the binary, which
//! owns the allocator, says what that changes ([`on_churn`]). Tests and other users of
//! the library register nothing, and nothing changes for them.

use std::sync::OnceLock;

/// A long write: it frees and allocates sled's node copies all the time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Churn {
    /// A restore, a big import, the demo: one process writing as fast as it can. And
    /// `outpost serve`, which applies pushes for as long as it runs.
    Bulk,
    /// The `sync` command (not the TUI's own sync): writes paced by the network and the
    /// server beside them, with the pages of a pull or a push in memory.
    Sync,
}

/// What the binary does when a long write starts (`Some`) and when it ends (`None`).
static HOOK: OnceLock<fn(Option<Churn>)> = OnceLock::new();

/// Registers what to do when a long write starts and ends (once; later calls are
/// ignored).
pub fn on_churn(hook: fn(Option<Churn>)) {
    let _ = HOOK.set(hook);
}

thread_local! {
    /// The setting this thread put in force: the kind of its innermost long write,
    /// `None` when lean. Guards nest on the thread that made them; the allocator's
    /// setting is the process's, and the last one set wins.
    static CURRENT: std::cell::Cell<Option<Churn>> = const { std::cell::Cell::new(None) };
}

/// The setting in force.
#[cfg(test)]
fn current() -> Option<Churn> {
    CURRENT.get()
}

/// Puts `kind` in force and tells the hook; returns what was in force before.
fn set(kind: Option<Churn>) -> Option<Churn> {
    let before = CURRENT.replace(kind);
    if let Some(hook) = HOOK.get() {
        hook(kind);
    }
    before
}

/// A long write under way (or a lean stretch inside one, [`lean`]); when this is
/// dropped, the setting in force before it comes back. A command the open TUI runs for
/// another process (`outpost import` beside the TUI) ends so, and the TUI goes back to
/// its own setting.
#[must_use = "the long write ends when this is dropped"]
#[derive(Debug)]
pub struct Churning {
    before: Option<Churn>,
}

impl Drop for Churning {
    fn drop(&mut self) {
        set(self.before);
    }
}

/// Says that a long write of kind `kind` starts in this process, until the returned
/// guard drops: the binary trades a little memory for time meanwhile.
pub fn churn(kind: Churn) -> Churning {
    Churning {
        before: set(Some(kind)),
    }
}

/// Says that, until the returned guard drops, memory is to be given back at once even
/// inside a long write: a stretch whose churn holds more than it saves (filling the
/// indexes after a first pull: 143 MB with `Sync`'s delay, 117 MB without, in the same
/// time).
pub fn lean() -> Churning {
    Churning { before: set(None) }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::Churn;

    static BULK: AtomicUsize = AtomicUsize::new(0);
    static SYNC: AtomicUsize = AtomicUsize::new(0);
    static ENDED: AtomicUsize = AtomicUsize::new(0);

    fn count(kind: Option<Churn>) {
        match kind {
            Some(Churn::Bulk) => BULK.fetch_add(1, Ordering::Relaxed),
            Some(Churn::Sync) => SYNC.fetch_add(1, Ordering::Relaxed),
            None => ENDED.fetch_add(1, Ordering::Relaxed),
        };
    }

    /// The registered hook runs when a long write starts, told its kind, and when its
    /// guard drops; a second registration is ignored.
    #[test]
    fn a_long_write_runs_the_registered_hook_at_its_start_and_end() {
        fn other(_: Option<Churn>) {
            BULK.fetch_add(1_000, Ordering::Relaxed);
        }
        super::on_churn(count);
        super::on_churn(other);
        let (bulk, sync) = (BULK.load(Ordering::Relaxed), SYNC.load(Ordering::Relaxed));
        let ended = ENDED.load(Ordering::Relaxed);
        {
            let _a = super::churn(Churn::Bulk);
            let _b = super::churn(Churn::Bulk);
            let _c = super::churn(Churn::Sync);
            {
                let _d = super::lean();
                assert_eq!(super::current(), None);
            }
            assert_eq!(super::current(), Some(Churn::Sync), "what was in force comes back");
        }
        // Other tests in this binary may write in bulk meanwhile: each adds 1.
        let added = BULK.load(Ordering::Relaxed) - bulk;
        assert!((2..1_000).contains(&added), "{added}");
        assert!(SYNC.load(Ordering::Relaxed) > sync);
        assert!(ENDED.load(Ordering::Relaxed) - ended >= 2);
        assert_eq!(super::current(), None);
    }
}
