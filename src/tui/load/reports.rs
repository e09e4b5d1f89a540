//! Loading the reports view: every report of `app::report` computed once, off the UI
//! thread, into tables of text with the records behind each row, and the figures of its
//! charts. The maths are the report functions' (the `outpost report ...` figures); this
//! only lays them out.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::app::report::forecast::{self, Period};
use crate::app::report::{self, activity, changes, customers, pipeline};
use crate::app::{App, AppError};
use crate::model::stage::StageState;
use crate::model::{EntityKind, Id};
use crate::tui::clock::Clock;

/// Days without activity or stage change that make a deal stale (`report stale`'s default).
pub const STALE_DAYS: i64 = 21;
/// Weeks the sparklines cover.
pub const WEEKS: usize = 26;
/// Months the forecast chart covers, from the first of this quarter.
pub const MONTHS: usize = 6;

/// A chart above a report's table.
#[derive(Clone, Debug, PartialEq)]
pub enum Chart {
    /// Groups of bars: (group label, [(bar label, value)]), and the legend.
    Bars {
        /// What the chart shows.
        title: String,
        /// The groups, in order.
        groups: Vec<(String, Vec<(String, u64)>)>,
    },
    /// One value per week, oldest first.
    Spark {
        /// What the line shows.
        title: String,
        /// The values.
        values: Vec<u64>,
    },
}

/// One row of a report table.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The cells, one per header.
    pub cells: Vec<String>,
    /// The records behind the row, in the order they are listed.
    pub records: Vec<(EntityKind, Id)>,
}

/// One report, laid out.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// Its name in the list of reports.
    pub name: &'static str,
    /// A line saying what it shows.
    pub about: String,
    /// Column headers.
    pub headers: Vec<&'static str>,
    /// The rows.
    pub rows: Vec<Row>,
    /// Charts drawn above the table.
    pub charts: Vec<Chart>,
    /// The row selected when the view first shows the report (the forecast starts at
    /// this month).
    pub first: usize,
}

/// Every report.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportsData {
    /// The reports, in the order of the list.
    pub tables: Vec<Table>,
    /// The reporting currency.
    pub currency: String,
}

/// The reports' names, in list order.
pub const NAMES: [&str; 13] = [
    "Forecast",
    "Funnel",
    "Pipeline",
    "Win rate",
    "Cycle",
    "Stale",
    "RFM",
    "At risk",
    "Cross-sell",
    "Activity",
    "Overdue",
    "No next step",
    "Changes",
];

fn m(d: Decimal) -> String {
    report::money_text(d.round_dp(0))
}

fn opt(d: Option<Decimal>) -> String {
    d.map(report::money_text).unwrap_or_default()
}

fn whole(d: Decimal) -> u64 {
    d.max(Decimal::ZERO).round().to_u64().unwrap_or(0)
}

fn opps(ids: &[Id]) -> Vec<(EntityKind, Id)> {
    ids.iter().map(|id| (EntityKind::Opportunity, *id)).collect()
}

fn who(o: Option<&String>) -> String {
    o.cloned().unwrap_or_else(|| "(all)".into())
}

/// Computes every report for today, telling `progress` how far it got.
pub fn load(app: &App, clock: &Clock, progress: &mut dyn FnMut(usize, usize)) -> Result<ReportsData, AppError> {
    let steps = NAMES.len() + 1;
    progress(0, steps);
    let data = app.report_data()?;
    let today = clock.today();
    let now = clock.now();
    let mut tables = Vec::with_capacity(NAMES.len());
    let mut step = |t: Table, tables: &mut Vec<Table>| {
        tables.push(t);
        progress(tables.len() + 1, steps);
    };
    step(forecast_table(&data, today), &mut tables);
    step(funnel_table(&data), &mut tables);
    step(pipeline_table(&data), &mut tables);
    step(winrate_table(&data, today), &mut tables);
    step(cycle_table(&data, now), &mut tables);
    step(stale_table(&data, today), &mut tables);
    step(rfm_table(&data, today), &mut tables);
    step(at_risk_table(&data, today), &mut tables);
    step(cross_sell_table(&data), &mut tables);
    step(activity_table(&data, today), &mut tables);
    step(overdue_table(&data, today), &mut tables);
    step(no_next_step_table(&data), &mut tables);
    step(changes_table(&data, today), &mut tables);
    Ok(ReportsData {
        tables,
        currency: data.money.base.clone(),
    })
}

