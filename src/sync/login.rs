//! The login: server URL and token, kept per data dir in `sync.toml` (mode 0600, owner
//! only), so several stores on one machine can sync as different users.
//! `OUTPOST_SERVER` and `OUTPOST_TOKEN` override the file.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::SyncError;
use crate::model::records::Role;
use crate::store::Store;

/// File name of the login in a data dir.
pub const FILE: &str = "sync.toml";
/// Environment variable overriding the server URL.
pub const ENV_SERVER: &str = "OUTPOST_SERVER";
/// Environment variable overriding the token.
pub const ENV_TOKEN: &str = "OUTPOST_TOKEN";

/// A login.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Login {
    /// Server base URL.
    pub server: String,
    /// Bearer token.
    pub token: String,
    /// The token's user, as the server said at login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Their role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Their display name, as the server said at login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Their e-mail address, as the server said at login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// A private CA (PEM file) trusted besides the system roots (`--ca-cert`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<PathBuf>,
    /// Plain `http://` to a host that is not loopback was allowed at login
    /// (`--insecure-http`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub insecure_http: bool,
}

/// Where the login of `data_dir` is kept.
#[must_use]
pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE)
}

/// The saved login, if any.
pub fn load(data_dir: &Path) -> Result<Option<Login>, SyncError> {
    let p = path(data_dir);
    match std::fs::read_to_string(&p) {
        Ok(text) => toml::from_str(&text)
            .map(Some)
            .map_err(|e| SyncError::Config(format!("{}: {e}; run `outpost sync login` again", p.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(SyncError::Config(format!("{}: {e}", p.display()))),
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The login to use: the file, with `OUTPOST_SERVER` / `OUTPOST_TOKEN` taking
/// precedence. `None` when neither gives both a server and a token.
pub fn effective(data_dir: &Path) -> Result<Option<Login>, SyncError> {
    let file = load(data_dir)?;
    let (env_server, env_token) = (env(ENV_SERVER), env(ENV_TOKEN));
    let token_overridden = env_token
        .as_ref()
        .is_some_and(|t| file.as_ref().is_none_or(|f| f.token != *t));
    let mut login = file.unwrap_or_default();
    if let Some(s) = env_server {
        login.server = s;
    }
    if let Some(t) = env_token {
        login.token = t;
    }
    if token_overridden {
        login.user = None;
        login.role = None;
        login.name = None;
        login.email = None;
    }
    Ok((!login.server.is_empty() && !login.token.is_empty()).then_some(login))
}

/// Saves the login, readable by the owner only.
pub fn save(data_dir: &Path, login: &Login) -> Result<PathBuf, SyncError> {
    use std::io::Write;
    let p = path(data_dir);
    std::fs::create_dir_all(data_dir).map_err(|e| SyncError::Config(format!("{}: {e}", data_dir.display())))?;
    let text = toml::to_string(login).map_err(|e| SyncError::Config(e.to_string()))?;
    let tmp = data_dir.join(format!(".{FILE}.tmp"));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let _ = std::fs::remove_file(&tmp);
    let mut f = opts
        .open(&tmp)
        .map_err(|e| SyncError::Config(format!("{}: {e}", tmp.display())))?;
    f.write_all(text.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| SyncError::Config(format!("{}: {e}", tmp.display())))?;
    std::fs::rename(&tmp, &p).map_err(|e| SyncError::Config(format!("{}: {e}", p.display())))?;
    Ok(p)
}

/// The owner to give records created in this store: the logged-in user (from the login
/// file, or the user the store last synced as), or `None` when not logged in. The app
/// layer calls this when a create has no `--owner`.
#[must_use]
pub fn default_owner(store: &Store) -> Option<String> {
    let from_login = load(store.path()).ok().flatten().and_then(|l| l.user);
    from_login.or_else(|| store.sync_state().ok().and_then(|s| s.user))
}
