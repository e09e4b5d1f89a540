//! The sync session as use cases: log in (check the server, adopt work done before the
//! first login, save the login), log out, sync, and the sync status. The CLI prints what
//! these return; it does not touch the store.

use std::path::PathBuf;

use super::{App, AppError};
use crate::store::{ConflictKind, SyncState};
use crate::sync::client::{Api, HttpApi};
use crate::sync::engine::{self, Options, Progress, Report};
use crate::sync::wire::WhoAmI;
use crate::sync::{SyncError, adopt, conflicts, login};

/// What a login did.
#[derive(Debug)]
pub struct LoggedIn {
    /// The server URL, tidied.
    pub server: String,
    /// Who the token belongs to.
    pub who: WhoAmI,
    /// Where the login was saved.
    pub path: PathBuf,
    /// Records made before this login and now owned by the user.
    pub adopted: usize,
}

/// Where syncing stands.
#[derive(Debug)]
pub struct SyncStatus {
    /// The server logged in to.
    pub server: Option<String>,
    /// The user synced as.
    pub user: Option<String>,
    /// Cursor, acknowledged sequence, server id and last sync.
    pub state: SyncState,
    /// Changes waiting to be sent.
    pub pending: usize,
    /// Open conflicts.
    pub open_conflicts: usize,
    /// Of those, refused by the server.
    pub refused: usize,
    /// Records the server refused and does not hold.
    pub held: usize,
    /// Open conflicts of kind `held` (one per held record, trashed ones included).
    pub held_open: usize,
}

/// What `outpost sync feed` asks of the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeedAction {
    /// The feed's URL (made when there is none yet).
    Show,
    /// A new secret: the old URL stops answering.
    Rotate,
    /// No feed: its URL stops answering.
    Revoke,
}

/// The calendar feed after a [`FeedAction`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Feed {
    /// The URL a calendar app subscribes to (`None` after a revoke).
    pub url: Option<String>,
    /// A new secret was made (the first time, or a rotate).
    pub created: bool,
    /// A revoke found a feed to revoke.
    pub revoked: bool,
}

impl From<SyncError> for AppError {
    fn from(e: SyncError) -> Self {
        match e {
            SyncError::DemoData(m) => Self::Invalid(m),
            other => Self::Sync(other),
        }
    }
}

impl App {
    /// Logs this data dir in to `server` with `token`: checks the server and the
    /// identity before anything is written, refuses a store holding demo data unless
    /// `keep_demo`, adopts work done before the first login, saves the login. Plain
    /// `http://` to a host that is not loopback is refused unless `insecure_http`;
    /// `ca_cert` is a private CA trusted besides the system roots.
    pub fn login(
        &self,
        server: &str,
        token: &str,
        keep_demo: bool,
        ca_cert: Option<&std::path::Path>,
        insecure_http: bool,
    ) -> Result<LoggedIn, AppError> {
        let store = &self.store;
        let server = server.trim().trim_end_matches('/');
        if !(server.starts_with("http://") || server.starts_with("https://")) {
            return Err(AppError::Invalid(format!(
                "'{server}' is not a server URL; use http://HOST:PORT or https://HOST"
            )));
        }
        let ca_cert = match ca_cert {
            Some(p) => Some(std::path::absolute(p).map_err(|e| AppError::io(p, e))?),
            None => None,
        };
        let api = HttpApi::secured(server, token, ca_cert.as_deref(), insecure_http).map_err(|e| match e {
            SyncError::Config(m) => AppError::Invalid(m),
            other => AppError::Sync(other),
        })?;
        let health = api.health().map_err(AppError::Sync)?;
        let who = engine::check_identity(store, &api, server).map_err(AppError::Sync)?;
        if health.server_id != who.server_id {
            return Err(AppError::Sync(SyncError::Protocol(
                "the server changed its id between two requests".into(),
            )));
        }
        if adopt::holds_unkept_demo(store).map_err(AppError::Sync)? {
            if !keep_demo {
                return Err(AppError::Invalid(adopt::demo_message(store)));
            }
            adopt::keep_demo(store).map_err(AppError::Sync)?;
        }
        let adopted = adopt::adopt(store, &(&who).into()).map_err(AppError::Sync)?;
        let path = login::save(
            store.path(),
            &login::Login {
                server: server.to_string(),
                token: token.trim().to_string(),
                user: Some(who.user.clone()),
                role: Some(who.role),
                name: who.name.clone(),
                email: who.email.clone(),
                ca_cert,
                insecure_http,
            },
        )
        .map_err(AppError::Sync)?;
        Ok(LoggedIn {
            server: server.to_string(),
            who,
            path,
            adopted,
        })
    }

