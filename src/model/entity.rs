//! The entity kinds, the [`Record`] trait every entity implements, and dispatch from a
//! kind plus a field map (the store's generic form) to the typed record.

use std::fmt;
use std::str::FromStr;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::Id;
use super::records::{
    Account, Activity, Contact, Event, Lead, Opportunity, Order, Product, Quote, QuoteLine, Territory, User,
};
use super::stage::Pipeline;
use super::validate::Invalid;

/// A record's fields in their stored, JSON form.
pub type Fields = serde_json::Map<String, serde_json::Value>;

/// Every kind of record the store holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    /// A company.
    Account,
    /// A person, usually at an account.
    Contact,
    /// An unqualified prospect.
    Lead,
    /// A potential sale.
    Opportunity,
    /// Something sold, with prices per currency.
    Product,
    /// A priced proposal for an opportunity.
    Quote,
    /// One line of a quote (its own record so concurrent edits both survive).
    QuoteLine,
    /// A call, meeting, visit, e-mail, note or task.
    Activity,
    /// A calendar event.
    Event,
    /// A user of the system (rep, manager, admin).
    User,
    /// A sales territory: members and the rules that place accounts in it.
    Territory,
    /// An order made from an accepted quote.
    Order,
}

/// Calls `$f::<R>(args)` with `R` the record type of `$kind`.
macro_rules! per_kind {
    ($kind:expr, $f:ident($($arg:expr),*)) => {
        match $kind {
            EntityKind::Account => $f::<Account>($($arg),*),
            EntityKind::Contact => $f::<Contact>($($arg),*),
            EntityKind::Lead => $f::<Lead>($($arg),*),
            EntityKind::Opportunity => $f::<Opportunity>($($arg),*),
            EntityKind::Product => $f::<Product>($($arg),*),
            EntityKind::Quote => $f::<Quote>($($arg),*),
            EntityKind::QuoteLine => $f::<QuoteLine>($($arg),*),
            EntityKind::Activity => $f::<Activity>($($arg),*),
            EntityKind::Event => $f::<Event>($($arg),*),
            EntityKind::User => $f::<User>($($arg),*),
            EntityKind::Territory => $f::<Territory>($($arg),*),
            EntityKind::Order => $f::<Order>($($arg),*),
        }
    };
}

impl EntityKind {
    /// All kinds, in the order exports and backups use.
    pub const ALL: [Self; 12] = [
        Self::User,
        Self::Territory,
        Self::Account,
        Self::Contact,
        Self::Lead,
        Self::Opportunity,
        Self::Product,
        Self::Quote,
        Self::QuoteLine,
        Self::Order,
        Self::Activity,
        Self::Event,
    ];