/// The first day of the month `n` months after `day`'s month.
fn months_after(day: NaiveDate, n: u32) -> NaiveDate {
    let index = day.year() * 12 + i32::try_from(day.month0()).unwrap_or(0) + i32::try_from(n).unwrap_or(0);
    NaiveDate::from_ymd_opt(
        index.div_euclid(12),
        u32::try_from(index.rem_euclid(12)).unwrap_or(0) + 1,
        1,
    )
    .unwrap_or(day)
}

fn forecast_table(data: &report::Data, today: NaiveDate) -> Table {
    let rows = forecast::forecast(data, Period::Month, None);
    let base = &data.money.base;
    let start = changes::quarter(today).0;
    let months: Vec<String> = (0..MONTHS)
        .map(|i| forecast::period_of(months_after(start, u32::try_from(i).unwrap_or(0)), Period::Month))
        .collect();
    let groups = months
        .iter()
        .map(|label| {
            let r = rows
                .iter()
                .find(|r| &r.period == label && r.owner.is_none() && &r.currency == base);
            let v = |f: &dyn Fn(&forecast::ForecastRow) -> Decimal| r.map_or(0, |r| whole(f(r)));
            (
                label.get(2..).unwrap_or(label).to_string(),
                vec![
                    ("won".to_string(), v(&|r| r.closed_won)),
                    ("wgt".to_string(), v(&|r| r.weighted)),
                    ("quota".to_string(), v(&|r| r.quota.unwrap_or_default())),
                ],
            )
        })
        .collect();
    Table {
        name: "Forecast",
        about: format!(
            "By month of the close date, in {base} (converted with the configured rates; other currencies apart): \
             won, weighted open pipeline and quota"
        ),
        headers: vec![
            "Month", "Owner", "Cur", "Deals", "Open", "Weighted", "Won", "Quota", "Att %",
        ],
        rows: rows
            .iter()
            .map(|r| Row {
                cells: vec![
                    r.period.clone(),
                    who(r.owner.as_ref()),
                    r.currency.clone(),
                    r.count.to_string(),
                    m(r.open),
                    m(r.weighted),
                    m(r.closed_won),
                    r.quota.map(m).unwrap_or_default(),
                    opt(r.attainment_pct),
                ],
                records: opps(&r.opportunity_ids),
            })
            .collect(),
        charts: vec![Chart::Bars {
            title: format!("won / weighted / quota by month ({base})"),
            groups,
        }],
        first: rows
            .iter()
            .position(|r| r.period.as_str() >= forecast::period_of(today, Period::Month).as_str())
            .unwrap_or(0),
    }
}

fn funnel_table(data: &report::Data) -> Table {
    let rows = pipeline::funnel(data);
    Table {
        name: "Funnel",
        about: "Deals that reached each stage (by their stage history), and the conversion from the stage before"
            .into(),
        headers: vec!["Stage", "Reached", "Conv %"],
        first: 0,
        charts: vec![Chart::Bars {
            title: "deals reaching each stage".into(),
            groups: vec![(
                String::new(),
                rows.iter().map(|r| (r.stage.clone(), r.reached as u64)).collect(),
            )],
        }],
        rows: rows
            .iter()
            .map(|r| Row {
                cells: vec![r.stage.clone(), r.reached.to_string(), opt(r.conversion_pct)],
                records: opps(&r.opportunity_ids),
            })
            .collect(),
    }
}

fn pipeline_table(data: &report::Data) -> Table {
    Table {
        name: "Pipeline",
        about: "Deals per stage and currency, with amount and weighted amount".into(),
        headers: vec!["Stage", "State", "Cur", "Deals", "Amount", "Weighted"],
        rows: pipeline::pipeline(data)
            .iter()
            .map(|r| Row {
                cells: vec![
                    r.stage.clone(),
                    r.state.clone(),
                    r.currency.clone(),
                    r.count.to_string(),
                    m(r.amount),
                    m(r.weighted),
                ],
                records: opps(&r.opportunity_ids),
            })
            .collect(),
        charts: Vec::new(),
        first: 0,
    }
}

