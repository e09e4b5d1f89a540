//! Reading: by id, id prefix, title, parent and secondary index; scans; the outbox.

use super::{Change, IDX_PARENT, IDX_TITLE, Store, StoreError, Stored, keys};
use crate::model::entity::Index;
use crate::model::{EntityKind, Id};

impl Store {
    /// One record by id (including trashed ones).
    pub fn get(&self, kind: EntityKind, id: Id) -> Result<Option<Stored>, StoreError> {
        match self.entity_tree(kind).get(id.as_bytes())? {
            None => Ok(None),
            Some(bytes) => super::decode(&bytes).map(Some),
        }
    }

    /// Every record of a kind, in id (creation) order, trashed ones included.
    pub fn scan(&self, kind: EntityKind) -> impl Iterator<Item = Result<(Id, Stored), StoreError>> + '_ {
        self.entity_tree(kind).iter().map(|item| {
            let (k, v) = item?;
            let id = Id::from_slice(&k).ok_or_else(|| StoreError::Corrupt("record key".into()))?;
            Ok((id, super::decode(&v)?))
        })
    }

    /// Every record of a kind as stored bytes, in id order, trashed ones included: for
    /// reading many records with a decoder of their own (`protocol::record::Cells`).
    pub(crate) fn scan_bytes(
        &self,
        kind: EntityKind,
    ) -> impl Iterator<Item = Result<(Id, sled::IVec), StoreError>> + '_ {
        self.entity_tree(kind).iter().map(|item| {
            let (k, v) = item?;
            let id = Id::from_slice(&k).ok_or_else(|| StoreError::Corrupt("record key".into()))?;
            Ok((id, v))
        })
    }

    /// Every live (not trashed) record of a kind.
    pub fn live(&self, kind: EntityKind) -> impl Iterator<Item = Result<(Id, Stored), StoreError>> + '_ {
        self.scan(kind).filter(|r| !matches!(r, Ok((_, s)) if s.deleted))
    }

    /// Whether the store holds no record of any kind (trashed ones count).
    #[must_use]
    pub fn has_no_records(&self) -> bool {
        EntityKind::ALL.iter().all(|k| self.entity_tree(*k).is_empty())
    }

    /// How many records of a kind exist (trashed ones included). sled counts by walking
    /// the whole tree (100k records: tens of milliseconds): see [`Store::count_at_most`].
    #[must_use]
    pub fn count(&self, kind: EntityKind) -> usize {
        self.entity_tree(kind).len()
    }

    /// [`Store::count`], walking no further than `limit` records: "more than N?" in
    /// time proportional to N.
    #[must_use]
    pub fn count_at_most(&self, kind: EntityKind, limit: usize) -> usize {
        self.entity_tree(kind).iter().keys().take(limit).count()
    }

    /// Ids of a kind whose hex form starts with `prefix` (hyphens ignored).
    pub fn ids_with_prefix(&self, kind: EntityKind, prefix: &str) -> Result<Vec<Id>, StoreError> {
        let hex: String = prefix
            .chars()
            .filter(|c| *c != '-')
            .collect::<String>()
            .to_ascii_lowercase();
        if hex.is_empty() || hex.len() > 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Ok(Vec::new());
        }
        let low = format!("{hex:0<32}");
        let high = format!("{hex:f<32}");
        let parse = |s: &str| u128::from_str_radix(s, 16).map(u128::to_be_bytes);
        let (Ok(low), Ok(high)) = (parse(&low), parse(&high)) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for item in self.entity_tree(kind).range(low..=high) {
            let (k, _) = item?;
            out.extend(Id::from_slice(&k));
        }
        Ok(out)
    }

    /// Live ids of a kind whose title is `title` (ignoring case).
    pub fn ids_by_title(&self, kind: EntityKind, title: &str) -> Result<Vec<Id>, StoreError> {
        self.prefix_ids(IDX_TITLE, &keys::valued_prefix(kind, &keys::title_value(title)))
    }

    /// Live ids of a kind whose title starts with `start` (ignoring case).
    pub fn ids_by_title_prefix(&self, kind: EntityKind, start: &str) -> Result<Vec<Id>, StoreError> {
        let mut prefix = keys::valued_prefix(kind, &keys::title_value(start));
        prefix.pop();
        let mut out = Vec::new();
        for item in self.tree(IDX_TITLE).scan_prefix(&prefix) {
            out.extend(keys::id_of(&item?.0));
        }
        Ok(out)
    }

    /// Live ids of `child_kind` records linked to `parent`.
    pub fn children(&self, parent: Id, child_kind: EntityKind) -> Result<Vec<Id>, StoreError> {
        self.prefix_ids(IDX_PARENT, &keys::parent_prefix(parent, child_kind))
    }

    /// Live ids of a kind with an index value (e.g. opportunities in stage "Proposal").
    pub fn ids_by_index(&self, index: Index, kind: EntityKind, value: &str) -> Result<Vec<Id>, StoreError> {
        self.prefix_ids(keys::secondary(index), &keys::valued_prefix(kind, value))
    }

    /// Live ids of a kind in an index, ordered by value (a packed index, `idx_touch`: in
    /// no order), with the value (e.g. tasks by due date).
    pub fn index_entries(&self, index: Index, kind: EntityKind) -> Result<Vec<(String, Id)>, StoreError> {
        self.index_iter(index, kind).collect()
    }

    /// The distinct values of a kind in an index that keeps one key per entry (not a
    /// packed one), in order, found by seeking past each value's entries rather than
    /// reading them: a handful of reads for the owners of 100k records. `None` while
    /// the indexes are incomplete (a first pull cut short, filled at the next open).
    pub fn index_values(&self, index: Index, kind: EntityKind) -> Result<Option<Vec<String>>, StoreError> {
        let pos = keys::secondary(index);
        // Held so that a fill cannot begin or end meanwhile (`first_pull.rs`).
        let _writing = self.writing();
        if super::is_packed(pos) || self.indexes_to_fill()? {
            return Ok(None);
        }
        let tree = self.tree(pos);
        let mut values = Vec::new();
        let mut from = vec![kind.tag()];
        while let Some(item) = tree.range(from.as_slice()..).next() {
            let (k, _) = item?;
            if k.first() != Some(&kind.tag()) {
                break;
            }
            let Some(value) = keys::value_of(&k) else {
                return Err(StoreError::Corrupt(format!(
                    "{} key of {} bytes",
                    index.tree(),
                    k.len()
                )));
            };
            values.push(String::from_utf8_lossy(value).into_owned());
            // A value holds no 0 (text without control characters,
            // `validate::clean_text`), so (tag, value, 1) sorts after all of its keys
            // and before any longer value it begins.
            from = [&k[..1 + value.len()], &[1]].concat();
        }
        Ok(Some(values))
    }

    /// [`Store::index_entries`] one at a time, for a reader that stops early (tasks due
    /// up to today).
    pub fn index_iter(
        &self,
        index: Index,
        kind: EntityKind,
    ) -> impl Iterator<Item = Result<(String, Id), StoreError>> + '_ {
        let pos = keys::secondary(index);
        let keys: Box<dyn Iterator<Item = Result<Vec<u8>, StoreError>>> = if super::is_packed(pos) {
            Box::new(super::packed::keys(self.tree(pos), vec![kind.tag()]))
        } else {
            Box::new(
                self.tree(pos)
                    .scan_prefix([kind.tag()])
                    .map(|item| item.map(|(k, _)| k.to_vec()).map_err(StoreError::from)),
            )
        };
        keys.filter_map(|item| {
            let k = match item {
                Ok(k) => k,
                Err(e) => return Some(Err(e)),
            };
            let (id, value) = (keys::id_of(&k)?, keys::value_of(&k)?);
            Some(Ok((String::from_utf8_lossy(value).into_owned(), id)))
        })
    }

    fn prefix_ids(&self, tree: usize, prefix: &[u8]) -> Result<Vec<Id>, StoreError> {
        let mut out = Vec::new();
        for item in self.tree(tree).scan_prefix(prefix) {
            let (k, _) = item?;
            if k.len() == prefix.len() + 16 {
                out.extend(keys::id_of(&k));
            }
        }
        Ok(out)
    }

    /// Changes waiting in the outbox, oldest first.
    pub fn outbox(&self) -> impl Iterator<Item = Result<Change, StoreError>> + '_ {
        self.outbox_from_key(sled::IVec::default())
    }

    /// [`Store::outbox`] from the change numbered `from` on.
    pub(crate) fn outbox_from(&self, from: u64) -> impl Iterator<Item = Result<Change, StoreError>> + '_ {
        self.outbox_from_key(sled::IVec::from(&from.to_be_bytes()))
    }

    fn outbox_from_key(&self, from: sled::IVec) -> impl Iterator<Item = Result<Change, StoreError>> + '_ {
        // Bounded by `next_seq`: changes of a staged write after it are not in the
        // outbox yet (see `staged.rs`).
        self.published_outbox_from(from).map(|item| {
            let (_, v) = item?;
            serde_json::from_slice(&v).map_err(|e| StoreError::Corrupt(format!("outbox: {e}")))
        })
    }

    /// Number of changes waiting in the outbox. The outbox holds exactly the changes after
    /// `acked_seq` and before `next_seq` (`verify` checks it), so this is O(1) where
    /// counting the tree would walk every entry.
    #[must_use]
    pub fn outbox_len(&self) -> usize {
        let meta_u64 = |key: &str| -> Option<u64> {
            self.tree(super::META)
                .get(key)
                .ok()
                .flatten()
                .and_then(|v| String::from_utf8_lossy(&v).parse().ok())
        };
        let next = meta_u64(super::meta::K_NEXT_SEQ).unwrap_or(1);
        let acked = meta_u64(super::meta::K_ACKED_SEQ).unwrap_or(0);
        usize::try_from(next.saturating_sub(1).saturating_sub(acked)).unwrap_or(usize::MAX)
    }
}

