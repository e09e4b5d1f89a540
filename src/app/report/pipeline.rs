//! Pipeline health: the pipeline by stage, win rate and velocity, sales cycle and time
//! in each stage, the stage funnel, and stale deals.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::{Data, Opp, state_of, weighted};
use crate::model::Id;
use crate::model::stage::StageState;

/// One stage in one currency.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StageRow {
    /// Stage name.
    pub stage: String,
    /// open, won or lost.
    pub state: String,
    /// Currency of the amounts.
    pub currency: String,
    /// Deals in the stage.
    pub count: usize,
    /// Sum of amounts.
    pub amount: Decimal,
    /// Sum of amount x probability.
    pub weighted: Decimal,
    /// The deals.
    pub opportunity_ids: Vec<Id>,
}

fn state_name(s: StageState) -> &'static str {
    match s {
        StageState::Open => "open",
        StageState::Won => "won",
        StageState::Lost => "lost",
    }
}

/// Deals per stage and currency, in pipeline order (stages no longer configured last).
#[must_use]
pub fn pipeline(data: &Data) -> Vec<StageRow> {
    let mut rows: BTreeMap<(usize, String, String), StageRow> = BTreeMap::new();
    for o in &data.opps {
        let pos = data.pipeline.position(&o.stage).unwrap_or(usize::MAX);
        let state = state_of(&data.pipeline, &o.stage);
        let (cur, amount) = data.money.convert(o.amount, &o.currency);
        let w = data.money.convert(weighted(o.amount, o.probability), &o.currency).1;
        let r = rows
            .entry((pos, o.stage.clone(), cur.clone()))
            .or_insert_with(|| StageRow {
                stage: o.stage.clone(),
                state: state_name(state).into(),
                currency: cur,
                ..StageRow::default()
            });
        r.count += 1;
        r.amount = r.amount.saturating_add(amount);
        r.weighted = r.weighted.saturating_add(w);
        r.opportunity_ids.push(o.id);
    }
    let mut out: Vec<StageRow> = rows.into_values().collect();
    for r in &mut out {
        r.opportunity_ids.sort();
    }
    out
}

/// When a closed deal closed: its close date, else the day of its last entry into its
/// (closed) stage.
#[must_use]
pub fn closed_on(o: &Opp) -> Option<NaiveDate> {
    o.close.or_else(|| {
        o.history
            .iter()
            .rev()
            .find(|c| c.stage == o.stage)
            .map(|c| c.at.date_naive())
    })
}

/// When the deal was created: its first stage history entry.
#[must_use]
pub fn created_at(o: &Opp) -> Option<DateTime<Utc>> {
    o.history.first().map(|c| c.at)
}

/// Days from the first entry to the first entry into a won stage.
#[must_use]
pub fn cycle_days(data: &Data, o: &Opp) -> Option<Decimal> {
    let start = created_at(o)?;
    let won = o
        .history
        .iter()
        .find(|c| state_of(&data.pipeline, &c.stage) == StageState::Won)?
        .at;
    Some(days(won - start))
}

fn days(d: chrono::TimeDelta) -> Decimal {
    (Decimal::from(d.num_seconds().max(0)) / Decimal::from(86_400)).round_dp(1)
}

/// Win rate and velocity for one owner (or all) in one currency.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WinRow {
    /// The owner's login; `None` for all owners.
    pub owner: Option<String>,
    /// Currency of the amounts.
    pub currency: String,
    /// Deals won in the period.
    pub won: usize,
    /// Deals lost in the period.
    pub lost: usize,
    /// won / (won + lost), percent, by count.
    pub win_rate_count_pct: Option<Decimal>,
    /// Value won.
    pub won_value: Decimal,
    /// Value won and lost.
    pub closed_value: Decimal,
    /// won value / closed value, percent.
    pub win_rate_value_pct: Option<Decimal>,
    /// won value / won.
    pub avg_deal: Option<Decimal>,
    /// Average days from creation to won, over the won deals with a history.
    pub avg_cycle_days: Option<Decimal>,
    /// Open deals now.
    pub open: usize,
    /// (open x win rate x average deal) / cycle days: value expected per day.
    pub velocity_per_day: Option<Decimal>,
    /// The won deals.
    pub won_ids: Vec<Id>,
    /// The lost deals.
    pub lost_ids: Vec<Id>,
    /// The open deals.
    pub open_ids: Vec<Id>,
}

