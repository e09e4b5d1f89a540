//! The sync rules of sent documents, pure: a quote that is sent, accepted or rejected is
//! frozen, so a change made on a laptop that had not seen it frozen (an edit of its
//! content, a line added to it) is refused by the server instead of merged. The laptop
//! gets the refusal like any other: a `refused` conflict in its inbox with the reason
//! (the quote's value put back) or a `held` line kept there as written, never a silent
//! change to a sent document. Its lifecycle fields (status, times, approval) still move.
//!
//! And only managers and admins approve discounts: a rep's change that sets a quote
//! approved (or its approved discount) is refused.

use serde_json::Value;

use super::{ChangeOp, Stored};
use crate::model::EntityKind;
use crate::model::records::fields;

/// The quote fields its lifecycle changes; everything else is the document's content.
pub const LIFECYCLE: &[&str] = &[
    fields::quote::STATUS,
    fields::quote::SENT_AT,
    fields::quote::CLOSED_AT,
    fields::quote::APPROVED_DISCOUNT_PCT,
    fields::quote::APPROVED_BY,
    fields::quote::APPROVAL_COMMENT,
];

/// The status of a frozen quote ("sent", "accepted", "rejected"), else `None`.
#[must_use]
pub fn frozen_status(quote: &Stored) -> Option<&str> {
    if quote.deleted {
        return None;
    }
    quote
        .fields
        .get(fields::quote::STATUS)
        .and_then(Value::as_str)
        .filter(|s| matches!(*s, "sent" | "accepted" | "rejected"))
}

fn number(quote: &Stored) -> String {
    let n = quote
        .fields
        .get(fields::quote::NUMBER)
        .and_then(Value::as_str)
        .unwrap_or("");
    match quote.fields.get(fields::quote::REVISION).and_then(Value::as_u64) {
        Some(r) if r > 1 => format!("{n}-R{r}"),
        _ => n.to_string(),
    }
}

/// Why the server refuses `op` on a record of `entity` in state `current`, whose quote
/// (for a line being created) is `quote`; `None` when the rule allows it.
#[must_use]
pub fn refusal(entity: EntityKind, current: Option<&Stored>, quote: Option<&Stored>, op: &ChangeOp) -> Option<String> {
    match (entity, op) {
        (EntityKind::Quote, ChangeOp::Set { field, value, .. }) => {
            let cur = current?;
            let status = frozen_status(cur)?;
            if LIFECYCLE.contains(&field.as_str()) || cur.fields.get(field).unwrap_or(&Value::Null) == value {
                return None;
            }
            Some(format!(
                "quote {} was {status} on another laptop before this change to its {field} arrived: a sent quote does not change; \
                 revise it (`outpost quote revise {}`) and make the change there",
                number(cur),
                number(cur)
            ))
        }
        (EntityKind::QuoteLine, ChangeOp::Create { .. }) => {
            let q = quote?;
            let status = frozen_status(q)?;
            Some(format!(
                "quote {} was {status} on another laptop before this line reached it: a sent quote does not change; \
                 revise it (`outpost quote revise {}`) and add the line there, or discard this one",
                number(q),
                number(q)
            ))
        }
        _ => None,
    }
}

/// Whether `op` approves a quote's discount (which only managers and admins may do).
#[must_use]
pub fn approves(entity: EntityKind, op: &ChangeOp) -> bool {
    if entity != EntityKind::Quote {
        return false;
    }
    let sets = |field: &str, value: &Value| {
        (field == fields::quote::STATUS && value.as_str() == Some("approved"))
            || (matches!(field, "approved_discount_pct" | "approved_by") && !value.is_null())
    };
    match op {
        ChangeOp::Set { field, value, .. } => sets(field, value),
        ChangeOp::Create { fields } => fields.iter().any(|(k, v)| sets(k, v)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn quote(status: &str) -> Stored {
        let mut s = Stored::default();
        for (k, v) in [
            ("number", json!("Q-A-0001")),
            ("status", json!(status)),
            ("notes", json!("old")),
            ("revision", json!(2)),
        ] {
            s.fields.insert(k.into(), v);
        }
        s
    }

    fn set(field: &str, value: Value) -> ChangeOp {
        ChangeOp::Set {
            field: field.into(),
            value,
            base: None,
        }
    }

    #[test]
    fn a_frozen_quote_keeps_its_content_and_lines() {
        for status in ["sent", "accepted", "rejected"] {
            let q = quote(status);
            let why = refusal(EntityKind::Quote, Some(&q), None, &set("notes", json!("new"))).expect("refused");
            assert!(
                why.contains("Q-A-0001-R2") && why.contains(status) && why.contains("quote revise"),
                "{why}"
            );
            let line = ChangeOp::Create {
                fields: Default::default(),
            };
            assert!(refusal(EntityKind::QuoteLine, None, Some(&q), &line).is_some());
            // The lifecycle moves on, and a value it already has is no change.
            assert_eq!(
                refusal(EntityKind::Quote, Some(&q), None, &set("status", json!("accepted"))),
                None
            );
            assert_eq!(
                refusal(
                    EntityKind::Quote,
                    Some(&q),
                    None,
                    &set("closed_at", json!("2026-01-01T00:00:00Z"))
                ),
                None
            );
            assert_eq!(
                refusal(EntityKind::Quote, Some(&q), None, &set("notes", json!("old"))),
                None
            );
        }
        for status in ["draft", "needs_approval", "approved"] {
            let q = quote(status);
            assert_eq!(
                refusal(EntityKind::Quote, Some(&q), None, &set("notes", json!("new"))),
                None
            );
            let line = ChangeOp::Create {
                fields: Default::default(),
            };
            assert_eq!(refusal(EntityKind::QuoteLine, None, Some(&q), &line), None);
        }
        let mut gone = quote("sent");
        gone.deleted = true;
        assert_eq!(
            refusal(EntityKind::Quote, Some(&gone), None, &set("notes", json!("new"))),
            None
        );
    }

    #[test]
    fn approving_is_recognised() {
        assert!(approves(EntityKind::Quote, &set("status", json!("approved"))));
        assert!(approves(EntityKind::Quote, &set("approved_discount_pct", json!("20"))));
        assert!(!approves(EntityKind::Quote, &set("approved_discount_pct", Value::Null)));
        assert!(!approves(EntityKind::Quote, &set("status", json!("needs_approval"))));
        assert!(!approves(EntityKind::Opportunity, &set("status", json!("approved"))));
    }
}
