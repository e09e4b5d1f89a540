//! `report forecast`: open and weighted pipeline, forecast categories and closed won
//! against quota, by month or quarter of the close date, per owner and in total.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use super::{Data, category, state_of, weighted};
use crate::model::Id;
use crate::model::stage::StageState;

/// Months or quarters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Period {
    /// Calendar months ("2026-03").
    Month,
    /// Calendar quarters ("2026-Q1").
    #[default]
    Quarter,
}

/// The period label of `day`: "2026-03" or "2026-Q1".
#[must_use]
pub fn period_of(day: NaiveDate, by: Period) -> String {
    match by {
        Period::Month => format!("{:04}-{:02}", day.year(), day.month()),
        Period::Quarter => format!("{:04}-Q{}", day.year(), (day.month() - 1) / 3 + 1),
    }
}

/// The label of the totals rows (every open opportunity, whatever its period).
pub const ALL: &str = "all";

/// One forecast row: a period (or [`ALL`]), an owner (or the total), one currency.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ForecastRow {
    /// "2026-03", "2026-Q1", or "all" for the totals over every open opportunity.
    pub period: String,
    /// The owner's login; `None` for the total over all owners.
    pub owner: Option<String>,
    /// The currency of every amount in the row (the base currency for converted ones).
    pub currency: String,
    /// Opportunities counted.
    pub count: usize,
    /// Open pipeline: amounts of open opportunities.
    pub open: Decimal,
    /// Weighted pipeline: amount x probability of open opportunities.
    pub weighted: Decimal,
    /// Amounts per forecast category (Pipeline, Best Case, Commit, Closed, Omitted).
    pub categories: BTreeMap<&'static str, Decimal>,
    /// Amounts of won opportunities.
    pub closed_won: Decimal,
    /// The quota for the period in this currency (quarterly quota, a third per month).
    pub quota: Option<Decimal>,
    /// Closed won as a percentage of the quota (one decimal).
    pub attainment_pct: Option<Decimal>,
    /// The opportunities counted.
    pub opportunity_ids: Vec<Id>,
    /// The users whose quota is counted.
    pub user_ids: Vec<Id>,
}

type Key = (String, Option<String>, String);

