//! Merge properties: convergence under any order, grouping and duplication; and the
//! conflict rules.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::model::ReplicaId;

fn hlc(wall: u64, replica: u64) -> Hlc {
    Hlc {
        wall,
        counter: 0,
        replica: ReplicaId(replica),
    }
}

/// A change to one of two records.
#[derive(Clone, Debug)]
struct Op {
    record: u8,
    hlc: Hlc,
    op: ChangeOp,
}

fn arb_op() -> impl Strategy<Value = Op> {
    let field = prop_oneof![Just("name"), Just("city"), Just("owner"), Just("stage_history")];
    let entry = |stage: &str, min: u32| json!({"stage": stage, "at": format!("2026-03-10T09:{min:02}:00Z")});
    let value = prop_oneof![
        Just(json!("x")),
        Just(json!("y")),
        Just(json!(null)),
        Just(json!(3)),
        Just(json!({"e1": entry("Won", 1)})),
        Just(json!({"e2": entry("Lost", 2), "e3": entry("Won", 3)})),
        Just(json!([entry("Prospecting", 0)])),
    ];
    let base = proptest::option::of((1u64..20, 1u64..4).prop_map(|(w, r)| hlc(w, r)));
    let kind = prop_oneof![
        (field.clone(), value.clone()).prop_map(|(f, v)| {
            let mut fields = crate::model::Fields::new();
            fields.insert(f.to_string(), v);
            ChangeOp::Create { fields }
        }),
        (field, value, base.clone()).prop_map(|(f, v, b)| ChangeOp::Set {
            field: f.to_string(),
            value: v,
            base: b
        }),
        base.clone().prop_map(|b| ChangeOp::Delete {
            base: b,
            seen: BTreeMap::new()
        }),
        base.prop_map(|b| ChangeOp::Restore { base: b }),
    ];
    (0u8..2, 1u64..20, 1u64..4, kind).prop_map(|(record, wall, replica, op)| Op {
        record,
        hlc: hlc(wall, replica),
        op,
    })
}

/// Distinct writes never share a clock: make each op's clock unique.
fn unique(mut ops: Vec<Op>) -> Vec<Op> {
    for (i, o) in ops.iter_mut().enumerate() {
        o.hlc.counter = u32::try_from(i).unwrap_or(0);
    }
    ops
}

fn run(ops: &[Op]) -> BTreeMap<u8, Stored> {
    let mut states: BTreeMap<u8, Stored> = BTreeMap::new();
    for o in ops {
        let merged = apply(states.get(&o.record), o.hlc, &o.op);
        states.insert(o.record, merged.state);
    }
    states.retain(|_, s| *s != Stored::default());
    states
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_order_gives_the_same_state(ops in proptest::collection::vec(arb_op(), 1..25), seed in any::<u64>()) {
        let ops = unique(ops);
        let reference = run(&ops);
        let mut shuffled = ops.clone();
        fastrand::Rng::with_seed(seed).shuffle(&mut shuffled);
        prop_assert_eq!(&run(&shuffled), &reference);
    }

    #[test]
    fn duplicates_and_grouping_change_nothing(ops in proptest::collection::vec(arb_op(), 1..25), seed in any::<u64>()) {
        let ops = unique(ops);
        let reference = run(&ops);
        let mut rng = fastrand::Rng::with_seed(seed);
        // Deliver in random batches, some batches twice, some ops repeated later.
        let mut delivered = Vec::new();
        let mut i = 0;
        while i < ops.len() {
            let n = rng.usize(1..=3).min(ops.len() - i);
            let batch = &ops[i..i + n];
            delivered.extend_from_slice(batch);
            if rng.bool() {
                delivered.extend_from_slice(batch);
            }
            i += n;
        }
        for _ in 0..rng.usize(0..5) {
            delivered.push(ops[rng.usize(0..ops.len())].clone());
        }
        rng.shuffle(&mut delivered);
        prop_assert_eq!(&run(&delivered), &reference);
    }
}

