//! Loading work the UI asks for and never waits on: the runtime runs jobs on a worker
//! thread and feeds the results back as events; tests run them inline.

use chrono::NaiveDate;

use super::clock::Clock;
use super::load::{calendar, detail, quote, reports, search};
use super::rows::{self, ListData};
use crate::app::conflicts::ConflictRow;
use crate::app::dashboard::{Dashboard, Deal};
use crate::app::{App, AppError};
use crate::model::{EntityKind, Id};

/// Something to load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Job {
    /// The dashboard figures.
    Dashboard,
    /// Every deal, for the board.
    Deals,
    /// A record list.
    List(EntityKind),
    /// The first page of a big record list, shown while [`Job::List`] loads the rest.
    ListHead(EntityKind),
    /// Events and tasks from a day, for some days.
    Calendar(NaiveDate, u32),
    /// One record with its related records.
    Detail(EntityKind, Id),
    /// A quote for the quote editor: lines, nets and totals.
    Quote(Id),
    /// The quotes waiting for approval.
    Approvals,
    /// Titles of every record, for global search.
    Titles,
    /// A query of the global search, scored over its index.
    Search(search::Query),
    /// Conflicts: open ones, or all when `true`.
    Conflicts(bool),
    /// Every report.
    Reports,
    /// Sync with the server (`outpost sync`); not a read: never outdated or repeated.
    Sync,
    /// Ask the server whether it answers.
    Reach,
}

impl Job {
    /// Whether the status line shows it while it runs: not a search query, which its
    /// popup shows as searching (the status line would flash at each keystroke).
    #[must_use]
    pub fn in_status_line(&self) -> bool {
        !matches!(self, Self::Search(_))
    }

    /// Whether it loads the data of a list or of the reports, which the global search
    /// frees while it is open over them (`State::backdrop`).
    #[must_use]
    pub fn fills_a_view(&self) -> bool {
        matches!(self, Self::List(_) | Self::ListHead(_) | Self::Reports)
    }

    /// What the status bar says while it runs.
    #[must_use]
    pub fn label(&self) -> String {
        match self {
            Self::Dashboard => "Loading the dashboard".into(),
            Self::Deals => "Loading the pipeline".into(),
            Self::List(k) | Self::ListHead(k) => format!("Loading {}", k.plural()),
            Self::Calendar(..) => "Loading the calendar".into(),
            Self::Detail(k, _) => format!("Loading the {k}"),
            Self::Quote(_) => "Loading the quote".into(),
            Self::Approvals => "Loading the approvals".into(),
            Self::Titles => "Indexing records for search".into(),
            Self::Search(_) => "Searching".into(),
            Self::Conflicts(_) => "Loading conflicts".into(),
            Self::Reports => "Computing the reports".into(),
            Self::Sync => "Syncing".into(),
            Self::Reach => "Checking the server".into(),
        }
    }
}

/// A job handed to the runner, stamped with its generation: the order in which jobs were
/// started. A result from a job started before the last write is outdated and never
/// replaces what a newer job loads (the state stamps jobs as it hands them out).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ticket {
    /// What to load.
    pub job: Job,
    /// When it started, in jobs started so far.
    pub generation: u64,
}

/// What a job produced.
#[derive(Debug)]
pub enum Loaded {
    /// The dashboard.
    Dashboard(Box<Dashboard>),
    /// Deals for the board.
    Deals(Vec<Deal>),
    /// A list.
    List(ListData),
    /// A big list's first page (`None`: the list has none; wait for all of it).
    ListHead(EntityKind, Option<ListData>),
    /// Calendar items.
    Calendar(calendar::CalendarData),
    /// A record in detail.
    Detail(Box<detail::DetailData>),
    /// A quote for the editor.
    Quote(Box<quote::QuoteData>),
    /// The approvals queue.
    Approvals(Vec<quote::ApprovalRow>),
    /// The search index.
    Titles(search::Titles),
    /// What a global search query found (`None`: a newer query superseded it).
    Found(Option<Box<search::Found>>),
    /// Conflicts (all of them when `true`).
    Conflicts(bool, Vec<ConflictRow>),
    /// The reports.
    Reports(Box<reports::ReportsData>),
    /// What a sync did.
    Synced(Box<crate::sync::engine::Report>),
    /// Whether the server answers (`None`: no server set up).
    Reach(Option<bool>),
}

/// [`run`] on a worker thread: its error as text, and a panic of the job (a bug) turned
/// into an error too, so that the TUI goes on and says which job failed instead of
/// losing its worker's answer (the job would look under way forever).
pub fn run_caught(
    app: &App,
    clock: &Clock,
    job: &Job,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Loaded, String> {
    caught(|| run(app, clock, job, progress).map_err(|e| e.to_string()))
}

fn caught(job: impl FnOnce() -> Result<Loaded, String>) -> Result<Loaded, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".into());
        Err(format!(
            "internal error ({what}); the rest of outpost goes on, please report this"
        ))
    })
}

/// Runs a job. `progress(done, total)` is called now and then for long ones.
pub fn run(app: &App, clock: &Clock, job: &Job, progress: &mut dyn FnMut(usize, usize)) -> Result<Loaded, AppError> {
    Ok(match job {
        Job::Dashboard => {
            let today = clock.today();
            let (start, end) = clock.day_bounds(today);
            Loaded::Dashboard(Box::new(app.dashboard(today, start, end)?))
        }
        Job::Deals => Loaded::Deals(app.deals()?),
        Job::List(kind) => Loaded::List(rows::load(app, clock, *kind, progress)?),
        Job::ListHead(kind) => Loaded::ListHead(*kind, rows::load_head(app, clock, *kind)?),
        Job::Calendar(from, days) => Loaded::Calendar(calendar::load(app, clock, *from, *days)?),
        Job::Detail(kind, id) => Loaded::Detail(Box::new(detail::load(app, clock, *kind, *id)?)),
        Job::Quote(id) => Loaded::Quote(Box::new(quote::load(app, *id)?)),
        Job::Approvals => Loaded::Approvals(quote::approvals(app)?),
        Job::Titles => Loaded::Titles(search::load(app, progress)?),
        Job::Search(query) => Loaded::Found(query.run(app).map(Box::new)),
        Job::Conflicts(all) => Loaded::Conflicts(*all, app.conflict_rows(*all)?),
        Job::Reports => Loaded::Reports(Box::new(reports::load(app, clock, progress)?)),
        Job::Sync => {
            let mut report = |p: crate::sync::engine::Progress| match p {
                crate::sync::engine::Progress::Push { done, total } => progress(done, total),
                crate::sync::engine::Progress::Pull { cursor, head } => progress(
                    usize::try_from(cursor).unwrap_or(usize::MAX),
                    usize::try_from(head).unwrap_or(usize::MAX),
                ),
                // The pull's last figure stays until the sync answers.
                crate::sync::engine::Progress::Indexing => {}
            };
            Loaded::Synced(Box::new(
                app.sync(crate::sync::engine::Options::default(), &mut report)?,
            ))
        }
        Job::Reach => Loaded::Reach(app.server_reachable()?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_that_panics_answers_with_an_error_that_says_so() {
        let answer = caught(|| panic!("index out of bounds"));
        let Err(e) = answer else { panic!("{answer:?}") };
        assert!(e.contains("internal error (index out of bounds)"), "{e}");
        let formatted = caught(|| panic!("row {} of {}", 3, 2));
        assert!(matches!(formatted, Err(e) if e.contains("(row 3 of 2)")));
        assert!(matches!(caught(|| Err("no store".into())), Err(e) if e == "no store"));
    }
}
