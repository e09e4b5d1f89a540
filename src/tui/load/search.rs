//! Loading the global search index: every record's search text (the registry's search
//! fields, as `outpost <kind> list -s` and the list filter match them), from `app`.

use crate::app::{App, AppError};
use crate::model::EntityKind;

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

/// Every searched record with its search text (`app::search`).
pub type Titles = crate::app::search::Index;

/// Reads every record's search text (the registry's search fields of each kind).
pub fn load(app: &App, progress: &mut dyn FnMut(usize, usize)) -> Result<Titles, AppError> {
    app.search_index(&KINDS, progress)
}
