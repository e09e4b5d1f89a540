//! The server's users as User records. Each user of the server is a User record (id
//! derived from the login, so every server process agrees) that every replica receives
//! through the normal pull. The server writes these records itself, as a replica of its
//! own (the *directory* replica, actor [`ACTOR`]) through the same push path laptops
//! use, whenever its accounts differ from what the log holds.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::auth::Principal;
use super::backend::UserInfo;
use super::engine::Key;
use crate::model::entity::Context;
use crate::model::records::{Role, user_record_id};
use crate::model::{EntityKind, Fields, Hlc, ReplicaId};
use crate::protocol::merge;
use crate::protocol::{Change, ChangeOp, DELETED, Stored};

/// The actor of the directory's changes. Not a valid login, so no token can act as it.
pub const ACTOR: &str = crate::protocol::wire::DIRECTORY_ACTOR;

/// Fields of a User record the server's accounts decide (quota only when given).
const OWNED: [&str; 4] = ["login", "name", "email", "role"];

/// The directory's replica id on server `server_id`.
#[must_use]
pub fn replica(server_id: &str) -> ReplicaId {
    ReplicaId(u64::from_str_radix(server_id, 16).unwrap_or_else(|_| {
        use sha2::{Digest, Sha256};
        let d = Sha256::digest(server_id.as_bytes());
        u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
    }))
}

/// The principal the directory pushes as.
#[must_use]
pub fn principal() -> Principal {
    Principal {
        user: ACTOR.to_string(),
        role: Role::Admin,
        name: None,
        email: None,
    }
}

/// The keys of the User records of `users`.
#[must_use]
pub fn keys(users: &[UserInfo]) -> Vec<Key> {
    users
        .iter()
        .map(|u| (EntityKind::User, user_record_id(&u.login)))
        .collect()
}

/// A fingerprint of what the directory writes, to skip work when nothing changed.
#[must_use]
pub fn fingerprint(users: &[UserInfo]) -> u64 {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for u in users {
        for part in [
            u.login.as_str(),
            u.name.as_str(),
            u.email.as_deref().unwrap_or(""),
            u.quota.as_deref().unwrap_or(""),
            role_name(u.role),
        ] {
            h.update(part.as_bytes());
            h.update([0]);
        }
    }
    let d = h.finalize();
    u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Rep => "rep",
        Role::Manager => "manager",
        Role::Admin => "admin",
    }
}

/// The normalised fields of a user's record, or `None` (after saying why on stderr)
/// when the accounts hold something a User record cannot (checked when users are added).
fn fields(u: &UserInfo) -> Option<Fields> {
    let mut f = Fields::new();
    f.insert("login".into(), json!(u.login));
    f.insert("name".into(), json!(u.name));
    f.insert("email".into(), u.email.as_ref().map_or(Value::Null, |e| json!(e)));
    f.insert("role".into(), json!(role_name(u.role)));
    if let Some(q) = &u.quota {
        f.insert("quota".into(), json!(q));
    }
    match EntityKind::User.check(&f, None, &Context::default()) {
        Ok(c) => Some(c.fields),
        Err(e) => {
            eprintln!(
                "outpost serve: user '{}' cannot be shared as a User record: {e}",
                u.login
            );
            None
        }
    }
}

/// The changes that make the User records in `records` match `users`: a create for a
/// user without a record, a restore for a trashed one, a set for each field that
/// differs. Sequence numbers follow `acked` (the directory replica's last change),
/// clocks follow every clock the records hold, so the accounts win.
#[must_use]
pub fn changes(
    users: &[UserInfo],
    records: &BTreeMap<Key, Stored>,
    acked: u64,
    replica: ReplicaId,
    now_ms: u64,
) -> Vec<Change> {
    let mut last = records
        .values()
        .flat_map(|s| s.clocks.values().copied())
        .max()
        .unwrap_or(Hlc::ZERO);
    let mut out = Vec::new();
    let mut push = |id, op| {
        let hlc = Hlc::tick(last, now_ms, replica);
        last = hlc;
        out.push(Change {
            replica,
            seq: acked + out.len() as u64 + 1,
            hlc,
            entity: EntityKind::User,
            id,
            op,
        });
    };
    for u in users {
        let Some(want) = fields(u) else { continue };
        let id = user_record_id(&u.login);
        let current = records.get(&(EntityKind::User, id)).filter(|s| merge::exists(s));
        let Some(current) = current else {
            push(id, ChangeOp::Create { fields: want });
            continue;
        };
        if current.deleted {
            push(
                id,
                ChangeOp::Restore {
                    base: current.clocks.get(DELETED).copied(),
                },
            );
        }
        let owned = OWNED.iter().chain(if u.quota.is_some() {
            ["quota", "currency"].iter()
        } else {
            [].iter()
        });
        for field in owned {
            let value = want.get(*field).cloned().unwrap_or(Value::Null);
            if current.fields.get(*field).unwrap_or(&Value::Null) != &value {
                push(
                    id,
                    ChangeOp::Set {
                        field: (*field).to_string(),
                        value,
                        base: current.clocks.get(*field).copied(),
                    },
                );
            }
        }
    }
    out
}

