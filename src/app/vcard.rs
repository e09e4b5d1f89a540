//! vCard: `export contact --format vcf` (4.0, or 3.0 with `--vcard-version 3.0`) and
//! `import contact FILE.vcf` (2.1, 3.0 and 4.0; folded lines, quoted-printable, many
//! cards a file).
//!
//! Export: FN, N, ORG (the account's name), TITLE, every EMAIL and TEL with TYPE (the
//! first preferred), ADR (the mailing address), NOTE (the account, when the contact has
//! one, for people reading the card), UID = record id, `X-OUTPOST-OWNER`.
//! Import matches a card to a contact by UID (an outpost id), then by e-mail, then by
//! phone, and updates it; a card matching several contacts is skipped and reported.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::contentline::{self, Line, escape, fold_into, quoted_printable, split_structured, unescape};
use super::ical::FileReport;
use super::{App, AppError};
use crate::model::records::fields::contact as f;
use crate::model::{EntityKind, Fields, Id};
use crate::store::Mutation;

/// The vCard version written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum VcardVersion {
    /// vCard 4.0 (RFC 6350).
    #[default]
    #[value(name = "4.0")]
    V4,
    /// vCard 3.0 (RFC 2426), for older phones.
    #[value(name = "3.0")]
    V3,
}

fn text<'a>(fields: &'a Fields, key: &str) -> Option<&'a str> {
    fields.get(key).and_then(Value::as_str).filter(|s| !s.trim().is_empty())
}

fn list(fields: &Fields, key: &str) -> Vec<String> {
    fields
        .get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default()
}

/// Writes one contact as a vCard. `org` is its account's name.
pub fn write_card(out: &mut String, id: Id, c: &Fields, org: Option<&str>, version: VcardVersion) {
    let v4 = version == VcardVersion::V4;
    fold_into(out, "BEGIN:VCARD");
    fold_into(out, if v4 { "VERSION:4.0" } else { "VERSION:3.0" });
    fold_into(out, &format!("UID:{id}"));
    let first = text(c, f::FIRST_NAME).unwrap_or("");
    let last = text(c, f::LAST_NAME).unwrap_or("");
    fold_into(out, &format!("FN:{}", escape(format!("{first} {last}").trim())));
    fold_into(out, &format!("N:{};{};;;", escape(last), escape(first)));
    if let Some(o) = org {
        fold_into(out, &format!("ORG:{}", escape(o)));
    }
    if let Some(t) = text(c, f::TITLE) {
        fold_into(out, &format!("TITLE:{}", escape(t)));
    }
    for (i, e) in list(c, f::EMAILS).iter().enumerate() {
        let pref = match (i, v4) {
            (0, true) => ";PREF=1",
            (0, false) => ",pref",
            _ => "",
        };
        let ty = if v4 {
            format!(";TYPE=work{pref}")
        } else {
            format!(";TYPE=INTERNET,work{pref}")
        };
        fold_into(out, &format!("EMAIL{ty}:{}", escape(e)));
    }
    for (i, p) in list(c, f::PHONES).iter().enumerate() {
        let pref = match (i, v4) {
            (0, true) => ";PREF=1",
            (0, false) => ",pref",
            _ => "",
        };
        fold_into(out, &format!("TEL;TYPE=work,voice{pref}:{}", escape(p)));
    }
    let adr = [f::STREET, f::CITY, f::REGION, f::POSTCODE, f::COUNTRY].map(|k| text(c, k));
    if adr.iter().any(Option::is_some) {
        let [street, city, region, postcode, country] = adr.map(|v| escape(v.unwrap_or("")));
        fold_into(
            out,
            &format!("ADR;TYPE=work:;;{street};{city};{region};{postcode};{country}"),
        );
    }
    if let Some(o) = text(c, f::OWNER) {
        fold_into(out, &format!("X-OUTPOST-OWNER:{}", escape(o)));
    }
    fold_into(out, "END:VCARD");
}

/// A card read from a file.
#[derive(Debug, Default)]
struct Card {
    line: usize,
    uid: Option<String>,
    first: String,
    last: String,
    org: Option<String>,
    title: Option<String>,
    emails: Vec<String>,
    phones: Vec<String>,
    /// street, city, region, postcode, country.
    adr: Option<[String; 5]>,
    owner: Option<String>,
}

