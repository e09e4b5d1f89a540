//! The field registry: for every entity, the fields people and files can set, with their
//! CLI flag, JSON name, import aliases and type. One table feeds the `add`/`edit` flags,
//! CSV import header matching, CSV export columns and the table view.

use crate::model::EntityKind;
use crate::model::records::{ActivityKind, LeadStatus, QuoteStatus, Role};

/// How a field's text is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    /// Free text.
    Text,
    /// A list of text (repeatable flag; `;`-separated in CSV).
    List,
    /// A non-negative decimal amount.
    Amount,
    /// An ISO 4217 code.
    Currency,
    /// A whole number.
    Int,
    /// A date: YYYY-MM-DD, today, tomorrow, +3d, +2w.
    Date,
    /// A date and time: "YYYY-MM-DD HH:MM" in the given or local zone, or RFC 3339.
    DateTime,
    /// true/false, yes/no, 1/0.
    Bool,
    /// A reference to another record (stored as `<rel>_id`).
    Ref(EntityKind),
    /// One of a fixed set of values.
    Choice(&'static [&'static str]),
    /// Product prices: "EUR 100; USD 120" (or --price with --currency).
    Prices,
    /// The currency a `--price` is in; input only, not stored.
    PriceCurrency,
}

/// One settable field.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// Name in JSON / CSV / storage.
    pub json: &'static str,
    /// CLI flag (without `--`).
    pub flag: &'static str,
    /// Extra CSV header names from other tools.
    pub aliases: &'static [&'static str],
    /// Type.
    pub ty: Ty,
    /// Required on `add`.
    pub required: bool,
    /// Help text.
    pub help: &'static str,
}

const fn f(json: &'static str, flag: &'static str, ty: Ty, help: &'static str) -> Spec {
    Spec {
        json,
        flag,
        aliases: &[],
        ty,
        required: false,
        help,
    }
}

const fn req(json: &'static str, flag: &'static str, ty: Ty, help: &'static str) -> Spec {
    Spec {
        json,
        flag,
        aliases: &[],
        ty,
        required: true,
        help,
    }
}

const fn al(mut s: Spec, aliases: &'static [&'static str]) -> Spec {
    s.aliases = aliases;
    s
}

const ACTIVITY_KINDS: &[&str] = ActivityKind::CHOICES;
const LEAD_STATUS: &[&str] = LeadStatus::CHOICES;
const QUOTE_STATUS: &[&str] = QuoteStatus::CHOICES;
const ROLES: &[&str] = Role::CHOICES;
const FORECAST_CATEGORIES: &[&str] = crate::model::records::FORECAST_CATEGORIES;

const EMAIL_ALIASES: &[&str] = &["e-mail", "e-mail address", "email address", "mail", "primary email"];
const PHONE_ALIASES: &[&str] = &[
    "phone number",
    "telephone",
    "tel",
    "mobile",
    "mobile phone",
    "business phone",
];
const FIRST_ALIASES: &[&str] = &["first name", "firstname", "given name", "forename"];
const LAST_ALIASES: &[&str] = &["last name", "lastname", "surname", "family name"];
const OWNER_ALIASES: &[&str] = &[
    "owner name",
    "assigned to",
    "account owner",
    "opportunity owner",
    "lead owner",
];
const ACCOUNT_ALIASES: &[&str] = &[
    "account",
    "account name",
    "company",
    "company name",
    "organization",
    "organisation",
];