/// Win rate by count and value of the deals closed between `from` and `to` (inclusive,
/// either open-ended), per owner and in total, per currency; with the average cycle and
/// pipeline velocity.
#[must_use]
pub fn winrate(data: &Data, from: Option<NaiveDate>, to: Option<NaiveDate>) -> Vec<WinRow> {
    let mut rows: BTreeMap<(Option<String>, String), WinRow> = BTreeMap::new();
    let mut cycles: HashMap<(Option<String>, String), Vec<Decimal>> = HashMap::new();
    for o in &data.opps {
        let state = state_of(&data.pipeline, &o.stage);
        let (cur, amount) = data.money.convert(o.amount, &o.currency);
        if state != StageState::Open {
            let Some(on) = closed_on(o) else { continue };
            if from.is_some_and(|f| on < f) || to.is_some_and(|t| on > t) {
                continue;
            }
        }
        let owners = if o.owner.is_some() {
            vec![None, o.owner.clone()]
        } else {
            vec![None]
        };
        for who in owners {
            let key = (who.clone(), cur.clone());
            let r = rows.entry(key.clone()).or_insert_with(|| WinRow {
                owner: who,
                currency: cur.clone(),
                ..WinRow::default()
            });
            match state {
                StageState::Open => {
                    r.open += 1;
                    r.open_ids.push(o.id);
                }
                StageState::Won => {
                    r.won += 1;
                    r.won_value = r.won_value.saturating_add(amount);
                    r.closed_value = r.closed_value.saturating_add(amount);
                    r.won_ids.push(o.id);
                    if let Some(c) = cycle_days(data, o) {
                        cycles.entry(key).or_default().push(c);
                    }
                }
                StageState::Lost => {
                    r.lost += 1;
                    r.closed_value = r.closed_value.saturating_add(amount);
                    r.lost_ids.push(o.id);
                }
            }
        }
    }
    let hundred = Decimal::from(100);
    let mut out = Vec::with_capacity(rows.len());
    for (key, mut r) in rows {
        let closed = r.won + r.lost;
        if closed > 0 {
            r.win_rate_count_pct = Some((Decimal::from(r.won) * hundred / Decimal::from(closed)).round_dp(1));
        }
        if r.closed_value > Decimal::ZERO {
            r.win_rate_value_pct = Some((r.won_value * hundred / r.closed_value).round_dp(1));
        }
        if r.won > 0 {
            r.avg_deal = Some((r.won_value / Decimal::from(r.won)).round_dp(2));
        }
        if let Some(c) = cycles.get(&key).filter(|c| !c.is_empty()) {
            let sum: Decimal = c.iter().copied().sum();
            r.avg_cycle_days = Some((sum / Decimal::from(c.len())).round_dp(1));
        }
        if let (Some(rate), Some(avg), Some(cycle)) = (r.win_rate_count_pct, r.avg_deal, r.avg_cycle_days)
            && cycle > Decimal::ZERO
        {
            r.velocity_per_day = Some((Decimal::from(r.open) * rate / hundred * avg / cycle).round_dp(2));
        }
        r.won_ids.sort();
        r.lost_ids.sort();
        r.open_ids.sort();
        out.push(r);
    }
    out
}

/// Time spent in one stage, or (stage "created -> won") the whole cycle.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CycleRow {
    /// Stage name, or "created -> won".
    pub stage: String,
    /// Deals that spent time in the stage (or were won).
    pub deals: usize,
    /// Average days.
    pub avg_days: Option<Decimal>,
    /// Total days.
    pub total_days: Decimal,
    /// The deals.
    pub opportunity_ids: Vec<Id>,
}

/// The whole-cycle row's stage label.
pub const CREATED_TO_WON: &str = "created -> won";

/// Time in each stage from the stage history (an entry lasts until the next one; the
/// last one of an open deal until `now`), in pipeline order, then the average sales
/// cycle (created -> first entry into a won stage).
#[must_use]
pub fn cycle(data: &Data, now: DateTime<Utc>) -> Vec<CycleRow> {
    let mut per: BTreeMap<(usize, String), CycleRow> = BTreeMap::new();
    let mut whole = CycleRow {
        stage: CREATED_TO_WON.into(),
        ..CycleRow::default()
    };
    for o in &data.opps {
        for (i, c) in o.history.iter().enumerate() {
            let end = match o.history.get(i + 1) {
                Some(next) => next.at,
                None if state_of(&data.pipeline, &c.stage) == StageState::Open
                    && state_of(&data.pipeline, &o.stage) == StageState::Open =>
                {
                    now
                }
                None => continue,
            };
            let pos = data.pipeline.position(&c.stage).unwrap_or(usize::MAX);
            let r = per.entry((pos, c.stage.clone())).or_insert_with(|| CycleRow {
                stage: c.stage.clone(),
                ..CycleRow::default()
            });
            r.total_days += days(end - c.at);
            if r.opportunity_ids.last() != Some(&o.id) {
                r.opportunity_ids.push(o.id);
            }
        }
        if let Some(d) = cycle_days(data, o) {
            whole.total_days += d;
            whole.opportunity_ids.push(o.id);
        }
    }
    let mut out: Vec<CycleRow> = per.into_values().collect();
    out.push(whole);
    for r in &mut out {
        r.opportunity_ids.sort();
        r.opportunity_ids.dedup();
        r.deals = r.opportunity_ids.len();
        if r.deals > 0 {
            r.avg_days = Some((r.total_days / Decimal::from(r.deals)).round_dp(1));
        }
    }
    out
}

