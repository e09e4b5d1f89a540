//! The default backend: a sled database in the server's data dir (`server/`), plus
//! `accounts.json` for users and tokens. One server process; pushes are serialised by a
//! lock and each is one sled transaction, flushed before the answer.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};

use super::{Accounts, Changes, FileAccounts, NewUser, RawPage, UserInfo, log_value};
use crate::model::{EntityKind, Fields, Id, ReplicaId};
use crate::protocol::Stored;
use crate::protocol::wire::{MAX_PAGE_BYTES, PushRequest, PushResponse};
use crate::server::auth::{NewToken, Principal};
use crate::server::directory;
use crate::server::engine::{self, Key};
use crate::server::error::BackendError;

const META: usize = 0;
const REPLICAS: usize = 1;
const RECORDS: usize = 2;
const LOG: usize = 3;
/// `(replica, seq)` (16 bytes, big-endian) to the cursor of its log entry, so a replayed
/// change is compared with what was logged. Entries logged before this tree existed
/// have no key here; a replay of one is skipped uncompared, as it always was.
const SEQS: usize = 4;
const K_HEAD: &[u8] = b"head";
/// sled's page cache for the server's data. Pushes write and pulls read the log in
/// order, but a push also reads the records its changes replace and link to, all over
/// the records tree. At 100k records (409k changes pushed), with 24 MB a sixth of the
/// server's CPU went to reading evicted pages back from the log; 64 MB (and freed
/// memory kept a little, `serve_cmd`): the server's CPU 25.9 -> 20.9 s, its peak 131 ->
/// 182 MB, under the 300 MB budget. (In an earlier session, when the server held four
/// times more per push, 24 MB had taken its peak from 318 to 273 MB.)
const CACHE_BYTES: u64 = 64 * 1024 * 1024;
const K_SERVER_ID: &[u8] = b"server_id";

#[derive(Clone, Debug, Serialize, Deserialize)]
struct ReplicaRow {
    user: String,
    acked: u64,
}

struct Inner {
    db: sled::Db,
    trees: Vec<sled::Tree>,
    server_id: String,
    /// Pushes write, pulls read: a pull never sees half a push.
    lock: RwLock<()>,
    /// Fingerprint of the users last written as User records.
    users_seen: std::sync::Mutex<Option<u64>>,
    /// Last, so it drops after `db` and `trees`: a server stopped in place can start again.
    _released: crate::store::lock::ReleasedOnDrop,
}

/// sled storage in a data dir.
pub struct SledBackend {
    inner: Arc<Inner>,
    accounts: FileAccounts,
}

fn record_key(key: &Key) -> Vec<u8> {
    let mut k = vec![key.0.tag()];
    k.extend_from_slice(key.1.as_bytes());
    k
}

fn seq_key(replica: ReplicaId, seq: u64) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&replica.0.to_be_bytes());
    k[8..].copy_from_slice(&seq.to_be_bytes());
    k
}

fn head_of(bytes: Option<&[u8]>) -> u64 {
    bytes.and_then(|b| b.try_into().ok()).map_or(0, u64::from_be_bytes)
}

impl SledBackend {
    /// Opens (creating) the server storage in `dir`.
    pub fn open(dir: &Path) -> Result<Self, BackendError> {
        let accounts = FileAccounts::new(dir)?;
        let db = sled::Config::new()
            .path(dir.join("server"))
            .mode(sled::Mode::HighThroughput)
            // sled's default page cache is 1 GB; the server stays under 300 MB (issue 13).
            .cache_capacity(crate::store::cache_bytes(CACHE_BYTES))
            .open()
            .map_err(|e| {
                BackendError::storage(format!(
                    "cannot open the server data in {}: {e} (is another `outpost serve` using it?)",
                    dir.display()
                ))
            })?;
        let mut trees = Vec::new();
        for name in ["meta", "replicas", "records", "log", "seqs"] {
            trees.push(db.open_tree(name).map_err(BackendError::storage)?);
        }
        let server_id = match trees[META].get(K_SERVER_ID).map_err(BackendError::storage)? {
            Some(v) => String::from_utf8_lossy(&v).into_owned(),
            None => {
                let id = new_server_id()?;
                trees[META]
                    .insert(K_SERVER_ID, id.as_bytes())
                    .map_err(BackendError::storage)?;
                db.flush().map_err(BackendError::storage)?;
                id
            }
        };
        Ok(Self {
            inner: Arc::new(Inner {
                db,
                trees,
                server_id,
                lock: RwLock::new(()),
                users_seen: std::sync::Mutex::new(None),
                _released: crate::store::lock::ReleasedOnDrop::new(&dir.join("server")),
            }),
            accounts,
        })
    }
}

