//! `outpost demo`: realistic, reproducible sample data. The same seed gives the same
//! records (dates are relative to today); `--scale N` makes N contacts and proportionate
//! other records, for benchmarks.

use chrono::{Datelike, Duration, Local, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{App, AppError};
use crate::model::{EntityKind, Fields, Id};
use crate::store::Mutation;

/// What the demo made.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DemoSummary {
    /// Records made per kind.
    pub counts: Vec<(EntityKind, usize)>,
}

const FIRST: &[&str] = &[
    "Anna",
    "Lukas",
    "Jürgen",
    "Sophie",
    "Léa",
    "François",
    "Chloé",
    "Mateo",
    "Lucía",
    "José",
    "Sofía",
    "Giulia",
    "Marco",
    "Björn",
    "Åsa",
    "Søren",
    "Zoë",
    "Oliver",
    "Emily",
    "James",
    "Charlotte",
    "Noah",
    "Olivia",
    "Liam",
    "Yuki",
    "Haruto",
    "Sakura",
    "Wei",
    "Mei",
    "Jun",
    "Priya",
    "Arjun",
    "Aisha",
    "Omar",
    "Fatima",
    "Mehmet",
    "Elif",
    "Agnieszka",
    "Paweł",
    "Dvořák",
    "Zoltán",
    "Ana",
    "João",
    "Inês",
];
const LAST: &[&str] = &[
    "Müller",
    "Schmidt",
    "Weiß",
    "Schäfer",
    "Dubois",
    "Lefèvre",
    "Martín",
    "García",
    "Núñez",
    "Rossi",
    "Bianchi",
    "Andersson",
    "Nørgaard",
    "Smith",
    "Brown",
    "O'Connor",
    "Taylor",
    "Williams",
    "Tanaka",
    "Suzuki",
    "Sato",
    "Wang",
    "Li",
    "Zhang",
    "Sharma",
    "Patel",
    "Haddad",
    "Yılmaz",
    "Kowalski",
    "Nowak",
    "Novák",
    "Kovács",
    "Silva",
    "Santos",
    "Peeters",
    "de Vries",
    "Jansen",
    "Kim",
    "Park",
];
const COMPANY_A: &[&str] = &[
    "Nordlicht",
    "Alpen",
    "Rhein",
    "Soleil",
    "Atlas",
    "Kyoto",
    "Sakura",
    "Bright",
    "Harbor",
    "Ebro",
    "Vesuvio",
    "Fjord",
    "Baltic",
    "Danube",
    "Meridian",
    "Summit",
    "Lotus",
    "Cedar",
    "Aurora",
    "Zenith",
    "Öresund",
    "Château",
    "Große",
    "Pacific",
    "Orion",
    "Iberia",
    "Delta",
    "Granite",
    "Pioneer",
    "Evergreen",
];
const COMPANY_B: &[&str] = &[
    "Logistik",
    "Maschinenbau",
    "Energie",
    "Foods",
    "Pharma",
    "Systems",
    "Robotics",
    "Textiles",
    "Analytics",
    "Bau",
    "Medical",
    "Retail",
    "Software",
    "Motors",
    "Chemie",
    "Optics",
    "Print",
    "Hotels",
];
const SUFFIX: &[(&str, &str, &str, &str)] = &[
    ("GmbH", "DE", "Berlin", "Europe/Berlin"),
    ("AG", "CH", "Zürich", "Europe/Zurich"),
    ("SARL", "FR", "Lyon", "Europe/Paris"),
    ("S.L.", "ES", "Madrid", "Europe/Madrid"),
    ("S.p.A.", "IT", "Milano", "Europe/Rome"),
    ("AB", "SE", "Göteborg", "Europe/Stockholm"),
    ("Ltd", "GB", "Manchester", "Europe/London"),
    ("Inc.", "US", "Chicago", "America/Chicago"),
    ("K.K.", "JP", "Ōsaka", "Asia/Tokyo"),
    ("B.V.", "NL", "Rotterdam", "Europe/Amsterdam"),
    ("Sp. z o.o.", "PL", "Kraków", "Europe/Warsaw"),
    ("Lda.", "PT", "Porto", "Europe/Lisbon"),
    ("GmbH", "AT", "Wien", "Europe/Vienna"),
    ("Ltd", "IE", "Cork", "Europe/Dublin"),
];
const INDUSTRIES: &[&str] = &[
    "Manufacturing",
    "Logistics",
    "Healthcare",
    "Retail",
    "Energy",
    "Software",
    "Food & Beverage",
    "Automotive",
    "Construction",
    "Hospitality",
];
const OWNERS: &[&str] = &[
    "Anna Becker",
    "Tom Hughes",
    "Marie Laurent",
    "Kenji Mori",
    "Sara Lindqvist",
];
const TITLES: &[&str] = &[
    "CEO",
    "CFO",
    "Head of Purchasing",
    "Operations Manager",
    "IT Director",
    "Buyer",
    "Plant Manager",
    "Office Manager",
    "Sales Director",
    "Projektleiterin",
];
const SOURCES: &[&str] = &["Web", "Trade show", "Referral", "Cold call", "Partner", "LinkedIn"];
const PRODUCTS: &[&str] = &[
    "Sensor Kit",
    "Gateway",
    "Service Plan",
    "Installation",
    "Training Day",
    "Spare Parts Set",
    "Controller",
    "License Seat",
    "Support Hours",
    "Calibration",
    "Cable Pack",
    "Dashboard Licence",
    "Mount",
    "Battery Pack",
    "Field Tablet",
    "Scanner",
    "Label Printer",
    "Cloud Storage",
    "Onboarding",
    "Audit",
];
const SUBJECTS: &[&str] = &[
    "Discussed renewal",
    "Intro call",
    "Demo of the new gateway",
    "Price negotiation",
    "Site visit with the plant manager",
    "Follow-up on the quote",
    "Sent brochure",
    "Checked delivery dates",
    "Quarterly review",
    "Referral from a partner",
];
const OUTCOMES: &[&str] = &[
    "Interested",
    "Needs budget approval",
    "Wants a second demo",
    "Asked for a discount",
    "No decision yet",
    "Positive",
];
const EVENT_TITLES: &[&str] = &[
    "Customer visit",
    "Quarterly business review",
    "Product demo",
    "Contract signing",
    "Trade fair",
    "Lunch with the buyer",
    "Installation check",
];

