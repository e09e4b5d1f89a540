//! A change: what one replica did to one record, as kept in its outbox and carried on
//! the wire.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::{EntityKind, Fields, Hlc, Id, ReplicaId};

/// A recorded change, as kept in the outbox and shipped by sync. On the wire its op's
/// fields sit beside its own (`"op": "set", "field": ...`); it is read in one pass
/// ([`Deserialize`] below).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    /// The replica that made it.
    pub replica: ReplicaId,
    /// Contiguous per replica, from 1; with `replica` the idempotency key.
    pub seq: u64,
    /// Clock of the change.
    pub hlc: Hlc,
    /// Kind of record.
    pub entity: EntityKind,
    /// Record id.
    pub id: Id,
    /// What changed.
    #[serde(flatten)]
    pub op: ChangeOp,
}

/// What a change does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum ChangeOp {
    /// A new record with all its fields.
    Create {
        /// The fields.
        fields: Fields,
    },
    /// One field set; `base` is the clock of the value it replaced.
    Set {
        /// Field name.
        field: String,
        /// New value.
        value: serde_json::Value,
        /// Clock of the replaced value.
        base: Option<Hlc>,
    },
    /// The record went to the trash.
    Delete {
        /// Clock of the tombstone it replaced.
        base: Option<Hlc>,
        /// The clock of every field as the deleting replica saw it, so a replica that
        /// holds a newer edit can tell the edit was concurrent with the delete.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        seen: BTreeMap<String, Hlc>,
    },
    /// The record came back from the trash.
    Restore {
        /// Clock of the tombstone it replaced.
        base: Option<Hlc>,
    },
}

/// The keys of a change on the wire: its own and those of every op.
#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum Key {
    Replica,
    Seq,
    Hlc,
    Entity,
    Id,
    Op,
    Fields,
    Field,
    Value,
    Base,
    Seen,
    #[serde(other)]
    Other,
}

/// The `op` tag.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Tag {
    Create,
    Set,
    Delete,
    Restore,
}

/// Reads a change in one pass over its keys. The derived reading of a flattened,
/// internally tagged op first copies every key and value into serde's buffer and then
/// reads the op from a copy of that: for a first pull of 409k changes, most of the time
/// spent decoding pages. Same keys, same errors for what matters (a missing or
/// unknown `op`, a missing field of the op), unknown keys ignored as before.
impl<'de> Deserialize<'de> for Change {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ChangeVisitor)
    }
}

struct ChangeVisitor;

