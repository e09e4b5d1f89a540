//! The records' field names (their serde names), one module per kind, for code that
//! reads or writes a field by name: `fields::opportunity::STAGE`, not `"stage"`, so a
//! renamed field is one edit and a typo does not compile. `shared` holds the names
//! several kinds use with one meaning (owner, the links an activity can carry). The
//! registry's test (`app::kinds`) proves each `ALL` equals its struct's serde fields.

/// The fields of an account (`Account`).
pub mod account {
    /// `name`.
    pub const NAME: &str = "name";
    /// `industry`.
    pub const INDUSTRY: &str = "industry";
    /// `website`.
    pub const WEBSITE: &str = "website";
    /// `phone`.
    pub const PHONE: &str = "phone";
    /// `email`.
    pub const EMAIL: &str = "email";
    /// `city`.
    pub const CITY: &str = "city";
    /// `postcode`.
    pub const POSTCODE: &str = "postcode";
    /// `country`.
    pub const COUNTRY: &str = "country";
    /// `owner`.
    pub const OWNER: &str = "owner";
    /// `territory_id`.
    pub const TERRITORY_ID: &str = "territory_id";
    /// `street`.
    pub const STREET: &str = "street";
    /// `region`.
    pub const REGION: &str = "region";
    /// `shipping_street`.
    pub const SHIPPING_STREET: &str = "shipping_street";
    /// `shipping_postcode`.
    pub const SHIPPING_POSTCODE: &str = "shipping_postcode";
    /// `shipping_city`.
    pub const SHIPPING_CITY: &str = "shipping_city";
    /// `shipping_region`.
    pub const SHIPPING_REGION: &str = "shipping_region";
    /// `shipping_country`.
    pub const SHIPPING_COUNTRY: &str = "shipping_country";
    /// Every field, in struct order.
    pub const ALL: &[&str] = &[
        NAME,
        INDUSTRY,
        WEBSITE,
        PHONE,
        EMAIL,
        CITY,
        POSTCODE,
        COUNTRY,
        OWNER,
        TERRITORY_ID,
        STREET,
        REGION,
        SHIPPING_STREET,
        SHIPPING_POSTCODE,
        SHIPPING_CITY,
        SHIPPING_REGION,
        SHIPPING_COUNTRY,
    ];
}

/// The fields of an activity (`Activity`).
pub mod activity {
    /// `kind`.
    pub const KIND: &str = "kind";
    /// `subject`.
    pub const SUBJECT: &str = "subject";
    /// `body`.
    pub const BODY: &str = "body";
    /// `outcome`.
    pub const OUTCOME: &str = "outcome";
    /// `account_id`.
    pub const ACCOUNT_ID: &str = "account_id";
    /// `contact_id`.
    pub const CONTACT_ID: &str = "contact_id";
    /// `opportunity_id`.
    pub const OPPORTUNITY_ID: &str = "opportunity_id";
    /// `lead_id`.
    pub const LEAD_ID: &str = "lead_id";
    /// `at`.
    pub const AT: &str = "at";
    /// `due`.
    pub const DUE: &str = "due";
    /// `done`.
    pub const DONE: &str = "done";
    /// `owner`.
    pub const OWNER: &str = "owner";
    /// Every field, in struct order.
    pub const ALL: &[&str] = &[
        KIND,
        SUBJECT,
        BODY,
        OUTCOME,
        ACCOUNT_ID,
        CONTACT_ID,
        OPPORTUNITY_ID,
        LEAD_ID,
        AT,
        DUE,
        DONE,
        OWNER,
    ];
}

/// The fields of a contact (`Contact`).
pub mod contact {
    /// `first_name`.
    pub const FIRST_NAME: &str = "first_name";
    /// `last_name`.
    pub const LAST_NAME: &str = "last_name";
    /// `account_id`.
    pub const ACCOUNT_ID: &str = "account_id";
    /// `title`.
    pub const TITLE: &str = "title";
    /// `emails`.
    pub const EMAILS: &str = "emails";
    /// `phones`.
    pub const PHONES: &str = "phones";
    /// `country`.
    pub const COUNTRY: &str = "country";
    /// `owner`.
    pub const OWNER: &str = "owner";
    /// `street`.
    pub const STREET: &str = "street";
    /// `postcode`.
    pub const POSTCODE: &str = "postcode";
    /// `city`.
    pub const CITY: &str = "city";
    /// `region`.
    pub const REGION: &str = "region";
    /// Every field, in struct order.
    pub const ALL: &[&str] = &[
        FIRST_NAME, LAST_NAME, ACCOUNT_ID, TITLE, EMAILS, PHONES, COUNTRY, OWNER, STREET, POSTCODE, CITY, REGION,
    ];
}