    /// The snake_case name used in trees, JSON and the CLI.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::Contact => "contact",
            Self::Lead => "lead",
            Self::Opportunity => "opportunity",
            Self::Product => "product",
            Self::Quote => "quote",
            Self::QuoteLine => "quote_line",
            Self::Activity => "activity",
            Self::Event => "event",
            Self::User => "user",
            Self::Territory => "territory",
            Self::Order => "order",
        }
    }

    /// Plural for messages ("3 contacts").
    #[must_use]
    pub fn plural(self) -> &'static str {
        match self {
            Self::Account => "accounts",
            Self::Contact => "contacts",
            Self::Lead => "leads",
            Self::Opportunity => "opportunities",
            Self::Product => "products",
            Self::Quote => "quotes",
            Self::QuoteLine => "quote lines",
            Self::Activity => "activities",
            Self::Event => "events",
            Self::User => "users",
            Self::Territory => "territories",
            Self::Order => "orders",
        }
    }

    /// A single byte tag used in index keys.
    #[must_use]
    pub fn tag(self) -> u8 {
        match self {
            Self::Account => 1,
            Self::Contact => 2,
            Self::Lead => 3,
            Self::Opportunity => 4,
            Self::Product => 5,
            Self::Quote => 6,
            Self::QuoteLine => 7,
            Self::Activity => 8,
            Self::Event => 9,
            Self::User => 10,
            Self::Territory => 11,
            Self::Order => 12,
        }
    }

    /// The kind for an index tag.
    #[must_use]
    pub fn from_tag(tag: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.tag() == tag)
    }

    /// Validates and normalises `fields` as a record of this kind. `old` is the record
    /// before this write, if any. Returns the normalised fields and what the store needs
    /// to index them.
    ///
    /// Every kind shares the shape checks of [`EntityKind::check_shape`] (known field
    /// names, no control characters, sizes), so the laptop and the server refuse the same.
    pub fn check(self, fields: &Fields, old: Option<&Fields>, ctx: &Context) -> Result<Checked, Invalid> {
        self.check_shape(fields, false)?;
        per_kind!(self, check(fields, old, ctx))
    }

    /// [`EntityKind::check`] for a record pushed by a client of record schema `schema`:
    /// a field this build does not know is refused, unless the client's schema is newer
    /// than [`SCHEMA`] (then it is a newer client's field: kept, not checked).
    pub fn check_pushed(
        self,
        fields: &Fields,
        old: Option<&Fields>,
        ctx: &Context,
        schema: u32,
    ) -> Result<(), Invalid> {
        let newer = schema > SCHEMA;
        self.check_shape(fields, newer)?;
        if newer {
            let known = self.field_names();
            let only: Fields = fields
                .iter()
                .filter(|(k, _)| known.contains(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            return per_kind!(self, validate_typed(&only, old, ctx));
        }
        per_kind!(self, validate_typed(fields, old, ctx))
    }

    /// The checks every kind shares: field names (known to this kind unless
    /// `unknown_ok`, no control characters), text without control characters, and the
    /// field and record sizes (`model::validate::MAX_FIELD_BYTES`, `MAX_RECORD_BYTES`).
    pub fn check_shape(self, fields: &Fields, unknown_ok: bool) -> Result<(), Invalid> {
        let known = self.field_names();
        for (name, value) in fields {
            super::validate::field_name(name)?;
            if !unknown_ok && !known.iter().any(|k| k == name) {
                return Err(Invalid::new(
                    name,
                    format!("a {} has no field '{name}'; its fields are: {}", self, known.join(", ")),
                ));
            }
            super::validate::field_size(name, value)?;
            super::validate::clean_text(name, value)?;
        }
        super::validate::record_size(fields)
    }

    /// [`EntityKind::check`] without its result: whether the fields pass (the
    /// normalised fields are not built).
    pub fn validate(self, fields: &Fields, old: Option<&Fields>, ctx: &Context) -> Result<(), Invalid> {
        self.check_shape(fields, false)?;
        per_kind!(self, validate_typed(fields, old, ctx))
    }

    /// Reads the indexable parts of stored fields without validating them (used when
    /// removing index entries and by the index check).
    #[must_use]
    pub fn describe(self, fields: &Fields) -> Option<Described> {
        per_kind!(self, describe(fields))
    }

    /// The fields read as this kind's record and written back (defaults filled in,
    /// every field the kind has), without the record's checks and clean-up (`None`
    /// when a value has the wrong type): what [`EntityKind::field_names`] lists.
    #[must_use]
    pub fn normalised(self, fields: &Fields) -> Option<Fields> {
        per_kind!(self, normalised(fields))
    }

    /// The links of stored fields, read without validating them: what
    /// [`EntityKind::describe`] gives as `links`, without normalising the rest (the
    /// sync server reads the links of every pushed create).
    #[must_use]
    pub fn links(self, fields: &Fields) -> Option<Vec<Link>> {
        per_kind!(self, links_of(fields))
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for EntityKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let k = s.trim().to_ascii_lowercase().replace('-', "_");
        let kind = match k.as_str() {
            "account" | "accounts" => Self::Account,
            "contact" | "contacts" => Self::Contact,
            "lead" | "leads" => Self::Lead,
            "opp" | "opps" | "opportunity" | "opportunities" => Self::Opportunity,
            "product" | "products" => Self::Product,
            "quote" | "quotes" => Self::Quote,
            "quote_line" | "quote_lines" | "line" | "lines" => Self::QuoteLine,
            "activity" | "activities" => Self::Activity,
            "event" | "events" => Self::Event,
            "user" | "users" => Self::User,
            "territory" | "territories" => Self::Territory,
            "order" | "orders" => Self::Order,
            _ => {
                return Err(format!(
                    "unknown record kind '{s}'; use one of: accounts, contacts, leads, opps, \
                     products, quotes, quote_lines, orders, activities, events, users, territories"
                ));
            }
        };
        Ok(kind)
    }
}

/// Version of the record schema (the fields of each kind). A push says which schema
/// its client speaks; a server of an older schema keeps a newer client's fields it does
/// not know instead of refusing them (README, "Mixed versions").
pub const SCHEMA: u32 = 1;

/// What checking needs besides the record: configuration, and the time and author of the
/// write being checked (the store sets both for each transaction, from its one clock).
#[derive(Clone, Debug)]
pub struct Context {
    /// The configured pipeline stages.
    pub pipeline: Pipeline,
    /// The time of this write (stage history entries carry it).
    pub now: chrono::DateTime<chrono::Utc>,
    /// Who writes (the configured owner), recorded in stage history entries.
    pub user: Option<String>,
}

impl Default for Context {
    fn default() -> Self {
        Self {
            pipeline: Pipeline::default(),
            now: chrono::DateTime::UNIX_EPOCH,
            user: None,
        }
    }
}

/// Fields merged as a set of entries (union by entry id) rather than last-writer-wins:
/// history that must not be lost under concurrency. Whatever the kind.
#[must_use]
pub fn merges_by_union(field: &str) -> bool {
    field == "stage_history"
}

/// The union of two values of a [`merges_by_union`] field (either may be absent, or in
/// an older form). Commutative, associative and idempotent, so replicas converge.
#[must_use]
pub fn union(field: &str, a: Option<&serde_json::Value>, b: &serde_json::Value) -> serde_json::Value {
    match field {
        "stage_history" => super::records::StageHistory::union(a, b),
        _ => b.clone(),
    }
}

/// A relation from one record to another, named by its `<rel>_id` field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// The field holding the id (`account_id`).
    pub field: &'static str,
    /// The kind it points at.
    pub kind: EntityKind,
    /// The id it points at.
    pub id: Id,
}

