//! The stored record: fields, the clock of each field, the tombstone.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::{Fields, Hlc};

/// Clock key for the record's creation.
pub const CREATED: &str = "_created";
/// Clock key for the tombstone (delete / restore).
pub const DELETED: &str = "_deleted";

/// A record as stored: its fields, the clock of every field, and the tombstone.
///
/// On disk the clocks are compact: one `clock` for the record (its creation) and only
/// the fields whose clock differs; in memory every field has its entry in `clocks`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(from = "Disk")]
pub struct Stored {
    /// Field values.
    pub fields: Fields,
    /// Clock of each field's current value, plus `_created` and `_deleted`.
    pub clocks: BTreeMap<String, Hlc>,
    /// Whether the record is in the trash.
    #[serde(default)]
    pub deleted: bool,
}

/// The on-disk form of [`Stored`], as read.
#[derive(Deserialize)]
struct Disk {
    fields: Fields,
    clock: Hlc,
    #[serde(default)]
    clocks: BTreeMap<String, Hlc>,
    #[serde(default)]
    deleted: bool,
}

/// The on-disk form of [`Stored`], as written: [`Disk`] borrowing the record, so
/// writing one does not copy it.
#[derive(Serialize)]
struct DiskRef<'a> {
    fields: &'a Fields,
    clock: Hlc,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    clocks: BTreeMap<&'a str, Hlc>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    deleted: bool,
}

impl<'a> From<&'a Stored> for DiskRef<'a> {
    fn from(s: &'a Stored) -> Self {
        let clock = s.clocks.get(CREATED).copied().unwrap_or(Hlc::ZERO);
        let clocks = s
            .clocks
            .iter()
            .filter(|(_, c)| **c != clock)
            .map(|(k, c)| (k.as_str(), *c))
            .collect();
        Self {
            fields: &s.fields,
            clock,
            clocks,
            deleted: s.deleted,
        }
    }
}

impl Serialize for Stored {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        DiskRef::from(self).serialize(serializer)
    }
}

impl From<Disk> for Stored {
    fn from(d: Disk) -> Self {
        let mut clocks = d.clocks;
        clocks.entry(CREATED.to_string()).or_insert(d.clock);
        for k in d.fields.keys() {
            if !clocks.contains_key(k) {
                clocks.insert(k.clone(), d.clock);
            }
        }
        Self {
            fields: d.fields,
            clocks,
            deleted: d.deleted,
        }
    }
}

impl Stored {
    /// Reads a record from its stored (JSON) bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// The stored (JSON) bytes of a record.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// When the record was created (UTC), from its creation clock.
    #[must_use]
    pub fn created_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.clocks.get(CREATED).and_then(|c| ms_to_time(c.wall))
    }

    /// When any field last changed (UTC).
    #[must_use]
    pub fn updated_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.clocks.values().max().and_then(|c| ms_to_time(c.wall))
    }

    /// A text field, or "".
    #[must_use]
    pub fn text(&self, field: &str) -> &str {
        self.fields.get(field).and_then(|v| v.as_str()).unwrap_or("")
    }
}

fn ms_to_time(ms: u64) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::from_timestamp_millis(i64::try_from(ms).ok()?)
}

/// One field value of a [`Cells`] decode: text borrowed from the stored bytes where it
/// has no escapes, any other JSON value decoded as a [`serde_json::Value`].
#[derive(Debug, PartialEq)]
pub enum CellValue<'de> {
    /// A JSON string.
    Text(std::borrow::Cow<'de, str>),
    /// Anything else (null, numbers, lists, objects).
    Other(serde_json::Value),
}

/// A stored record read for output, without building [`Stored`]: the values of the
/// fields asked for (by position in the `wanted` list given to [`Cells::decode`]), the
/// creation and last-change clocks exactly as [`Stored::created_at`] and
/// [`Stored::updated_at`] read them, and the tombstone. The other fields are skipped
/// unparsed.
#[derive(Debug, Default)]
pub struct Cells<'de> {
    /// One slot per wanted field; `None` when the record does not hold it.
    pub values: Vec<Option<CellValue<'de>>>,
    /// The clock of `_created`.
    pub created: Option<Hlc>,
    /// The newest clock of any field, `_created` and `_deleted`.
    pub updated: Option<Hlc>,
    /// Whether the record is in the trash.
    pub deleted: bool,
}

impl<'de> Cells<'de> {
    /// Reads `bytes` (a stored record) keeping the fields named in `wanted`.
    pub fn decode(bytes: &'de [u8], wanted: &[&str]) -> Result<Self, serde_json::Error> {
        use serde::de::DeserializeSeed;
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let cells = CellsSeed(wanted).deserialize(&mut de)?;
        de.end()?;
        Ok(cells)
    }

