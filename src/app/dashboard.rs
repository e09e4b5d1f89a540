//! Pipeline and forecast figures for the dashboard and the pipeline board.
//!
//! The maths are pure functions over plain [`Deal`]s (easy to test); the loaders at the
//! bottom read deals, tasks and events through the store's read API.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::Value;

use super::{App, AppError, report};
use crate::model::entity::Index;
use crate::model::records::fields;
use crate::model::stage::{Pipeline, StageState};
use crate::model::{EntityKind, Id};

/// An opportunity as the board and the dashboard need it.
#[derive(Clone, Debug, PartialEq)]
pub struct Deal {
    /// The opportunity's id.
    pub id: Id,
    /// Deal name.
    pub name: String,
    /// The account's name ("" when unknown).
    pub account: String,
    /// Expected amount.
    pub amount: Decimal,
    /// ISO 4217 currency of the amount.
    pub currency: String,
    /// Pipeline stage name.
    pub stage: String,
    /// Win probability in percent.
    pub probability: u8,
    /// Expected close date.
    pub close: Option<NaiveDate>,
    /// Owning user.
    pub owner: Option<String>,
}

impl Deal {
    /// Amount times probability.
    #[must_use]
    pub fn weighted(&self) -> Decimal {
        self.amount.saturating_mul(Decimal::from(self.probability)) / Decimal::from(100)
    }
}

/// One stage of the pipeline summed up.
#[derive(Clone, Debug, PartialEq)]
pub struct StageSum {
    /// Stage name.
    pub stage: String,
    /// Open, won or lost.
    pub state: StageState,
    /// Deals in the stage (every currency).
    pub count: usize,
    /// Sum of amounts in the reporting currency.
    pub sum: Decimal,
    /// Sum of amount x probability in the reporting currency.
    pub weighted: Decimal,
    /// Deals in another currency, counted but not summed.
    pub other_currency: usize,
}

/// Open deals expected to close in one month.
#[derive(Clone, Debug, PartialEq)]
pub struct MonthSum {
    /// First day of the month.
    pub month: NaiveDate,
    /// Sum of amounts in the reporting currency.
    pub total: Decimal,
    /// Sum of amount x probability in the reporting currency.
    pub weighted: Decimal,
}

/// Counts and sums per stage, in pipeline order: [`report::pipeline::pipeline`]'s rows
/// (the `report pipeline` figures) folded per stage. Amounts in the reporting currency
/// (`money.base`, or converted with its rates) are summed; deals in a currency without a
/// rate are counted but not summed.
#[must_use]
pub fn pipeline_by_stage(deals: &[Deal], pipeline: &Pipeline, money: &report::Money) -> Vec<StageSum> {
    let data = report_data(deals, pipeline, money.clone(), |d| d.close);
    let mut out: Vec<StageSum> = pipeline
        .stages
        .iter()
        .map(|s| StageSum {
            stage: s.name.clone(),
            state: s.state,
            count: 0,
            sum: Decimal::ZERO,
            weighted: Decimal::ZERO,
            other_currency: 0,
        })
        .collect();
    for r in report::pipeline::pipeline(&data) {
        let Some(row) = out.iter_mut().find(|s| s.stage == r.stage) else {
            continue;
        };
        row.count += r.count;
        if r.currency == money.base {
            row.sum = row.sum.saturating_add(r.amount);
            row.weighted = row.weighted.saturating_add(r.weighted);
        } else {
            row.other_currency += r.count;
        }
    }
    out
}

/// The reports' view of `deals` (close dates through `close`).
fn report_data(
    deals: &[Deal],
    pipeline: &Pipeline,
    money: report::Money,
    close: impl Fn(&Deal) -> Option<NaiveDate>,
) -> report::Data {
    report::Data {
        opps: deals
            .iter()
            .map(|d| report::Opp {
                id: d.id,
                name: String::new(),
                account_id: None,
                amount: d.amount,
                currency: d.currency.clone(),
                stage: d.stage.clone(),
                probability: d.probability,
                close: close(d),
                owner: d.owner.clone(),
                next_step: None,
                forecast_category: None,
                history: Vec::new(),
            })
            .collect(),
        pipeline: pipeline.clone(),
        money,
        ..report::Data::default()
    }
}

