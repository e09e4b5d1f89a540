use std::path::{Path, PathBuf};

use crate::model::validate::Invalid;
use crate::model::{EntityKind, Id};

/// Everything that can go wrong in the store. The texts say what is wrong in the store's
/// words, without command or flag names: each front end adds its own hint where it
/// reports the error (the CLI in `cli::hint`).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A record failed validation; nothing was written.
    #[error("{kind} {title}: {source}")]
    Invalid {
        /// Which mutation of the batch (0-based).
        index: usize,
        /// The record's kind.
        kind: EntityKind,
        /// The record's name or id.
        title: String,
        /// What is wrong.
        source: Invalid,
    },
    /// The mutation does not fit the state of the store (other cases than the ones below).
    #[error("{message}")]
    State {
        /// Which mutation of the batch (0-based).
        index: usize,
        /// What is wrong.
        message: String,
    },
    /// A record the mutation needs does not exist. `field` is set when the record is
    /// the target of one of the record's links.
    #[error("{}no {kind} with id {id}", prefix(field.as_deref()))]
    Missing {
        /// Which mutation of the batch (0-based).
        index: usize,
        /// The missing record's kind.
        kind: EntityKind,
        /// Its id.
        id: Id,
        /// The link field that names it, if any.
        field: Option<String>,
    },
    /// A record the mutation needs (or edits) is in the trash.
    #[error("{}{kind} {id} is in the trash; restore it first", prefix(field.as_deref()))]
    InTrash {
        /// Which mutation of the batch (0-based).
        index: usize,
        /// The trashed record's kind.
        kind: EntityKind,
        /// Its id.
        id: Id,
        /// The link field that names it, if any.
        field: Option<String>,
    },
    /// A delete of a record already in the trash.
    #[error("{kind} {id} is already in the trash")]
    AlreadyInTrash {
        /// Which mutation of the batch (0-based).
        index: usize,
        /// The record's kind.
        kind: EntityKind,
        /// Its id.
        id: Id,
    },
    /// A restore of a record that is not in the trash.
    #[error("{kind} {id} is not in the trash")]
    NotInTrash {
        /// Which mutation of the batch (0-based).
        index: usize,
        /// The record's kind.
        kind: EntityKind,
        /// Its id.
        id: Id,
    },
    /// A create of an id that is taken.
    #[error("{kind} {id} already exists")]
    Exists {
        /// Which mutation of the batch (0-based).
        index: usize,
        /// The record's kind.
        kind: EntityKind,
        /// Its id.
        id: Id,
    },
    /// A conflict to settle does not exist.
    #[error("no conflict with id {id}")]
    NoConflict {
        /// The id asked for.
        id: String,
    },
    /// A conflict to settle is already resolved.
    #[error("conflict {id} is already resolved ({how})")]
    AlreadyResolved {
        /// The conflict id.
        id: String,
        /// How it was resolved.
        how: String,
    },
    /// A restore into a store that already holds data.
    #[error("the store at {} is not empty; restore into a new data directory", path.display())]
    NotEmpty {
        /// The store directory.
        path: PathBuf,
    },
    /// The store was written by a newer outpost.
    #[error(
        "the store at {path} has schema version {found}, newer than this outpost understands \
         (up to {supported}); install a newer outpost, or restore a backup"
    )]
    TooNew {
        /// The store directory.
        path: PathBuf,
        /// Version found.
        found: u32,
        /// Highest version this build reads.
        supported: u32,
    },
    /// Another process holds the store.
    #[error(
        "the store at {path} is in use by another outpost process (a TUI or a sync?); \
         close it and try again"
    )]
    Locked {
        /// The store directory.
        path: PathBuf,
    },
    /// A stored value could not be read.
    #[error("corrupt data in the store: {0}; check the store, and restore a backup if the check fails")]
    Corrupt(String),
    /// A file could not be read or written.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error (in the message, not a `source`: the CLI prints the chain, and
        /// would print it twice).
        error: std::io::Error,
    },
    /// sled failed (disk full, I/O error).
    #[error("the store could not be written or read: {0} (is the disk full or read-only?)")]
    Sled(#[from] sled::Error),
}

impl StoreError {
    pub(crate) fn open(dir: &Path, e: sled::Error) -> Self {
        match &e {
            sled::Error::Io(io) if io.kind() == std::io::ErrorKind::WouldBlock || io.to_string().contains("lock") => {
                Self::Locked {
                    path: dir.to_path_buf(),
                }
            }
            _ => Self::Sled(e),
        }
    }

    /// Which mutation of a batch failed, if the error is about one.
    #[must_use]
    pub fn mutation_index(&self) -> Option<usize> {
        match self {
            Self::Invalid { index, .. }
            | Self::State { index, .. }
            | Self::Missing { index, .. }
            | Self::InTrash { index, .. }
            | Self::AlreadyInTrash { index, .. }
            | Self::NotInTrash { index, .. }
            | Self::Exists { index, .. } => Some(*index),
            _ => None,
        }
    }

    /// Whether the store refused the request because it does not fit what the store
    /// holds (nothing was written; invalid data, exit 3), as opposed to a failure of
    /// the store itself.
    #[must_use]
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            Self::State { .. }
                | Self::Missing { .. }
                | Self::InTrash { .. }
                | Self::AlreadyInTrash { .. }
                | Self::NotInTrash { .. }
                | Self::Exists { .. }
                | Self::NoConflict { .. }
                | Self::AlreadyResolved { .. }
                | Self::NotEmpty { .. }
        )
    }

    pub(crate) fn missing(index: usize, kind: EntityKind, id: Id) -> Self {
        Self::Missing {
            index,
            kind,
            id,
            field: None,
        }
    }

    pub(crate) fn in_trash(index: usize, kind: EntityKind, id: Id) -> Self {
        Self::InTrash {
            index,
            kind,
            id,
            field: None,
        }
    }
}

fn prefix(field: Option<&str>) -> String {
    field.map(|f| format!("{f}: ")).unwrap_or_default()
}
