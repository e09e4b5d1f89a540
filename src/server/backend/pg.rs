//! The PostgreSQL backend: any number of server processes share one database. A push
//! locks the single `outpost_head` row first and takes its cursors from it inside the
//! same transaction, so cursors follow commit order and a reader never skips a change
//! committed late. A race that PostgreSQL reports (serialization failure, deadlock,
//! unique violation) becomes `409 retry`.

use std::collections::{BTreeMap, BTreeSet};

use tokio_postgres::error::SqlState;

use super::pg_pool::Pool;
use super::{Accounts, Changes, NewUser, RawPage, TokenInfo, UserInfo, pg_schema, time_of};
use crate::model::records::Role;
use crate::model::{EntityKind, Fields, Id, ReplicaId};
use crate::protocol::Stored;
use crate::protocol::wire::{MAX_PAGE_BYTES, PushRequest, PushResponse};
use crate::server::auth::{NewToken, Principal};
use crate::server::directory;
use crate::server::engine::{self, Key};
use crate::server::error::{ApiError, BackendError};

/// PostgreSQL storage.
pub struct PgBackend {
    pool: Pool,
    server_id: String,
    /// Fingerprint of the users last written as User records by this process.
    users_seen: std::sync::Mutex<Option<u64>>,
}

/// Maps a PostgreSQL error: races to [`BackendError::Retry`], the rest to storage.
pub(crate) fn pg_err(e: tokio_postgres::Error) -> BackendError {
    let race = [
        SqlState::T_R_SERIALIZATION_FAILURE,
        SqlState::T_R_DEADLOCK_DETECTED,
        SqlState::UNIQUE_VIOLATION,
        SqlState::LOCK_NOT_AVAILABLE,
    ];
    match e.code() {
        Some(code) if race.contains(code) => BackendError::Retry(e.to_string()),
        _ => BackendError::storage(e.as_db_error().map_or_else(|| e.to_string(), ToString::to_string)),
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Rep => "rep",
        Role::Manager => "manager",
        Role::Admin => "admin",
    }
}