/// First day of the month of `day`.
#[must_use]
pub fn month_start(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// First day of the month after `day`'s.
#[must_use]
pub fn next_month(day: NaiveDate) -> NaiveDate {
    let (y, m) = if day.month() == 12 {
        (day.year() + 1, 1)
    } else {
        (day.year(), day.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(day)
}

/// Open deals by expected close month, for `months` months from `today`'s month. An open
/// deal whose close date has passed still counts, in the current month (it is late, not
/// lost). Deals without a close date or in another currency are left out. The sums are
/// [`report::forecast::forecast`]'s (the `report forecast` figures).
#[must_use]
pub fn forecast_by_month(
    deals: &[Deal],
    pipeline: &Pipeline,
    currency: &str,
    today: NaiveDate,
    months: usize,
) -> Vec<MonthSum> {
    use super::report::forecast;
    let this_month = month_start(today);
    let only: Vec<Deal> = deals
        .iter()
        .filter(|d| d.currency == currency && d.close.is_some())
        .cloned()
        .collect();
    let money = report::Money {
        base: currency.to_string(),
        rates: std::collections::BTreeMap::new(),
    };
    let data = report_data(&only, pipeline, money, |d| d.close.map(|c| c.max(this_month)));
    let rows = forecast::forecast(&data, forecast::Period::Month, None);
    let mut out = Vec::with_capacity(months);
    let mut m = this_month;
    for _ in 0..months {
        let label = forecast::period_of(m, forecast::Period::Month);
        let row = rows
            .iter()
            .find(|r| r.period == label && r.owner.is_none() && r.currency == currency);
        out.push(MonthSum {
            month: m,
            total: row.map_or(Decimal::ZERO, |r| r.open),
            weighted: row.map_or(Decimal::ZERO, |r| r.weighted),
        });
        m = next_month(m);
    }
    out
}

/// Open deals closing between `from` and `to` (inclusive), soonest first.
#[must_use]
pub fn closing_between<'a>(deals: &'a [Deal], pipeline: &Pipeline, from: NaiveDate, to: NaiveDate) -> Vec<&'a Deal> {
    let open = |stage: &str| {
        pipeline
            .stages
            .iter()
            .any(|s| s.name == stage && s.state == StageState::Open)
    };
    let mut out: Vec<&Deal> = deals
        .iter()
        .filter(|d| open(&d.stage) && d.close.is_some_and(|c| c >= from && c <= to))
        .collect();
    out.sort_by(|a, b| {
        a.close
            .cmp(&b.close)
            .then_with(|| b.amount.cmp(&a.amount))
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.account.cmp(&b.account))
    });
    out
}

/// An open task (an activity of kind task, not done, with a due date).
#[derive(Clone, Debug, PartialEq)]
pub struct Task {
    /// The activity's id.
    pub id: Id,
    /// One-line summary.
    pub subject: String,
    /// Due date.
    pub due: NaiveDate,
    /// Name of the related account, contact, deal or lead ("" when none).
    pub about: String,
    /// Owner's login.
    pub owner: Option<String>,
}

/// A calendar event in a time window.
#[derive(Clone, Debug, PartialEq)]
pub struct Agenda {
    /// The event's id.
    pub id: Id,
    /// Title.
    pub title: String,
    /// Start (UTC).
    pub start: DateTime<Utc>,
    /// End (UTC).
    pub end: DateTime<Utc>,
    /// Whole-day event.
    pub all_day: bool,
    /// Where.
    pub location: String,
    /// Name of the related account ("" when none).
    pub account: String,
    /// Owning user's login (`None`: unowned).
    pub owner: Option<String>,
    /// The event's IANA zone, if it has one.
    pub tz: Option<String>,
    /// The occurrence belongs to a series: a recurring event, or a moved occurrence of
    /// one (then `id` is the moved occurrence's own record).
    pub recurring: bool,
}

