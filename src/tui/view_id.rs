//! Which top-level view is shown: the tabs, in order, with their names.

use crate::model::EntityKind;

/// The top-level views, in tab order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewId {
    /// Today, follow-ups, pipeline and forecast.
    Dashboard,
    /// Deals as cards in stage columns.
    Pipeline,
    /// A record list.
    List(EntityKind),
    /// Agenda and week.
    Calendar,
    /// Sync conflicts to decide (not a tab: its key, the palette and the dashboard lead
    /// there).
    Conflicts,
    /// Forecast, funnel and the other reports (not a tab: its key and the palette lead
    /// there).
    Reports,
    /// Quotes waiting for a manager's approval (not a tab: the palette and the
    /// dashboard lead there).
    Approvals,
}

/// Every top-level view, in tab order.
pub const VIEWS: [ViewId; 9] = [
    ViewId::Dashboard,
    ViewId::Pipeline,
    ViewId::List(EntityKind::Account),
    ViewId::List(EntityKind::Contact),
    ViewId::List(EntityKind::Lead),
    ViewId::List(EntityKind::Opportunity),
    ViewId::List(EntityKind::Quote),
    ViewId::List(EntityKind::Activity),
    ViewId::Calendar,
];

impl ViewId {
    /// Name in tabs and the status bar.
    #[must_use]
    pub fn title(self) -> &'static str {
        match self {
            Self::Dashboard => "Dashboard",
            Self::Pipeline => "Pipeline",
            Self::List(kind) => crate::app::kinds::def(kind).tui.title,
            Self::Calendar => "Calendar",
            Self::Conflicts => "Conflicts",
            Self::Reports => "Reports",
            Self::Approvals => "Approvals",
        }
    }

    /// Short name for narrow terminals.
    #[must_use]
    pub fn short(self) -> &'static str {
        match self {
            Self::Dashboard => "Dash",
            Self::Pipeline => "Pipe",
            Self::List(kind) => crate::app::kinds::def(kind).tui.short,
            Self::Calendar => "Cal",
            Self::Conflicts => "Confl",
            Self::Reports => "Rep",
            Self::Approvals => "Appr",
        }
    }
}