/// Counts for a scale given in contacts (default 800).
fn plan(contacts: usize) -> [(EntityKind, usize); 9] {
    let s = |num: usize, den: usize| (contacts * num / den).max(1);
    [
        (EntityKind::User, OWNERS.len()),
        (EntityKind::Account, s(1, 4)),
        (EntityKind::Contact, contacts),
        (EntityKind::Lead, s(3, 16)),
        (EntityKind::Product, 40),
        (EntityKind::Opportunity, s(3, 8)),
        (EntityKind::Quote, s(3, 40)),
        (EntityKind::Activity, s(15, 8)),
        (EntityKind::Event, s(1, 10)),
    ]
}

struct Gen {
    rng: fastrand::Rng,
    today: NaiveDate,
}

impl Gen {
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.rng.usize(..items.len())]
    }

    fn money(&mut self, low: u32, high: u32, step: u32) -> Decimal {
        Decimal::from(self.rng.u32(low / step..=high / step) * step)
    }

    fn day(&mut self, from: i64, to: i64) -> NaiveDate {
        self.today + Duration::days(self.rng.i64(from..=to))
    }
}

fn f(pairs: &[(&str, Value)]) -> Fields {
    pairs.iter().map(|(k, v)| ((*k).to_string(), v.clone())).collect()
}

