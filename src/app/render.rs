//! Quote documents: the plain text of `quote show`, Markdown, HTML and PDF. Every one is
//! drawn from a [`QuoteDoc`] (its totals are `model::totals::totals`'s), through one
//! list of rows ([`Sheet`]), so the documents cannot disagree with each other or with the
//! JSON.

use std::path::Path;

use rust_decimal::Decimal;

use super::quotes::QuoteDoc;
use super::{App, AppError};
use crate::model::money::NumberLocale;

/// What a document shows, as text, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Sheet {
    /// "Quote Q-AB12-0001-R2".
    pub title: String,
    /// Seller lines (name first).
    pub seller: Vec<String>,
    /// Customer lines (name first, then address, then "Attn: contact").
    pub customer: Vec<String>,
    /// (label, value) pairs: number, revision, date, valid until, status, deal.
    pub meta: Vec<(String, String)>,
    /// Column headings of the lines.
    pub head: [&'static str; 7],
    /// One row per line: place, description, qty, unit price, discount, tax, net.
    pub rows: Vec<[String; 7]>,
    /// (label, amount) pairs: subtotal, discount, net, tax per rate, tax, grand total.
    pub totals: Vec<(String, String)>,
    /// The grand total, formatted.
    pub grand_total: String,
    /// Notes and terms paragraphs.
    pub notes: Vec<(String, String)>,
}

/// Amount text: the currency's digits, a dot (or the locale's decimal mark) and the code.
#[must_use]
pub fn amount(x: Decimal, currency: &str, locale: &NumberLocale) -> String {
    format!("{} {currency}", number(x, locale))
}

fn number(x: Decimal, locale: &NumberLocale) -> String {
    let t = x.to_string();
    match locale.decimal() {
        Some(',') => t.replace('.', ","),
        _ => t,
    }
}

/// The rows of a quote document.
#[must_use]
pub fn sheet(doc: &QuoteDoc, locale: &NumberLocale) -> Sheet {
    let q = &doc.quote;
    let cur = q.currency.as_str();
    let mut seller = Vec::new();
    if let Some(n) = &doc.seller.name {
        seller.push(n.clone());
    }
    if let Some(a) = &doc.seller.address {
        seller.extend(a.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string));
    }
    if let Some(t) = &doc.seller.tax_id {
        seller.push(format!("Tax id: {t}"));
    }
    let mut customer = Vec::new();
    if let Some(a) = &doc.account {
        customer.push(a.clone());
    }
    customer.extend(doc.account_address.iter().cloned());
    if let Some(c) = doc.contact.as_ref().filter(|c| !c.is_empty()) {
        customer.push(format!("Attn: {c}"));
    }
    let mut meta = vec![
        ("Quote".to_string(), q.number.clone()),
        ("Revision".to_string(), q.revision.to_string()),
    ];
    if let Some(d) = q.date {
        meta.push(("Date".into(), d.to_string()));
    }
    if let Some(d) = q.valid_until {
        meta.push(("Valid until".into(), d.to_string()));
    }
    meta.push(("Status".into(), doc.status.name().replace('_', " ")));
    if let Some(o) = &doc.opportunity {
        meta.push(("Deal".into(), o.clone()));
    }
    meta.push(("Currency".into(), cur.to_string()));
    let rows = doc
        .lines
        .iter()
        .map(|l| {
            let desc = match &l.sku {
                Some(s) if !s.is_empty() => format!("{} ({s})", l.line.description),
                _ => l.line.description.clone(),
            };
            [
                l.position.to_string(),
                desc,
                number(l.line.quantity.normalize(), locale),
                number(crate::model::money::pad_to_minor(l.line.unit_price, cur), locale),
                format!("{}%", number(l.line.discount_pct.normalize(), locale)),
                format!("{}%", number(l.line.tax_pct.normalize(), locale)),
                number(l.net, locale),
            ]
        })
        .collect();
    let t = &doc.totals;
    let mut totals = vec![("Subtotal".to_string(), amount(t.subtotal, cur, locale))];
    if !t.discount_pct.is_zero() {
        totals.push((
            format!("Discount {}%", number(t.discount_pct, locale)),
            format!("-{}", amount(t.discount, cur, locale)),
        ));
        totals.push(("Net".into(), amount(t.net, cur, locale)));
    }
    for r in &t.taxes {
        totals.push((
            format!("Tax {}% on {}", number(r.rate, locale), amount(r.base, cur, locale)),
            amount(r.tax, cur, locale),
        ));
    }
    totals.push(("Total tax".into(), amount(t.tax, cur, locale)));
    let grand_total = amount(t.grand_total, cur, locale);
    totals.push(("Grand total".into(), grand_total.clone()));
    let mut notes = Vec::new();
    if let Some(n) = &q.notes {
        notes.push(("Notes".to_string(), n.clone()));
    }
    if let Some(c) = &q.approval_comment {
        notes.push(("Approval".to_string(), c.clone()));
    }
    if let Some(t) = &doc.terms {
        notes.push(("Terms".to_string(), t.clone()));
    }
    Sheet {
        title: format!("Quote {}", q.display_number()),
        seller,
        customer,
        meta,
        head: ["#", "Description", "Qty", "Unit price", "Disc.", "Tax", "Net"],
        rows,
        totals,
        grand_total,
        notes,
    }
}