/// A property's value decoded: quoted-printable and charset (2.1), else as written.
fn decoded(l: &Line) -> String {
    let qp = l
        .param("ENCODING")
        .is_some_and(|e| e.eq_ignore_ascii_case("QUOTED-PRINTABLE"))
        || l.params.iter().any(|(n, v)| n == "QUOTED-PRINTABLE" && v.is_empty());
    if qp {
        quoted_printable(&l.value, l.param("CHARSET"))
    } else {
        l.value.clone()
    }
}

fn read_cards(text: &str) -> Result<(Vec<Result<Card, String>>, usize), String> {
    let lines = contentline::parse(text).map_err(|e| format!("line {}: {}", e.line, e.message))?;
    let mut cards = Vec::new();
    let mut current: Option<(usize, Vec<Line>)> = None;
    let mut depth = 0;
    for l in lines {
        match l.name.as_str() {
            "BEGIN" if l.value.trim().eq_ignore_ascii_case("VCARD") => {
                if current.is_some() {
                    // A card inside a card (AGENT in 2.1): skip its lines.
                    depth += 1;
                    continue;
                }
                current = Some((l.number, Vec::new()));
            }
            "END" if l.value.trim().eq_ignore_ascii_case("VCARD") => {
                if depth > 0 {
                    depth -= 1;
                    continue;
                }
                let Some((start, props)) = current.take() else {
                    return Err(format!("line {}: END:VCARD without BEGIN:VCARD", l.number));
                };
                cards.push(card(start, &props));
            }
            _ => match current.as_mut() {
                Some((_, props)) if depth == 0 => props.push(l),
                Some(_) => {}
                None => {
                    return Err(format!(
                        "line {}: {} outside BEGIN:VCARD ... END:VCARD",
                        l.number, l.name
                    ));
                }
            },
        }
    }
    if let Some((start, _)) = current {
        return Err(format!("line {start}: BEGIN:VCARD is never ended"));
    }
    let n = cards.len();
    Ok((cards, n))
}

fn card(start: usize, props: &[Line]) -> Result<Card, String> {
    let get = |n: &str| props.iter().find(|l| l.name == n);
    let version = get("VERSION").map(|l| l.value.trim().to_string());
    match version.as_deref() {
        Some("2.1" | "3.0" | "4.0") => {}
        Some(v) => {
            return Err(format!(
                "line {start}: VERSION:{v} is not a vCard version outpost reads (2.1, 3.0, 4.0)"
            ));
        }
        None => return Err(format!("line {start}: the card has no VERSION")),
    }
    let mut c = Card {
        line: start,
        ..Card::default()
    };
    let value = |l: &Line| unescape(&decoded(l)).trim().to_string();
    if let Some(n) = get("N") {
        let parts = split_structured(&decoded(n));
        c.last = parts.first().cloned().unwrap_or_default().trim().to_string();
        c.first = parts.get(1).cloned().unwrap_or_default().trim().to_string();
    }
    let full = get("FN").map(value).unwrap_or_default();
    if c.first.is_empty() && c.last.is_empty() {
        match full.rsplit_once(' ') {
            Some((a, b)) => {
                c.first = a.trim().to_string();
                c.last = b.trim().to_string();
            }
            None => c.last.clone_from(&full),
        }
    }
    // A one-word name fills both required names.
    if c.first.is_empty() {
        c.first.clone_from(&c.last);
    }
    if c.last.is_empty() {
        c.last.clone_from(&c.first);
    }
    if c.first.is_empty() {
        return Err(format!("line {start}: the card has no name (FN or N)"));
    }
    c.org = get("ORG")
        .map(|l| {
            split_structured(&decoded(l))
                .into_iter()
                .next()
                .unwrap_or_default()
                .trim()
                .to_string()
        })
        .filter(|o| !o.is_empty());
    c.title = get("TITLE").map(value).filter(|t| !t.is_empty());
    // Preferred first: PREF=1 (4.0) or TYPE=pref (2.1, 3.0).
    let pref = |l: &Line| l.param("PREF").is_some() || l.types().iter().any(|t| t == "PREF");
    let mut emails: Vec<&Line> = props.iter().filter(|l| l.name == "EMAIL").collect();
    emails.sort_by_key(|l| !pref(l));
    c.emails = emails.iter().map(|l| value(l)).filter(|e| !e.is_empty()).collect();
    let mut tels: Vec<&Line> = props.iter().filter(|l| l.name == "TEL").collect();
    tels.sort_by_key(|l| !pref(l));
    c.phones = tels
        .iter()
        .map(|l| {
            let v = value(l);
            v.strip_prefix("tel:").map(str::to_string).unwrap_or(v)
        })
        .filter(|p| !p.is_empty())
        .collect();
    let mut adrs: Vec<&Line> = props.iter().filter(|l| l.name == "ADR").collect();
    adrs.sort_by_key(|l| !pref(l));
    if let Some(a) = adrs.first() {
        let p = split_structured(&decoded(a));
        let at = |i: usize| p.get(i).map(|s| s.trim().to_string()).unwrap_or_default();
        let street = [at(1), at(2)]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        c.adr = Some([street, at(3), at(4), at(5), at(6)]);
    }
    c.uid = get("UID").map(value).filter(|u| !u.is_empty());
    c.owner = get("X-OUTPOST-OWNER").map(value).filter(|o| !o.is_empty());
    Ok(c)
}

