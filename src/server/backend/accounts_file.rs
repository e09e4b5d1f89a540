//! Users and tokens of the sled backend, in `accounts.json` in the server's data dir.
//! A file of its own (not the sled database) so `outpost server user add` works while
//! the server runs: sled allows one process, the file is replaced atomically and the
//! server re-reads it when it changes. Writers take a lock file.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::{Accounts, NewUser, TokenInfo, UserInfo};
use crate::model::records::Role;
use crate::server::auth::{NewToken, Principal};
use crate::server::error::{ApiError, BackendError};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct File {
    users: Vec<UserRow>,
    tokens: Vec<TokenRow>,
}

/// A user in the file. Files written before logins and display names were separate
/// have only `name` (the login); reading fills `login` from it.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct UserRow {
    #[serde(default)]
    login: String,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    quota: Option<String>,
    role: Role,
    created: chrono::DateTime<chrono::Utc>,
    /// The calendar feed secret (read-only; kept so `outpost sync feed` can print the
    /// URL again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    feed: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct TokenRow {
    id: String,
    hash: String,
    user: String,
    created: chrono::DateTime<chrono::Utc>,
    revoked: Option<chrono::DateTime<chrono::Utc>>,
}

type Stamp = (SystemTime, u64, u64);

/// `accounts.json` in a data dir.
pub struct FileAccounts {
    path: PathBuf,
    cache: Mutex<Option<(Stamp, File)>>,
}

impl FileAccounts {
    /// Accounts kept in `dir/accounts.json` (created on first write).
    pub fn new(dir: &Path) -> Result<Self, BackendError> {
        std::fs::create_dir_all(dir).map_err(|e| BackendError::storage(format!("{}: {e}", dir.display())))?;
        Ok(Self {
            path: dir.join("accounts.json"),
            cache: Mutex::new(None),
        })
    }

    fn stamp(&self) -> Option<Stamp> {
        let m = std::fs::metadata(&self.path).ok()?;
        #[cfg(unix)]
        let ino = std::os::unix::fs::MetadataExt::ino(&m);
        #[cfg(not(unix))]
        let ino = 0;
        Some((m.modified().ok()?, m.len(), ino))
    }

    fn read_file(&self) -> Result<File, BackendError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => {
                let mut file: File = serde_json::from_slice(&bytes)
                    .map_err(|e| BackendError::storage(format!("{} is damaged: {e}", self.path.display())))?;
                for u in &mut file.users {
                    if u.login.is_empty() {
                        u.login.clone_from(&u.name);
                    }
                }
                Ok(file)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(File::default()),
            Err(e) => Err(BackendError::storage(format!("{}: {e}", self.path.display()))),
        }
    }

    /// The current file, re-read only when it changed on disk.
    fn load(&self) -> Result<File, BackendError> {
        let stamp = self.stamp();
        let mut cache = self
            .cache
            .lock()
            .map_err(|_| BackendError::storage("accounts cache poisoned"))?;
        if let (Some(s), Some((cs, file))) = (stamp, cache.as_ref())
            && s == *cs
        {
            return Ok(file.clone());
        }
        let file = self.read_file()?;
        *cache = stamp.map(|s| (s, file.clone()));
        Ok(file)
    }

    /// Runs `edit` on the file under the writers' lock and replaces it atomically.
    fn update<T>(&self, edit: impl FnOnce(&mut File) -> Result<T, BackendError>) -> Result<T, BackendError> {
        let _lock = LockFile::acquire(&self.path.with_extension("lock"))?;
        let mut file = self.read_file()?;
        let out = edit(&mut file)?;
        let tmp = self.path.with_extension("json.tmp");
        let bytes = serde_json::to_vec_pretty(&file).map_err(BackendError::storage)?;
        write_private(&tmp, &bytes).map_err(|e| BackendError::storage(format!("{}: {e}", tmp.display())))?;
        std::fs::rename(&tmp, &self.path)
            .map_err(|e| BackendError::storage(format!("{}: {e}", self.path.display())))?;
        if let Ok(mut cache) = self.cache.lock() {
            *cache = None;
        }
        Ok(out)
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// A lock file held while writing; a lock older than 30 s is taken as stale.
struct LockFile(PathBuf);

impl LockFile {
    fn acquire(path: &Path) -> Result<Self, BackendError> {
        let deadline = SystemTime::now() + Duration::from_secs(10);
        loop {
            match std::fs::OpenOptions::new().write(true).create_new(true).open(path) {
                Ok(_) => return Ok(Self(path.to_path_buf())),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let stale = std::fs::metadata(path)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.elapsed().ok())
                        .is_some_and(|age| age > Duration::from_secs(30));
                    if stale {
                        let _ = std::fs::remove_file(path);
                    } else if SystemTime::now() > deadline {
                        return Err(BackendError::storage(format!(
                            "{} is held by another outpost command; try again (delete it if no other command runs)",
                            path.display()
                        )));
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => return Err(BackendError::storage(format!("{}: {e}", path.display()))),
            }
        }
    }
}

impl Drop for LockFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn no_user(name: &str) -> BackendError {
    ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        "not_found",
        format!("no user '{name}'; see `outpost server user list`"),
    )
    .into()
}

