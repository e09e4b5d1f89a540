//! Held records: records this replica created that the server refused and does not
//! hold. A refusal never deletes local data, so such a record stays exactly as written,
//! marked held with the server's reason, until a retry is accepted or the user discards
//! it. The mark lives in the `held` tree, keyed by entity and id, and points at the
//! `held` conflict that shows it (the newest refusal); it is written in the same
//! transaction as the pulled page that brought the refusal.

use super::apply::{fail, finish};
use super::{HELD, Store, StoreError};
use crate::model::{EntityKind, Id};
use serde::{Deserialize, Serialize};

/// The mark on a held record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldMark {
    /// Kind of the record.
    pub entity: EntityKind,
    /// The record.
    pub id: Id,
    /// Id of the `held` conflict that shows it (the newest refusal).
    pub conflict: String,
    /// Why the server refused it.
    pub reason: String,
    /// Outbox sequence of the create that re-sent it, while the server's answer is
    /// awaited; a sync that pulls past it without a refusal clears the mark.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resent: Option<u64>,
    /// Clock of the create last sent (the refused one, or the last re-send): a record
    /// none of whose clocks is newer is unchanged since, and is not sent again unless
    /// something that could change the server's answer happened (see `sync::engine`).
    /// None on marks written before it was kept: such a record is sent again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent: Option<crate::model::Hlc>,
    /// Server cursor of the newest refusal: changes to the server's users pulled after
    /// it may change the answer.
    #[serde(default)]
    pub refused_at: u64,
}

/// Meta key: the server cursor a sync had reached when it saw the server's users (User
/// records, roles) change.
pub const K_USERS_AT: &str = "users_changed_at";

impl HeldMark {
    /// Whether `record` was written since its create was last sent.
    #[must_use]
    pub fn edited_since_sent(&self, record: &super::Stored) -> bool {
        self.sent.is_none_or(|sent| record.clocks.values().any(|c| *c > sent))
    }
}

/// The key of a record's mark: entity tag, then id.
pub(crate) fn key(kind: EntityKind, id: Id) -> Vec<u8> {
    let mut k = vec![kind.tag()];
    k.extend_from_slice(id.as_bytes());
    k
}

pub(crate) fn encode(mark: &HeldMark) -> Vec<u8> {
    serde_json::to_vec(mark).unwrap_or_default()
}

pub(crate) fn decode(bytes: &[u8]) -> Result<HeldMark, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(format!("held mark: {e}")))
}

impl Store {
    /// Every held mark, in key order.
    pub fn held_marks(&self) -> Result<Vec<HeldMark>, StoreError> {
        let mut out = Vec::new();
        for item in self.tree(HELD).iter() {
            out.push(decode(&item?.1)?);
        }
        Ok(out)
    }

    /// The mark on one record, if it is held.
    pub fn held(&self, kind: EntityKind, id: Id) -> Result<Option<HeldMark>, StoreError> {
        self.tree(HELD).get(key(kind, id))?.map(|v| decode(&v)).transpose()
    }

    /// Held records that are not in the trash (what `sync status` counts and each sync
    /// sends again).
    pub fn held_live(&self) -> Result<Vec<HeldMark>, StoreError> {
        let mut out = Vec::new();
        for m in self.held_marks()? {
            if self.get(m.entity, m.id)?.is_some_and(|r| !r.deleted) {
                out.push(m);
            }
        }
        Ok(out)
    }

