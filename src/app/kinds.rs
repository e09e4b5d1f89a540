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
use crate::model::records::fields;

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

/// How a list column sorts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sort {
    /// Text, ignoring case.
    Text,
    /// The row's amount.
    Amount,
}

/// What a cell of a record list or a detail tab shows, read from the stored record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cell {
    /// A field's value as text (lists joined by "; ").
    Field(&'static str),
    /// "First Last".
    Person,
    /// The title of the record a reference field points at.
    Link(&'static str, EntityKind),
    /// The owner's display name.
    Owner,
    /// The first item of a list field.
    First(&'static str),
    /// `amount` in `currency` (also the row's amount, for sorting).
    Money,
    /// A UTC time field in the user's zone ("2026-03-10 15:30"); `raw` shows an
    /// unreadable value as it is instead of leaving the cell empty.
    Local {
        /// The field.
        field: &'static str,
        /// Show an unreadable value as stored.
        raw: bool,
    },
    /// The first record an activity or event is about ([`ABOUT`] order).
    About,
    /// A task's done mark (✓ done, · open); empty for other activities.
    TaskDone,
    /// "a x b" of two fields (a quote line's quantity and price).
    Times(&'static str, &'static str),
    /// The record's title.
    Title,
    /// A yes/no field as "yes" or "no" (`default` when it is not set).
    Flag(&'static str, bool),
}

/// One column of the TUI's list of a kind.
#[derive(Clone, Copy, Debug)]
pub struct ListColumn {
    /// Heading.
    pub title: &'static str,
    /// Share of the width (relative).
    pub width: u16,
    /// How it sorts.
    pub sort: Sort,
    /// Right-aligned (amounts).
    pub right: bool,
    /// Always exactly `width` wide (dates, amounts, flags); other columns share the rest.
    pub fixed: bool,
    /// What it shows.
    pub cell: Cell,
}

const fn col(title: &'static str, width: u16, cell: Cell) -> ListColumn {
    ListColumn {
        title,
        width,
        sort: Sort::Text,
        right: false,
        fixed: false,
        cell,
    }
}

/// A column whose values all have one width (a date, a flag).
const fn fixed(title: &'static str, width: u16, cell: Cell) -> ListColumn {
    let mut c = col(title, width, cell);
    c.fixed = true;
    c
}

const AMOUNT: ListColumn = ListColumn {
    title: "Amount",
    width: 16,
    sort: Sort::Amount,
    right: true,
    fixed: true,
    cell: Cell::Money,
};

/// How the TUI shows a kind: its list (columns, first sort, tab names) and its records'
/// cells in another record's detail tab.
#[derive(Clone, Copy, Debug)]
pub struct Tui {
    /// The list's name in tabs and the status bar.
    pub title: &'static str,
    /// The short name for narrow terminals.
    pub short: &'static str,
    /// The list's columns; empty: the table columns (`Def::columns`), 16 wide each.
    pub list: &'static [ListColumn],
    /// The sort a list starts with: (column, descending).
    pub sort: (usize, bool),
    /// Cells of one of its records in a detail tab.
    pub tab_cells: &'static [Cell],
    /// A detail tab lists its records by the first cell, newest first (else id order).
    pub tab_newest_first: bool,
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
    /// How the TUI lists and shows it.
    pub tui: Tui,
}

/// What an activity or event is "about", most telling first (the TUI rows, the
/// dashboard's tasks and the forms' titles name the first one set).
pub const ABOUT: &[(&str, EntityKind)] = &[
    (fields::shared::ACCOUNT_ID, EntityKind::Account),
    (fields::shared::CONTACT_ID, EntityKind::Contact),
    (fields::shared::OPPORTUNITY_ID, EntityKind::Opportunity),
    (fields::activity::LEAD_ID, EntityKind::Lead),
];

/// The order `show` lists children in (those linking to the shown record).
const CHILD_ORDER: &[EntityKind] = &[
    EntityKind::Contact,
    EntityKind::Opportunity,
    EntityKind::Quote,
    EntityKind::QuoteLine,
    EntityKind::Order,
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
        (EntityKind::Order, "Orders"),
        (EntityKind::Event, "Events"),
    ],
    natural_key: Some(NaturalKey {
        emails: None,
        name: &["name"],
    }),
    search: &[
        "name",
        "city",
        "industry",
        "email",
        "phone",
        "website",
        "postcode",
        "country",
        "owner_name",
    ],
    tui: Tui {
        title: "Accounts",
        short: "Accts",
        list: &[
            col("Name", 24, Cell::Field("name")),
            col("Industry", 14, Cell::Field("industry")),
            col("City", 12, Cell::Field("city")),
            fixed("Country", 7, Cell::Field("country")),
            col("Owner", 14, Cell::Owner),
        ],
        sort: (0, false),
        tab_cells: &[Cell::Title],
        tab_newest_first: false,
    },
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
    search: &[
        "first_name",
        "last_name",
        "account_name",
        "title",
        "emails",
        "phones",
        "country",
    ],
    tui: Tui {
        title: "Contacts",
        short: "Ppl",
        list: &[
            col("Name", 20, Cell::Person),
            col("Account", 24, Cell::Link("account_id", EntityKind::Account)),
            col("Title", 16, Cell::Field("title")),
            col("E-mail", 26, Cell::First("emails")),
            col("Phone", 15, Cell::First("phones")),
        ],
        sort: (0, false),
        tab_cells: &[Cell::Person, Cell::Field("title")],
        tab_newest_first: false,
    },
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
    search: &[
        "first_name",
        "last_name",
        "company",
        "email",
        "phone",
        "status",
        "source",
    ],
    tui: Tui {
        title: "Leads",
        short: "Leads",
        list: &[
            col("Name", 18, Cell::Person),
            col("Company", 22, Cell::Field("company")),
            col("Status", 12, Cell::Field("status")),
            col("Source", 11, Cell::Field("source")),
            col("Owner", 14, Cell::Owner),
        ],
        sort: (0, false),
        tab_cells: &[Cell::Title],
        tab_newest_first: false,
    },
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
    tabs: &[
        (EntityKind::Quote, "Quotes"),
        (EntityKind::Order, "Orders"),
        (EntityKind::Event, "Events"),
    ],
    natural_key: Some(NaturalKey {
        emails: None,
        name: &["name", "account_id"],
    }),
    search: &["name", "account_name", "stage", "next_step", "owner_name"],
    tui: Tui {
        title: "Opportunities",
        short: "Opps",
        list: &[
            col("Deal", 22, Cell::Field("name")),
            col("Account", 22, Cell::Link("account_id", EntityKind::Account)),
            col("Stage", 14, Cell::Field("stage")),
            AMOUNT,
            fixed("Close", 10, Cell::Field("close_date")),
            col("Owner", 14, Cell::Owner),
        ],
        sort: (4, false),
        tab_cells: &[Cell::Field("name"), Cell::Field("stage"), Cell::Money],
        tab_newest_first: false,
    },
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
    search: &["name", "sku", "description"],
    tui: Tui {
        title: "Products",
        short: "Prods",
        list: &[
            col("SKU", 12, Cell::Field("sku")),
            col("Name", 24, Cell::Field("name")),
            col("Prices", 24, Cell::Field("prices")),
            fixed("Tax %", 5, Cell::Field("tax_pct")),
            fixed("Active", 6, Cell::Flag("active", true)),
        ],
        sort: (0, false),
        tab_cells: &[Cell::Title],
        tab_newest_first: false,
    },
};

const QUOTE: Def = Def {
    cli: "quote",
    kind: EntityKind::Quote,
    fields: spec::QUOTE,
    derived: &[("account_id", EntityKind::Account), ("revises_id", EntityKind::Quote)],
    system: &[
        fields::quote::REVISION,
        fields::quote::APPROVED_DISCOUNT_PCT,
        fields::quote::APPROVED_BY,
        fields::quote::APPROVAL_COMMENT,
        fields::quote::SENT_AT,
        fields::quote::CLOSED_AT,
    ],
    links: &[
        ("opportunity_id", EntityKind::Opportunity),
        ("account_id", EntityKind::Account),
        ("contact_id", EntityKind::Contact),
        ("revises_id", EntityKind::Quote),
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
    tabs: &[(EntityKind::QuoteLine, "Lines"), (EntityKind::Order, "Orders")],
    natural_key: None,
    search: &["number", "opportunity_name", "account_name", "status", "notes"],
    tui: Tui {
        title: "Quotes",
        short: "Quotes",
        list: &[
            col("Number", 12, Cell::Field("number")),
            col("Deal", 22, Cell::Link("opportunity_id", EntityKind::Opportunity)),
            col("Account", 20, Cell::Link("account_id", EntityKind::Account)),
            col("Status", 9, Cell::Field("status")),
            fixed("Valid until", 11, Cell::Field("valid_until")),
        ],
        sort: (0, false),
        tab_cells: &[Cell::Field("number"), Cell::Field("status"), Cell::Field("valid_until")],
        tab_newest_first: false,
    },
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
    tui: Tui {
        title: "Quote lines",
        short: "Lines",
        list: &[],
        sort: (0, false),
        tab_cells: &[Cell::Field("description"), Cell::Times("quantity", "unit_price")],
        tab_newest_first: false,
    },
};

const ORDER: Def = Def {
    cli: "order",
    kind: EntityKind::Order,
    fields: spec::ORDER,
    derived: &[
        ("opportunity_id", EntityKind::Opportunity),
        ("account_id", EntityKind::Account),
    ],
    system: &[
        fields::order::NUMBER,
        fields::order::STATUS,
        fields::order::CURRENCY,
        fields::order::DISCOUNT_PCT,
        fields::order::LINES,
        fields::order::HISTORY,
    ],
    links: &[
        ("quote_id", EntityKind::Quote),
        ("opportunity_id", EntityKind::Opportunity),
        ("account_id", EntityKind::Account),
    ],
    title: &["number"],
    columns: &[
        ("ID", "id"),
        ("NUMBER", "number"),
        ("QUOTE", "quote_name"),
        ("ACCOUNT", "account_name"),
        ("STATUS", "status"),
        ("CURRENCY", "currency"),
    ],
    tabs: &[],
    natural_key: None,
    search: &["number", "quote_name", "account_name", "status"],
    tui: Tui {
        title: "Orders",
        short: "Orders",
        list: &[
            col("Number", 12, Cell::Field("number")),
            col("Quote", 14, Cell::Link("quote_id", EntityKind::Quote)),
            col("Account", 20, Cell::Link("account_id", EntityKind::Account)),
            col("Status", 10, Cell::Field("status")),
        ],
        sort: (0, false),
        tab_cells: &[
            Cell::Field("number"),
            Cell::Field("status"),
            Cell::Link("quote_id", EntityKind::Quote),
        ],
        tab_newest_first: false,
    },
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
        "subject",
        "kind",
        "account_name",
        "contact_name",
        "opportunity_name",
        "lead_name",
        "outcome",
        "body",
    ],
    tui: Tui {
        title: "Activities",
        short: "Acts",
        list: &[
            fixed(
                "When",
                16,
                Cell::Local {
                    field: "at",
                    raw: false,
                },
            ),
            fixed("Kind", 6, Cell::Field("kind")),
            col("Subject", 28, Cell::Field("subject")),
            col("About", 22, Cell::About),
            fixed("Due", 10, Cell::Field("due")),
            fixed("Done", 4, Cell::TaskDone),
        ],
        sort: (0, true),
        tab_cells: &[Cell::Title],
        tab_newest_first: false,
    },
};

const EVENT: Def = Def {
    cli: "event",
    kind: EntityKind::Event,
    fields: spec::EVENT,
    derived: &[],
    system: &["series_id", "recurrence_id", "uid"],
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
    search: &["title", "location", "account_name", "attendees", "description"],
    tui: Tui {
        title: "Events",
        short: "Events",
        list: &[],
        sort: (0, false),
        tab_cells: &[
            Cell::Local {
                field: "start",
                raw: true,
            },
            Cell::Field("title"),
            Cell::Field("location"),
        ],
        tab_newest_first: true,
    },
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
    tui: Tui {
        title: "Users",
        short: "Users",
        list: &[],
        sort: (0, false),
        tab_cells: &[Cell::Title],
        tab_newest_first: false,
    },
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
    tui: Tui {
        title: "Territories",
        short: "Terrs",
        list: &[],
        sort: (0, false),
        tab_cells: &[Cell::Title],
        tab_newest_first: false,
    },
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
        EntityKind::Order => &ORDER,
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

/// The stored fields [`title_of`] reads.
#[must_use]
pub fn title_keys(kind: EntityKind) -> Vec<&'static str> {
    let mut keys = def(kind).title.to_vec();
    if kind == EntityKind::Quote {
        keys.push(fields::quote::REVISION);
    }
    keys
}

/// The title of a record from its stored fields (the same text as `Record::title`).
#[must_use]
pub fn title_of(kind: EntityKind, fields: &crate::model::Fields) -> String {
    let mut title = def(kind)
        .title
        .iter()
        .map(|f| fields.get(*f).and_then(serde_json::Value::as_str).unwrap_or(""))
        .collect::<Vec<_>>()
        .join(" ");
    // A quote's second and later revisions: `Q-AB12-0001-R2` (`Quote::display_number`).
    if let Some(r) = fields
        .get(fields::quote::REVISION)
        .and_then(serde_json::Value::as_u64)
        .filter(|r| *r > 1)
    {
        title.push_str(&format!("-R{r}"));
    }
    title
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

    /// The field-name constants (`model::records::fields`) are each struct's serde
    /// fields, and a shared name is a field of several kinds.
    #[test]
    fn field_constants_equal_the_serde_fields() {
        use crate::model::records::fields as f;
        for kind in EntityKind::ALL {
            let all: &[&str] = match kind {
                EntityKind::Account => f::account::ALL,
                EntityKind::Contact => f::contact::ALL,
                EntityKind::Lead => f::lead::ALL,
                EntityKind::Opportunity => f::opportunity::ALL,
                EntityKind::Product => f::product::ALL,
                EntityKind::Quote => f::quote::ALL,
                EntityKind::QuoteLine => f::quote_line::ALL,
                EntityKind::Activity => f::activity::ALL,
                EntityKind::Event => f::event::ALL,
                EntityKind::User => f::user::ALL,
                EntityKind::Territory => f::territory::ALL,
                EntityKind::Order => f::order::ALL,
            };
            let mut consts: Vec<&str> = all.to_vec();
            let mut stored: Vec<&str> = kind.field_names().iter().map(String::as_str).collect();
            consts.sort_unstable();
            stored.sort_unstable();
            assert_eq!(consts, stored, "{kind}: field constants vs serde fields");
        }
        for name in [
            f::shared::OWNER,
            f::shared::ACCOUNT_ID,
            f::shared::CONTACT_ID,
            f::shared::OPPORTUNITY_ID,
            f::shared::FIRST_NAME,
            f::shared::LAST_NAME,
            f::shared::CURRENCY,
            f::shared::NAME,
        ] {
            let kinds = EntityKind::ALL
                .iter()
                .filter(|k| k.field_names().iter().any(|n| n == name))
                .count();
            assert!(kinds >= 2, "{name} is shared by {kinds} kinds");
        }
        for (field, _) in ABOUT {
            assert!(f::activity::ALL.contains(field), "{field}");
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
            let normalised = kind.normalised(&fields).expect("normalised");
            let described = kind.describe(&fields).expect("describe");
            assert_eq!(title_of(kind, &normalised), described.title, "{kind}");
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
        assert_eq!(QuoteStatus::CHOICES.len(), 7);
        assert_eq!(Role::CHOICES.len(), 3);
    }
}