/// The fields of an event (`Event`).
pub mod event {
    /// `title`.
    pub const TITLE: &str = "title";
    /// `start`.
    pub const START: &str = "start";
    /// `end`.
    pub const END: &str = "end";
    /// `all_day`.
    pub const ALL_DAY: &str = "all_day";
    /// `tz`.
    pub const TZ: &str = "tz";
    /// `location`.
    pub const LOCATION: &str = "location";
    /// `attendees`.
    pub const ATTENDEES: &str = "attendees";
    /// `account_id`.
    pub const ACCOUNT_ID: &str = "account_id";
    /// `contact_id`.
    pub const CONTACT_ID: &str = "contact_id";
    /// `opportunity_id`.
    pub const OPPORTUNITY_ID: &str = "opportunity_id";
    /// `description`.
    pub const DESCRIPTION: &str = "description";
    /// `owner`.
    pub const OWNER: &str = "owner";
    /// `rrule`.
    pub const RRULE: &str = "rrule";
    /// `exdates`.
    pub const EXDATES: &str = "exdates";
    /// `reminders`.
    pub const REMINDERS: &str = "reminders";
    /// `series_id`.
    pub const SERIES_ID: &str = "series_id";
    /// `recurrence_id`.
    pub const RECURRENCE_ID: &str = "recurrence_id";
    /// `uid`.
    pub const UID: &str = "uid";
    /// Every field, in struct order.
    pub const ALL: &[&str] = &[
        TITLE,
        START,
        END,
        ALL_DAY,
        TZ,
        LOCATION,
        ATTENDEES,
        ACCOUNT_ID,
        CONTACT_ID,
        OPPORTUNITY_ID,
        DESCRIPTION,
        OWNER,
        RRULE,
        EXDATES,
        REMINDERS,
        SERIES_ID,
        RECURRENCE_ID,
        UID,
    ];
}

/// The fields of a lead (`Lead`).
pub mod lead {
    /// `first_name`.
    pub const FIRST_NAME: &str = "first_name";
    /// `last_name`.
    pub const LAST_NAME: &str = "last_name";
    /// `company`.
    pub const COMPANY: &str = "company";
    /// `email`.
    pub const EMAIL: &str = "email";
    /// `phone`.
    pub const PHONE: &str = "phone";
    /// `source`.
    pub const SOURCE: &str = "source";
    /// `status`.
    pub const STATUS: &str = "status";
    /// `country`.
    pub const COUNTRY: &str = "country";
    /// `owner`.
    pub const OWNER: &str = "owner";
    /// `converted_account_id`.
    pub const CONVERTED_ACCOUNT_ID: &str = "converted_account_id";
    /// `converted_contact_id`.
    pub const CONVERTED_CONTACT_ID: &str = "converted_contact_id";
    /// `converted_opportunity_id`.
    pub const CONVERTED_OPPORTUNITY_ID: &str = "converted_opportunity_id";
    /// Every field, in struct order.
    pub const ALL: &[&str] = &[
        FIRST_NAME,
        LAST_NAME,
        COMPANY,
        EMAIL,
        PHONE,
        SOURCE,
        STATUS,
        COUNTRY,
        OWNER,
        CONVERTED_ACCOUNT_ID,
        CONVERTED_CONTACT_ID,
        CONVERTED_OPPORTUNITY_ID,
    ];
}

