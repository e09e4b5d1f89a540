//! What components ask for. Views and popups own their state and change only it; anything
//! beyond it (open a record, reload after a write, load data, say something, open or
//! close a popup) they return as an [`Effect`], and only `update` applies effects. So no
//! component calls another, and none sees the whole state.

use super::action::Action;
use super::jobs::Job;
use super::journal::Step;
use crate::app::conflicts::ConflictRow;
use crate::model::records::ActivityKind;
use crate::model::{EntityKind, Id};

/// How a status message looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Neutral.
    Info,
    /// Something was saved.
    Success,
    /// Something failed.
    Error,
}

/// A form to open: what it is for (update builds it through `forms`).
#[derive(Clone, Debug, PartialEq)]
pub enum FormRequest {
    /// Create a record of a kind, some fields filled: (json name, text, hidden value).
    Create(EntityKind, Vec<(&'static str, String, Option<String>)>),
    /// Edit a record.
    Edit(EntityKind, Id),
    /// Log an activity of a kind about a record.
    Log(ActivityKind, (EntityKind, Id)),
    /// Add a note about a record.
    Note((EntityKind, Id)),
    /// Schedule a meeting about a record.
    Meeting((EntityKind, Id)),
    /// Convert a lead.
    Convert(Id),
    /// Move a deal to a lost stage, asking why.
    Lose(Id, String),
    /// Move a deal to a won stage: the confirmation.
    Win(Id, String),
    /// Move a record to the trash: the confirmation.
    Trash(EntityKind, Id),
    /// Move one occurrence of a repeating event (its id; the day when known): an
    /// exception of the series, as `outpost event move`.
    MoveOccurrence(Id, Option<chrono::NaiveDate>),
    /// Cancel one occurrence of a repeating event (an exception date), as
    /// `outpost event cancel`.
    CancelOccurrence(Id, Option<chrono::NaiveDate>),
    /// Resolve a conflict with another value.
    Resolve(Box<ConflictRow>),
    /// Add a line for product `1` to quote `0`: quantity, discount, price (the price
    /// book's by default).
    AddLine(Id, Id),
    /// Change a quote line: quantity, unit price, discount, tax, description.
    Line(Id),
    /// Change a quote's header: quote discount, validity, contact, date, notes.
    QuoteHeader(Id),
    /// Write quote `0` to a file (the extension picks PDF, HTML or Markdown).
    Render(Id),
    /// A manager's answer to a quote waiting for approval: approve (`true`) or reject,
    /// with a comment.
    Decide(Id, bool),
    /// Move an order to its next status.
    OrderStatus(Id),
}

/// A picker to open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PickRequest {
    /// A product for a new line on a quote.
    Product(Id),
}

/// One answer of a [`Question`]: its key, what it says, and the form it opens.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    /// The letter that picks it.
    pub key: char,
    /// What it says.
    pub label: String,
    /// The form it opens.
    pub then: FormRequest,
}

/// A question whose answers each open a form ("this occurrence or the series").
#[derive(Clone, Debug, PartialEq)]
pub struct Question {
    /// The panel's title.
    pub title: String,
    /// The question.
    pub text: String,
    /// The answers, in order.
    pub answers: Vec<Answer>,
}

/// A popup to open.
#[derive(Clone, Debug, PartialEq)]
pub enum Layer {
    /// The key overlay.
    Help,
    /// The command palette.
    Palette,
    /// Global search.
    Search,
    /// A form.
    Form(FormRequest),
    /// A fuzzy picker.
    Picker(PickRequest),
    /// A question whose answers open forms.
    Question(Question),
}

/// One thing a component asks `update` to do.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Open a record in detail over the view.
    Open(EntityKind, Id),
    /// Records of these kinds were written: what shows them reloads.
    Changed(Vec<EntityKind>),
    /// A deal moved and the board already shows it moved: as `Changed([Opportunity])`
    /// except that the board keeps its rows.
    DealMoved,
    /// Conflicts were resolved on records of this kind: as `Changed`, and the dashboard's
    /// conflict counts reload too.
    Resolved(Vec<EntityKind>),
    /// Load something (unless it is already loading).
    Load(Job),
    /// Show a message in the status line.
    Say(String, Level),
    /// Open a popup.
    Push(Layer),
    /// Close the top popup.
    Pop,
    /// Close the top record.
    CloseDetail,
    /// A record went to the trash: close it wherever it is open.
    Trashed(EntityKind, Id),
    /// Run an action as if its key was pressed (the palette).
    Run(Action),
    /// Check and save the form on top.
    Submit,
    /// Check one field of the form on top (leaving it).
    Check(usize),
    /// Edit text in `$EDITOR` (the runtime suspends the screen for it).
    Editor(String),
    /// A change was written: it can be undone (the records as they were before it).
    Wrote(Step),
}

/// The effects a component returned, in order.
#[derive(Debug, Default)]
pub struct Effects(pub Vec<Effect>);

impl Effects {
    /// Adds one.
    pub fn push(&mut self, e: Effect) {
        self.0.push(e);
    }

    /// Shows a message.
    pub fn say(&mut self, text: impl Into<String>, level: Level) {
        self.0.push(Effect::Say(text.into(), level));
    }

    /// Opens a record.
    pub fn open(&mut self, kind: EntityKind, id: Id) {
        self.0.push(Effect::Open(kind, id));
    }

    /// Loads something.
    pub fn load(&mut self, job: Job) {
        self.0.push(Effect::Load(job));
    }

    /// Records of `kinds` changed.
    pub fn changed(&mut self, kinds: &[EntityKind]) {
        self.0.push(Effect::Changed(kinds.to_vec()));
    }

    /// Opens a form.
    pub fn form(&mut self, request: FormRequest) {
        self.0.push(Effect::Push(Layer::Form(request)));
    }
}