fn fold_email(e: &str) -> String {
    e.trim().to_lowercase()
}

impl App {
    /// Writes every live contact as vCards.
    pub fn export_contacts_vcf(&self, version: VcardVersion, out: &mut dyn std::io::Write) -> Result<usize, AppError> {
        let mut text = String::new();
        let mut n = 0;
        // Each account's name is looked up once, however many contacts it has.
        let mut orgs: HashMap<Id, String> = HashMap::new();
        for item in self.store.live(EntityKind::Contact) {
            let (id, s) = item?;
            let org = s
                .fields
                .get(f::ACCOUNT_ID)
                .and_then(Value::as_str)
                .and_then(|a| a.parse::<Id>().ok())
                .map(|a| {
                    orgs.entry(a)
                        .or_insert_with(|| self.title(EntityKind::Account, a))
                        .as_str()
                })
                .filter(|t| !t.is_empty());
            write_card(&mut text, id, &s.fields, org, version);
            n += 1;
            if text.len() > 1 << 20 {
                out.write_all(text.as_bytes())
                    .map_err(|e| AppError::io(std::path::Path::new("-"), e))?;
                text.clear();
            }
        }
        out.write_all(text.as_bytes())
            .map_err(|e| AppError::io(std::path::Path::new("-"), e))?;
        Ok(n)
    }

