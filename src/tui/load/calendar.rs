//! Loading the calendar: events and open tasks of a range of days.

use chrono::{Duration, NaiveDate};

use crate::app::dashboard::{Agenda, Task};
use crate::app::{App, AppError};
use crate::tui::clock::Clock;

/// Events and tasks of a range of days.
#[derive(Clone, Debug, PartialEq)]
pub struct CalendarData {
    /// First day.
    pub from: NaiveDate,
    /// Events in the range.
    pub events: Vec<Agenda>,
    /// Open tasks due in the range.
    pub tasks: Vec<Task>,
}

/// Loads `days` days from `from`.
pub fn load(app: &App, clock: &Clock, from: NaiveDate, days: u32) -> Result<CalendarData, AppError> {
    let to = from + Duration::days(i64::from(days));
    let (start, _) = clock.day_bounds(from);
    let (end, _) = clock.day_bounds(to);
    let tasks = app
        .open_tasks(to - Duration::days(1))?
        .into_iter()
        .filter(|t| t.due >= from)
        .collect();
    Ok(CalendarData {
        from,
        events: app.agenda(start, end)?,
        tasks,
    })
}
