//! Quotes as documents: positioned lines, totals (always `model::totals::totals`, never
//! stored), the lifecycle (draft -> needs approval -> approved -> sent -> accepted |
//! rejected | expired), frozen sent documents, revisions and discount approval.
//!
//! `QuoteDoc` is what every front end shows: `quote show` (table and JSON), the rendered
//! documents and the TUI read it, so they cannot disagree about a total.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::config::Seller;
use super::{App, AppError};
use crate::model::records::{PriceEntry, Product, Quote, QuoteLine, QuoteStatus, Role, fields};
use crate::model::stage::StageState;
use crate::model::totals::{self, Totals};
use crate::model::{EntityKind, Fields, Id};
use crate::store::{Mutation, Op, Stored};

/// One line as the documents show it.
#[derive(Clone, Debug, PartialEq)]
pub struct DocLine {
    /// The line's id.
    pub id: Id,
    /// 1-based place on the quote.
    pub position: usize,
    /// The product's SKU, if from the catalogue.
    pub sku: Option<String>,
    /// The product, if any.
    pub product_id: Option<Id>,
    /// The line.
    pub line: QuoteLine,
    /// Its net (`totals::line_net`).
    pub net: Decimal,
}

/// A quote with everything its documents show.
#[derive(Clone, Debug, PartialEq)]
pub struct QuoteDoc {
    /// The quote's id.
    pub id: Id,
    /// The stored quote.
    pub quote: Quote,
    /// Its status today (a sent quote past `valid_until` is expired).
    pub status: QuoteStatus,
    /// The deal's name.
    pub opportunity: Option<String>,
    /// The customer's name.
    pub account: Option<String>,
    /// The customer's address lines (whatever address fields the account has).
    pub account_address: Vec<String>,
    /// The deal's contact, "First Last".
    pub contact: Option<String>,
    /// The lines in position order.
    pub lines: Vec<DocLine>,
    /// The totals.
    pub totals: Totals,
    /// The largest discount on any line, both levels combined.
    pub max_discount: Decimal,
    /// The seller (config `[quotes.seller]`).
    pub seller: Seller,
    /// Terms (config `[quotes] terms`).
    pub terms: Option<String>,
}

/// A product offered for a new quote line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineProduct {
    /// The product.
    pub id: Id,
    /// Its SKU.
    pub sku: String,
    /// Its name.
    pub name: String,
    /// The price of one on the quote's date in its currency (`None`: the price book has
    /// none).
    pub price: Option<Decimal>,
}

/// Decimal as the JSON string every amount is.
fn d(x: Decimal) -> Value {
    json!(x.to_string())
}

impl QuoteDoc {
    /// The totals as JSON (`quote show --format json`'s `totals`).
    #[must_use]
    pub fn totals_json(&self) -> Value {
        totals_json(&self.totals)
    }

    /// The lines as JSON, each with its `net`.
    #[must_use]
    pub fn lines_json(&self) -> Value {
        Value::Array(
            self.lines
                .iter()
                .map(|l| {
                    json!({
                        "id": l.id.to_string(),
                        "position": l.position,
                        "product_id": l.product_id.map(|p| p.to_string()),
                        "sku": l.sku,
                        "description": l.line.description,
                        "quantity": d(l.line.quantity),
                        "unit_price": d(l.line.unit_price),
                        "discount_pct": d(l.line.discount_pct),
                        "tax_pct": d(l.line.tax_pct),
                        "net": d(l.net),
                    })
                })
                .collect(),
        )
    }
}

/// Totals as JSON: amounts as strings with the currency's digits.
#[must_use]
pub fn totals_json(t: &Totals) -> Value {
    json!({
        "currency": t.currency,
        "subtotal": d(t.subtotal),
        "discount_pct": d(t.discount_pct),
        "discount": d(t.discount),
        "net": d(t.net),
        "taxes": t.taxes.iter().map(|r| json!({"rate": d(r.rate), "base": d(r.base), "tax": d(r.tax)})).collect::<Vec<_>>(),
        "tax": d(t.tax),
        "grand_total": d(t.grand_total),
    })
}

fn parse<R: serde::de::DeserializeOwned>(kind: EntityKind, id: Id, s: &Stored) -> Result<R, AppError> {
    let set: Map<String, Value> = s
        .fields
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    serde_json::from_value(Value::Object(set))
        .map_err(|e| AppError::Invalid(format!("{kind} {id} cannot be read: {e}")))
}

