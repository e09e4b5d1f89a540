//! `report changes --since D`: what moved into or out of this quarter's forecast since
//! a day, and why (created, amount, stage, close date, probability, category).
//!
//! The store keeps the time of each field's current value (its clock), not the older
//! values; the stage history gives the stage on that day. So a row says which fields
//! changed since the day and where the deal stands now.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use super::{Data, state_of};
use crate::model::Id;
use crate::model::stage::StageState;

/// One changed deal.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChangeRow {
    /// The deal.
    pub opportunity_id: Id,
    /// Its name.
    pub name: String,
    /// Its owner.
    pub owner: Option<String>,
    /// "in" (now in this quarter's forecast, newly or by a change of close date or from
    /// a closed stage), "out" (no longer: close date moved away, or lost), "changed"
    /// (in it before and now).
    pub direction: &'static str,
    /// What changed: "created", "amount", "stage Proposal -> Negotiation", "close date",
    /// "probability", "forecast category".
    pub reasons: Vec<String>,
    /// Stage now.
    pub stage: String,
    /// Amount now (in its currency).
    pub amount: rust_decimal::Decimal,
    /// Its currency.
    pub currency: String,
    /// Close date now.
    pub close_date: Option<NaiveDate>,
    /// The latest change.
    pub changed_at: Option<DateTime<Utc>>,
}

/// First and last day of `day`'s quarter.
#[must_use]
pub fn quarter(day: NaiveDate) -> (NaiveDate, NaiveDate) {
    let q0 = (day.month() - 1) / 3 * 3 + 1;
    let start = NaiveDate::from_ymd_opt(day.year(), q0, 1).unwrap_or(day);
    let next = if q0 == 10 {
        NaiveDate::from_ymd_opt(day.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(day.year(), q0 + 3, 1)
    };
    (start, next.and_then(|n| n.pred_opt()).unwrap_or(day))
}

/// The field clocks [`changes`] reads (the only ones `report_data` keeps).
pub(crate) const CLOCKED: [&str; 5] = [
    crate::protocol::record::CREATED,
    "amount",
    "close_date",
    "probability",
    "forecast_category",
];

/// When each of the [`CLOCKED`] fields of a deal got its current value: five times in
/// place, where a map of field names took 400 bytes a deal (15 MB at 37,500 deals).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FieldTimes([Option<DateTime<Utc>>; CLOCKED.len()]);

impl FieldTimes {
    /// When `field` got its value, if it is one of [`CLOCKED`] and its time is known.
    #[must_use]
    pub fn get(&self, field: &str) -> Option<DateTime<Utc>> {
        CLOCKED.iter().position(|f| *f == field).and_then(|i| self.0[i])
    }

    /// The known times.
    pub fn times(&self) -> impl Iterator<Item = DateTime<Utc>> + '_ {
        self.0.iter().flatten().copied()
    }
}

impl<S: AsRef<str>> FromIterator<(S, DateTime<Utc>)> for FieldTimes {
    /// Times of fields not in [`CLOCKED`] are left out.
    fn from_iter<I: IntoIterator<Item = (S, DateTime<Utc>)>>(times: I) -> Self {
        let mut out = Self::default();
        for (field, at) in times {
            if let Some(i) = CLOCKED.iter().position(|f| *f == field.as_ref()) {
                out.0[i] = Some(at);
            }
        }
        out
    }
}