/// One stage of the funnel.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FunnelRow {
    /// Stage name (open and won stages, in pipeline order).
    pub stage: String,
    /// Deals that reached this stage or a later one.
    pub reached: usize,
    /// reached / the previous stage's reached, percent.
    pub conversion_pct: Option<Decimal>,
    /// The deals that reached it.
    pub opportunity_ids: Vec<Id>,
}

/// The stage conversion funnel: how many deals reached each open or won stage (by their
/// stage history and current stage; a lost deal counts up to the furthest stage it was
/// in). Counts never increase down the stages.
#[must_use]
pub fn funnel(data: &Data) -> Vec<FunnelRow> {
    let stages: Vec<&str> = data
        .pipeline
        .stages
        .iter()
        .filter(|s| s.state != StageState::Lost)
        .map(|s| s.name.as_str())
        .collect();
    let mut rows: Vec<FunnelRow> = stages
        .iter()
        .map(|s| FunnelRow {
            stage: (*s).to_string(),
            ..FunnelRow::default()
        })
        .collect();
    for o in &data.opps {
        let furthest = o
            .history
            .iter()
            .map(|c| c.stage.as_str())
            .chain(std::iter::once(o.stage.as_str()))
            .filter_map(|s| stages.iter().position(|x| *x == s))
            .max();
        if let Some(f) = furthest {
            for r in &mut rows[..=f] {
                r.reached += 1;
                r.opportunity_ids.push(o.id);
            }
        }
    }
    let mut prev: Option<usize> = None;
    for r in &mut rows {
        r.opportunity_ids.sort();
        if let Some(p) = prev.filter(|p| *p > 0) {
            r.conversion_pct = Some((Decimal::from(r.reached) * Decimal::from(100) / Decimal::from(p)).round_dp(1));
        }
        prev = Some(r.reached);
    }
    rows
}

/// An open deal needing attention.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StaleRow {
    /// The deal.
    pub opportunity_id: Id,
    /// Its name.
    pub name: String,
    /// Its owner.
    pub owner: Option<String>,
    /// Its stage.
    pub stage: String,
    /// The last activity or stage change.
    pub last_touch: Option<NaiveDate>,
    /// Days since then (none without any).
    pub idle_days: Option<i64>,
    /// Expected close date.
    pub close_date: Option<NaiveDate>,
    /// Why it is listed: "no activity or stage change in N days", "close date passed".
    pub reasons: Vec<String>,
    /// The last activity about it, if any.
    pub activity_id: Option<Id>,
}

