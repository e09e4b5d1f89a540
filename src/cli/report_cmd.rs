//! `outpost report NAME`: forecasts and pipeline health from `app::report`.

use chrono::NaiveDate;
use clap::{Args, Subcommand};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::app::App;
use crate::app::export::Format;
use crate::app::report::forecast::{self, Period};
use crate::app::report::{self, CATEGORIES, customers, ids, money_text, pipeline};

/// `outpost report`.
#[derive(Args, Debug)]
#[command(after_help = "Examples:
  outpost report forecast --by month          open, weighted, categories, quota per month
  outpost report forecast --owner sara --format json
  outpost report winrate --from 2026-01-01 --to 2026-03-31
  outpost report stale --days 30 --format csv

Amounts in another currency than `currency` in config.toml are converted with its
[rates] table (`USD = 0.92`: one USD is 0.92 of the base currency; each amount is
converted, then rounded to cents); a currency without a rate gets rows of its own and
is never added to another. Weighted amounts (amount x probability / 100) are rounded to
cents per opportunity. Amounts are decimal strings
in json, ndjson and csv. Every row carries the ids of the records behind it.")]
pub struct ReportArgs {
    /// Which report.
    #[command(subcommand)]
    pub command: ReportCmd,
}

/// The reports.
#[derive(Subcommand, Debug)]
pub enum ReportCmd {
    /// Open and weighted pipeline, forecast categories and closed won against quota, by
    /// month or quarter of the close date, per owner and in total.
    ///
    /// Each row is one period, one owner (or the total) and one currency. Open
    /// opportunities with a close date count in its period; won ones count as closed
    /// won there; the rows with period "all" sum every open opportunity whatever its
    /// period. The forecast category is the opportunity's `forecast_category` when set,
    /// else from its stage: won is Closed, lost is Omitted, open at 80 % or more is
    /// Commit, at 50 % or more Best Case, else Pipeline. Quota is the User record's
    /// quarterly quota (a third of it per month), matched by login.
    ///
    /// JSON fields: period ("2026-03", "2026-Q1" or "all"), owner (login, null for the
    /// total), currency, count, open, weighted, pipeline, best_case, commit, closed,
    /// omitted (amounts per category), closed_won, quota, attainment_pct,
    /// opportunity_ids, user_ids (whose quota is counted).
    Forecast {
        /// Period length.
        #[arg(long, value_enum, default_value_t = Period::Quarter)]
        by: Period,
        /// Only this owner's opportunities and quota (a login, display name or e-mail of
        /// a user the sync server sent; else the owner value as stored).
        #[arg(long, value_name = "U")]
        owner: Option<String>,
    },
    /// Opportunities per stage and currency: count, amount and weighted amount.
    ///
    /// JSON fields: stage, state (open, won, lost), currency, count, amount, weighted,
    /// opportunity_ids.
    Pipeline,
    /// Win rate by count and by value of deals closed in a period, per owner and in
    /// total, with average deal size, sales cycle and pipeline velocity.
    ///
    /// A deal's close day is its close date, else the day it entered its closed stage
    /// (stage history). Velocity is open deals x win rate x average deal / cycle days.
    ///
    /// JSON fields: owner (null for all), currency, won, lost, win_rate_count_pct,
    /// won_value, closed_value, win_rate_value_pct, avg_deal, avg_cycle_days, open,
    /// velocity_per_day, won_ids, lost_ids, open_ids.
    Winrate {
        /// First close day counted (inclusive).
        #[arg(long, value_name = "D")]
        from: Option<NaiveDate>,
        /// Last close day counted (inclusive).
        #[arg(long, value_name = "D")]
        to: Option<NaiveDate>,
    },
    /// Days spent in each stage (from the stage history) and the average sales cycle
    /// (first stage history entry -> first entry into a won stage).
    ///
    /// An entry lasts until the next; the last one of an open deal until now.
    ///
    /// JSON fields: stage (or "created -> won"), deals, avg_days, total_days,
    /// opportunity_ids.
    Cycle,
    /// Stage conversion funnel: deals that reached each open or won stage (a lost deal
    /// counts up to the furthest stage it was in); counts never increase down the
    /// stages.
    ///
    /// JSON fields: stage, reached, conversion_pct (from the stage before),
    /// opportunity_ids.
    Funnel,
    /// Open deals with no activity and no stage change in N days, or whose close date
    /// has passed; the longest idle first.
    ///
    /// JSON fields: opportunity_id, name, owner, stage, last_touch, idle_days,
    /// close_date, reasons, activity_id (the last activity about it).
    Stale {
        /// Days without activity or stage change.
        #[arg(long, value_name = "N", default_value_t = 21)]
        days: u32,
    },
    /// RFM segmentation of the accounts with purchases, with customer value.
    ///
    /// A purchase is a won opportunity of the account (its day: its close date, else
    /// when it entered the won stage). Recency, frequency and monetary are scored 1-5 in
    /// fifths: the share of accounts the value is at least as good as (ties score the
    /// same). Segments by recency R and frequency F: Champions (R>=4, F>=4), Loyal
    /// (R>=3, F>=3), Promising (R>=4), At Risk (R<=2, F>=3), Needs Attention (R=3),
    /// Hibernating (R=2), Lost (R=1). Monetary is in the base currency; amounts in a
    /// currency without a rate are listed apart.
    ///
    /// JSON fields: account_id, account, segment, r, f, m, recency_days, frequency,
    /// monetary (revenue to date), avg_order, first_purchase, last_purchase,
    /// other_currencies ({currency: amount}), opportunity_ids.
    Rfm,
    /// Accounts buying less often than their own usual interval: at least three
    /// purchases, and more than 1.5 times the median gap between them since the last.
    ///
    /// JSON fields: account_id, account, last_purchase, days_since,
    /// usual_interval_days, overdue_ratio, purchases, reason, opportunity_ids.
    AtRisk,
    /// Products often bought together: rules "bought A -> also bought B" over the
    /// accounts (seen in two accounts at least), or with --account the products that
    /// account has not bought, each with its best rule.
    ///
    /// What an account bought: the products on the lines of its accepted quotes and of
    /// the quotes of its won opportunities. support = accounts with both / accounts
    /// that bought anything; confidence = accounts with both / accounts with A; lift =
    /// confidence / share of accounts with B.
    ///
    /// JSON fields: account_id (null for the rules), product_a, product_b, together,
    /// support, confidence, lift, account_ids (the accounts that bought both).
    CrossSell {
        /// Hints for this account (id, id prefix or name).
        #[arg(long, value_name = "REF")]
        account: Option<String>,
    },
    /// What moved into or out of this quarter's forecast since a day, and why.
    ///
    /// The store keeps when each field got its current value, not the older values,
    /// and the stage history; so a row lists what changed since the day (created,
    /// amount, stage from -> to, close date, probability, forecast category) and where
    /// the deal stands now. direction: "in" (in this quarter now: created, close date
    /// moved, or back from a lost stage), "out" (close date moved out of the quarter,
    /// or lost), "changed" (in it before and now).
    ///
    /// JSON fields: opportunity_id, name, owner, direction, reasons, stage, amount,
    /// currency, close_date, changed_at.
    Changes {
        /// The day to compare with (inclusive).
        #[arg(long, value_name = "D")]
        since: NaiveDate,
    },
    /// Calls, meetings and visits per rep per ISO week; with --show, follow-ups overdue
    /// or open deals with no next step.
    ///
    /// JSON fields, weeks: week ("2026-W05"), owner, calls, meetings, visits,
    /// activity_ids. overdue: activity_id, subject, owner, due, days_overdue,
    /// opportunity_id. no-next-step: opportunity_id, name, owner, stage, close_date.
    Activity {
        /// Which list.
        #[arg(long, value_enum, default_value_t = ActivityShow::Weeks)]
        show: ActivityShow,
    },
}

