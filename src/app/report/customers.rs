//! Customers: RFM segments with customer value, accounts quietly buying less often, and
//! cross-sell hints from products bought together.
//!
//! A purchase is a closed-won opportunity of an account: its day is its close date, else
//! the day it entered the won stage (stage history); its amount is converted to the
//! base currency when a rate is known (amounts in a currency without a rate are kept
//! apart in `other_currencies`, never added). What an account bought (for cross-sell) is
//! the products on the lines of its accepted quotes and of the quotes of its won deals.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{Data, state_of};
use crate::model::Id;
use crate::model::stage::StageState;

/// One purchase.
#[derive(Clone, Debug, PartialEq)]
struct Purchase {
    day: NaiveDate,
    currency: String,
    amount: Decimal,
    id: Id,
}

fn purchases(data: &Data) -> BTreeMap<Id, Vec<Purchase>> {
    let mut out: BTreeMap<Id, Vec<Purchase>> = BTreeMap::new();
    for o in &data.opps {
        let Some(account) = o.account_id else { continue };
        if state_of(&data.pipeline, &o.stage) != StageState::Won {
            continue;
        }
        let Some(day) = super::pipeline::closed_on(o) else {
            continue;
        };
        let (currency, amount) = data.money.convert(o.amount, &o.currency);
        out.entry(account).or_default().push(Purchase {
            day,
            currency,
            amount,
            id: o.id,
        });
    }
    for list in out.values_mut() {
        list.sort_by(|a, b| a.day.cmp(&b.day).then_with(|| a.id.cmp(&b.id)));
    }
    out
}

/// An account's RFM scores, segment and value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RfmRow {
    /// The account.
    pub account_id: Id,
    /// Its name.
    pub account: String,
    /// Days since the last purchase.
    pub recency_days: i64,
    /// Purchases.
    pub frequency: usize,
    /// Revenue to date in the base currency.
    pub monetary: Decimal,
    /// Recency score 1-5 (5: most recent).
    pub r: u8,
    /// Frequency score 1-5 (5: most often).
    pub f: u8,
    /// Monetary score 1-5 (5: most revenue).
    pub m: u8,
    /// Champions, Loyal, Promising, Needs Attention, At Risk, Hibernating or Lost.
    pub segment: &'static str,
    /// Revenue in the base currency / purchases counted in it.
    pub avg_order: Option<Decimal>,
    /// First purchase.
    pub first_purchase: NaiveDate,
    /// Last purchase.
    pub last_purchase: NaiveDate,
    /// Revenue in currencies without a rate, per currency.
    pub other_currencies: BTreeMap<String, Decimal>,
    /// The won opportunities counted.
    pub opportunity_ids: Vec<Id>,
}

/// Scores in fifths: the share of accounts this value is at least as good as (ties get
/// the same score; a single account scores 5). `better(a, b)`: a is better than b.
/// The definition the sorted `fast_quintiles` is tested against.
#[cfg(test)]
fn quintiles<T: Copy>(values: &[T], better: impl Fn(T, T) -> bool) -> Vec<u8> {
    let n = values.len();
    values
        .iter()
        .map(|v| {
            let not_better = values.iter().filter(|w| !better(**w, *v)).count();
            let s = (5 * not_better).div_ceil(n.max(1));
            u8::try_from(s.clamp(1, 5)).unwrap_or(1)
        })
        .collect()
}

/// Quintile scores by sorting (n log n) rather than comparing all pairs.
fn fast_quintiles<T: Copy + Ord>(values: &[T], higher_is_better: bool) -> Vec<u8> {
    let n = values.len();
    let mut sorted: Vec<T> = values.to_vec();
    sorted.sort();
    values
        .iter()
        .map(|v| {
            // Accounts not better than v.
            let not_better = if higher_is_better {
                sorted.partition_point(|w| w <= v)
            } else {
                n - sorted.partition_point(|w| w < v)
            };
            let s = (5 * not_better).div_ceil(n.max(1));
            u8::try_from(s.clamp(1, 5)).unwrap_or(1)
        })
        .collect()
}

/// The segment of recency and frequency scores.
#[must_use]
pub fn segment(r: u8, f: u8) -> &'static str {
    match (r, f) {
        (4.., 4..) => "Champions",
        (3.., 3..) => "Loyal",
        (4.., _) => "Promising",
        (..=2, 3..) => "At Risk",
        (3, _) => "Needs Attention",
        (2, _) => "Hibernating",
        _ => "Lost",
    }
}

