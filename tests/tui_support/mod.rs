//! Shared by the TUI tests: a demo store at a fixed clock, the harness, snapshots.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use outpost::app::App;
use outpost::model::WallClock;
use outpost::tui::harness::Harness;

/// The zone the tests live in.
pub const ZONE: chrono_tz::Tz = chrono_tz::Europe::Berlin;

/// "Now" in every TUI test: Tuesday 10 March 2026, 09:00 in Berlin.
pub fn now() -> DateTime<chrono_tz::Tz> {
    ZONE.with_ymd_and_hms(2026, 3, 10, 9, 0, 0)
        .single()
        .expect("valid time")
}

/// A clock standing at [`now`]; move it with `advance`/`set` (every clone follows).
pub fn clock() -> WallClock {
    WallClock::manual(now().with_timezone(&Utc))
}

/// A fresh store filled with the demo (seed 7, 800 contacts) as of [`now`], on a manual
/// clock standing at [`now`] (`app.clock()` moves it).
pub fn demo_app() -> (tempfile::TempDir, Arc<App>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = App::open_with_clock(dir.path(), clock()).expect("open");
    app.demo_at(7, 800, &now()).expect("demo");
    (dir, Arc::new(app))
}

/// A session on a fresh demo store.
pub fn session(w: u16, h: u16) -> (tempfile::TempDir, Harness) {
    let (dir, app) = demo_app();
    (dir, Harness::new(app, ZONE, (w, h)))
}

/// Masks what differs between runs: the device code in quote numbers (Q-1A2B-0001).
pub fn mask(screen: &str) -> String {
    let chars: Vec<char> = screen.chars().collect();
    let mut out = String::with_capacity(screen.len());
    let mut i = 0;
    while i < chars.len() {
        let is_code = chars[i] == 'Q'
            && chars.get(i + 1) == Some(&'-')
            && chars.get(i + 6) == Some(&'-')
            && (i + 2..i + 6).all(|j| chars.get(j).is_some_and(|c| c.is_ascii_hexdigit()));
        if is_code {
            out.push_str("Q-####-");
            i += 7;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// Compares `text` with `tests/snapshots/NAME.txt` byte for byte; with
/// `UPDATE_SNAPSHOTS=1` writes it instead.
pub fn assert_snapshot(name: &str, text: &str) {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "snapshots", &format!("{name}.txt")]
        .iter()
        .collect();
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v == "1") {
        std::fs::write(&path, text).expect("write snapshot");
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no snapshot {}; run with UPDATE_SNAPSHOTS=1 to write it",
            path.display()
        )
    });
    if want != text {
        let diff: Vec<String> = want
            .lines()
            .zip(text.lines())
            .enumerate()
            .filter(|(_, (a, b))| a != b)
            .take(5)
            .map(|(i, (a, b))| format!("line {}:\n  want: {a}\n  got:  {b}", i + 1))
            .collect();
        panic!(
            "screen differs from {} (UPDATE_SNAPSHOTS=1 rewrites it)\n{}\n\nfull screen:\n{text}",
            path.display(),
            diff.join("\n")
        );
    }
}

/// A pulled change as the sync engine hands it to the store: the record's new state and
/// the conflicts the server shipped with it.
struct Pulled {
    kind: outpost::model::EntityKind,
    id: outpost::model::Id,
    hlc: outpost::model::Hlc,
    conflicts: Vec<outpost::store::Conflict>,
    new: outpost::store::Stored,
}

impl outpost::store::Remote for Pulled {
    fn target(&self) -> (outpost::model::EntityKind, outpost::model::Id) {
        (self.kind, self.id)
    }
    fn hlc(&self) -> outpost::model::Hlc {
        self.hlc
    }
    fn conflicts(&self) -> &[outpost::store::Conflict] {
        &self.conflicts
    }
    fn merge(&self, _current: Option<&outpost::store::Stored>) -> outpost::store::Outcome {
        outpost::store::Outcome::Put(self.new.clone())
    }
}

/// The first record of `kind` (by title, then its dates) that no other record matches
/// on those, so that what the tests show does not depend on random ids.
pub fn first_unique(app: &App, kind: outpost::model::EntityKind) -> outpost::model::Id {
    let mut keys: Vec<(String, outpost::model::Id)> = app
        .store_for_tests()
        .index_entries_titles(kind)
        .expect("titles")
        .into_iter()
        .map(|(title, id)| {
            let s = app.record(kind, id).expect("get").expect("record");
            (format!("{title}|{}|{}", s.text("at"), s.text("due")), id)
        })
        .collect();
    keys.sort();
    keys.iter()
        .find(|(k, _)| keys.iter().filter(|(u, _)| u == k).count() == 1)
        .map(|(_, id)| *id)
        .expect("a record with a unique title")
}

