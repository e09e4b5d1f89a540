//! The command registry: one table of every action with its title and where it applies.
//! It feeds the keymap check, the help overlay, the hint bar and the command palette, so
//! no key text is written by hand anywhere else.

use serde::{Deserialize, Serialize};

use super::action::Action;

/// Where a binding applies: the sections of `keymap.toml`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Everywhere, after the view had its chance.
    Global,
    /// The dashboard.
    Dashboard,
    /// The pipeline board.
    Board,
    /// Record lists and search results.
    List,
    /// One record in detail.
    Detail,
    /// The calendar.
    Calendar,
    /// The conflicts inbox.
    Conflicts,
    /// The reports.
    Reports,
    /// A quote open in the quote editor.
    Quote,
    /// The approvals queue.
    Approvals,
    /// An open form.
    Form,
}

impl Scope {
    /// All scopes, in help order.
    pub const ALL: [Self; 11] = [
        Self::Global,
        Self::Dashboard,
        Self::Board,
        Self::List,
        Self::Detail,
        Self::Quote,
        Self::Calendar,
        Self::Conflicts,
        Self::Approvals,
        Self::Reports,
        Self::Form,
    ];

    /// The section name in `keymap.toml`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Global => "global",
            Self::Dashboard => "dashboard",
            Self::Board => "board",
            Self::List => "list",
            Self::Detail => "detail",
            Self::Calendar => "calendar",
            Self::Conflicts => "conflicts",
            Self::Reports => "reports",
            Self::Quote => "quote",
            Self::Approvals => "approvals",
            Self::Form => "form",
        }
    }

    /// Heading in the help overlay.
    #[must_use]
    pub fn title(self) -> &'static str {
        match self {
            Self::Global => "Everywhere",
            Self::Dashboard => "Dashboard",
            Self::Board => "Pipeline board",
            Self::List => "Lists",
            Self::Detail => "Record detail",
            Self::Calendar => "Calendar",
            Self::Conflicts => "Conflicts inbox",
            Self::Reports => "Reports",
            Self::Quote => "Quote editor",
            Self::Approvals => "Approvals queue",
            Self::Form => "Forms",
        }
    }

    /// The scope named `name`.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// One entry of the registry.
#[derive(Clone, Copy, Debug)]
pub struct Command {
    /// What it does.
    pub action: Action,
    /// Short title for hints and the palette.
    pub title: &'static str,
    /// One sentence for the help overlay and the palette.
    pub help: &'static str,
    /// Shown in the hint bar when bound in the current scope.
    pub hint: bool,
}

const fn c(action: Action, title: &'static str, help: &'static str, hint: bool) -> Command {
    Command {
        action,
        title,
        help,
        hint,
    }
}

