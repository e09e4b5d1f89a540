//! The TUI calendar with crowded days: overlapping events stay reachable ("+N" in a slot,
//! "+N more" for all-day and out-of-hours events, Enter opens the day in the agenda,
//! where every one is listed), `t` goes to today in both modes, `o` shows only mine or the
//! team's, and recurring events appear on every day they occur.

mod tui_support;
use tui_support as common;

use std::sync::Arc;

use chrono::{Datelike, Duration, TimeZone, Utc};
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

// ---------------------------------------------------------------------------------------
// Editing a repeating event asks "this occurrence or the series" (issue 10, item 8).

use outpost::model::Id;
use outpost::tui::popups::Popup;
use outpost::tui::popups::form::Target;

/// A weekly review on Mondays 09:00 Berlin from 9 March (4 times) and a one-off call.
fn repeating() -> (tempfile::TempDir, Harness, Id) {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = App::open_with_clock(dir.path(), common::clock()).expect("open");
    app.config.owner = Some("sara".into());
    let at = |d: u32, h: u32| {
        common::ZONE
            .with_ymd_and_hms(2026, 3, d, h, 0, 0)
            .single()
            .expect("t")
            .with_timezone(&Utc)
    };
    let review = event(
        "Weekly review",
        at(9, 9),
        "sara",
        &[("rrule", json!("FREQ=WEEKLY;BYDAY=MO;COUNT=4"))],
    );
    let id = review.id;
    app.store_for_tests()
        .commit(&[review, event("One-off call", at(10, 11), "sara", &[])])
        .expect("commit");
    let s = Harness::new(Arc::new(app), common::ZONE, (120, 40));
    (dir, s, id)
}

/// Selects the agenda line of `title` on 2026-03-`day`.
fn select(s: &mut Harness, day: u32, title: &str) {
    let clock = s.state.clock.clone();
    let want = chrono::NaiveDate::from_ymd_opt(2026, 3, day).expect("d");
    let lines = s.state.calendar.agenda_lines(&clock);
    let index = lines
        .iter()
        .position(|(d, i)| *d == want && i.as_ref().is_some_and(|i| i.3.starts_with(title)))
        .unwrap_or_else(|| panic!("{title} on {want}: {lines:?}"));
    while s.state.calendar.selected > index {
        s.keys("k");
    }
    while s.state.calendar.selected < index {
        s.keys("j");
    }
}

fn question_text(s: &Harness) -> String {
    match s.state.popups.last() {
        Some(Popup::Choice(c)) => c.question.text.clone(),
        other => panic!("no question open: {other:?}"),
    }
}

fn form_target(s: &Harness) -> Target {
    match s.state.popups.last() {
        Some(Popup::Form(f)) => f.target.clone(),
        other => panic!("no form open: {other:?}"),
    }
}

fn form_value(s: &Harness, key: &str) -> String {
    match s.state.popups.last() {
        Some(Popup::Form(f)) => f.field(key).map(|f| f.value()).unwrap_or_default(),
        other => panic!("no form open: {other:?}"),
    }
}

fn stored_events(s: &Harness) -> Vec<(Id, serde_json::Value)> {
    let app = s.state.app.clone();
    app.live(EntityKind::Event)
        .map(|r| r.expect("event"))
        .map(|(id, r)| (id, serde_json::Value::Object(r.fields)))
        .collect()
}