/// `report activity --show`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ActivityShow {
    /// Calls, meetings and visits per rep per week.
    Weeks,
    /// Activities not done past their due date.
    Overdue,
    /// Open deals with no next step.
    NoNextStep,
}

/// Runs `outpost report`.
pub fn run(app: &App, args: &ReportArgs, format: Format) -> anyhow::Result<()> {
    if let ReportCmd::Winrate {
        from: Some(from),
        to: Some(to),
    } = &args.command
        && from > to
    {
        return Err(crate::app::AppError::Invalid(format!(
            "--from {from} is after --to {to}: no day is in that range; swap them"
        ))
        .into());
    }
    let parts = report::Parts {
        activities: matches!(args.command, ReportCmd::Stale { .. } | ReportCmd::Activity { .. }),
        customers: matches!(
            args.command,
            ReportCmd::Rfm | ReportCmd::AtRisk | ReportCmd::CrossSell { account: Some(_) }
        ),
        baskets: matches!(args.command, ReportCmd::CrossSell { .. }),
        field_times: matches!(args.command, ReportCmd::Changes { .. }),
    };
    let data = app.report_data_with(parts)?;
    let now = app.clock().now();
    let (headers, rows, items) = match &args.command {
        ReportCmd::Forecast { by, owner } => {
            let owner = match owner {
                Some(o) => Some(app.resolve_owner(o, "--owner")?),
                None => None,
            };
            forecast_rows(&data, *by, owner.as_deref())
        }
        ReportCmd::Pipeline => pipeline_rows(&data),
        ReportCmd::Winrate { from, to } => winrate_rows(&data, *from, *to),
        ReportCmd::Cycle => cycle_rows(&data, now),
        ReportCmd::Funnel => funnel_rows(&data),
        ReportCmd::Stale { days } => stale_rows(&data, now.date_naive(), i64::from(*days)),
        ReportCmd::Changes { since } => changes_rows(&data, *since, now.date_naive()),
        ReportCmd::Activity { show } => activity_rows(&data, *show, now.date_naive()),
        ReportCmd::Rfm => rfm_rows(&data, now.date_naive()),
        ReportCmd::AtRisk => at_risk_rows(&data, now.date_naive()),
        ReportCmd::CrossSell { account } => {
            let account = match account {
                Some(r) => Some(app.resolve(crate::model::EntityKind::Account, r)?),
                None => None,
            };
            cross_sell_rows(&data, account)
        }
    };
    emit(format, &headers, &rows, &items)
}