/// `quote show`: the sheet as aligned plain text.
#[must_use]
pub fn text(doc: &QuoteDoc) -> String {
    let s = sheet(doc, &NumberLocale::none());
    let mut out = format!("{}\n", s.title);
    let w = s.meta.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, v) in &s.meta {
        out.push_str(&format!("{k:w$}  {v}\n"));
    }
    if !s.customer.is_empty() {
        out.push_str(&format!("{:w$}  {}\n", "Customer", s.customer.join(", ")));
    }
    if let Some(by) = &doc.quote.approved_by {
        out.push_str(&format!("{:w$}  {by}\n", "Approval by"));
    }
    out.push('\n');
    let mut widths = s.head.map(|h| h.chars().count());
    for r in &s.rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(unicode_width::UnicodeWidthStr::width(c.as_str()));
        }
    }
    let line = |cells: &[String]| {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate() {
            let pad = widths[i].saturating_sub(unicode_width::UnicodeWidthStr::width(c.as_str()));
            if i == 1 {
                l.push_str(c);
                l.push_str(&" ".repeat(pad));
            } else {
                l.push_str(&" ".repeat(pad));
                l.push_str(c);
            }
            l.push_str("  ");
        }
        l.trim_end().to_string() + "\n"
    };
    out.push_str(&line(&s.head.map(str::to_string)));
    if s.rows.is_empty() {
        out.push_str("(no lines yet: `outpost quote line-add`)\n");
    }
    for r in &s.rows {
        out.push_str(&line(r));
    }
    out.push('\n');
    let tw = s.totals.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0);
    let aw = s.totals.iter().map(|(_, v)| v.chars().count()).max().unwrap_or(0);
    for (k, v) in &s.totals {
        out.push_str(&format!("{k:>tw$}  {v:>aw$}\n"));
    }
    for (k, v) in &s.notes {
        out.push_str(&format!("\n{k}: {v}\n"));
    }
    out
}

/// Markdown escapes for table cells and text.
fn md(t: &str) -> String {
    let mut o = String::with_capacity(t.len());
    for c in t.chars() {
        if matches!(c, '|' | '\\' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '#') {
            o.push('\\');
        }
        if c == '\n' {
            o.push(' ');
        } else {
            o.push(c);
        }
    }
    o
}

/// The document as Markdown.
#[must_use]
pub fn markdown(s: &Sheet) -> String {
    let mut o = format!("# {}\n\n", md(&s.title));
    if !s.seller.is_empty() {
        o.push_str(&format!(
            "**From:** {}\n\n",
            s.seller.iter().map(|l| md(l)).collect::<Vec<_>>().join("  \n")
        ));
    }
    if !s.customer.is_empty() {
        o.push_str(&format!(
            "**To:** {}\n\n",
            s.customer.iter().map(|l| md(l)).collect::<Vec<_>>().join("  \n")
        ));
    }
    for (k, v) in &s.meta {
        o.push_str(&format!("- **{}:** {}\n", md(k), md(v)));
    }
    o.push_str("\n| ");
    o.push_str(&s.head.join(" | "));
    o.push_str(" |\n|---:|:---|---:|---:|---:|---:|---:|\n");
    for r in &s.rows {
        o.push_str("| ");
        o.push_str(&r.iter().map(|c| md(c)).collect::<Vec<_>>().join(" | "));
        o.push_str(" |\n");
    }
    o.push_str("\n| | |\n|:---|---:|\n");
    for (k, v) in &s.totals {
        if k == "Grand total" {
            o.push_str(&format!("| **{}** | **{}** |\n", md(k), md(v)));
        } else {
            o.push_str(&format!("| {} | {} |\n", md(k), md(v)));
        }
    }
    for (k, v) in &s.notes {
        o.push_str(&format!("\n**{}:** {}\n", md(k), md(v)));
    }
    o
}

