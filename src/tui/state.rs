//! The TUI's whole state: which view is shown, the layers over it, each view's state,
//! the status line and the loading work asked for. Changed only by `update`; drawn by
//! `ui` without changing it.

use std::sync::Arc;

use super::clock::{Clock, Zone};
use super::commands::Scope;
use super::ctx::Ctx;
pub use super::effect::Level;
use super::jobs::{Job, Ticket};
use super::journal::Journal;
use super::keymap::Keymap;
use super::popups::Popup;
use super::rows::LIST_KINDS;
use super::theme::Theme;
pub use super::view_id::{VIEWS, ViewId};
use super::views::approvals::ApprovalsView;
use super::views::board::BoardView;
use super::views::calendar::CalendarView;
use super::views::conflicts::ConflictsView;
use super::views::dashboard::DashboardView;
use super::views::detail::DetailView;
use super::views::list::ListView;
use super::views::reports::ReportsView;
use crate::app::App;
use crate::model::EntityKind;

/// The status line's right side.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Status {
    /// The last message.
    pub message: Option<(String, Level)>,
    /// Work in progress: label and (done, total) when known.
    pub progress: Option<(String, Option<(usize, usize)>)>,
}

/// A request to edit text in `$EDITOR` (the runtime suspends the screen for it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EditorRequest {
    /// The text to start from.
    pub text: String,
}

/// Options for a new session.
#[derive(Clone, Debug)]
pub struct Options {
    /// The zone times are shown in (now is the app's clock).
    pub zone: Zone,
    /// Keys.
    pub keymap: Keymap,
    /// Colours.
    pub theme: Theme,
    /// `NO_COLOR` was set.
    pub no_color: bool,
    /// Terminal size at start.
    pub size: (u16, u16),
}

/// The state of the TUI.
pub struct State {
    /// The use cases (and through them the store).
    pub app: Arc<App>,
    /// Now and the time zone.
    pub clock: Clock,
    /// Keys.
    pub keymap: Keymap,
    /// Colours.
    pub theme: Theme,
    /// `NO_COLOR` was set.
    pub no_color: bool,
    /// The view shown.
    pub view: ViewId,
    /// Records opened over the view (last on top).
    pub details: Vec<DetailView>,
    /// Popups (last on top).
    pub popups: Vec<Popup>,
    /// The dashboard.
    pub dashboard: DashboardView,
    /// The pipeline board.
    pub board: BoardView,
    /// One list per kind in [`LIST_KINDS`] order.
    pub lists: Vec<ListView>,
    /// The calendar.
    pub calendar: CalendarView,
    /// The conflicts inbox.
    pub conflicts: ConflictsView,
    /// The reports.
    pub reports: ReportsView,
    /// The approvals queue.
    pub approvals: ApprovalsView,
    /// Message and progress.
    pub status: Status,
    /// Loading asked for and not yet handed to the runner.
    pub jobs: Vec<Job>,
    /// Loading handed to the runner, not yet back.
    pub running: Vec<Ticket>,
    /// Jobs started so far (the next job's generation).
    pub started: u64,
    /// The first generation started after the last write: results of older jobs are
    /// outdated.
    pub fresh_from: u64,
    /// Text waiting to be edited in `$EDITOR`.
    pub editor: Option<EditorRequest>,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    /// Set when the user quits.
    pub quit: bool,
    /// This session's changes, for undo and redo.
    pub journal: Journal,
    /// When this session last started a sync (`sync_every` counts from it).
    pub sync_started: Option<chrono::DateTime<chrono::Utc>>,
    /// Runs CLI commands sent by other processes while this TUI holds the store.
    pub remote: Option<super::remote::Handler>,
    /// While the global search is open over a list or the reports: a picture of the
    /// screen behind it, drawn in place of the view, whose data is freed meanwhile. The
    /// search's index of every record (about 50 MB at 100k contacts) beside a 100k-row
    /// list (30-46 MB) went past the 150 MB of issue 13; the data loads again when the
    /// search closes.
    pub backdrop: Option<ratatui::buffer::Buffer>,
}