/// Won deals per week for the last [`WEEKS`] weeks, oldest first.
fn won_per_week(data: &report::Data, today: NaiveDate) -> Vec<u64> {
    let first = today - Duration::weeks(i64::try_from(WEEKS).unwrap_or(0) - 1);
    let first = first - Duration::days(i64::from(first.weekday().num_days_from_monday()));
    let mut out = vec![0u64; WEEKS];
    for o in &data.opps {
        if report::state_of(&data.pipeline, &o.stage) != StageState::Won {
            continue;
        }
        if let Some(day) = pipeline::closed_on(o).filter(|d| *d >= first && *d <= today) {
            let week = usize::try_from((day - first).num_days() / 7).unwrap_or(0);
            if let Some(v) = out.get_mut(week) {
                *v += 1;
            }
        }
    }
    out
}

fn winrate_table(data: &report::Data, today: NaiveDate) -> Table {
    let rows = pipeline::winrate(data, None, None);
    Table {
        name: "Win rate",
        about: "Won / closed by count and value, average deal, sales cycle and velocity (value per day)".into(),
        headers: vec![
            "Owner", "Cur", "Won", "Lost", "Win %", "Value %", "Avg deal", "Cycle d", "Open", "Per day",
        ],
        rows: rows
            .iter()
            .map(|r| {
                let mut ids: Vec<Id> = r.won_ids.clone();
                ids.extend(&r.lost_ids);
                Row {
                    cells: vec![
                        who(r.owner.as_ref()),
                        r.currency.clone(),
                        r.won.to_string(),
                        r.lost.to_string(),
                        opt(r.win_rate_count_pct),
                        opt(r.win_rate_value_pct),
                        r.avg_deal.map(m).unwrap_or_default(),
                        opt(r.avg_cycle_days),
                        r.open.to_string(),
                        r.velocity_per_day.map(m).unwrap_or_default(),
                    ],
                    records: opps(&ids),
                }
            })
            .collect(),
        first: 0,
        charts: vec![Chart::Spark {
            title: format!("deals won per week, last {WEEKS} weeks"),
            values: won_per_week(data, today),
        }],
    }
}

fn cycle_table(data: &report::Data, now: chrono::DateTime<chrono::Utc>) -> Table {
    Table {
        name: "Cycle",
        about: "Average days spent in each stage (from the stage history), and created -> won".into(),
        headers: vec!["Stage", "Deals", "Avg days", "Total days"],
        rows: pipeline::cycle(data, now)
            .iter()
            .map(|r| Row {
                cells: vec![
                    r.stage.clone(),
                    r.deals.to_string(),
                    opt(r.avg_days),
                    report::money_text(r.total_days),
                ],
                records: opps(&r.opportunity_ids),
            })
            .collect(),
        charts: Vec::new(),
        first: 0,
    }
}

fn stale_table(data: &report::Data, today: NaiveDate) -> Table {
    Table {
        name: "Stale",
        about: format!("Open deals with no activity or stage change in {STALE_DAYS} days, or past their close date"),
        headers: vec!["Deal", "Owner", "Stage", "Idle d", "Close", "Why"],
        rows: pipeline::stale(data, today, STALE_DAYS)
            .iter()
            .map(|r| {
                let mut records = vec![(EntityKind::Opportunity, r.opportunity_id)];
                records.extend(r.activity_id.map(|a| (EntityKind::Activity, a)));
                Row {
                    cells: vec![
                        r.name.clone(),
                        r.owner.clone().unwrap_or_default(),
                        r.stage.clone(),
                        r.idle_days.map(|d| d.to_string()).unwrap_or_else(|| "never".into()),
                        r.close_date.map(|d| d.to_string()).unwrap_or_default(),
                        r.reasons.join("; "),
                    ],
                    records,
                }
            })
            .collect(),
        charts: Vec::new(),
        first: 0,
    }
}

