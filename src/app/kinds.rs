//! The record kinds' one definition each: settable fields (from `spec.rs`), relations,
//! title, table columns, child tabs, natural key and search fields. The CLI flags, CSV
//! headers, export columns, `show` children, REF resolution, import matching, the app's
//! titles and the TUI's columns and tabs all read [`def`]. Adding a kind with no special
//! behaviour: its record file in `model/records/`, a `Def` here, one arm in [`def`].
//!
//! This is the only `match` over [`EntityKind`] outside `model` that lists kinds; the
//! definitions live app-side because they name app concepts (CLI flags, view columns such
//! as `account_name`, CSV aliases).

use crate::model::EntityKind;

use super::spec::{self, Spec};

/// The natural key import matches rows by when they have no `id`: an e-mail field
/// (any address in common matches) and name fields (all equal, folded).
#[derive(Clone, Copy, Debug)]
pub struct NaturalKey {
    /// A field holding an e-mail address or a list of them.
    pub emails: Option<&'static str>,
    /// Fields whose folded values together identify the record.
    pub name: &'static [&'static str],
}

/// One record kind's definition.
#[derive(Clone, Copy, Debug)]
pub struct Def {
    /// The kind.
    pub kind: EntityKind,
    /// Settable fields, in display order (flags, CSV headers, forms).
    pub fields: &'static [Spec],
    /// The CLI command (`opp` for opportunities).
    pub cli: &'static str,
    /// Reference fields set by the system (shown with `<rel>_name`, not settable), with
    /// the kind each points at.
    pub derived: &'static [(&'static str, EntityKind)],
    /// Other stored fields the system keeps (neither settable nor shown as references).
    pub system: &'static [&'static str],
    /// Every relation the record stores: (`<rel>_id` field, kind it points at).
    pub links: &'static [(&'static str, EntityKind)],
    /// The fields whose values, joined by a space, are the record's title (also a REF).
    pub title: &'static [&'static str],
    /// The table view: (header, view key).
    pub columns: &'static [(&'static str, &'static str)],
    /// Tabs of related records in the detail view: (kind, tab title).
    pub tabs: &'static [(EntityKind, &'static str)],
    /// How import matches a row without an id; `None`: by id only.
    pub natural_key: Option<NaturalKey>,
    /// The keys of the output row a search looks at (`list -s`, the TUI's filter and
    /// global search; see `app::search`).
    pub search: &'static [&'static str],
}

/// What an activity or event is "about", most telling first (the TUI rows, the
/// dashboard's tasks and the forms' titles name the first one set).
pub const ABOUT: &[(&str, EntityKind)] = &[
    ("account_id", EntityKind::Account),
    ("contact_id", EntityKind::Contact),
    ("opportunity_id", EntityKind::Opportunity),
    ("lead_id", EntityKind::Lead),
];

/// The order `show` lists children in (those linking to the shown record).
const CHILD_ORDER: &[EntityKind] = &[
    EntityKind::Contact,
    EntityKind::Opportunity,
    EntityKind::Quote,
    EntityKind::QuoteLine,
    EntityKind::Activity,
    EntityKind::Event,
    EntityKind::Territory,
    EntityKind::Account,
];

const ACCOUNT: Def = Def {
    cli: "account",
    kind: EntityKind::Account,
    fields: spec::ACCOUNT,
    derived: &[],
    system: &[],
    links: &[("territory_id", EntityKind::Territory)],
    title: &["name"],
    columns: &[
        ("ID", "id"),
        ("NAME", "name"),
        ("INDUSTRY", "industry"),
        ("CITY", "city"),
        ("COUNTRY", "country"),
        ("OWNER", "owner_name"),
    ],
    tabs: &[
        (EntityKind::Contact, "Contacts"),
        (EntityKind::Opportunity, "Deals"),
        (EntityKind::Quote, "Quotes"),
        (EntityKind::Event, "Events"),
    ],
    natural_key: Some(NaturalKey {
        emails: None,
        name: &["name"],
    }),
    search: &["name", "industry", "city", "owner_name"],
};

