//! Key layouts of the index trees. Every index key ends with the 16-byte record id, so a
//! prefix scan lists ids.

use crate::model::entity::Index;
use crate::model::{EntityKind, Id};

/// idx_parent: parent id, child kind tag, child id.
pub fn parent(parent: Id, child_kind: EntityKind, child: Id) -> Vec<u8> {
    let mut k = Vec::with_capacity(33);
    k.extend_from_slice(parent.as_bytes());
    k.push(child_kind.tag());
    k.extend_from_slice(child.as_bytes());
    k
}

/// Prefix of idx_parent for one parent and child kind.
pub fn parent_prefix(parent: Id, child_kind: EntityKind) -> Vec<u8> {
    let mut k = parent.as_bytes().to_vec();
    k.push(child_kind.tag());
    k
}

/// idx_title and the secondary indexes: kind tag, value, 0, id.
pub fn valued(kind: EntityKind, value: &str, id: Id) -> Vec<u8> {
    let mut k = valued_prefix(kind, value);
    k.extend_from_slice(id.as_bytes());
    k
}

/// Prefix for one kind and value.
pub fn valued_prefix(kind: EntityKind, value: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(value.len() + 18);
    k.push(kind.tag());
    k.extend_from_slice(value.as_bytes());
    k.push(0);
    k
}

/// Title keys are case-folded so REF lookups ignore case.
pub fn title_value(title: &str) -> String {
    title.trim().to_lowercase()
}

/// The id at the end of an index key.
pub fn id_of(key: &[u8]) -> Option<Id> {
    key.len().checked_sub(16).and_then(|at| Id::from_slice(&key[at..]))
}

/// The value of an idx_title or secondary index key (kind tag, value, 0, id); `None`
/// for a key too short to be one.
pub fn value_of(key: &[u8]) -> Option<&[u8]> {
    key.len()
        .checked_sub(17)
        .filter(|end| *end >= 1)
        .map(|end| &key[1..end])
}

/// Every index entry of one record version: (tree position, key).
pub fn entries(kind: EntityKind, id: Id, described: &crate::model::entity::Described) -> Vec<(usize, Vec<u8>)> {
    let mut out = Vec::with_capacity(described.links.len() + described.indexes.len() + 1);
    for l in &described.links {
        out.push((super::IDX_PARENT, parent(l.id, kind, id)));
    }
    out.push((super::IDX_TITLE, valued(kind, &title_value(&described.title), id)));
    for (index, value) in &described.indexes {
        out.push((super::index_pos(*index), valued(kind, value, id)));
    }
    out
}

/// The secondary index used for a kind and index, e.g. opportunities by stage.
pub fn secondary(index: Index) -> usize {
    super::index_pos(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valued_key_gives_back_its_value_and_id_and_a_short_key_nothing() {
        let id = Id::new();
        for value in ["Anna Becker", ""] {
            let key = valued(EntityKind::Account, value, id);
            assert_eq!(value_of(&key), Some(value.as_bytes()));
            assert_eq!(id_of(&key), Some(id));
        }
        assert_eq!(value_of(&[EntityKind::Account.tag(); 17]), None);
        assert_eq!(value_of(&[]), None);
    }
}