/// A new random server id.
pub(crate) fn new_server_id() -> Result<String, BackendError> {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).map_err(BackendError::storage)?;
    Ok(crate::server::auth::hex(&b))
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, BackendError> + Send + 'static,
) -> Result<T, BackendError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| BackendError::storage(format!("worker failed: {e}")))?
}

type TxError = ConflictableTransactionError<BackendError>;

fn abort(e: impl Into<BackendError>) -> TxError {
    ConflictableTransactionError::Abort(e.into())
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, TxError> {
    serde_json::from_slice(bytes).map_err(|e| abort(BackendError::storage(format!("damaged server data: {e}"))))
}

/// The records of `keys` the tree holds, in full.
fn load(tree: &sled::transaction::TransactionalTree, keys: BTreeSet<Key>) -> Result<BTreeMap<Key, Stored>, TxError> {
    let mut out = BTreeMap::new();
    for key in keys {
        if let Some(v) = tree.get(record_key(&key))? {
            out.insert(key, decode::<Stored>(&v)?);
        }
    }
    Ok(out)
}

/// The keys of `keys` the tree holds a record of (live or in the trash), unread.
fn held(tree: &sled::transaction::TransactionalTree, keys: BTreeSet<Key>) -> Result<BTreeSet<Key>, TxError> {
    let mut out = BTreeSet::new();
    for key in keys {
        if tree.get(record_key(&key))?.is_some() {
            out.insert(key);
        }
    }
    Ok(out)
}

impl Inner {
    fn push(&self, who: &Principal, req: &PushRequest, policy: &engine::Policy) -> Result<PushResponse, BackendError> {
        let _guard = self.lock.write().map_err(|_| BackendError::storage("lock poisoned"))?;
        self.push_locked(who, req, policy)
    }

    /// Writes the directory's changes for `users` (under the push lock).
    fn reconcile(&self, users: &[UserInfo]) -> Result<usize, BackendError> {
        let _guard = self.lock.write().map_err(|_| BackendError::storage("lock poisoned"))?;
        let replica = directory::replica(&self.server_id);
        let row: Option<ReplicaRow> = self.trees[REPLICAS]
            .get(replica.to_string().as_bytes())
            .map_err(BackendError::storage)?
            .and_then(|v| serde_json::from_slice(&v).ok());
        let mut records = BTreeMap::new();
        for key in directory::keys(users) {
            if let Some(v) = self.trees[RECORDS]
                .get(record_key(&key))
                .map_err(BackendError::storage)?
            {
                let state: Stored = serde_json::from_slice(&v)
                    .map_err(|e| BackendError::storage(format!("damaged server data: {e}")))?;
                records.insert(key, state);
            }
        }
        let acked = row.map_or(0, |r| r.acked);
        let changes = directory::changes(
            users,
            &records,
            acked,
            replica,
            crate::model::WallClock::system().now_ms(),
        );
        if changes.is_empty() {
            return Ok(0);
        }
        let n = changes.len();
        let req = PushRequest::new(replica, changes);
        self.push_locked(&directory::principal(), &req, &engine::Policy::of(&req, None))?;
        Ok(n)
    }

    fn push_locked(
        &self,
        who: &Principal,
        req: &PushRequest,
        policy: &engine::Policy,
    ) -> Result<PushResponse, BackendError> {
        let now = chrono::Utc::now();
        let result = self.trees.as_slice().transaction(|t| {
            let rkey = req.replica.to_string();
            let row: Option<ReplicaRow> = t[REPLICAS].get(rkey.as_bytes())?.map(|v| decode(&v)).transpose()?;
            let acked = row.as_ref().map_or(0, |r| r.acked);
            let fresh = engine::new_changes(who, row.as_ref().map(|r| r.user.as_str()), acked, req).map_err(abort)?;
            for old in super::replayed(req, acked) {
                if let Some(cursor) = t[SEQS].get(seq_key(old.replica, old.seq))?
                    && let Some(v) = t[LOG].get(cursor)?
                    && let Some(json) = v.get(9..)
                {
                    super::check_replay(old, json).map_err(abort)?;
                }
            }
            let batch = engine::Batch::new(fresh);
            let mut records = load(&t[RECORDS], batch.keys())?;
            records.extend(load(&t[RECORDS], engine::line_quote_keys(fresh, &records))?);
            let linked = held(&t[RECORDS], batch.link_keys(&records))?;
            let (drafts, dirty) = engine::plan_batch(who, &batch, &mut records, &linked, policy).map_err(abort)?;
            let mut head = head_of(t[META].get(K_HEAD)?.as_deref());
            let mut response = PushResponse {
                acked: fresh.last().map_or(acked, |c| c.seq),
                skipped: req.changes.len() - fresh.len(),
                ..PushResponse::default()
            };
            engine::refuse_unknown(req, acked, &mut response);
            for draft in drafts {
                head += 1;
                let entry = draft.into_entry(head, &who.user, now);
                response.count(&entry);
                // Blind writes (the vendored sled's patch): nothing reads what they replace.
                t[LOG].insert_blind(&head.to_be_bytes(), log_value::encode(&entry));
                t[SEQS].insert_blind(&seq_key(entry.change.replica, entry.change.seq), &head.to_be_bytes());
            }
            for key in &dirty {
                if let Some(state) = records.get(key) {
                    t[RECORDS].insert_blind(record_key(key), state.encode());
                }
            }
            let row = ReplicaRow {
                user: who.user.clone(),
                acked: response.acked,
            };
            t[REPLICAS].insert(rkey.as_bytes(), serde_json::to_vec(&row).unwrap_or_default())?;
            t[META].insert(K_HEAD, &head.to_be_bytes())?;
            response.head = head;
            Ok(response)
        });
        let response = match result {
            Ok(r) => r,
            Err(TransactionError::Abort(e)) => return Err(e),
            Err(TransactionError::Storage(e)) => return Err(BackendError::storage(e)),
        };
        self.db.flush().map_err(BackendError::storage)?;
        Ok(response)
    }

    fn claim(&self, who: &Principal, replica: ReplicaId) -> Result<(), BackendError> {
        let key = replica.to_string();
        let tree = &self.trees[REPLICAS];
        let row = ReplicaRow {
            user: who.user.clone(),
            acked: 0,
        };
        let bytes = serde_json::to_vec(&row).unwrap_or_default();
        let _ = tree
            .compare_and_swap(key.as_bytes(), None as Option<&[u8]>, Some(bytes))
            .map_err(BackendError::storage)?;
        let current = tree.get(key.as_bytes()).map_err(BackendError::storage)?;
        let owner: Option<ReplicaRow> = current.and_then(|v| serde_json::from_slice(&v).ok());
        engine::check_owner(who, owner.as_ref().map(|r| r.user.as_str()), replica)?;
        Ok(())
    }

    fn pull(&self, who: &Principal, replica: ReplicaId, after: u64, limit: usize) -> Result<RawPage, BackendError> {
        self.claim(who, replica)?;
        let _guard = self.lock.read().map_err(|_| BackendError::storage("lock poisoned"))?;
        let head = head_of(self.trees[META].get(K_HEAD).map_err(BackendError::storage)?.as_deref());
        super::check_cursor(after, head)?;
        let mut page = RawPage {
            next: after,
            head,
            ..RawPage::default()
        };
        let mut bytes = 0;
        for item in self.trees[LOG].range(after.saturating_add(1).to_be_bytes()..) {
            let (k, v) = item.map_err(BackendError::storage)?;
            if page.entries.len() >= limit || bytes >= MAX_PAGE_BYTES {
                page.more = true;
                break;
            }
            if let Some(json) = log_value::visible(&v, replica) {
                bytes += json.len();
                page.entries.push(String::from_utf8_lossy(json).into_owned());
            }
            page.next = head_of(Some(&k));
        }
        Ok(page)
    }
}

impl Changes for SledBackend {
    fn server_id(&self) -> &str {
        &self.inner.server_id
    }

    fn backend_name(&self) -> &'static str {
        "sled"
    }

    async fn push(&self, who: Principal, req: PushRequest) -> Result<PushResponse, BackendError> {
        let users = self.accounts.users().await?;
        let policy = engine::Policy::of(&req, Some(&users));
        let inner = Arc::clone(&self.inner);
        blocking(move || inner.push(&who, &req, &policy)).await
    }

    async fn pull(
        &self,
        who: Principal,
        replica: ReplicaId,
        after: u64,
        limit: usize,
    ) -> Result<RawPage, BackendError> {
        let inner = Arc::clone(&self.inner);
        blocking(move || inner.pull(&who, replica, after, limit)).await
    }

    async fn live_records(&self, kind: EntityKind) -> Result<Vec<(Id, Fields)>, BackendError> {
        let inner = Arc::clone(&self.inner);
        blocking(move || {
            let _guard = inner.lock.read().map_err(|_| BackendError::storage("lock poisoned"))?;
            let mut out = Vec::new();
            for item in inner.trees[RECORDS].scan_prefix([kind.tag()]) {
                let (k, v) = item.map_err(BackendError::storage)?;
                let id = k
                    .get(1..)
                    .and_then(Id::from_slice)
                    .ok_or_else(|| BackendError::storage("damaged server data: a record key"))?;
                let state =
                    Stored::decode(&v).map_err(|e| BackendError::storage(format!("damaged server data: {e}")))?;
                if !state.deleted {
                    out.push((id, state.fields));
                }
            }
            Ok(out)
        })
        .await
    }

    async fn ping(&self) -> Result<(), BackendError> {
        let inner = Arc::clone(&self.inner);
        blocking(move || {
            inner.trees[META].get(K_SERVER_ID).map_err(BackendError::storage)?;
            Ok(())
        })
        .await
    }

    async fn reconcile_users(&self, users: Vec<UserInfo>) -> Result<usize, BackendError> {
        let print = directory::fingerprint(&users);
        let seen = |inner: &Inner| inner.users_seen.lock().map(|s| *s == Some(print)).unwrap_or(false);
        if seen(&self.inner) {
            return Ok(0);
        }
        let inner = Arc::clone(&self.inner);
        blocking(move || {
            let n = inner.reconcile(&users)?;
            if let Ok(mut s) = inner.users_seen.lock() {
                *s = Some(print);
            }
            Ok(n)
        })
        .await
    }
}

impl Accounts for SledBackend {
    async fn add_user(&self, user: &NewUser, token: &NewToken) -> Result<(), BackendError> {
        self.accounts.add_user(user, token).await
    }
    async fn add_token(&self, user: &str, token: &NewToken) -> Result<(), BackendError> {
        self.accounts.add_token(user, token).await
    }
    async fn users(&self) -> Result<Vec<UserInfo>, BackendError> {
        self.accounts.users().await
    }
    async fn revoke_token(&self, id: &str) -> Result<bool, BackendError> {
        self.accounts.revoke_token(id).await
    }
    async fn authenticate(&self, hash: &str) -> Result<Option<Principal>, BackendError> {
        self.accounts.authenticate(hash).await
    }
    async fn feed_secret(&self, user: &str) -> Result<Option<String>, BackendError> {
        self.accounts.feed_secret(user).await
    }
    async fn set_feed_secret(&self, user: &str, secret: Option<&str>) -> Result<(), BackendError> {
        self.accounts.set_feed_secret(user, secret).await
    }
    async fn feed_user(&self, secret: &str) -> Result<Option<Principal>, BackendError> {
        self.accounts.feed_user(secret).await
    }
}