    /// Forgets the saved login; the removed file, or `None` when there was none.
    pub fn logout(&self) -> Result<Option<PathBuf>, AppError> {
        let p = login::path(self.store.path());
        match std::fs::remove_file(&p) {
            Ok(()) => Ok(Some(p)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(AppError::io(&p, e)),
        }
    }

    /// Pushes local changes and pulls everyone else's (or counts them, `dry_run`).
    pub fn sync(&self, opts: Options, progress: &mut dyn FnMut(Progress)) -> Result<Report, AppError> {
        let login = login::effective(self.store.path())
            .map_err(AppError::Sync)?
            .ok_or(AppError::Sync(SyncError::NotLoggedIn))?;
        let api = HttpApi::for_login(&login)?;
        Ok(engine::sync(&self.store, &api, &login.server, opts, progress)?)
    }

    /// The logged-in user's calendar feed on the server: its URL (carrying a read-only
    /// secret, never the sync token), a new one, or none.
    pub fn calendar_feed(&self, action: FeedAction) -> Result<Feed, AppError> {
        let login = login::effective(self.store.path())
            .map_err(AppError::Sync)?
            .ok_or(AppError::Sync(SyncError::NotLoggedIn))?;
        let api = HttpApi::for_login(&login)?;
        let url = |path: &str| format!("{}{path}", login.server.trim_end_matches('/'));
        Ok(match action {
            FeedAction::Show => match api.feed()? {
                Some(f) => Feed {
                    url: Some(url(&f.path)),
                    created: false,
                    revoked: false,
                },
                None => Feed {
                    url: Some(url(&api.rotate_feed()?.path)),
                    created: true,
                    revoked: false,
                },
            },
            FeedAction::Rotate => Feed {
                url: Some(url(&api.rotate_feed()?.path)),
                created: true,
                revoked: false,
            },
            FeedAction::Revoke => Feed {
                url: None,
                created: false,
                revoked: api.revoke_feed()?.revoked,
            },
        })
    }

    /// Whether the server logged in to answers: `None` when no server is set up.
    pub fn server_reachable(&self) -> Result<Option<bool>, AppError> {
        let Some(login) = login::effective(self.store.path()).map_err(AppError::Sync)? else {
            return Ok(None);
        };
        let api = HttpApi::for_login(&login)?;
        Ok(Some(api.health().is_ok()))
    }

    /// Where syncing stands.
    pub fn sync_status(&self) -> Result<SyncStatus, AppError> {
        let store = &self.store;
        let login = login::effective(store.path()).map_err(AppError::Sync)?;
        let state = store.sync_state()?;
        let open = conflicts::list(store, false)?;
        let refused = open
            .iter()
            .filter(|c| c.conflict.conflict.kind == ConflictKind::Refused)
            .count();
        let held = store.held_live()?.len();
        let held_open = open
            .iter()
            .filter(|c| c.conflict.conflict.kind == ConflictKind::Held)
            .count();
        Ok(SyncStatus {
            held_open,
            server: login.as_ref().map(|l| l.server.clone()),
            user: login
                .as_ref()
                .and_then(|l| l.user.clone())
                .or_else(|| state.user.clone()),
            pending: store.outbox_len(),
            open_conflicts: open.len(),
            refused,
            held,
            state,
        })
    }
}
