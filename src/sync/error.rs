//! What can go wrong while syncing, each message saying what to do next.

use crate::store::StoreError;

/// A sync failure. Nothing is half-applied: pages and acknowledgements are atomic.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// No server or token configured.
    #[error(
        "not logged in to a sync server; run `outpost sync login --server URL --token TOKEN` (or set OUTPOST_SERVER and OUTPOST_TOKEN)"
    )]
    NotLoggedIn,
    /// The server could not be reached.
    #[error(
        "cannot reach the sync server at {server}: {detail}; check the URL and your network, then run the command again (nothing was lost)"
    )]
    Unreachable {
        /// Server URL.
        server: String,
        /// What failed.
        detail: String,
    },
    /// The token was refused.
    #[error("the server at {server} refused the token: {message}")]
    Unauthorized {
        /// Server URL.
        server: String,
        /// The server's message.
        message: String,
    },
    /// The store is bound to another server.
    #[error(
        "this data dir syncs with server {expected}, but {server} is server {found}; \
         log in to the right server, or use a new --data-dir for this one"
    )]
    WrongServer {
        /// Server id the store is bound to.
        expected: String,
        /// Server id found.
        found: String,
        /// Server URL.
        server: String,
    },
    /// The store syncs as another user.
    #[error(
        "this data dir syncs as user '{expected}', but the token is for '{found}'; log in as '{expected}', or use a new --data-dir"
    )]
    WrongUser {
        /// User the store syncs as.
        expected: String,
        /// User of the token.
        found: String,
    },
    /// The server refused the request.
    #[error("the server refused the request ({status} {code}): {message}")]
    Rejected {
        /// HTTP status.
        status: u16,
        /// Error code.
        code: String,
        /// The server's message.
        message: String,
    },
    /// The server's answer made no sense.
    #[error("unexpected answer from the sync server: {0}; is the URL an outpost server of the same version?")]
    Protocol(String),
    /// The local store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The store holds `outpost demo` data and the user did not ask to push it.
    #[error("{0}")]
    DemoData(String),
    /// This laptop's clock is far ahead of the server's: what it writes would be refused.
    #[error("{0}")]
    ClockAhead(String),
    /// The login file could not be read or written.
    #[error("{0}")]
    Config(String),
}
