//! Sync: the merge core (pure), the wire protocol shared with the server, the HTTP
//! client, the login file, and the procedure `outpost sync` runs (push the outbox in
//! batches, then pull pages until caught up, each page applied with its cursor in one
//! store transaction).

pub mod adopt;
pub mod client;
pub mod conflicts;
pub mod engine;
pub mod error;
pub mod login;

/// Moved to [`crate::protocol`]; re-exported so `sync::merge` and `sync::wire` keep
/// working for code written before the move.
pub use crate::protocol::{merge, wire};
pub use error::SyncError;
pub use login::default_owner;
