//! `report activity`: calls, meetings and visits per rep per ISO week; follow-ups
//! overdue; open deals with no next step.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

use super::{Data, state_of};
use crate::model::Id;
use crate::model::stage::StageState;

/// One rep's week.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WeekRow {
    /// ISO week, "2026-W05".
    pub week: String,
    /// The rep (activity owner; `None` when unowned).
    pub owner: Option<String>,
    /// Calls.
    pub calls: usize,
    /// Meetings.
    pub meetings: usize,
    /// Visits.
    pub visits: usize,
    /// The activities counted.
    pub activity_ids: Vec<Id>,
}

/// The ISO week label of `day` ("2026-W05"; the ISO year, so 2027-01-01 is 2026-W53).
#[must_use]
pub fn iso_week(day: NaiveDate) -> String {
    let w = day.iso_week();
    format!("{:04}-W{:02}", w.year(), w.week())
}

/// Calls, meetings and visits per owner per ISO week of their time, oldest week first.
#[must_use]
pub fn weekly(data: &Data) -> Vec<WeekRow> {
    let mut rows: BTreeMap<(String, Option<String>), WeekRow> = BTreeMap::new();
    for t in &data.touches {
        let Some(at) = t.at else { continue };
        if !matches!(t.kind, "call" | "meeting" | "visit") {
            continue;
        }
        let week = iso_week(at.date_naive());
        let owner = t.owner.as_deref().map(str::to_string);
        let r = rows.entry((week.clone(), owner.clone())).or_insert_with(|| WeekRow {
            week,
            owner,
            ..WeekRow::default()
        });
        match t.kind {
            "call" => r.calls += 1,
            "meeting" => r.meetings += 1,
            _ => r.visits += 1,
        }
        r.activity_ids.push(t.id);
    }
    let mut out: Vec<WeekRow> = rows.into_values().collect();
    for r in &mut out {
        r.activity_ids.sort();
    }
    out
}

/// A follow-up past its due date.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OverdueRow {
    /// The activity.
    pub activity_id: Id,
    /// Its subject.
    pub subject: String,
    /// Its owner.
    pub owner: Option<String>,
    /// Due date.
    pub due: NaiveDate,
    /// Days past it.
    pub days_overdue: i64,
    /// The deal it is about.
    pub opportunity_id: Option<Id>,
}

/// Activities not done whose due date is before `today`, the oldest first.
#[must_use]
pub fn overdue(data: &Data, today: NaiveDate) -> Vec<OverdueRow> {
    let mut out: Vec<OverdueRow> = data
        .touches
        .iter()
        .filter(|t| !t.done)
        .filter_map(|t| {
            let due = t.due.filter(|d| *d < today)?;
            Some(OverdueRow {
                activity_id: t.id,
                subject: t.subject.to_string(),
                owner: t.owner.as_deref().map(str::to_string),
                due,
                days_overdue: (today - due).num_days(),
                opportunity_id: t.opportunity_id,
            })
        })
        .collect();
    out.sort_by(|a, b| a.due.cmp(&b.due).then_with(|| a.activity_id.cmp(&b.activity_id)));
    out
}

/// An open deal without a next step.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NoNextStepRow {
    /// The deal.
    pub opportunity_id: Id,
    /// Its name.
    pub name: String,
    /// Its owner.
    pub owner: Option<String>,
    /// Its stage.
    pub stage: String,
    /// Its close date.
    pub close_date: Option<NaiveDate>,
}

/// Open deals with no next step, by close date (none last).
#[must_use]
pub fn no_next_step(data: &Data) -> Vec<NoNextStepRow> {
    let mut out: Vec<NoNextStepRow> = data
        .opps
        .iter()
        .filter(|o| o.next_step.is_none() && state_of(&data.pipeline, &o.stage) == StageState::Open)
        .map(|o| NoNextStepRow {
            opportunity_id: o.id,
            name: o.name.clone(),
            owner: o.owner.clone(),
            stage: o.stage.clone(),
            close_date: o.close,
        })
        .collect();
    out.sort_by(|a, b| {
        (a.close_date.is_none(), a.close_date, &a.name, a.opportunity_id).cmp(&(
            b.close_date.is_none(),
            b.close_date,
            &b.name,
            b.opportunity_id,
        ))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::super::Touch;
    use super::super::testdata::{data, id, opp};
    use super::*;

    fn touch(n: u128, kind: &'static str, at: &str, owner: &str) -> Touch {
        Touch {
            id: id(n),
            opportunity_id: None,
            at: Some(format!("{at}T10:00:00Z").parse().expect("test data")),
            kind,
            owner: Some(owner.into()),
            due: None,
            done: true,
            subject: format!("t{n}").into(),
        }
    }

    #[test]
    fn weeks_per_rep_across_a_year_end() {
        let mut dt = data(vec![]);
        assert!(weekly(&dt).is_empty());
        dt.touches = vec![
            touch(1, "call", "2026-12-31", "a"),
            touch(2, "visit", "2027-01-03", "a"), // same ISO week 2026-W53
            touch(3, "meeting", "2027-01-04", "a"),
            touch(4, "email", "2027-01-04", "a"),
            touch(5, "call", "2024-02-29", "b"),
        ];
        let got: Vec<(String, Option<String>, usize, usize, usize)> = weekly(&dt)
            .into_iter()
            .map(|r| (r.week, r.owner, r.calls, r.meetings, r.visits))
            .collect();
        assert_eq!(
            got,
            vec![
                ("2024-W09".into(), Some("b".into()), 1, 0, 0),
                ("2026-W53".into(), Some("a".into()), 1, 0, 1),
                ("2027-W01".into(), Some("a".into()), 0, 1, 0),
            ]
        );
    }

    #[test]
    fn overdue_follow_ups_and_deals_without_next_step() {
        let today: NaiveDate = "2024-03-01".parse().expect("test data");
        let mut dt = data(vec![
            opp(1, 1, "EUR", "Proposal", 60, "2024-03-10", "a"),
            opp(2, 1, "EUR", "Closed Won", 100, "2024-03-10", "a"),
            opp(3, 1, "EUR", "Proposal", 60, "2024-03-10", "a"),
        ]);
        dt.opps[2].next_step = Some("Call back".into());
        let mut late = touch(7, "task", "2024-01-01", "a");
        late.done = false;
        late.due = Some("2024-02-29".parse().expect("test data"));
        let mut today_due = late.clone();
        today_due.id = id(8);
        today_due.due = Some(today);
        let mut done = late.clone();
        done.id = id(9);
        done.done = true;
        dt.touches = vec![late, today_due, done];
        let o = overdue(&dt, today);
        assert_eq!(o.len(), 1);
        assert_eq!((o[0].activity_id, o[0].days_overdue), (id(7), 1));
        let n = no_next_step(&dt);
        assert_eq!(n.iter().map(|r| r.opportunity_id).collect::<Vec<_>>(), vec![id(1)]);
    }
}
