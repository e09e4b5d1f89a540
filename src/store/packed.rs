//! Packed index trees: many index keys in one sled value. sled pays one to two
//! microseconds for every item an iterator yields, whatever its size, so an index a
//! report reads whole (`idx_touch`, one digest per activity: 190k at 100k contacts)
//! keeps its keys in at most 4,096 buckets per kind, chosen by the last bits of the
//! record's id. Logically it is the same set of keys as any index (`keys::entries`);
//! only the storage differs: a bucket's value is its keys, each after its length (u32,
//! little-endian). Reading the whole index is then a few thousand items, and a write
//! rewrites one bucket of a few kilobytes.

use sled::Tree;

use super::StoreError;
use super::write::TreeWrite;

/// The bucket of an index key (kind tag, value, 0, 16-byte id): the kind tag and the
/// id's last 12 bits.
pub(crate) fn bucket(key: &[u8]) -> [u8; 3] {
    let n = key.len();
    match (key.first(), n >= 17) {
        (Some(tag), true) => [*tag, key[n - 2] & 0x0f, key[n - 1]],
        _ => [key.first().copied().unwrap_or(0), 0, 0],
    }
}

/// The keys in a bucket's value (a damaged tail is not read).
fn unpack(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = value;
    std::iter::from_fn(move || {
        let (len, tail) = rest.split_first_chunk::<4>()?;
        let len = usize::try_from(u32::from_le_bytes(*len)).ok()?;
        if tail.len() < len {
            return None;
        }
        let (key, tail) = tail.split_at(len);
        rest = tail;
        Some(key)
    })
}

fn pack(keys: impl Iterator<Item = impl AsRef<[u8]>>) -> Vec<u8> {
    let mut out = Vec::new();
    for k in keys {
        let k = k.as_ref();
        out.extend_from_slice(&u32::try_from(k.len()).unwrap_or(u32::MAX).to_le_bytes());
        out.extend_from_slice(k);
    }
    out
}

/// Adds `key` to its bucket (nothing if it is there).
pub(crate) fn insert<T: TreeWrite>(tree: &T, key: &[u8]) -> Result<(), T::Error> {
    let b = bucket(key);
    let old = tree.get(&b)?;
    let old = old.as_deref().unwrap_or_default();
    if unpack(old).any(|k| k == key) {
        return Ok(());
    }
    let value = pack(unpack(old).chain(std::iter::once(key)));
    tree.insert(&b[..], value)
}

/// Removes `key` from its bucket, and the bucket when it is empty then.
pub(crate) fn remove<T: TreeWrite>(tree: &T, key: &[u8]) -> Result<(), T::Error> {
    let b = bucket(key);
    let Some(old) = tree.get(&b)? else { return Ok(()) };
    if !unpack(&old).any(|k| k == key) {
        return Ok(());
    }
    let value = pack(unpack(&old).filter(|k| *k != key));
    if value.is_empty() {
        tree.remove(&b[..])
    } else {
        tree.insert(&b[..], value)
    }
}

/// Every key of the packed `tree` that starts with `prefix` (a kind tag, or nothing),
/// bucket by bucket: in no particular order.
pub(crate) fn keys(tree: &Tree, prefix: Vec<u8>) -> impl Iterator<Item = Result<Vec<u8>, StoreError>> + '_ {
    tree.scan_prefix(&prefix[..prefix.len().min(1)]).flat_map(move |item| {
        let keys: Vec<Result<Vec<u8>, StoreError>> = match item {
            Ok((_, value)) => unpack(&value)
                .filter(|k| k.starts_with(&prefix))
                .map(|k| Ok(k.to_vec()))
                .collect(),
            Err(e) => vec![Err(e.into())],
        };
        keys
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;

    fn key(tag: u8, value: &str, id: u128) -> Vec<u8> {
        let mut k = vec![tag];
        k.extend_from_slice(value.as_bytes());
        k.push(0);
        k.extend_from_slice(&id.to_be_bytes());
        k
    }

    proptest! {
        /// Any sequence of inserts and removes leaves exactly the keys a plain set would.
        #[test]
        fn a_packed_tree_holds_the_keys_a_set_would(ops in proptest::collection::vec((any::<bool>(), 1u8..3, 0u8..4, 0u128..40), 0..120)) {
            let db = sled::Config::new().temporary(true).open().expect("db");
            let tree = db.open_tree("t").expect("tree");
            let mut model = BTreeSet::new();
            for (add, tag, v, id) in ops {
                let k = key(tag, &"v".repeat(usize::from(v)), id * 4099);
                tree.transaction(|tx| {
                    if add { insert(tx, &k)?; } else { remove(tx, &k)?; }
                    Ok::<_, sled::transaction::ConflictableTransactionError<()>>(())
                }).expect("tx");
                if add { model.insert(k); } else { model.remove(&k); }
            }
            let have: BTreeSet<Vec<u8>> = keys(&tree, Vec::new()).collect::<Result<_, _>>().expect("keys");
            prop_assert_eq!(&have, &model);
            let ones: BTreeSet<Vec<u8>> = keys(&tree, vec![1]).collect::<Result<_, _>>().expect("keys");
            prop_assert_eq!(ones, model.iter().filter(|k| k[0] == 1).cloned().collect::<BTreeSet<_>>());
            prop_assert!(tree.len() <= model.len());
        }
    }
}