    /// After a sync pulled everything: a record re-sent with a change the server
    /// acknowledged (sequence up to `acked`) and did not refuse reached the server, so
    /// its mark goes. One transaction. Returns how many were cleared.
    pub fn clear_accepted_held(&self, acked: u64) -> Result<usize, StoreError> {
        let done: Vec<HeldMark> = self
            .held_marks()?
            .into_iter()
            .filter(|m| m.resent.is_some_and(|s| s <= acked))
            .collect();
        if done.is_empty() {
            return Ok(0);
        }
        let result = self.tree(HELD).transaction(|t| {
            let mut cleared = 0;
            for m in &done {
                let k = key(m.entity, m.id);
                // Only if nothing changed it since it was read (a refusal replaces it).
                let Some(cur) = t.get(&k)? else { continue };
                if decode(&cur).map_err(fail)? != *m {
                    continue;
                }
                t.remove(k)?;
                cleared += 1;
            }
            Ok(cleared)
        });
        let cleared = finish(result)?;
        self.flush()?;
        Ok(cleared)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::Hlc;
    use crate::store::{
        Change, ChangeOp, Conflict, ConflictKind, Hold, Mutation, Op, Outcome, Remote, Settle, Side, Stored,
    };

    /// A refusal as the sync layer hands it to the store.
    struct Refused {
        kind: EntityKind,
        id: Id,
        hold: Hold,
    }

    impl Remote for Refused {
        fn target(&self) -> (EntityKind, Id) {
            (self.kind, self.id)
        }
        fn hlc(&self) -> Hlc {
            Hlc::ZERO
        }
        fn conflicts(&self) -> &[Conflict] {
            &[]
        }
        fn merge(&self, _: Option<&Stored>) -> Outcome {
            Outcome::Unchanged
        }
        fn hold(&self) -> Option<&Hold> {
            Some(&self.hold)
        }
    }

    fn refused(id: Id, cursor: u64, seq: u64, create: bool, reason: &str) -> Refused {
        Refused {
            kind: EntityKind::Account,
            id,
            hold: Hold {
                seq,
                create,
                conflict: Conflict {
                    id: Conflict::make_id(cursor, 0),
                    kind: ConflictKind::Held,
                    entity: EntityKind::Account,
                    record: id,
                    field: crate::store::CREATED.into(),
                    winner: Side {
                        value: serde_json::Value::Null,
                        hlc: None,
                    },
                    loser: Side {
                        value: serde_json::Value::Null,
                        hlc: None,
                    },
                    actor: "sara".into(),
                    at: chrono::Utc::now(),
                    reason: Some(reason.into()),
                },
            },
        }
    }

    fn open() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(dir.path()).expect("open");
        (dir, store)
    }

    fn account(store: &Store) -> Id {
        let mut f = crate::model::Fields::new();
        f.insert("name".into(), json!("Nordic Paper AB"));
        f.insert("owner".into(), json!("bob"));
        let m = Mutation::create(EntityKind::Account, f);
        store.commit(std::slice::from_ref(&m)).expect("create");
        m.id
    }

    fn is_open(store: &Store, id: &str) -> bool {
        let c = store.conflict(id).expect("read").expect("conflict");
        store.conflict_is_open(&c).expect("open")
    }

    #[test]
    fn a_refused_create_keeps_the_record_and_marks_it_held_with_the_page() {
        let (_d, store) = open();
        let id = account(&store);
        let before = store.get(EntityKind::Account, id).expect("get");
        store.ack_outbox(1).expect("ack");
        let applied = store
            .apply_remote(&[refused(id, 5, 1, true, "not yours")], 5)
            .expect("apply");
        assert_eq!(applied.held, 1);
        assert_eq!(store.get(EntityKind::Account, id).expect("get"), before, "untouched");
        assert_eq!(store.sync_state().expect("state").cursor, 5);
        let mark = store.held(EntityKind::Account, id).expect("held").expect("mark");
        assert_eq!((mark.conflict.as_str(), mark.reason.as_str()), ("5", "not yours"));
        assert!(is_open(&store, "5"));
        assert_eq!(store.held_live().expect("live").len(), 1);

        // A later edit refused because the create never arrived adds nothing.
        store
            .apply_remote(&[refused(id, 6, 2, false, "no such record")], 6)
            .expect("apply");
        assert_eq!(
            store.held(EntityKind::Account, id).expect("held").expect("mark").reason,
            "not yours"
        );
        assert!(store.conflict("6").expect("read").is_none());
    }

    #[test]
    fn a_resend_stamps_and_queues_a_create_and_an_accepted_one_clears_the_mark() {
        let (_d, store) = open();
        let id = account(&store);
        store.ack_outbox(1).expect("ack");
        store
            .apply_remote(&[refused(id, 5, 1, true, "not yours")], 5)
            .expect("apply");
        let hlc = store
            .commit(&[Mutation {
                kind: EntityKind::Account,
                id,
                op: Op::Resend,
            }])
            .expect("resend")[0];
        let s = store.get(EntityKind::Account, id).expect("get").expect("record");
        assert!(s.clocks.values().all(|c| *c == hlc), "{:?}", s.clocks);
        let outbox: Vec<Change> = store.outbox().map(|c| c.expect("change")).collect();
        assert_eq!(outbox.len(), 1);
        assert!(matches!(&outbox[0].op, ChangeOp::Create { fields } if fields == &s.fields));
        assert_eq!(outbox[0].seq, 2);
        let mark = store.held(EntityKind::Account, id).expect("held").expect("mark");
        assert_eq!(mark.resent, Some(2));

        // A refusal of an older change says nothing about the retry.
        store
            .apply_remote(&[refused(id, 7, 1, true, "old news")], 7)
            .expect("apply");
        assert_eq!(store.held(EntityKind::Account, id).expect("held"), Some(mark));

        assert_eq!(store.clear_accepted_held(1).expect("clear"), 0, "not acknowledged yet");
        store.ack_outbox(2).expect("ack");
        assert_eq!(store.clear_accepted_held(2).expect("clear"), 1);
        assert!(store.held(EntityKind::Account, id).expect("held").is_none());
        assert!(!is_open(&store, "5"), "settled once the server has it");
        assert!(store.get(EntityKind::Account, id).expect("get").is_some());
    }