impl Store {
    /// (case-folded title, id) of every live record of a kind, from the title index.
    pub fn index_entries_titles(&self, kind: EntityKind) -> Result<Vec<(String, Id)>, StoreError> {
        self.first_titles(kind, usize::MAX)
    }

    /// The first `n` of [`Store::index_entries_titles`], reading no further.
    pub fn first_titles(&self, kind: EntityKind, n: usize) -> Result<Vec<(String, Id)>, StoreError> {
        let mut out = Vec::new();
        for item in self.tree(IDX_TITLE).scan_prefix([kind.tag()]) {
            if out.len() >= n {
                break;
            }
            let (k, _) = item?;
            let Some(id) = keys::id_of(&k) else { continue };
            let title = &k[1..k.len().saturating_sub(17)];
            out.push((String::from_utf8_lossy(title).into_owned(), id));
        }
        Ok(out)
    }
}

/// A stored record with only some fields decoded; the clocks are skipped unparsed.
#[derive(serde::Deserialize)]
struct Lean<T> {
    fields: T,
    #[serde(default)]
    deleted: bool,
}

/// A stored record's clocks and field names, its values skipped unparsed (the disk
/// form of `Stored`).
#[derive(serde::Deserialize)]
struct Clocks {
    fields: FieldNames,
    clock: crate::model::Hlc,
    #[serde(default)]
    clocks: std::collections::BTreeMap<String, crate::model::Hlc>,
}