/// The fields of an opportunity (`Opportunity`).
pub mod opportunity {
    /// `name`.
    pub const NAME: &str = "name";
    /// `account_id`.
    pub const ACCOUNT_ID: &str = "account_id";
    /// `amount`.
    pub const AMOUNT: &str = "amount";
    /// `currency`.
    pub const CURRENCY: &str = "currency";
    /// `stage`.
    pub const STAGE: &str = "stage";
    /// `probability`.
    pub const PROBABILITY: &str = "probability";
    /// `close_date`.
    pub const CLOSE_DATE: &str = "close_date";
    /// `owner`.
    pub const OWNER: &str = "owner";
    /// `next_step`.
    pub const NEXT_STEP: &str = "next_step";
    /// `stage_history`.
    pub const STAGE_HISTORY: &str = "stage_history";
    /// `loss_reason`.
    pub const LOSS_REASON: &str = "loss_reason";
    /// `forecast_category`.
    pub const FORECAST_CATEGORY: &str = "forecast_category";
    /// Every field, in struct order.
    pub const ALL: &[&str] = &[
        NAME,
        ACCOUNT_ID,
        AMOUNT,
        CURRENCY,
        STAGE,
        PROBABILITY,
        CLOSE_DATE,
        OWNER,
        NEXT_STEP,
        STAGE_HISTORY,
        LOSS_REASON,
        FORECAST_CATEGORY,
    ];
}

/// The fields of a product (`Product`).
pub mod product {
    /// `sku`.
    pub const SKU: &str = "sku";
    /// `name`.
    pub const NAME: &str = "name";
    /// `prices`.
    pub const PRICES: &str = "prices";
    /// `tax_pct`.
    pub const TAX_PCT: &str = "tax_pct";
    /// `description`.
    pub const DESCRIPTION: &str = "description";
    /// `active`.
    pub const ACTIVE: &str = "active";
    /// `price_book`.
    pub const PRICE_BOOK: &str = "price_book";
    /// Every field, in struct order.
    pub const ALL: &[&str] = &[SKU, NAME, PRICES, TAX_PCT, DESCRIPTION, ACTIVE, PRICE_BOOK];
}

/// The fields of a quote (`Quote`).
pub mod quote {
    /// `number`.
    pub const NUMBER: &str = "number";
    /// `opportunity_id`.
    pub const OPPORTUNITY_ID: &str = "opportunity_id";
    /// `account_id`.
    pub const ACCOUNT_ID: &str = "account_id";
    /// `status`.
    pub const STATUS: &str = "status";
    /// `currency`.
    pub const CURRENCY: &str = "currency";
    /// `valid_until`.
    pub const VALID_UNTIL: &str = "valid_until";
    /// `notes`.
    pub const NOTES: &str = "notes";
    /// `discount_pct`.
    pub const DISCOUNT_PCT: &str = "discount_pct";
    /// `contact_id`.
    pub const CONTACT_ID: &str = "contact_id";
    /// `date`.
    pub const DATE: &str = "date";
    /// `revision`.
    pub const REVISION: &str = "revision";
    /// `revises_id`.
    pub const REVISES_ID: &str = "revises_id";
    /// `approved_discount_pct`.
    pub const APPROVED_DISCOUNT_PCT: &str = "approved_discount_pct";
    /// `approved_by`.
    pub const APPROVED_BY: &str = "approved_by";
    /// `approval_comment`.
    pub const APPROVAL_COMMENT: &str = "approval_comment";
    /// `sent_at`.
    pub const SENT_AT: &str = "sent_at";
    /// `closed_at`.
    pub const CLOSED_AT: &str = "closed_at";
    /// Every field, in struct order.
    pub const ALL: &[&str] = &[
        NUMBER,
        OPPORTUNITY_ID,
        ACCOUNT_ID,
        CONTACT_ID,
        STATUS,
        CURRENCY,
        VALID_UNTIL,
        NOTES,
        DISCOUNT_PCT,
        DATE,
        REVISION,
        REVISES_ID,
        APPROVED_DISCOUNT_PCT,
        APPROVED_BY,
        APPROVAL_COMMENT,
        SENT_AT,
        CLOSED_AT,
    ];
}

