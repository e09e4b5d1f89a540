//! Property test: any random sequence of mutations (valid or not) keeps every index equal
//! to what a full scan says, and the outbox contiguous; a rejected batch changes nothing.

use outpost::model::{EntityKind, Fields, Id};
use outpost::store::{Mutation, Op, Store};
use proptest::prelude::*;
use serde_json::json;

#[derive(Clone, Debug)]
enum Step {
    NewAccount {
        name: u8,
        owner: Option<u8>,
    },
    NewContact {
        account: Option<usize>,
        first: u8,
    },
    NewOpp {
        account: usize,
        stage: u8,
        close_day: u8,
        amount: i32,
    },
    NewTask {
        account: Option<usize>,
        due_day: u8,
    },
    Rename {
        target: usize,
        name: u8,
    },
    MoveOpp {
        target: usize,
        stage: u8,
    },
    Relink {
        target: usize,
        account: usize,
    },
    Delete {
        target: usize,
    },
    Restore {
        target: usize,
    },
    Batch {
        a: u8,
        b: u8,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (any::<u8>(), proptest::option::of(0u8..4)).prop_map(|(name, owner)| Step::NewAccount { name, owner }),
        (proptest::option::of(0usize..64), any::<u8>())
            .prop_map(|(account, first)| Step::NewContact { account, first }),
        (0usize..64, 0u8..9, any::<u8>(), -10i32..100_000).prop_map(|(account, stage, close_day, amount)| {
            Step::NewOpp {
                account,
                stage,
                close_day,
                amount,
            }
        }),
        (proptest::option::of(0usize..64), any::<u8>())
            .prop_map(|(account, due_day)| Step::NewTask { account, due_day }),
        (0usize..64, any::<u8>()).prop_map(|(target, name)| Step::Rename { target, name }),
        (0usize..64, 0u8..9).prop_map(|(target, stage)| Step::MoveOpp { target, stage }),
        (0usize..64, 0usize..64).prop_map(|(target, account)| Step::Relink { target, account }),
        (0usize..64).prop_map(|target| Step::Delete { target }),
        (0usize..64).prop_map(|target| Step::Restore { target }),
        (any::<u8>(), any::<u8>()).prop_map(|(a, b)| Step::Batch { a, b }),
    ]
}

const STAGES: [&str; 9] = [
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Proposal",
    "Negotiation",
    "Closed Won",
    "Closed Lost",
    "Bogus",
    "",
];

fn fields(pairs: &[(&str, serde_json::Value)]) -> Fields {
    pairs.iter().map(|(k, v)| ((*k).to_string(), v.clone())).collect()
}

fn pick(ids: &[(EntityKind, Id)], i: usize) -> Option<(EntityKind, Id)> {
    (!ids.is_empty()).then(|| ids[i % ids.len()])
}

fn accounts(ids: &[(EntityKind, Id)]) -> Vec<Id> {
    ids.iter()
        .filter(|(k, _)| *k == EntityKind::Account)
        .map(|(_, id)| *id)
        .collect()
}