/// Writes the demo as it is generated, in staged parts (see `store::staged`), so memory
/// stays flat whatever the scale: the ids of each kind and the deals' accounts are all
/// that is kept. The last part publishes the whole demo at once.
struct Writer<'a> {
    app: &'a App,
    part: Vec<Mutation>,
    parts: usize,
    ids: Vec<(EntityKind, Vec<Id>)>,
    /// (deal, its account), for the quotes.
    opps: Vec<(Id, Id)>,
}

impl<'a> Writer<'a> {
    fn new(app: &'a App) -> Self {
        Self {
            app,
            part: Vec::with_capacity(crate::store::WRITE_BATCH),
            parts: 0,
            ids: Vec::new(),
            opps: Vec::new(),
        }
    }

    fn push(&mut self, m: Mutation) -> Result<(), AppError> {
        if m.kind == EntityKind::Opportunity
            && let crate::store::Op::Create(fl) = &m.op
            && let Some(a) = fl
                .get("account_id")
                .and_then(Value::as_str)
                .and_then(|s| s.parse().ok())
        {
            self.opps.push((m.id, a));
        }
        if matches!(m.op, crate::store::Op::Create(_)) {
            match self.ids.iter_mut().find(|(k, _)| *k == m.kind) {
                Some((_, ids)) => ids.push(m.id),
                None => self.ids.push((m.kind, vec![m.id])),
            }
        }
        self.part.push(m);
        if self.part.len() >= crate::store::WRITE_BATCH {
            self.app
                .stage_part("demo", &self.part, self.parts == 0)
                .map_err(|e| self.failed(e))?;
            self.parts += 1;
            self.part.clear();
        }
        Ok(())
    }

    fn extend(&mut self, muts: Vec<Mutation>) -> Result<(), AppError> {
        muts.into_iter().try_for_each(|m| self.push(m))
    }

    fn ids(&self, kind: EntityKind) -> Vec<Id> {
        self.ids
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, ids)| ids.clone())
            .unwrap_or_default()
    }

    /// Removes what was written (and the demo marker) after a failed part.
    fn failed(&self, e: crate::store::StoreError) -> AppError {
        if self.parts > 0 {
            let _ = self.app.discard_staged_write();
        }
        let _ = self
            .app
            .store
            .commit_with_meta(&[], &[(crate::store::meta::K_DEMO, None)]);
        AppError::from(e)
    }

    /// Writes the last part; the whole demo enters the outbox.
    fn finish(self) -> Result<Vec<(EntityKind, usize)>, AppError> {
        let result = if self.parts == 0 {
            self.app.store.commit(&self.part).map(|_| ())
        } else {
            self.app
                .store
                .commit_staged(&self.part, &[(crate::store::meta::K_STAGED, None)], true)
                .map(|_| ())
        };
        result.map_err(|e| self.failed(e))?;
        Ok(self.ids.iter().map(|(k, ids)| (*k, ids.len())).collect())
    }
}

impl App {
    /// Fills an empty store with sample data: `contacts` contacts (default 800) and
    /// proportionate other records.
    pub fn demo(&self, seed: u64, contacts: usize) -> Result<DemoSummary, AppError> {
        self.demo_at(seed, contacts, &self.clock().now().with_timezone(&Local))
    }

