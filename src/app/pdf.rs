//! The PDF of a quote, with `krilla`: the font is subset and embedded with its Unicode
//! map, so the text is extractable and prints the same everywhere.
//!
//! The font is read at run time, not built into the binary: `[quotes] font` in
//! config.toml, else WenQuanYi Micro Hei from Debian's `fonts-wqy-microhei`
//! ([`DEFAULT_FONT`], face [`QuotesConfig::font_index`] of the collection). It covers
//! Latin, Greek, Cyrillic and CJK (Müller, Łódź, Ωμέγα, Жуков, 王小明). A text the font
//! has no glyph for is refused with the character and where it is, never printed as a box.

use std::sync::Arc;

use krilla::Document;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::page::PageSettings;
use krilla::text::{Font, TextDirection};

use super::AppError;
use super::config::QuotesConfig;
use super::render::Sheet;

/// The font used when config names none.
pub const DEFAULT_FONT: &str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";

/// A loaded font: its bytes, face index and where it came from.
#[derive(Clone)]
pub struct PdfFont {
    data: Arc<Vec<u8>>,
    index: u32,
    path: String,
}

/// Reads the configured font (or [`DEFAULT_FONT`]); a missing or unreadable one is an
/// error naming the path and the config key.
pub fn load_font(cfg: &QuotesConfig) -> Result<PdfFont, AppError> {
    let path = cfg
        .font
        .clone()
        .unwrap_or_else(|| std::path::PathBuf::from(DEFAULT_FONT));
    let shown = path.display().to_string();
    let data = std::fs::read(&path).map_err(|e| {
        AppError::Invalid(format!(
            "PDF font {shown}: {e}; install Debian's fonts-wqy-microhei or set `font = \"/path/to/font.ttf\"` under [quotes] in config.toml (a .ttc also takes `font_index`)"
        ))
    })?;
    if ttf_parser::Face::parse(&data, cfg.font_index).is_err() {
        return Err(AppError::Invalid(format!(
            "PDF font {shown} (face {}): not a TrueType/OpenType font or collection face; check `font` and `font_index` under [quotes] in config.toml",
            cfg.font_index
        )));
    }
    Ok(PdfFont {
        data: Arc::new(data),
        index: cfg.font_index,
        path: shown,
    })
}

const W: f32 = 595.0;
const H: f32 = 842.0;
const MARGIN: f32 = 42.0;
const BODY: f32 = 9.5;
const LEAD: f32 = 13.0;

/// Column right edges (left edge for the description) of the lines table.
const COLS: [(f32, bool); 7] = [
    (MARGIN + 18.0, true),  // #, right-aligned
    (MARGIN + 26.0, false), // description, left edge
    (MARGIN + 300.0, true), // qty
    (MARGIN + 370.0, true), // unit price
    (MARGIN + 410.0, true), // discount
    (MARGIN + 445.0, true), // tax
    (W - MARGIN, true),     // net
];
const DESC_WIDTH: f32 = 300.0 - 26.0 - 50.0;

struct Writer<'a> {
    face: ttf_parser::Face<'a>,
    font: Font,
    path: &'a str,
}

impl Writer<'_> {
    fn width(&self, text: &str, size: f32) -> f32 {
        let upem = f32::from(self.face.units_per_em());
        let units: f32 = text
            .chars()
            .map(|c| {
                self.face
                    .glyph_index(c)
                    .and_then(|g| self.face.glyph_hor_advance(g))
                    .map_or(0.0, f32::from)
            })
            .sum();
        units * size / upem
    }

    /// Refuses a text with a character the font cannot draw.
    fn check(&self, text: &str, what: &str) -> Result<(), AppError> {
        if let Some(c) = text
            .chars()
            .find(|c| !c.is_whitespace() && self.face.glyph_index(*c).is_none())
        {
            return Err(AppError::Invalid(format!(
                "the PDF font {} has no glyph for '{c}' (U+{:04X}) in {what}; set `font` under [quotes] in config.toml to a font that covers it",
                self.path, c as u32
            )));
        }
        Ok(())
    }

    /// Cuts a text to fit `max` points, with an ellipsis.
    fn fit(&self, text: &str, size: f32, max: f32) -> Vec<String> {
        // Wraps at spaces (or anywhere for CJK) into lines of at most `max`.
        let mut lines = Vec::new();
        let mut cur = String::new();
        for word in text.split_inclusive(' ') {
            let candidate = format!("{cur}{word}");
            if self.width(candidate.trim_end(), size) <= max {
                cur = candidate;
                continue;
            }
            if !cur.is_empty() {
                lines.push(cur.trim_end().to_string());
                cur.clear();
            }
            for c in word.chars() {
                let next = format!("{cur}{c}");
                if self.width(next.trim_end(), size) > max && !cur.is_empty() {
                    lines.push(cur.trim_end().to_string());
                    cur.clear();
                }
                cur.push(c);
            }
        }
        if !cur.trim().is_empty() || lines.is_empty() {
            lines.push(cur.trim_end().to_string());
        }
        lines
    }
}