/// Secondary indexes beside the by-parent one that links give.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Index {
    /// Opportunity stage.
    Stage,
    /// Record owner.
    Owner,
    /// Opportunity close date.
    Close,
    /// Task due date.
    Due,
    /// What the stale and activity reports read of an activity
    /// ([`crate::model::records::TouchDigest`]), so they need not read the records.
    Touch,
}

impl Index {
    /// All secondary indexes.
    pub const ALL: [Self; 5] = [Self::Stage, Self::Owner, Self::Close, Self::Due, Self::Touch];

    /// The index's tree name.
    #[must_use]
    pub fn tree(self) -> &'static str {
        match self {
            Self::Stage => "idx_stage",
            Self::Owner => "idx_owner",
            Self::Close => "idx_close",
            Self::Due => "idx_due",
            Self::Touch => "idx_touch",
        }
    }
}

/// What a record is linked, indexed and named by, read from its fields.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Described {
    /// Relations to check and index.
    pub links: Vec<Link>,
    /// Secondary index values.
    pub indexes: Vec<(Index, String)>,
    /// The name people refer to the record by.
    pub title: String,
}

/// A record after checking: normalised fields, and what it is linked, indexed and named
/// by (read through it: `checked.links`).
#[derive(Clone, Debug, PartialEq)]
pub struct Checked {
    /// The normalised fields.
    pub fields: Fields,
    /// Links, index values and title.
    pub described: Described,
}

impl std::ops::Deref for Checked {
    type Target = Described;
    fn deref(&self) -> &Described {
        &self.described
    }
}