    /// [`App::demo`] as if it were `now` in `now`'s time zone: the same seed and `now` give
    /// the same records, dates included (tests and screenshots use a fixed `now`).
    pub fn demo_at<Tz: TimeZone>(
        &self,
        seed: u64,
        contacts: usize,
        now: &chrono::DateTime<Tz>,
    ) -> Result<DemoSummary, AppError> {
        if !self.store.has_no_records() {
            return Err(AppError::Invalid(format!(
                "the store at {} already has records; the demo fills an empty store (try --data-dir /tmp/outpost-demo)",
                self.store.path().display()
            )));
        }
        let _churn = crate::tuning::churn(crate::tuning::Churn::Bulk);
        let mut g = Gen {
            rng: fastrand::Rng::with_seed(seed),
            today: now.date_naive(),
        };
        let counts = plan(contacts);
        let n = |k: EntityKind| counts.iter().find(|(c, _)| *c == k).map_or(0, |(_, n)| *n);
        // All or nothing: staged (see `store::staged`) and marked as demo data in the
        // first transaction, so an interrupted demo is rolled back on the next open and
        // a completed one is never pushed by mistake.
        self.store
            .commit_with_meta(&[], &[(crate::store::meta::K_DEMO, Some("1"))])?;
        let mut muts = Writer::new(self);
        for (i, owner) in OWNERS.iter().enumerate() {
            let role = if i == 0 { "manager" } else { "rep" };
            let email = format!(
                "{}@outpost.example",
                owner.split(' ').next().unwrap_or("rep").to_lowercase()
            );
            muts.push(Mutation::create(
                EntityKind::User,
                f(&[
                    ("name", json!(owner)),
                    ("email", json!(email)),
                    ("role", json!(role)),
                    ("quota", json!(format!("{}", 150_000 + 25_000 * i))),
                    ("currency", json!("EUR")),
                ]),
            ))?;
        }
        let mut account_meta = Vec::new();
        for i in 0..n(EntityKind::Account) {
            let (suffix, country, city, tz) = SUFFIX[g.rng.usize(..SUFFIX.len())];
            let base = format!("{} {}", g.pick(COMPANY_A), g.pick(COMPANY_B));
            let name = if i < COMPANY_A.len() * COMPANY_B.len() {
                format!("{base} {suffix}")
            } else {
                format!("{base} {suffix} #{i}")
            };
            let domain: String = base
                .to_lowercase()
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect();
            let phone = format!(
                "+{} {} {}",
                crate::model::phone::calling_code(country).unwrap_or("49"),
                g.rng.u32(20..99),
                g.rng.u32(100_000..999_999)
            );
            let owner = g.pick(OWNERS);
            account_meta.push((country, tz, owner, domain.clone()));
            muts.push(Mutation::create(
                EntityKind::Account,
                f(&[
                    ("name", json!(name)),
                    ("industry", json!(g.pick(INDUSTRIES))),
                    ("website", json!(format!("https://{domain}.example"))),
                    ("phone", json!(phone)),
                    ("email", json!(format!("info@{domain}.example"))),
                    ("city", json!(city)),
                    ("country", json!(country)),
                    ("owner", json!(owner)),
                ]),
            ))?;
        }
        let accounts = muts.ids(EntityKind::Account);
        let mut contact_account = Vec::new();
        for i in 0..n(EntityKind::Contact) {
            let a = g.rng.usize(..accounts.len());
            let (country, _, owner, domain) = &account_meta[a];
            let (first, last) = (g.pick(FIRST), g.pick(LAST));
            let local: String = format!("{first}.{last}{i}")
                .to_lowercase()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
                .collect();
            let phone = format!(
                "+{} {} {}",
                crate::model::phone::calling_code(country).unwrap_or("49"),
                g.rng.u32(150..179),
                g.rng.u32(1_000_000..9_999_999)
            );
            contact_account.push(a);
            muts.push(Mutation::create(
                EntityKind::Contact,
                f(&[
                    ("first_name", json!(first)),
                    ("last_name", json!(last)),
                    ("account_id", json!(accounts[a].to_string())),
                    ("title", json!(g.pick(TITLES))),
                    ("emails", json!([format!("{local}@{domain}.example")])),
                    ("phones", json!([phone])),
                    ("country", json!(country)),
                    ("owner", json!(owner)),
                ]),
            ))?;
        }
        let contacts_ids = muts.ids(EntityKind::Contact);
        for _ in 0..n(EntityKind::Lead) {
            let (first, last) = (g.pick(FIRST), g.pick(LAST));
            let company = format!(
                "{} {}",
                g.pick(COMPANY_A),
                g.pick(&["Consulting", "Trading", "Group", "Werke", "Partners", "Labs"])
            );
            let status = g.pick(&["new", "new", "contacted", "qualified", "disqualified"]);
            let email = format!(
                "{}@{}.example",
                first
                    .to_lowercase()
                    .chars()
                    .filter(char::is_ascii_alphanumeric)
                    .collect::<String>(),
                company
                    .to_lowercase()
                    .chars()
                    .filter(char::is_ascii_alphanumeric)
                    .collect::<String>()
            );
            muts.push(Mutation::create(
                EntityKind::Lead,
                f(&[
                    ("first_name", json!(first)),
                    ("last_name", json!(last)),
                    ("company", json!(company)),
                    ("email", json!(email)),
                    ("source", json!(g.pick(SOURCES))),
                    ("status", json!(status)),
                    ("owner", json!(g.pick(OWNERS))),
                ]),
            ))?;
        }
        let mut product_prices = Vec::new();
        for i in 0..n(EntityKind::Product) {
            let price = g.money(20, 5000, 5);
            let usd = (price * Decimal::new(108, 2)).round_dp(2);
            product_prices.push(price);
            muts.push(Mutation::create(
                EntityKind::Product,
                f(&[
                    ("sku", json!(format!("SKU-{:04}", 1000 + i))),
                    (
                        "name",
                        json!(format!(
                            "{} {}",
                            PRODUCTS[i % PRODUCTS.len()],
                            ["S", "M", "L", "Pro"][i / PRODUCTS.len() % 4]
                        )),
                    ),
                    ("prices", json!({"EUR": price.to_string(), "USD": usd.to_string()})),
                    ("tax_pct", json!(if i % 5 == 0 { "7" } else { "19" })),
                    ("active", json!(true)),
                ]),
            ))?;
        }
        let products = muts.ids(EntityKind::Product);
        let pipeline = self.config.pipeline.clone();
        for i in 0..n(EntityKind::Opportunity) {
            let a = g.rng.usize(..accounts.len());
            let stage = &pipeline.stages[i % pipeline.stages.len()];
            let close = if stage.state == crate::model::stage::StageState::Open {
                g.day(0, 365)
            } else {
                g.day(-120, -1)
            };
            let name = format!(
                "{} – {}",
                g.pick(&[
                    "Rollout",
                    "Expansion",
                    "Renewal",
                    "Pilot",
                    "Upgrade",
                    "Service contract"
                ]),
                close.format("%b %Y")
            );
            muts.push(Mutation::create(
                EntityKind::Opportunity,
                f(&[
                    ("name", json!(name)),
                    ("account_id", json!(accounts[a].to_string())),
                    ("amount", json!(g.money(2_000, 250_000, 500).to_string())),
                    ("currency", json!("EUR")),
                    ("stage", json!(stage.name)),
                    ("probability", json!(stage.probability)),
                    ("close_date", json!(close.to_string())),
                    ("owner", json!(account_meta[a].2)),
                    (
                        "next_step",
                        json!(g.pick(&[
                            "Send proposal",
                            "Book demo",
                            "Call the CFO",
                            "Visit the plant",
                            "Wait for budget"
                        ])),
                    ),
                ]),
            ))?;
        }
        let opps: Vec<(Id, Id)> = std::mem::take(&mut muts.opps);
        let mut line_muts = Vec::new();
        // As a rep makes them: a draft, its lines, then the status. A quote created sent
        // would freeze on the server before its lines arrive in a later push.
        let mut statuses = Vec::new();
        for _ in 0..n(EntityKind::Quote) {
            let (opp, account) = opps[g.rng.usize(..opps.len())];
            let status = g.pick(&["draft", "draft", "sent", "accepted", "rejected"]);
            let q = Mutation::create(
                EntityKind::Quote,
                f(&[
                    ("opportunity_id", json!(opp.to_string())),
                    ("account_id", json!(account.to_string())),
                    ("currency", json!("EUR")),
                    ("status", json!("draft")),
                    ("valid_until", json!(g.day(7, 60).to_string())),
                ]),
            );
            if status != "draft" {
                statuses.push(Mutation::update(
                    EntityKind::Quote,
                    q.id,
                    f(&[("status", json!(status))]),
                ));
            }
            for pos in 0..g.rng.u32(1..=5) {
                let p = g.rng.usize(..products.len());
                line_muts.push(Mutation::create(
                    EntityKind::QuoteLine,
                    f(&[
                        ("quote_id", json!(q.id.to_string())),
                        ("product_id", json!(products[p].to_string())),
                        (
                            "description",
                            json!(format!(
                                "{} {}",
                                PRODUCTS[p % PRODUCTS.len()],
                                ["S", "M", "L", "Pro"][p / PRODUCTS.len() % 4]
                            )),
                        ),
                        ("quantity", json!(g.rng.u32(1..=20).to_string())),
                        ("unit_price", json!(product_prices[p].to_string())),
                        ("discount_pct", json!(["0", "0", "5", "10"][g.rng.usize(..4)])),
                        ("tax_pct", json!("19")),
                        ("position", json!(pos)),
                    ]),
                ));
            }
            muts.push(q)?;
        }
        muts.extend(line_muts)?;
        muts.extend(statuses)?;
        for i in 0..n(EntityKind::Activity) {
            let c = g.rng.usize(..contacts_ids.len());
            let account = accounts[contact_account[c]];
            let kind = ["call", "call", "visit", "meeting", "email", "note", "task", "task"][i % 8];
            let mut fields = f(&[
                ("kind", json!(kind)),
                ("subject", json!(g.pick(SUBJECTS))),
                ("account_id", json!(account.to_string())),
                ("contact_id", json!(contacts_ids[c].to_string())),
                ("owner", json!(account_meta[contact_account[c]].2)),
            ]);
            let at = now.with_timezone(&Utc) - Duration::minutes(g.rng.i64(0..60 * 24 * 120));
            fields.insert(
                "at".into(),
                json!(at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            );
            if kind == "task" {
                let due = g.day(-10, 21);
                fields.insert("due".into(), json!(due.to_string()));
                fields.insert("done".into(), json!(due < g.today && g.rng.bool()));
            } else {
                fields.insert("done".into(), json!(true));
                if matches!(kind, "call" | "visit" | "meeting") {
                    fields.insert("outcome".into(), json!(g.pick(OUTCOMES)));
                }
            }
            muts.push(Mutation::create(EntityKind::Activity, fields))?;
        }
        for _ in 0..n(EntityKind::Event) {
            let a = g.rng.usize(..accounts.len());
            let (_, tz, _, _) = &account_meta[a];
            let day = g.day(0, 27);
            let day = if day.weekday().number_from_monday() > 5 {
                day + Duration::days(2)
            } else {
                day
            };
            let hour = g.rng.u32(8..17);
            let start = now
                .timezone()
                .from_local_datetime(&day.and_hms_opt(hour, [0, 30][g.rng.usize(..2)], 0).unwrap_or_default())
                .earliest()
                .map_or_else(|| now.with_timezone(&Utc), |d| d.with_timezone(&Utc));
            let end = start + Duration::minutes([30, 60, 90, 120][g.rng.usize(..4)]);
            muts.push(Mutation::create(
                EntityKind::Event,
                f(&[
                    ("title", json!(g.pick(EVENT_TITLES))),
                    ("start", json!(start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))),
                    ("end", json!(end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))),
                    ("tz", json!(tz)),
                    (
                        "location",
                        json!(SUFFIX.iter().find(|s| s.3 == *tz).map_or("", |s| s.2)),
                    ),
                    ("account_id", json!(accounts[a].to_string())),
                ]),
            ))?;
        }
        let written = muts.finish()?;
        let mut summary = DemoSummary::default();
        for kind in EntityKind::ALL {
            let n = written.iter().find(|(k, _)| *k == kind).map_or(0, |(_, n)| *n);
            summary.counts.push((kind, n));
        }
        Ok(summary)
    }
}