fn to_mutations(step: &Step, ids: &[(EntityKind, Id)]) -> Vec<Mutation> {
    let acc = accounts(ids);
    let account = |i: usize| (!acc.is_empty()).then(|| acc[i % acc.len()]);
    let day = |d: u8| format!("2026-{:02}-{:02}", 1 + d % 12, 1 + d % 28);
    match step {
        Step::NewAccount { name, owner } => {
            let mut f = fields(&[("name", json!(format!("Acct {}", name % 16)))]);
            if let Some(o) = owner {
                f.insert("owner".into(), json!(format!("rep{o}")));
            }
            vec![Mutation::create(EntityKind::Account, f)]
        }
        Step::NewContact { account: a, first } => {
            let mut f = fields(&[("first_name", json!(format!("F{first}"))), ("last_name", json!("L"))]);
            if let Some(id) = a.and_then(account) {
                f.insert("account_id".into(), json!(id.to_string()));
            }
            vec![Mutation::create(EntityKind::Contact, f)]
        }
        Step::NewOpp {
            account: a,
            stage,
            close_day,
            amount,
        } => {
            let Some(acc) = account(*a) else { return vec![] };
            vec![Mutation::create(
                EntityKind::Opportunity,
                fields(&[
                    ("name", json!("Deal")),
                    ("account_id", json!(acc.to_string())),
                    ("amount", json!(amount.to_string())),
                    ("stage", json!(STAGES[*stage as usize])),
                    ("close_date", json!(day(*close_day))),
                    ("probability", json!(10)),
                ]),
            )]
        }
        Step::NewTask { account: a, due_day } => {
            let mut f = fields(&[
                ("kind", json!("task")),
                ("subject", json!("Call")),
                ("due", json!(day(*due_day))),
            ]);
            if let Some(id) = a.and_then(account) {
                f.insert("account_id".into(), json!(id.to_string()));
            }
            vec![Mutation::create(EntityKind::Activity, f)]
        }
        Step::Rename { target, name } => pick(ids, *target)
            .map(|(k, id)| {
                let field = match k {
                    EntityKind::Contact => "first_name",
                    EntityKind::Activity => "subject",
                    _ => "name",
                };
                let value = if name % 7 == 0 {
                    String::new()
                } else {
                    format!("N{name}")
                };
                vec![Mutation::update(k, id, fields(&[(field, json!(value))]))]
            })
            .unwrap_or_default(),
        Step::MoveOpp { target, stage } => pick(ids, *target)
            .map(|(k, id)| {
                vec![Mutation::update(
                    k,
                    id,
                    fields(&[("stage", json!(STAGES[*stage as usize]))]),
                )]
            })
            .unwrap_or_default(),
        Step::Relink { target, account: a } => match (pick(ids, *target), account(*a)) {
            (Some((k, id)), Some(acc)) => vec![Mutation::update(
                k,
                id,
                fields(&[("account_id", json!(acc.to_string()))]),
            )],
            _ => vec![],
        },
        Step::Delete { target } => pick(ids, *target)
            .map(|(kind, id)| {
                vec![Mutation {
                    kind,
                    id,
                    op: Op::Delete,
                }]
            })
            .unwrap_or_default(),
        Step::Restore { target } => pick(ids, *target)
            .map(|(kind, id)| {
                vec![Mutation {
                    kind,
                    id,
                    op: Op::Restore,
                }]
            })
            .unwrap_or_default(),
        Step::Batch { a, b } => {
            let mut m = to_mutations(
                &Step::NewAccount {
                    name: *a,
                    owner: Some(b % 3),
                },
                ids,
            );
            m.extend(to_mutations(
                &Step::Rename {
                    target: usize::from(*b),
                    name: *a,
                },
                ids,
            ));
            m
        }
    }
}

fn snapshot(store: &Store) -> Vec<String> {
    let mut out = Vec::new();
    for kind in EntityKind::ALL {
        for item in store.scan(kind) {
            let (id, s) = item.expect("scan");
            out.push(format!("{kind} {id} {}", serde_json::to_string(&s).expect("json")));
        }
    }
    out.push(format!("outbox {}", store.outbox_len()));
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn indexes_match_a_full_scan_and_the_outbox_stays_contiguous(steps in proptest::collection::vec(step(), 1..60)) {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(dir.path()).expect("open");
        let mut ids: Vec<(EntityKind, Id)> = Vec::new();
        for step in &steps {
            let muts = to_mutations(step, &ids);
            let before = snapshot(&store);
            match store.commit(&muts) {
                Ok(_) => {
                    for m in &muts {
                        if matches!(m.op, Op::Create(_)) {
                            ids.push((m.kind, m.id));
                        }
                    }
                }
                Err(_) => prop_assert_eq!(before, snapshot(&store), "a rejected batch changed the store"),
            }
            let report = store.verify().expect("verify");
            prop_assert!(report.ok(), "after {:?}: {:?}", step, report.problems);
        }
        let seqs: Vec<u64> = store.outbox().map(|c| c.expect("change").seq).collect();
        prop_assert_eq!(seqs, (1..=store.outbox_len() as u64).collect::<Vec<_>>());
        // Rebuilding the indexes (one transaction) changes nothing in exact indexes.
        let before = store.verify().expect("verify");
        let records = snapshot(&store);
        store.rebuild_indexes().expect("rebuild");
        let after = store.verify().expect("verify");
        prop_assert!(after.ok(), "after a rebuild: {:?}", after.problems);
        prop_assert_eq!(before.index_entries, after.index_entries);
        prop_assert_eq!(records, snapshot(&store), "a rebuild changed records or the outbox");
    }
}
