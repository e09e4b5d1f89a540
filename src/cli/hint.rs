//! The CLI's hints for store errors: the store says what is wrong in its own words; the
//! command line adds which command or flag fixes it.

use crate::app::AppError;
use crate::store::StoreError;
use crate::sync::SyncError;

/// The hint to print after an error's text ("" when there is none).
#[must_use]
pub fn for_error(e: &anyhow::Error) -> String {
    let store = e.chain().find_map(|c| {
        c.downcast_ref::<StoreError>()
            .or_else(|| match c.downcast_ref::<AppError>() {
                Some(AppError::Store(s)) => Some(s),
                _ => None,
            })
            .or_else(|| match c.downcast_ref::<SyncError>() {
                Some(SyncError::Store(s)) => Some(s),
                _ => None,
            })
    });
    store.map(for_store).unwrap_or_default()
}

/// The hint for one store error ("" when there is none).
#[must_use]
pub fn for_store(e: &StoreError) -> String {
    match e {
        StoreError::InTrash { id, .. } => format!(" (`outpost trash restore {id}`)"),
        StoreError::NoConflict { .. } => "; see `outpost conflicts list`".into(),
        StoreError::NotEmpty { .. } => " (--data-dir DIR)".into(),
        StoreError::TooNew { .. } => " made with `outpost backup`".into(),
        StoreError::Corrupt(_) => " (`outpost check`)".into(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EntityKind, Id};

    #[test]
    fn the_store_speaks_no_cli_and_the_cli_adds_its_hint() {
        let id = Id::new();
        let e = StoreError::InTrash {
            index: 0,
            kind: EntityKind::Account,
            id,
            field: Some("account_id".into()),
        };
        let text = e.to_string();
        assert_eq!(
            text,
            format!("account_id: account {id} is in the trash; restore it first")
        );
        assert!(!text.contains("outpost") && !text.contains("--"), "{text}");
        let wrapped = anyhow::Error::new(AppError::from(e));
        assert_eq!(for_error(&wrapped), format!(" (`outpost trash restore {id}`)"));
        assert_eq!(AppError::from(StoreError::NoConflict { id: "7".into() }).exit_code(), 3);
    }
}