const CONTACT: Def = Def {
    cli: "contact",
    kind: EntityKind::Contact,
    fields: spec::CONTACT,
    derived: &[],
    system: &[],
    links: &[("account_id", EntityKind::Account)],
    title: &["first_name", "last_name"],
    columns: &[
        ("ID", "id"),
        ("NAME", "person"),
        ("ACCOUNT", "account_name"),
        ("TITLE", "title"),
        ("EMAIL", "first_email"),
        ("PHONE", "first_phone"),
    ],
    tabs: &[(EntityKind::Event, "Events")],
    natural_key: Some(NaturalKey {
        emails: Some("emails"),
        name: &["first_name", "last_name", "account_id"],
    }),
    search: &["first_name", "last_name", "account_name", "title", "emails", "phones"],
};

const LEAD: Def = Def {
    cli: "lead",
    kind: EntityKind::Lead,
    fields: spec::LEAD,
    derived: &[
        ("converted_account_id", EntityKind::Account),
        ("converted_contact_id", EntityKind::Contact),
        ("converted_opportunity_id", EntityKind::Opportunity),
    ],
    system: &[],
    links: &[],
    title: &["first_name", "last_name"],
    columns: &[
        ("ID", "id"),
        ("NAME", "person"),
        ("COMPANY", "company"),
        ("STATUS", "status"),
        ("SOURCE", "source"),
        ("EMAIL", "email"),
    ],
    tabs: &[],
    natural_key: Some(NaturalKey {
        emails: Some("email"),
        name: &["first_name", "last_name", "company"],
    }),
    search: &["first_name", "last_name", "company", "status", "source", "email"],
};

const OPPORTUNITY: Def = Def {
    cli: "opp",
    kind: EntityKind::Opportunity,
    fields: spec::OPPORTUNITY,
    derived: &[],
    system: &["stage_history", "loss_reason"],
    links: &[("account_id", EntityKind::Account)],
    title: &["name"],
    columns: &[
        ("ID", "id"),
        ("NAME", "name"),
        ("ACCOUNT", "account_name"),
        ("STAGE", "stage"),
        ("AMOUNT", "money"),
        ("PROB", "probability"),
        ("CLOSE", "close_date"),
        ("OWNER", "owner_name"),
    ],
    tabs: &[(EntityKind::Quote, "Quotes"), (EntityKind::Event, "Events")],
    natural_key: Some(NaturalKey {
        emails: None,
        name: &["name", "account_id"],
    }),
    search: &["name", "account_name", "stage", "owner_name"],
};

const PRODUCT: Def = Def {
    cli: "product",
    kind: EntityKind::Product,
    fields: spec::PRODUCT,
    derived: &[],
    system: &[],
    links: &[],
    title: &["sku"],
    columns: &[
        ("ID", "id"),
        ("SKU", "sku"),
        ("NAME", "name"),
        ("PRICES", "prices"),
        ("TAX %", "tax_pct"),
    ],
    tabs: &[],
    natural_key: Some(NaturalKey {
        emails: None,
        name: &["sku"],
    }),
    search: &["sku", "name"],
};

const QUOTE: Def = Def {
    cli: "quote",
    kind: EntityKind::Quote,
    fields: spec::QUOTE,
    derived: &[("account_id", EntityKind::Account)],
    system: &[],
    links: &[
        ("opportunity_id", EntityKind::Opportunity),
        ("account_id", EntityKind::Account),
    ],
    title: &["number"],
    columns: &[
        ("ID", "id"),
        ("NUMBER", "number"),
        ("OPPORTUNITY", "opportunity_name"),
        ("ACCOUNT", "account_name"),
        ("STATUS", "status"),
        ("CURRENCY", "currency"),
    ],
    tabs: &[(EntityKind::QuoteLine, "Lines")],
    natural_key: None,
    search: &["number", "opportunity_name", "account_name", "status"],
};