/// The names of a record's fields, the values skipped unparsed.
struct FieldNames(Vec<String>);

impl<'de> serde::Deserialize<'de> for FieldNames {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = FieldNames;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a record's fields")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<FieldNames, A::Error> {
                let mut out = Vec::new();
                while let Some(Key(key)) = map.next_key()? {
                    map.next_value::<serde::de::IgnoredAny>()?;
                    out.push(key.into_owned());
                }
                Ok(FieldNames(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// A record's `fields` object with only the named fields decoded; the others (and the
/// clocks) are skipped unparsed. For reading a few fields named at run time (the search
/// fields of a kind) from many records.
struct Pick<'k>(&'k [&'k str]);

/// An object key, borrowed from the input when it has no escapes.
struct Key<'de>(std::borrow::Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Pick<'_> {
    type Value = crate::model::Fields;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Pick<'_> {
    type Value = crate::model::Fields;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a record's fields")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = crate::model::Fields::new();
        while let Some(Key(key)) = map.next_key()? {
            if self.0.contains(&key.as_ref()) {
                out.insert(key.into_owned(), map.next_value()?);
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(out)
    }
}

/// A stored record read through [`Pick`]: (fields picked, deleted).
struct PickRecord<'k>(Pick<'k>);

impl<'de> serde::de::DeserializeSeed<'de> for PickRecord<'_> {
    type Value = (crate::model::Fields, bool);
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for PickRecord<'_> {
    type Value = (crate::model::Fields, bool);
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a stored record")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut fields, mut deleted) = (None, false);
        while let Some(Key(key)) = map.next_key()? {
            match key.as_ref() {
                "fields" => fields = Some(map.next_value_seed(Pick(self.0.0))?),
                "deleted" => deleted = map.next_value()?,
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok((
            fields.ok_or_else(|| serde::de::Error::missing_field("fields"))?,
            deleted,
        ))
    }
}

impl Store {
    /// Live records of a kind with only the fields `T` declares decoded: much cheaper than
    /// [`Store::live`] when a screen needs a few fields of many records.
    pub fn live_fields<T: serde::de::DeserializeOwned>(
        &self,
        kind: EntityKind,
    ) -> impl Iterator<Item = Result<(Id, T), StoreError>> + '_ {
        self.entity_tree(kind).iter().filter_map(|item| {
            let decoded = item.map_err(StoreError::from).and_then(|(k, v)| {
                let id = Id::from_slice(&k).ok_or_else(|| StoreError::Corrupt("record key".into()))?;
                let lean: Lean<T> =
                    serde_json::from_slice(&v).map_err(|e| StoreError::Corrupt(format!("record: {e}")))?;
                Ok((id, lean))
            });
            match decoded {
                Ok((_, lean)) if lean.deleted => None,
                Ok((id, lean)) => Some(Ok((id, lean.fields))),
                Err(e) => Some(Err(e)),
            }
        })
    }

    /// Live records of a kind with only the fields named in `keys` decoded (the rest,
    /// and the clocks, skipped unparsed): [`Store::live_fields`] for fields named at run
    /// time.
    pub fn live_picked<'a>(
        &'a self,
        kind: EntityKind,
        keys: &'a [&'a str],
    ) -> impl Iterator<Item = Result<(Id, crate::model::Fields), StoreError>> + 'a {
        self.live_picked_in(kind, keys, ..)
    }