/// Everything the dashboard shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Dashboard {
    /// The day it is about.
    pub today: NaiveDate,
    /// Events on that day.
    pub agenda: Vec<Agenda>,
    /// Open tasks due that day.
    pub due_today: Vec<Task>,
    /// Open tasks due before that day, oldest first (at most `limit`).
    pub overdue: Vec<Task>,
    /// How many open tasks are overdue in all.
    pub overdue_total: usize,
    /// Open deals closing this month, soonest first.
    pub closing: Vec<Deal>,
    /// Pipeline by stage.
    pub stages: Vec<StageSum>,
    /// Forecast of the next six months.
    pub forecast: Vec<MonthSum>,
    /// The reporting currency.
    pub currency: String,
    /// Changes waiting in the outbox for the next sync.
    pub outbox: usize,
    /// The sync server logged in to, if any.
    pub server: Option<String>,
    /// When the last sync finished.
    pub last_sync: Option<String>,
    /// Conflicts not yet resolved (held records included).
    pub open_conflicts: usize,
    /// Records held on this laptop: refused by the server, which does not have them.
    pub held: usize,
    /// Quotes waiting for a manager's approval.
    pub approvals: usize,
}

/// How many overdue tasks the dashboard loads.
const OVERDUE_LIMIT: usize = 100;

impl App {
    /// Every live opportunity as a [`Deal`], with its account's name. Reads only the
    /// fields a deal needs (at 100k records this is the dashboard's and board's load).
    pub fn deals(&self) -> Result<Vec<Deal>, AppError> {
        #[derive(serde::Deserialize, Default)]
        #[serde(default)]
        struct DealFields {
            name: String,
            account_id: Option<Id>,
            amount: Option<Decimal>,
            currency: String,
            stage: String,
            probability: u64,
            close_date: Option<NaiveDate>,
            owner: Option<String>,
        }
        let deals: Vec<(Id, DealFields)> = self
            .store
            .live_fields::<DealFields>(EntityKind::Opportunity)
            .collect::<Result<_, _>>()?;
        let mut names = super::view::Names::default();
        names.preload_links(self, EntityKind::Opportunity, deals.len());
        let mut out = Vec::with_capacity(deals.len());
        for (id, d) in deals {
            let account = d
                .account_id
                .map(|a| names.title(self, EntityKind::Account, a))
                .unwrap_or_default();
            out.push(Deal {
                id,
                name: d.name,
                account,
                amount: d.amount.unwrap_or_default(),
                currency: d.currency,
                stage: d.stage,
                probability: u8::try_from(d.probability).unwrap_or(0),
                close: d.close_date,
                owner: d.owner.filter(|o| !o.is_empty()),
            });
        }
        Ok(out)
    }

    /// One deal by id, or `None` when it is gone or trashed.
    pub fn deal(&self, id: Id) -> Result<Option<Deal>, AppError> {
        let Some(s) = self.store.get(EntityKind::Opportunity, id)?.filter(|s| !s.deleted) else {
            return Ok(None);
        };
        let account = ref_id(&s.fields, fields::shared::ACCOUNT_ID)
            .map(|a| fast_title(self, EntityKind::Account, a))
            .unwrap_or_default();
        Ok(Some(Deal {
            id,
            name: s.text("name").to_string(),
            account,
            amount: s.text(fields::opportunity::AMOUNT).parse().unwrap_or_default(),
            currency: s.text(fields::shared::CURRENCY).to_string(),
            stage: s.text(fields::opportunity::STAGE).to_string(),
            probability: s
                .fields
                .get(fields::opportunity::PROBABILITY)
                .and_then(Value::as_u64)
                .and_then(|p| u8::try_from(p).ok())
                .unwrap_or(0),
            close: s.text(fields::opportunity::CLOSE_DATE).parse().ok(),
            owner: Some(s.text(fields::shared::OWNER).to_string()).filter(|o| !o.is_empty()),
        }))
    }