/// Every command. The order is the palette's and the hint bar's.
pub const COMMANDS: &[Command] = &[
    c(Action::Help, "help", "Show every key and what it does", true),
    c(Action::Palette, "commands", "Open the command palette", true),
    c(Action::Filter, "filter", "Filter the current list (fuzzy)", true),
    c(Action::Search, "search", "Search every record (fuzzy)", false),
    c(Action::Open, "open", "Open the selected record", true),
    c(Action::New, "new", "Create a record here", true),
    c(Action::Edit, "edit", "Edit the selected record", true),
    c(
        Action::StagePrev,
        "stage ←",
        "Move the deal to the previous stage",
        true,
    ),
    c(Action::StageNext, "stage →", "Move the deal to the next stage", true),
    c(
        Action::FilterOwner,
        "owner",
        "Show one owner's deals (cycles through owners)",
        true,
    ),
    c(
        Action::FilterPeriod,
        "period",
        "Show deals closing in a period (cycles)",
        true,
    ),
    c(
        Action::ToggleClosed,
        "closed",
        "Collapse Closed Won/Lost to a count and a sum, or show their deals (toggles)",
        true,
    ),
    c(
        Action::LogCall,
        "log call",
        "Log a call with its outcome and a next step (makes a follow-up task)",
        true,
    ),
    c(
        Action::LogVisit,
        "log visit",
        "Log a visit with its outcome and a next step (makes a follow-up task)",
        false,
    ),
    c(Action::AddNote, "note", "Add a note to the selected record", false),
    c(
        Action::ScheduleMeeting,
        "meeting",
        "Schedule a meeting about the selected record",
        false,
    ),
    c(
        Action::ConvertLead,
        "convert",
        "Convert the selected lead into account, contact and deal",
        false,
    ),
    c(
        Action::MarkDone,
        "done",
        "Mark the selected task done (or open again)",
        true,
    ),
    c(Action::SortNext, "sort", "Sort by the next column", true),
    c(Action::SortReverse, "reverse", "Reverse the sort order", false),
    c(
        Action::NextTab,
        "next tab",
        "Show the next tab of related records",
        true,
    ),
    c(Action::PrevTab, "prev tab", "Show the previous tab", false),
    c(
        Action::ToggleCalendar,
        "agenda/week",
        "Switch between agenda and week view",
        true,
    ),
    c(Action::PrevWeek, "prev week", "Show the previous week", false),
    c(Action::NextWeek, "next week", "Show the next week", false),
    c(Action::Today, "today", "Jump to today", false),
    c(
        Action::KeepMine,
        "keep mine",
        "Resolve the conflict with the value this replica wrote",
        true,
    ),
    c(
        Action::KeepTheirs,
        "keep theirs",
        "Resolve the conflict with the other value",
        true,
    ),
    c(
        Action::ResolveValue,
        "other value",
        "Resolve the conflict by writing another value",
        true,
    ),
    c(
        Action::ToggleSettled,
        "all",
        "Also show resolved and settled conflicts (toggles)",
        true,
    ),
    c(
        Action::ToggleMark,
        "mark",
        "Mark or unmark the conflict; keep mine / keep theirs then resolve every marked one",
        true,
    ),
    c(
        Action::DiscardHeld,
        "discard",
        "Move the held record to the trash (press twice; `outpost trash restore` brings it back)",
        false,
    ),
    c(
        Action::AddLine,
        "add line",
        "Add a line: pick a product by SKU or name",
        true,
    ),
    c(Action::QtyUp, "qty +1", "One more of the selected line", true),
    c(Action::QtyDown, "qty -1", "One fewer of the selected line", false),
    c(Action::LineUp, "line ↑", "Move the selected line up", false),
    c(Action::LineDown, "line ↓", "Move the selected line down", false),
    c(
        Action::EditQuote,
        "edit quote",
        "Edit the quote's header: discount, validity, notes",
        false,
    ),
    c(
        Action::SubmitQuote,
        "ask approval",
        "Ask a manager to approve a discount over your limit",
        false,
    ),
    c(
        Action::SendQuote,
        "send",
        "Mark the quote sent (frozen afterwards)",
        true,
    ),
    c(
        Action::AcceptQuote,
        "accept",
        "The customer accepted: the deal's amount becomes the grand total",
        false,
    ),
    c(
        Action::ReviseQuote,
        "revise",
        "Make the next revision of the quote as a new draft",
        true,
    ),
    c(
        Action::RenderQuote,
        "render",
        "Write the quote as PDF, HTML or Markdown (by the file's extension)",
        true,
    ),
    c(
        Action::ApproveQuote,
        "approve",
        "Approve the selected quote's discount, with a comment",
        true,
    ),
    c(
        Action::RejectQuote,
        "reject",
        "Reject the selected quote's discount, with a comment",
        true,
    ),
    c(
        Action::OrderStatus,
        "order status",
        "An open order: move it to its next status (paid, shipped, delivered, cancelled)",
        false,
    ),
    c(Action::NextField, "next field", "Go to the next field", true),
    c(Action::PrevField, "prev field", "Go to the previous field", false),
    c(Action::Submit, "save", "Check and save the form", true),
    c(Action::OpenEditor, "$EDITOR", "Edit the current field in $EDITOR", true),
    c(
        Action::GotoDashboard,
        "dashboard",
        "Show the dashboard: today, follow-ups, pipeline, forecast",
        false,
    ),
    c(Action::GotoPipeline, "pipeline", "Show the pipeline board", false),
    c(Action::GotoAccounts, "accounts", "Show the accounts list", false),
    c(Action::GotoContacts, "contacts", "Show the contacts list", false),
    c(Action::GotoLeads, "leads", "Show the leads list", false),
    c(
        Action::GotoOpportunities,
        "opportunities",
        "Show the opportunities list",
        false,
    ),
    c(Action::GotoQuotes, "quotes", "Show the quotes list", false),
    c(Action::GotoActivities, "activities", "Show the activities list", false),
    c(
        Action::GotoTerritories,
        "territories",
        "Show the territories list",
        false,
    ),
    c(Action::GotoProducts, "products", "Show the products list", false),
    c(Action::GotoOrders, "orders", "Show the orders list", false),
    c(
        Action::GotoApprovals,
        "approvals",
        "Show the quotes waiting for a manager's approval",
        false,
    ),
    c(Action::GotoCalendar, "calendar", "Show the calendar", false),
    c(
        Action::GotoConflicts,
        "conflicts",
        "Show the conflicts inbox: sync conflicts to decide",
        false,
    ),
    c(
        Action::GotoReports,
        "reports",
        "Show the reports: forecast, funnel, win rate, stale deals, customers, activity",
        false,
    ),
    c(Action::NextView, "next view", "Show the next view", false),
    c(Action::PrevView, "previous view", "Show the previous view", false),
    c(
        Action::Sync,
        "sync",
        "Sync with the server now: send changes, receive everyone else's (in the background)",
        false,
    ),
    c(
        Action::Undo,
        "undo",
        "Undo the last change made in this session (a new write that syncs)",
        true,
    ),
    c(Action::Redo, "redo", "Make the last undone change again", false),
    c(
        Action::Delete,
        "delete",
        "Move the selected record to the trash (asks first; undo brings it back)",
        false,
    ),
    c(Action::Refresh, "refresh", "Reload from the store", false),
    c(
        Action::ToggleTheme,
        "theme",
        "Switch between the dark and light theme",
        false,
    ),
    c(Action::Up, "up", "Move up", false),
    c(Action::Down, "down", "Move down", false),
    c(Action::Left, "left", "Move left", false),
    c(Action::Right, "right", "Move right", false),
    c(Action::PageUp, "page up", "Move a page up", false),
    c(Action::PageDown, "page down", "Move a page down", false),
    c(Action::Top, "top", "Go to the first item", false),
    c(Action::Bottom, "bottom", "Go to the last item", false),
    c(
        Action::Close,
        "close",
        "Close the top layer (popup, filter, detail)",
        true,
    ),
    c(Action::Quit, "quit", "Quit outpost", true),
    c(Action::Noop, "nothing", "Does nothing (use it to unbind a key)", false),
];

/// The registry entry of an action.
#[must_use]
pub fn command(action: Action) -> Option<&'static Command> {
    COMMANDS.iter().find(|c| c.action == action)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_is_registered_once() {
        let source = include_str!("action.rs");
        let variants = source
            .lines()
            .filter(|l| {
                l.starts_with("    ")
                    && !l.starts_with("     ")
                    && l.ends_with(',')
                    && l.trim().chars().all(|c| c.is_ascii_alphanumeric() || c == ',')
            })
            .count();
        assert_eq!(COMMANDS.len(), variants, "a variant of Action is missing from COMMANDS");
        for (i, a) in COMMANDS.iter().enumerate() {
            assert!(
                COMMANDS[i + 1..].iter().all(|b| b.action != a.action),
                "{:?} twice",
                a.action
            );
            assert_eq!(Action::from_name(&a.action.name()), Some(a.action));
        }
    }
}
