//! Loading the global search index: the names of every record, from the store's title
//! index, so no record is decoded until it is shown.

use crate::app::{App, AppError};
use crate::model::{EntityKind, Id};
use crate::tui::filter::Haystacks;

/// Kinds searched, in this order for equal scores.
pub const KINDS: [EntityKind; 8] = [
    EntityKind::Account,
    EntityKind::Contact,
    EntityKind::Lead,
    EntityKind::Opportunity,
    EntityKind::Quote,
    EntityKind::Event,
    EntityKind::Activity,
    EntityKind::Product,
];

/// The names of every record.
#[derive(Debug, Default)]
pub struct Titles {
    /// (kind, id) of every record.
    pub items: Vec<(EntityKind, Id)>,
    /// Folded names.
    pub hay: Haystacks,
    /// Identity order.
    pub base: Vec<u32>,
}

/// Reads every record's name from the title index.
pub fn load(app: &App, progress: &mut dyn FnMut(usize, usize)) -> Result<Titles, AppError> {
    let mut t = Titles::default();
    for (i, kind) in KINDS.iter().enumerate() {
        for (title, id) in app.titles(*kind)? {
            t.items.push((*kind, id));
            t.hay.push(&format!("{title} {}", kind.name()));
        }
        progress(i + 1, KINDS.len());
    }
    t.base = (0..u32::try_from(t.items.len()).unwrap_or(u32::MAX)).collect();
    Ok(t)
}