    /// [`Store::live_picked`] of the records whose ids fall in `ids` (as key bytes, see
    /// [`Store::middle_id`]).
    pub fn live_picked_in<'a>(
        &'a self,
        kind: EntityKind,
        keys: &'a [&'a str],
        ids: impl std::ops::RangeBounds<[u8; 16]>,
    ) -> impl Iterator<Item = Result<(Id, crate::model::Fields), StoreError>> + 'a {
        use serde::de::DeserializeSeed;
        self.entity_tree(kind).range(ids).filter_map(move |item| {
            let decoded = item.map_err(StoreError::from).and_then(|(k, v)| {
                let id = Id::from_slice(&k).ok_or_else(|| StoreError::Corrupt("record key".into()))?;
                let mut de = serde_json::Deserializer::from_slice(&v);
                let picked = PickRecord(Pick(keys))
                    .deserialize(&mut de)
                    .map_err(|e| StoreError::Corrupt(format!("record: {e}")))?;
                Ok((id, picked))
            });
            match decoded {
                Ok((_, (_, true))) => None,
                Ok((id, (fields, false))) => Some(Ok((id, fields))),
                Err(e) => Some(Err(e)),
            }
        })
    }

    /// The id halfway between the first and the last record of a kind (as a number),
    /// to read the kind in two halves on two threads. Records are keyed by id, and ids
    /// (UUIDv7) are ordered by the time they were made, so these are halves of that
    /// time: even for records made at a steady pace or in one go, uneven for a kind
    /// made in bursts (then one thread reads most, no slower than one thread alone).
    /// `None` for a kind of fewer than two records.
    pub fn middle_id(&self, kind: EntityKind) -> Result<Option<[u8; 16]>, StoreError> {
        let tree = self.entity_tree(kind);
        let number = |key: Option<(sled::IVec, sled::IVec)>| {
            key.and_then(|(k, _)| <[u8; 16]>::try_from(k.as_ref()).ok())
                .map(u128::from_be_bytes)
        };
        let (Some(first), Some(last)) = (number(tree.first()?), number(tree.last()?)) else {
            return Ok(None);
        };
        Ok((last > first).then(|| (first + (last - first) / 2).to_be_bytes()))
    }

    /// As [`Store::live_fields`], collected, in key order, with the decoding spread over
    /// the machine's cores (at most four threads; the records are read in order on this
    /// one): for reading every record of a big kind at once (reports).
    pub fn live_fields_all<T: serde::de::DeserializeOwned + Send>(
        &self,
        kind: EntityKind,
    ) -> Result<Vec<(Id, T)>, StoreError> {
        self.decode_all(kind, |v| {
            let lean: Lean<T> = serde_json::from_slice(v).map_err(|e| StoreError::Corrupt(format!("record: {e}")))?;
            Ok((!lean.deleted).then_some(lean.fields))
        })
    }

    /// [`Store::live_fields_all`] with the clock of every field (and `_created`,
    /// `_deleted`) of each record, as [`Stored::clocks`](super::Stored) holds them, in
    /// the same scan: the clocks are read without decoding the values again. `keep`
    /// names the clocks to keep (`None`: all of them). Each record's fields and clocks
    /// go through `then` as they are decoded, so a caller that keeps less than a map of
    /// clocks per record (the reports: five times per deal) never holds every map at once.
    pub fn live_fields_clocks_all<T: serde::de::DeserializeOwned, U: Send>(
        &self,
        kind: EntityKind,
        keep: Option<&[&str]>,
        then: impl Fn(T, FieldClocks) -> U + Sync,
    ) -> Result<Vec<(Id, U)>, StoreError> {
        self.decode_all(kind, |v| {
            let lean: Lean<T> = serde_json::from_slice(v).map_err(|e| StoreError::Corrupt(format!("record: {e}")))?;
            if lean.deleted {
                return Ok(None);
            }
            let c: Clocks = serde_json::from_slice(v).map_err(|e| StoreError::Corrupt(format!("record: {e}")))?;
            // As `Stored` reads its disk form: the record clock stands for `_created` and
            // every field without a clock of its own.
            let mut clocks = c.clocks;
            clocks
                .entry(crate::protocol::record::CREATED.to_string())
                .or_insert(c.clock);
            for k in c.fields.0 {
                clocks.entry(k).or_insert(c.clock);
            }
            if let Some(keep) = keep {
                clocks.retain(|k, _| keep.contains(&k.as_str()));
            }
            Ok(Some(then(lean.fields, clocks)))
        })
    }

    /// Every record of a kind through `decode` (`None`: left out), in key order: read in
    /// one scan on this thread, decoded on up to four. (Scanning slices of the id range
    /// on several threads was tried: it cost a third more CPU time for the same wall
    /// time on two cores, the threads contending in sled's page cache.)
    fn decode_all<R: Send>(
        &self,
        kind: EntityKind,
        decode: impl Fn(&[u8]) -> Result<Option<R>, StoreError> + Sync,
    ) -> Result<Vec<(Id, R)>, StoreError> {
        let raw: Vec<(sled::IVec, sled::IVec)> = self.entity_tree(kind).iter().collect::<Result<_, _>>()?;
        let threads = std::thread::available_parallelism()
            .map_or(1, std::num::NonZero::get)
            .clamp(1, 4);
        let decode = &decode;
        let part = |part: &[(sled::IVec, sled::IVec)]| -> Result<Vec<(Id, R)>, StoreError> {
            let mut out = Vec::with_capacity(part.len());
            for (k, v) in part {
                let id = Id::from_slice(k).ok_or_else(|| StoreError::Corrupt("record key".into()))?;
                if let Some(r) = decode(v)? {
                    out.push((id, r));
                }
            }
            Ok(out)
        };
        if threads == 1 || raw.len() < 4096 {
            return part(&raw);
        }
        let size = raw.len().div_ceil(threads);
        let parts: Vec<Result<Vec<(Id, R)>, StoreError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = raw.chunks(size).map(|p| scope.spawn(move || part(p))).collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(StoreError::Corrupt("a decoding thread failed".into())))
                })
                .collect()
        });
        let mut out = Vec::with_capacity(raw.len());
        for p in parts {
            out.extend(p?);
        }
        Ok(out)
    }

    /// One record (trashed ones too) with only the fields `T` declares decoded.
    pub fn get_fields<T: serde::de::DeserializeOwned>(
        &self,
        kind: EntityKind,
        id: Id,
    ) -> Result<Option<T>, StoreError> {
        let Some(bytes) = self.entity_tree(kind).get(id.as_bytes())? else {
            return Ok(None);
        };
        let lean: Lean<T> = serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt(format!("record: {e}")))?;
        Ok(Some(lean.fields))
    }
}

