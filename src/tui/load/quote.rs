//! Loading a quote for the quote editor and the approvals queue. Everything shown comes
//! from `App::quote_doc`: the lines in position order with their nets and the totals by
//! `model::totals`, the one function `quote show`, the documents and orders use.

use rust_decimal::Decimal;

use crate::app::quotes::QuoteDoc;
use crate::app::{App, AppError};
use crate::model::Id;
use crate::model::records::Role;

/// A quote as the editor shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct QuoteData {
    /// The quote's document: header, lines with nets, totals.
    pub doc: QuoteDoc,
    /// This laptop's user's role.
    pub role: Role,
    /// The largest discount that role may give without approval (`None`: no limit).
    pub limit: Option<Decimal>,
}

impl QuoteData {
    /// Whether the quote is sent, accepted, rejected or expired: no edits, only a
    /// revision.
    #[must_use]
    pub fn frozen(&self) -> bool {
        self.doc.status.frozen()
    }
}

/// Loads the quote `id` for the editor.
pub fn load(app: &App, id: Id) -> Result<QuoteData, AppError> {
    let role = app.my_role();
    Ok(QuoteData {
        doc: app.quote_doc(id)?,
        role,
        limit: app.discount_limit(role),
    })
}

/// One quote waiting for approval.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApprovalRow {
    /// The quote.
    pub id: Id,
    /// Its number with revision ("Q-1A2B-0001-R2").
    pub number: String,
    /// The customer.
    pub account: String,
    /// The deal.
    pub opportunity: String,
    /// How many lines it has.
    pub lines: usize,
    /// The largest discount on it, both levels combined.
    pub max_discount: Decimal,
    /// Its grand total.
    pub grand_total: Decimal,
    /// Its currency.
    pub currency: String,
}

/// The quotes waiting for approval (`outpost quote approvals`: `App::approvals`).
pub fn approvals(app: &App) -> Result<Vec<ApprovalRow>, AppError> {
    Ok(app
        .approvals()?
        .into_iter()
        .map(|d| ApprovalRow {
            id: d.id,
            number: d.quote.display_number(),
            account: d.account.clone().unwrap_or_default(),
            opportunity: d.opportunity.clone().unwrap_or_default(),
            lines: d.lines.len(),
            max_discount: d.max_discount,
            grand_total: d.totals.grand_total,
            currency: d.quote.currency.clone(),
        })
        .collect())
}
