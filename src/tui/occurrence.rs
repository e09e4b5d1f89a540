//! Editing or deleting a repeating event asks "this occurrence or the series": the
//! question ([`question`]) and the two forms of "this occurrence" (move it, cancel it),
//! which save through the same `app` calls as `outpost event move` and `outpost event
//! cancel` (an occurrence of its own with `series_id` and `recurrence_id`, or an
//! exception date of the series). "The series" opens the usual edit form or trash
//! confirmation of the event.

use chrono::NaiveDate;

use super::ctx::Ctx;
use super::effect::{Answer, FormRequest, Question};
use super::popups::form::{Field, Form, Target};
use super::widgets::fit;
use crate::model::records::fields;
use crate::model::{EntityKind, Id};
use crate::protocol::ical::local_of;

/// What was asked for on a repeating event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Edit (`e`): move this occurrence, or edit the series.
    Edit,
    /// Delete (`D`): cancel this occurrence, or trash the series.
    Delete,
}

/// Whether event `id` repeats (has a rule).
fn repeats(cx: &Ctx, id: Id) -> bool {
    cx.app
        .record(EntityKind::Event, id)
        .ok()
        .flatten()
        .filter(|s| !s.deleted)
        .and_then(|s| s.fields.get(fields::event::RRULE).cloned())
        .and_then(|v| v.as_str().map(|r| !r.trim().is_empty()))
        .unwrap_or(false)
}

/// The question for `change` on event `id` when it repeats (`day`: the occurrence
/// selected in the calendar, in the event's zone); `None` for an event that does not.
#[must_use]
pub fn question(cx: &Ctx, id: Id, day: Option<NaiveDate>, change: Change) -> Option<Question> {
    if !repeats(cx, id) {
        return None;
    }
    let title = cx.app.title(EntityKind::Event, id);
    let on = day.map(|d| format!(" ({})", d.format("%a %d %b"))).unwrap_or_default();
    let (occurrence, series, verb) = match change {
        Change::Edit => (
            Answer {
                key: 'o',
                label: format!("This occurrence{on}: move it; the series stays"),
                then: FormRequest::MoveOccurrence(id, day),
            },
            Answer {
                key: 's',
                label: "The whole series: edit the event".into(),
                then: FormRequest::Edit(EntityKind::Event, id),
            },
            "Change",
        ),
        Change::Delete => (
            Answer {
                key: 'o',
                label: format!("This occurrence{on}: cancel it; the series stays"),
                then: FormRequest::CancelOccurrence(id, day),
            },
            Answer {
                key: 's',
                label: "The whole series: move the event to the trash".into(),
                then: FormRequest::Trash(EntityKind::Event, id),
            },
            "Delete",
        ),
    };
    Some(Question {
        title: "A repeating event".into(),
        text: fit(&format!("'{title}' repeats. {verb} this occurrence or the series?"), 68),
        answers: vec![occurrence, series],
    })
}

/// The occurrence's day: the one given, else the next from today.
fn day_of(cx: &Ctx, id: Id, day: Option<NaiveDate>) -> Option<NaiveDate> {
    day.or_else(|| cx.app.next_occurrence_day(id, cx.clock.today()).ok().flatten())
}

const ON_HELP: &str = "The day of the occurrence (YYYY-MM-DD, in the event's zone)";

/// The form moving one occurrence: its day, the new start and end (in the event's zone).
#[must_use]
pub fn move_form(cx: &Ctx, id: Id, day: Option<NaiveDate>) -> Form {
    let day = day_of(cx, id, day);
    let on = day.map(|d| d.to_string()).unwrap_or_default();
    let (start, end) = day
        .and_then(|d| cx.app.occurrence(id, &d.to_string()).ok())
        .map(|o| {
            let text = |t| local_of(t, o.tz).format("%Y-%m-%d %H:%M").to_string();
            (text(o.start), text(o.end))
        })
        .unwrap_or_default();
    Form {
        title: fit(
            &format!("Move one occurrence · {}", cx.app.title(EntityKind::Event, id)),
            68,
        ),
        target: Target::MoveOccurrence(id),
        fields: vec![
            Field::new("on", "Occurrence on", None, true, ON_HELP, &on),
            Field::new(
                "start",
                "New start",
                None,
                true,
                "YYYY-MM-DD HH:MM in the event's zone (or +1d, tomorrow 10:00)",
                &start,
            ),
            Field::new(
                "end",
                "New end",
                None,
                false,
                "Left as it is (or empty): the same length as before",
                &end,
            ),
        ],
        focus: 1,
        error: None,
        asking_discard: false,
    }
}

/// The form cancelling one occurrence: its day.
#[must_use]
pub fn cancel_form(cx: &Ctx, id: Id, day: Option<NaiveDate>) -> Form {
    let on = day_of(cx, id, day).map(|d| d.to_string()).unwrap_or_default();
    Form {
        title: fit(
            &format!("Cancel one occurrence · {}", cx.app.title(EntityKind::Event, id)),
            68,
        ),
        target: Target::CancelOccurrence(id),
        fields: vec![Field::new("on", "Occurrence on", None, true, ON_HELP, &on)],
        focus: 0,
        error: None,
        asking_discard: false,
    }
}