/// The clock of each field of a record, with `_created` and `_deleted`.
pub type FieldClocks = std::collections::BTreeMap<String, crate::model::Hlc>;

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::store::Mutation;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Name {
        name: String,
    }

    /// A store with `n` accounts (one commit each, so their clocks differ), the third
    /// one renamed and the fifth one trashed.
    fn accounts(n: usize) -> (tempfile::TempDir, Store, Vec<Id>) {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(dir.path()).expect("open");
        let mut ids = Vec::new();
        for i in 0..n {
            let f = [("name".to_string(), json!(format!("account {i}")))]
                .into_iter()
                .collect();
            let m = Mutation::create(EntityKind::Account, f);
            store.commit(std::slice::from_ref(&m)).expect("create");
            ids.push(m.id);
        }
        let f = [("city".to_string(), json!("Berlin"))].into_iter().collect();
        store
            .commit(&[Mutation::update(EntityKind::Account, ids[2], f)])
            .expect("update");
        store
            .commit(&[Mutation {
                kind: EntityKind::Account,
                id: ids[4],
                op: crate::store::Op::Delete,
            }])
            .expect("delete");
        (dir, store, ids)
    }

    #[test]
    fn reading_all_at_once_gives_what_one_scan_gives() {
        let (_dir, store, _) = accounts(9);
        let all: Vec<(Id, Name)> = store.live_fields_all(EntityKind::Account).expect("all");
        let one: Vec<(Id, Name)> = store
            .live_fields(EntityKind::Account)
            .collect::<Result<_, _>>()
            .expect("one");
        assert_eq!(all, one);
        assert_eq!(all.len(), 8, "the trashed one is left out");
        let both: Vec<(Id, (Name, FieldClocks))> = store
            .live_fields_clocks_all(EntityKind::Account, None, |f, c| (f, c))
            .expect("clocks");
        let some: Vec<(Id, (Name, FieldClocks))> = store
            .live_fields_clocks_all(EntityKind::Account, Some(&["_created", "city"]), |f, c| (f, c))
            .expect("some clocks");
        for ((_, (_, all)), (_, (_, kept))) in both.iter().zip(&some) {
            let wanted: FieldClocks = all
                .iter()
                .filter(|(k, _)| *k == "_created" || *k == "city")
                .map(|(k, c)| (k.clone(), *c))
                .collect();
            assert_eq!(kept, &wanted, "only the clocks asked for, as they are");
        }
        let clocks: Vec<(Id, FieldClocks)> = both.iter().map(|(id, (_, c))| (*id, c.clone())).collect();
        let full: Vec<(Id, std::collections::BTreeMap<String, crate::model::Hlc>)> = store
            .live(EntityKind::Account)
            .map(|r| r.map(|(id, s)| (id, s.clocks)))
            .collect::<Result<_, _>>()
            .expect("full");
        assert_eq!(clocks, full, "the clocks as a full decode has them");
        assert_eq!(both.into_iter().map(|(id, (n, _))| (id, n)).collect::<Vec<_>>(), all);
        assert!(clocks[2].1.contains_key("city") && clocks[2].1["city"] != clocks[2].1["name"]);
    }

    #[test]
    fn an_empty_kind_reads_as_nothing() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(dir.path()).expect("open");
        assert!(
            store
                .live_fields_all::<Name>(EntityKind::Account)
                .expect("all")
                .is_empty()
        );
        assert!(
            store
                .live_fields_clocks_all::<Name, _>(EntityKind::Account, None, |f, c| (f, c))
                .expect("clocks")
                .is_empty()
        );
    }

    #[test]
    fn index_values_are_each_owner_once_in_order_and_only_the_kinds() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(dir.path()).expect("open");
        let owners = ["Anna B", "Anna", "tom", "Anna", "Anna Becker", "Anna B", "Zoë", "Anna"];
        let mut muts: Vec<Mutation> = owners
            .iter()
            .enumerate()
            .map(|(i, owner)| {
                let f = [("name", json!(format!("account {i}"))), ("owner", json!(owner))];
                Mutation::create(
                    EntityKind::Account,
                    f.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
                )
            })
            .collect();
        let lead = [
            ("first_name", json!("Aiko")),
            ("last_name", json!("Ito")),
            ("company", json!("Ito KK")),
            ("owner", json!("Bea")),
        ];
        muts.push(Mutation::create(
            EntityKind::Lead,
            lead.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        ));
        store.commit(&muts).expect("create");
        assert_eq!(
            store.index_values(Index::Owner, EntityKind::Account).expect("values"),
            Some(vec![
                "Anna".into(),
                "Anna B".into(),
                "Anna Becker".into(),
                "Zoë".into(),
                "tom".into()
            ]),
        );
        assert_eq!(
            store.index_values(Index::Owner, EntityKind::Lead).expect("values"),
            Some(vec!["Bea".into()])
        );
        assert_eq!(
            store.index_values(Index::Owner, EntityKind::Contact).expect("values"),
            Some(vec![])
        );
        assert_eq!(
            store.index_values(Index::Touch, EntityKind::Activity).expect("values"),
            None,
            "a packed index keeps no key per entry to seek past"
        );
    }

    #[test]
    fn index_values_are_not_read_while_the_indexes_are_being_filled() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(dir.path()).expect("open");
        store
            .tree(super::super::META)
            .insert(super::super::first_pull::K_INDEXES_TO_FILL, b"1".as_slice())
            .expect("marker");
        assert_eq!(
            store.index_values(Index::Owner, EntityKind::Account).expect("values"),
            None
        );
    }
}