/// Deals changed since `since` (inclusive) that are in `today`'s quarter now or were
/// moved out of it; the latest change first.
#[must_use]
pub fn changes(data: &Data, since: NaiveDate, today: NaiveDate) -> Vec<ChangeRow> {
    let (q0, q1) = quarter(today);
    let since_at = since.and_hms_opt(0, 0, 0).map(|t| t.and_utc()).unwrap_or_default();
    let mut out = Vec::new();
    for o in &data.opps {
        let Some(clocks) = data.field_times.get(&o.id) else {
            continue;
        };
        let after = |f: &str| clocks.get(f).is_some_and(|t| t >= since_at);
        let created = after("_created");
        let mut reasons = Vec::new();
        if created {
            reasons.push("created".to_string());
        }
        let then_stage = o
            .history
            .iter()
            .rev()
            .find(|c| c.at < since_at)
            .map(|c| c.stage.clone());
        let stage_moved = o.history.iter().any(|c| c.at >= since_at) && !created;
        if stage_moved {
            reasons.push(format!(
                "stage {} -> {}",
                then_stage.clone().unwrap_or_default(),
                o.stage
            ));
        }
        for (f, label) in [
            ("amount", "amount"),
            ("close_date", "close date"),
            ("probability", "probability"),
            ("forecast_category", "forecast category"),
        ] {
            if !created && after(f) {
                reasons.push(label.to_string());
            }
        }
        if reasons.is_empty() {
            continue;
        }
        let state = state_of(&data.pipeline, &o.stage);
        let in_now = state != StageState::Lost && o.close.is_some_and(|c| c >= q0 && c <= q1);
        let was_lost = then_stage
            .as_deref()
            .is_some_and(|s| state_of(&data.pipeline, s) == StageState::Lost);
        let close_moved = !created && after("close_date");
        let direction = if in_now {
            if created || close_moved || was_lost {
                "in"
            } else {
                "changed"
            }
        } else if close_moved || (stage_moved && state == StageState::Lost) {
            "out"
        } else {
            continue;
        };
        out.push(ChangeRow {
            opportunity_id: o.id,
            name: o.name.clone(),
            owner: o.owner.clone(),
            direction,
            reasons,
            stage: o.stage.clone(),
            amount: o.amount,
            currency: o.currency.clone(),
            close_date: o.close,
            changed_at: clocks.times().filter(|t| *t >= since_at).max(),
        });
    }
    out.sort_by(|a, b| {
        b.changed_at
            .cmp(&a.changed_at)
            .then_with(|| a.opportunity_id.cmp(&b.opportunity_id))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::super::testdata::{data, id, opp};
    use super::*;
    use crate::model::records::StageChange;

    fn at(s: &str) -> DateTime<Utc> {
        format!("{s}T12:00:00Z").parse().expect("test data")
    }
    fn day(s: &str) -> NaiveDate {
        s.parse().expect("test data")
    }

    #[test]
    fn field_times_keep_the_clocked_fields_only() {
        let at = |d: &str| format!("{d}T10:00:00Z").parse::<DateTime<Utc>>().expect("test data");
        let t = FieldTimes::from_iter([
            ("amount", at("2024-03-04")),
            ("name", at("2024-03-05")),
            ("_created", at("2024-01-02")),
        ]);
        assert_eq!(t.get("amount"), Some(at("2024-03-04")));
        assert_eq!(t.get("_created"), Some(at("2024-01-02")));
        assert_eq!(t.get("name"), None, "not a field the report reads");
        assert_eq!(t.get("close_date"), None);
        assert_eq!(t.times().max(), Some(at("2024-03-04")));
    }

    #[test]
    fn quarters_across_leap_years_and_year_ends() {
        assert_eq!(quarter(day("2024-02-29")), (day("2024-01-01"), day("2024-03-31")));
        assert_eq!(quarter(day("2024-12-31")), (day("2024-10-01"), day("2024-12-31")));
        assert_eq!(quarter(day("2025-04-01")), (day("2025-04-01"), day("2025-06-30")));
    }

    #[test]
    fn moved_in_out_and_changed() {
        let today = day("2024-03-15");
        let since = day("2024-03-01");
        let mut new = opp(1, 100, "EUR", "Prospecting", 10, "2024-03-31", "a");
        new.history = vec![StageChange {
            stage: "Prospecting".into(),
            at: at("2024-03-02"),
            from: None,
            by: None,
        }];
        let mut pushed = opp(2, 100, "EUR", "Proposal", 60, "2024-04-01", "a"); // next quarter
        pushed.history = vec![StageChange {
            stage: "Proposal".into(),
            at: at("2024-01-02"),
            from: None,
            by: None,
        }];
        let mut bigger = opp(3, 200, "EUR", "Negotiation", 80, "2024-03-20", "a");
        bigger.history = vec![
            StageChange {
                stage: "Proposal".into(),
                at: at("2024-01-02"),
                from: None,
                by: None,
            },
            StageChange {
                stage: "Negotiation".into(),
                at: at("2024-03-03"),
                from: Some("Proposal".into()),
                by: None,
            },
        ];
        let untouched = opp(4, 1, "EUR", "Proposal", 60, "2024-03-20", "a");
        let mut dt = data(vec![new, pushed, bigger, untouched]);
        let t = |s: &str| at(s);
        dt.field_times = [
            (id(1), FieldTimes::from_iter([("_created", t("2024-03-02"))])),
            (
                id(2),
                FieldTimes::from_iter([("_created", t("2024-01-02")), ("close_date", t("2024-03-05"))]),
            ),
            (
                id(3),
                FieldTimes::from_iter([("_created", t("2024-01-02")), ("amount", t("2024-03-04"))]),
            ),
            (id(4), FieldTimes::from_iter([("_created", t("2024-01-02"))])),
        ]
        .into_iter()
        .collect();
        let rows = changes(&dt, since, today);
        let got: Vec<(Id, &str, Vec<String>)> = rows
            .iter()
            .map(|r| (r.opportunity_id, r.direction, r.reasons.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                (id(2), "out", vec!["close date".to_string()]),
                (
                    id(3),
                    "changed",
                    vec!["stage Proposal -> Negotiation".to_string(), "amount".to_string()]
                ),
                (id(1), "in", vec!["created".to_string()]),
            ]
        );
        assert!(changes(&data(vec![]), since, today).is_empty());
    }
}
