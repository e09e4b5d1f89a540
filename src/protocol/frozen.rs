//! The sync rules of sent documents, pure: a quote that is sent, accepted or rejected is
//! frozen, so a change made on a laptop that had not seen it frozen (an edit of its
//! header, a line added to it, and any change to one of its lines: quantity, price,
//! discount, tax, description, position, product, moving it to another quote, removing
//! it or bringing it back from the trash) is refused by the server instead of merged. The laptop
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

/// The first of `quotes` that is frozen, with its status.
fn first_frozen<'a>(quotes: &[&'a Stored]) -> Option<(&'a Stored, &'a str)> {
    quotes.iter().find_map(|q| frozen_status(q).map(|s| (*q, s)))
}

/// Why the server refuses `op` on a record of `entity` in state `current` (live, else
/// `None`); for a quote line, `quotes` are the quotes it touches as the server holds
/// them (the one it is on, and the one a create or a change of `quote_id` names).
/// `None` when the rule allows it. A change that sets a value the record already has is
/// no change and always allowed.
#[must_use]
pub fn refusal(entity: EntityKind, current: Option<&Stored>, quotes: &[&Stored], op: &ChangeOp) -> Option<String> {
    let refuse = |q: &Stored, status: &str, what: &str, instead: &str| {
        let n = number(q);
        Some(format!(
            "quote {n} was {status} on another laptop before {what}: a sent quote does not change; \
             revise it (`outpost quote revise {n}`) and {instead}"
        ))
    };
    match (entity, op) {
        (EntityKind::Quote, ChangeOp::Set { field, value, .. }) => {
            let cur = current?;
            let status = frozen_status(cur)?;
            if LIFECYCLE.contains(&field.as_str()) || cur.fields.get(field).unwrap_or(&Value::Null) == value {
                return None;
            }
            refuse(
                cur,
                status,
                &format!("this change to its {field} arrived"),
                "make the change there",
            )
        }
        (EntityKind::QuoteLine, ChangeOp::Create { .. }) => {
            let (q, status) = first_frozen(quotes)?;
            refuse(
                q,
                status,
                "this line reached it",
                "add the line there, or discard this one",
            )
        }
        (EntityKind::QuoteLine, ChangeOp::Set { field, value, .. }) => {
            if current.is_some_and(|c| c.fields.get(field).unwrap_or(&Value::Null) == value) {
                return None;
            }
            let (q, status) = first_frozen(quotes)?;
            refuse(
                q,
                status,
                &format!("this change to a line's {field} arrived"),
                "make the change there",
            )
        }
        (EntityKind::QuoteLine, ChangeOp::Delete { .. }) => {
            current?;
            let (q, status) = first_frozen(quotes)?;
            refuse(q, status, "this line's removal arrived", "remove the line there")
        }
        (EntityKind::QuoteLine, ChangeOp::Restore { .. }) => {
            let (q, status) = first_frozen(quotes)?;
            refuse(
                q,
                status,
                "this line's return from the trash arrived",
                "add the line there",
            )
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
            let why = refusal(EntityKind::Quote, Some(&q), &[], &set("notes", json!("new"))).expect("refused");
            assert!(
                why.contains("Q-A-0001-R2") && why.contains(status) && why.contains("quote revise"),
                "{why}"
            );
            let line = ChangeOp::Create {
                fields: Default::default(),
            };
            assert!(refusal(EntityKind::QuoteLine, None, &[&q], &line).is_some());
            // The lifecycle moves on, and a value it already has is no change.
            assert_eq!(
                refusal(EntityKind::Quote, Some(&q), &[], &set("status", json!("accepted"))),
                None
            );
            assert_eq!(
                refusal(
                    EntityKind::Quote,
                    Some(&q),
                    &[],
                    &set("closed_at", json!("2026-01-01T00:00:00Z"))
                ),
                None
            );
            assert_eq!(
                refusal(EntityKind::Quote, Some(&q), &[], &set("notes", json!("old"))),
                None
            );
        }
        for status in ["draft", "needs_approval", "approved"] {
            let q = quote(status);
            assert_eq!(
                refusal(EntityKind::Quote, Some(&q), &[], &set("notes", json!("new"))),
                None
            );
            let line = ChangeOp::Create {
                fields: Default::default(),
            };
            assert_eq!(refusal(EntityKind::QuoteLine, None, &[&q], &line), None);
        }
        let mut gone = quote("sent");
        gone.deleted = true;
        assert_eq!(
            refusal(EntityKind::Quote, Some(&gone), &[], &set("notes", json!("new"))),
            None
        );
    }

    fn line() -> Stored {
        let mut s = Stored::default();
        for (k, v) in [
            ("quote_id", json!("q")),
            ("quantity", json!("2")),
            ("unit_price", json!("100")),
            ("position", json!(1)),
        ] {
            s.fields.insert(k.into(), v);
        }
        s
    }

    #[test]
    fn a_frozen_quote_keeps_every_line_as_sent() {
        let l = line();
        let changes = [
            set("quantity", json!("5")),
            set("unit_price", json!("90")),
            set("discount_pct", json!("10")),
            set("tax_pct", json!("8")),
            set("description", json!("Other")),
            set("position", json!(3)),
            set("product_id", json!("another")),
            set("quote_id", json!("elsewhere")),
            ChangeOp::Delete {
                base: None,
                seen: Default::default(),
            },
        ];
        for status in ["sent", "accepted", "rejected"] {
            let q = quote(status);
            for op in &changes {
                let why = refusal(EntityKind::QuoteLine, Some(&l), &[&q], op).expect("refused");
                assert!(
                    why.contains("Q-A-0001-R2") && why.contains(status) && why.contains("quote revise"),
                    "{why}"
                );
            }
            let why = refusal(EntityKind::QuoteLine, Some(&l), &[&q], &set("quantity", json!("5"))).unwrap_or_default();
            assert!(why.contains("line's quantity"), "{why}");
            // Back from the trash (the line is not live, so no current state).
            let back = ChangeOp::Restore { base: None };
            assert!(refusal(EntityKind::QuoteLine, None, &[&q], &back).is_some());
            // A value the line already has is no change; a line already gone is not removed again.
            assert_eq!(
                refusal(EntityKind::QuoteLine, Some(&l), &[&q], &set("quantity", json!("2"))),
                None
            );
            let gone = ChangeOp::Delete {
                base: None,
                seen: Default::default(),
            };
            assert_eq!(refusal(EntityKind::QuoteLine, None, &[&q], &gone), None);
            // A line moved from a draft onto a frozen quote is refused too.
            let draft = quote("draft");
            assert!(
                refusal(
                    EntityKind::QuoteLine,
                    Some(&l),
                    &[&draft, &q],
                    &set("quote_id", json!("q2"))
                )
                .is_some()
            );
        }
        for status in ["draft", "needs_approval", "approved"] {
            let q = quote(status);
            for op in &changes {
                assert_eq!(refusal(EntityKind::QuoteLine, Some(&l), &[&q], op), None, "{op:?}");
            }
        }
        // A line of a quote in the trash, or of no quote the server holds, is not frozen.
        let mut gone = quote("sent");
        gone.deleted = true;
        for op in &changes {
            assert_eq!(refusal(EntityKind::QuoteLine, Some(&l), &[&gone], op), None);
            assert_eq!(refusal(EntityKind::QuoteLine, Some(&l), &[], op), None);
        }
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