fn account_and_deals(account: Id, deals: &[Id]) -> Vec<(EntityKind, Id)> {
    let mut out = vec![(EntityKind::Account, account)];
    out.extend(opps(deals));
    out
}

fn rfm_table(data: &report::Data, today: NaiveDate) -> Table {
    let rows = customers::rfm(data, today);
    let mut per: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &rows {
        *per.entry(r.segment).or_default() += 1;
    }
    Table {
        name: "RFM",
        about: "Accounts by recency, frequency and monetary quintiles of their won deals, named segments".into(),
        headers: vec![
            "Account",
            "Segment",
            "R",
            "F",
            "M",
            "Days",
            "Orders",
            "Revenue",
            "Avg order",
        ],
        first: 0,
        charts: vec![Chart::Bars {
            title: "accounts per segment".into(),
            groups: vec![(
                String::new(),
                per.iter().map(|(s, n)| ((*s).to_string(), *n as u64)).collect(),
            )],
        }],
        rows: rows
            .iter()
            .map(|r| Row {
                cells: vec![
                    r.account.clone(),
                    r.segment.to_string(),
                    r.r.to_string(),
                    r.f.to_string(),
                    r.m.to_string(),
                    r.recency_days.to_string(),
                    r.frequency.to_string(),
                    m(r.monetary),
                    r.avg_order.map(m).unwrap_or_default(),
                ],
                records: account_and_deals(r.account_id, &r.opportunity_ids),
            })
            .collect(),
    }
}

fn at_risk_table(data: &report::Data, today: NaiveDate) -> Table {
    Table {
        name: "At risk",
        about: "Accounts buying less often than their own usual interval".into(),
        headers: vec!["Account", "Last", "Days", "Usual", "Orders", "Why"],
        rows: customers::at_risk(data, today)
            .iter()
            .map(|r| Row {
                cells: vec![
                    r.account.clone(),
                    r.last_purchase.to_string(),
                    r.days_since.to_string(),
                    r.usual_interval_days.to_string(),
                    r.purchases.to_string(),
                    r.reason.clone(),
                ],
                records: account_and_deals(r.account_id, &r.opportunity_ids),
            })
            .collect(),
        charts: Vec::new(),
        first: 0,
    }
}

fn cross_sell_table(data: &report::Data) -> Table {
    let name = |id: &Id| data.product_names.get(id).cloned().unwrap_or_else(|| id.to_string());
    Table {
        name: "Cross-sell",
        about: "Products bought together by accounts (support, confidence, lift)".into(),
        headers: vec!["Bought", "Also bought", "Accounts", "Support", "Confidence", "Lift"],
        rows: customers::cross_sell(data, None)
            .iter()
            .map(|r| {
                let mut records = vec![(EntityKind::Product, r.product_a), (EntityKind::Product, r.product_b)];
                records.extend(r.account_ids.iter().map(|a| (EntityKind::Account, *a)));
                Row {
                    cells: vec![
                        name(&r.product_a),
                        name(&r.product_b),
                        r.together.to_string(),
                        report::money_text(r.support),
                        report::money_text(r.confidence),
                        report::money_text(r.lift),
                    ],
                    records,
                }
            })
            .collect(),
        charts: Vec::new(),
        first: 0,
    }
}

fn activity_table(data: &report::Data, today: NaiveDate) -> Table {
    let rows = activity::weekly(data);
    let mut per_week: BTreeMap<String, u64> = BTreeMap::new();
    for r in &rows {
        *per_week.entry(r.week.clone()).or_default() += (r.calls + r.meetings + r.visits) as u64;
    }
    let values = (0..WEEKS)
        .rev()
        .map(|back| {
            let day = today - Duration::weeks(i64::try_from(back).unwrap_or(0));
            per_week.get(&activity::iso_week(day)).copied().unwrap_or(0)
        })
        .collect();
    Table {
        name: "Activity",
        about: "Calls, meetings and visits per rep per ISO week".into(),
        headers: vec!["Week", "Owner", "Calls", "Meetings", "Visits"],
        rows: rows
            .iter()
            .rev()
            .map(|r| Row {
                cells: vec![
                    r.week.clone(),
                    r.owner.clone().unwrap_or_default(),
                    r.calls.to_string(),
                    r.meetings.to_string(),
                    r.visits.to_string(),
                ],
                records: r.activity_ids.iter().map(|a| (EntityKind::Activity, *a)).collect(),
            })
            .collect(),
        first: 0,
        charts: vec![Chart::Spark {
            title: format!("calls, meetings and visits per week, last {WEEKS} weeks"),
            values,
        }],
    }
}