impl State {
    /// A new session showing the dashboard (its loading is queued).
    #[must_use]
    pub fn new(app: Arc<App>, options: Options) -> Self {
        let clock = Clock::new(app.clock().clone(), options.zone);
        let today = clock.today();
        let mut st = Self {
            app,
            clock,
            keymap: options.keymap,
            theme: options.theme,
            no_color: options.no_color,
            view: ViewId::Dashboard,
            details: Vec::new(),
            popups: Vec::new(),
            dashboard: DashboardView::default(),
            board: BoardView::default(),
            lists: LIST_KINDS.iter().map(|k| ListView::new(*k)).collect(),
            calendar: CalendarView::new(today),
            conflicts: ConflictsView::default(),
            reports: ReportsView::default(),
            approvals: ApprovalsView::default(),
            status: Status::default(),
            jobs: Vec::new(),
            running: Vec::new(),
            started: 0,
            fresh_from: 0,
            editor: None,
            size: options.size,
            quit: false,
            journal: Journal::default(),
            sync_started: None,
            remote: None,
            backdrop: None,
        };
        st.request(Job::Dashboard);
        st.request(Job::Reach);
        st
    }

    /// Asks for a job unless it is already asked for, or running and started after the
    /// last write.
    pub fn request(&mut self, job: Job) {
        let running = self
            .running
            .iter()
            .any(|t| t.job == job && t.generation >= self.fresh_from);
        if !self.jobs.contains(&job) && !running {
            self.jobs.push(job);
        }
    }

    /// Takes the jobs to run, each stamped with the next generation, remembering them as
    /// running.
    pub fn take_jobs(&mut self) -> Vec<Ticket> {
        let jobs = std::mem::take(&mut self.jobs);
        let tickets: Vec<Ticket> = jobs
            .into_iter()
            .map(|job| {
                let generation = self.started;
                self.started += 1;
                Ticket { job, generation }
            })
            .collect();
        self.running.extend(tickets.iter().cloned());
        tickets
    }

    /// After a write: every job running now read the store before it, so its result is
    /// outdated; the same jobs are asked for again.
    pub fn outdate_running(&mut self) {
        self.fresh_from = self.started;
        let again: Vec<Job> = self
            .running
            .iter()
            .map(|t| t.job.clone())
            .filter(|j| !matches!(j, Job::Sync | Job::Reach))
            // The view behind the search loads when the search closes.
            .filter(|j| self.backdrop.is_none() || !j.fills_a_view())
            .collect();
        for job in again {
            self.request(job);
        }
    }

    /// Whether a result of `ticket` is outdated by a write made after it started.
    #[must_use]
    pub fn outdated(&self, ticket: &Ticket) -> bool {
        ticket.generation < self.fresh_from
    }

    /// The list of `kind`.
    #[must_use]
    pub fn list(&self, kind: EntityKind) -> Option<&ListView> {
        self.lists.iter().find(|l| l.kind == kind)
    }

    /// The list of `kind`, to change.
    pub fn list_mut(&mut self, kind: EntityKind) -> Option<&mut ListView> {
        self.lists.iter_mut().find(|l| l.kind == kind)
    }

    /// Shows a message in the status line.
    pub fn say(&mut self, text: impl Into<String>, level: Level) {
        self.status.message = Some((text.into(), level));
    }

    /// Rows available to a scrolling body (screen minus tabs, status and frame).
    #[must_use]
    pub fn page(&self) -> usize {
        self.ctx().page()
    }

    /// What components may read besides their own state.
    #[must_use]
    pub fn ctx(&self) -> Ctx<'_> {
        Ctx {
            app: &self.app,
            clock: &self.clock,
            keymap: &self.keymap,
            theme: &self.theme,
            size: self.size,
        }
    }

    /// The keymap section for the current layer.
    #[must_use]
    pub fn scope(&self) -> Scope {
        if matches!(self.popups.last(), Some(Popup::Form(_))) {
            return Scope::Form;
        }
        if let Some(d) = self.details.last() {
            return if d.quote.is_some() { Scope::Quote } else { Scope::Detail };
        }
        match self.view {
            ViewId::Dashboard => Scope::Dashboard,
            ViewId::Pipeline => Scope::Board,
            ViewId::List(_) => Scope::List,
            ViewId::Calendar => Scope::Calendar,
            ViewId::Conflicts => Scope::Conflicts,
            ViewId::Reports => Scope::Reports,
            ViewId::Approvals => Scope::Approvals,
        }
    }
}
