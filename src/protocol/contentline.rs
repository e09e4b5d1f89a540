//! Content lines, the text layer iCalendar (RFC 5545) and vCard (RFC 6350, 2426, 2.1)
//! share: unfolding with line numbers, `NAME;PARAM=V:VALUE` parsing, folding at 75
//! octets, CRLF, text escaping and quoted-printable (vCard 2.1).

/// One unfolded content line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// The number of its first physical line (1-based).
    pub number: usize,
    /// Upper-case name, without a group prefix (`item1.EMAIL` -> `EMAIL`).
    pub name: String,
    /// Parameters: upper-case name, values as written (quotes removed).
    pub params: Vec<(String, Vec<String>)>,
    /// The raw value (still escaped).
    pub value: String,
}

impl Line {
    /// The first value of a parameter.
    #[must_use]
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.first())
            .map(String::as_str)
    }

    /// Every value of a parameter, split on commas, upper case (`TYPE=work,voice`); a
    /// vCard 2.1 bare parameter (`TEL;WORK;VOICE:`) counts as a TYPE.
    #[must_use]
    pub fn types(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (n, vs) in &self.params {
            if n == "TYPE" {
                for v in vs {
                    out.extend(v.split(',').map(|t| t.trim().to_ascii_uppercase()));
                }
            } else if vs.is_empty() {
                out.push(n.clone());
            }
        }
        out
    }
}

/// A line that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineError {
    /// Physical line number (1-based).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Splits text into unfolded content lines (CRLF or LF; a line starting with a space or
/// tab continues the previous one; vCard 2.1 quoted-printable soft breaks `=` at the end
/// of a line join the next). Empty lines are skipped. A line without `:` is an error.
pub fn parse(text: &str) -> Result<Vec<Line>, LineError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut logical: Vec<(usize, String)> = Vec::new();
    let mut qp_open = false;
    for (i, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let number = i + 1;
        if let Some(last) = logical.last_mut() {
            if qp_open {
                last.1.push_str(raw.trim_start());
                qp_open = raw.ends_with('=') && is_qp(&last.1);
                if qp_open {
                    last.1.pop();
                }
                continue;
            }
            if let Some(rest) = raw.strip_prefix(' ').or_else(|| raw.strip_prefix('\t')) {
                last.1.push_str(rest);
                continue;
            }
        }
        if raw.trim().is_empty() {
            continue;
        }
        logical.push((number, raw.to_string()));
        let last = logical.last_mut().map(|l| &mut l.1);
        if let Some(l) = last
            && l.ends_with('=')
            && is_qp(l)
        {
            l.pop();
            qp_open = true;
        }
    }
    logical.into_iter().map(|(n, l)| parse_line(n, &l)).collect()
}

fn is_qp(line: &str) -> bool {
    let head = line.split(':').next().unwrap_or("").to_ascii_uppercase();
    head.contains("QUOTED-PRINTABLE")
}

fn parse_line(number: usize, line: &str) -> Result<Line, LineError> {
    let bad = |m: &str| LineError {
        line: number,
        message: m.to_string(),
    };
    // Find the colon that ends name and parameters (not one inside a quoted value).
    let mut in_quotes = false;
    let mut split = None;
    for (i, c) in line.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            ':' if !in_quotes => {
                split = Some(i);
                break;
            }
            _ => {}
        }
    }
    let Some(colon) = split else {
        let shown: String = line.chars().take(40).collect();
        return Err(bad(&format!("'{shown}' is not a content line (NAME:VALUE)")));
    };
    let (head, value) = (&line[..colon], &line[colon + 1..]);
    let mut parts = split_unquoted(head, ';').into_iter();
    let name = parts.next().unwrap_or_default();
    let name = name.rsplit('.').next().unwrap_or("").trim().to_ascii_uppercase();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(bad(&format!(
            "'{}' is not a property name",
            head.chars().take(40).collect::<String>()
        )));
    }
    let mut params = Vec::new();
    for p in parts {
        match p.split_once('=') {
            Some((n, v)) => {
                let values = split_unquoted(v, ',')
                    .into_iter()
                    .map(|v| v.trim_matches('"').to_string())
                    .collect();
                params.push((n.trim().to_ascii_uppercase(), values));
            }
            None => params.push((p.trim().to_ascii_uppercase(), Vec::new())),
        }
    }
    Ok(Line {
        number,
        name,
        params,
        value: value.to_string(),
    })
}