pub(super) const ACCOUNT: &[Spec] = &[
    al(
        req("name", "name", Ty::Text, "Company name"),
        &["account name", "company", "company name", "organization"],
    ),
    f("industry", "industry", Ty::Text, "Industry"),
    al(
        f("website", "website", Ty::Text, "Web site"),
        &["web site", "url", "web"],
    ),
    al(
        f(
            "phone",
            "phone",
            Ty::Text,
            "Main phone (normalised to E.164 when the country is known)",
        ),
        PHONE_ALIASES,
    ),
    al(f("email", "email", Ty::Text, "Main e-mail address"), EMAIL_ALIASES),
    al(
        f("street", "street", Ty::Text, "Billing address: street"),
        &["billing street", "billing address", "address", "street address"],
    ),
    al(
        f("city", "city", Ty::Text, "Billing address: city"),
        &["billing city", "town"],
    ),
    al(
        f(
            "postcode",
            "postcode",
            Ty::Text,
            "Postcode (territory rules match its start)",
        ),
        &[
            "billing postal code",
            "postal code",
            "zip",
            "zip code",
            "post code",
            "billing zip",
        ],
    ),
    al(
        f(
            "region",
            "region",
            Ty::Text,
            "Billing address: region, state or province",
        ),
        &["billing state", "billing state/province", "state", "province"],
    ),
    al(
        f(
            "country",
            "country",
            Ty::Text,
            "Billing country (ISO code or English name, stored as the code)",
        ),
        &["billing country"],
    ),
    al(f("owner", "owner", Ty::Text, "Owning user"), OWNER_ALIASES),
    f(
        "territory_id",
        "territory",
        Ty::Ref(EntityKind::Territory),
        "Sales territory (id, id prefix or name)",
    ),
    al(
        f(
            "shipping_street",
            "shipping-street",
            Ty::Text,
            "Shipping address: street",
        ),
        &["shipping address"],
    ),
    al(
        f(
            "shipping_postcode",
            "shipping-postcode",
            Ty::Text,
            "Shipping address: postcode",
        ),
        &["shipping postal code", "shipping zip"],
    ),
    f("shipping_city", "shipping-city", Ty::Text, "Shipping address: city"),
    al(
        f(
            "shipping_region",
            "shipping-region",
            Ty::Text,
            "Shipping address: region",
        ),
        &["shipping state", "shipping state/province"],
    ),
    f(
        "shipping_country",
        "shipping-country",
        Ty::Text,
        "Shipping address: country (ISO code or English name, stored as the code)",
    ),
];

pub(super) const CONTACT: &[Spec] = &[
    al(req("first_name", "first", Ty::Text, "Given name"), FIRST_ALIASES),
    al(req("last_name", "last", Ty::Text, "Family name"), LAST_ALIASES),
    al(
        f(
            "account_id",
            "account",
            Ty::Ref(EntityKind::Account),
            "Account (id, id prefix or name)",
        ),
        ACCOUNT_ALIASES,
    ),
    al(f("title", "title", Ty::Text, "Job title"), &["job title", "position"]),
    al(
        f("emails", "email", Ty::List, "E-mail address (repeat for more)"),
        EMAIL_ALIASES,
    ),
    al(
        f("phones", "phone", Ty::List, "Phone number (repeat for more)"),
        PHONE_ALIASES,
    ),
    al(
        f(
            "country",
            "country",
            Ty::Text,
            "Country of the mailing address and phone numbers (ISO code or English name, stored as the code)",
        ),
        &["mailing country"],
    ),
    al(f("owner", "owner", Ty::Text, "Owning user"), OWNER_ALIASES),
    al(
        f("street", "street", Ty::Text, "Mailing address: street"),
        &["mailing street", "mailing address", "address", "street address"],
    ),
    al(
        f("postcode", "postcode", Ty::Text, "Mailing address: postcode"),
        &["mailing postal code", "mailing zip", "postal code", "zip", "zip code"],
    ),
    al(f("city", "city", Ty::Text, "Mailing address: city"), &["mailing city"]),
    al(
        f(
            "region",
            "region",
            Ty::Text,
            "Mailing address: region, state or province",
        ),
        &["mailing state", "mailing state/province", "state"],
    ),
];

pub(super) const LEAD: &[Spec] = &[
    al(req("first_name", "first", Ty::Text, "Given name"), FIRST_ALIASES),
    al(req("last_name", "last", Ty::Text, "Family name"), LAST_ALIASES),
    al(
        req("company", "company", Ty::Text, "Company"),
        &["company name", "organization", "organisation", "account name"],
    ),
    al(f("email", "email", Ty::Text, "E-mail address"), EMAIL_ALIASES),
    al(f("phone", "phone", Ty::Text, "Phone number"), PHONE_ALIASES),
    al(
        f("source", "source", Ty::Text, "Where the lead came from"),
        &["lead source", "origin"],
    ),
    al(
        f(
            "status",
            "status",
            Ty::Choice(LEAD_STATUS),
            "new, contacted, qualified or disqualified",
        ),
        &["lead status"],
    ),
    f("country", "country", Ty::Text, "Country, for the phone number"),
    al(f("owner", "owner", Ty::Text, "Owning user"), OWNER_ALIASES),
];

