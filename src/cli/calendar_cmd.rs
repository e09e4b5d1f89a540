//! `outpost agenda`: event occurrences and open tasks in a window, in the user's zone.

use chrono::{Duration, Local, NaiveDate, TimeZone};
use clap::Args;

use crate::app::App;
use crate::app::calendar::AgendaItem;
use crate::app::export::Format;

/// `outpost agenda`.
#[derive(Args, Debug)]
#[command(
    long_about = "Event occurrences (recurring events expanded, without their exception dates; a \
moved occurrence at its new time) and open tasks due in a window of days, in the local time zone \
(TZ).\n\nJSON fields: type (event or task), id; events: event_id, title, start and end (ISO 8601 \
with the local offset, e.g. 2026-03-02T09:00:00+01:00), all_day, location, account_name, owner, \
recurring; tasks: activity_id, title, due (YYYY-MM-DD), owner, about.",
    after_help = "Examples:
  outpost agenda                         today and the next 6 days
  outpost agenda --days 1 --mine         my day
  outpost agenda --from 2026-03-01 --days 31 --owner sara --format json"
)]
pub struct AgendaArgs {
    /// How many days, from --from.
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..=3660))]
    pub days: u32,
    /// First day: YYYY-MM-DD, today, tomorrow, +3d [default: today].
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Only what the logged-in user (or `owner` in config.toml) owns.
    #[arg(long, conflicts_with = "owner")]
    pub mine: bool,
    /// Only what this user owns (login, display name or e-mail).
    #[arg(long, value_name = "U")]
    pub owner: Option<String>,
}

/// Runs `outpost agenda`.
pub fn agenda(app: &App, args: &AgendaArgs, format: Format) -> anyhow::Result<()> {
    let now = app.clock().now();
    let today = now.with_timezone(&Local).date_naive();
    let first: NaiveDate = match &args.from {
        Some(text) => crate::app::input::parse_date(text, today)
            .map_err(|m| crate::app::AppError::Invalid(format!("--from: {m}")))?,
        None => today,
    };
    let last = first + Duration::days(i64::from(args.days) - 1);
    let owner = if args.mine {
        Some(app.me()?)
    } else {
        args.owner
            .as_deref()
            .map(|o| app.resolve_owner(o, "--owner"))
            .transpose()?
    };
    let from = crate::model::recur::local_instant(&Local, first.and_time(chrono::NaiveTime::MIN));
    let to = crate::model::recur::local_instant(&Local, (last + Duration::days(1)).and_time(chrono::NaiveTime::MIN));
    let items = app.agenda_items(from, to, (first, last), owner.as_deref(), &Local)?;
    let json: Vec<serde_json::Value> = items.iter().map(|i| i.to_json(&Local)).collect();
    let rows: Vec<Vec<String>> = items.iter().map(row).collect();
    super::report_cmd::emit(
        format,
        &["WHEN", "END", "TYPE", "TITLE", "WHERE / ABOUT", "OWNER", "ID"],
        &rows,
        &json,
    )
}

fn row(item: &AgendaItem) -> Vec<String> {
    match item {
        AgendaItem::Event(a) => {
            let start = a.start.with_timezone(&Local);
            let end = a.end.with_timezone(&Local);
            let (when, until) = if a.all_day {
                (start.format("%Y-%m-%d").to_string(), "all day".to_string())
            } else if start.date_naive() == end.date_naive() {
                (
                    start.format("%Y-%m-%d %a %H:%M").to_string(),
                    end.format("%H:%M").to_string(),
                )
            } else {
                (
                    start.format("%Y-%m-%d %a %H:%M").to_string(),
                    end.format("%Y-%m-%d %H:%M").to_string(),
                )
            };
            let place = [a.location.as_str(), a.account.as_str()]
                .iter()
                .filter(|s| !s.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(" · ");
            vec![
                when,
                until,
                if a.recurring { "event ↻" } else { "event" }.to_string(),
                a.title.clone(),
                place,
                a.owner.clone().unwrap_or_default(),
                a.id.to_string(),
            ]
        }
        AgendaItem::Task {
            id,
            subject,
            due,
            owner,
            about,
        } => vec![
            Local
                .from_local_datetime(&due.and_time(chrono::NaiveTime::MIN))
                .earliest()
                .map_or_else(|| due.to_string(), |d| d.format("%Y-%m-%d %a").to_string()),
            "due".to_string(),
            "task".to_string(),
            subject.clone(),
            about.clone(),
            owner.clone().unwrap_or_default(),
            id.to_string(),
        ],
    }
}