fn principal_of(u: &UserRow) -> Principal {
    Principal {
        user: u.login.clone(),
        role: u.role,
        name: Some(u.name.clone()),
        email: u.email.clone(),
    }
}

impl Accounts for FileAccounts {
    async fn add_user(&self, user: &NewUser, token: &NewToken) -> Result<(), BackendError> {
        let now = chrono::Utc::now();
        let login = user.login.as_str();
        self.update(|f| {
            if f.users.iter().any(|u| u.login == login) {
                return Err(ApiError::invalid(format!(
                    "user '{login}' exists; issue another token with `outpost server token add {login}`"
                ))
                .into());
            }
            f.users.push(UserRow {
                login: login.to_string(),
                name: user.name.clone().unwrap_or_else(|| login.to_string()),
                email: user.email.clone(),
                quota: user.quota.clone(),
                role: user.role,
                created: now,
                feed: None,
            });
            f.tokens.push(TokenRow {
                id: token.id.clone(),
                hash: token.hash.clone(),
                user: login.to_string(),
                created: now,
                revoked: None,
            });
            Ok(())
        })
    }

    async fn add_token(&self, user: &str, token: &NewToken) -> Result<(), BackendError> {
        let now = chrono::Utc::now();
        self.update(|f| {
            if !f.users.iter().any(|u| u.login == user) {
                return Err(no_user(user));
            }
            f.tokens.push(TokenRow {
                id: token.id.clone(),
                hash: token.hash.clone(),
                user: user.to_string(),
                created: now,
                revoked: None,
            });
            Ok(())
        })
    }

    async fn users(&self) -> Result<Vec<UserInfo>, BackendError> {
        let f = self.load()?;
        let mut out: Vec<UserInfo> = f
            .users
            .iter()
            .map(|u| UserInfo {
                login: u.login.clone(),
                name: u.name.clone(),
                email: u.email.clone(),
                quota: u.quota.clone(),
                role: u.role,
                created: u.created,
                tokens: f
                    .tokens
                    .iter()
                    .filter(|t| t.user == u.login)
                    .map(|t| TokenInfo {
                        id: t.id.clone(),
                        created: t.created,
                        revoked: t.revoked,
                    })
                    .collect(),
            })
            .collect();
        out.sort_by(|a, b| a.login.cmp(&b.login));
        Ok(out)
    }

    async fn revoke_token(&self, id: &str) -> Result<bool, BackendError> {
        let now = chrono::Utc::now();
        self.update(|f| {
            let mut done = false;
            for t in f.tokens.iter_mut().filter(|t| t.id == id && t.revoked.is_none()) {
                t.revoked = Some(now);
                done = true;
            }
            Ok(done)
        })
    }

    async fn authenticate(&self, hash: &str) -> Result<Option<Principal>, BackendError> {
        let f = self.load()?;
        let Some(token) = f.tokens.iter().find(|t| t.hash == hash && t.revoked.is_none()) else {
            return Ok(None);
        };
        Ok(f.users.iter().find(|u| u.login == token.user).map(principal_of))
    }

    async fn feed_secret(&self, user: &str) -> Result<Option<String>, BackendError> {
        let f = self.load()?;
        let u = f.users.iter().find(|u| u.login == user).ok_or_else(|| no_user(user))?;
        Ok(u.feed.clone())
    }

    async fn set_feed_secret(&self, user: &str, secret: Option<&str>) -> Result<(), BackendError> {
        self.update(|f| {
            let u = f
                .users
                .iter_mut()
                .find(|u| u.login == user)
                .ok_or_else(|| no_user(user))?;
            u.feed = secret.map(str::to_string);
            Ok(())
        })
    }

    async fn feed_user(&self, secret: &str) -> Result<Option<Principal>, BackendError> {
        let f = self.load()?;
        // Every user's secret is compared, each in constant time: how long this takes
        // says nothing about which one (or how much of one) matched.
        let mut found = None;
        for u in &f.users {
            if let Some(s) = &u.feed
                && crate::server::auth::same_secret(s, secret)
            {
                found = Some(principal_of(u));
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_old_file_without_logins_reads_with_the_name_as_login() {
        let dir = tempfile::tempdir().expect("temp");
        std::fs::write(
            dir.path().join("accounts.json"),
            r#"{"users":[{"name":"anna","role":"rep","created":"2026-01-01T00:00:00Z"}],
               "tokens":[{"id":"abc","hash":"h","user":"anna","created":"2026-01-01T00:00:00Z","revoked":null}]}"#,
        )
        .expect("write");
        let a = FileAccounts::new(dir.path()).expect("accounts");
        let users = a.users().await.expect("users");
        assert_eq!((users[0].login.as_str(), users[0].name.as_str()), ("anna", "anna"));
        assert_eq!(users[0].tokens.len(), 1);
        let who = a.authenticate("h").await.expect("auth").expect("known");
        assert_eq!(who.user, "anna");
    }
}