/// Draws the sheet as A4 pages.
pub fn pdf(s: &Sheet, font: &PdfFont) -> Result<Vec<u8>, AppError> {
    let face = ttf_parser::Face::parse(&font.data, font.index)
        .map_err(|e| AppError::Invalid(format!("PDF font {}: {e}", font.path)))?;
    let kfont = Font::new(font.data.clone().into(), font.index)
        .ok_or_else(|| AppError::Invalid(format!("PDF font {}: krilla cannot read it", font.path)))?;
    let w = Writer {
        face,
        font: kfont,
        path: &font.path,
    };
    w.check(&s.title, "the title")?;
    for (i, l) in s.seller.iter().enumerate() {
        w.check(l, &format!("seller line {}", i + 1))?;
    }
    for (i, l) in s.customer.iter().enumerate() {
        w.check(l, &format!("customer line {}", i + 1))?;
    }
    for (k, v) in s.meta.iter().chain(&s.totals).chain(&s.notes) {
        w.check(k, k)?;
        w.check(v, k)?;
    }
    for r in &s.rows {
        for c in r {
            w.check(c, &format!("line {}", r[0]))?;
        }
    }

    // Lay out every line of text first: (page, x, y, size, text).
    let mut ops: Vec<Vec<Op>> = vec![Vec::new()];
    let mut y = MARGIN + 18.0;
    let put = |ops: &mut Vec<Vec<Op>>, x: f32, y: f32, size: f32, text: String| {
        if let Some(p) = ops.last_mut() {
            p.push(Op::Text { x, y, size, text });
        }
    };
    put(&mut ops, MARGIN, y, 18.0, s.title.clone());
    y += 28.0;
    // Seller on the left, customer on the right.
    let top = y;
    let mut ly = top;
    for (i, l) in s.seller.iter().enumerate() {
        put(&mut ops, MARGIN, ly, if i == 0 { 11.0 } else { BODY }, l.clone());
        ly += LEAD;
    }
    let mut ry = top;
    if !s.customer.is_empty() {
        put(&mut ops, W / 2.0, ry, 8.0, "To".into());
        ry += 11.0;
    }
    for (i, l) in s.customer.iter().enumerate() {
        put(&mut ops, W / 2.0, ry, if i == 0 { 11.0 } else { BODY }, l.clone());
        ry += LEAD;
    }
    y = ly.max(ry) + 10.0;
    for (k, v) in &s.meta {
        put(&mut ops, MARGIN, y, BODY, k.clone());
        put(&mut ops, MARGIN + 80.0, y, BODY, v.clone());
        y += LEAD;
    }
    y += 10.0;
    let head = |ops: &mut Vec<Vec<Op>>, y: f32| {
        let cells: Vec<String> = s.head.iter().map(|h| (*h).to_string()).collect();
        row(&w, ops, y, &cells, 8.5);
        if let Some(p) = ops.last_mut() {
            p.push(Op::Rule { y: y + 4.0 });
        }
    };
    head(&mut ops, y);
    y += LEAD + 4.0;
    for r in &s.rows {
        let desc = w.fit(&r[1], BODY, DESC_WIDTH);
        let need = LEAD * desc.len() as f32;
        if y + need > H - MARGIN {
            ops.push(Vec::new());
            y = MARGIN + 18.0;
            put(&mut ops, MARGIN, y, BODY, format!("{} (continued)", s.title));
            y += LEAD + 8.0;
            head(&mut ops, y);
            y += LEAD + 4.0;
        }
        let mut cells = r.to_vec();
        cells[1] = desc[0].clone();
        row(&w, &mut ops, y, &cells, BODY);
        for extra in &desc[1..] {
            y += LEAD;
            put(&mut ops, COLS[1].0, y, BODY, extra.clone());
        }
        y += LEAD;
    }
    if let Some(p) = ops.last_mut() {
        p.push(Op::Rule { y: y - LEAD + 4.0 });
    }
    y += 6.0;
    let need = LEAD * (s.totals.len() as f32 + 1.0) + s.notes.len() as f32 * 3.0 * LEAD;
    if y + need > H - MARGIN {
        ops.push(Vec::new());
        y = MARGIN + 18.0;
    }
    for (k, v) in &s.totals {
        let size = if k == "Grand total" { 11.0 } else { BODY };
        let kx = COLS[5].0 - w.width(k, size);
        put(&mut ops, kx, y, size, k.clone());
        put(&mut ops, COLS[6].0 - w.width(v, size), y, size, v.clone());
        y += LEAD + if k == "Grand total" { 2.0 } else { 0.0 };
    }
    y += 8.0;
    for (k, v) in &s.notes {
        if y + 2.0 * LEAD > H - MARGIN {
            ops.push(Vec::new());
            y = MARGIN + 18.0;
        }
        put(&mut ops, MARGIN, y, BODY, format!("{k}:"));
        y += LEAD;
        for para in v.lines() {
            for l in w.fit(para, BODY, W - 2.0 * MARGIN) {
                if y + LEAD > H - MARGIN {
                    ops.push(Vec::new());
                    y = MARGIN + 18.0;
                }
                put(&mut ops, MARGIN, y, BODY, l);
                y += LEAD;
            }
        }
        y += 4.0;
    }

    let mut doc = Document::new();
    doc.set_metadata(
        krilla::metadata::Metadata::new()
            .title(s.title.clone())
            .creator(format!("outpost {}", env!("CARGO_PKG_VERSION"))),
    );
    let pages = ops.len();
    for (n, page_ops) in ops.into_iter().enumerate() {
        let settings = PageSettings::from_wh(W, H).ok_or_else(|| AppError::Invalid("page size".into()))?;
        let mut page = doc.start_page_with(settings);
        let mut surface = page.surface();
        for op in page_ops {
            match op {
                Op::Text { x, y, size, text } => {
                    if !text.is_empty() {
                        surface.draw_text(
                            Point::from_xy(x, y),
                            w.font.clone(),
                            size,
                            &text,
                            false,
                            TextDirection::Auto,
                        );
                    }
                }
                Op::Rule { y } => {
                    let mut pb = PathBuilder::new();
                    if let Some(r) = Rect::from_xywh(MARGIN, y, W - 2.0 * MARGIN, 0.6) {
                        pb.push_rect(r);
                    }
                    if let Some(path) = pb.finish() {
                        surface.draw_path(&path);
                    }
                }
            }
        }
        if pages > 1 {
            let label = format!("Page {} of {pages}", n + 1);
            let x = W - MARGIN - w.width(&label, 8.0);
            surface.draw_text(
                Point::from_xy(x, H - MARGIN / 2.0),
                w.font.clone(),
                8.0,
                &label,
                false,
                TextDirection::Auto,
            );
        }
        surface.finish();
        page.finish();
    }
    doc.finish()
        .map_err(|e| AppError::Invalid(format!("the PDF could not be written: {e:?}")))
}

enum Op {
    Text { x: f32, y: f32, size: f32, text: String },
    Rule { y: f32 },
}

/// One table row: description from its left edge, the rest right-aligned.
fn row(w: &Writer<'_>, ops: &mut [Vec<Op>], y: f32, cells: &[String], size: f32) {
    let Some(p) = ops.last_mut() else {
        return;
    };
    for (i, c) in cells.iter().enumerate() {
        let (edge, right) = COLS[i];
        let x = if right { edge - w.width(c, size) } else { edge };
        p.push(Op::Text {
            x,
            y,
            size,
            text: c.clone(),
        });
    }
}