/// The largest line position used (0 for none).
fn max_position(lines: &[(Id, QuoteLine)]) -> u32 {
    lines.iter().map(|(_, l)| l.position).max().unwrap_or(0)
}

impl App {
    /// Today in the clock's local date.
    #[must_use]
    pub fn today(&self) -> NaiveDate {
        self.clock().now().with_timezone(&chrono::Local).date_naive()
    }

    /// The role of this laptop's user: the saved login's, else `[quotes] role`, else rep.
    #[must_use]
    pub fn my_role(&self) -> Role {
        if let Ok(Some(l)) = crate::sync::login::load(self.store.path())
            && let Some(r) = l.role
        {
            return r;
        }
        self.config
            .quotes
            .role
            .as_deref()
            .and_then(|r| serde_json::from_value(json!(r)).ok())
            .unwrap_or_default()
    }

    /// Who this laptop's user is: the login, else `owner` in config, else "local".
    fn acting_login(&self) -> String {
        if let Ok(Some(l)) = crate::sync::login::load(self.store.path())
            && let Some(u) = l.user
        {
            return u;
        }
        self.config.owner.clone().unwrap_or_else(|| "local".into())
    }

    /// The discount limit of a role (`[quotes] discount_limits`), `None`: no limit.
    #[must_use]
    pub fn discount_limit(&self, role: Role) -> Option<Decimal> {
        let name = serde_json::to_value(role).ok()?;
        self.config.quotes.discount_limits.get(name.as_str()?).copied()
    }

    /// A quote as stored.
    pub fn quote(&self, id: Id) -> Result<Quote, AppError> {
        let s = self
            .store
            .get(EntityKind::Quote, id)?
            .filter(|s| !s.deleted)
            .ok_or_else(|| AppError::NotFound(format!("no quote with id {id}")))?;
        parse(EntityKind::Quote, id, &s)
    }

    /// The live lines of a quote in position order (then id: two laptops that added a
    /// line at the same place both keep theirs). A frozen quote's lines are the ones it
    /// was sent with: a line this laptop added that the server refused (held, in the
    /// inbox) is not on it (`App::held_lines`).
    pub fn ordered_lines(&self, quote: Id) -> Result<Vec<(Id, QuoteLine)>, AppError> {
        let frozen = self.quote(quote).is_ok_and(|q| q.status_on(self.today()).frozen());
        let held = if frozen { self.held_lines(quote)? } else { Vec::new() };
        let mut out = Vec::new();
        for (id, s) in self.children(quote, EntityKind::QuoteLine)? {
            if held.contains(&id) {
                continue;
            }
            out.push((id, parse::<QuoteLine>(EntityKind::QuoteLine, id, &s)?));
        }
        out.sort_by(|a, b| a.1.position.cmp(&b.1.position).then(a.0.cmp(&b.0)));
        Ok(out)
    }

    /// The totals of a quote (the one function, on its lines in order).
    pub fn quote_totals(&self, id: Id) -> Result<Totals, AppError> {
        let q = self.quote(id)?;
        let lines: Vec<_> = self.ordered_lines(id)?.iter().map(|(_, l)| l.totals_input()).collect();
        totals::totals(&q.currency, &lines, q.discount_pct)
            .map_err(|e| AppError::Invalid(format!("quote {}: {e}", q.display_number())))
    }