    /// Imports the cards of a .vcf file: each matched by UID, e-mail, then phone and
    /// updated, or created. Every card is checked first; with errors nothing is written
    /// (`partial`: the good ones are, and the report lists the rest).
    pub fn import_vcf(&self, path: &std::path::Path, partial: bool, dry_run: bool) -> Result<FileReport, AppError> {
        let bytes = std::fs::read(path).map_err(|e| AppError::io(path, e))?;
        let text = super::import::utf8_text(path, &bytes)?;
        let (cards, count) = read_cards(text).map_err(|m| AppError::Invalid(format!("{}: {m}", path.display())))?;
        let mut report = FileReport::default();
        if count == 0 {
            report.errors.push("line 1: no BEGIN:VCARD in the file".into());
        }
        // Existing contacts by id, e-mail and phone.
        let mut existing: HashMap<Id, Fields> = HashMap::new();
        let mut by_email: HashMap<String, Vec<Id>> = HashMap::new();
        let mut by_phone: HashMap<String, Vec<Id>> = HashMap::new();
        for item in self.store.live(EntityKind::Contact) {
            let (id, s) = item?;
            for e in list(&s.fields, f::EMAILS) {
                by_email.entry(fold_email(&e)).or_default().push(id);
            }
            for p in list(&s.fields, f::PHONES) {
                by_phone.entry(p).or_default().push(id);
            }
            existing.insert(id, s.fields);
        }
        let accounts = self.titles(EntityKind::Account)?;
        let mut muts: Vec<Mutation> = Vec::new();
        let mut claimed: HashMap<Id, usize> = HashMap::new();
        // The e-mails of the cards that make new contacts: the line, and whether the card
        // gave an id.
        let mut new_emails: HashMap<String, (usize, bool)> = HashMap::new();
        for card in cards {
            let c = match card {
                Ok(c) => c,
                Err(m) => {
                    report.errors.push(m);
                    continue;
                }
            };
            let line = c.line;
            let who = format!("{} {}", c.first, c.last);
            let mut fields = Fields::new();
            fields.insert(f::FIRST_NAME.into(), json!(c.first));
            fields.insert(f::LAST_NAME.into(), json!(c.last));
            if let Some(t) = &c.title {
                fields.insert(f::TITLE.into(), json!(t));
            }
            if !c.emails.is_empty() {
                fields.insert(f::EMAILS.into(), json!(c.emails));
            }
            if !c.phones.is_empty() {
                fields.insert(f::PHONES.into(), json!(c.phones));
            }
            if let Some([street, city, region, postcode, country]) = &c.adr {
                for (k, v) in [
                    (f::STREET, street),
                    (f::CITY, city),
                    (f::REGION, region),
                    (f::POSTCODE, postcode),
                ] {
                    if !v.is_empty() {
                        fields.insert(k.into(), json!(v));
                    }
                }
                if !country.is_empty() {
                    match crate::model::country::code(country) {
                        Some(code) => {
                            fields.insert(f::COUNTRY.into(), json!(code));
                        }
                        None => report.skipped.push(format!(
                            "line {line}: {who}: the country '{country}' is not one outpost knows; left out"
                        )),
                    }
                }
            }
            if let Some(o) = &c.org {
                // The titles are case-folded as the title index keeps them (any script,
                // not only ASCII: "Öresund" is "öresund").
                let folded = o.trim().to_lowercase();
                let found: Vec<Id> = accounts.iter().filter(|(t, _)| *t == folded).map(|(_, i)| *i).collect();
                match found.as_slice() {
                    [one] => {
                        fields.insert(f::ACCOUNT_ID.into(), json!(one.to_string()));
                    }
                    [] => report.skipped.push(format!(
                        "line {line}: {who}: ORG '{o}' names no account here; not linked"
                    )),
                    _ => report.skipped.push(format!(
                        "line {line}: {who}: ORG '{o}' names several accounts; not linked"
                    )),
                }
            }
            if let Some(o) = &c.owner {
                fields.insert(f::OWNER.into(), json!(o));
            }
            let uid_id = c
                .uid
                .as_deref()
                .map(|u| u.strip_prefix("urn:uuid:").unwrap_or(u))
                .and_then(|u| u.trim().parse::<Id>().ok());
            // Match: UID, then e-mail, then phone.
            let mut matched: Vec<Id> = uid_id.filter(|i| existing.contains_key(i)).into_iter().collect();
            if matched.is_empty() {
                let mut m: Vec<Id> = c
                    .emails
                    .iter()
                    .flat_map(|e| by_email.get(&fold_email(e)).cloned().unwrap_or_default())
                    .collect();
                m.sort();
                m.dedup();
                matched = m;
            }
            if matched.is_empty() {
                let country = fields.get(f::COUNTRY).and_then(Value::as_str);
                let mut m: Vec<Id> = c
                    .phones
                    .iter()
                    .filter_map(|p| crate::model::phone::normalise(p, country).ok())
                    .flat_map(|p| by_phone.get(&p).cloned().unwrap_or_default())
                    .collect();
                m.sort();
                m.dedup();
                matched = m;
            }
            // A card without an id whose e-mail an earlier card of this file gave is that
            // contact again (as two CSV rows are); cards that give ids are those records.
            let twin = c.emails.iter().find_map(|e| {
                new_emails
                    .get(&fold_email(e))
                    .filter(|(_, with_id)| uid_id.is_none() || !with_id)
            });
            if let (true, Some((prev, _))) = (matched.is_empty(), twin) {
                report.errors.push(format!(
                    "line {line}: {who} has the e-mail of the card of line {prev}, which is new here: the same contact \
                     twice in one file; merge the two cards"
                ));
                continue;
            }
            match matched.as_slice() {
                [] => {
                    for e in &c.emails {
                        new_emails.entry(fold_email(e)).or_insert((line, uid_id.is_some()));
                    }
                    let id = uid_id.unwrap_or_else(Id::new);
                    if self.store.get(EntityKind::Contact, id)?.is_some_and(|s| s.deleted) {
                        report.skipped.push(format!(
                            "line {line}: {who} ({id}) is in the trash; restore it to import it again"
                        ));
                        continue;
                    }
                    if let Err(e) = self.complete_new(EntityKind::Contact, &mut fields) {
                        report.errors.push(format!("line {line}: {who}: {e}"));
                        continue;
                    }
                    if let Err(inv) = EntityKind::Contact.validate(&fields, None, self.store.context()) {
                        report
                            .errors
                            .push(format!("line {line}: {who}: {}: {}", inv.field, inv.message));
                        continue;
                    }
                    let mut m = Mutation::create(EntityKind::Contact, fields);
                    m.id = id;
                    report.created += 1;
                    muts.push(m);
                }
                [one] => {
                    if let Some(prev) = claimed.insert(*one, line) {
                        report.skipped.push(format!(
                            "line {line}: {who} matches the same contact as the card of line {prev}; skipped"
                        ));
                        continue;
                    }
                    let old = existing.get(one).cloned().unwrap_or_default();
                    let mut merged = old.clone();
                    merged.extend(fields.clone());
                    // Compare normalised values: what the check would store.
                    let normal = match EntityKind::Contact.check(&merged, Some(&old), self.store.context()) {
                        Ok(checked) => checked.fields,
                        Err(inv) => {
                            report
                                .errors
                                .push(format!("line {line}: {who}: {}: {}", inv.field, inv.message));
                            continue;
                        }
                    };
                    let changed: Fields = fields
                        .keys()
                        .filter_map(|k| normal.get(k).map(|v| (k.clone(), v.clone())))
                        .filter(|(k, v)| old.get(k) != Some(v))
                        .collect();
                    if changed.is_empty() {
                        report.unchanged += 1;
                    } else {
                        report.updated += 1;
                        muts.push(Mutation::update(EntityKind::Contact, *one, changed));
                    }
                }
                several => {
                    report.skipped.push(format!(
                        "line {line}: {who} matches {} contacts ({}); skipped",
                        several.len(),
                        several.iter().map(Id::to_string).collect::<Vec<_>>().join(", ")
                    ));
                }
            }
        }
        report.finish(self, path, ("card", "cards"), &muts, partial, dry_run)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_2_1_quoted_printable_3_0_and_4_0_cards() {
        let text = "BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=\r\n=C3=BCrgen\r\nTEL;WORK;VOICE:+49 30 1234567\r\nEMAIL;INTERNET;PREF:j@example.de\r\nEND:VCARD\r\n\
BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann Lee\r\nN:Lee;Ann;;;\r\nORG:Acme;Sales\r\nEMAIL;TYPE=INTERNET,work:ann@acme.test\r\nEMAIL;TYPE=INTERNET,home,pref:ann@home.test\r\nADR;TYPE=work:;;Main St 1;Springfield;IL;62701;United States\r\nEND:VCARD\r\n\
BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Prince\r\nUID:urn:uuid:0192f1a0-0000-7000-8000-000000000001\r\nEND:VCARD\r\n";
        let (cards, n) = read_cards(text).expect("cards");
        assert_eq!(n, 3);
        let c: Vec<Card> = cards.into_iter().map(|c| c.expect("card")).collect();
        assert_eq!((c[0].first.as_str(), c[0].last.as_str()), ("Jürgen", "Müller"));
        assert_eq!(c[0].phones, ["+49 30 1234567"]);
        assert_eq!(c[1].emails, ["ann@home.test", "ann@acme.test"], "preferred first");
        assert_eq!(c[1].org.as_deref(), Some("Acme"));
        assert_eq!(
            c[1].adr.clone().expect("adr"),
            ["Main St 1", "Springfield", "IL", "62701", "United States"].map(String::from)
        );
        assert_eq!(c[1].line, 8);
        assert_eq!((c[2].first.as_str(), c[2].last.as_str()), ("Prince", "Prince"));
    }

    #[test]
    fn bad_cards_name_their_lines() {
        let (cards, _) = read_cards("BEGIN:VCARD\nVERSION:5.0\nFN:x\nEND:VCARD\nBEGIN:VCARD\nVERSION:3.0\nEND:VCARD\n")
            .expect("parse");
        let errs: Vec<String> = cards.into_iter().filter_map(Result::err).collect();
        assert!(errs[0].starts_with("line 1:") && errs[0].contains("5.0"), "{errs:?}");
        assert!(
            errs[1].starts_with("line 5:") && errs[1].contains("no name"),
            "{errs:?}"
        );
        let e = read_cards("BEGIN:VCARD\nVERSION:3.0\nFN:x\n").expect_err("open");
        assert!(e.starts_with("line 1:"), "{e}");
    }
}