impl<'de> serde::de::Visitor<'de> for ChangeVisitor {
    type Value = Change;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a change")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Change, A::Error> {
        use serde::de::Error;
        fn once<T, E: Error>(slot: &mut Option<T>, value: T, name: &'static str) -> Result<(), E> {
            if slot.is_some() {
                return Err(E::duplicate_field(name));
            }
            *slot = Some(value);
            Ok(())
        }
        let (mut replica, mut seq, mut hlc, mut entity, mut id, mut tag) = (None, None, None, None, None, None);
        let (mut fields, mut field, mut value, mut base, mut seen) = (None, None, None, None, None);
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Replica => once(&mut replica, map.next_value()?, "replica")?,
                Key::Seq => once(&mut seq, map.next_value()?, "seq")?,
                Key::Hlc => once(&mut hlc, map.next_value()?, "hlc")?,
                Key::Entity => once(&mut entity, map.next_value()?, "entity")?,
                Key::Id => once(&mut id, map.next_value()?, "id")?,
                Key::Op => once(&mut tag, map.next_value::<Tag>()?, "op")?,
                Key::Fields => once(&mut fields, map.next_value::<Fields>()?, "fields")?,
                Key::Field => once(&mut field, map.next_value::<String>()?, "field")?,
                Key::Value => once(&mut value, map.next_value::<serde_json::Value>()?, "value")?,
                Key::Base => once(&mut base, map.next_value::<Option<Hlc>>()?, "base")?,
                Key::Seen => once(&mut seen, map.next_value::<BTreeMap<String, Hlc>>()?, "seen")?,
                Key::Other => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        let base = base.flatten();
        let op = match tag.ok_or_else(|| A::Error::missing_field("op"))? {
            Tag::Create => ChangeOp::Create {
                fields: fields.ok_or_else(|| A::Error::missing_field("fields"))?,
            },
            Tag::Set => ChangeOp::Set {
                field: field.ok_or_else(|| A::Error::missing_field("field"))?,
                value: value.ok_or_else(|| A::Error::missing_field("value"))?,
                base,
            },
            Tag::Delete => ChangeOp::Delete {
                base,
                seen: seen.unwrap_or_default(),
            },
            Tag::Restore => ChangeOp::Restore { base },
        };
        Ok(Change {
            replica: replica.ok_or_else(|| A::Error::missing_field("replica"))?,
            seq: seq.ok_or_else(|| A::Error::missing_field("seq"))?,
            hlc: hlc.ok_or_else(|| A::Error::missing_field("hlc"))?,
            entity: entity.ok_or_else(|| A::Error::missing_field("entity"))?,
            id: id.ok_or_else(|| A::Error::missing_field("id"))?,
            op,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The derived reading this one replaces, kept to compare with.
    #[derive(Deserialize)]
    struct Derived {
        replica: ReplicaId,
        seq: u64,
        hlc: Hlc,
        entity: EntityKind,
        id: Id,
        #[serde(flatten)]
        op: ChangeOp,
    }

    fn both(text: &str) -> (Result<Change, String>, Result<Change, String>) {
        let mine = serde_json::from_str::<Change>(text).map_err(|e| e.to_string());
        let derived = serde_json::from_str::<Derived>(text)
            .map(|d| Change {
                replica: d.replica,
                seq: d.seq,
                hlc: d.hlc,
                entity: d.entity,
                id: d.id,
                op: d.op,
            })
            .map_err(|e| e.to_string());
        (mine, derived)
    }

    /// Every op, keys in any order, unknown keys among them: read as the derived
    /// reading reads them, and written back as read. Malformed changes fail both ways.
    #[test]
    fn a_change_reads_as_the_derived_reading_read_it() {
        let head = r#""replica":"00000000000000aa","seq":7,"hlc":"1700000000000.00000.00000000000000aa","entity":"contact","id":"01a22d9a-1cef-756c-8aee-adb13ceea6f1""#;
        let ops = [
            r#""op":"create","fields":{"first_name":"Ana","tags":["a"],"n":1.5}"#,
            r#""op":"set","field":"title","value":"CEO","base":null"#,
            r#""op":"set","field":"title","value":null,"base":"1700000000000.00001.00000000000000bb""#,
            r#""op":"delete","base":null,"seen":{"title":"1700000000000.00001.00000000000000bb"}"#,
            r#""op":"delete""#,
            r#""op":"restore","base":"1700000000000.00001.00000000000000bb""#,
        ];
        for op in ops {
            for text in [
                format!("{{{head},{op}}}"),
                format!("{{{op},{head},\"later\":{{\"x\":[1]}}}}"),
            ] {
                let (mine, derived) = both(&text);
                let change = mine.unwrap_or_else(|e| panic!("{text}: {e}"));
                assert_eq!(Ok(change.clone()), derived, "{text}");
                let again: Change =
                    serde_json::from_str(&serde_json::to_string(&change).expect("write")).expect("read back");
                assert_eq!(again, change, "{text}");
            }
        }
        for bad in [
            format!("{{{head}}}"),
            format!("{{{head},\"op\":\"rename\"}}"),
            format!("{{{head},\"op\":\"create\"}}"),
            format!("{{{head},\"op\":\"set\",\"value\":1}}"),
            format!("{{{head},\"op\":\"set\",\"field\":\"title\"}}"),
            format!("{{{head},\"op\":\"set\",\"field\":\"a\",\"base\":\"yesterday\"}}"),
            r#"{"op":"restore","seq":1}"#.to_string(),
            format!("{{{head},\"op\":\"delete\",\"seq\":8}}"),
            format!("[{head}]"),
        ] {
            let (mine, derived) = both(&bad);
            assert!(mine.is_err(), "{bad} read as {mine:?}");
            assert!(derived.is_err(), "{bad}: the derived reading read it");
        }
    }
}