/// Implemented by every entity.
pub trait Record: Serialize + DeserializeOwned {
    /// Validates and normalises in place. `old` is the record before this write.
    fn check(&mut self, old: Option<&Self>, ctx: &Context) -> Result<(), Invalid>;
    /// Relations to other records.
    fn links(&self) -> Vec<Link>;
    /// Secondary index values.
    fn indexes(&self) -> Vec<(Index, String)> {
        Vec::new()
    }
    /// The name people refer to the record by (also a REF).
    fn title(&self) -> String;
}

fn parse<R: Record>(fields: &Fields) -> Result<R, Invalid> {
    // A null means "not set": the field takes its default and validation speaks for it.
    // The fields are read where they are, not copied first.
    let set = fields
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.as_str(), v));
    R::deserialize(serde::de::value::MapDeserializer::<_, serde_json::Error>::new(set)).map_err(|e| {
        let msg = e.to_string();
        let field = msg
            .split('`')
            .nth(1)
            .filter(|_| msg.contains("missing field") || msg.contains("unknown field"))
            .unwrap_or("record");
        Invalid::new(field, msg.clone())
    })
}

/// The record of `fields`, checked and normalised against `old`.
fn checked<R: Record>(fields: &Fields, old: Option<&Fields>, ctx: &Context) -> Result<R, Invalid> {
    let mut record: R = parse(fields)?;
    let old: Option<R> = old.and_then(|o| parse(o).ok());
    record.check(old.as_ref(), ctx)?;
    Ok(record)
}

fn check<R: Record>(fields: &Fields, old: Option<&Fields>, ctx: &Context) -> Result<Checked, Invalid> {
    let record: R = checked(fields, old, ctx)?;
    Ok(Checked {
        fields: fields_of(&record),
        described: described(&record),
    })
}

fn validate_typed<R: Record>(fields: &Fields, old: Option<&Fields>, ctx: &Context) -> Result<(), Invalid> {
    checked::<R>(fields, old, ctx).map(drop)
}

fn describe<R: Record>(fields: &Fields) -> Option<Described> {
    parse::<R>(fields).ok().map(|r| described(&r))
}

fn normalised<R: Record>(fields: &Fields) -> Option<Fields> {
    parse::<R>(fields).ok().map(|r| fields_of(&r))
}

fn links_of<R: Record>(fields: &Fields) -> Option<Vec<Link>> {
    parse::<R>(fields).ok().map(|r| r.links())
}

/// A record's fields in their stored form. Writing them out costs more than all the
/// rest a check does, so only a write (which stores them) asks for them.
fn fields_of<R: Record>(record: &R) -> Fields {
    match serde_json::to_value(record) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => Fields::new(),
    }
}

fn described<R: Record>(record: &R) -> Described {
    Described {
        links: record.links(),
        indexes: record.indexes(),
        title: record.title(),
    }
}

/// Helper for `links()`: one link if the id is set.
pub(crate) fn link(out: &mut Vec<Link>, field: &'static str, kind: EntityKind, id: Option<Id>) {
    if let Some(id) = id {
        out.push(Link { field, kind, id });
    }
}

impl EntityKind {
    /// Every field a record of this kind stores.
    #[must_use]
    pub fn field_names(self) -> &'static [String] {
        static NAMES: std::sync::OnceLock<Vec<Vec<String>>> = std::sync::OnceLock::new();
        let all = NAMES.get_or_init(|| {
            Self::ALL_BY_TAG
                .iter()
                .map(|k| {
                    k.normalised(&Fields::new())
                        .map(|fields| fields.keys().cloned().collect())
                        .unwrap_or_default()
                })
                .collect()
        });
        &all[usize::from(self.tag() - 1)]
    }

    /// All kinds ordered by [`EntityKind::tag`] (1, 2, ...), the store's tree order.
    pub const ALL_BY_TAG: [Self; 12] = [
        Self::Account,
        Self::Contact,
        Self::Lead,
        Self::Opportunity,
        Self::Product,
        Self::Quote,
        Self::QuoteLine,
        Self::Activity,
        Self::Event,
        Self::User,
        Self::Territory,
        Self::Order,
    ];
}