const QUOTE_LINE: Def = Def {
    cli: "quote line",
    kind: EntityKind::QuoteLine,
    fields: spec::QUOTE_LINE,
    derived: &[],
    system: &[],
    links: &[("quote_id", EntityKind::Quote), ("product_id", EntityKind::Product)],
    title: &["description"],
    columns: &[
        ("ID", "id"),
        ("QUOTE", "quote_name"),
        ("DESCRIPTION", "description"),
        ("QTY", "quantity"),
        ("PRICE", "unit_price"),
        ("DISC %", "discount_pct"),
    ],
    tabs: &[],
    natural_key: None,
    search: &["description", "quote_name"],
};

const ACTIVITY: Def = Def {
    cli: "activity",
    kind: EntityKind::Activity,
    fields: spec::ACTIVITY,
    derived: &[],
    system: &[],
    links: ABOUT,
    title: &["subject"],
    columns: &[
        ("ID", "id"),
        ("KIND", "kind"),
        ("DATE", "at_date"),
        ("SUBJECT", "subject"),
        ("ACCOUNT", "account_name"),
        ("DUE", "due"),
        ("DONE", "done"),
    ],
    tabs: &[],
    natural_key: None,
    search: &[
        "kind",
        "subject",
        "account_name",
        "contact_name",
        "opportunity_name",
        "lead_name",
    ],
};

const EVENT: Def = Def {
    cli: "event",
    kind: EntityKind::Event,
    fields: spec::EVENT,
    derived: &[],
    system: &[],
    links: &[
        ("account_id", EntityKind::Account),
        ("contact_id", EntityKind::Contact),
        ("opportunity_id", EntityKind::Opportunity),
    ],
    title: &["title"],
    columns: &[
        ("ID", "id"),
        ("START", "local_start"),
        ("TITLE", "title"),
        ("LOCATION", "location"),
        ("ACCOUNT", "account_name"),
    ],
    tabs: &[],
    natural_key: None,
    search: &["title", "location", "account_name"],
};

const USER: Def = Def {
    cli: "user",
    kind: EntityKind::User,
    fields: spec::USER,
    derived: &[],
    system: &[],
    links: &[],
    title: &["name"],
    columns: &[
        ("ID", "id"),
        ("LOGIN", "login"),
        ("NAME", "name"),
        ("EMAIL", "email"),
        ("ROLE", "role"),
        ("QUOTA", "quota"),
    ],
    tabs: &[],
    natural_key: None,
    search: &["login", "name", "email"],
};

const TERRITORY: Def = Def {
    cli: "territory",
    kind: EntityKind::Territory,
    fields: spec::TERRITORY,
    derived: &[],
    system: &[],
    links: &[("parent_id", EntityKind::Territory)],
    title: &["name"],
    columns: &[
        ("ID", "id"),
        ("NAME", "name"),
        ("PARENT", "parent_name"),
        ("COUNTRIES", "countries"),
        ("POSTCODES", "postcodes"),
        ("INDUSTRIES", "industries"),
        ("MEMBERS", "members"),
    ],
    tabs: &[
        (EntityKind::Account, "Accounts"),
        (EntityKind::Territory, "Territories"),
    ],
    natural_key: Some(NaturalKey {
        emails: None,
        name: &["name"],
    }),
    search: &["name", "parent_name", "countries", "postcodes", "industries", "members"],
};

/// The definition of a kind: the registry's one line per kind.
#[must_use]
pub fn def(kind: EntityKind) -> &'static Def {
    match kind {
        EntityKind::Account => &ACCOUNT,
        EntityKind::Contact => &CONTACT,
        EntityKind::Lead => &LEAD,
        EntityKind::Opportunity => &OPPORTUNITY,
        EntityKind::Product => &PRODUCT,
        EntityKind::Quote => &QUOTE,
        EntityKind::QuoteLine => &QUOTE_LINE,
        EntityKind::Activity => &ACTIVITY,
        EntityKind::Event => &EVENT,
        EntityKind::User => &USER,
        EntityKind::Territory => &TERRITORY,
    }
}

/// The kinds `show` lists under a record of `kind`: those with a relation to it.
#[must_use]
pub fn children(kind: EntityKind) -> Vec<EntityKind> {
    CHILD_ORDER
        .iter()
        .copied()
        .filter(|c| def(*c).links.iter().any(|(_, k)| *k == kind))
        .collect()
}