/// RFM segmentation of every account with a purchase, best first (by segment score,
/// then revenue).
#[must_use]
pub fn rfm(data: &Data, today: NaiveDate) -> Vec<RfmRow> {
    let bought = purchases(data);
    let mut rows: Vec<RfmRow> = bought
        .iter()
        .filter_map(|(account, list)| {
            let first = list.first()?;
            let last = list.last()?;
            let mut monetary = Decimal::ZERO;
            let mut in_base = 0usize;
            let mut other: BTreeMap<String, Decimal> = BTreeMap::new();
            for p in list {
                if p.currency == data.money.base {
                    monetary = monetary.saturating_add(p.amount);
                    in_base += 1;
                } else {
                    let e = other.entry(p.currency.clone()).or_default();
                    *e = e.saturating_add(p.amount);
                }
            }
            Some(RfmRow {
                account_id: *account,
                account: data.account_names.get(account).cloned().unwrap_or_default(),
                recency_days: (today - last.day).num_days().max(0),
                frequency: list.len(),
                monetary,
                avg_order: (in_base > 0).then(|| (monetary / Decimal::from(in_base)).round_dp(2)),
                first_purchase: first.day,
                last_purchase: last.day,
                other_currencies: other,
                opportunity_ids: list.iter().map(|p| p.id).collect(),
                ..RfmRow::default()
            })
        })
        .collect();
    let rec: Vec<i64> = rows.iter().map(|r| r.recency_days).collect();
    let freq: Vec<usize> = rows.iter().map(|r| r.frequency).collect();
    let mon: Vec<Decimal> = rows.iter().map(|r| r.monetary).collect();
    let (rs, fs, ms) = (
        fast_quintiles(&rec, false),
        fast_quintiles(&freq, true),
        fast_quintiles(&mon, true),
    );
    for (i, row) in rows.iter_mut().enumerate() {
        row.r = rs[i];
        row.f = fs[i];
        row.m = ms[i];
        row.segment = segment(row.r, row.f);
        row.opportunity_ids.sort();
    }
    rows.sort_by(|a, b| {
        (b.r + b.f + b.m)
            .cmp(&(a.r + a.f + a.m))
            .then_with(|| b.monetary.cmp(&a.monetary))
            .then_with(|| a.account_id.cmp(&b.account_id))
    });
    rows
}

/// An account buying less often than it used to.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AtRiskRow {
    /// The account.
    pub account_id: Id,
    /// Its name.
    pub account: String,
    /// Last purchase.
    pub last_purchase: NaiveDate,
    /// Days since then.
    pub days_since: i64,
    /// Its usual interval: the median of the days between its purchases.
    pub usual_interval_days: i64,
    /// days_since / usual interval.
    pub overdue_ratio: Decimal,
    /// Purchases.
    pub purchases: usize,
    /// Why it is listed, in words.
    pub reason: String,
    /// The won opportunities behind it.
    pub opportunity_ids: Vec<Id>,
}

/// How far past its usual interval an account must be to be listed.
pub const AT_RISK_FACTOR: Decimal = Decimal::from_parts(15, 0, 0, false, 1);

/// Accounts with at least three purchases (two intervals) whose time since the last
/// one is more than 1.5 times their own usual interval (the median gap), most overdue
/// first.
#[must_use]
pub fn at_risk(data: &Data, today: NaiveDate) -> Vec<AtRiskRow> {
    let mut out = Vec::new();
    for (account, list) in purchases(data) {
        if list.len() < 3 {
            continue;
        }
        let mut gaps: Vec<i64> = list.windows(2).map(|w| (w[1].day - w[0].day).num_days()).collect();
        gaps.sort_unstable();
        let usual = if gaps.len() % 2 == 1 {
            gaps[gaps.len() / 2]
        } else {
            (gaps[gaps.len() / 2 - 1] + gaps[gaps.len() / 2]) / 2
        }
        .max(1);
        let Some(last) = list.last() else { continue };
        let since = (today - last.day).num_days();
        let ratio = (Decimal::from(since) / Decimal::from(usual)).round_dp(1);
        if Decimal::from(since) <= Decimal::from(usual) * AT_RISK_FACTOR {
            continue;
        }
        out.push(AtRiskRow {
            account_id: account,
            account: data.account_names.get(&account).cloned().unwrap_or_default(),
            last_purchase: last.day,
            days_since: since,
            usual_interval_days: usual,
            overdue_ratio: ratio,
            purchases: list.len(),
            reason: format!(
                "no purchase for {since} days; usually every {usual} days (median of {} gaps)",
                gaps.len()
            ),
            opportunity_ids: {
                let mut v: Vec<Id> = list.iter().map(|p| p.id).collect();
                v.sort();
                v
            },
        });
    }
    out.sort_by(|a, b| {
        b.overdue_ratio
            .cmp(&a.overdue_ratio)
            .then_with(|| a.account_id.cmp(&b.account_id))
    });
    out
}