type Table = (Vec<&'static str>, Vec<Vec<String>>, Vec<Value>);

fn m(d: Decimal) -> String {
    money_text(d)
}

fn opt(d: Option<Decimal>) -> String {
    d.map(money_text).unwrap_or_default()
}

fn jopt(d: Option<Decimal>) -> Value {
    d.map_or(Value::Null, |d| Value::String(money_text(d)))
}

fn forecast_rows(data: &report::Data, by: Period, owner: Option<&str>) -> Table {
    let headers = vec![
        "Period",
        "Owner",
        "Currency",
        "Count",
        "Open",
        "Weighted",
        "Pipeline",
        "Best Case",
        "Commit",
        "Closed",
        "Omitted",
        "Closed Won",
        "Quota",
        "Attainment %",
    ];
    let mut rows = Vec::new();
    let mut items = Vec::new();
    for r in forecast::forecast(data, by, owner) {
        let cat = |c: &str| r.categories.get(c).copied().unwrap_or_default();
        let mut row = vec![
            r.period.clone(),
            r.owner.clone().unwrap_or_else(|| "(total)".into()),
            r.currency.clone(),
            r.count.to_string(),
            m(r.open),
            m(r.weighted),
        ];
        row.extend(CATEGORIES.iter().map(|c| m(cat(c))));
        row.extend([m(r.closed_won), opt(r.quota), opt(r.attainment_pct)]);
        rows.push(row);
        items.push(json!({
            "period": r.period,
            "owner": r.owner,
            "currency": r.currency,
            "count": r.count,
            "open": m(r.open),
            "weighted": m(r.weighted),
            "pipeline": m(cat("Pipeline")),
            "best_case": m(cat("Best Case")),
            "commit": m(cat("Commit")),
            "closed": m(cat("Closed")),
            "omitted": m(cat("Omitted")),
            "closed_won": m(r.closed_won),
            "quota": jopt(r.quota),
            "attainment_pct": jopt(r.attainment_pct),
            "opportunity_ids": ids(&r.opportunity_ids),
            "user_ids": ids(&r.user_ids),
        }));
    }
    (headers, rows, items)
}

fn pipeline_rows(data: &report::Data) -> Table {
    let headers = vec!["Stage", "State", "Currency", "Count", "Amount", "Weighted"];
    let mut rows = Vec::new();
    let mut items = Vec::new();
    for r in pipeline::pipeline(data) {
        rows.push(vec![
            r.stage.clone(),
            r.state.clone(),
            r.currency.clone(),
            r.count.to_string(),
            m(r.amount),
            m(r.weighted),
        ]);
        items.push(json!({
            "stage": r.stage, "state": r.state, "currency": r.currency, "count": r.count,
            "amount": m(r.amount), "weighted": m(r.weighted), "opportunity_ids": ids(&r.opportunity_ids),
        }));
    }
    (headers, rows, items)
}

fn winrate_rows(data: &report::Data, from: Option<NaiveDate>, to: Option<NaiveDate>) -> Table {
    let headers = vec![
        "Owner",
        "Currency",
        "Won",
        "Lost",
        "Win % (count)",
        "Won Value",
        "Closed Value",
        "Win % (value)",
        "Avg Deal",
        "Avg Cycle Days",
        "Open",
        "Velocity/Day",
    ];
    let mut rows = Vec::new();
    let mut items = Vec::new();
    for r in pipeline::winrate(data, from, to) {
        rows.push(vec![
            r.owner.clone().unwrap_or_else(|| "(total)".into()),
            r.currency.clone(),
            r.won.to_string(),
            r.lost.to_string(),
            opt(r.win_rate_count_pct),
            m(r.won_value),
            m(r.closed_value),
            opt(r.win_rate_value_pct),
            opt(r.avg_deal),
            opt(r.avg_cycle_days),
            r.open.to_string(),
            opt(r.velocity_per_day),
        ]);
        items.push(json!({
            "owner": r.owner, "currency": r.currency, "won": r.won, "lost": r.lost,
            "win_rate_count_pct": jopt(r.win_rate_count_pct), "won_value": m(r.won_value),
            "closed_value": m(r.closed_value), "win_rate_value_pct": jopt(r.win_rate_value_pct),
            "avg_deal": jopt(r.avg_deal), "avg_cycle_days": jopt(r.avg_cycle_days), "open": r.open,
            "velocity_per_day": jopt(r.velocity_per_day), "won_ids": ids(&r.won_ids),
            "lost_ids": ids(&r.lost_ids), "open_ids": ids(&r.open_ids),
        }));
    }
    (headers, rows, items)
}

fn cycle_rows(data: &report::Data, now: chrono::DateTime<chrono::Utc>) -> Table {
    let headers = vec!["Stage", "Deals", "Avg Days", "Total Days"];
    let mut rows = Vec::new();
    let mut items = Vec::new();
    for r in pipeline::cycle(data, now) {
        rows.push(vec![
            r.stage.clone(),
            r.deals.to_string(),
            opt(r.avg_days),
            m(r.total_days),
        ]);
        items.push(json!({
            "stage": r.stage, "deals": r.deals, "avg_days": jopt(r.avg_days),
            "total_days": m(r.total_days), "opportunity_ids": ids(&r.opportunity_ids),
        }));
    }
    (headers, rows, items)
}

fn funnel_rows(data: &report::Data) -> Table {
    let headers = vec!["Stage", "Reached", "Conversion %"];
    let mut rows = Vec::new();
    let mut items = Vec::new();
    for r in pipeline::funnel(data) {
        rows.push(vec![r.stage.clone(), r.reached.to_string(), opt(r.conversion_pct)]);
        items.push(json!({
            "stage": r.stage, "reached": r.reached, "conversion_pct": jopt(r.conversion_pct),
            "opportunity_ids": ids(&r.opportunity_ids),
        }));
    }
    (headers, rows, items)
}

fn stale_rows(data: &report::Data, today: NaiveDate, days: i64) -> Table {
    let headers = vec![
        "Opportunity",
        "Name",
        "Owner",
        "Stage",
        "Last Touch",
        "Idle Days",
        "Close Date",
        "Reasons",
    ];
    let mut rows = Vec::new();
    let mut items = Vec::new();
    let day = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    for r in pipeline::stale(data, today, days) {
        rows.push(vec![
            r.opportunity_id.to_string(),
            r.name.clone(),
            r.owner.clone().unwrap_or_default(),
            r.stage.clone(),
            day(r.last_touch),
            r.idle_days.map(|d| d.to_string()).unwrap_or_default(),
            day(r.close_date),
            r.reasons.join("; "),
        ]);
        items.push(json!({
            "opportunity_id": r.opportunity_id.to_string(), "name": r.name, "owner": r.owner,
            "stage": r.stage, "last_touch": r.last_touch.map(|d| d.to_string()),
            "idle_days": r.idle_days, "close_date": r.close_date.map(|d| d.to_string()),
            "reasons": r.reasons, "activity_id": r.activity_id.map(|a| a.to_string()),
        }));
    }
    (headers, rows, items)
}

fn rfm_rows(data: &report::Data, today: NaiveDate) -> Table {
    let headers = vec![
        "Account",
        "Segment",
        "R",
        "F",
        "M",
        "Recency Days",
        "Frequency",
        "Monetary",
        "Avg Order",
        "Last Purchase",
        "Other Currencies",
    ];
    let mut rows = Vec::new();
    let mut items = Vec::new();
    for r in customers::rfm(data, today) {
        let other: Vec<String> = r
            .other_currencies
            .iter()
            .map(|(c, a)| format!("{c} {}", m(*a)))
            .collect();
        rows.push(vec![
            r.account.clone(),
            r.segment.to_string(),
            r.r.to_string(),
            r.f.to_string(),
            r.m.to_string(),
            r.recency_days.to_string(),
            r.frequency.to_string(),
            m(r.monetary),
            opt(r.avg_order),
            r.last_purchase.to_string(),
            other.join("; "),
        ]);
        let other: serde_json::Map<String, Value> = r
            .other_currencies
            .iter()
            .map(|(c, a)| (c.clone(), Value::String(m(*a))))
            .collect();
        items.push(json!({
            "account_id": r.account_id.to_string(), "account": r.account, "segment": r.segment,
            "r": r.r, "f": r.f, "m": r.m, "recency_days": r.recency_days, "frequency": r.frequency,
            "monetary": m(r.monetary), "avg_order": jopt(r.avg_order),
            "first_purchase": r.first_purchase.to_string(), "last_purchase": r.last_purchase.to_string(),
            "other_currencies": other, "opportunity_ids": ids(&r.opportunity_ids),
        }));
    }
    (headers, rows, items)
}

fn at_risk_rows(data: &report::Data, today: NaiveDate) -> Table {
    let headers = vec![
        "Account",
        "Last Purchase",
        "Days Since",
        "Usual Interval Days",
        "Overdue Ratio",
        "Reason",
    ];
    let mut rows = Vec::new();
    let mut items = Vec::new();
    for r in customers::at_risk(data, today) {
        rows.push(vec![
            r.account.clone(),
            r.last_purchase.to_string(),
            r.days_since.to_string(),
            r.usual_interval_days.to_string(),
            m(r.overdue_ratio),
            r.reason.clone(),
        ]);
        items.push(json!({
            "account_id": r.account_id.to_string(), "account": r.account,
            "last_purchase": r.last_purchase.to_string(), "days_since": r.days_since,
            "usual_interval_days": r.usual_interval_days, "overdue_ratio": m(r.overdue_ratio),
            "purchases": r.purchases, "reason": r.reason, "opportunity_ids": ids(&r.opportunity_ids),
        }));
    }
    (headers, rows, items)
}

fn cross_sell_rows(data: &report::Data, account: Option<crate::model::Id>) -> Table {
    let headers = vec![
        "Account",
        "Product A",
        "Product B",
        "Together",
        "Support",
        "Confidence",
        "Lift",
    ];
    let mut rows = Vec::new();
    let mut items = Vec::new();
    let name = |id: &crate::model::Id| data.product_names.get(id).cloned().unwrap_or_else(|| id.short());
    for r in customers::cross_sell(data, account) {
        rows.push(vec![
            r.account_id
                .map(|a| data.account_names.get(&a).cloned().unwrap_or_else(|| a.short()))
                .unwrap_or_default(),
            name(&r.product_a),
            name(&r.product_b),
            r.together.to_string(),
            r.support.normalize().to_string(),
            r.confidence.normalize().to_string(),
            r.lift.normalize().to_string(),
        ]);
        items.push(json!({
            "account_id": r.account_id.map(|a| a.to_string()), "product_a": r.product_a.to_string(),
            "product_b": r.product_b.to_string(), "together": r.together,
            "support": r.support.normalize().to_string(), "confidence": r.confidence.normalize().to_string(),
            "lift": r.lift.normalize().to_string(), "account_ids": ids(&r.account_ids),
        }));
    }
    (headers, rows, items)
}

fn changes_rows(data: &report::Data, since: NaiveDate, today: NaiveDate) -> Table {
    let headers = vec![
        "Opportunity",
        "Name",
        "Owner",
        "Direction",
        "Reasons",
        "Stage",
        "Amount",
        "Close Date",
        "Changed At",
    ];
    let mut rows = Vec::new();
    let mut items = Vec::new();
    for r in report::changes::changes(data, since, today) {
        let at = r
            .changed_at
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default();
        rows.push(vec![
            r.opportunity_id.to_string(),
            r.name.clone(),
            r.owner.clone().unwrap_or_default(),
            r.direction.to_string(),
            r.reasons.join("; "),
            r.stage.clone(),
            format!("{} {}", r.currency, m(r.amount)),
            r.close_date.map(|d| d.to_string()).unwrap_or_default(),
            at.clone(),
        ]);
        items.push(json!({
            "opportunity_id": r.opportunity_id.to_string(), "name": r.name, "owner": r.owner,
            "direction": r.direction, "reasons": r.reasons, "stage": r.stage, "amount": m(r.amount),
            "currency": r.currency, "close_date": r.close_date.map(|d| d.to_string()), "changed_at": at,
        }));
    }
    (headers, rows, items)
}

fn activity_rows(data: &report::Data, show: ActivityShow, today: NaiveDate) -> Table {
    use report::activity;
    let s = |o: &Option<String>| o.clone().unwrap_or_default();
    let mut rows = Vec::new();
    let mut items = Vec::new();
    let headers = match show {
        ActivityShow::Weeks => {
            for r in activity::weekly(data) {
                rows.push(vec![
                    r.week.clone(),
                    s(&r.owner),
                    r.calls.to_string(),
                    r.meetings.to_string(),
                    r.visits.to_string(),
                ]);
                items.push(json!({
                    "week": r.week, "owner": r.owner, "calls": r.calls, "meetings": r.meetings,
                    "visits": r.visits, "activity_ids": ids(&r.activity_ids),
                }));
            }
            vec!["Week", "Owner", "Calls", "Meetings", "Visits"]
        }
        ActivityShow::Overdue => {
            for r in activity::overdue(data, today) {
                rows.push(vec![
                    r.activity_id.to_string(),
                    r.subject.clone(),
                    s(&r.owner),
                    r.due.to_string(),
                    r.days_overdue.to_string(),
                ]);
                items.push(json!({
                    "activity_id": r.activity_id.to_string(), "subject": r.subject, "owner": r.owner,
                    "due": r.due.to_string(), "days_overdue": r.days_overdue,
                    "opportunity_id": r.opportunity_id.map(|o| o.to_string()),
                }));
            }
            vec!["Activity", "Subject", "Owner", "Due", "Days Overdue"]
        }
        ActivityShow::NoNextStep => {
            for r in activity::no_next_step(data) {
                let close = r.close_date.map(|d| d.to_string());
                rows.push(vec![
                    r.opportunity_id.to_string(),
                    r.name.clone(),
                    s(&r.owner),
                    r.stage.clone(),
                    close.clone().unwrap_or_default(),
                ]);
                items.push(json!({
                    "opportunity_id": r.opportunity_id.to_string(), "name": r.name, "owner": r.owner,
                    "stage": r.stage, "close_date": close,
                }));
            }
            vec!["Opportunity", "Name", "Owner", "Stage", "Close Date"]
        }
    };
    (headers, rows, items)
}

/// Writes rows through [`super::out::stdout`] (a closed pipe ends quietly).
pub(super) fn emit(format: Format, headers: &[&str], rows: &[Vec<String>], items: &[Value]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = super::out::stdout();
    match format {
        Format::Table | Format::Ics | Format::Vcf => {
            let headers: Vec<String> = headers.iter().map(|h| (*h).to_string()).collect();
            out.write_all(crate::app::export::render_table(&headers, rows).as_bytes())?;
        }
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, items)?;
            out.write_all(b"\n")?;
        }
        Format::Ndjson => {
            for i in items {
                serde_json::to_writer(&mut out, i)?;
                out.write_all(b"\n")?;
            }
        }
        Format::Csv => {
            let mut w = crate::app::export::csv_writer(out);
            w.write_record(headers.iter().map(|h| {
                h.to_ascii_lowercase()
                    .replace(" %", "_pct")
                    .replace(['(', ')'], "")
                    .replace(['/', ' '], "_")
            }))?;
            for r in rows {
                w.write_record(r)?;
            }
            w.flush()?;
        }
    }
    Ok(())
}
