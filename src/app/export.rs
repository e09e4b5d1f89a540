//! Writing records out as JSON (one array), NDJSON (one object a line), CSV (header row,
//! RFC 4180 quoting) or a table for people. Streams: memory stays flat for 100k records,
//! except tables, which measure their columns first.

use std::io::Write;

use serde_json::{Map, Value};

use super::view::{CsvPlan, Names, cell, columns};
use super::{App, AppError};
use crate::model::EntityKind;
use crate::protocol::record::Cells;
use crate::store::StoreError;

/// Records of a kind beyond which an export reads every name of its linked kinds in one
/// pass (below, it looks each one up).
const PRELOAD_ABOVE: usize = 2_000;

/// Records read from sled in one go by [`App::export_csv`]'s reading thread.
const READ_BATCH: usize = 1_024;

/// A batch of stored records, as read.
type RawBatch = Vec<(crate::model::Id, sled::IVec)>;

/// Output format (`--format`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for people.
    #[default]
    Table,
    /// One JSON array.
    Json,
    /// One JSON object per line.
    Ndjson,
    /// Header row plus one row per record, RFC 4180 quoting.
    Csv,
    /// iCalendar (RFC 5545): `export event`, `export activity` (tasks as VTODO).
    Ics,
    /// vCard 4.0 (`--vcard-version 3.0`): `export contact`.
    Vcf,
}

/// Writes a stream of record objects in a format.
pub struct Sink<'w> {
    format: Format,
    out: Option<&'w mut dyn Write>,
    columns: Vec<String>,
    table_columns: Vec<(&'static str, &'static str)>,
    csv: Option<csv::Writer<&'w mut dyn Write>>,
    rows: Vec<Vec<String>>,
    count: usize,
    /// CSV cells as stored, without the formula escape (`export --raw`).
    raw_cells: bool,
}

/// Whether a CSV cell would be read as a formula by a spreadsheet: it starts with `=`,
/// `+`, `-`, `@`, a tab or a carriage return (OWASP's list), and is not a plain number
/// or phone number (digits, spaces and `+ - . , ( ) /` only, with at least one digit:
/// `-5.00`, `+49 30 1234567` stay as they are).
#[must_use]
pub fn is_formula(cell: &str) -> bool {
    let Some(first) = cell.chars().next() else {
        return false;
    };
    if !matches!(first, '=' | '+' | '-' | '@' | '\t' | '\r') {
        return false;
    }
    let numeric = cell.chars().any(|c| c.is_ascii_digit())
        && cell
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '.' | ',' | '(' | ')' | '/'));
    !numeric
}

/// Whether a cell is an escaped one: a `'` before a formula, or before another escaped
/// cell (so a value that itself starts with `'=` survives the round trip).
#[must_use]
pub fn is_escaped(cell: &str) -> bool {
    cell.strip_prefix('\'')
        .is_some_and(|rest| is_formula(rest) || is_escaped(rest))
}

/// A cell as CSV output writes it: a formula (see [`is_formula`]) or an escaped-looking
/// cell gets a leading `'`, which spreadsheets show as text and `outpost import` removes.
#[must_use]
pub fn escape_cell(cell: String) -> String {
    if is_formula(&cell) || is_escaped(&cell) {
        format!("'{cell}")
    } else {
        cell
    }
}

/// A cell as `outpost import` reads it: the `'` that [`escape_cell`] added is removed.
#[must_use]
pub fn unescape_cell(cell: &str) -> &str {
    if is_escaped(cell) { &cell[1..] } else { cell }
}

fn csv_err(e: csv::Error) -> AppError {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => io(e),
        other => AppError::Invalid(format!("{other:?}")),
    }
}

fn io(e: std::io::Error) -> AppError {
    AppError::io(std::path::Path::new("<stdout>"), e)
}

