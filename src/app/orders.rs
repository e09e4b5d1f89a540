//! Orders: made from an accepted quote (`order add --quote`, `quote accept --order`),
//! carrying its lines and discount at that moment; status confirmed -> paid | shipped ->
//! delivered, or cancelled, each change with its time. Totals by `model::totals`.

use serde_json::{Map, Value, json};

use super::{App, AppError};
use crate::model::records::{Order, OrderEvent, OrderLine, OrderStatus, QuoteStatus, fields};
use crate::model::totals::{self, Totals};
use crate::model::{EntityKind, Fields, Id};
use crate::store::Mutation;

impl App {
    /// Fills a new order from its quote (which must be accepted and have no order yet).
    pub(super) fn complete_order(&self, f: &mut Fields) -> Result<(), AppError> {
        let quote = f
            .get(fields::order::QUOTE_ID)
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<Id>().ok())
            .ok_or_else(|| AppError::Invalid("--quote: an order is made from a quote".into()))?;
        let q = self.quote(quote)?;
        if q.status != QuoteStatus::Accepted {
            return Err(AppError::Invalid(format!(
                "--quote: quote {} is {}; an order is made from an accepted quote (`outpost quote accept {} --order`)",
                q.display_number(),
                q.status_on(self.today()).name().replace('_', " "),
                q.display_number()
            )));
        }
        if let Some((id, s)) = self.children(quote, EntityKind::Order)?.into_iter().next() {
            return Err(AppError::Invalid(format!(
                "--quote: quote {} already has order {} ({id})",
                q.display_number(),
                s.text(fields::order::NUMBER)
            )));
        }
        let doc = self.quote_doc(quote)?;
        let lines: Vec<OrderLine> = doc
            .lines
            .iter()
            .map(|l| OrderLine {
                product_id: l.product_id,
                sku: l.sku.clone(),
                description: l.line.description.clone(),
                quantity: l.line.quantity,
                unit_price: l.line.unit_price,
                discount_pct: l.line.discount_pct,
                tax_pct: l.line.tax_pct,
            })
            .collect();
        let id = |x: Option<Id>| x.map_or(Value::Null, |i| json!(i.to_string()));
        f.insert(fields::order::OPPORTUNITY_ID.into(), id(q.opportunity_id));
        f.insert(fields::order::ACCOUNT_ID.into(), id(q.account_id));
        f.insert(fields::order::CURRENCY.into(), json!(q.currency));
        f.insert(fields::order::DISCOUNT_PCT.into(), json!(q.discount_pct.to_string()));
        f.insert(fields::order::STATUS.into(), json!("confirmed"));
        f.insert(
            fields::order::LINES.into(),
            serde_json::to_value(lines).map_err(|e| AppError::Invalid(e.to_string()))?,
        );
        let event = OrderEvent {
            status: OrderStatus::Confirmed,
            at: self.clock().now(),
        };
        f.insert(
            fields::order::HISTORY.into(),
            serde_json::to_value(vec![event]).map_err(|e| AppError::Invalid(e.to_string()))?,
        );
        Ok(())
    }

    /// An order as stored.
    pub fn order(&self, id: Id) -> Result<Order, AppError> {
        let s = self
            .store
            .get(EntityKind::Order, id)?
            .filter(|s| !s.deleted)
            .ok_or_else(|| AppError::NotFound(format!("no order with id {id}")))?;
        let set: Map<String, Value> = s.fields.into_iter().filter(|(_, v)| !v.is_null()).collect();
        serde_json::from_value(Value::Object(set))
            .map_err(|e| AppError::Invalid(format!("order {id} cannot be read: {e}")))
    }

    /// An order's totals, from its copied lines by the one function.
    pub fn order_totals(&self, order: &Order) -> Result<Totals, AppError> {
        let lines: Vec<_> = order.lines.iter().map(OrderLine::totals_input).collect();
        totals::totals(&order.currency, &lines, order.discount_pct)
            .map_err(|e| AppError::Invalid(format!("order {}: {e}", order.number)))
    }

    /// `order show --format json`: the record's view plus `totals` and each line's `net`.
    pub fn order_json(&self, id: Id) -> Result<Map<String, Value>, AppError> {
        let o = self.order(id)?;
        let t = self.order_totals(&o)?;
        let mut view = self.record_view(EntityKind::Order, id, &mut super::view::Names::default())?;
        if let Some(Value::Array(lines)) = view.get_mut(fields::order::LINES) {
            for (l, net) in lines.iter_mut().zip(&t.line_nets) {
                if let Value::Object(m) = l {
                    m.insert("net".into(), json!(net.to_string()));
                }
            }
        }
        view.insert("totals".into(), super::quotes::totals_json(&t));
        Ok(view)
    }

    /// `order status`: moves an order on, recording the time.
    pub fn set_order_status(&self, id: Id, to: OrderStatus) -> Result<(), AppError> {
        let o = self.order(id)?;
        if !o.next().contains(&to) {
            let next: Vec<&str> = o.next().iter().map(|s| s.name()).collect();
            return Err(AppError::Invalid(format!(
                "order {} is {}; it can go to {}",
                o.number,
                o.status.name(),
                if next.is_empty() {
                    "nothing else".to_string()
                } else {
                    next.join(" or ")
                }
            )));
        }
        let mut history = o.history.clone();
        history.push(OrderEvent {
            status: to,
            at: self.clock().now(),
        });
        let mut f = Fields::new();
        f.insert(fields::order::STATUS.into(), json!(to.name()));
        f.insert(
            fields::order::HISTORY.into(),
            serde_json::to_value(history).map_err(|e| AppError::Invalid(e.to_string()))?,
        );
        self.store.commit(&[Mutation::update(EntityKind::Order, id, f)])?;
        Ok(())
    }
}