/// Whether a change to a User record is one the server's accounts decide: any change
/// to a record with a login (or a create carrying one), except a manager setting the
/// quota. Those come only from the directory.
#[must_use]
pub fn is_managed(current: Option<&Stored>, change: &Change) -> bool {
    if change.entity != EntityKind::User {
        return false;
    }
    let has_login = |f: &Fields| {
        f.get("login")
            .and_then(Value::as_str)
            .is_some_and(|l| !l.trim().is_empty())
    };
    match &change.op {
        ChangeOp::Create { fields } => has_login(fields) || current.is_some_and(|c| has_login(&c.fields)),
        ChangeOp::Set { field, .. } => {
            (current.is_some_and(|c| has_login(&c.fields)) && !matches!(field.as_str(), "quota" | "currency"))
                || field == "login"
        }
        ChangeOp::Delete { .. } | ChangeOp::Restore { .. } => current.is_some_and(|c| has_login(&c.fields)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(login: &str, name: &str) -> UserInfo {
        UserInfo {
            login: login.into(),
            name: name.into(),
            email: Some(format!("{login}@example.com")),
            quota: None,
            role: Role::Rep,
            created: chrono::Utc::now(),
            tokens: Vec::new(),
        }
    }

    #[test]
    fn missing_users_are_created_then_only_differences_are_set() {
        let r = replica("00000000000000ab");
        assert_eq!(r, ReplicaId(0xab));
        let users = vec![user("sara", "Sara Lindqvist")];
        let mut records = BTreeMap::new();
        let first = changes(&users, &records, 0, r, 1000);
        assert_eq!(first.len(), 1);
        assert!(matches!(first[0].op, ChangeOp::Create { .. }));
        assert_eq!((first[0].seq, first[0].id), (1, user_record_id("sara")));
        let merged = merge::apply(None, first[0].hlc, &first[0].op);
        records.insert((EntityKind::User, first[0].id), merged.state);
        assert!(changes(&users, &records, 1, r, 2000).is_empty(), "nothing differs");
        let renamed = vec![user("sara", "Sara L. Berg")];
        let next = changes(&renamed, &records, 1, r, 500);
        assert_eq!(next.len(), 1);
        assert_eq!(next[0].seq, 2);
        assert!(
            next[0].hlc > first[0].hlc,
            "the directory's clock moves on even when the wall clock lags"
        );
        assert!(matches!(&next[0].op, ChangeOp::Set { field, .. } if field == "name"));
    }

    #[test]
    fn only_the_directory_changes_server_users_but_managers_set_quotas() {
        let users = vec![user("sara", "Sara")];
        let c = changes(&users, &BTreeMap::new(), 0, ReplicaId(1), 1);
        let state = merge::apply(None, c[0].hlc, &c[0].op).state;
        let set = |field: &str| Change {
            op: ChangeOp::Set {
                field: field.into(),
                value: json!("x"),
                base: None,
            },
            ..c[0].clone()
        };
        assert!(is_managed(Some(&state), &set("name")));
        assert!(!is_managed(Some(&state), &set("quota")));
        assert!(is_managed(None, &c[0]), "a create with a login");
        let mut local = c[0].clone();
        local.id = crate::model::Id::new();
        if let ChangeOp::Create { fields } = &mut local.op {
            fields.remove("login");
        }
        assert!(!is_managed(None, &local), "a laptop's own User record");
    }
}