impl<'w> Sink<'w> {
    /// A sink for records of `kind`.
    pub fn new(format: Format, kind: EntityKind, out: &'w mut dyn Write) -> Result<Self, AppError> {
        if matches!(format, Format::Ics | Format::Vcf) {
            return Err(AppError::Invalid(format!(
                "--format {} is for `export event|activity` (ics) and `export contact` (vcf)",
                if format == Format::Ics { "ics" } else { "vcf" }
            )));
        }
        let mut sink = Self {
            format,
            out: None,
            columns: columns(kind),
            table_columns: table_columns(kind),
            csv: None,
            rows: Vec::new(),
            count: 0,
            raw_cells: false,
        };
        if format == Format::Csv {
            let mut w = csv_writer(out);
            w.write_record(&sink.columns).map_err(csv_err)?;
            sink.csv = Some(w);
        } else {
            if format == Format::Json {
                out.write_all(b"[").map_err(io)?;
            }
            sink.out = Some(out);
        }
        Ok(sink)
    }

    /// Writes CSV cells as stored, without the formula escape (`export --raw`).
    #[must_use]
    pub fn raw_cells(mut self, raw: bool) -> Self {
        self.raw_cells = raw;
        self
    }

    fn raw(&mut self) -> Result<&mut dyn Write, AppError> {
        match self.out.as_mut() {
            Some(o) => Ok(&mut **o),
            None => Err(AppError::Invalid("output already closed".into())),
        }
    }

    /// Writes one record.
    pub fn push(&mut self, record: &Map<String, Value>) -> Result<(), AppError> {
        match self.format {
            Format::Json => {
                let first = self.count == 0;
                let out = self.raw()?;
                out.write_all(if first { b"\n  " } else { b",\n  " }).map_err(io)?;
                serde_json::to_writer(&mut *out, record).map_err(|e| io(e.into()))?;
            }
            Format::Ndjson => {
                let out = self.raw()?;
                serde_json::to_writer(&mut *out, record).map_err(|e| io(e.into()))?;
                out.write_all(b"\n").map_err(io)?;
            }
            Format::Csv => {
                let raw = self.raw_cells;
                if let Some(w) = self.csv.as_mut() {
                    w.write_record(self.columns.iter().map(|c| {
                        let text = record.get(c).map(cell).unwrap_or_default();
                        if raw { text } else { escape_cell(text) }
                    }))
                    .map_err(csv_err)?;
                }
            }
            Format::Table | Format::Ics | Format::Vcf => {
                let row = self
                    .table_columns
                    .iter()
                    .map(|(_, key)| table_cell(record, key))
                    .collect();
                self.rows.push(row);
            }
        }
        self.count += 1;
        Ok(())
    }

    /// Ends the output (closing bracket, table layout, flush). Returns the record count.
    pub fn finish(mut self) -> Result<usize, AppError> {
        let count = self.count;
        match self.format {
            Format::Json => {
                let end: &[u8] = if count > 0 { b"\n]\n" } else { b"]\n" };
                self.raw()?.write_all(end).map_err(io)?;
            }
            Format::Csv => {
                if let Some(w) = self.csv.as_mut() {
                    w.flush().map_err(io)?;
                }
                return Ok(count);
            }
            Format::Table | Format::Ics | Format::Vcf => {
                let headers: Vec<String> = self.table_columns.iter().map(|(h, _)| (*h).to_string()).collect();
                let text = render_table(&headers, &self.rows);
                self.raw()?.write_all(text.as_bytes()).map_err(io)?;
            }
            Format::Ndjson => {}
        }
        self.raw()?.flush().map_err(io)?;
        Ok(count)
    }
}

/// A CSV writer as RFC 4180 wants it: CRLF line ends, quotes only where needed.
pub fn csv_writer<W: Write>(out: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out)
}

