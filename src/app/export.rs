//! Writing records out as JSON (one array), NDJSON (one object a line), CSV (header row,
//! RFC 4180 quoting) or a table for people. Streams: memory stays flat for 100k records,
//! except tables, which measure their columns first.

use std::io::Write;

use serde_json::{Map, Value};

use super::view::{Names, cell, columns};
use super::{App, AppError};
use crate::model::EntityKind;

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
        let mut sink = Self {
            format,
            out: None,
            columns: columns(kind),
            table_columns: table_columns(kind),
            csv: None,
            rows: Vec::new(),
            count: 0,
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
                if let Some(w) = self.csv.as_mut() {
                    w.write_record(self.columns.iter().map(|c| record.get(c).map(cell).unwrap_or_default()))
                        .map_err(csv_err)?;
                }
            }
            Format::Table => {
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
            Format::Table => {
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
        let mut sink = Sink::new(format, kind, out)?;
        let mut names = Names::default();
        for item in self.store.live(kind) {
            let (id, stored) = item?;
            sink.push(&self.view(kind, id, &stored, &mut names))?;
        }
        sink.finish()
    }
}