    #[test]
    fn a_refused_retry_stays_held_with_the_new_reason_under_the_same_conflict() {
        let (_d, store) = open();
        let id = account(&store);
        store
            .apply_remote(&[refused(id, 5, 1, true, "not yours")], 5)
            .expect("apply");
        store
            .commit(&[Mutation {
                kind: EntityKind::Account,
                id,
                op: Op::Resend,
            }])
            .expect("resend");
        store
            .apply_remote(&[refused(id, 9, 2, true, "still not yours")], 9)
            .expect("apply");
        let mark = store.held(EntityKind::Account, id).expect("held").expect("mark");
        assert_eq!(
            (mark.conflict.as_str(), mark.resent),
            ("5", None),
            "one stable conflict"
        );
        assert_eq!((mark.reason.as_str(), mark.refused_at), ("still not yours", 9));
        assert!(is_open(&store, "5"));
        let shown = store.conflict("5").expect("read").expect("conflict");
        assert_eq!(
            shown.conflict.reason.as_deref(),
            Some("still not yours"),
            "the reason is updated"
        );
        assert!(store.conflict("9").expect("read").is_none(), "no second conflict");
        assert_eq!(store.clear_accepted_held(2).expect("clear"), 0);
        let record = store.get(EntityKind::Account, id).expect("get").expect("record");
        assert!(!mark.edited_since_sent(&record), "unchanged since the retry");
        let mut f = crate::model::Fields::new();
        f.insert("owner".into(), json!("sara"));
        store
            .commit(&[Mutation::update(EntityKind::Account, id, f)])
            .expect("edit");
        let record = store.get(EntityKind::Account, id).expect("get").expect("record");
        assert!(mark.edited_since_sent(&record), "an edit makes it due");
    }

    #[test]
    fn settling_is_part_of_the_commit_and_discarding_lifts_the_mark() {
        let (_d, store) = open();
        let id = account(&store);
        store
            .apply_remote(&[refused(id, 5, 1, true, "not yours")], 5)
            .expect("apply");
        let trash = Mutation::delete(EntityKind::Account, id);
        let missing = Settle {
            id: "77".into(),
            how: "discard".into(),
        };
        let err = store
            .commit_settling(std::slice::from_ref(&trash), &[missing])
            .expect_err("no such conflict");
        assert!(err.to_string().contains("no conflict with id 77"), "{err}");
        assert!(
            !store
                .get(EntityKind::Account, id)
                .expect("get")
                .expect("record")
                .deleted,
            "nothing was written"
        );
        let settle = Settle {
            id: "5".into(),
            how: "discard".into(),
        };
        store
            .commit_settling(std::slice::from_ref(&trash), std::slice::from_ref(&settle))
            .expect("discard");
        assert!(
            store
                .get(EntityKind::Account, id)
                .expect("get")
                .expect("record")
                .deleted
        );
        assert!(store.held(EntityKind::Account, id).expect("held").is_none());
        let c = store.conflict("5").expect("read").expect("conflict");
        assert_eq!(c.resolved.as_deref(), Some("discard"));
        assert!(store.commit_settling(&[], &[settle]).is_err(), "already resolved");

        // The refused delete of a record the server never had holds nothing again.
        store
            .apply_remote(&[refused(id, 8, 3, false, "no such record")], 8)
            .expect("apply");
        assert!(store.held(EntityKind::Account, id).expect("held").is_none());
        assert!(store.held_live().expect("live").is_empty());
    }

    #[test]
    fn held_marks_survive_backup_and_restore() {
        let (_d, store) = open();
        let id = account(&store);
        store
            .apply_remote(&[refused(id, 5, 1, true, "not yours")], 5)
            .expect("apply");
        let mut out = Vec::new();
        crate::store::write_backup(&store, &mut out).expect("backup");
        let (_d2, mut fresh) = open();
        fresh.restore(&mut out.as_slice()).expect("restore");
        assert_eq!(fresh.held_marks().expect("marks"), store.held_marks().expect("marks"));
        assert!(is_open(&fresh, "5"));
    }
}