/// Open deals with no activity and no stage change in `days` days before `today`, or
/// whose close date has passed; the longest idle first.
#[must_use]
pub fn stale(data: &Data, today: NaiveDate, days: i64) -> Vec<StaleRow> {
    let mut last_act: HashMap<Id, (NaiveDate, Id)> = HashMap::new();
    for t in &data.touches {
        let (Some(o), Some(at)) = (t.opportunity_id, t.at) else {
            continue;
        };
        let day = at.date_naive();
        if day > today {
            continue;
        }
        let e = last_act.entry(o).or_insert((day, t.id));
        if day > e.0 {
            *e = (day, t.id);
        }
    }
    let mut out = Vec::new();
    for o in data
        .opps
        .iter()
        .filter(|o| state_of(&data.pipeline, &o.stage) == StageState::Open)
    {
        let moved = o.history.last().map(|c| c.at.date_naive());
        let act = last_act.get(&o.id).copied();
        let last = moved.max(act.map(|a| a.0));
        let idle = last.map(|l| (today - l).num_days());
        let mut reasons = Vec::new();
        if idle.is_none_or(|i| i >= days) {
            reasons.push(format!("no activity or stage change in {days} days"));
        }
        if o.close.is_some_and(|c| c < today) {
            reasons.push("close date passed".to_string());
        }
        if reasons.is_empty() {
            continue;
        }
        out.push(StaleRow {
            opportunity_id: o.id,
            name: o.name.clone(),
            owner: o.owner.clone(),
            stage: o.stage.clone(),
            last_touch: last,
            idle_days: idle,
            close_date: o.close,
            reasons,
            activity_id: act.map(|a| a.1),
        });
    }
    out.sort_by(|a, b| {
        b.idle_days
            .unwrap_or(i64::MAX)
            .cmp(&a.idle_days.unwrap_or(i64::MAX))
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.opportunity_id.cmp(&b.opportunity_id))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::super::Touch;
    use super::super::testdata::{data, id, opp};
    use super::*;
    use crate::model::records::StageChange;
    use proptest::prelude::*;

    fn d(s: &str) -> Decimal {
        s.parse().expect("test data")
    }
    fn at(s: &str) -> DateTime<Utc> {
        format!("{s}T00:00:00Z").parse().expect("test data")
    }
    fn hist(list: &[(&str, &str)]) -> Vec<StageChange> {
        list.iter()
            .map(|(s, t)| StageChange {
                stage: (*s).into(),
                at: at(t),
                from: None,
                by: None,
            })
            .collect()
    }

    #[test]
    fn empty_store() {
        let e = data(vec![]);
        assert!(pipeline(&e).is_empty());
        assert!(winrate(&e, None, None).is_empty());
        assert_eq!(cycle(&e, at("2026-01-01")).len(), 1);
        assert!(funnel(&e).iter().all(|r| r.reached == 0));
        assert!(stale(&e, "2026-01-01".parse().expect("test data"), 21).is_empty());
    }

    #[test]
    fn pipeline_by_stage_and_currency() {
        let rows = pipeline(&data(vec![
            opp(1, 100, "EUR", "Proposal", 60, "2026-01-01", "a"),
            opp(2, 50, "USD", "Proposal", 60, "2026-01-01", "a"),
            opp(3, 10, "EUR", "Prospecting", 10, "2026-01-01", "a"),
        ]));
        let got: Vec<(&str, &str, usize, Decimal, Decimal)> = rows
            .iter()
            .map(|r| (r.stage.as_str(), r.currency.as_str(), r.count, r.amount, r.weighted))
            .collect();
        assert_eq!(
            got,
            vec![
                ("Prospecting", "EUR", 1, d("10"), d("1")),
                ("Proposal", "EUR", 1, d("100"), d("60")),
                ("Proposal", "USD", 1, d("50"), d("30")),
            ]
        );
    }

    #[test]
    fn winrate_by_count_and_value_with_cycle_and_velocity() {
        let mut won = opp(1, 300, "EUR", "Closed Won", 100, "2024-02-29", "a");
        won.history = hist(&[("Prospecting", "2024-02-01"), ("Closed Won", "2024-02-29")]);
        let lost = opp(2, 100, "EUR", "Closed Lost", 0, "2024-03-01", "a");
        let lost2 = opp(3, 100, "EUR", "Closed Lost", 0, "2024-03-01", "b");
        let open = opp(4, 100, "EUR", "Proposal", 60, "2024-05-01", "a");
        let dt = data(vec![won, lost, lost2, open]);
        let rows = winrate(&dt, None, None);
        let a = rows
            .iter()
            .find(|r| r.owner.as_deref() == Some("a"))
            .expect("test data");
        assert_eq!((a.won, a.lost, a.win_rate_count_pct), (1, 1, Some(d("50"))));
        assert_eq!(
            (a.won_value, a.closed_value, a.win_rate_value_pct),
            (d("300"), d("400"), Some(d("75")))
        );
        assert_eq!(a.avg_cycle_days, Some(d("28")));
        // 1 open x 50 % x 300 / 28 days
        assert_eq!(a.velocity_per_day, Some(d("5.36")));
        let all = rows.iter().find(|r| r.owner.is_none()).expect("test data");
        assert_eq!((all.won, all.lost, all.win_rate_count_pct), (1, 2, Some(d("33.3"))));
        // The period: only the leap day.
        let rows = winrate(
            &dt,
            Some("2024-02-29".parse().expect("test data")),
            Some("2024-02-29".parse().expect("test data")),
        );
        let all = rows.iter().find(|r| r.owner.is_none()).expect("test data");
        assert_eq!((all.won, all.lost), (1, 0));
    }

    #[test]
    fn time_in_stage_and_cycle() {
        let mut a = opp(1, 1, "EUR", "Closed Won", 100, "", "");
        a.history = hist(&[
            ("Prospecting", "2024-02-27"),
            ("Proposal", "2024-03-01"),
            ("Closed Won", "2024-03-11"),
        ]);
        let mut b = opp(2, 1, "EUR", "Proposal", 60, "", "");
        b.history = hist(&[("Prospecting", "2024-03-01"), ("Proposal", "2024-03-02")]);
        let rows = cycle(&data(vec![a, b]), at("2024-03-06"));
        let got: Vec<(&str, usize, Option<Decimal>)> =
            rows.iter().map(|r| (r.stage.as_str(), r.deals, r.avg_days)).collect();
        assert_eq!(
            got,
            vec![
                ("Prospecting", 2, Some(d("2"))),   // 3 days (leap day) and 1 day
                ("Proposal", 2, Some(d("7"))),      // 10 days and 4 days (until now)
                (CREATED_TO_WON, 1, Some(d("13"))), // Feb 27 -> Mar 11 in a leap year
            ]
        );
    }

    #[test]
    fn funnel_counts_the_furthest_stage() {
        let mut lost = opp(1, 1, "EUR", "Closed Lost", 0, "", "");
        lost.history = hist(&[
            ("Prospecting", "2024-01-01"),
            ("Proposal", "2024-01-02"),
            ("Closed Lost", "2024-01-03"),
        ]);
        let won = opp(2, 1, "EUR", "Closed Won", 100, "", "");
        let early = opp(3, 1, "EUR", "Prospecting", 10, "", "");
        let rows = funnel(&data(vec![lost, won, early]));
        let got: Vec<(&str, usize)> = rows.iter().map(|r| (r.stage.as_str(), r.reached)).collect();
        assert_eq!(
            got,
            vec![
                ("Prospecting", 3),
                ("Qualification", 2),
                ("Needs Analysis", 2),
                ("Proposal", 2),
                ("Negotiation", 1),
                ("Closed Won", 1)
            ]
        );
        assert_eq!(rows[4].conversion_pct, Some(d("50")));
        assert_eq!(rows[5].opportunity_ids, vec![id(2)]);
    }

    #[test]
    fn stale_and_overdue_deals() {
        let today: NaiveDate = "2026-03-31".parse().expect("test data");
        let mut quiet = opp(1, 1, "EUR", "Proposal", 60, "2026-06-01", "a");
        quiet.history = hist(&[("Proposal", "2026-03-10")]); // 21 days: stale
        let mut busy = opp(2, 1, "EUR", "Proposal", 60, "2026-06-01", "a");
        busy.history = hist(&[("Proposal", "2026-01-01")]);
        let mut late = opp(3, 1, "EUR", "Proposal", 60, "2026-03-30", "a");
        late.history = hist(&[("Proposal", "2026-03-30")]);
        let won = opp(4, 1, "EUR", "Closed Won", 100, "2020-01-01", "a");
        let mut dt = data(vec![quiet, busy, late, won]);
        dt.touches = vec![Touch {
            id: id(9),
            opportunity_id: Some(id(2)),
            at: Some(at("2026-03-20")),
            kind: "call",
            owner: None,
            due: None,
            done: true,
            subject: Box::default(),
        }];
        let rows = stale(&dt, today, 21);
        let got: Vec<(Id, Option<i64>, Vec<String>)> = rows
            .iter()
            .map(|r| (r.opportunity_id, r.idle_days, r.reasons.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    id(1),
                    Some(21),
                    vec!["no activity or stage change in 21 days".to_string()]
                ),
                (id(3), Some(1), vec!["close date passed".to_string()]),
            ]
        );
        assert!(stale(&dt, today, 22).iter().all(|r| r.opportunity_id != id(1)));
    }

    proptest! {
        #[test]
        fn funnel_never_increases(deals in prop::collection::vec((0usize..7, prop::collection::vec(0usize..7, 0..4)), 0..30)) {
            let stages = ["Prospecting", "Qualification", "Needs Analysis", "Proposal", "Negotiation", "Closed Won", "Closed Lost"];
            let opps = deals.iter().enumerate().map(|(i, (s, h))| {
                let mut o = opp(i as u128, 1, "EUR", stages[*s], 10, "", "");
                o.history = h.iter().map(|x| StageChange { stage: stages[*x].into(), at: at("2026-01-01"), from: None, by: None }).collect();
                o
            }).collect();
            let rows = funnel(&data(opps));
            for w in rows.windows(2) {
                prop_assert!(w[1].reached <= w[0].reached);
            }
        }
    }
}
