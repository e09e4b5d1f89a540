//! The TUI calendar with crowded days: overlapping events stay reachable ("+N" in a slot,
//! "+N more" for all-day and out-of-hours events, Enter opens the day in the agenda,
//! where every one is listed), `t` goes to today in both modes, `o` shows only mine or the
//! team's, and recurring events appear on every day they occur.

mod tui_support;
use tui_support as common;

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use outpost::app::App;
use outpost::model::{EntityKind, Fields};
use outpost::store::Mutation;
use outpost::tui::harness::Harness;
use outpost::tui::views::calendar::Mode;
use serde_json::json;

fn event(title: &str, start: chrono::DateTime<Utc>, owner: &str, extra: &[(&str, serde_json::Value)]) -> Mutation {
    let mut f = Fields::new();
    f.insert("title".into(), json!(title));
    f.insert("start".into(), json!(start.to_rfc3339()));
    f.insert("end".into(), json!((start + Duration::hours(1)).to_rfc3339()));
    f.insert("tz".into(), json!("Europe/Berlin"));
    f.insert("owner".into(), json!(owner));
    for (k, v) in extra {
        f.insert((*k).into(), v.clone());
    }
    Mutation::create(EntityKind::Event, f)
}

fn crowded() -> (tempfile::TempDir, Harness) {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = App::open_with_clock(dir.path(), common::clock()).expect("open");
    app.config.owner = Some("sara".into());
    let berlin = common::ZONE;
    let wed_10 = berlin
        .with_ymd_and_hms(2026, 3, 11, 10, 0, 0)
        .single()
        .expect("t")
        .with_timezone(&Utc);
    let mut muts: Vec<Mutation> = (0..10)
        .map(|i| event(&format!("Overlap {i}"), wed_10, if i < 4 { "sara" } else { "bob" }, &[]))
        .collect();
    let wed = berlin
        .with_ymd_and_hms(2026, 3, 11, 0, 0, 0)
        .single()
        .expect("t")
        .with_timezone(&Utc);
    muts.push(event("Trade fair", wed, "bob", &[("all_day", json!(true))]));
    let early = berlin
        .with_ymd_and_hms(2026, 3, 9, 7, 0, 0)
        .single()
        .expect("t")
        .with_timezone(&Utc);
    muts.push(event(
        "Early run",
        early,
        "sara",
        &[("rrule", json!("FREQ=DAILY;COUNT=5"))],
    ));
    app.store_for_tests().commit(&muts).expect("commit");
    let s = Harness::new(Arc::new(app), common::ZONE, (120, 40));
    (dir, s)
}

#[test]
fn crowded_slots_and_days_open_in_the_agenda_with_every_event() {
    let (_dir, mut s) = crowded();
    s.keys("9 w");
    assert_eq!(s.state.calendar.mode, Mode::Week);
    let screen = s.screen();
    assert!(screen.contains("Overlap 0 +9"), "{screen}");
    assert!(
        screen.contains("+2 more"),
        "the all-day fair and the 07:00 run: {screen}"
    );
    // Wednesday 10:00 (today is Tuesday; the grid starts at 08:00, the cursor at 09:00).
    s.keys("l j");
    assert_eq!(s.state.calendar.day, 2);
    assert_eq!(s.state.calendar.slot, 2);
    s.keys("enter");
    assert_eq!(s.state.calendar.mode, Mode::Agenda, "Enter on +N opens the day");
    let clock = s.state.clock.clone();
    let lines = s.state.calendar.agenda_lines(&clock);
    let wed = chrono::NaiveDate::from_ymd_opt(2026, 3, 11).expect("d");
    let day: Vec<_> = lines.iter().filter(|(d, i)| *d == wed && i.is_some()).collect();
    assert_eq!(day.len(), 12, "10 overlapping, the all-day fair and the daily run");
    assert_eq!(lines[s.state.calendar.selected].0, wed, "the day is selected");
    let screen = s.screen();
    for i in 0..10 {
        assert!(screen.contains(&format!("Overlap {i}")), "{screen}");
    }
    // Only mine, then the team's again.
    s.keys("o");
    let mine = s.state.calendar.agenda_lines(&clock);
    let titles: Vec<String> = mine
        .iter()
        .filter_map(|(_, i)| i.as_ref().map(|i| i.3.clone()))
        .collect();
    assert!(
        titles
            .iter()
            .all(|t| !t.contains("Overlap 7") && !t.contains("Trade fair")),
        "{titles:?}"
    );
    assert!(titles.iter().any(|t| t.contains("Overlap 3")));
    assert!(s.screen().contains("Agenda · sara"));
    s.keys("o");
    assert!(s.state.calendar.owner.is_none());
    // t: today in either mode.
    s.keys("] ] t");
    assert_eq!(
        s.state.calendar.week_start,
        chrono::NaiveDate::from_ymd_opt(2026, 3, 9).expect("d")
    );
    let lines = s.state.calendar.agenda_lines(&clock);
    assert_eq!(
        lines[s.state.calendar.selected].0,
        chrono::NaiveDate::from_ymd_opt(2026, 3, 10).expect("d")
    );
    s.keys("w ] t");
    assert_eq!(s.state.calendar.mode, Mode::Week);
    assert_eq!(s.state.calendar.day, 1, "Tuesday");
    assert_eq!(
        s.state.calendar.week_start,
        chrono::NaiveDate::from_ymd_opt(2026, 3, 9).expect("d")
    );
}