#[test]
fn editing_an_occurrence_asks_which_and_this_one_stores_the_clis_exception() {
    let (_dir, mut s, review) = repeating();
    s.keys("9");
    // Edit the occurrence of 16 March: the question, naming the day.
    select(&mut s, 16, "Weekly review");
    s.keys("e");
    let q = question_text(&s);
    assert!(
        q.contains("'Weekly review' repeats") && q.contains("this occurrence or the series"),
        "{q}"
    );
    let screen = s.screen();
    assert!(
        screen.contains("This occurrence (Mon 16 Mar): move it; the series stays"),
        "{screen}"
    );
    assert!(screen.contains("The whole series: edit the event"), "{screen}");
    // Esc: nothing happens.
    s.keys("esc");
    assert!(s.state.popups.is_empty());
    // "This occurrence": the move form, filled with that occurrence.
    s.keys("e o");
    assert_eq!(form_target(&s), Target::MoveOccurrence(review));
    assert_eq!(form_value(&s, "on"), "2026-03-16");
    assert_eq!(form_value(&s, "start"), "2026-03-16 09:00");
    assert_eq!(form_value(&s, "end"), "2026-03-16 10:00");
    s.keys("ctrl-u");
    s.type_text("2026-03-17 15:00");
    s.keys("ctrl-s");
    assert!(s.state.popups.is_empty(), "saved: {:?}", s.state.status);
    // Stored as `outpost event move REVIEW --on 2026-03-16 --to "2026-03-17 15:00"` does:
    // an event of its own with series_id and recurrence_id, the series untouched.
    let events = stored_events(&s);
    let moved: Vec<_> = events
        .iter()
        .filter(|(_, f)| f["series_id"] == json!(review.to_string()))
        .collect();
    assert_eq!(moved.len(), 1, "{events:?}");
    let m = &moved[0].1;
    assert_eq!(m["recurrence_id"], json!("2026-03-16T08:00:00Z"));
    assert_eq!(m["start"], json!("2026-03-17T14:00:00Z"));
    assert_eq!(m["end"], json!("2026-03-17T15:00:00Z"), "the same length");
    assert!(m.get("rrule").is_none_or(serde_json::Value::is_null), "{m}");
    let series = &events.iter().find(|(id, _)| *id == review).expect("series").1;
    assert_eq!(series["rrule"], json!("FREQ=WEEKLY;BYDAY=MO;COUNT=4"));
    assert_eq!(series["start"], json!("2026-03-09T08:00:00Z"));
    // The calendar shows the moved occurrence on the 17th, none on the 16th.
    let clock = s.state.clock.clone();
    let lines = s.state.calendar.agenda_lines(&clock);
    let on = |d: u32| {
        lines
            .iter()
            .filter(|(day, i)| day.day() == d && i.as_ref().is_some_and(|i| i.3.starts_with("Weekly review")))
            .count()
    };
    assert_eq!((on(16), on(17)), (0, 1), "{lines:?}");

    // Delete the 23rd (next week): "this occurrence" cancels it, as `event cancel --on` does.
    s.keys("]");
    select(&mut s, 23, "Weekly review");
    s.keys("D");
    assert!(question_text(&s).contains("Delete this occurrence or the series"));
    s.keys("o");
    assert_eq!(form_target(&s), Target::CancelOccurrence(review));
    assert_eq!(form_value(&s, "on"), "2026-03-23");
    s.keys("enter");
    assert!(s.state.popups.is_empty(), "{:?}", s.state.status);
    let series = stored_events(&s)
        .into_iter()
        .find(|(id, _)| *id == review)
        .expect("series")
        .1;
    assert_eq!(series["exdates"], json!(["2026-03-23"]));
    // u takes the cancellation back.
    s.keys("u");
    let series = stored_events(&s)
        .into_iter()
        .find(|(id, _)| *id == review)
        .expect("series")
        .1;
    assert!(series["exdates"].as_array().is_none_or(Vec::is_empty), "{series}");

    // "The series": the usual edit form of the event, and the usual trash confirmation.
    select(&mut s, 23, "Weekly review");
    s.keys("e s");
    assert_eq!(form_target(&s), Target::Edit(EntityKind::Event, review));
    s.keys("esc");
    if !s.state.popups.is_empty() {
        s.keys("y");
    }
    select(&mut s, 23, "Weekly review");
    s.keys("D s");
    assert_eq!(form_target(&s), Target::Trash(EntityKind::Event, review));
    s.keys("esc");
    assert!(s.state.popups.is_empty());

    // An event that does not repeat is edited without a question.
    s.keys("[");
    select(&mut s, 10, "One-off call");
    s.keys("e");
    assert!(matches!(form_target(&s), Target::Edit(EntityKind::Event, _)));
    s.keys("esc");
}

#[test]
fn from_the_events_detail_the_occurrence_is_the_next_one() {
    let (_dir, mut s, review) = repeating();
    s.keys("9");
    select(&mut s, 9, "Weekly review");
    s.keys("enter");
    assert_eq!(s.state.details.last().map(|d| d.id), Some(review));
    s.keys("e");
    let q = question_text(&s);
    assert!(q.contains("this occurrence or the series"), "{q}");
    s.keys("o");
    // Today is Tuesday 10 March: the next occurrence is Monday the 16th.
    assert_eq!(form_value(&s, "on"), "2026-03-16");
    // A day with no occurrence is refused with the CLI's message, nothing written.
    s.keys("backtab ctrl-u");
    s.type_text("2026-03-18");
    s.keys("ctrl-s");
    assert!(matches!(s.state.popups.last(), Some(Popup::Form(_))), "still open");
    let screen = s.screen();
    assert!(screen.contains("has no occurrence on 2026-03-18"), "{screen}");
    assert_eq!(stored_events(&s).len(), 2, "the review and the call, nothing more");
}

#[test]
fn the_question_on_screen() {
    for (w, h) in [(80, 24), (120, 40)] {
        let (_dir, mut s, _) = repeating();
        s.resize(w, h);
        s.keys("9");
        select(&mut s, 16, "Weekly review");
        s.keys("e");
        common::assert_snapshot(
            &format!("calendar-occurrence-question-{w}x{h}"),
            &common::mask(&s.screen()),
        );
    }
}