/// A cross-sell rule or hint: accounts that bought `product_a` also bought `product_b`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CrossSellRow {
    /// The account the hint is for (`None` for the rules over every account).
    pub account_id: Option<Id>,
    /// A product bought (by the account, for a hint).
    pub product_a: Id,
    /// A product often bought with it (not yet by the account, for a hint).
    pub product_b: Id,
    /// Accounts that bought both.
    pub together: usize,
    /// together / accounts that bought anything.
    pub support: Decimal,
    /// together / accounts that bought `product_a`.
    pub confidence: Decimal,
    /// confidence / (share of accounts that bought `product_b`).
    pub lift: Decimal,
    /// The accounts that bought both.
    pub account_ids: Vec<Id>,
}

/// The products each account bought.
fn baskets(data: &Data) -> BTreeMap<Id, BTreeSet<Id>> {
    let won: HashMap<Id, Option<Id>> = data
        .opps
        .iter()
        .filter(|o| state_of(&data.pipeline, &o.stage) == StageState::Won)
        .map(|o| (o.id, o.account_id))
        .collect();
    let opp_account: HashMap<Id, Option<Id>> = data.opps.iter().map(|o| (o.id, o.account_id)).collect();
    let mut quote_account: HashMap<Id, Id> = HashMap::new();
    for q in &data.quotes {
        let counted = q.accepted || q.opportunity_id.is_some_and(|o| won.contains_key(&o));
        if !counted {
            continue;
        }
        let account = q
            .account_id
            .or_else(|| q.opportunity_id.and_then(|o| opp_account.get(&o).copied().flatten()));
        if let Some(a) = account {
            quote_account.insert(q.id, a);
        }
    }
    let mut out: BTreeMap<Id, BTreeSet<Id>> = BTreeMap::new();
    for l in &data.lines {
        let (Some(q), Some(p)) = (l.quote_id, l.product_id) else {
            continue;
        };
        if let Some(a) = quote_account.get(&q) {
            out.entry(*a).or_default().insert(p);
        }
    }
    out
}