    /// Everything a quote's documents show.
    pub fn quote_doc(&self, id: Id) -> Result<QuoteDoc, AppError> {
        let quote = self.quote(id)?;
        let ordered = self.ordered_lines(id)?;
        let inputs: Vec<_> = ordered.iter().map(|(_, l)| l.totals_input()).collect();
        let totals = totals::totals(&quote.currency, &inputs, quote.discount_pct)
            .map_err(|e| AppError::Invalid(format!("quote {}: {e}", quote.display_number())))?;
        let mut lines = Vec::with_capacity(ordered.len());
        for (i, (lid, line)) in ordered.into_iter().enumerate() {
            let sku = match line.product_id {
                Some(p) => self
                    .store
                    .get(EntityKind::Product, p)?
                    .map(|s| s.text(fields::product::SKU).to_string()),
                None => None,
            };
            lines.push(DocLine {
                id: lid,
                position: i + 1,
                sku,
                product_id: line.product_id,
                net: totals.line_nets[i],
                line,
            });
        }
        let get = |kind, id: Option<Id>| -> Result<Option<Stored>, AppError> {
            Ok(match id {
                Some(i) => self.store.get(kind, i)?.filter(|s| !s.deleted),
                None => None,
            })
        };
        let opp = get(EntityKind::Opportunity, quote.opportunity_id)?;
        let account = get(EntityKind::Account, quote.account_id)?;
        let contact = get(EntityKind::Contact, quote.contact_id)?.map(|c| {
            format!(
                "{} {}",
                c.text(fields::shared::FIRST_NAME),
                c.text(fields::shared::LAST_NAME)
            )
            .trim()
            .to_string()
        });
        let max_discount = totals::max_discount(&inputs, quote.discount_pct);
        Ok(QuoteDoc {
            id,
            status: quote.status_on(self.today()),
            opportunity: opp.map(|o| o.text(fields::shared::NAME).to_string()),
            account_address: account.as_ref().map(address_lines).unwrap_or_default(),
            account: account.map(|a| a.text(fields::shared::NAME).to_string()),
            contact,
            lines,
            totals,
            max_discount,
            seller: self.config.quotes.seller.clone(),
            terms: self.config.quotes.terms.clone(),
            quote,
        })
    }

    /// `quote show --format json`: the record's view plus `lines` (each with its net),
    /// `totals` and today's `status`.
    pub fn quote_json(&self, id: Id) -> Result<Map<String, Value>, AppError> {
        let doc = self.quote_doc(id)?;
        let mut view = self.record_view(EntityKind::Quote, id, &mut super::view::Names::default())?;
        view.insert("status".into(), json!(doc.status.name()));
        view.insert("display_number".into(), json!(doc.quote.display_number()));
        view.insert("max_discount_pct".into(), d(doc.max_discount));
        view.insert("lines".into(), doc.lines_json());
        view.insert("totals".into(), doc.totals_json());
        let conflicts = self.quote_conflict_rows(&doc)?;
        if !conflicts.is_empty() {
            view.insert("conflicts".into(), json!(conflicts));
        }
        Ok(view)
    }