/// Applies one pulled page that raises four conflicts, as a sync with a server would:
/// ben and this laptop both changed a deal's next step (41) and a contact's job title
/// (42), ben deleted a task this laptop edited (43), and the server refused this
/// laptop's change of an account's industry (44). Returns the conflict ids.
pub fn pull_conflicts(app: &App) -> Vec<String> {
    use outpost::model::{EntityKind, Hlc, ReplicaId};
    use outpost::store::{Conflict, ConflictKind, DELETED, Side};
    use serde_json::{Value, json};

    let store = app.store_for_tests();
    let me = store.replica();
    let ben = ReplicaId(0xbe11_0000_0000_0001);
    let base = app.clock().now_ms() + 60_000;
    let at = Utc.with_ymd_and_hms(2026, 3, 9, 15, 30, 0).single().expect("time");
    let mut items = Vec::new();
    let mut ids = Vec::new();
    let mut theirs_edit = |kind: EntityKind, cursor: u64, field: &str, value: Value, actor: &str| {
        let id = first_unique(app, kind);
        let mut new = store.get(kind, id).expect("get").expect("record");
        let hlc = Hlc {
            wall: base + cursor,
            counter: 0,
            replica: ben,
        };
        let conflict = Conflict {
            id: Conflict::make_id(cursor, 0),
            kind: ConflictKind::Edit,
            entity: kind,
            record: id,
            field: field.to_string(),
            winner: Side {
                value: value.clone(),
                hlc: Some(hlc),
            },
            loser: Side {
                value: new.fields.get(field).cloned().unwrap_or(Value::Null),
                hlc: new.clocks.get(field).copied(),
            },
            actor: actor.to_string(),
            at,
            reason: None,
        };
        new.fields.insert(field.to_string(), value);
        new.clocks.insert(field.to_string(), hlc);
        ids.push(conflict.id.clone());
        items.push(Pulled {
            kind,
            id,
            hlc,
            conflicts: vec![conflict],
            new,
        });
    };
    theirs_edit(
        EntityKind::Opportunity,
        41,
        "next_step",
        json!("Call the CFO on Friday"),
        "ben",
    );
    theirs_edit(EntityKind::Contact, 42, "title", json!("Head of Operations"), "carla");

    // 43: ben deleted an activity whose subject this laptop changed.
    let task = first_unique(app, EntityKind::Activity);
    let mut gone = store.get(EntityKind::Activity, task).expect("get").expect("task");
    let hlc = Hlc {
        wall: base + 43,
        counter: 0,
        replica: ben,
    };
    let conflict = Conflict {
        id: Conflict::make_id(43, 0),
        kind: ConflictKind::Delete,
        entity: EntityKind::Activity,
        record: task,
        field: "subject".into(),
        winner: Side {
            value: Value::Null,
            hlc: Some(hlc),
        },
        loser: Side {
            value: gone.fields.get("subject").cloned().unwrap_or(Value::Null),
            hlc: gone.clocks.get("subject").copied(),
        },
        actor: "ben".into(),
        at,
        reason: None,
    };
    gone.deleted = true;
    gone.clocks.insert(DELETED.into(), hlc);
    ids.push(conflict.id.clone());
    items.push(Pulled {
        kind: EntityKind::Activity,
        id: task,
        hlc,
        conflicts: vec![conflict],
        new: gone,
    });

    // 44: the server refused this laptop's change of an account's industry and sent back
    // its own value, which ben wrote earlier.
    let account = first_unique(app, EntityKind::Account);
    let mut kept = store.get(EntityKind::Account, account).expect("get").expect("account");
    let mine = Hlc {
        wall: base + 10,
        counter: 0,
        replica: me,
    };
    let server = Hlc {
        wall: base - 86_400_000,
        counter: 0,
        replica: ben,
    };
    kept.clocks.insert("industry".into(), server);
    let conflict = Conflict {
        id: Conflict::make_id(44, 0),
        kind: ConflictKind::Refused,
        entity: EntityKind::Account,
        record: account,
        field: "industry".into(),
        winner: Side {
            value: kept.fields.get("industry").cloned().unwrap_or(Value::Null),
            hlc: Some(server),
        },
        loser: Side {
            value: json!("Logistics"),
            hlc: Some(mine),
        },
        actor: "anna".into(),
        at,
        reason: Some("anna may change only her own records or ones without an owner".into()),
    };
    ids.push(conflict.id.clone());
    items.push(Pulled {
        kind: EntityKind::Account,
        id: account,
        hlc: mine,
        conflicts: vec![conflict],
        new: kept,
    });

    store.apply_remote(&items, 44).expect("apply the pulled page");
    ids
}