fn role_of(name: &str) -> Role {
    match name {
        "manager" => Role::Manager,
        "admin" => Role::Admin,
        _ => Role::Rep,
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A record's key from its `entity` and `id` columns.
fn record_key(entity: &str, id: &str) -> Result<Key, BackendError> {
    match (entity.parse::<EntityKind>(), id.parse::<Id>()) {
        (Ok(kind), Ok(id)) => Ok((kind, id)),
        _ => Err(BackendError::storage(format!("damaged record key {entity}/{id}"))),
    }
}

fn as_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn as_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

impl PgBackend {
    /// Connects, creating or migrating the schema.
    pub async fn connect(url: &str) -> Result<Self, BackendError> {
        let pool = Pool::new(url, 16)?;
        let server_id = {
            let mut conn = pool.get().await?;
            pg_schema::migrate(&mut conn).await?
        };
        Ok(Self {
            pool,
            server_id,
            users_seen: std::sync::Mutex::new(None),
        })
    }

    async fn load_records(
        tx: &tokio_postgres::Transaction<'_>,
        keys: &[Key],
    ) -> Result<BTreeMap<Key, Stored>, BackendError> {
        let entities: Vec<String> = keys.iter().map(|k| k.0.name().to_string()).collect();
        let ids: Vec<String> = keys.iter().map(|k| k.1.to_string()).collect();
        let rows = tx
            .query(
                "SELECT r.entity, r.id, r.state FROM outpost_records r \
                 JOIN unnest($1::text[], $2::text[]) AS k(entity, id) ON r.entity = k.entity AND r.id = k.id",
                &[&entities, &ids],
            )
            .await
            .map_err(pg_err)?;
        let mut out = BTreeMap::new();
        for row in rows {
            let key = record_key(row.get(0), row.get(1))?;
            let state: String = row.get(2);
            let state: Stored =
                serde_json::from_str(&state).map_err(|e| BackendError::storage(format!("damaged record: {e}")))?;
            out.insert(key, state);
        }
        Ok(out)
    }

    /// The keys of `keys` the server holds a record of (live or in the trash), unread.
    async fn held_records(
        tx: &tokio_postgres::Transaction<'_>,
        keys: &BTreeSet<Key>,
    ) -> Result<BTreeSet<Key>, BackendError> {
        if keys.is_empty() {
            return Ok(BTreeSet::new());
        }
        let entities: Vec<&str> = keys.iter().map(|k| k.0.name()).collect();
        let ids: Vec<String> = keys.iter().map(|k| k.1.to_string()).collect();
        let rows = tx
            .query(
                "SELECT r.entity, r.id FROM outpost_records r \
                 JOIN unnest($1::text[], $2::text[]) AS k(entity, id) ON r.entity = k.entity AND r.id = k.id",
                &[&entities, &ids],
            )
            .await
            .map_err(pg_err)?;
        rows.iter().map(|row| record_key(row.get(0), row.get(1))).collect()
    }

    async fn push_tx(&self, who: &Principal, req: &PushRequest) -> Result<PushResponse, BackendError> {
        let users = self.users().await?;
        let policy = engine::Policy::of(req, Some(&users));
        let mut conn = self.pool.get().await?;
        let tx = conn.transaction().await.map_err(pg_err)?;
        let head = Self::lock_head(&tx).await?;
        let response = Self::push_locked(&tx, head, who, req, &policy).await?;
        tx.commit().await.map_err(pg_err)?;
        Ok(response)
    }

    /// Locks the head row for this transaction and returns the head.
    async fn lock_head(tx: &tokio_postgres::Transaction<'_>) -> Result<i64, BackendError> {
        Ok(tx
            .query_one("SELECT head FROM outpost_head WHERE id = 1 FOR UPDATE", &[])
            .await
            .map_err(pg_err)?
            .get(0))
    }

    /// Writes the directory's changes for `users`, in one transaction under the head lock
    /// (so two server processes reconciling at once write them once).
    async fn reconcile_tx(&self, users: &[UserInfo]) -> Result<usize, BackendError> {
        let mut conn = self.pool.get().await?;
        let tx = conn.transaction().await.map_err(pg_err)?;
        let head = Self::lock_head(&tx).await?;
        let replica = directory::replica(&self.server_id);
        let acked = tx
            .query_opt(
                "SELECT acked FROM outpost_replicas WHERE replica = $1",
                &[&replica.to_string()],
            )
            .await
            .map_err(pg_err)?
            .map_or(0, |r| as_u64(r.get(0)));
        let records = Self::load_records(&tx, &directory::keys(users)).await?;
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
        Self::push_locked(
            &tx,
            head,
            &directory::principal(),
            &req,
            &engine::Policy::of(&req, None),
        )
        .await?;
        tx.commit().await.map_err(pg_err)?;
        Ok(n)
    }

    async fn push_locked(
        tx: &tokio_postgres::Transaction<'_>,
        head: i64,
        who: &Principal,
        req: &PushRequest,
        policy: &engine::Policy,
    ) -> Result<PushResponse, BackendError> {
        let rkey = req.replica.to_string();
        let row = tx
            .query_opt(
                "SELECT user_name, acked FROM outpost_replicas WHERE replica = $1",
                &[&rkey],
            )
            .await
            .map_err(pg_err)?;
        let owner: Option<String> = row.as_ref().map(|r| r.get(0));
        let acked = row.as_ref().map_or(0, |r| as_u64(r.get(1)));
        let fresh = engine::new_changes(who, owner.as_deref(), acked, req)?;
        let old: Vec<&crate::protocol::Change> = super::replayed(req, acked).collect();
        if !old.is_empty() {
            let seqs: Vec<i64> = old.iter().map(|c| as_i64(c.seq)).collect();
            let rows = tx
                .query(
                    "SELECT seq, body FROM outpost_log WHERE replica = $1 AND seq = ANY($2)",
                    &[&rkey, &seqs],
                )
                .await
                .map_err(pg_err)?;
            for row in rows {
                let seq = as_u64(row.get(0));
                let body: String = row.get(1);
                if let Some(c) = old.iter().find(|c| c.seq == seq) {
                    super::check_replay(c, body.as_bytes())?;
                }
            }
        }
        let batch = engine::Batch::new(fresh);
        let keys: Vec<Key> = batch.keys().into_iter().collect();
        let mut records = Self::load_records(tx, &keys).await?;
        let quotes: Vec<Key> = engine::line_quote_keys(fresh, &records).into_iter().collect();
        if !quotes.is_empty() {
            records.extend(Self::load_records(tx, &quotes).await?);
        }
        let linked = Self::held_records(tx, &batch.link_keys(&records)).await?;
        let (drafts, dirty) = engine::plan_batch(who, &batch, &mut records, &linked, policy)?;
        let now = chrono::Utc::now();
        let mut response = PushResponse {
            acked: fresh.last().map_or(acked, |c| c.seq),
            skipped: req.changes.len() - fresh.len(),
            ..PushResponse::default()
        };
        engine::refuse_unknown(req, acked, &mut response);
        let mut cursor = as_u64(head);
        let (mut cursors, mut replicas, mut seqs, mut actors, mut ats, mut annotated, mut refused, mut bodies) =
            (vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
        for draft in drafts {
            cursor += 1;
            let entry = draft.into_entry(cursor, &who.user, now);
            response.count(&entry);
            cursors.push(as_i64(cursor));
            replicas.push(rkey.clone());
            seqs.push(as_i64(entry.change.seq));
            actors.push(who.user.clone());
            ats.push(now.timestamp_millis());
            annotated.push(entry.annotated());
            refused.push(entry.refused.is_some());
            bodies.push(serde_json::to_string(&entry).map_err(BackendError::storage)?);
        }
        if !cursors.is_empty() {
            tx.execute(
                "INSERT INTO outpost_log (cursor, replica, seq, actor, at_ms, annotated, refused, body) \
                 SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::bigint[], $6::bool[], $7::bool[], $8::text[])",
                &[&cursors, &replicas, &seqs, &actors, &ats, &annotated, &refused, &bodies],
            )
            .await
            .map_err(pg_err)?;
        }
        if !dirty.is_empty() {
            let mut entities = Vec::new();
            let mut ids = Vec::new();
            let mut states = Vec::new();
            for key in &dirty {
                if let Some(state) = records.get(key) {
                    entities.push(key.0.name().to_string());
                    ids.push(key.1.to_string());
                    states.push(serde_json::to_string(state).map_err(BackendError::storage)?);
                }
            }
            tx.execute(
                "INSERT INTO outpost_records (entity, id, state) SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) \
                 ON CONFLICT (entity, id) DO UPDATE SET state = EXCLUDED.state",
                &[&entities, &ids, &states],
            )
            .await
            .map_err(pg_err)?;
        }
        tx.execute(
            "INSERT INTO outpost_replicas (replica, user_name, acked, first_seen_ms) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (replica) DO UPDATE SET acked = EXCLUDED.acked",
            &[&rkey, &who.user, &as_i64(response.acked), &now_ms()],
        )
        .await
        .map_err(pg_err)?;
        tx.execute("UPDATE outpost_head SET head = $1 WHERE id = 1", &[&as_i64(cursor)])
            .await
            .map_err(pg_err)?;
        response.head = cursor;
        Ok(response)
    }

    async fn pull_tx(
        &self,
        who: &Principal,
        replica: ReplicaId,
        after: u64,
        limit: usize,
    ) -> Result<RawPage, BackendError> {
        let mut conn = self.pool.get().await?;
        let rkey = replica.to_string();
        conn.execute(
            "INSERT INTO outpost_replicas (replica, user_name, acked, first_seen_ms) VALUES ($1, $2, 0, $3) \
             ON CONFLICT (replica) DO NOTHING",
            &[&rkey, &who.user, &now_ms()],
        )
        .await
        .map_err(pg_err)?;
        let owner: String = conn
            .query_one("SELECT user_name FROM outpost_replicas WHERE replica = $1", &[&rkey])
            .await
            .map_err(pg_err)?
            .get(0);
        engine::check_owner(who, Some(&owner), replica)?;
        let tx = conn
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(pg_err)?;
        let head = as_u64(
            tx.query_one("SELECT head FROM outpost_head WHERE id = 1", &[])
                .await
                .map_err(pg_err)?
                .get(0),
        );
        if let Err(e) = super::check_cursor(after, head) {
            let _ = tx.commit().await;
            return Err(e);
        }
        let rows = tx
            .query(
                "SELECT cursor, body FROM outpost_log WHERE cursor > $1 AND cursor <= $2 \
                 AND ((replica <> $3 AND NOT refused) OR (replica = $3 AND annotated)) ORDER BY cursor LIMIT $4",
                &[&as_i64(after), &as_i64(head), &rkey, &as_i64(limit as u64)],
            )
            .await
            .map_err(pg_err)?;
        tx.commit().await.map_err(pg_err)?;
        let full = rows.len() >= limit;
        let mut page = RawPage {
            next: after,
            head,
            ..RawPage::default()
        };
        let mut bytes = 0;
        for row in rows {
            let cursor = as_u64(row.get(0));
            let body: String = row.get(1);
            if bytes >= MAX_PAGE_BYTES {
                page.more = true;
                return Ok(page);
            }
            bytes += body.len();
            page.entries.push(body);
            page.next = cursor;
        }
        if full {
            page.more = page.next < head;
        } else {
            page.next = head.max(after);
        }
        Ok(page)
    }
}

impl Changes for PgBackend {
    fn server_id(&self) -> &str {
        &self.server_id
    }

    fn backend_name(&self) -> &'static str {
        "postgres"
    }

    async fn push(&self, who: Principal, req: PushRequest) -> Result<PushResponse, BackendError> {
        self.push_tx(&who, &req).await
    }

    async fn pull(
        &self,
        who: Principal,
        replica: ReplicaId,
        after: u64,
        limit: usize,
    ) -> Result<RawPage, BackendError> {
        self.pull_tx(&who, replica, after, limit).await
    }

    async fn live_records(&self, kind: EntityKind) -> Result<Vec<(Id, Fields)>, BackendError> {
        let conn = self.pool.get().await?;
        let rows = conn
            .query(
                "SELECT id, state FROM outpost_records WHERE entity = $1",
                &[&kind.name()],
            )
            .await
            .map_err(pg_err)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let id: String = row.get(0);
            let state: String = row.get(1);
            let id: Id = id
                .parse()
                .map_err(|_| BackendError::storage(format!("damaged record key {}/{id}", kind.name())))?;
            let state: Stored =
                serde_json::from_str(&state).map_err(|e| BackendError::storage(format!("damaged record: {e}")))?;
            if !state.deleted {
                out.push((id, state.fields));
            }
        }
        Ok(out)
    }

    async fn ping(&self) -> Result<(), BackendError> {
        let conn = self.pool.get().await?;
        conn.simple_query("SELECT 1").await.map_err(pg_err)?;
        Ok(())
    }

    async fn reconcile_users(&self, users: Vec<UserInfo>) -> Result<usize, BackendError> {
        let print = directory::fingerprint(&users);
        if self.users_seen.lock().map(|s| *s == Some(print)).unwrap_or(false) {
            return Ok(0);
        }
        let n = self.reconcile_tx(&users).await?;
        if let Ok(mut s) = self.users_seen.lock() {
            *s = Some(print);
        }
        Ok(n)
    }
}

impl Accounts for PgBackend {
    async fn add_user(&self, user: &NewUser, token: &NewToken) -> Result<(), BackendError> {
        let name = user.login.as_str();
        let mut conn = self.pool.get().await?;
        let tx = conn.transaction().await.map_err(pg_err)?;
        let inserted = tx
            .execute(
                "INSERT INTO outpost_users (name, role, created_ms, display_name, email, quota) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO NOTHING",
                &[
                    &name,
                    &role_name(user.role),
                    &now_ms(),
                    &user.name,
                    &user.email,
                    &user.quota,
                ],
            )
            .await
            .map_err(pg_err)?;
        if inserted == 0 {
            return Err(ApiError::invalid(format!(
                "user '{name}' exists; issue another token with `outpost server token add {name}`"
            ))
            .into());
        }
        tx.execute(
            "INSERT INTO outpost_tokens (id, hash, user_name, created_ms) VALUES ($1, $2, $3, $4)",
            &[&token.id, &token.hash, &name, &now_ms()],
        )
        .await
        .map_err(pg_err)?;
        tx.commit().await.map_err(pg_err)
    }

    async fn add_token(&self, user: &str, token: &NewToken) -> Result<(), BackendError> {
        let conn = self.pool.get().await?;
        let n = conn
            .execute(
                "INSERT INTO outpost_tokens (id, hash, user_name, created_ms) \
                 SELECT $1, $2, name, $4 FROM outpost_users WHERE name = $3",
                &[&token.id, &token.hash, &user, &now_ms()],
            )
            .await
            .map_err(pg_err)?;
        if n == 0 {
            return Err(ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                "not_found",
                format!("no user '{user}'; see `outpost server user list`"),
            )
            .into());
        }
        Ok(())
    }

    async fn users(&self) -> Result<Vec<UserInfo>, BackendError> {
        let conn = self.pool.get().await?;
        let users = conn
            .query(
                "SELECT name, role, created_ms, display_name, email, quota FROM outpost_users ORDER BY name",
                &[],
            )
            .await
            .map_err(pg_err)?;
        let tokens = conn
            .query(
                "SELECT id, user_name, created_ms, revoked_ms FROM outpost_tokens ORDER BY created_ms, id",
                &[],
            )
            .await
            .map_err(pg_err)?;
        Ok(users
            .iter()
            .map(|u| {
                let name: String = u.get(0);
                UserInfo {
                    login: name.clone(),
                    email: u.get(4),
                    quota: u.get(5),
                    role: role_of(u.get(1)),
                    created: time_of(u.get(2)),
                    tokens: tokens
                        .iter()
                        .filter(|t| t.get::<_, String>(1) == name)
                        .map(|t| TokenInfo {
                            id: t.get(0),
                            created: time_of(t.get(2)),
                            revoked: t.get::<_, Option<i64>>(3).map(time_of),
                        })
                        .collect(),
                    name: u.get::<_, Option<String>>(3).unwrap_or(name),
                }
            })
            .collect())
    }

    async fn revoke_token(&self, id: &str) -> Result<bool, BackendError> {
        let conn = self.pool.get().await?;
        let n = conn
            .execute(
                "UPDATE outpost_tokens SET revoked_ms = $2 WHERE id = $1 AND revoked_ms IS NULL",
                &[&id, &now_ms()],
            )
            .await
            .map_err(pg_err)?;
        Ok(n > 0)
    }

    async fn authenticate(&self, hash: &str) -> Result<Option<Principal>, BackendError> {
        let conn = self.pool.get().await?;
        let row = conn
            .query_opt(
                "SELECT u.name, u.role, u.display_name, u.email FROM outpost_tokens t \
                 JOIN outpost_users u ON u.name = t.user_name \
                 WHERE t.hash = $1 AND t.revoked_ms IS NULL",
                &[&hash],
            )
            .await
            .map_err(pg_err)?;
        Ok(row.map(|r| Principal {
            user: r.get(0),
            role: role_of(r.get(1)),
            name: r.get(2),
            email: r.get(3),
        }))
    }

    async fn feed_secret(&self, user: &str) -> Result<Option<String>, BackendError> {
        let conn = self.pool.get().await?;
        let row = conn
            .query_opt("SELECT feed_secret FROM outpost_users WHERE name = $1", &[&user])
            .await
            .map_err(pg_err)?
            .ok_or_else(|| no_user(user))?;
        Ok(row.get(0))
    }

    async fn set_feed_secret(&self, user: &str, secret: Option<&str>) -> Result<(), BackendError> {
        let conn = self.pool.get().await?;
        let hash = secret.map(crate::server::auth::hash);
        let n = conn
            .execute(
                "UPDATE outpost_users SET feed_secret = $2, feed_hash = $3 WHERE name = $1",
                &[&user, &secret, &hash],
            )
            .await
            .map_err(pg_err)?;
        if n == 0 {
            return Err(no_user(user));
        }
        Ok(())
    }

    async fn feed_user(&self, secret: &str) -> Result<Option<Principal>, BackendError> {
        let conn = self.pool.get().await?;
        // Found by the secret's hash (an index lookup reveals nothing of the secret),
        // then the secret itself compared in constant time.
        let row = conn
            .query_opt(
                "SELECT name, role, display_name, email, feed_secret FROM outpost_users WHERE feed_hash = $1",
                &[&crate::server::auth::hash(secret)],
            )
            .await
            .map_err(pg_err)?;
        Ok(row
            .filter(|r| {
                r.get::<_, Option<String>>(4)
                    .is_some_and(|s| crate::server::auth::same_secret(&s, secret))
            })
            .map(|r| Principal {
                user: r.get(0),
                role: role_of(r.get(1)),
                name: r.get(2),
                email: r.get(3),
            }))
    }
}

fn no_user(user: &str) -> BackendError {
    ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        "not_found",
        format!("no user '{user}'; see `outpost server user list`"),
    )
    .into()
}