pub(super) const OPPORTUNITY: &[Spec] = &[
    al(
        req("name", "name", Ty::Text, "Deal name"),
        &["opportunity name", "deal name", "deal"],
    ),
    al(
        req(
            "account_id",
            "account",
            Ty::Ref(EntityKind::Account),
            "Account (id, id prefix or name)",
        ),
        ACCOUNT_ALIASES,
    ),
    al(
        req("amount", "amount", Ty::Amount, "Expected amount, e.g. 12500.50"),
        &["value", "deal value", "expected revenue"],
    ),
    al(
        f("currency", "currency", Ty::Currency, "ISO 4217 currency (default EUR)"),
        &["currency code"],
    ),
    al(
        f("stage", "stage", Ty::Text, "Pipeline stage (default: the first)"),
        &["sales stage", "deal stage"],
    ),
    al(
        f("close_date", "close", Ty::Date, "Expected close date (YYYY-MM-DD)"),
        &["close date", "expected close date", "closing date"],
    ),
    f(
        "probability",
        "probability",
        Ty::Int,
        "Win probability in percent (default: the stage's)",
    ),
    al(f("owner", "owner", Ty::Text, "Owning user"), OWNER_ALIASES),
    al(
        f("next_step", "next-step", Ty::Text, "The agreed next step"),
        &["next step"],
    ),
    al(
        f(
            "forecast_category",
            "forecast-category",
            Ty::Choice(FORECAST_CATEGORIES),
            "pipeline, best_case, commit, closed or omitted (default: from the stage)",
        ),
        &["forecast category"],
    ),
];

pub(super) const PRODUCT: &[Spec] = &[
    al(
        req("sku", "sku", Ty::Text, "Stock-keeping unit"),
        &["product code", "code", "article number"],
    ),
    al(
        req("name", "name", Ty::Text, "Product name"),
        &["product name", "product"],
    ),
    al(
        req(
            "prices",
            "price",
            Ty::Prices,
            "Unit price in --currency (CSV: \"EUR 100; USD 120\")",
        ),
        &["list price", "unit price"],
    ),
    f(
        "currency",
        "currency",
        Ty::PriceCurrency,
        "Currency of --price (default EUR)",
    ),
    al(
        f("tax_pct", "tax", Ty::Amount, "Sales tax in percent"),
        &["tax rate", "vat"],
    ),
    f("description", "description", Ty::Text, "Longer description"),
    f("active", "active", Ty::Bool, "Whether it can go on new quotes"),
    al(
        f(
            "price_book",
            "price-book",
            Ty::List,
            "Price-book entry \"CUR PRICE [N+] [FROM..TO]\", e.g. \"EUR 90 10+ 2026-01-01..2026-06-30\" (repeat; CSV: ;-separated; edit replaces the list)",
        ),
        &["price book", "tiers"],
    ),
];

pub(super) const QUOTE: &[Spec] = &[
    al(
        req(
            "opportunity_id",
            "opp",
            Ty::Ref(EntityKind::Opportunity),
            "Opportunity (id, id prefix or name)",
        ),
        &["opportunity", "opportunity name", "deal"],
    ),
    f(
        "contact_id",
        "contact",
        Ty::Ref(EntityKind::Contact),
        "Contact it is addressed to (default: the account's first)",
    ),
    f(
        "status",
        "status",
        Ty::Choice(QUOTE_STATUS),
        "Set by `quote submit/approve/send/accept/reject`, not by edit",
    ),
    f(
        "currency",
        "currency",
        Ty::Currency,
        "Currency (default: the opportunity's)",
    ),
    al(
        f("valid_until", "valid-until", Ty::Date, "Last day the offer holds"),
        &["expiration date", "valid until"],
    ),
    f("notes", "notes", Ty::Text, "Free text printed on the quote"),
    f(
        "discount_pct",
        "discount",
        Ty::Amount,
        "Quote discount in percent, on the subtotal",
    ),
    f(
        "date",
        "date",
        Ty::Date,
        "Quote date: prices valid on it (default: today)",
    ),
    f(
        "number",
        "number",
        Ty::Text,
        "Quote number (default: device code + counter)",
    ),
];

