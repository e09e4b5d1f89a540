//! Property tests (run in CI): the wire decoder and the server's push validation never
//! panic, whatever a client sends, and clock text never panics either. Inputs are
//! arbitrary bytes, arbitrary JSON, and valid pushes with parts replaced by arbitrary
//! JSON (type confusion, huge numbers, control characters, unknown fields and kinds).

use std::collections::BTreeMap;

use outpost::model::records::Role;
use outpost::model::{EntityKind, Hlc};
use outpost::protocol::wire::{PullResponse, PushRequest};
use outpost::server::auth::Principal;
use outpost::server::engine::{self, Policy};
use proptest::prelude::*;
use serde_json::{Value, json};

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        "\\PC{0,12}".prop_map(Value::String),
        "[\\x00-\\x1f]{0,4}".prop_map(Value::String),
        Just(json!("18446744073709551615.4294967295.00000000000000aa")),
        Just(json!("9999999999999.00000.00000000000000aa")),
        Just(json!("-5.00")),
        Just(json!("2026-06-30T23:59:60Z")),
        Just(json!("0000-01-01")),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_\\x00]{0,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const REPLICA: &str = "00000000000000aa";

fn valid_change(seq: u64, entity: &str) -> Value {
    json!({
        "replica": REPLICA, "seq": seq,
        "hlc": format!("{:013}.00000.{REPLICA}", 1_700_000_000_000u64 + seq),
        "entity": entity, "id": "01900000-0000-7000-8000-000000000001",
        "op": "create", "fields": {"name": "Nordic", "owner": "sara"},
    })
}

fn kinds() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("account".to_string()),
        Just("contact".to_string()),
        Just("opportunity".to_string()),
        Just("event".to_string()),
        Just("user".to_string()),
        Just("hovercraft".to_string()),
    ]
}

fn mutated_push() -> impl Strategy<Value = Value> {
    (
        prop::collection::vec((kinds(), "[a-z_]{1,8}", any_json(), any::<bool>()), 1..6),
        any::<bool>(),
    )
        .prop_map(|(parts, withheld)| {
            let mut changes = Vec::new();
            for (n, (kind, key, value, replace_top)) in parts.into_iter().enumerate() {
                let mut c = valid_change(n as u64 + 1, &kind);
                if replace_top {
                    let top = ["seq", "hlc", "id", "op", "field", "value", "base"][key.len() % 7];
                    c[top] = value;
                } else if let Some(f) = c["fields"].as_object_mut() {
                    f.insert(key, value);
                }
                changes.push(c);
            }
            let mut body = json!({"replica": REPLICA, "changes": changes, "schema": 1});
            if withheld {
                body["withheld"] =
                    json!([{"replica": REPLICA, "seq": 99, "entity": "contact", "id": "x", "reason": "big\u{0}"}]);
            }
            body
        })
}

/// Decodes as the server does, and when it decodes, plans it as both backends do.
fn serve(body: &[u8]) {
    let Ok(req) = serde_json::from_slice::<PushRequest>(body) else {
        return;
    };
    let sara = Principal {
        user: "sara".into(),
        role: Role::Rep,
        name: Some("Sara".into()),
        email: None,
    };
    let Ok(fresh) = engine::new_changes(&sara, None, 0, &req) else {
        return;
    };
    let mut records = BTreeMap::new();
    let policy = Policy {
        now_ms: 1_700_000_000_000,
        max_skew_ms: Hlc::DEFAULT_MAX_SKEW_MS,
        schema: req.schema.unwrap_or(1),
        logins: Some(std::sync::Arc::new(["sara".to_string()].into_iter().collect())),
    };
    let _ = engine::plan(&sara, fresh, &mut records, &policy);
    let _ = engine::Batch::new(fresh).link_keys(&records);
    let _ = engine::line_quote_keys(fresh, &records);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        serve(&bytes);
        let _ = serde_json::from_slice::<PullResponse>(&bytes);
    }

    #[test]
    fn arbitrary_json_never_panics(v in any_json()) {
        serve(v.to_string().as_bytes());
        let wrapped = json!({"replica": REPLICA, "changes": [v]});
        serve(wrapped.to_string().as_bytes());
    }

    #[test]
    fn mutated_pushes_never_panic(body in mutated_push()) {
        serve(body.to_string().as_bytes());
    }

    #[test]
    fn every_kind_checks_arbitrary_fields_without_panicking(fields in prop::collection::btree_map("[a-z_]{1,12}", any_json(), 0..8)) {
        let fields: outpost::model::Fields = fields.into_iter().collect();
        for kind in EntityKind::ALL {
            let _ = kind.check(&fields, Some(&fields), &outpost::model::entity::Context::default());
            let _ = kind.check_pushed(&fields, None, &outpost::model::entity::Context::default(), 2);
            let _ = kind.describe(&fields);
        }
    }

    #[test]
    fn clock_text_never_panics(s in "\\PC{0,40}", digits in "[0-9.]{0,40}") {
        for t in [&s, &digits] {
            if let Ok(h) = t.parse::<Hlc>() {
                let _ = h.check_bounds(1_700_000_000_000, Hlc::DEFAULT_MAX_SKEW_MS);
                let _ = Hlc::observe_bounded(Hlc::ZERO, h, 1_700_000_000_000);
                let _ = Hlc::tick(h, 1_700_000_000_000, h.replica);
            }
            let _ = outpost::model::clock::parse_duration_ms(t);
        }
    }
}