/// The forecast. Opportunities with a close date fall in the period of that date; the
/// [`ALL`] rows sum every open opportunity (with or without a close date). `owner`
/// narrows to one owner's deals. Rows are ordered by period, the total before owners,
/// then currency.
#[must_use]
pub fn forecast(data: &Data, by: Period, owner: Option<&str>) -> Vec<ForecastRow> {
    let mut rows: BTreeMap<Key, ForecastRow> = BTreeMap::new();
    let mut periods: BTreeSet<String> = BTreeSet::new();
    for o in &data.opps {
        if owner.is_some_and(|w| o.owner.as_deref() != Some(w)) {
            continue;
        }
        let state = state_of(&data.pipeline, &o.stage);
        let cat = category(&data.pipeline, o);
        let (cur, amount) = data.money.convert(o.amount, &o.currency);
        let w = if state == StageState::Open {
            data.money.convert(weighted(o.amount, o.probability), &o.currency).1
        } else {
            Decimal::ZERO
        };
        let mut targets: Vec<String> = Vec::with_capacity(2);
        if let Some(close) = o.close {
            let p = period_of(close, by);
            periods.insert(p.clone());
            targets.push(p);
        }
        if state == StageState::Open {
            targets.push(ALL.to_string());
        }
        for p in targets {
            for who in [None, o.owner.clone()] {
                let r = rows
                    .entry((p.clone(), who.clone(), cur.clone()))
                    .or_insert_with(|| ForecastRow {
                        period: p.clone(),
                        owner: who.clone(),
                        currency: cur.clone(),
                        ..ForecastRow::default()
                    });
                r.count += 1;
                r.opportunity_ids.push(o.id);
                let c = r.categories.entry(cat).or_default();
                *c = c.saturating_add(amount);
                match state {
                    StageState::Open => {
                        r.open = r.open.saturating_add(amount);
                        r.weighted = r.weighted.saturating_add(w);
                    }
                    StageState::Won => r.closed_won = r.closed_won.saturating_add(amount),
                    StageState::Lost => {}
                }
                if o.owner.is_none() {
                    break;
                }
            }
        }
    }
    // Quotas: every user with one gets a row per period (attainment 0 without wins).
    for u in data.users.iter().filter(|u| u.quota > Decimal::ZERO) {
        if owner.is_some_and(|w| u.login != w) {
            continue;
        }
        let (cur, q) = data.money.convert(u.quota, &u.currency);
        let q = match by {
            Period::Quarter => q,
            Period::Month => (q / Decimal::from(3)).round_dp(2),
        };
        for p in &periods {
            for who in [Some(u.login.clone()), None] {
                let r = rows
                    .entry((p.clone(), who.clone(), cur.clone()))
                    .or_insert_with(|| ForecastRow {
                        period: p.clone(),
                        owner: who.clone(),
                        currency: cur.clone(),
                        ..ForecastRow::default()
                    });
                r.quota = Some(r.quota.unwrap_or_default().saturating_add(q));
                r.user_ids.push(u.id);
            }
        }
    }
    let mut out: Vec<ForecastRow> = rows.into_values().collect();
    for r in &mut out {
        r.opportunity_ids.sort();
        r.user_ids.sort();
        if let Some(q) = r.quota.filter(|q| *q > Decimal::ZERO) {
            r.attainment_pct = Some((r.closed_won * Decimal::from(100) / q).round_dp(1));
        }
    }
    // "all" after the dated periods.
    out.sort_by(|a, b| {
        (a.period == ALL, &a.period, &a.owner, &a.currency).cmp(&(b.period == ALL, &b.period, &b.owner, &b.currency))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::super::testdata::{data, id, opp};
    use super::super::{UserQuota, weighted};
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Decimal {
        s.parse().expect("test data")
    }

    #[test]
    fn empty_store_has_no_rows() {
        assert!(forecast(&data(vec![]), Period::Month, None).is_empty());
    }

    #[test]
    fn one_deal_gives_a_total_and_an_owner_row_per_period_and_all() {
        let rows = forecast(
            &data(vec![opp(1, 1000, "EUR", "Proposal", 60, "2026-03-31", "ana")]),
            Period::Quarter,
            None,
        );
        assert_eq!(rows.len(), 4);
        assert_eq!((rows[0].period.as_str(), rows[0].owner.as_deref()), ("2026-Q1", None));
        assert_eq!(
            (rows[1].period.as_str(), rows[1].owner.as_deref()),
            ("2026-Q1", Some("ana"))
        );
        assert_eq!((rows[2].period.as_str(), rows[2].owner.as_deref()), ("all", None));
        for r in &rows {
            assert_eq!((r.open, r.weighted, r.count), (d("1000"), d("600"), 1));
            assert_eq!(r.categories.get("Best Case"), Some(&d("1000")));
            assert_eq!(r.opportunity_ids, vec![id(1)]);
        }
    }

    #[test]
    fn quarter_and_leap_year_boundaries() {
        let opps = vec![
            opp(1, 100, "EUR", "Proposal", 60, "2024-02-29", "ana"),
            opp(2, 200, "EUR", "Proposal", 60, "2024-03-31", "ana"),
            opp(3, 400, "EUR", "Proposal", 60, "2024-04-01", "ana"),
            opp(4, 800, "EUR", "Proposal", 60, "2024-12-31", "ana"),
        ];
        let q = forecast(&data(opps.clone()), Period::Quarter, None);
        let total =
            |rows: &[ForecastRow], p: &str| rows.iter().find(|r| r.period == p && r.owner.is_none()).map(|r| r.open);
        assert_eq!(total(&q, "2024-Q1"), Some(d("300")));
        assert_eq!(total(&q, "2024-Q2"), Some(d("400")));
        assert_eq!(total(&q, "2024-Q4"), Some(d("800")));
        assert_eq!(total(&q, "all"), Some(d("1500")));
        let m = forecast(&data(opps), Period::Month, None);
        assert_eq!(total(&m, "2024-02"), Some(d("100")));
        assert_eq!(total(&m, "2024-03"), Some(d("200")));
        assert_eq!(total(&m, "2024-04"), Some(d("400")));
    }

    #[test]
    fn currencies_are_kept_apart_without_a_rate_and_converted_with_one() {
        let opps = vec![
            opp(1, 100, "EUR", "Negotiation", 80, "2026-05-01", "ana"),
            opp(2, 100, "USD", "Negotiation", 80, "2026-05-01", "ana"),
        ];
        let mut dt = data(opps);
        let rows = forecast(&dt, Period::Quarter, None);
        let all: Vec<(&str, Decimal)> = rows
            .iter()
            .filter(|r| r.period == ALL && r.owner.is_none())
            .map(|r| (r.currency.as_str(), r.open))
            .collect();
        assert_eq!(all, vec![("EUR", d("100")), ("USD", d("100"))]);
        dt.money.rates.insert("USD".into(), d("0.92"));
        let rows = forecast(&dt, Period::Quarter, None);
        let all: Vec<(&str, Decimal, Decimal)> = rows
            .iter()
            .filter(|r| r.period == ALL && r.owner.is_none())
            .map(|r| (r.currency.as_str(), r.open, r.weighted))
            .collect();
        assert_eq!(all, vec![("EUR", d("192"), d("153.6"))]);
    }

    #[test]
    fn quota_attainment_per_owner_and_month_thirds() {
        let mut dt = data(vec![
            opp(1, 3000, "EUR", "Closed Won", 100, "2026-01-15", "ana"),
            opp(2, 1000, "EUR", "Closed Lost", 0, "2026-02-15", "ana"),
            opp(3, 9000, "EUR", "Closed Won", 100, "2026-02-15", "bo"),
        ]);
        dt.users = vec![
            UserQuota {
                id: id(10),
                login: "ana".into(),
                quota: d("12000"),
                currency: "EUR".into(),
            },
            UserQuota {
                id: id(11),
                login: "bo".into(),
                quota: d("8000"),
                currency: "EUR".into(),
            },
        ];
        let q = forecast(&dt, Period::Quarter, None);
        let get = |rows: &[ForecastRow], p: &str, o: Option<&str>| {
            rows.iter()
                .find(|r| r.period == p && r.owner.as_deref() == o)
                .cloned()
                .expect("test data")
        };
        let ana = get(&q, "2026-Q1", Some("ana"));
        assert_eq!(
            (ana.closed_won, ana.quota, ana.attainment_pct),
            (d("3000"), Some(d("12000")), Some(d("25")))
        );
        assert_eq!(ana.categories.get("Omitted"), Some(&d("1000")));
        let total = get(&q, "2026-Q1", None);
        assert_eq!(
            (total.closed_won, total.quota, total.attainment_pct),
            (d("12000"), Some(d("20000")), Some(d("60")))
        );
        assert_eq!(total.user_ids, vec![id(10), id(11)]);
        let m = forecast(&dt, Period::Month, Some("bo"));
        let bo = get(&m, "2026-02", Some("bo"));
        assert_eq!((bo.quota, bo.attainment_pct), (Some(d("2666.67")), Some(d("337.5"))));
        assert!(m.iter().all(|r| r.owner.as_deref() != Some("ana")));
        // bo has a quota in January too (a period with deals): 0 % without wins.
        let all = forecast(&dt, Period::Month, None);
        assert_eq!(get(&all, "2026-01", Some("bo")).attainment_pct, Some(d("0")));
    }

    proptest! {
        #[test]
        fn weighted_never_exceeds_open(deals in prop::collection::vec((0i64..1_000_000, 0u8..=100, 0usize..7, 1u32..=12, 0usize..3), 0..40)) {
            let stages = ["Prospecting", "Qualification", "Needs Analysis", "Proposal", "Negotiation", "Closed Won", "Closed Lost"];
            let curs = ["EUR", "USD", "SEK"];
            let opps = deals.iter().enumerate().map(|(i, (a, p, s, m, c))| {
                opp(i as u128, *a, curs[*c], stages[*s], *p, &format!("2026-{m:02}-01"), if i % 2 == 0 { "ana" } else { "" })
            }).collect();
            let mut dt = data(opps);
            dt.money.rates.insert("USD".into(), d("0.9"));
            for r in forecast(&dt, Period::Month, None) {
                prop_assert!(r.weighted <= r.open, "{r:?}");
            }
            let _ = weighted;
        }
    }
}
