//! Actions: what a key, the command palette or a test asks the TUI to do. The snake_case
//! names are what users write in `keymap.toml`.

use serde::{Deserialize, Serialize};

/// Everything a user can ask for. Each variant's doc comment is its help text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Quit outpost (from the top level).
    Quit,
    /// Close the top layer: popup, filter, detail.
    Close,
    /// Show every key.
    Help,
    /// Open the command palette.
    Palette,
    /// Filter the current list.
    Filter,
    /// Search every record.
    Search,
    /// Move up.
    Up,
    /// Move down.
    Down,
    /// Move left.
    Left,
    /// Move right.
    Right,
    /// Page up.
    PageUp,
    /// Page down.
    PageDown,
    /// Go to the first item.
    Top,
    /// Go to the last item.
    Bottom,
    /// Open the selected record.
    Open,
    /// Next view.
    NextView,
    /// Previous view.
    PrevView,
    /// Show the dashboard.
    GotoDashboard,
    /// Show the pipeline board.
    GotoPipeline,
    /// Show accounts.
    GotoAccounts,
    /// Show contacts.
    GotoContacts,
    /// Show leads.
    GotoLeads,
    /// Show opportunities.
    GotoOpportunities,
    /// Show quotes.
    GotoQuotes,
    /// Show activities.
    GotoActivities,
    /// Show territories.
    GotoTerritories,
    /// Show products.
    GotoProducts,
    /// Show orders.
    GotoOrders,
    /// Show the calendar.
    GotoCalendar,
    /// Show the conflicts inbox.
    GotoConflicts,
    /// Show the reports.
    GotoReports,
    /// Show the quotes waiting for a manager's approval.
    GotoApprovals,
    /// Sort by the next column.
    SortNext,
    /// Reverse the sort order.
    SortReverse,
    /// Next tab.
    NextTab,
    /// Previous tab.
    PrevTab,
    /// Move the deal to the next stage.
    StageNext,
    /// Move the deal to the previous stage.
    StagePrev,
    /// Show one owner's deals (cycles).
    FilterOwner,
    /// Show deals closing in a period (cycles).
    FilterPeriod,
    /// Collapse or show the closed stages on the board (toggles).
    ToggleClosed,
    /// Switch agenda and week view.
    ToggleCalendar,
    /// Previous week or day range.
    PrevWeek,
    /// Next week or day range.
    NextWeek,
    /// Jump to today.
    Today,
    /// Create a record here.
    New,
    /// Edit the selected record.
    Edit,
    /// Log a call with outcome and next step.
    LogCall,
    /// Log a visit with outcome and next step.
    LogVisit,
    /// Add a note to the selected record.
    AddNote,
    /// Schedule a meeting about the selected record.
    ScheduleMeeting,
    /// Convert the selected lead.
    ConvertLead,
    /// Mark the selected task done (or not).
    MarkDone,
    /// Conflicts: keep the value this replica wrote.
    KeepMine,
    /// Conflicts: keep the other value.
    KeepTheirs,
    /// Conflicts: write another value.
    ResolveValue,
    /// Conflicts: also show resolved and settled ones (toggles).
    ToggleSettled,
    /// Conflicts: mark or unmark the selected one; keep mine / keep theirs then apply
    /// to every marked conflict.
    ToggleMark,
    /// Conflicts: move a held record (one the server never had) to the trash; asks
    /// once more first.
    DiscardHeld,
    /// Quote editor: add a line by picking a product (price from its price book).
    AddLine,
    /// Quote editor: one more of the selected line.
    QtyUp,
    /// Quote editor: one fewer of the selected line.
    QtyDown,
    /// Quote editor: move the selected line up.
    LineUp,
    /// Quote editor: move the selected line down.
    LineDown,
    /// Quote editor: edit the quote's header (discount, validity, notes).
    EditQuote,
    /// Quote editor: ask a manager to approve the quote's discount.
    SubmitQuote,
    /// Quote editor: mark the quote sent (it is frozen afterwards).
    SendQuote,
    /// Quote editor: the customer accepted; the deal's amount becomes the grand total.
    AcceptQuote,
    /// Quote editor: make the next revision as a new draft.
    ReviseQuote,
    /// Quote editor: write the quote as PDF, HTML or Markdown (by the file's extension).
    RenderQuote,
    /// Approvals: approve the selected quote's discount, with a comment.
    ApproveQuote,
    /// Approvals: reject the selected quote's discount, with a comment.
    RejectQuote,
    /// An order in detail: move it to its next status.
    OrderStatus,
    /// Sync with the server now (in the background).
    Sync,
    /// Undo the last change made in this session.
    Undo,
    /// Make the last undone change again.
    Redo,
    /// Move the selected record to the trash (asks first).
    Delete,
    /// Reload from the store.
    Refresh,
    /// Switch between the dark and light theme.
    ToggleTheme,
    /// Form: next field.
    NextField,
    /// Form: previous field.
    PrevField,
    /// Form: save.
    Submit,
    /// Form: edit this field in $EDITOR.
    OpenEditor,
    /// Does nothing (unbinds a key).
    Noop,
}

impl Action {
    /// The snake_case name used in keymap files and the palette.
    #[must_use]
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    /// Parses a snake_case name.
    pub fn from_name(name: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(name.to_string())).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        assert_eq!(Action::StageNext.name(), "stage_next");
        assert_eq!(Action::from_name("goto_pipeline"), Some(Action::GotoPipeline));
        assert_eq!(Action::from_name("fly"), None);
    }
}