pub(super) const QUOTE_LINE: &[Spec] = &[
    req("quote_id", "quote", Ty::Ref(EntityKind::Quote), "Quote (number or id)"),
    f(
        "product_id",
        "product",
        Ty::Ref(EntityKind::Product),
        "Product (SKU or id)",
    ),
    f(
        "description",
        "description",
        Ty::Text,
        "Line text (default: the product name)",
    ),
    al(f("quantity", "qty", Ty::Amount, "Quantity (default 1)"), &["quantity"]),
    al(
        f(
            "unit_price",
            "price",
            Ty::Amount,
            "Unit price (default: the product's in the quote currency)",
        ),
        &["unit price"],
    ),
    al(
        f("discount_pct", "discount", Ty::Amount, "Discount in percent"),
        &["discount"],
    ),
    al(
        f("tax_pct", "tax", Ty::Amount, "Tax in percent (default: the product's)"),
        &["tax"],
    ),
    f("position", "position", Ty::Int, "Sort position"),
];

pub(super) const ORDER: &[Spec] = &[
    req(
        "quote_id",
        "quote",
        Ty::Ref(EntityKind::Quote),
        "The accepted quote (number or id)",
    ),
    f("notes", "notes", Ty::Text, "Free text"),
];

pub(super) const ACTIVITY: &[Spec] = &[
    al(
        req(
            "kind",
            "kind",
            Ty::Choice(ACTIVITY_KINDS),
            "call, meeting, visit, email, note or task",
        ),
        &["type", "activity type"],
    ),
    req("subject", "subject", Ty::Text, "One-line summary"),
    al(f("body", "body", Ty::Text, "Longer text"), &["description", "comments"]),
    f("outcome", "outcome", Ty::Text, "Outcome of a call or visit"),
    al(
        f("account_id", "account", Ty::Ref(EntityKind::Account), "Related account"),
        ACCOUNT_ALIASES,
    ),
    f("contact_id", "contact", Ty::Ref(EntityKind::Contact), "Related contact"),
    f(
        "opportunity_id",
        "opp",
        Ty::Ref(EntityKind::Opportunity),
        "Related opportunity",
    ),
    f("lead_id", "lead", Ty::Ref(EntityKind::Lead), "Related lead"),
    al(
        f("at", "at", Ty::DateTime, "When it happened (default now)"),
        &["date", "activity date"],
    ),
    al(
        f(
            "due",
            "due",
            Ty::Date,
            "Due date (tasks): YYYY-MM-DD, today, tomorrow, +3d",
        ),
        &["due date"],
    ),
    f("done", "done", Ty::Bool, "Whether the task is done"),
    al(f("owner", "owner", Ty::Text, "Owning user"), OWNER_ALIASES),
];

pub(super) const EVENT: &[Spec] = &[
    al(req("title", "title", Ty::Text, "Title"), &["subject"]),
    al(
        req(
            "start",
            "start",
            Ty::DateTime,
            "Start: \"YYYY-MM-DD HH:MM\" (in --tz or local time)",
        ),
        &["start time", "start date"],
    ),
    al(
        f("end", "end", Ty::DateTime, "End (default: one hour after the start)"),
        &["end time", "end date"],
    ),
    f(
        "tz",
        "tz",
        Ty::Text,
        "IANA time zone of --start/--end, e.g. Europe/Berlin",
    ),
    f("all_day", "all-day", Ty::Bool, "Whole-day event"),
    f("location", "location", Ty::Text, "Where"),
    f("attendees", "attendee", Ty::List, "Attendee (repeat for more)"),
    f("account_id", "account", Ty::Ref(EntityKind::Account), "Related account"),
    f("contact_id", "contact", Ty::Ref(EntityKind::Contact), "Related contact"),
    f(
        "opportunity_id",
        "opp",
        Ty::Ref(EntityKind::Opportunity),
        "Related opportunity",
    ),
    f("description", "description", Ty::Text, "Longer text"),
    al(f("owner", "owner", Ty::Text, "Owning user"), OWNER_ALIASES),
    f(
        "rrule",
        "rrule",
        Ty::Text,
        "Recurrence rule, e.g. \"FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10\" (FREQ DAILY/WEEKLY/MONTHLY/YEARLY; INTERVAL, COUNT, UNTIL, BYDAY, BYMONTHDAY, BYMONTH)",
    ),
    f(
        "exdates",
        "exdate",
        Ty::List,
        "Skip the occurrence on this date, YYYY-MM-DD (repeat for more)",
    ),
    f(
        "reminders",
        "reminder",
        Ty::List,
        "Reminder before the start: 15m, 2h, 1d (repeat for more)",
    ),
];