fn created(fields: serde_json::Value, at: Hlc) -> Stored {
    let serde_json::Value::Object(fields) = fields else {
        return Stored::default();
    };
    apply(None, at, &ChangeOp::Create { fields }).state
}

fn set(field: &str, value: serde_json::Value, base: Option<Hlc>) -> ChangeOp {
    ChangeOp::Set {
        field: field.into(),
        value,
        base,
    }
}

#[test]
fn a_sequential_edit_is_not_a_conflict() {
    let c = hlc(1, 1);
    let s = created(json!({"city": "Berlin"}), c);
    let m = apply(Some(&s), hlc(2, 2), &set("city", json!("Munich"), Some(c)));
    assert!(m.conflicts.is_empty());
    assert_eq!(m.state.fields["city"], json!("Munich"));
}

#[test]
fn concurrent_edits_pick_the_later_clock_and_keep_the_loser() {
    let c = hlc(1, 1);
    let s = created(json!({"city": "Berlin"}), c);
    let a = apply(Some(&s), hlc(5, 2), &set("city", json!("Munich"), Some(c))).state;
    // Written before `a` by the clock, without having seen it: it loses.
    let m = apply(Some(&a), hlc(4, 3), &set("city", json!("Hamburg"), Some(c)));
    assert_eq!(m.state.fields["city"], json!("Munich"));
    assert_eq!(m.conflicts.len(), 1);
    assert_eq!(m.conflicts[0].kind, ConflictKind::Edit);
    assert_eq!(m.conflicts[0].loser.value, json!("Hamburg"));
    assert_eq!(m.conflicts[0].winner.value, json!("Munich"));
    // Same value concurrently: no conflict.
    let same = apply(Some(&a), hlc(6, 3), &set("city", json!("Munich"), Some(c)));
    assert!(same.conflicts.is_empty());
}

#[test]
fn edit_and_delete_conflict_in_either_order() {
    let c = hlc(1, 1);
    let s = created(json!({"city": "Berlin"}), c);
    let mut seen = BTreeMap::new();
    seen.insert("city".to_string(), c);
    let delete = ChangeOp::Delete { base: None, seen };
    let edit = set("city", json!("Munich"), Some(c));
    // Delete first, then the edit arrives.
    let d = apply(Some(&s), hlc(3, 2), &delete).state;
    let m = apply(Some(&d), hlc(2, 3), &edit);
    assert!(m.state.deleted);
    assert_eq!(m.conflicts.len(), 1);
    assert_eq!(m.conflicts[0].kind, ConflictKind::Delete);
    // Edit first, then the delete that did not see it.
    let e = apply(Some(&s), hlc(2, 3), &edit).state;
    let m2 = apply(Some(&e), hlc(3, 2), &delete);
    assert!(m2.state.deleted);
    assert_eq!(m2.conflicts.len(), 1);
    assert_eq!(m2.conflicts[0].loser.value, json!("Munich"));
    assert_eq!(m.state, m2.state);
}

#[test]
fn restore_after_delete_by_clock() {
    let s = created(json!({"name": "A"}), hlc(1, 1));
    let d = apply(
        Some(&s),
        hlc(3, 1),
        &ChangeOp::Delete {
            base: None,
            seen: BTreeMap::new(),
        },
    )
    .state;
    let r = apply(Some(&d), hlc(2, 2), &ChangeOp::Restore { base: None }).state;
    assert!(r.deleted, "an older restore loses to a newer delete");
    let r2 = apply(Some(&d), hlc(4, 2), &ChangeOp::Restore { base: None }).state;
    assert!(!r2.deleted);
}