fn h(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The document as one HTML page (inline style, no scripts).
#[must_use]
pub fn html(s: &Sheet, logo: Option<&str>) -> String {
    let mut o = String::from("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n");
    o.push_str(&format!("<title>{}</title>\n", h(&s.title)));
    o.push_str(
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}\
         td,th{padding:.2em .6em}.num{text-align:right}.lines th{border-bottom:1px solid #000}\
         .grand td{font-weight:bold;border-top:1px solid #000}</style>\n</head><body>\n",
    );
    if let Some(l) = logo {
        o.push_str(&format!(
            "<img class=\"logo\" src=\"{}\" alt=\"logo\" height=\"60\">\n",
            h(l)
        ));
    }
    o.push_str(&format!("<h1>{}</h1>\n", h(&s.title)));
    let block = |o: &mut String, class: &str, label: &str, lines: &[String]| {
        if !lines.is_empty() {
            o.push_str(&format!(
                "<p class=\"{class}\"><strong>{label}</strong><br>{}</p>\n",
                lines.iter().map(|l| h(l)).collect::<Vec<_>>().join("<br>")
            ));
        }
    };
    block(&mut o, "seller", "From", &s.seller);
    block(&mut o, "customer", "To", &s.customer);
    o.push_str("<table class=\"meta\">\n");
    for (k, v) in &s.meta {
        o.push_str(&format!("<tr><th>{}</th><td>{}</td></tr>\n", h(k), h(v)));
    }
    o.push_str("</table>\n<table class=\"lines\">\n<tr>");
    for (i, c) in s.head.iter().enumerate() {
        let class = if i == 1 { "" } else { " class=\"num\"" };
        o.push_str(&format!("<th{class}>{}</th>", h(c)));
    }
    o.push_str("</tr>\n");
    for r in &s.rows {
        o.push_str("<tr>");
        for (i, c) in r.iter().enumerate() {
            let class = if i == 1 { "" } else { " class=\"num\"" };
            o.push_str(&format!("<td{class}>{}</td>", h(c)));
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</table>\n<table class=\"totals\">\n");
    for (k, v) in &s.totals {
        let class = if k == "Grand total" { " class=\"grand\"" } else { "" };
        o.push_str(&format!(
            "<tr{class}><td>{}</td><td class=\"num\">{}</td></tr>\n",
            h(k),
            h(v)
        ));
    }
    o.push_str("</table>\n");
    for (k, v) in &s.notes {
        o.push_str(&format!("<p><strong>{}:</strong> {}</p>\n", h(k), h(v)));
    }
    o.push_str("</body></html>\n");
    o
}

/// The document formats, by file extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocFormat {
    /// `.pdf`
    Pdf,
    /// `.html`, `.htm`
    Html,
    /// `.md`, `.markdown`
    Markdown,
}

impl DocFormat {
    /// The format a file name asks for.
    pub fn of(path: &Path) -> Result<Self, AppError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        match ext.as_str() {
            "pdf" => Ok(Self::Pdf),
            "html" | "htm" => Ok(Self::Html),
            "md" | "markdown" => Ok(Self::Markdown),
            _ => Err(AppError::Invalid(format!(
                "--output {}: the extension says the format; use .pdf, .html (or .htm) or .md",
                path.display()
            ))),
        }
    }

    /// Its name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Pdf => "PDF",
            Self::Html => "HTML",
            Self::Markdown => "Markdown",
        }
    }
}