/// The fields of an order (`Order`).
pub mod order {
    /// `number`.
    pub const NUMBER: &str = "number";
    /// `quote_id`.
    pub const QUOTE_ID: &str = "quote_id";
    /// `opportunity_id`.
    pub const OPPORTUNITY_ID: &str = "opportunity_id";
    /// `account_id`.
    pub const ACCOUNT_ID: &str = "account_id";
    /// `status`.
    pub const STATUS: &str = "status";
    /// `currency`.
    pub const CURRENCY: &str = "currency";
    /// `discount_pct`.
    pub const DISCOUNT_PCT: &str = "discount_pct";
    /// `lines`.
    pub const LINES: &str = "lines";
    /// `history`.
    pub const HISTORY: &str = "history";
    /// `notes`.
    pub const NOTES: &str = "notes";
    /// Every field, in struct order.
    pub const ALL: &[&str] = &[
        NUMBER,
        QUOTE_ID,
        OPPORTUNITY_ID,
        ACCOUNT_ID,
        STATUS,
        CURRENCY,
        DISCOUNT_PCT,
        LINES,
        HISTORY,
        NOTES,
    ];
}

/// The fields of a quote line (`QuoteLine`).
pub mod quote_line {
    /// `quote_id`.
    pub const QUOTE_ID: &str = "quote_id";
    /// `product_id`.
    pub const PRODUCT_ID: &str = "product_id";
    /// `description`.
    pub const DESCRIPTION: &str = "description";
    /// `quantity`.
    pub const QUANTITY: &str = "quantity";
    /// `unit_price`.
    pub const UNIT_PRICE: &str = "unit_price";
    /// `discount_pct`.
    pub const DISCOUNT_PCT: &str = "discount_pct";
    /// `tax_pct`.
    pub const TAX_PCT: &str = "tax_pct";
    /// `position`.
    pub const POSITION: &str = "position";
    /// Every field, in struct order.
    pub const ALL: &[&str] = &[
        QUOTE_ID,
        PRODUCT_ID,
        DESCRIPTION,
        QUANTITY,
        UNIT_PRICE,
        DISCOUNT_PCT,
        TAX_PCT,
        POSITION,
    ];
}

/// The fields of a territory (`Territory`).
pub mod territory {
    /// `name`.
    pub const NAME: &str = "name";
    /// `parent_id`.
    pub const PARENT_ID: &str = "parent_id";
    /// `members`.
    pub const MEMBERS: &str = "members";
    /// `countries`.
    pub const COUNTRIES: &str = "countries";
    /// `postcodes`.
    pub const POSTCODES: &str = "postcodes";
    /// `industries`.
    pub const INDUSTRIES: &str = "industries";
    /// Every field, in struct order.
    pub const ALL: &[&str] = &[NAME, PARENT_ID, MEMBERS, COUNTRIES, POSTCODES, INDUSTRIES];
}

/// The fields of a user (`User`).
pub mod user {
    /// `login`.
    pub const LOGIN: &str = "login";
    /// `name`.
    pub const NAME: &str = "name";
    /// `email`.
    pub const EMAIL: &str = "email";
    /// `role`.
    pub const ROLE: &str = "role";
    /// `quota`.
    pub const QUOTA: &str = "quota";
    /// `currency`.
    pub const CURRENCY: &str = "currency";
    /// Every field, in struct order.
    pub const ALL: &[&str] = &[LOGIN, NAME, EMAIL, ROLE, QUOTA, CURRENCY];
}

/// Names several kinds share, with one meaning in each.
pub mod shared {
    /// `owner` (account, activity, contact, lead, opportunity).
    pub const OWNER: &str = "owner";
    /// `account_id` (activity, contact, event, opportunity, quote).
    pub const ACCOUNT_ID: &str = "account_id";
    /// `contact_id` (activity, event).
    pub const CONTACT_ID: &str = "contact_id";
    /// `opportunity_id` (activity, event, quote).
    pub const OPPORTUNITY_ID: &str = "opportunity_id";
    /// `first_name` (contact, lead).
    pub const FIRST_NAME: &str = "first_name";
    /// `last_name` (contact, lead).
    pub const LAST_NAME: &str = "last_name";
    /// `currency` (opportunity, quote, user).
    pub const CURRENCY: &str = "currency";
    /// `name` (account, opportunity, product, territory, user).
    pub const NAME: &str = "name";
}