#[test]
fn revert_puts_back_the_servers_field() {
    let c = hlc(1, 1);
    let server = created(json!({"city": "Berlin"}), c);
    let local = apply(Some(&server), hlc(2, 2), &set("city", json!("Paris"), Some(c))).state;
    match revert(Some(&local), &set("city", json!("Paris"), Some(c)), Some(&server)) {
        Outcome::Put(s) => assert_eq!(s, server),
        other => panic!("expected the server's state back, got {other:?}"),
    }
    assert_eq!(
        revert(Some(&local), &set("city", json!("Paris"), Some(c)), None),
        Outcome::Unchanged,
        "a refusal never deletes local data"
    );
    assert_eq!(
        revert(
            Some(&local),
            &ChangeOp::Create {
                fields: local.fields.clone()
            },
            None
        ),
        Outcome::Unchanged
    );
}

fn history(value: &serde_json::Value) -> Vec<String> {
    crate::model::records::StageHistory::from_value(value)
        .ordered()
        .into_iter()
        .map(|(_, c)| c.stage.clone())
        .collect()
}

#[test]
fn concurrent_stage_moves_keep_both_history_entries_and_the_later_stage() {
    let c = hlc(1, 1);
    let first = json!({"a0": {"stage": "Prospecting", "at": "2026-03-10T09:00:00Z"}});
    let s = created(json!({"stage": "Prospecting", "stage_history": first}), c);
    let mut mine = first.clone();
    mine["m1"] = json!({"stage": "Negotiation", "at": "2026-03-10T10:00:00Z", "from": "Prospecting"});
    let mut theirs = first;
    theirs["t1"] = json!({"stage": "Closed Lost", "at": "2026-03-10T11:00:00Z", "from": "Prospecting"});
    let a = [
        (hlc(5, 2), set("stage", json!("Negotiation"), Some(c))),
        (hlc(5, 2), set("stage_history", mine, Some(c))),
    ];
    let b = [
        (hlc(7, 3), set("stage", json!("Closed Lost"), Some(c))),
        (hlc(7, 3), set("stage_history", theirs, Some(c))),
    ];
    let play = |order: &[&(Hlc, ChangeOp)]| {
        let mut state = s.clone();
        let mut conflicts = Vec::new();
        for (at, op) in order {
            let m = apply(Some(&state), *at, op);
            conflicts.extend(m.conflicts.into_iter().map(|d| d.field));
            state = m.state;
        }
        (state, conflicts)
    };
    let (ab, ab_conflicts) = play(&[&a[0], &a[1], &b[0], &b[1]]);
    let (ba, ba_conflicts) = play(&[&b[0], &b[1], &a[0], &a[1]]);
    assert_eq!(ab, ba, "the same state in either order");
    assert_eq!(
        ab.fields["stage"],
        json!("Closed Lost"),
        "the stage is the later writer's"
    );
    assert_eq!(
        history(&ab.fields["stage_history"]),
        ["Prospecting", "Negotiation", "Closed Lost"],
        "both moves stay in the history, ordered by time"
    );
    assert_eq!(ab_conflicts, ["stage"], "the stage is a conflict, the history is not");
    assert_eq!(ba_conflicts, ["stage"]);
}

#[test]
fn an_older_history_array_merges_with_entries() {
    let legacy = json!([{"stage": "Prospecting", "at": "2026-03-10T09:00:00Z"}]);
    let s = created(json!({"stage_history": legacy.clone()}), hlc(1, 1));
    assert!(s.fields["stage_history"].is_object(), "stored as entries");
    let mut newer = crate::model::records::StageHistory::union(None, &legacy);
    newer["n1"] = json!({"stage": "Qualification", "at": "2026-03-10T10:00:00Z"});
    let m = apply(Some(&s), hlc(2, 2), &set("stage_history", newer.clone(), None));
    assert_eq!(
        history(&m.state.fields["stage_history"]),
        ["Prospecting", "Qualification"]
    );
    // The same legacy entry converted on two replicas has the same id: no duplicate.
    let again = apply(Some(&m.state), hlc(3, 3), &set("stage_history", legacy, None));
    assert_eq!(again.state.fields["stage_history"], newer);
}