/// Lays out rows under headers, columns padded to their widest cell (max 40 chars).
#[must_use]
pub fn render_table(headers: &[String], rows: &[Vec<String>]) -> String {
    use unicode_width::UnicodeWidthStr;
    let clip = |s: &str| -> String {
        // One line per row: line breaks inside a value become spaces.
        let flat;
        let s = if s.contains(['\n', '\r', '\t']) {
            flat = s.replace(['\n', '\r', '\t'], " ");
            flat.as_str()
        } else {
            s
        };
        if s.width() <= 40 {
            s.to_string()
        } else {
            let mut out = String::new();
            for ch in s.chars() {
                if out.width() >= 39 {
                    break;
                }
                out.push(ch);
            }
            out.push('…');
            out
        }
    };
    let rows: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(|c| clip(c)).collect()).collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.width()).collect();
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.width());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[String]| {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate() {
            l.push_str(c);
            if i + 1 < cells.len() {
                l.push_str(&" ".repeat(widths[i] - c.width() + 2));
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(headers);
    for r in &rows {
        line(r);
    }
    out
}

/// The table cells of an output row (the registry's columns without the id), as the
/// table format and the TUI's generic lists show them.
#[must_use]
pub fn table_cells(kind: EntityKind, record: &Map<String, Value>) -> Vec<String> {
    super::kinds::def(kind)
        .columns
        .iter()
        .filter(|(_, key)| *key != "id")
        .map(|(_, key)| table_cell(record, key))
        .collect()
}

fn table_cell(record: &Map<String, Value>, key: &str) -> String {
    match key {
        "person" => format!(
            "{} {}",
            cell(record.get("first_name").unwrap_or(&Value::Null)),
            cell(record.get("last_name").unwrap_or(&Value::Null))
        ),
        "money" => {
            let amount = record
                .get("amount")
                .and_then(Value::as_str)
                .and_then(|a| a.parse().ok());
            let currency = record.get("currency").and_then(Value::as_str).unwrap_or("");
            amount
                .map(|a| crate::model::money::display(a, currency))
                .unwrap_or_default()
        }
        "first_email" | "first_phone" => {
            let list = if key == "first_email" { "emails" } else { "phones" };
            record.get(list).and_then(|v| v.get(0)).map(cell).unwrap_or_default()
        }
        "local_start" => record
            .get("start")
            .and_then(Value::as_str)
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .map(|d| d.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default(),
        "at_date" => record
            .get("at")
            .and_then(Value::as_str)
            .map(|s| s.chars().take(10).collect())
            .unwrap_or_default(),
        k => record.get(k).map(cell).unwrap_or_default(),
    }
}

/// (header, key) of the table view of a kind.
#[must_use]
pub fn table_columns(kind: EntityKind) -> Vec<(&'static str, &'static str)> {
    super::kinds::def(kind).columns.to_vec()
}

impl App {
    /// Writes every live record of a kind (`export ENTITY`).
    pub fn export(&self, kind: EntityKind, format: Format, out: &mut dyn Write) -> Result<usize, AppError> {
        self.export_with(kind, format, false, out)
    }

    /// [`App::export`]; `raw` writes CSV cells without the formula escape.
    pub fn export_with(
        &self,
        kind: EntityKind,
        format: Format,
        raw: bool,
        out: &mut dyn Write,
    ) -> Result<usize, AppError> {
        let mut names = Names::default();
        if format == Format::Csv {
            return self.export_csv(kind, raw, out, &mut names);
        }
        self.preload_names(kind, &mut names);
        let mut sink = Sink::new(format, kind, out)?.raw_cells(raw);
        for item in self.store.live(kind) {
            let (id, stored) = item?;
            sink.push(&self.view(kind, id, &stored, &mut names))?;
        }
        sink.finish()
    }

    /// Relation names come from one pass over each related kind, not a lookup a row
    /// (for a few records, a lookup a row). Counting a big kind would walk it all.
    fn preload_names(&self, kind: EntityKind, names: &mut Names) {
        let few = self.store.count_at_most(kind, PRELOAD_ABOVE);
        names.preload_links(
            self,
            kind,
            if few < PRELOAD_ABOVE {
                few
            } else {
                crate::app::view::ALL_ROWS
            },
        );
    }

    /// CSV straight from the stored records: the cells [`Sink`] writes for
    /// [`App::view`]'s object, without building the object or decoding the fields no
    /// column shows. Three threads: one reads the records from sled in batches; this one
    /// reads the linked names, then turns every other batch into CSV text while a
    /// second thread does the batches between, and writes them all in order. Each
    /// channel holds a few batches, so memory stays flat.
    fn export_csv(
        &self,
        kind: EntityKind,
        raw: bool,
        out: &mut dyn Write,
        names: &mut Names,
    ) -> Result<usize, AppError> {
        let mut header = csv_writer(Vec::new());
        header.write_record(columns(kind)).map_err(csv_err)?;
        out.write_all(&header.into_inner().map_err(|e| io(e.into_error()))?)
            .map_err(io)?;
        let plan = CsvPlan::new(kind);
        let store = &self.store;
        let count = std::thread::scope(|scope| -> Result<usize, AppError> {
            type Raw = Result<RawBatch, StoreError>;
            // Batches go to this thread and the helper by turns: even ones here, odd ones
            // there (the helper's come back as text, in order).
            let (to_here, here) = std::sync::mpsc::sync_channel::<Raw>(2);
            let (to_helper, helper_in) = std::sync::mpsc::sync_channel::<Raw>(2);
            scope.spawn(move || {
                let senders = [to_here, to_helper];
                let mut turn = 0;
                let mut batch = Vec::with_capacity(READ_BATCH);
                for item in store.scan_bytes(kind) {
                    match item {
                        Ok(record) => batch.push(record),
                        Err(e) => {
                            let _ = senders[turn % 2].send(Err(e));
                            return;
                        }
                    }
                    if batch.len() == READ_BATCH {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(READ_BATCH));
                        // A send fails when the writer stopped (an error): reading stops.
                        if senders[turn % 2].send(Ok(full)).is_err() {
                            return;
                        }
                        turn += 1;
                    }
                }
                if !batch.is_empty() {
                    let _ = senders[turn % 2].send(Ok(batch));
                }
            });
            self.preload_names(kind, names);
            let names: &Names = names;
            let plan = &plan;
            let (to_writer, from_helper) = std::sync::mpsc::sync_channel::<Result<(Vec<u8>, usize), AppError>>(2);
            scope.spawn(move || {
                for batch in helper_in {
                    let text = batch
                        .map_err(AppError::from)
                        .and_then(|b| self.csv_batch(plan, &b, names, raw));
                    if to_writer.send(text).is_err() {
                        return;
                    }
                }
            });
            let mut count = 0;
            for turn in 0.. {
                let text = if turn % 2 == 0 {
                    match here.recv() {
                        Ok(batch) => self.csv_batch(plan, &batch?, names, raw),
                        Err(_) => break,
                    }
                } else {
                    match from_helper.recv() {
                        Ok(text) => text,
                        Err(_) => break,
                    }
                };
                let (text, n) = text?;
                out.write_all(&text).map_err(io)?;
                count += n;
            }
            Ok(count)
        })?;
        out.flush().map_err(io)?;
        Ok(count)
    }

    /// The CSV text of a batch of stored records (the trashed ones left out) and how many
    /// rows it holds.
    fn csv_batch(
        &self,
        plan: &CsvPlan,
        batch: &[(crate::model::Id, sled::IVec)],
        names: &Names,
        raw: bool,
    ) -> Result<(Vec<u8>, usize), AppError> {
        let mut w = csv_writer(Vec::with_capacity(batch.len() * 256));
        let mut rows = 0;
        for (id, bytes) in batch {
            // Only the columns' fields are decoded, text borrowed from the bytes.
            let record = Cells::decode(bytes, &plan.wanted).map_err(|e| StoreError::Corrupt(format!("record: {e}")))?;
            if record.deleted {
                continue;
            }
            let mut cells = Vec::with_capacity(24);
            self.csv_cells_of(plan, *id, &record, names, &mut cells);
            if !raw {
                for c in &mut cells {
                    if is_formula(c) || is_escaped(c) {
                        *c = std::borrow::Cow::Owned(format!("'{c}"));
                    }
                }
            }
            w.write_record(cells.iter().map(|c| c.as_bytes())).map_err(csv_err)?;
            rows += 1;
        }
        let text = w.into_inner().map_err(|e| io(e.into_error()))?;
        Ok((text, rows))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_escaped_numbers_and_phones_are_not_and_the_escape_round_trips() {
        for plain in [
            "-5.00",
            "+49 30 1234567",
            "-1,234.50",
            "(030) 123-45",
            "",
            "Acme",
            "'quoted'",
            "1+1",
        ] {
            assert_eq!(escape_cell(plain.to_string()), plain, "{plain}");
        }
        for formula in ["=1+1", "+A1", "-A1", "@SUM(A1)", "\tx", "\rx", "-", "+", "=", "-5.00x"] {
            assert_eq!(escape_cell(formula.to_string()), format!("'{formula}"), "{formula:?}");
        }
        for v in [
            "=1+1", "'=1+1", "''=1+1", "'x", "-5.00", "'-5.00", "'@", "@", "plain", "'", "''",
        ] {
            let out = escape_cell(v.to_string());
            assert_eq!(unescape_cell(&out), v, "{v:?} -> {out:?}");
        }
    }
}