    /// Open tasks due on or before `until`, soonest first, from the due-date index.
    pub fn open_tasks(&self, until: NaiveDate) -> Result<Vec<Task>, AppError> {
        let until = until.to_string();
        let mut out = Vec::new();
        for entry in self.store.index_iter(Index::Due, EntityKind::Activity) {
            let (due, id) = entry?;
            if due > until {
                break;
            }
            let Ok(due) = due.parse() else { continue };
            if let Some(t) = self.task(id, due)? {
                out.push(t);
            }
        }
        out.sort_by(|a, b| {
            a.due
                .cmp(&b.due)
                .then_with(|| a.subject.cmp(&b.subject))
                .then_with(|| a.about.cmp(&b.about))
        });
        Ok(out)
    }

    /// Open tasks due `today`, the oldest overdue ones (whole days, at least
    /// [`OVERDUE_LIMIT`] when there are that many) and how many are overdue in all. Only
    /// the tasks shown are read; the rest are counted from the due-date index.
    fn tasks_for(&self, today: NaiveDate) -> Result<(Vec<Task>, Vec<Task>, usize), AppError> {
        let day = today.to_string();
        let mut overdue_ids: Vec<(NaiveDate, Id)> = Vec::new();
        let mut today_ids: Vec<Id> = Vec::new();
        let mut total = 0;
        for entry in self.store.index_iter(Index::Due, EntityKind::Activity) {
            let (due, id) = entry?;
            if due > day {
                break;
            }
            let Ok(d) = due.parse::<NaiveDate>() else { continue };
            if due == day {
                today_ids.push(id);
                continue;
            }
            total += 1;
            let day_done = overdue_ids.len() >= OVERDUE_LIMIT && overdue_ids.last().is_some_and(|(last, _)| *last != d);
            if !day_done {
                overdue_ids.push((d, id));
            }
        }
        let sort = |v: &mut Vec<Task>| {
            v.sort_by(|a, b| {
                a.due
                    .cmp(&b.due)
                    .then_with(|| a.subject.cmp(&b.subject))
                    .then_with(|| a.about.cmp(&b.about))
            })
        };
        let mut overdue = Vec::new();
        for (d, id) in overdue_ids {
            overdue.extend(self.task(id, d)?);
        }
        sort(&mut overdue);
        let mut due_today = Vec::new();
        for id in today_ids {
            due_today.extend(self.task(id, today)?);
        }
        sort(&mut due_today);
        Ok((due_today, overdue, total))
    }

    fn task(&self, id: Id, due: NaiveDate) -> Result<Option<Task>, AppError> {
        let Some(s) = self.store.get(EntityKind::Activity, id)?.filter(|s| !s.deleted) else {
            return Ok(None);
        };
        let about = super::kinds::ABOUT
            .iter()
            .find_map(|(f, k)| ref_id(&s.fields, f).map(|r| fast_title(self, *k, r)))
            .unwrap_or_default();
        Ok(Some(Task {
            id,
            subject: s.text(fields::activity::SUBJECT).to_string(),
            due,
            about,
            owner: s
                .fields
                .get(fields::shared::OWNER)
                .and_then(Value::as_str)
                .map(str::to_string),
        }))
    }

