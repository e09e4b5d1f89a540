//! Use cases shared by the CLI and the TUI: create, edit, remove, move a deal, convert a
//! lead, log an activity, import, export, backup, demo. Neither front end talks to sled.

pub mod calendar;
pub mod config;
pub mod conflicts;
pub mod dashboard;
pub mod demo;
pub mod export;
pub mod form;
pub mod ical;
pub mod import;
pub mod input;
pub mod kinds;
pub mod ops;
pub mod orders;
pub mod owners;
pub mod pdf;
pub mod queries;
pub mod quote_sync;
pub mod quotes;
pub mod render;
pub mod report;
pub mod resolve;
pub mod revert;
pub mod search;
pub mod session;
pub mod spec;
pub mod territory;
pub mod texts;
pub mod vcard;
pub mod view;

use std::path::{Path, PathBuf};

pub use crate::protocol::contentline;
pub use config::Config;
pub use ops::ConvertOptions;

use crate::model::WallClock;
use crate::model::validate::Invalid;
use crate::store::{Store, StoreError};

/// Errors of the use cases. Each maps to a documented exit code.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input that is not valid (a field, a file); nothing was changed. Exit 3.
    #[error("{0}")]
    Invalid(String),
    /// A record breaks a rule of its kind (`field` is its JSON name); nothing was
    /// written. Exit 3. Front ends add their hint: the CLI the flag, the TUI marks the
    /// form field.
    #[error("{}", field_text(.kind.as_ref(), .title, .field, .reason))]
    Field {
        /// The record's kind, when known.
        kind: Option<crate::model::EntityKind>,
        /// The record's name or id ("" when unknown).
        title: String,
        /// The field, by JSON name.
        field: String,
        /// What is wrong and what to do.
        reason: String,
    },
    /// A REF names nothing. Exit 4.
    #[error("{0}")]
    NotFound(String),
    /// A REF names several records. Exit 4.
    #[error("{0}")]
    Ambiguous(String),
    /// The store failed. Exit 1.
    #[error(transparent)]
    Store(StoreError),
    /// Syncing failed (server, network, login). Exit 1.
    #[error(transparent)]
    Sync(crate::sync::SyncError),
    /// A file could not be read or written. Exit 1.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error (in the message, not a `source`: the CLI prints the chain, and
        /// would print it twice).
        error: std::io::Error,
    },
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid {
                kind, title, source, ..
            } => Self::Field {
                kind: Some(kind),
                title,
                field: source.field,
                reason: source.message,
            },
            StoreError::State { message, .. } => Self::Invalid(message),
            // Typed refusals (in the trash, missing, ...) stay typed so each front end
            // can add its own hint; they keep exit code 3 (see `exit_code`).
            other => Self::Store(other),
        }
    }
}

impl From<Invalid> for AppError {
    fn from(e: Invalid) -> Self {
        Self::Field {
            kind: None,
            title: String::new(),
            field: e.field,
            reason: e.message,
        }
    }
}

fn field_text(kind: Option<&crate::model::EntityKind>, title: &str, field: &str, reason: &str) -> String {
    match kind {
        Some(k) => format!("{k} {title}: {field}: {reason}"),
        None => format!("{field}: {reason}"),
    }
}

impl AppError {
    /// The process exit code for this error (see README "Exit codes").
    #[must_use]
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::Invalid(_) | Self::Field { .. } => 3,
            Self::Store(e) if e.is_refusal() => 3,
            Self::NotFound(_) | Self::Ambiguous(_) => 4,
            Self::Store(_) | Self::Sync(_) | Self::Io { .. } => 1,
        }
    }

    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            error: source,
        }
    }
}

/// The open application: the store plus configuration.
pub struct App {
    /// The local store. Writes go through [`Store::commit`] only; the front ends reach it
    /// through `app` queries and commands, never directly.
    store: Store,
    /// Settings (pipeline stages, default currency, owner).
    pub config: Config,
    /// The known users, with the state they were read at (see [`App::owner_directory`]).
    owners: std::sync::Mutex<Option<(OwnersKey, std::sync::Arc<owners::Directory>)>>,
}

/// What the cached user list depends on: the count of User records and the sync cursor.
type OwnersKey = (usize, Option<String>);

impl App {
    /// The users this replica knows, read again only after a sync or a change in the
    /// number of User records (imports resolve an owner per row).
    pub fn owner_directory(&self) -> Result<std::sync::Arc<owners::Directory>, AppError> {
        let key = (
            self.store.count(crate::model::EntityKind::User),
            self.store.meta(crate::store::meta::K_CURSOR)?,
        );
        if let Ok(cache) = self.owners.lock()
            && let Some((k, d)) = cache.as_ref()
            && *k == key
        {
            return Ok(std::sync::Arc::clone(d));
        }
        let dir = std::sync::Arc::new(owners::Directory::load(&self.store)?);
        if let Ok(mut cache) = self.owners.lock() {
            *cache = Some((key, std::sync::Arc::clone(&dir)));
        }
        Ok(dir)
    }

    /// Opens the store in `data_dir` with its configuration, on the system clock.
    pub fn open(data_dir: &Path) -> Result<Self, AppError> {
        Self::open_with_clock(data_dir, WallClock::system())
    }

    /// Whether this session wrote enough that the next open would replay a long log:
    /// then [`App::settle`] after dropping it (the CLI does, after any command).
    #[must_use]
    pub fn wrote_much(&self) -> bool {
        const SETTLE_AFTER_BYTES: u64 = 16 * 1024 * 1024;
        self.store.grown() > SETTLE_AFTER_BYTES
    }

    /// Opens and closes the store in `data_dir` so its next open is quick
    /// ([`Store::settle`]).
    pub fn settle(data_dir: &Path) -> Result<(), AppError> {
        Ok(Store::settle(data_dir)?)
    }

    /// [`App::open`] with the clock every write takes its time from (tests and the TUI
    /// harness pass theirs; see [`App::clock`]).
    pub fn open_with_clock(data_dir: &Path, clock: WallClock) -> Result<Self, AppError> {
        let mut config = Config::load(data_dir)?;
        let mut store = Store::open_with_clock(data_dir, clock)?;
        // Once logged in to a sync server, new records belong to that user.
        if let Some(user) = crate::sync::default_owner(&store) {
            config.owner = Some(user);
        }
        store.set_context(crate::model::entity::Context {
            pipeline: config.pipeline.clone(),
            user: config.owner.clone(),
            ..Default::default()
        });
        let app = Self {
            store,
            config,
            owners: std::sync::Mutex::new(None),
        };
        if let Some(note) = app.recover_interrupted_import()? {
            eprintln!("note: {note}");
        }
        Ok(app)
    }

    /// The store, for tests and benchmarks that set up or inspect what no use case
    /// offers (raw commits, the outbox, applied remote pages). Not for front ends.
    #[doc(hidden)]
    #[must_use]
    pub fn store_for_tests(&self) -> &Store {
        &self.store
    }

    /// The one clock: the time of every write, and "now" for the front ends.
    #[must_use]
    pub fn clock(&self) -> &WallClock {
        self.store.clock()
    }
}