pub(super) const USER: &[Spec] = &[
    req("name", "name", Ty::Text, "Display name (\"Sara Lindqvist\")"),
    f(
        "login",
        "login",
        Ty::Text,
        "Login on the sync server: what owner fields store (set by the server for its users)",
    ),
    f("email", "email", Ty::Text, "E-mail address"),
    f("role", "role", Ty::Choice(ROLES), "rep, manager or admin"),
    f("quota", "quota", Ty::Amount, "Quarterly quota"),
    f("currency", "currency", Ty::Currency, "Currency of the quota"),
];

pub(super) const TERRITORY: &[Spec] = &[
    al(
        req("name", "name", Ty::Text, "Territory name"),
        &["territory", "territory name"],
    ),
    al(
        f(
            "parent_id",
            "parent",
            Ty::Ref(EntityKind::Territory),
            "The territory this one lies in (id, id prefix or name)",
        ),
        &["parent territory"],
    ),
    f(
        "members",
        "member",
        Ty::List,
        "Login of a user working it (repeat for more)",
    ),
    f(
        "countries",
        "countries",
        Ty::List,
        "Rule: ISO country codes, comma-separated (DE,AT)",
    ),
    al(
        f(
            "postcodes",
            "postcodes",
            Ty::List,
            "Rule: postcode prefixes, comma-separated (80,81)",
        ),
        &["postcode prefixes", "zip prefixes"],
    ),
    f(
        "industries",
        "industries",
        Ty::List,
        "Rule: industries, comma-separated (Retail)",
    ),
];

/// The settable fields of a kind, in display order.
#[must_use]
pub fn specs(kind: EntityKind) -> &'static [Spec] {
    super::kinds::def(kind).fields
}

/// Fields set by the system, shown in output but not settable: (kind, json name).
#[must_use]
pub fn derived(kind: EntityKind) -> &'static [&'static str] {
    static NAMES: std::sync::OnceLock<Vec<Vec<&'static str>>> = std::sync::OnceLock::new();
    let all = NAMES.get_or_init(|| {
        EntityKind::ALL_BY_TAG
            .iter()
            .map(|k| super::kinds::def(*k).derived.iter().map(|(f, _)| *f).collect())
            .collect()
    });
    &all[usize::from(kind.tag() - 1)]
}

/// Folds a header or flag name for matching: lower case, letters and digits only.
#[must_use]
pub fn fold(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Finds the spec a CSV header or flag name means: JSON name, flag, alias, or for
/// references `<rel>_id` / `<rel>_name`.
#[must_use]
pub fn lookup(kind: EntityKind, name: &str) -> Option<&'static Spec> {
    let key = fold(name);
    let all = specs(kind);
    all.iter()
        .find(|s| fold(s.json) == key || fold(s.flag) == key)
        .or_else(|| {
            all.iter()
                .find(|s| matches!(s.ty, Ty::Ref(_)) && fold(&format!("{}_name", rel_of(s.json))) == key)
        })
        .or_else(|| all.iter().find(|s| s.aliases.iter().any(|a| fold(a) == key)))
}

/// `account_id` -> `account`.
#[must_use]
pub fn rel_of(json: &str) -> &str {
    json.strip_suffix("_id").unwrap_or(json)
}