impl App {
    /// `quote render`: writes the quote to `path` in the format its extension names.
    /// The file is written whole or not at all (a temporary file renamed into place).
    pub fn render_quote(&self, id: crate::model::Id, path: &Path) -> Result<&'static str, AppError> {
        let format = DocFormat::of(path)?;
        let doc = self.quote_doc(id)?;
        let s = sheet(&doc, &self.config.document_locale);
        let bytes = match format {
            DocFormat::Markdown => markdown(&s).into_bytes(),
            DocFormat::Html => {
                let logo = doc.seller.logo.as_ref().map(|p| p.display().to_string());
                html(&s, logo.as_deref()).into_bytes()
            }
            DocFormat::Pdf => {
                let font = super::pdf::load_font(&self.config.quotes)?;
                super::pdf::pdf(&s, &font)?
            }
        };
        let tmp = path.with_extension(format!(
            "{}.tmp",
            path.extension().and_then(|e| e.to_str()).unwrap_or("")
        ));
        std::fs::write(&tmp, &bytes).map_err(|e| AppError::io(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| AppError::io(path, e))?;
        Ok(format.name())
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;
    use crate::app::quotes::{DocLine, QuoteDoc, totals_json};
    use crate::model::Id;
    use crate::model::records::{Quote, QuoteLine, QuoteStatus};
    use crate::model::totals::{LineIn, totals};

    /// A document as `App::quote_doc` builds it, from lines and a quote discount.
    pub(crate) fn doc(currency: &str, lines: &[LineIn], discount: Decimal) -> QuoteDoc {
        let t = totals(currency, lines, discount).expect("totals");
        QuoteDoc {
            id: Id::new(),
            quote: Quote {
                number: "Q-T-0001".into(),
                currency: currency.into(),
                discount_pct: discount,
                ..Quote::default()
            },
            status: QuoteStatus::Draft,
            opportunity: Some("Deal".into()),
            account: Some("Müller GmbH".into()),
            account_address: vec![],
            contact: Some("王小明".into()),
            lines: lines
                .iter()
                .enumerate()
                .map(|(i, l)| DocLine {
                    id: Id::new(),
                    position: i + 1,
                    sku: None,
                    product_id: None,
                    line: QuoteLine {
                        description: format!("Item {i}"),
                        quantity: l.quantity,
                        unit_price: l.unit_price,
                        discount_pct: l.discount_pct,
                        tax_pct: l.tax_pct,
                        ..QuoteLine::default()
                    },
                    net: t.line_nets[i],
                })
                .collect(),
            max_discount: Decimal::ZERO,
            totals: t,
            seller: Default::default(),
            terms: None,
        }
    }

    proptest::proptest! {
        /// JSON, Markdown, HTML and the plain text of `quote show` print the totals the
        /// one function computed, line nets included.
        #[test]
        fn every_document_shows_the_functions_totals(
            raw in proptest::collection::vec((1u32..500, 0i64..5_000_000, 0u32..=60, proptest::sample::select(vec![0u32, 7, 19, 21])), 1..12),
            q in 0u32..=30,
            cur in proptest::sample::select(vec!["EUR", "JPY", "KWD"]),
        ) {
            let lines: Vec<LineIn> = raw.iter().map(|(n, p, dsc, tax)| LineIn {
                quantity: Decimal::from(*n),
                unit_price: Decimal::new(*p, 3),
                discount_pct: Decimal::from(*dsc),
                tax_pct: Decimal::from(*tax),
            }).collect();
            let d = doc(cur, &lines, Decimal::from(q));
            let t = totals(cur, &lines, Decimal::from(q)).expect("totals");
            let grand = format!("{} {cur}", t.grand_total);
            let json = totals_json(&d.totals);
            let want = t.grand_total.to_string();
            proptest::prop_assert_eq!(json["grand_total"].as_str(), Some(want.as_str()));
            let s = sheet(&d, &NumberLocale::none());
            proptest::prop_assert_eq!(&s.grand_total, &grand);
            let md = markdown(&s);
            let html = html(&s, None);
            let txt = text(&d);
            for out in [&md, &html, &txt] {
                proptest::prop_assert!(out.contains(&grand), "{} not in {}", grand, out);
                for r in &t.taxes {
                    let tax = format!("{} {cur}", r.tax);
                    proptest::prop_assert!(out.contains(&tax));
                }
            }
            for (i, n) in t.line_nets.iter().enumerate() {
                proptest::prop_assert_eq!(&s.rows[i][6], &n.to_string());
                let cell = format!("<td class=\"num\">{n}</td>");
                proptest::prop_assert!(html.contains(&cell));
            }
        }
    }

    #[test]
    fn a_locale_prints_its_decimal_mark() {
        let lines = [LineIn {
            quantity: Decimal::ONE,
            unit_price: Decimal::new(1050, 2),
            discount_pct: Decimal::ZERO,
            tax_pct: Decimal::ZERO,
        }];
        let d = doc("EUR", &lines, Decimal::ZERO);
        let de = NumberLocale::parse("de-DE").expect("locale");
        assert_eq!(sheet(&d, &de).grand_total, "10,50 EUR");
        assert_eq!(sheet(&d, &NumberLocale::none()).grand_total, "10.50 EUR");
    }

    #[test]
    fn markup_is_escaped() {
        let mut d = doc("EUR", &[], Decimal::ZERO);
        d.account = Some("<b>A&B</b> | *x*".into());
        let s = sheet(&d, &NumberLocale::none());
        assert!(html(&s, None).contains("&lt;b&gt;A&amp;B&lt;/b&gt;"));
        assert!(markdown(&s).contains("\\<b\\>A&B\\</b\\> \\| \\*x\\*"));
    }
}
