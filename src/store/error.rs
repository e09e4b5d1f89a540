use std::path::{Path, PathBuf};

use crate::model::validate::Invalid;
use crate::model::{EntityKind, Id};

/// Everything that can go wrong in the store, each saying what to do next.
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
    /// The mutation does not fit the record's state (missing, deleted, exists).
    #[error("{message}")]
    State {
        /// Which mutation of the batch (0-based).
        index: usize,
        /// What is wrong and what to do.
        message: String,
    },
    /// The store was written by a newer outpost.
    #[error(
        "the store at {path} has schema version {found}, newer than this outpost understands \
         (up to {supported}); install a newer outpost, or restore a backup made with `outpost backup`"
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
    #[error("corrupt data in the store: {0}; run `outpost check`, and restore a backup if it fails")]
    Corrupt(String),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
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

    pub(crate) fn state(index: usize, message: impl Into<String>) -> Self {
        Self::State {
            index,
            message: message.into(),
        }
    }

    /// Which mutation of a batch failed, if the error is about one.
    #[must_use]
    pub fn mutation_index(&self) -> Option<usize> {
        match self {
            Self::Invalid { index, .. } | Self::State { index, .. } => Some(*index),
            _ => None,
        }
    }

    pub(crate) fn missing(index: usize, kind: EntityKind, id: Id) -> Self {
        Self::state(index, format!("no {kind} with id {id}"))
    }
}