fn split_unquoted(text: &str, sep: char) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut q = false;
    for c in text.chars() {
        if c == '"' {
            q = !q;
        }
        if c == sep && !q {
            out.push(String::new());
        } else if let Some(last) = out.last_mut() {
            last.push(c);
        }
    }
    out
}

/// Un-escapes a TEXT value (`\n`, `\,`, `\;`, `\\`).
#[must_use]
pub fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(o) => out.push(o),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Splits a structured value (`N`, `ADR`) on unescaped `;`, each part un-escaped.
#[must_use]
pub fn split_structured(text: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(last) = parts.last_mut() {
                    last.push('\\');
                    if let Some(n) = chars.next() {
                        last.push(n);
                    }
                }
            }
            ';' => parts.push(String::new()),
            _ => {
                if let Some(last) = parts.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    parts.iter().map(|p| unescape(p)).collect()
}

/// Escapes a TEXT value.
#[must_use]
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            _ => out.push(c),
        }
    }
    out
}

/// Decodes quoted-printable text (`=C3=A9` -> `é`, in `charset`: UTF-8, else Latin-1).
#[must_use]
pub fn quoted_printable(text: &str, charset: Option<&str>) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    let utf8 = charset.is_none_or(|c| c.eq_ignore_ascii_case("utf-8") || c.eq_ignore_ascii_case("utf8"));
    match String::from_utf8(out) {
        Ok(s) if utf8 || s.is_ascii() => s,
        Ok(s) => s.bytes().map(char::from).collect(),
        Err(e) => e.into_bytes().into_iter().map(char::from).collect(),
    }
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// Writes one content line folded at 75 octets (never inside a UTF-8 character), ended
/// by CRLF.
pub fn fold_into(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_at_75_octets_without_splitting_characters_and_unfolds_back() {
        let long = format!("DESCRIPTION:{}", "Grüße, Jürgen; ".repeat(12));
        let mut out = String::new();
        fold_into(&mut out, &long);
        for l in out.split("\r\n") {
            assert!(l.len() <= 75, "{} octets: {l}", l.len());
        }
        assert!(out.ends_with("\r\n"));
        let lines = parse(&out).expect("parse");
        assert_eq!(lines.len(), 1);
        assert_eq!(format!("DESCRIPTION:{}", lines[0].value), long);
    }

    #[test]
    fn escapes_round_trip_and_params_are_read() {
        let text = "a, b; c\\d\nnew line";
        assert_eq!(unescape(&escape(text)), text);
        let lines = parse("ATTENDEE;CN=\"Doe, Jane\";ROLE=REQ-PARTICIPANT:mailto:jane@example.com\r\n").expect("line");
        assert_eq!(lines[0].param("CN"), Some("Doe, Jane"));
        assert_eq!(lines[0].value, "mailto:jane@example.com");
        assert_eq!(split_structured("Doe;Jane\\;x;;"), ["Doe", "Jane;x", "", ""]);
    }

    #[test]
    fn quoted_printable_with_soft_breaks_and_line_numbers_of_errors() {
        let text = "BEGIN:VCARD\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=\n=C3=BCrgen\nTEL;WORK;VOICE:+49 30 1\nEND:VCARD\n";
        let lines = parse(text).expect("parse");
        assert_eq!(lines[1].number, 2);
        assert_eq!(
            quoted_printable(&lines[1].value, lines[1].param("CHARSET")),
            "Müller;Jürgen"
        );
        assert_eq!(lines[2].types(), ["WORK", "VOICE"]);
        assert_eq!(lines[2].number, 4);
        let e = parse("BEGIN:VCARD\nFN:x\nbroken line\n").expect_err("bad");
        assert_eq!(e.line, 3);
    }
}