    /// Event occurrences overlapping `[from, to)`, by start time: a recurring event
    /// is expanded (`model::recur`), without its EXDATEs and the occurrences moved to
    /// records of their own (which appear at their new time).
    pub fn agenda(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Agenda>, AppError> {
        use crate::model::recur::{Exdate, Series};
        let mut events = Vec::new();
        let mut moved: std::collections::HashMap<Id, Vec<Exdate>> = std::collections::HashMap::new();
        for item in self
            .store
            .live_fields::<crate::model::records::Event>(EntityKind::Event)
        {
            let (id, e) = item?;
            if let (Some(series), Some(at)) = (e.series_id, e.recurrence_id) {
                moved.entry(series).or_default().push(Exdate::Instant(at));
            }
            events.push((id, e));
        }
        let mut out = Vec::new();
        for (id, e) in events {
            let rule = e.rule();
            let mut exdates = e.exdate_list();
            if let Some(m) = moved.get(&id) {
                exdates.extend(m.iter().copied());
            }
            let series = Series {
                start: e.start,
                tz: e.zone(),
                rule: rule.as_ref(),
                exdates: &exdates,
            };
            let duration = (e.end - e.start).max(chrono::Duration::zero());
            let starts = series.starts(duration, from, to);
            if starts.is_empty() {
                continue;
            }
            let account = e
                .account_id
                .map(|a| fast_title(self, EntityKind::Account, a))
                .unwrap_or_default();
            for start in starts {
                out.push(Agenda {
                    id,
                    title: e.title.clone(),
                    start,
                    end: start + duration,
                    all_day: e.all_day,
                    location: e.location.clone().unwrap_or_default(),
                    account: account.clone(),
                    owner: e.owner.clone(),
                    tz: e.tz.clone(),
                    recurring: rule.is_some() || e.series_id.is_some(),
                });
            }
        }
        out.sort_by(|a, b| {
            a.start
                .cmp(&b.start)
                .then_with(|| a.title.cmp(&b.title))
                .then_with(|| a.account.cmp(&b.account))
                .then_with(|| a.id.cmp(&b.id))
        });
        Ok(out)
    }

    /// The dashboard for `today`, whose local day runs over `[day_start, day_end)` in UTC.
    pub fn dashboard(
        &self,
        today: NaiveDate,
        day_start: DateTime<Utc>,
        day_end: DateTime<Utc>,
    ) -> Result<Dashboard, AppError> {
        let deals = self.deals()?;
        let pipeline = &self.config.pipeline;
        let currency = self.config.currency.clone();
        let (due_today, overdue, overdue_total) = self.tasks_for(today)?;
        let last = next_month(today).pred_opt().unwrap_or(today);
        Ok(Dashboard {
            today,
            agenda: self.agenda(day_start, day_end)?,
            due_today,
            overdue,
            overdue_total,
            closing: closing_between(&deals, pipeline, month_start(today), last)
                .into_iter()
                .cloned()
                .collect(),
            stages: pipeline_by_stage(
                &deals,
                pipeline,
                &report::Money {
                    base: currency.clone(),
                    rates: self.config.rates.clone(),
                },
            ),
            forecast: forecast_by_month(&deals, pipeline, &currency, today, 6),
            currency,
            outbox: self.store.outbox_len(),
            server: crate::sync::login::effective(self.store.path())
                .ok()
                .flatten()
                .map(|l| l.server),
            last_sync: self.store.sync_state().ok().and_then(|s| s.last_sync),
            open_conflicts: crate::sync::conflicts::list(&self.store, false).map_or(0, |c| c.len()),
            held: self.store.held_live().map_or(0, |h| h.len()),
            approvals: self.approvals_waiting()?,
        })
    }
}

/// The name people know a record by, read straight from its stored fields (the same text
/// as [`App::title`] without parsing the whole record; used when listing many).
#[must_use]
pub fn fast_title(app: &App, kind: EntityKind, id: Id) -> String {
    let Ok(Some(s)) = app.store.get(kind, id) else {
        return id.short();
    };
    let title = super::kinds::title_of(kind, &s.fields);
    if title.trim().is_empty() { id.short() } else { title }
}

/// A `<rel>_id` field as an id.
#[must_use]
pub fn ref_id(fields: &crate::model::Fields, field: &str) -> Option<Id> {
    fields.get(field).and_then(Value::as_str).and_then(|s| s.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    fn deal(stage: &str, amount: i64, prob: u8, close: &str, currency: &str) -> Deal {
        Deal {
            id: Id::new(),
            name: format!("{stage} {amount}"),
            account: "Acme".into(),
            amount: Decimal::from(amount),
            currency: currency.into(),
            stage: stage.into(),
            probability: prob,
            close: Some(day(close)),
            owner: None,
        }
    }

    #[test]
    fn sums_per_stage_in_pipeline_order_and_skips_other_currencies() {
        let p = Pipeline::default();
        let deals = [
            deal("Proposal", 1000, 60, "2026-03-10", "EUR"),
            deal("Proposal", 500, 50, "2026-03-20", "EUR"),
            deal("Proposal", 900, 60, "2026-03-20", "USD"),
            deal("Closed Won", 200, 100, "2026-01-01", "EUR"),
        ];
        let mut money = report::Money {
            base: "EUR".into(),
            rates: std::collections::BTreeMap::new(),
        };
        let s = pipeline_by_stage(&deals, &p, &money);
        assert_eq!(s.len(), p.stages.len());
        let prop = s.iter().find(|r| r.stage == "Proposal").expect("row");
        assert_eq!((prop.count, prop.other_currency), (3, 1));
        assert_eq!(prop.sum, Decimal::from(1500));
        assert_eq!(prop.weighted, Decimal::from(850));
        assert_eq!(s[0].stage, "Prospecting");
        assert_eq!(s[0].count, 0);
        // With a rate the USD deal is summed too, as `report pipeline` sums it.
        money.rates.insert("USD".into(), Decimal::from(2));
        let s = pipeline_by_stage(&deals, &p, &money);
        let prop = s.iter().find(|r| r.stage == "Proposal").expect("row");
        assert_eq!((prop.count, prop.other_currency), (3, 0));
        assert_eq!(prop.sum, Decimal::from(3300));
        assert_eq!(prop.weighted, Decimal::from(1930));
    }

    #[test]
    fn forecast_counts_open_deals_by_month_and_late_ones_now() {
        let p = Pipeline::default();
        let deals = [
            deal("Proposal", 1000, 60, "2026-03-31", "EUR"),
            deal("Negotiation", 100, 80, "2026-01-15", "EUR"),
            deal("Qualification", 400, 20, "2026-05-01", "EUR"),
            deal("Closed Won", 999, 100, "2026-03-02", "EUR"),
            deal("Proposal", 50, 60, "2027-01-01", "EUR"),
        ];
        let f = forecast_by_month(&deals, &p, "EUR", day("2026-03-05"), 3);
        assert_eq!(
            f.iter().map(|m| m.month).collect::<Vec<_>>(),
            [day("2026-03-01"), day("2026-04-01"), day("2026-05-01")]
        );
        assert_eq!(f[0].total, Decimal::from(1100));
        assert_eq!(f[0].weighted, Decimal::from(680));
        assert_eq!(f[1].total, Decimal::ZERO);
        assert_eq!(f[2].weighted, Decimal::from(80));
    }

    #[test]
    fn months_roll_over_the_year() {
        assert_eq!(next_month(day("2026-12-17")), day("2027-01-01"));
        assert_eq!(month_start(day("2026-02-28")), day("2026-02-01"));
    }

    #[test]
    fn closing_lists_open_deals_in_the_window_soonest_first() {
        let p = Pipeline::default();
        let deals = [
            deal("Proposal", 1, 60, "2026-03-20", "EUR"),
            deal("Proposal", 2, 60, "2026-03-02", "EUR"),
            deal("Closed Lost", 3, 0, "2026-03-03", "EUR"),
            deal("Proposal", 4, 60, "2026-04-01", "EUR"),
        ];
        let c = closing_between(&deals, &p, day("2026-03-01"), day("2026-03-31"));
        assert_eq!(
            c.iter().map(|d| d.amount).collect::<Vec<_>>(),
            [Decimal::from(2), Decimal::from(1)]
        );
    }
}