    /// When the record was created (UTC).
    #[must_use]
    pub fn created_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.created.and_then(|c| ms_to_time(c.wall))
    }

    /// When any field last changed (UTC).
    #[must_use]
    pub fn updated_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.updated.and_then(|c| ms_to_time(c.wall))
    }
}

/// A string borrowed from the input when it has no escapes.
struct Text<'de>(std::borrow::Cow<'de, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(std::borrow::Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Text<'de>, E> {
                Ok(Text(std::borrow::Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

impl<'de> Deserialize<'de> for CellValue<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
        use serde_json::Value;
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = CellValue<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a field value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<CellValue<'de>, E> {
                Ok(CellValue::Text(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<CellValue<'de>, E> {
                Ok(CellValue::Text(std::borrow::Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<CellValue<'de>, E> {
                Ok(CellValue::Text(std::borrow::Cow::Owned(v)))
            }
            fn visit_unit<E>(self) -> Result<CellValue<'de>, E> {
                Ok(CellValue::Other(Value::Null))
            }
            fn visit_none<E>(self) -> Result<CellValue<'de>, E> {
                Ok(CellValue::Other(Value::Null))
            }
            fn visit_bool<E>(self, v: bool) -> Result<CellValue<'de>, E> {
                Ok(CellValue::Other(Value::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<CellValue<'de>, E> {
                Ok(CellValue::Other(Value::from(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<CellValue<'de>, E> {
                Ok(CellValue::Other(Value::from(v)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<CellValue<'de>, E> {
                Ok(CellValue::Other(Value::from(v)))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<CellValue<'de>, A::Error> {
                Value::deserialize(SeqAccessDeserializer::new(seq)).map(CellValue::Other)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<CellValue<'de>, A::Error> {
                Value::deserialize(MapAccessDeserializer::new(map)).map(CellValue::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// Reads a record's `fields` object into [`Cells::values`], with the names of all its
/// fields (to know which take the record clock).
struct FieldsSeed<'a, 'w, 'de> {
    wanted: &'w [&'w str],
    values: &'a mut Vec<Option<CellValue<'de>>>,
    names: &'a mut Vec<std::borrow::Cow<'de, str>>,
}

impl<'de> serde::de::DeserializeSeed<'de> for FieldsSeed<'_, '_, 'de> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for FieldsSeed<'_, '_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a record's fields")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(Text(key)) = map.next_key()? {
            match self.wanted.iter().position(|w| *w == key) {
                Some(slot) => self.values[slot] = Some(map.next_value()?),
                None => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
            self.names.push(key);
        }
        Ok(())
    }
}

/// The clock map of the disk form, keys borrowed.
struct ClockList<'de>(Vec<(std::borrow::Cow<'de, str>, Hlc)>);

impl<'de> Deserialize<'de> for ClockList<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = ClockList<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a record's clocks")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<ClockList<'de>, A::Error> {
                let mut out = Vec::new();
                while let Some(Text(key)) = map.next_key()? {
                    let Text(value) = map.next_value()?;
                    let hlc = value.parse().map_err(serde::de::Error::custom)?;
                    // A repeated key: the last one wins, as in a map.
                    out.retain(|(k, _): &(std::borrow::Cow<'de, str>, Hlc)| *k != key);
                    out.push((key, hlc));
                }
                Ok(ClockList(out))
            }
        }
        d.deserialize_map(V)
    }
}

struct CellsSeed<'w>(&'w [&'w str]);

impl<'de> serde::de::DeserializeSeed<'de> for CellsSeed<'_> {
    type Value = Cells<'de>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Cells<'de>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for CellsSeed<'_> {
    type Value = Cells<'de>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a stored record")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Cells<'de>, A::Error> {
        let mut values: Vec<Option<CellValue<'de>>> = std::iter::repeat_with(|| None).take(self.0.len()).collect();
        let mut names = Vec::new();
        let (mut has_fields, mut clock, mut clocks, mut deleted) = (false, None, ClockList(Vec::new()), false);
        while let Some(Text(key)) = map.next_key()? {
            match key.as_ref() {
                "fields" => {
                    values.iter_mut().for_each(|v| *v = None);
                    names.clear();
                    map.next_value_seed(FieldsSeed {
                        wanted: self.0,
                        values: &mut values,
                        names: &mut names,
                    })?;
                    has_fields = true;
                }
                "clock" => {
                    let Text(text) = map.next_value()?;
                    clock = Some(text.parse::<Hlc>().map_err(serde::de::Error::custom)?);
                }
                "clocks" => clocks = map.next_value()?,
                "deleted" => deleted = map.next_value()?,
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        if !has_fields {
            return Err(serde::de::Error::missing_field("fields"));
        }
        let clock = clock.ok_or_else(|| serde::de::Error::missing_field("clock"))?;
        // As `Stored` reads its disk form: the record clock stands for `_created` and for
        // every field without a clock of its own.
        let own = |k: &str| clocks.0.iter().find(|(c, _)| c == k).map(|(_, h)| *h);
        let created = own(CREATED).unwrap_or(clock);
        let takes_record_clock = own(CREATED).is_none() || names.iter().any(|n| own(n).is_none());
        let updated = clocks
            .0
            .iter()
            .map(|(_, h)| *h)
            .chain(takes_record_clock.then_some(clock))
            .max();
        Ok(Cells {
            values,
            created: Some(created),
            updated,
            deleted,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ReplicaId;

    fn hlc(wall: u64) -> Hlc {
        Hlc {
            wall,
            counter: 0,
            replica: ReplicaId(1),
        }
    }

    /// A record is written in its compact form, byte for byte: one `clock`, the clocks
    /// that differ from it, the tombstone only when set.
    #[test]
    fn a_record_is_written_compactly_and_reads_back_the_same() {
        let mut fields = Fields::new();
        fields.insert("name".into(), serde_json::json!("Nordic"));
        fields.insert("city".into(), serde_json::json!("Umeå"));
        let clocks: BTreeMap<String, Hlc> = [
            (CREATED.to_string(), hlc(10)),
            ("name".to_string(), hlc(10)),
            ("city".to_string(), hlc(30)),
        ]
        .into_iter()
        .collect();
        let live = Stored {
            fields,
            clocks,
            deleted: false,
        };
        let (c10, c30) = (
            serde_json::to_string(&hlc(10)).expect("hlc"),
            serde_json::to_string(&hlc(30)).expect("hlc"),
        );
        assert_eq!(
            String::from_utf8(live.encode()).expect("utf-8"),
            format!(r#"{{"fields":{{"name":"Nordic","city":"Umeå"}},"clock":{c10},"clocks":{{"city":{c30}}}}}"#)
        );
        assert_eq!(Stored::decode(&live.encode()).expect("stored"), live);
        let mut trashed = live.clone();
        trashed.deleted = true;
        trashed.clocks.insert("city".into(), hlc(10));
        trashed.clocks.insert(DELETED.into(), hlc(40));
        let c40 = serde_json::to_string(&hlc(40)).expect("hlc");
        assert_eq!(
            String::from_utf8(trashed.encode()).expect("utf-8"),
            format!(
                r#"{{"fields":{{"name":"Nordic","city":"Umeå"}},"clock":{c10},"clocks":{{"_deleted":{c40}}},"deleted":true}}"#
            )
        );
        assert_eq!(Stored::decode(&trashed.encode()).expect("stored"), trashed);
    }

    /// `Cells` reads the clocks as `Stored` does, whichever fields have clocks of their
    /// own, and borrows or decodes the values asked for.
    #[test]
    fn cells_read_the_clocks_and_values_as_stored_does() {
        let mut fields = Fields::new();
        fields.insert("name".into(), serde_json::json!("A \"quoted\" name"));
        fields.insert("emails".into(), serde_json::json!(["a@x.de", "b@x.de"]));
        fields.insert("n".into(), serde_json::json!(3));
        let cases: Vec<BTreeMap<String, Hlc>> = vec![
            [(CREATED.to_string(), hlc(10))].into_iter().collect(),
            [(CREATED.to_string(), hlc(10)), ("name".to_string(), hlc(30))]
                .into_iter()
                .collect(),
            [
                (CREATED.to_string(), hlc(10)),
                ("name".to_string(), hlc(30)),
                ("emails".to_string(), hlc(5)),
                ("n".to_string(), hlc(7)),
                (DELETED.to_string(), hlc(40)),
            ]
            .into_iter()
            .collect(),
        ];
        for clocks in cases {
            let stored = Stored {
                fields: fields.clone(),
                clocks,
                deleted: true,
            };
            let bytes = stored.encode();
            let back = Stored::decode(&bytes).expect("stored");
            let cells = Cells::decode(&bytes, &["emails", "missing", "name", "n"]).expect("cells");
            assert_eq!(cells.created_at(), back.created_at());
            assert_eq!(cells.updated_at(), back.updated_at());
            assert!(cells.deleted);
            assert_eq!(
                cells.values,
                vec![
                    Some(CellValue::Other(serde_json::json!(["a@x.de", "b@x.de"]))),
                    None,
                    Some(CellValue::Text("A \"quoted\" name".into())),
                    Some(CellValue::Other(serde_json::json!(3))),
                ]
            );
        }
        assert!(
            Cells::decode(b"{\"clock\":\"0000000000001.00000.1\"}", &[]).is_err(),
            "no fields"
        );
        assert!(Cells::decode(b"{\"fields\":{}}", &[]).is_err(), "no clock");
    }
}