fn overdue_table(data: &report::Data, today: NaiveDate) -> Table {
    Table {
        name: "Overdue",
        about: "Follow-ups not done whose due date has passed, the oldest first".into(),
        headers: vec!["Subject", "Owner", "Due", "Days late"],
        rows: activity::overdue(data, today)
            .iter()
            .map(|r| {
                let mut records = vec![(EntityKind::Activity, r.activity_id)];
                records.extend(r.opportunity_id.map(|o| (EntityKind::Opportunity, o)));
                Row {
                    cells: vec![
                        r.subject.clone(),
                        r.owner.clone().unwrap_or_default(),
                        r.due.to_string(),
                        r.days_overdue.to_string(),
                    ],
                    records,
                }
            })
            .collect(),
        charts: Vec::new(),
        first: 0,
    }
}

fn no_next_step_table(data: &report::Data) -> Table {
    Table {
        name: "No next step",
        about: "Open deals without a next step".into(),
        headers: vec!["Deal", "Owner", "Stage", "Close"],
        rows: activity::no_next_step(data)
            .iter()
            .map(|r| Row {
                cells: vec![
                    r.name.clone(),
                    r.owner.clone().unwrap_or_default(),
                    r.stage.clone(),
                    r.close_date.map(|d| d.to_string()).unwrap_or_default(),
                ],
                records: vec![(EntityKind::Opportunity, r.opportunity_id)],
            })
            .collect(),
        charts: Vec::new(),
        first: 0,
    }
}

fn changes_table(data: &report::Data, today: NaiveDate) -> Table {
    let since = changes::quarter(today).0;
    Table {
        name: "Changes",
        about: format!("What moved in or out of this quarter's forecast since {since}, and why"),
        headers: vec!["Deal", "Owner", "In/out", "What", "Stage", "Amount", "Close"],
        rows: changes::changes(data, since, today)
            .iter()
            .map(|r| Row {
                cells: vec![
                    r.name.clone(),
                    r.owner.clone().unwrap_or_default(),
                    r.direction.to_string(),
                    r.reasons.join("; "),
                    r.stage.clone(),
                    format!("{} {}", m(r.amount), r.currency),
                    r.close_date.map(|d| d.to_string()).unwrap_or_default(),
                ],
                records: vec![(EntityKind::Opportunity, r.opportunity_id)],
            })
            .collect(),
        charts: Vec::new(),
        first: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_roll_over_years() {
        let d = |s: &str| s.parse::<NaiveDate>().expect("date");
        assert_eq!(months_after(d("2026-11-15"), 0), d("2026-11-01"));
        assert_eq!(months_after(d("2026-11-15"), 2), d("2027-01-01"));
        assert_eq!(months_after(d("2026-01-31"), 13), d("2027-02-01"));
    }

    #[test]
    fn every_report_is_listed_once_in_order() {
        let dir = tempfile::tempdir().expect("dir");
        let app = App::open(dir.path()).expect("app");
        let clock = Clock::fixed("2026-03-10T12:00:00Z".parse().expect("time"), chrono_tz::Europe::Berlin);
        let data = load(&app, &clock, &mut |_, _| {}).expect("load");
        let names: Vec<&str> = data.tables.iter().map(|t| t.name).collect();
        assert_eq!(names, NAMES);
        assert!(
            data.tables
                .iter()
                .all(|t| t.rows.iter().all(|r| r.cells.len() == t.headers.len()))
        );
    }
}
