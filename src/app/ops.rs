//! The write use cases. Each builds mutations and hands them to `Store::commit`.

use chrono::{Duration, Utc};
use serde_json::{Value, json};

use super::input::{FieldError, build};
use super::spec::{self, Spec};
use super::{App, AppError};
use crate::model::records::ActivityKind;
use crate::model::records::fields;
use crate::model::stage::StageState;
use crate::model::{EntityKind, Fields, Id};
use crate::store::{Mutation, Op};

/// Values for one record from flags or a CSV row: (field spec, texts).
pub type Values = Vec<(&'static Spec, Vec<String>)>;

/// Options for `lead convert`.
#[derive(Clone, Debug, Default)]
pub struct ConvertOptions {
    /// Do not create an opportunity.
    pub no_opp: bool,
    /// Name of the opportunity (default: "<company> - new business").
    pub opp_name: Option<String>,
    /// Amount of the opportunity (default 0).
    pub amount: Option<String>,
    /// Close date of the opportunity.
    pub close: Option<String>,
}

/// What `lead convert` made.
#[derive(Clone, Debug)]
pub struct Converted {
    /// The account created or linked.
    pub account: Id,
    /// Whether the account was new.
    pub account_created: bool,
    /// The contact created.
    pub contact: Id,
    /// The opportunity created, if any.
    pub opportunity: Option<Id>,
}

impl App {
    /// Reads flag or cell values into fields, resolving REFs.
    pub fn fields_from(&self, values: &Values) -> Result<Fields, AppError> {
        let mut ref_error = None;
        let built = build(values, self.clock().now(), &self.config.locale, &mut |kind, r| {
            self.resolve(kind, r).map_err(|e| {
                let text = e.to_string();
                ref_error = Some(e);
                text
            })
        });
        let mut fields = built.map_err(|FieldError { field, message }| {
            let text = format!("--{field}: {message}");
            match ref_error {
                Some(AppError::NotFound(_)) => AppError::NotFound(text),
                Some(AppError::Ambiguous(_)) => AppError::Ambiguous(text),
                _ => AppError::Invalid(text),
            }
        })?;
        self.owner_to_login(&mut fields, "--owner")?;
        Ok(fields)
    }

    /// Replaces an `owner` naming a known user (login, display name or e-mail) with
    /// the login; an unknown one is an error once the user list is known.
    pub(super) fn owner_to_login(&self, fields: &mut Fields, what: &str) -> Result<(), AppError> {
        if let Some(Value::String(text)) = fields.get(fields::shared::OWNER) {
            let login = self.owner_directory()?.resolve(text, what)?;
            fields.insert(fields::shared::OWNER.into(), Value::String(login));
        }
        Ok(())
    }

    /// Fills defaults a new record gets from configuration and related records.
    pub fn complete_new(&self, kind: EntityKind, fields: &mut Fields) -> Result<(), AppError> {
        let absent = |f: &Fields, k: &str| f.get(k).is_none_or(Value::is_null);
        let has_owner = spec::specs(kind).iter().any(|s| s.json == fields::shared::OWNER);
        // An owner given empty (`--owner ""`, a blank cell) means unowned; only a record
        // that does not say takes the configured owner.
        if let Some(owner) = &self.config.owner
            && has_owner
            && !fields.contains_key(fields::shared::OWNER)
        {
            fields.insert(fields::shared::OWNER.into(), json!(owner));
            self.owner_to_login(fields, "owner in config.toml")?;
        } else if has_owner {
            self.owner_to_login(fields, fields::shared::OWNER)?;
        }
        match kind {
            EntityKind::Contact if absent(fields, "country") => {
                let account = fields
                    .get(fields::shared::ACCOUNT_ID)
                    .and_then(Value::as_str)
                    .and_then(|s| s.parse::<Id>().ok());
                if let Some(a) = account.and_then(|a| self.store.get(EntityKind::Account, a).ok().flatten())
                    && let Some(c) = a.fields.get("country").filter(|c| !c.is_null())
                {
                    fields.insert("country".into(), c.clone());
                }
            }
            EntityKind::Opportunity => {
                if absent(fields, fields::shared::CURRENCY) {
                    fields.insert(fields::shared::CURRENCY.into(), json!(self.config.currency));
                }
                let stage =
                    match fields.get(fields::opportunity::STAGE).and_then(Value::as_str) {
                        Some(s) => self.config.pipeline.find(s).ok_or_else(|| {
                            AppError::Invalid(format!("--stage: {}", self.config.pipeline.unknown(s)))
                        })?,
                        None => self.config.pipeline.first(),
                    };
                fields.insert(fields::opportunity::STAGE.into(), json!(stage.name));
                if absent(fields, fields::opportunity::PROBABILITY) {
                    fields.insert(fields::opportunity::PROBABILITY.into(), json!(stage.probability));
                }
            }
            EntityKind::Quote => {
                if absent(fields, fields::quote::DATE) {
                    fields.insert(fields::quote::DATE.into(), json!(self.today().to_string()));
                }
                let opp = fields
                    .get(fields::shared::OPPORTUNITY_ID)
                    .and_then(Value::as_str)
                    .and_then(|s| s.parse::<Id>().ok());
                if let Some(opp) = opp.and_then(|o| self.store.get(EntityKind::Opportunity, o).ok().flatten()) {
                    fields.insert(
                        fields::shared::ACCOUNT_ID.into(),
                        opp.fields
                            .get(fields::shared::ACCOUNT_ID)
                            .cloned()
                            .unwrap_or(Value::Null),
                    );
                    if absent(fields, fields::shared::CURRENCY) {
                        fields.insert(
                            fields::shared::CURRENCY.into(),
                            opp.fields.get(fields::shared::CURRENCY).cloned().unwrap_or(Value::Null),
                        );
                    }
                    let account = opp
                        .fields
                        .get(fields::shared::ACCOUNT_ID)
                        .and_then(Value::as_str)
                        .and_then(|s| s.parse::<Id>().ok());
                    if absent(fields, fields::quote::CONTACT_ID)
                        && let Some(a) = account
                        && let Some(c) = self.children(a, EntityKind::Contact)?.into_iter().map(|(i, _)| i).min()
                    {
                        fields.insert(fields::quote::CONTACT_ID.into(), json!(c.to_string()));
                    }
                }
            }
            EntityKind::QuoteLine => self.complete_line(fields)?,
            EntityKind::Order => self.complete_order(fields)?,
            EntityKind::Activity => {
                if absent(fields, "at") {
                    fields.insert(
                        "at".into(),
                        json!(self.clock().now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                    );
                }
                self.fill_account(fields);
            }
            EntityKind::Event => {
                self.complete_new_event(fields)?;
                self.fill_account(fields);
                if !absent(fields, "end") {
                    return Ok(());
                }
                let start = fields
                    .get(fields::event::START)
                    .and_then(Value::as_str)
                    .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok());
                if let Some(start) = start {
                    // A whole-day event takes its day (the end is the next midnight).
                    let all_day = fields.get("all_day").and_then(Value::as_bool) == Some(true);
                    let end = start + if all_day { Duration::days(1) } else { Duration::hours(1) };
                    fields.insert(
                        "end".into(),
                        json!(
                            end.with_timezone(&Utc)
                                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                        ),
                    );
                }
            }
            // Nothing to fill in: listed so a new kind makes the compiler ask.
            EntityKind::Contact
            | EntityKind::Account
            | EntityKind::Lead
            | EntityKind::Product
            | EntityKind::User
            | EntityKind::Territory => {}
        }
        Ok(())
    }

    /// An activity or event about a contact or a deal is also about its account: when no
    /// account is given, it is the contact's (else the deal's). One rule for every front
    /// end.
    fn fill_account(&self, fields: &mut Fields) {
        if fields.get(fields::shared::ACCOUNT_ID).is_some_and(|v| !v.is_null()) {
            return;
        }
        if let Some(a) = self.implied_account(fields) {
            fields.insert(fields::shared::ACCOUNT_ID.into(), json!(a.to_string()));
        }
    }

    /// The account a new activity or event is about when none is given: the account of
    /// its contact, else of its deal (see `fill_account`).
    #[must_use]
    pub fn implied_account(&self, fields: &Fields) -> Option<Id> {
        [
            (fields::shared::CONTACT_ID, EntityKind::Contact),
            (fields::shared::OPPORTUNITY_ID, EntityKind::Opportunity),
        ]
        .into_iter()
        .find_map(|(field, kind)| {
            let id = fields.get(field)?.as_str()?.parse::<Id>().ok()?;
            let stored = self.store.get(kind, id).ok().flatten()?;
            stored.fields.get(fields::shared::ACCOUNT_ID)?.as_str()?.parse().ok()
        })
    }

    /// A quote line takes description, price and tax from its product when not given:
    /// the price from its price book, valid on the quote's date for the line's quantity
    /// (`Product::price_for`). An inactive product is not offered on new lines.
    fn complete_line(&self, fields: &mut Fields) -> Result<(), AppError> {
        let id = |k: &str, f: &Fields| f.get(k).and_then(Value::as_str).and_then(|s| s.parse::<Id>().ok());
        let Some(stored) = id(fields::quote_line::PRODUCT_ID, fields)
            .and_then(|p| self.store.get(EntityKind::Product, p).ok().flatten())
        else {
            return Ok(());
        };
        let sku = stored.text(fields::product::SKU).to_string();
        let product: crate::model::records::Product = serde_json::from_value(Value::Object(
            stored
                .fields
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ))
        .map_err(|e| AppError::Invalid(format!("product {sku} cannot be read: {e}")))?;
        if !product.active {
            return Err(AppError::Invalid(format!(
                "--product: {sku} is inactive and not offered on new lines; `outpost product edit {sku} --active yes` offers it again"
            )));
        }
        let quote =
            id(fields::quote_line::QUOTE_ID, fields).and_then(|q| self.store.get(EntityKind::Quote, q).ok().flatten());
        let currency = quote
            .as_ref()
            .map(|q| q.text(fields::shared::CURRENCY).to_string())
            .unwrap_or_else(|| self.config.currency.clone());
        let date = quote
            .as_ref()
            .and_then(|q| q.fields.get(fields::quote::DATE))
            .and_then(Value::as_str)
            .and_then(|d| d.parse::<chrono::NaiveDate>().ok())
            .unwrap_or_else(|| self.today());
        let absent = |f: &Fields, k: &str| f.get(k).is_none_or(Value::is_null);
        if absent(fields, "description") {
            fields.insert("description".into(), json!(product.name));
        }
        if absent(fields, fields::quote_line::UNIT_PRICE) {
            let qty = fields
                .get(fields::quote_line::QUANTITY)
                .and_then(Value::as_str)
                .and_then(|q| q.parse::<rust_decimal::Decimal>().ok())
                .unwrap_or(rust_decimal::Decimal::ONE);
            let price = product.price_for(&currency, qty, date).ok_or_else(|| {
                AppError::Invalid(format!(
                    "--price: product {sku} has no {currency} price for {qty} on {date}; give --price or add one with `outpost product edit {sku} --price P --currency {currency}`"
                ))
            })?;
            fields.insert(fields::quote_line::UNIT_PRICE.into(), json!(price.to_string()));
        }
        if absent(fields, "tax_pct") {
            fields.insert("tax_pct".into(), json!(product.tax_pct.to_string()));
        }
        Ok(())
    }

    /// Creates a record from flag values; returns its id.
    pub fn create(&self, kind: EntityKind, values: &Values) -> Result<Id, AppError> {
        let mut fields = self.fields_from(values)?;
        self.check_quote_write(kind, None, Some(&fields))?;
        self.complete_new(kind, &mut fields)?;
        let m = Mutation::create(kind, fields);
        self.store.commit(std::slice::from_ref(&m))?;
        Ok(m.id)
    }

    /// Changes some fields of a record.
    pub fn edit(&self, kind: EntityKind, id: Id, values: &Values) -> Result<(), AppError> {
        let mut fields = self.fields_from(values)?;
        if fields.is_empty() {
            return Err(AppError::Invalid(format!(
                "nothing to change; give at least one field flag (see `outpost {} edit --help`)",
                super::resolve::cli_name(kind)
            )));
        }
        self.check_quote_write(kind, Some(id), Some(&fields))?;
        if kind == EntityKind::Opportunity {
            self.follow_stage_probability(id, &mut fields)?;
        }
        if kind == EntityKind::Activity && fields.contains_key(fields::activity::DONE) {
            // The same rule as `set_done`: only tasks have a done state to change.
            let stored = self.store.get(kind, id)?;
            let kind_now = fields
                .get("kind")
                .and_then(Value::as_str)
                .or_else(|| stored.as_ref().map(|s| s.text("kind")))
                .unwrap_or("task");
            if kind_now != "task" {
                return Err(AppError::Invalid(format!(
                    "--done: only tasks can be marked done or open, and this activity is a {kind_now}"
                )));
            }
        }
        if kind == EntityKind::Territory {
            self.check_territory_parent(Some(id), &fields)?;
        }
        if let (EntityKind::Product, Some(Value::Object(new))) = (kind, fields.get("prices").cloned()) {
            let mut prices = self
                .store
                .get(kind, id)?
                .and_then(|s| s.fields.get("prices").and_then(Value::as_object).cloned())
                .unwrap_or_default();
            prices.extend(new);
            fields.insert("prices".into(), Value::Object(prices));
        }
        self.store.commit(&[Mutation::update(kind, id, fields)])?;
        Ok(())
    }

    /// Live records that point at `id` (and, for quotes, their lines).
    pub fn dependants(&self, id: Id) -> Result<Vec<(EntityKind, Id)>, AppError> {
        let mut out = Vec::new();
        for kind in EntityKind::ALL {
            for child in self.store.children(id, kind)? {
                out.push((kind, child));
            }
        }
        Ok(out)
    }

    /// Moves a record to the trash. Records that point at it are refused unless `cascade`,
    /// which trashes them too (one transaction).
    pub fn remove(&self, kind: EntityKind, id: Id, cascade: bool) -> Result<usize, AppError> {
        if kind == EntityKind::QuoteLine {
            self.check_quote_write(kind, Some(id), None)?;
        }
        let mut doomed = vec![(kind, id)];
        let mut i = 0;
        while i < doomed.len() {
            let deps = self.dependants(doomed[i].1)?;
            if !deps.is_empty() && !cascade {
                let mut counts: Vec<(EntityKind, usize)> = Vec::new();
                for (k, _) in &deps {
                    match counts.iter_mut().find(|(c, _)| c == k) {
                        Some((_, n)) => *n += 1,
                        None => counts.push((*k, 1)),
                    }
                }
                let list: Vec<String> = counts
                    .iter()
                    .map(|(k, n)| format!("{n} {}", if *n == 1 { k.name() } else { k.plural() }))
                    .collect();
                return Err(AppError::Invalid(format!(
                    "{kind} '{}' still has {}; remove or move them first, or use --cascade to trash them too",
                    self.title(kind, id),
                    list.join(", ")
                )));
            }
            for d in deps {
                if !doomed.contains(&d) {
                    doomed.push(d);
                }
            }
            i += 1;
        }
        let muts: Vec<Mutation> = doomed.iter().rev().map(|(k, id)| Mutation::delete(*k, *id)).collect();
        self.store.commit(&muts)?;
        Ok(muts.len())
    }

    /// Takes a record out of the trash, with the records trashed with it (`rm --cascade`:
    /// in the trash, linked to it, their tombstones written in the same write), in one
    /// transaction. Returns how many came back. A quote line taken out alone must not
    /// change a frozen (sent) quote; with its quote it is the quote as it was.
    pub fn restore_from_trash(&self, kind: EntityKind, id: Id) -> Result<usize, AppError> {
        if kind == EntityKind::QuoteLine {
            self.check_quote_write(kind, Some(id), None)?;
        }
        let tombstone = |s: &crate::store::Stored| s.clocks.get(crate::store::DELETED).copied();
        let Some(stamp) = self
            .store
            .get(kind, id)?
            .filter(|s| s.deleted)
            .and_then(|s| tombstone(&s))
        else {
            return Err(AppError::Invalid(format!("{kind} {id} is not in the trash")));
        };
        // One write stamps its tombstones with one wall time, from one replica.
        let same_write =
            |s: &crate::store::Stored| tombstone(s).is_some_and(|h| h.wall == stamp.wall && h.replica == stamp.replica);
        // Everything that write trashed (one pass), then what of it links to the record,
        // or to one that does.
        let mut trashed_with: Vec<(EntityKind, Id, Vec<Id>)> = Vec::new();
        for k in EntityKind::ALL {
            for item in self.store.scan(k) {
                let (other, stored) = item?;
                if stored.deleted && same_write(&stored) && other != id {
                    let links = k.describe(&stored.fields).map(|d| d.links).unwrap_or_default();
                    trashed_with.push((k, other, links.iter().map(|l| l.id).collect()));
                }
            }
        }
        let mut back = vec![(kind, id)];
        let mut i = 0;
        while i < back.len() {
            let parent = back[i].1;
            for (k, child, links) in &trashed_with {
                if links.contains(&parent) && !back.contains(&(*k, *child)) {
                    back.push((*k, *child));
                }
            }
            i += 1;
        }
        // A line coming back without its quote must not change a sent quote either.
        for (k, line) in &back[1..] {
            let with_its_quote = |q: Id| back.iter().any(|(bk, bid)| *bk == EntityKind::Quote && *bid == q);
            let quote = self
                .store
                .get(*k, *line)?
                .and_then(|s| {
                    s.fields
                        .get(fields::quote_line::QUOTE_ID)
                        .and_then(Value::as_str)
                        .map(String::from)
                })
                .and_then(|q| q.parse::<Id>().ok());
            if *k == EntityKind::QuoteLine && quote.is_some_and(|q| !with_its_quote(q)) {
                self.check_quote_write(*k, Some(*line), None)?;
            }
        }
        // Each after the records it links to (a restore needs its links back): a
        // converted lead links the deal made from it, which links the account.
        let links_of = |id: Id| {
            trashed_with
                .iter()
                .find(|(_, other, _)| *other == id)
                .map(|(_, _, links)| links.clone())
                .unwrap_or_default()
        };
        let mut ordered: Vec<(EntityKind, Id)> = Vec::with_capacity(back.len());
        while ordered.len() < back.len() {
            let before = ordered.len();
            for r in &back {
                let ready = !ordered.contains(r)
                    && links_of(r.1)
                        .iter()
                        .all(|l| !back.iter().any(|(_, b)| b == l) || ordered.iter().any(|(_, o)| o == l));
                if ready {
                    ordered.push(*r);
                }
            }
            if ordered.len() == before {
                // Records that link each other: the rest as found.
                ordered.extend(
                    back.iter()
                        .filter(|r| !ordered.contains(r))
                        .copied()
                        .collect::<Vec<_>>(),
                );
            }
        }
        let back = ordered;
        let muts: Vec<Mutation> = back.iter().map(|(k, id)| Mutation::restore(*k, *id)).collect();
        self.store.commit(&muts)?;
        Ok(muts.len())
    }

    /// Finds a trashed record by id, id prefix or name, any kind.
    pub fn find_in_trash(&self, reference: &str) -> Result<(EntityKind, Id), AppError> {
        let mut found = Vec::new();
        for kind in EntityKind::ALL {
            let ids = match reference.parse::<Id>() {
                Ok(id) => vec![id],
                Err(_) => self.store.ids_with_prefix(kind, reference)?,
            };
            for id in ids {
                if self.store.get(kind, id)?.is_some_and(|s| s.deleted) {
                    found.push((kind, id));
                }
            }
        }
        if found.is_empty() {
            // Not an id: a name, exactly (ignoring case) or, failing that, its start.
            let wanted = reference.trim().to_lowercase();
            let mut starts = Vec::new();
            for kind in EntityKind::ALL {
                for item in self.store.scan(kind) {
                    let (id, s) = item?;
                    let Some(title) = s
                        .deleted
                        .then(|| kind.describe(&s.fields))
                        .flatten()
                        .map(|c| c.title.to_lowercase())
                    else {
                        continue;
                    };
                    if title == wanted {
                        found.push((kind, id));
                    } else if title.starts_with(&wanted) {
                        starts.push((kind, id));
                    }
                }
            }
            if found.is_empty() {
                found = starts;
            }
        }
        match found.len() {
            1 => Ok(found[0]),
            0 => Err(AppError::NotFound(format!(
                "nothing in the trash matches '{reference}'; `outpost trash list` shows what is there"
            ))),
            n => Err(AppError::Ambiguous(format!(
                "'{reference}' matches {n} records in the trash; give the id (`outpost trash list`)"
            ))),
        }
    }

    /// Moves a deal to a stage (probability follows the stage; history records it, with
    /// the time of the move). `reason` is why it was lost, kept on the deal; it goes only
    /// with a lost stage. Moving a deal to a stage that is not lost clears an old reason.
    pub fn move_stage(&self, id: Id, stage: &str, reason: Option<&str>) -> Result<String, AppError> {
        let s = self
            .config
            .pipeline
            .find(stage)
            .ok_or_else(|| AppError::Invalid(self.config.pipeline.unknown(stage)))?;
        let lost = s.state == StageState::Lost;
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if reason.is_some() && !lost {
            return Err(AppError::Invalid(format!(
                "a loss reason goes with a lost stage, and '{}' is not one",
                s.name
            )));
        }
        let mut f = Fields::new();
        f.insert(fields::opportunity::STAGE.into(), json!(s.name));
        if let Some(r) = reason {
            f.insert(fields::opportunity::LOSS_REASON.into(), json!(r));
        }
        self.follow_stage_probability(id, &mut f)?;
        let mut writes = vec![Mutation::update(EntityKind::Opportunity, id, f)];
        if !lost {
            // Written even when it is empty here: another laptop may have lost the deal
            // with a reason concurrently, and this later move must clear that one too.
            let mut clear = Fields::new();
            clear.insert(fields::opportunity::LOSS_REASON.into(), Value::Null);
            writes.push(Mutation {
                kind: EntityKind::Opportunity,
                id,
                op: Op::Rewrite(clear),
            });
        }
        self.store.commit(&writes)?;
        Ok(s.name.clone())
    }

    /// Whether moving the deal to `stage` takes a won deal to a lost stage: the TUI asks
    /// for confirmation and a loss reason first.
    pub fn loses_a_won_deal(&self, id: Id, stage: &str) -> Result<bool, AppError> {
        let stored = self
            .store
            .get(EntityKind::Opportunity, id)?
            .ok_or_else(|| AppError::NotFound(format!("no opportunity with id {id}")))?;
        let state = |name: &str| self.config.pipeline.find(name).map(|s| s.state);
        Ok(state(stored.text(fields::opportunity::STAGE)) == Some(StageState::Won)
            && state(stage) == Some(StageState::Lost))
    }

    /// When a write moves a deal to another stage without giving a probability, the
    /// probability becomes the new stage's default.
    pub(crate) fn follow_stage_probability(&self, id: Id, fields: &mut Fields) -> Result<(), AppError> {
        let Some(target) = fields
            .get(fields::opportunity::STAGE)
            .and_then(Value::as_str)
            .and_then(|s| self.config.pipeline.find(s))
        else {
            return Ok(());
        };
        let current = self.store.get(EntityKind::Opportunity, id)?;
        let moves = current.is_some_and(|c| c.text(fields::opportunity::STAGE) != target.name);
        if moves && fields.get(fields::opportunity::PROBABILITY).is_none_or(Value::is_null) {
            fields.insert(fields::opportunity::PROBABILITY.into(), json!(target.probability));
        }
        Ok(())
    }

    /// Moves a deal one stage forward (`+1`) or back (`-1`) along the pipeline. Returns
    /// the new stage, or `None` at either end.
    pub fn step_stage(&self, id: Id, delta: i32) -> Result<Option<String>, AppError> {
        match self.step_target(id, delta)? {
            Some(target) => self.move_stage(id, &target, None).map(Some),
            None => Ok(None),
        }
    }

    /// The stage one step forward (`+1`) or back (`-1`) from the deal's, if any.
    pub fn step_target(&self, id: Id, delta: i32) -> Result<Option<String>, AppError> {
        let stored = self
            .store
            .get(EntityKind::Opportunity, id)?
            .ok_or_else(|| AppError::NotFound(format!("no opportunity with id {id}")))?;
        let stages = &self.config.pipeline.stages;
        let Some(pos) = stages
            .iter()
            .position(|s| s.name == stored.text(fields::opportunity::STAGE))
        else {
            return Ok(None);
        };
        let next = i64::try_from(pos).unwrap_or(0) + i64::from(delta);
        Ok(usize::try_from(next)
            .ok()
            .and_then(|n| stages.get(n))
            .map(|s| s.name.clone()))
    }

    /// Converts a lead: links or creates the account (by company name), creates the
    /// contact and, unless `no_opp`, an opportunity; marks the lead converted. One commit.
    pub fn convert_lead(&self, lead_id: Id, opts: &ConvertOptions) -> Result<Converted, AppError> {
        let lead = self
            .store
            .get(EntityKind::Lead, lead_id)?
            .ok_or_else(|| AppError::NotFound(format!("no lead with id {lead_id}")))?;
        if lead.text("status") == "converted" {
            return Err(AppError::Invalid(format!(
                "lead '{}' is already converted (contact {})",
                self.title(EntityKind::Lead, lead_id),
                lead.text(fields::lead::CONVERTED_CONTACT_ID)
            )));
        }
        let company = lead.text(fields::lead::COMPANY).to_string();
        let mut muts = Vec::new();
        let existing = self.store.ids_by_title(EntityKind::Account, &company)?;
        let (account, account_created) = match existing.as_slice() {
            [one] => (*one, false),
            [] => {
                let mut f = Fields::new();
                f.insert("name".into(), json!(company));
                for k in ["phone", "email", "country", fields::shared::OWNER] {
                    if let Some(v) = lead.fields.get(k).filter(|v| !v.is_null()) {
                        f.insert(k.into(), v.clone());
                    }
                }
                let m = Mutation::create(EntityKind::Account, f);
                let id = m.id;
                muts.push(m);
                (id, true)
            }
            many => {
                return Err(AppError::Ambiguous(format!(
                    "{} accounts are named '{company}'; rename one or edit the lead's company first",
                    many.len()
                )));
            }
        };
        let mut c = Fields::new();
        for k in [
            fields::shared::FIRST_NAME,
            fields::shared::LAST_NAME,
            "country",
            fields::shared::OWNER,
        ] {
            c.insert(k.into(), lead.fields.get(k).cloned().unwrap_or(Value::Null));
        }
        c.insert(fields::shared::ACCOUNT_ID.into(), json!(account.to_string()));
        let list = |k: &str| {
            lead.fields
                .get(k)
                .filter(|v| !v.is_null())
                .map_or_else(Vec::new, |v| vec![v.clone()])
        };
        c.insert(fields::contact::EMAILS.into(), Value::Array(list("email")));
        c.insert(fields::contact::PHONES.into(), Value::Array(list("phone")));
        let contact = Mutation::create(EntityKind::Contact, c);
        let contact_id = contact.id;
        muts.push(contact);
        let mut opportunity = None;
        if !opts.no_opp {
            let name = opts
                .opp_name
                .clone()
                .unwrap_or_else(|| format!("{company} - new business"));
            let mut values: Values = vec![(spec_of(EntityKind::Opportunity, "name"), vec![name])];
            values.push((
                spec_of(EntityKind::Opportunity, fields::opportunity::AMOUNT),
                vec![opts.amount.clone().unwrap_or_else(|| "0".into())],
            ));
            if let Some(close) = &opts.close {
                values.push((
                    spec_of(EntityKind::Opportunity, fields::opportunity::CLOSE_DATE),
                    vec![close.clone()],
                ));
            }
            let mut o = self.fields_from(&values)?;
            o.insert(fields::shared::ACCOUNT_ID.into(), json!(account.to_string()));
            if let Some(owner) = lead.fields.get(fields::shared::OWNER).filter(|v| !v.is_null()) {
                o.insert(fields::shared::OWNER.into(), owner.clone());
            }
            self.complete_new(EntityKind::Opportunity, &mut o)?;
            let m = Mutation::create(EntityKind::Opportunity, o);
            opportunity = Some(m.id);
            muts.push(m);
        }
        let mut l = Fields::new();
        l.insert("status".into(), json!("converted"));
        l.insert(fields::lead::CONVERTED_ACCOUNT_ID.into(), json!(account.to_string()));
        l.insert(fields::lead::CONVERTED_CONTACT_ID.into(), json!(contact_id.to_string()));
        l.insert(
            fields::lead::CONVERTED_OPPORTUNITY_ID.into(),
            opportunity.map_or(Value::Null, |o| json!(o.to_string())),
        );
        muts.push(Mutation::update(EntityKind::Lead, lead_id, l));
        self.store.commit(&muts)?;
        Ok(Converted {
            account,
            account_created,
            contact: contact_id,
            opportunity,
        })
    }

    /// Logs an activity; with `follow_up` also creates the follow-up task, in one commit.
    pub fn log_activity(
        &self,
        kind: ActivityKind,
        values: &Values,
        follow_up: Option<(String, String)>,
    ) -> Result<Id, AppError> {
        let mut fields = self.fields_from(values)?;
        fields.insert("kind".into(), serde_json::to_value(kind).unwrap_or(Value::Null));
        if kind != ActivityKind::Task && !fields.contains_key(fields::activity::DONE) {
            fields.insert(fields::activity::DONE.into(), json!(true));
        }
        self.complete_new(EntityKind::Activity, &mut fields)?;
        let main = Mutation::create(EntityKind::Activity, fields.clone());
        let id = main.id;
        let mut muts = vec![main];
        if let Some((subject, due)) = follow_up {
            let mut task = Fields::new();
            // The follow-up is about what the activity is about, and has its owner.
            let about = super::kinds::ABOUT.iter().map(|(f, _)| *f);
            for k in about.chain([fields::shared::OWNER]) {
                if let Some(v) = fields.get(k) {
                    task.insert(k.into(), v.clone());
                }
            }
            let due_values: Values = vec![(spec_of(EntityKind::Activity, fields::activity::DUE), vec![due])];
            task.extend(self.fields_from(&due_values)?);
            task.insert(fields::activity::KIND.into(), json!("task"));
            task.insert(fields::activity::SUBJECT.into(), json!(subject));
            task.insert(fields::activity::DONE.into(), json!(false));
            self.complete_new(EntityKind::Activity, &mut task)?;
            muts.push(Mutation::create(EntityKind::Activity, task));
        }
        self.store.commit(&muts)?;
        Ok(id)
    }

    /// Marks a task done (or not). Only tasks have a done state people change: marking
    /// a call, meeting, visit, e-mail or note is refused.
    pub fn set_done(&self, id: Id, done: bool) -> Result<(), AppError> {
        let stored = self
            .store
            .get(EntityKind::Activity, id)?
            .filter(|s| !s.deleted)
            .ok_or_else(|| AppError::NotFound(format!("no activity with id {id}")))?;
        let kind = stored.text("kind");
        if kind != "task" {
            return Err(AppError::Invalid(format!(
                "'{}' is {} {kind}, not a task; only tasks can be marked done",
                stored.text(fields::activity::SUBJECT),
                if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
                    "an"
                } else {
                    "a"
                }
            )));
        }
        let mut f = Fields::new();
        f.insert(fields::activity::DONE.into(), json!(done));
        self.store.commit(&[Mutation::update(EntityKind::Activity, id, f)])?;
        Ok(())
    }
}

/// The spec of a field by JSON name. Panics never: falls back to the first spec.
#[must_use]
pub fn spec_of(kind: EntityKind, json: &str) -> &'static Spec {
    let all = spec::specs(kind);
    all.iter().find(|s| s.json == json).unwrap_or(&all[0])
}