    /// Refuses a change to a frozen quote, naming what to do instead (the CLI's and the
    /// TUI's message: the TUI asks before it opens a form that would be refused).
    pub fn refuse_frozen(&self, quote: Id, what: &str) -> Result<(), AppError> {
        let q = self.quote(quote)?;
        let status = q.status_on(self.today());
        if status.frozen() {
            let name = status.name().replace('_', " ");
            let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) {
                "an"
            } else {
                "a"
            };
            return Err(AppError::Invalid(format!(
                "quote {} is {name}: {what} is refused on {article} {name} quote; `outpost quote revise {}` makes a new draft revision",
                q.display_number(),
                q.display_number()
            )));
        }
        Ok(())
    }

    /// The rule of the generic create/edit/remove: a frozen quote and its lines do not
    /// change, and a quote's status moves only by the lifecycle commands.
    pub(super) fn check_quote_write(
        &self,
        kind: EntityKind,
        id: Option<Id>,
        fields: Option<&Fields>,
    ) -> Result<(), AppError> {
        match kind {
            EntityKind::Quote => {
                if let Some(f) = fields
                    && let Some(s) = f.get(fields::quote::STATUS).and_then(Value::as_str)
                    && (id.is_some() || s != "draft")
                {
                    return Err(AppError::Invalid(format!(
                        "--status: a quote's status moves with `outpost quote submit`, `approve`, `reject`, `send`, `accept` and `decline`, not by setting it (asked: {s})"
                    )));
                }
                if let Some(id) = id {
                    self.refuse_frozen(id, "editing")?;
                }
            }
            EntityKind::QuoteLine => {
                let quote = match id {
                    Some(line) => self
                        .store
                        .get(EntityKind::QuoteLine, line)?
                        .and_then(|s| s.fields.get(fields::quote_line::QUOTE_ID).cloned()),
                    None => fields.and_then(|f| f.get(fields::quote_line::QUOTE_ID).cloned()),
                };
                if let Some(q) = quote
                    .as_ref()
                    .and_then(Value::as_str)
                    .and_then(|s| s.parse::<Id>().ok())
                {
                    self.refuse_frozen(q, "changing its lines")?;
                }
                if let (Some(_), Some(f)) = (id, fields)
                    && f.contains_key(fields::quote_line::QUOTE_ID)
                {
                    return Err(AppError::Invalid(
                        "--quote: a line stays on its quote; remove it and add it to the other".into(),
                    ));
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Adds a line at the end (or at `at`, 1-based, moving the others down). `values`
    /// are the line's flags; price, description and tax default to the product's, the
    /// price from its price book on the quote's date for the quantity.
    pub fn add_line(&self, quote: Id, values: &super::ops::Values, at: Option<usize>) -> Result<Id, AppError> {
        self.refuse_frozen(quote, "adding a line")?;
        let mut f = self.fields_from(values)?;
        f.insert(fields::quote_line::QUOTE_ID.into(), json!(quote.to_string()));
        self.complete_new(EntityKind::QuoteLine, &mut f)?;
        let lines = self.ordered_lines(quote)?;
        let m = Mutation::create(EntityKind::QuoteLine, f);
        let id = m.id;
        let mut writes = Vec::new();
        match at {
            None => {
                let mut m = m;
                if let Op::Create(fields) = &mut m.op {
                    fields.insert(fields::quote_line::POSITION.into(), json!(max_position(&lines) + 1));
                }
                writes.push(m);
            }
            Some(at) => {
                check_place(at, lines.len() + 1)?;
                let mut order: Vec<Id> = lines.iter().map(|(i, _)| *i).collect();
                order.insert(at - 1, id);
                let mut m = m;
                if let Op::Create(fields) = &mut m.op {
                    fields.insert(fields::quote_line::POSITION.into(), json!(at));
                }
                writes.push(m);
                writes.extend(renumber(&lines, &order, Some(id)));
            }
        }
        self.store.commit(&writes)?;
        Ok(id)
    }

    /// The line at 1-based `place` on a quote.
    pub fn line_at(&self, quote: Id, place: usize) -> Result<Id, AppError> {
        let lines = self.ordered_lines(quote)?;
        check_place(place, lines.len())?;
        Ok(lines[place - 1].0)
    }

    /// Moves the line at `from` to `to` (1-based places); the lines between shift by one.
    pub fn move_line(&self, quote: Id, from: usize, to: usize) -> Result<(), AppError> {
        self.refuse_frozen(quote, "moving a line")?;
        let lines = self.ordered_lines(quote)?;
        check_place(from, lines.len())?;
        check_place(to, lines.len())?;
        let mut order: Vec<Id> = lines.iter().map(|(i, _)| *i).collect();
        let moved = order.remove(from - 1);
        order.insert(to - 1, moved);
        let writes = renumber(&lines, &order, None);
        if !writes.is_empty() {
            self.store.commit(&writes)?;
        }
        Ok(())
    }

    /// Status changes, each from the statuses it is allowed from.
    fn set_status(
        &self,
        id: Id,
        q: &Quote,
        from: &[QuoteStatus],
        to: QuoteStatus,
        mut f: Fields,
    ) -> Result<(), AppError> {
        let now = q.status_on(self.today());
        if !from.contains(&now) {
            let allowed: Vec<&str> = from.iter().map(|s| s.name()).collect();
            return Err(AppError::Invalid(format!(
                "quote {} is {}; this needs it {}",
                q.display_number(),
                now.name().replace('_', " "),
                allowed.join(" or ").replace('_', " ")
            )));
        }
        f.insert(fields::quote::STATUS.into(), json!(to.name()));
        self.store.commit(&[Mutation::update(EntityKind::Quote, id, f)])?;
        Ok(())
    }

    /// Whether the quote's discount needs a manager: `Some(limit)` when it is over the
    /// writer's limit and no approval covers it.
    fn over_limit(&self, q: &Quote, max: Decimal) -> Option<Decimal> {
        let limit = self.discount_limit(self.my_role())?;
        let approved = q.approved_discount_pct.filter(|_| q.status == QuoteStatus::Approved);
        (max > limit && approved.is_none_or(|a| max > a)).then_some(limit)
    }

    /// `quote submit`: a draft whose discount is over the writer's limit waits for a
    /// manager. Returns the status it is in afterwards.
    pub fn submit_quote(&self, id: Id) -> Result<QuoteStatus, AppError> {
        let q = self.quote(id)?;
        let doc = self.quote_doc(id)?;
        if self.over_limit(&q, doc.max_discount).is_none() && q.status != QuoteStatus::Approved {
            return Err(AppError::Invalid(format!(
                "quote {}: its largest discount ({}%) is within your limit; `outpost quote send {}` sends it",
                q.display_number(),
                doc.max_discount,
                q.display_number()
            )));
        }
        let mut f = Fields::new();
        f.insert(fields::quote::APPROVED_DISCOUNT_PCT.into(), Value::Null);
        self.set_status(
            id,
            &q,
            &[QuoteStatus::Draft, QuoteStatus::Approved],
            QuoteStatus::NeedsApproval,
            f,
        )?;
        Ok(QuoteStatus::NeedsApproval)
    }

    /// `quote approve` / `quote reject`: a manager's answer to a quote waiting for
    /// approval, with a comment. Approving covers the quote's discount as it is now.
    pub fn decide_approval(&self, id: Id, approve: bool, comment: Option<&str>) -> Result<(), AppError> {
        let role = self.my_role();
        if role == Role::Rep {
            return Err(AppError::Invalid(
                "approving and rejecting discounts is for managers and admins (your role is rep)".into(),
            ));
        }
        let q = self.quote(id)?;
        let doc = self.quote_doc(id)?;
        let mut f = Fields::new();
        f.insert(fields::quote::APPROVED_BY.into(), json!(self.acting_login()));
        f.insert(
            fields::quote::APPROVAL_COMMENT.into(),
            comment.map_or(Value::Null, |c| json!(c)),
        );
        f.insert(
            fields::quote::APPROVED_DISCOUNT_PCT.into(),
            if approve { d(doc.max_discount) } else { Value::Null },
        );
        let to = if approve {
            QuoteStatus::Approved
        } else {
            QuoteStatus::Draft
        };
        self.set_status(id, &q, &[QuoteStatus::NeedsApproval], to, f)
    }

    /// Quotes waiting for approval (`quote approvals`), oldest first.
    pub fn approvals(&self) -> Result<Vec<QuoteDoc>, AppError> {
        let mut out = Vec::new();
        for item in self.live(EntityKind::Quote) {
            let (id, s) = item?;
            if s.text(fields::quote::STATUS) == "needs_approval" {
                out.push(self.quote_doc(id)?);
            }
        }
        Ok(out)
    }

    /// How many quotes wait for a manager's approval (the dashboard's count; the same
    /// test as [`App::approvals`], without building the documents).
    pub fn approvals_waiting(&self) -> Result<usize, AppError> {
        let mut n = 0;
        for item in self.live(EntityKind::Quote) {
            let (_, s) = item?;
            if s.text(fields::quote::STATUS) == QuoteStatus::NeedsApproval.name() {
                n += 1;
            }
        }
        Ok(n)
    }

    /// The price book of a product as rows: its plain price per currency (from 1, no
    /// dates), then its tiered and dated entries, as `Product::price_for` reads them.
    /// `None` for a record that is not a product.
    pub fn price_rows(&self, kind: EntityKind, id: Id) -> Result<Option<Vec<PriceEntry>>, AppError> {
        if kind != EntityKind::Product {
            return Ok(None);
        }
        let Some(s) = self.store.get(EntityKind::Product, id)?.filter(|s| !s.deleted) else {
            return Ok(None);
        };
        let p: Product = parse(EntityKind::Product, id, &s)?;
        let mut rows: Vec<PriceEntry> = p
            .prices
            .iter()
            .map(|(currency, price)| PriceEntry {
                currency: currency.clone(),
                price: *price,
                min_qty: Decimal::ONE,
                valid_from: None,
                valid_to: None,
            })
            .collect();
        rows.extend(p.price_book.iter().filter_map(|t| PriceEntry::parse(t).ok()));
        Ok(Some(rows))
    }

    /// The products a new line on `quote` can take, by SKU, each with the price of one
    /// on the quote's date in its currency as `quote line-add` would take it. Inactive
    /// products are left out.
    pub fn line_products(&self, quote: Id) -> Result<Vec<LineProduct>, AppError> {
        let q = self.quote(quote)?;
        let date = q.date.unwrap_or_else(|| self.today());
        let mut out = Vec::new();
        for item in self.live(EntityKind::Product) {
            let (id, s) = item?;
            let p: Product = parse(EntityKind::Product, id, &s)?;
            if p.active {
                let price = p.price_for(&q.currency, Decimal::ONE, date);
                out.push(LineProduct {
                    id,
                    sku: p.sku,
                    name: p.name,
                    price,
                });
            }
        }
        out.sort_by(|a, b| a.sku.cmp(&b.sku));
        Ok(out)
    }

    /// `quote send`: marks it sent (frozen). Refused over the writer's discount limit
    /// unless approved, and for a quote without lines.
    pub fn send_quote(&self, id: Id) -> Result<(), AppError> {
        let q = self.quote(id)?;
        let doc = self.quote_doc(id)?;
        if doc.lines.is_empty() {
            return Err(AppError::Invalid(format!(
                "quote {} has no lines; add some with `outpost quote line-add`",
                q.display_number()
            )));
        }
        if let Some(until) = q.valid_until
            && until < self.today()
        {
            return Err(AppError::Invalid(format!(
                "quote {} was valid until {until}, which has passed; give it a new date with `outpost quote edit {} --valid-until DATE` first",
                q.display_number(),
                q.display_number()
            )));
        }
        if q.status_on(self.today()) == QuoteStatus::NeedsApproval {
            return Err(AppError::Invalid(format!(
                "quote {} is waiting for a manager's approval of its {}% discount; it can be sent once approved (sync to see the answer)",
                q.display_number(),
                doc.max_discount
            )));
        }
        if let Some(limit) = self.over_limit(&q, doc.max_discount) {
            return Err(AppError::Invalid(format!(
                "quote {}: its largest discount is {}%, over your limit of {limit}%; `outpost quote submit {}` asks a manager to approve it",
                q.display_number(),
                doc.max_discount,
                q.display_number()
            )));
        }
        let mut f = Fields::new();
        f.insert(fields::quote::SENT_AT.into(), json!(self.now_text()));
        self.set_status(
            id,
            &q,
            &[QuoteStatus::Draft, QuoteStatus::Approved],
            QuoteStatus::Sent,
            f,
        )
    }

    fn now_text(&self) -> String {
        self.clock().now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }

    /// `quote accept`: the customer said yes. The deal's amount becomes the grand
    /// total (in the quote's currency); `win` also moves it to the won stage.
    pub fn accept_quote(&self, id: Id, win: bool) -> Result<Totals, AppError> {
        let q = self.quote(id)?;
        let totals = self.quote_totals(id)?;
        let now = q.status_on(self.today());
        if now != QuoteStatus::Sent {
            return Err(AppError::Invalid(format!(
                "quote {} is {}; only a sent quote can be accepted{}",
                q.display_number(),
                now.name().replace('_', " "),
                if now == QuoteStatus::Expired {
                    format!(
                        " (it was valid until {}; `outpost quote revise {}` makes a new one)",
                        q.valid_until.map(|d| d.to_string()).unwrap_or_default(),
                        q.display_number()
                    )
                } else {
                    String::new()
                }
            )));
        }
        let mut f = Fields::new();
        f.insert(fields::quote::STATUS.into(), json!("accepted"));
        f.insert(fields::quote::CLOSED_AT.into(), json!(self.now_text()));
        let mut writes = vec![Mutation::update(EntityKind::Quote, id, f)];
        if let Some(opp) = q.opportunity_id {
            let mut o = Fields::new();
            o.insert(fields::opportunity::AMOUNT.into(), d(totals.grand_total));
            o.insert(fields::shared::CURRENCY.into(), json!(q.currency));
            writes.push(Mutation::update(EntityKind::Opportunity, opp, o));
        }
        self.store.commit(&writes)?;
        if win && let Some(opp) = q.opportunity_id {
            let won = self
                .config
                .pipeline
                .stages
                .iter()
                .find(|s| s.state == StageState::Won)
                .ok_or_else(|| AppError::Invalid("--win: the pipeline has no won stage".into()))?
                .name
                .clone();
            self.move_stage(opp, &won, None)?;
        }
        Ok(totals)
    }

    /// `quote decline`: the customer said no.
    pub fn decline_quote(&self, id: Id) -> Result<(), AppError> {
        let q = self.quote(id)?;
        let mut f = Fields::new();
        f.insert(fields::quote::CLOSED_AT.into(), json!(self.now_text()));
        self.set_status(
            id,
            &q,
            &[QuoteStatus::Sent, QuoteStatus::Expired],
            QuoteStatus::Rejected,
            f,
        )
    }

    /// `quote revise`: revision N+1 (N the highest of its number) as a new draft with the
    /// same header and lines. Revising a quote that was sent on another laptop while
    /// this one changed it carries those changes (its open conflicts: refused edits,
    /// removed lines, held new lines) into the draft and settles them. Returns the new
    /// quote's id.
    pub fn revise_quote(&self, id: Id) -> Result<Id, AppError> {
        let q = self.quote(id)?;
        let carried = self.carried(id)?;
        let mut revision = q.revision;
        for item in self.live(EntityKind::Quote) {
            let (_, s) = item?;
            if s.text(fields::quote::NUMBER) == q.number {
                let r = s
                    .fields
                    .get(fields::quote::REVISION)
                    .and_then(Value::as_u64)
                    .unwrap_or(1);
                revision = revision.max(u32::try_from(r).unwrap_or(u32::MAX));
            }
        }
        let revision = revision
            .checked_add(1)
            .ok_or_else(|| AppError::Invalid("too many revisions".into()))?;
        let stored = self
            .store
            .get(EntityKind::Quote, id)?
            .ok_or_else(|| AppError::NotFound(format!("no quote with id {id}")))?;
        let mut f = Fields::new();
        for k in [
            fields::quote::NUMBER,
            fields::quote::OPPORTUNITY_ID,
            fields::quote::ACCOUNT_ID,
            fields::quote::CURRENCY,
            fields::quote::VALID_UNTIL,
            fields::quote::NOTES,
            fields::quote::DISCOUNT_PCT,
        ] {
            if let Some(v) = stored.fields.get(k).filter(|v| !v.is_null()) {
                f.insert(k.into(), v.clone());
            }
        }
        // A validity that has passed does not carry over: the revision is dated today.
        let today = self.today();
        if f.get(fields::quote::VALID_UNTIL)
            .and_then(Value::as_str)
            .and_then(|d| d.parse::<chrono::NaiveDate>().ok())
            .is_some_and(|d| d < today)
        {
            f.remove(fields::quote::VALID_UNTIL);
        }
        f.extend(carried.header.clone());
        f.insert(fields::quote::STATUS.into(), json!("draft"));
        f.insert(fields::quote::REVISION.into(), json!(revision));
        f.insert(fields::quote::REVISES_ID.into(), json!(id.to_string()));
        f.insert(fields::quote::DATE.into(), json!(self.today().to_string()));
        let new = Mutation::create(EntityKind::Quote, f);
        let new_id = new.id;
        let mut writes = vec![new];
        writes.extend(self.revision_lines(id, new_id, &carried)?);
        self.store.commit_settling(&writes, &carried.settle)?;
        Ok(new_id)
    }
}

fn check_place(place: usize, len: usize) -> Result<(), AppError> {
    if place == 0 || place > len {
        return Err(AppError::Invalid(format!(
            "line {place} is not on the quote; lines are numbered 1 to {len} (`outpost quote show` lists them)"
        )));
    }
    Ok(())
}

/// Positions 1..n in `order`, written only where they change (`skip`: a line being
/// created with its position already set).
fn renumber(lines: &[(Id, QuoteLine)], order: &[Id], skip: Option<Id>) -> Vec<Mutation> {
    let mut writes = Vec::new();
    for (i, id) in order.iter().enumerate() {
        if Some(*id) == skip {
            continue;
        }
        let want = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let have = lines.iter().find(|(l, _)| l == id).map(|(_, l)| l.position);
        if have != Some(want) {
            let mut f = Fields::new();
            f.insert(fields::quote_line::POSITION.into(), json!(want));
            writes.push(Mutation::update(EntityKind::QuoteLine, *id, f));
        }
    }
    writes
}

/// The address lines of an account: whatever address fields it has (street, postcode
/// and city, region, country), in that order.
fn address_lines(a: &Stored) -> Vec<String> {
    let get = |k: &str| {
        a.fields
            .get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let mut out = Vec::new();
    for prefix in ["billing_", ""] {
        if let Some(s) = get(&format!("{prefix}street")) {
            out.push(s);
        }
        let city: Vec<String> = [format!("{prefix}postcode"), format!("{prefix}city")]
            .iter()
            .filter_map(|k| get(k))
            .collect();
        if !city.is_empty() {
            out.push(city.join(" "));
        }
        if let Some(s) = get(&format!("{prefix}region")) {
            out.push(s);
        }
        if let Some(s) = get(&format!("{prefix}country")) {
            out.push(s);
        }
        if !out.is_empty() {
            break;
        }
    }
    out
}
