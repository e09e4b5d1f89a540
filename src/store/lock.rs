//! sled's lock on its directory, let go of for certain.
//!
//! sled locks the file `db` in its directory while open, and drops its last handle to
//! that file on a background thread a moment after the `Db` is dropped. A database
//! opened again at once in the same process (a test, the snapshot after a big write, a
//! server restarted in place) could find itself locked by its own past. Whatever holds
//! a `Db` holds a [`ReleasedOnDrop`] after it, and is then let go of when it drops.

use std::path::{Path, PathBuf};

use fs2::FileExt;
use std::time::Duration;

/// How long a wait for sled's background threads lasts at most.
const LONGEST_WAIT: Duration = Duration::from_secs(2);

/// Waits, when dropped, until sled has let go of the database in its directory: put it
/// after the `Db` and its trees (fields drop in order).
#[derive(Debug)]
pub struct ReleasedOnDrop {
    sled_dir: PathBuf,
}

impl ReleasedOnDrop {
    /// For the sled database in `sled_dir`.
    #[must_use]
    pub fn new(sled_dir: &Path) -> Self {
        Self {
            sled_dir: sled_dir.to_path_buf(),
        }
    }
}

impl Drop for ReleasedOnDrop {
    fn drop(&mut self) {
        wait_until_released(&self.sled_dir);
    }
}

/// Waits until no handle holds the lock of the sled database in `sled_dir`: at once when
/// nothing does, after [`LONGEST_WAIT`] whatever happens. It takes the lock for an
/// instant to know, so call it only once this process's own `Db` is dropped.
pub fn wait_until_released(sled_dir: &Path) {
    let Ok(file) = std::fs::File::open(sled_dir.join("db")) else {
        return;
    };
    let start = std::time::Instant::now();
    loop {
        match file.try_lock_exclusive() {
            Ok(()) => {
                let _ = FileExt::unlock(&file);
                return;
            }
            // fs2's own test for "held by another handle" (EWOULDBLOCK here).
            Err(e)
                if e.raw_os_error() == fs2::lock_contended_error().raw_os_error() && start.elapsed() < LONGEST_WAIT =>
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lock held by another handle is waited for, and one let go of ends the wait.
    #[test]
    fn the_wait_lasts_while_another_handle_holds_the_lock() {
        let dir = tempfile::tempdir().expect("dir");
        let holder = std::fs::File::create(dir.path().join("db")).expect("db");
        holder.lock_exclusive().expect("lock");
        let start = std::time::Instant::now();
        std::thread::scope(|scope| {
            scope.spawn(|| {
                std::thread::sleep(Duration::from_millis(200));
                drop(holder);
            });
            wait_until_released(dir.path());
        });
        assert!(start.elapsed() >= Duration::from_millis(200), "waited for the holder");
        // Nothing to wait for: no database, or one nobody holds.
        wait_until_released(&dir.path().join("absent"));
        std::fs::File::open(dir.path().join("db"))
            .expect("db")
            .try_lock_exclusive()
            .expect("free");
    }
}