/// Without `account`: the rules "bought A -> also bought B" seen in at least two
/// accounts, by lift then confidence. With `account`: for each product it has not
/// bought, the best rule from a product it has, by confidence then lift.
#[must_use]
pub fn cross_sell(data: &Data, account: Option<Id>) -> Vec<CrossSellRow> {
    let baskets = baskets(data);
    let n = baskets.len();
    if n == 0 {
        return Vec::new();
    }
    let mut single: HashMap<Id, usize> = HashMap::new();
    let mut pairs: HashMap<(Id, Id), Vec<Id>> = HashMap::new();
    for (acc, set) in &baskets {
        for a in set {
            *single.entry(*a).or_default() += 1;
            for b in set {
                if a != b {
                    pairs.entry((*a, *b)).or_default().push(*acc);
                }
            }
        }
    }
    let nd = Decimal::from(n);
    let row = |a: Id, b: Id, accounts: &Vec<Id>, for_account: Option<Id>| {
        let together = accounts.len();
        let conf = Decimal::from(together) / Decimal::from(single.get(&a).copied().unwrap_or(1).max(1));
        let share_b = Decimal::from(single.get(&b).copied().unwrap_or(1).max(1)) / nd;
        let mut ids = accounts.clone();
        ids.sort();
        CrossSellRow {
            account_id: for_account,
            product_a: a,
            product_b: b,
            together,
            support: (Decimal::from(together) / nd).round_dp(3),
            confidence: conf.round_dp(3),
            lift: (conf / share_b).round_dp(2),
            account_ids: ids,
        }
    };
    let mut out: Vec<CrossSellRow> = match account {
        None => pairs
            .iter()
            .filter(|(_, accs)| accs.len() >= 2)
            .map(|((a, b), accs)| row(*a, *b, accs, None))
            .collect(),
        Some(x) => {
            let empty = BTreeSet::new();
            let has = baskets.get(&x).unwrap_or(&empty);
            let mut best: BTreeMap<Id, CrossSellRow> = BTreeMap::new();
            for ((a, b), accs) in &pairs {
                if !has.contains(a) || has.contains(b) {
                    continue;
                }
                let r = row(*a, *b, accs, Some(x));
                let better = best.get(b).is_none_or(|cur| {
                    (r.confidence, r.lift, std::cmp::Reverse(r.product_a))
                        > (cur.confidence, cur.lift, std::cmp::Reverse(cur.product_a))
                });
                if better {
                    best.insert(*b, r);
                }
            }
            best.into_values().collect()
        }
    };
    out.sort_by(|x, y| {
        let key = |r: &CrossSellRow| (r.lift, r.confidence);
        if account.is_some() {
            (y.confidence, y.lift).cmp(&(x.confidence, x.lift))
        } else {
            key(y).cmp(&key(x))
        }
        .then_with(|| x.product_a.cmp(&y.product_a))
        .then_with(|| x.product_b.cmp(&y.product_b))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::super::testdata::{data, id, opp};
    use super::super::{QuoteLineRef, QuoteRef};
    use super::*;
    use proptest::prelude::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().expect("test data")
    }
    fn d(s: &str) -> Decimal {
        s.parse().expect("test data")
    }
    fn won(n: u128, account: u128, amount: i64, currency: &str, close: &str) -> super::super::Opp {
        let mut o = opp(n, amount, currency, "Closed Won", 100, close, "");
        o.account_id = Some(id(account));
        o
    }

    #[test]
    fn empty_and_one_account() {
        let today = day("2026-01-01");
        assert!(rfm(&data(vec![]), today).is_empty());
        assert!(at_risk(&data(vec![]), today).is_empty());
        assert!(cross_sell(&data(vec![]), None).is_empty());
        let rows = rfm(&data(vec![won(1, 100, 500, "EUR", "2025-12-01")]), today);
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!(
            (r.recency_days, r.frequency, r.monetary, r.r, r.f, r.m),
            (31, 1, d("500"), 5, 5, 5)
        );
        assert_eq!(r.segment, "Champions");
        assert_eq!(r.avg_order, Some(d("500")));
    }

    #[test]
    fn quintiles_with_ties_and_leap_day() {
        // Five accounts, one purchase each; two share the leap day.
        let opps = vec![
            won(1, 101, 100, "EUR", "2024-02-29"),
            won(2, 102, 100, "EUR", "2024-02-29"),
            won(3, 103, 300, "EUR", "2024-03-01"),
            won(4, 104, 400, "EUR", "2023-12-31"),
            won(5, 105, 500, "EUR", "2024-01-01"),
        ];
        let rows = rfm(&data(opps), day("2024-03-01"));
        let by: HashMap<Id, &RfmRow> = rows.iter().map(|r| (r.account_id, r)).collect();
        assert_eq!(by[&id(101)].recency_days, 1);
        assert_eq!((by[&id(101)].r, by[&id(102)].r), (4, 4)); // tied: same score
        assert_eq!(by[&id(103)].r, 5);
        assert_eq!(by[&id(104)].r, 1);
        assert_eq!(by[&id(105)].r, 2);
        assert_eq!((by[&id(101)].m, by[&id(102)].m, by[&id(105)].m), (2, 2, 5));
        // Everyone bought once: frequency ties at 5.
        assert!(rows.iter().all(|r| r.f == 5));
        assert_eq!(by[&id(104)].segment, "At Risk");
    }

    #[test]
    fn other_currencies_are_kept_apart() {
        let mut dt = data(vec![
            won(1, 100, 100, "EUR", "2026-01-01"),
            won(2, 100, 100, "USD", "2026-02-01"),
        ]);
        let r = rfm(&dt, day("2026-03-01"));
        assert_eq!((r[0].monetary, r[0].frequency), (d("100"), 2));
        assert_eq!(r[0].other_currencies.get("USD"), Some(&d("100")));
        dt.money.rates.insert("USD".into(), d("0.5"));
        let r = rfm(&dt, day("2026-03-01"));
        assert_eq!((r[0].monetary, r[0].avg_order), (d("150"), Some(d("75"))));
        assert!(r[0].other_currencies.is_empty());
    }

    #[test]
    fn at_risk_against_its_own_interval() {
        let opps = vec![
            won(1, 100, 1, "EUR", "2024-01-01"),
            won(2, 100, 1, "EUR", "2024-01-31"),
            won(3, 100, 1, "EUR", "2024-03-01"), // gaps 30 and 30 (leap February)
            won(4, 200, 1, "EUR", "2024-01-01"),
            won(5, 200, 1, "EUR", "2024-04-01"),
            won(6, 200, 1, "EUR", "2024-07-01"), // gaps 91 and 91
        ];
        let dt = data(opps);
        let rows = at_risk(&dt, day("2024-04-16")); // 46 days: > 45
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].account_id, rows[0].usual_interval_days, rows[0].days_since),
            (id(100), 30, 46)
        );
        assert!(rows[0].reason.contains("usually every 30 days"), "{}", rows[0].reason);
        assert!(at_risk(&dt, day("2024-04-15")).is_empty()); // exactly 45: not yet
    }

    #[test]
    fn cross_sell_support_confidence_lift() {
        // Accounts 1..3 bought P1+P2, account 4 bought P1 only, account 5 P3 only.
        let (p1, p2, p3) = (id(901), id(902), id(903));
        let mut dt = data(vec![]);
        let buys: [(u128, &[Id]); 5] = [(1, &[p1, p2]), (2, &[p1, p2]), (3, &[p1, p2]), (4, &[p1]), (5, &[p3])];
        let mut n = 1000u128;
        for (acc, prods) in buys {
            n += 1;
            dt.quotes.push(QuoteRef {
                id: id(n),
                opportunity_id: None,
                account_id: Some(id(acc)),
                accepted: true,
            });
            let q = id(n);
            for p in prods {
                n += 1;
                dt.lines.push(QuoteLineRef {
                    quote_id: Some(q),
                    product_id: Some(*p),
                });
            }
        }
        // A draft quote does not count.
        dt.quotes.push(QuoteRef {
            id: id(5000),
            opportunity_id: None,
            account_id: Some(id(4)),
            accepted: false,
        });
        dt.lines.push(QuoteLineRef {
            quote_id: Some(id(5000)),
            product_id: Some(p3),
        });
        let rules = cross_sell(&dt, None);
        let r12 = rules
            .iter()
            .find(|r| r.product_a == p1 && r.product_b == p2)
            .expect("test data");
        // support 3/5, confidence 3/4, lift 0.75 / (3/5) = 1.25
        assert_eq!(
            (r12.together, r12.support, r12.confidence, r12.lift),
            (3, d("0.6"), d("0.75"), d("1.25"))
        );
        let r21 = rules
            .iter()
            .find(|r| r.product_a == p2 && r.product_b == p1)
            .expect("test data");
        assert_eq!((r21.confidence, r21.lift), (d("1"), d("1.25")));
        let hints = cross_sell(&dt, Some(id(4)));
        assert_eq!(hints.len(), 1);
        assert_eq!((hints[0].product_a, hints[0].product_b), (p1, p2));
        assert!(cross_sell(&dt, Some(id(1))).is_empty());
    }

    proptest! {
        #[test]
        fn segments_sum_to_accounts_with_purchases(buys in prop::collection::vec((0u128..20, 0i64..1000, 0u32..365), 0..60)) {
            let opps = buys.iter().enumerate().map(|(i, (a, amt, off))| {
                let close = day("2024-01-01") + chrono::Days::new(u64::from(*off));
                won(i as u128, 100 + a, *amt, "EUR", &close.to_string())
            }).collect::<Vec<_>>();
            let accounts: BTreeSet<u128> = buys.iter().map(|b| b.0).collect();
            let rows = rfm(&data(opps), day("2025-01-01"));
            let mut per: BTreeMap<&str, usize> = BTreeMap::new();
            for r in &rows {
                *per.entry(r.segment).or_default() += 1;
                prop_assert!((1..=5).contains(&r.r) && (1..=5).contains(&r.f) && (1..=5).contains(&r.m));
            }
            prop_assert_eq!(per.values().sum::<usize>(), accounts.len());
            // The sorted scores agree with the pairwise definition.
            let rec: Vec<i64> = rows.iter().map(|r| r.recency_days).collect();
            let slow = quintiles(&rec, |a, b| a < b);
            prop_assert_eq!(slow, rows.iter().map(|r| r.r).collect::<Vec<_>>());
        }
    }
}