/// The kind a reference field points at, for any kind (`account_id` -> Account).
#[must_use]
pub fn target(kind: EntityKind, field: &str) -> Option<EntityKind> {
    def(kind).links.iter().find(|(f, _)| *f == field).map(|(_, k)| *k)
}

/// The title of a record from its stored fields (the same text as `Record::title`).
#[must_use]
pub fn title_of(kind: EntityKind, fields: &crate::model::Fields) -> String {
    def(kind)
        .title
        .iter()
        .map(|f| fields.get(*f).and_then(serde_json::Value::as_str).unwrap_or(""))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::spec::Ty;
    use crate::model::Fields;

    /// Each struct's serde fields are exactly its definition's fields: settable (minus
    /// input-only ones), derived references and system fields.
    #[test]
    fn serde_fields_equal_each_definition() {
        for kind in EntityKind::ALL {
            let d = def(kind);
            assert_eq!(d.kind, kind);
            let mut stored: Vec<&str> = kind.field_names().iter().map(String::as_str).collect();
            let mut defined: Vec<&str> = d
                .fields
                .iter()
                .filter(|s| s.ty != Ty::PriceCurrency)
                .map(|s| s.json)
                .chain(d.derived.iter().map(|(f, _)| *f))
                .chain(d.system.iter().copied())
                .collect();
            stored.sort_unstable();
            defined.sort_unstable();
            assert_eq!(stored, defined, "{kind}: serde fields vs definition");
        }
    }

    /// The relations the definition names are the ones the record reports, and every
    /// reference field points where the definition says.
    #[test]
    fn links_and_refs_agree_with_the_records() {
        for kind in EntityKind::ALL {
            let d = def(kind);
            for s in d.fields {
                if let Ty::Ref(k) = s.ty {
                    assert_eq!(target(kind, s.json), Some(k), "{kind}.{}", s.json);
                }
            }
            // A record with every link field set reports exactly the defined links.
            let mut fields = Fields::new();
            for (f, _) in d.links {
                fields.insert((*f).to_string(), serde_json::json!(crate::model::Id::new().to_string()));
            }
            let checked = kind.describe(&fields).expect("describe");
            let mut got: Vec<(&str, EntityKind)> = checked.links.iter().map(|l| (l.field, l.kind)).collect();
            let mut want: Vec<(&str, EntityKind)> = d.links.to_vec();
            got.sort_unstable();
            want.sort_unstable();
            assert_eq!(got, want, "{kind}: links");
        }
    }

    /// Titles computed from fields equal `Record::title`.
    #[test]
    fn titles_agree_with_the_records() {
        for kind in EntityKind::ALL {
            let mut fields = Fields::new();
            for f in def(kind).title {
                fields.insert((*f).to_string(), serde_json::json!(format!("T-{f}")));
            }
            let checked = kind.describe(&fields).expect("describe");
            assert_eq!(title_of(kind, &checked.fields), checked.title, "{kind}");
        }
    }

    /// The choices offered are the enums' own serde names.
    #[test]
    fn choices_come_from_the_enums() {
        use crate::model::records::{ActivityKind, LeadStatus, QuoteStatus, Role};
        for c in ActivityKind::CHOICES {
            let _: ActivityKind = serde_json::from_value(serde_json::json!(c)).expect("activity kind");
        }
        for c in LeadStatus::CHOICES {
            let _: LeadStatus = serde_json::from_value(serde_json::json!(c)).expect("lead status");
        }
        for c in QuoteStatus::CHOICES {
            let _: QuoteStatus = serde_json::from_value(serde_json::json!(c)).expect("quote status");
        }
        for c in Role::CHOICES {
            let _: Role = serde_json::from_value(serde_json::json!(c)).expect("role");
        }
        assert_eq!(ActivityKind::CHOICES.len(), 6);
        assert_eq!(QuoteStatus::CHOICES.len(), 4);
        assert_eq!(Role::CHOICES.len(), 3);
    }
}
