//! The one search of both front ends: `outpost <kind> list -s`, the TUI's list filter
//! and its global search (`s`) match the same text with the same syntax and ranking.
//!
//! What is searched: each kind's search fields from the registry (`kinds::Def::search`,
//! keys of the output row: a contact's name, account, title, e-mails and phones; a
//! product's SKU and name), joined by a space, read either from an output row
//! ([`text_of`]) or straight from a stored record ([`text_from`], no output row built).
//!
//! How: fzf's syntax (words are ANDed, `'exact`, `^prefix`, `suffix$`, `!not`), scored
//! by `nucleo-matcher`; the best match first, ties in the caller's order (id order in
//! the CLI, the list's sort in the TUI).
//!
//! Why nucleo and not `fuzzy-matcher`: on 100,000 contact rows (name, account, title;
//! ASCII-folded) one keystroke took 60–130 ms with fuzzy-matcher's skim matcher and
//! 3–15 ms with nucleo-matcher on the same loaded 2-core machine (`cargo bench --bench
//! tui` prints both); `fuzzy-matcher` ranks REF candidates (`app::resolve`). Haystacks
//! are folded once when rows load (lower case, accents off) into one buffer. A word is
//! first looked for as a run of characters over the whole buffer in one SIMD pass
//! (memchr): since weak matches are cut when strong ones exist, the rows holding it are
//! the whole answer whenever one of them matches every word at least inside a word, and
//! nucleo's fuzzy scoring runs over every row only when none does (a typo). Above 20k
//! rows fuzzy words match greedily, and when the query only grows, fuzzy matching narrows
//! from the previous result instead of starting over.

use nucleo_matcher::pattern::{Atom, AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use serde_json::{Map, Value};

use super::view::{Names, cell};
use super::{App, AppError};
use crate::model::records::fields;
use crate::model::{EntityKind, Fields, Id};

/// The keys of a kind's output row a search looks at (the registry's search fields).
#[must_use]
pub fn fields(kind: EntityKind) -> &'static [&'static str] {
    super::kinds::def(kind).search
}

/// Separates the fields in a searched text, so a match can say which field it is in.
/// Never part of a value (fields refuse control characters).
pub const SEP: char = '\u{1f}';

/// The searched text of an output row: its search fields' values, in registry order,
/// separated by [`SEP`].
#[must_use]
pub fn text_of(kind: EntityKind, row: &Map<String, Value>) -> String {
    join(
        fields(kind)
            .iter()
            .map(|k| part(k, row.get(*k).map(cell).unwrap_or_default())),
    )
}

/// A field's searched text: phone numbers are also searched without their spacing, so
/// `+351912` finds `+351 912 345 678`.
fn part(key: &str, text: String) -> String {
    if !key.contains("phone") || text.is_empty() {
        return text;
    }
    let mut out = text.clone();
    for number in text.split(',') {
        let compact: String = number
            .trim()
            .chars()
            .enumerate()
            .filter(|(i, c)| c.is_ascii_digit() || (*i == 0 && *c == '+'))
            .map(|(_, c)| c)
            .collect();
        if compact.len() > 1 && compact != number.trim() {
            out.push(' ');
            out.push_str(&compact);
        }
    }
    out
}

/// A search field's name as shown beside a result ("account", "e-mails", "next step").
#[must_use]
pub fn field_label(key: &str) -> String {
    match key {
        "emails" | "email" => "e-mail".into(),
        "owner_name" => "owner".into(),
        "sku" => "SKU".into(),
        "body" => "notes".into(),
        k => k.strip_suffix("_name").unwrap_or(k).replace('_', " "),
    }
}

/// Where a search field's text comes from in a stored record.
enum Source {
    /// The owner's display name (`owner_name`).
    Owner,
    /// A linked record's title: its id field and kind (`account_name`).
    Link(&'static str, EntityKind),
    /// The field itself.
    Field(&'static str),
}

/// The sources of each kind's search fields, worked out once.
fn sources(kind: EntityKind) -> &'static [Source] {
    static ALL: std::sync::OnceLock<Vec<Vec<Source>>> = std::sync::OnceLock::new();
    let all = ALL.get_or_init(|| {
        EntityKind::ALL_BY_TAG
            .iter()
            .map(|k| {
                fields(*k)
                    .iter()
                    .map(|key| {
                        if *key == "owner_name" {
                            return Source::Owner;
                        }
                        if let Some(rel) = key.strip_suffix("_name")
                            && let Some((id_key, target)) = super::view::ref_field(*k, rel)
                        {
                            return Source::Link(id_key, target);
                        }
                        Source::Field(key)
                    })
                    .collect()
            })
            .collect()
    });
    &all[usize::from(kind.tag() - 1)]
}

/// The stored fields [`text_from`] reads for `kind`, and those of its title.
#[must_use]
pub fn stored_keys(kind: EntityKind) -> Vec<&'static str> {
    let mut keys: Vec<&'static str> = super::kinds::title_keys(kind);
    for source in sources(kind) {
        let key: &'static str = match source {
            Source::Owner => fields::shared::OWNER,
            Source::Link(id, _) => id,
            Source::Field(k) => k,
        };
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys
}

/// The same text as [`text_of`], read from a stored record's fields: names of linked
/// records and owners are looked up through `names` (a cache), no output row is built.
pub fn text_from(app: &App, kind: EntityKind, record: &Fields, names: &mut Names) -> String {
    join(sources(kind).iter().zip(fields(kind)).map(|(source, key)| {
        match source {
            Source::Owner => {
                let owner = record.get(fields::shared::OWNER).and_then(Value::as_str).unwrap_or("");
                if owner.is_empty() {
                    String::new()
                } else {
                    names.owner(app, owner)
                }
            }
            Source::Link(id_key, target) => record
                .get(*id_key)
                .and_then(Value::as_str)
                .and_then(|s| s.parse::<Id>().ok())
                .map(|id| names.title(app, *target, id))
                .unwrap_or_default(),
            Source::Field(k) => part(key, record.get(*k).map(cell).unwrap_or_default()),
        }
    }))
}

fn join(parts: impl Iterator<Item = String>) -> String {
    let mut out = parts.collect::<Vec<_>>().join(&SEP.to_string());
    out.truncate(out.trim_end_matches(SEP).len());
    out
}

/// The positions of the texts in `hay` that match `query`, best first, ties in order;
/// `None` when the query filters nothing (blank). For a caller that keeps only each
/// row's text while it reads them (`App::list`).
#[must_use]
pub fn rank_texts(hay: &Haystacks, query: &str) -> Option<Vec<u32>> {
    let base = hay.every_row();
    let mut filter = Filter::default();
    filter.set_query(query, hay, &base);
    filter.is_active().then(|| filter.ranked().to_vec())
}

/// The score of one text for `query` (higher is better; `None`: no match), as the
/// rankings above compute it for a few thousand rows.
#[must_use]
pub fn score(query: &str, text: &str) -> Option<u32> {
    let hay: Haystacks = std::iter::once(text).collect();
    let pattern = Pattern::parse(query.trim(), CaseMatching::Ignore, Normalization::Smart);
    let mut matcher = Filter::default().matcher;
    let needles = Needle::all(&pattern);
    score_pattern(&pattern, &needles, hay.get(0)?, &mut matcher, false).map(|s| s.0)
}

/// Every live record of some kinds with its searched text, for a search across kinds.
#[derive(Debug, Default)]
pub struct Index {
    /// (kind, id) of every record, kinds in the order asked, each kind as stored.
    pub items: Vec<(EntityKind, Id)>,
    /// Their folded search texts.
    pub hay: Haystacks,
    /// The rows in the order equal matches rank in: kinds in the order asked, each kind
    /// by title (then id).
    pub base: Vec<u32>,
}

impl App {
    /// The search index over the live records of `kinds` (global search), reporting
    /// progress after each kind. Each text goes into the index as it is read: only the
    /// titles are held for the sort, which orders `base`, not the texts (holding every
    /// text of the 187k activities until they were sorted took 30 MB).
    pub fn search_index(
        &self,
        kinds: &[EntityKind],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Index, AppError> {
        let mut index = Index::default();
        let mut names = Names::default();
        for (i, kind) in kinds.iter().enumerate() {
            // Every record of the kind is read: so is every name it links to.
            names.preload_links(self, *kind, crate::app::view::ALL_ROWS);
            let first = index.items.len();
            // Sort keys: titles trimmed and lower case (past 4 GB of them, empty).
            let mut titles = super::texts::Texts::default();
            let keys = stored_keys(*kind);
            for item in self.store.live_picked(*kind, &keys) {
                let (id, f) = item?;
                titles.push(&super::kinds::title_of(*kind, &f).trim().to_lowercase());
                index.items.push((*kind, id));
                index.hay.push(&text_from(self, *kind, &f, &mut names));
            }
            let items = &index.items[first..];
            let mut order: Vec<u32> = (0..u32::try_from(items.len()).unwrap_or(u32::MAX)).collect();
            order.sort_unstable_by(|a, b| {
                let id = |i: u32| items.get(i as usize).map(|(_, id)| *id.as_bytes());
                titles.get(*a).cmp(titles.get(*b)).then_with(|| id(*a).cmp(&id(*b)))
            });
            let first = u32::try_from(first).unwrap_or(u32::MAX);
            index.base.extend(order.into_iter().map(|i| first.saturating_add(i)));
            progress(i + 1, kinds.len());
        }
        Ok(index)
    }
}

/// Folds text for matching: accents off, lower case (so most haystacks are ASCII and take
/// nucleo's fast path).
#[must_use]
pub fn fold(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(text.len());
    for c in text
        .chars()
        .map(nucleo_matcher::chars::normalize)
        .flat_map(char::to_lowercase)
    {
        match c {
            'ß' => out.push_str("ss"),
            'æ' => out.push_str("ae"),
            'œ' => out.push_str("oe"),
            'ø' => out.push('o'),
            'ł' => out.push('l'),
            'ı' => out.push('i'),
            'đ' | 'ð' => out.push('d'),
            'þ' => out.push_str("th"),
            '–' | '—' => out.push('-'),
            c => out.push(c),
        }
    }
    out
}

/// Bytes of text in one chunk of [`Haystacks`] (a power of two).
const CHUNK: usize = 1 << 20;

/// The folded filter text of many rows, stored in a few large buffers: matching walks
/// memory in order instead of chasing 100k small allocations (which cost more than the
/// matching). The text grows a chunk of [`CHUNK`] bytes at a time, never by doubling
/// one buffer, whose last copy held both the old and the new buffer (16 + 33 MB as the
/// global search's index of 386k rows grew). Rows that stay non-ASCII after folding,
/// or that are longer than a chunk, are kept aside as characters.
#[derive(Debug, Default, Clone)]
pub struct Haystacks {
    /// Chunk `k` holds the text from offset `k * CHUNK`; a row never spans two chunks
    /// (the next row starts a new chunk when it would not fit), so a chunk may end
    /// short of [`CHUNK`].
    chunks: Vec<Vec<u8>>,
    /// Where each row's text ends, as an offset over the chunks. A row starts where the
    /// one before it ends, or at its own chunk's start when it moved to a new chunk.
    ends: Vec<u32>,
    wide: std::collections::HashMap<u32, Box<[char]>>,
}

/// The offset where the chunk holding offset `at` starts.
fn chunk_start(at: usize) -> usize {
    at & !(CHUNK - 1)
}

impl Haystacks {
    /// Adds the next row's text (folded here).
    pub fn push(&mut self, raw: &str) {
        let folded = fold(raw);
        let row = u32::try_from(self.ends.len()).unwrap_or(u32::MAX);
        let mut end = self.ends.last().map_or(0, |e| *e as usize);
        if folded.is_ascii() && folded.len() <= CHUNK {
            if !folded.is_empty() {
                let mut start = end;
                if start - chunk_start(start) + folded.len() > CHUNK {
                    start = chunk_start(start) + CHUNK;
                }
                let k = start / CHUNK;
                while self.chunks.len() <= k {
                    // The first chunk grows as needed (a picker's few rows); the next
                    // ones are taken whole, not grown (and copied) size by size.
                    let room = if self.chunks.is_empty() { 0 } else { CHUNK };
                    self.chunks.push(Vec::with_capacity(room));
                }
                self.chunks[k].extend_from_slice(folded.as_bytes());
                end = start + folded.len();
            }
        } else {
            self.wide.insert(row, folded.chars().collect());
        }
        self.ends.push(u32::try_from(end).unwrap_or(u32::MAX));
    }

    /// How many rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Every row's number, ascending.
    fn every_row(&self) -> Vec<u32> {
        (0..u32::try_from(self.len()).unwrap_or(u32::MAX)).collect()
    }

    /// Whether there are no rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// How many rows are plain ASCII after folding (the fast path).
    #[must_use]
    pub fn ascii(&self) -> usize {
        self.ends.len() - self.wide.len()
    }

    /// Row `row` for the matcher.
    #[must_use]
    pub fn get(&self, row: u32) -> Option<Utf32Str<'_>> {
        let end = *self.ends.get(row as usize)? as usize;
        let before = if row == 0 {
            0
        } else {
            *self.ends.get(row as usize - 1)? as usize
        };
        // A wide row takes no room in the text: only an empty row is looked up (a hash
        // per row cost more than matching a short one).
        if before == end {
            return Some(match self.wide.get(&row) {
                Some(w) => Utf32Str::Unicode(w),
                None => Utf32Str::Ascii(&[]),
            });
        }
        let first = chunk_start(end - 1);
        let start = before.max(first);
        let chunk = self.chunks.get(first / CHUNK)?;
        Some(Utf32Str::Ascii(chunk.get(start - first..end - first)?))
    }
}

impl Haystacks {
    /// The rows that may hold `needle`'s run of characters, ascending: the ASCII rows
    /// that do, found by a SIMD byte search over each chunk instead of row by row, and
    /// every non-ASCII row (to be looked at one by one).
    fn rows_containing(&self, needle: &memchr::memmem::Finder<'_>) -> Vec<u32> {
        let m = needle.needle().len();
        let mut out: Vec<u32> = self.wide.keys().copied().collect();
        let mut row = 0;
        for (k, bytes) in self.chunks.iter().enumerate() {
            let first = k * CHUNK;
            let mut at = 0;
            while let Some(hit) = bytes.get(at..).and_then(|rest| needle.find(rest)) {
                let start = first + at + hit;
                // The row whose text holds `start`: the first whose end is past it (hits
                // come in order, so the row only moves forward).
                while self.ends.get(row).is_some_and(|&e| e as usize <= start) {
                    row += 1;
                }
                let Some(&end) = self.ends.get(row) else { break };
                let end = end as usize;
                if start + m <= end {
                    out.push(u32::try_from(row).unwrap_or(u32::MAX));
                    at = end - first;
                } else {
                    // Across two rows' texts: not a match; look again from the next byte.
                    at = start - first + 1;
                }
            }
        }
        out.sort_unstable();
        out
    }
}

impl<S: AsRef<str>> FromIterator<S> for Haystacks {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut h = Self::default();
        for s in iter {
            h.push(s.as_ref());
        }
        h
    }
}

/// Above this many rows to score, fuzzy words are matched greedily (fzf's v1 algorithm):
/// a few times faster than the optimal alignment, ranking nearly the same. Measured on
/// 100k contacts: 'an' 36 ms optimal, about 12 ms greedy.
const GREEDY_ABOVE: usize = 20_000;

/// Above this many rows holding a word, they are scored on two threads.
const PARALLEL_ABOVE: usize = 30_000;

/// How well one word matched, best last: scattered letters (fuzzy), inside a word, the
/// start of a word, a whole word. The tier decides the rank before the fuzzy score does,
/// and weak tiers are cut when stronger matches exist (see [`Filter::set_query`]).
pub mod tier {
    /// Letters in order with gaps.
    pub const FUZZY: u8 = 0;
    /// Inside a word.
    pub const INSIDE: u8 = 1;
    /// The start of a word.
    pub const PREFIX: u8 = 2;
    /// A whole word (or an fzf anchor: `^`, `$`, `'`).
    pub const WORD: u8 = 3;
}

/// A word's score per tier; the fuzzy score stays below one step.
const TIER_STEP: u32 = 1_000;

/// A query word folded as haystacks are, for the word-match search, with a prepared
/// byte search for ASCII haystacks when the word is ASCII.
#[derive(Clone, Debug)]
struct Needle {
    chars: Vec<char>,
    ascii: Option<memchr::memmem::Finder<'static>>,
}

impl Needle {
    fn new(folded: &str) -> Self {
        Self {
            chars: folded.chars().collect(),
            ascii: (folded.is_ascii() && !folded.is_empty())
                .then(|| memchr::memmem::Finder::new(folded.as_bytes()).into_owned()),
        }
    }

    fn all(pattern: &Pattern) -> Vec<Self> {
        pattern
            .atoms
            .iter()
            .map(|a| Self::new(&fold(&a.needle_text().chars().collect::<String>())))
            .collect()
    }
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric()
}

/// The best occurrence of `needle` in `hay` as a run of characters: (tier, field index,
/// characters in that field). `None` when it does not occur.
fn find_word(hay: Utf32Str<'_>, needle: &Needle) -> Option<(u8, usize, usize)> {
    match hay {
        Utf32Str::Ascii(bytes) => {
            let finder = needle.ascii.as_ref()?;
            let word = |b: u8| b.is_ascii_alphanumeric();
            match *finder.needle() {
                // One letter (a first keystroke scores every row): memchr's own loop,
                // without memmem's set-up at each occurrence (386k rows: 31 -> 20 ms on
                // two cores; a plain loop over the bytes took 30).
                [b] => best_run(bytes, 1, memchr::memchr_iter(b, bytes), 0x1f, word),
                ref run => best_run(bytes, run.len(), finder.find_iter(bytes), 0x1f, word),
            }
        }
        Utf32Str::Unicode(chars) => {
            let m = needle.chars.len();
            let starts = (0..(chars.len() + 1).saturating_sub(m)).filter(|&i| chars[i..i + m] == *needle.chars);
            best_run(chars, m, starts, SEP, is_word)
        }
    }
}

/// The best of the occurrences (`starts`, ascending) of an `m`-long run in `hay`, by tier.
fn best_run<T: Copy + PartialEq>(
    hay: &[T],
    m: usize,
    starts: impl Iterator<Item = usize>,
    sep: T,
    word: impl Fn(T) -> bool,
) -> Option<(u8, usize, usize)> {
    let n = hay.len();
    if m == 0 || m > n {
        return None;
    }
    let mut best: Option<(u8, usize)> = None;
    for i in starts {
        let start = i == 0 || !word(hay[i - 1]);
        let end = i + m == n || !word(hay[i + m]);
        let t = match (start, end) {
            (true, true) => tier::WORD,
            (true, false) => tier::PREFIX,
            _ => tier::INSIDE,
        };
        if best.is_none_or(|b| t > b.0) {
            best = Some((t, i));
            if t == tier::WORD {
                break;
            }
        }
    }
    let (t, i) = best?;
    // The field the run is in (separators before it) and where that field starts.
    let (mut field, mut from) = (0, 0);
    for (k, c) in hay[..i].iter().enumerate() {
        if *c == sep {
            field += 1;
            from = k + 1;
        }
    }
    let to = hay[i..].iter().position(|c| *c == sep).map_or(n, |p| i + p);
    Some((t, field, to - from))
}

/// The haystack without leading and trailing empty fields, for fzf's anchors.
fn trimmed(hay: Utf32Str<'_>) -> Utf32Str<'_> {
    let n = hay.len();
    let at = |i: usize| hay.get(u32::try_from(i).unwrap_or(u32::MAX));
    let mut a = 0;
    while a < n && at(a) == SEP {
        a += 1;
    }
    let mut b = n;
    while b > a && at(b - 1) == SEP {
        b -= 1;
    }
    hay.slice(a..b)
}

/// Scores a haystack against one word of a pattern: (score, tier). A word found as a
/// run of characters scores by tier, then by how early its field is (the name first) and
/// how much of the field it covers; otherwise by nucleo's fuzzy score.
fn score_atom(
    atom: &Atom,
    needle: &Needle,
    hay: Utf32Str<'_>,
    matcher: &mut Matcher,
    greedy: bool,
) -> Option<(u32, u8)> {
    if atom.negative {
        return atom.score(hay, matcher).map(|s| (u32::from(s), tier::WORD));
    }
    match atom.kind {
        AtomKind::Fuzzy | AtomKind::Substring => {
            if let Some((t, field, len)) = find_word(hay, needle) {
                let early = 300u32.saturating_sub(30 * u32::try_from(field).unwrap_or(10));
                let cover = u32::try_from(100 * needle.chars.len() / len.max(1)).unwrap_or(100);
                return Some((u32::from(t) * TIER_STEP + early + cover, t));
            }
            if atom.kind == AtomKind::Substring {
                return None;
            }
            let s = if greedy {
                matcher.config.ignore_case = true;
                matcher.config.normalize = true;
                matcher.fuzzy_match_greedy(hay, atom.needle_text())
            } else {
                atom.score(hay, matcher)
            };
            s.map(|s| (u32::from(s).min(TIER_STEP - 1), tier::FUZZY))
        }
        _ => atom
            .score(trimmed(hay), matcher)
            .map(|s| (u32::from(tier::WORD) * TIER_STEP + u32::from(s), tier::WORD)),
    }
}

/// Scores a haystack against every word of the pattern (all must match): the sum of
/// the words' scores and the weakest word's tier.
fn score_pattern(
    pattern: &Pattern,
    needles: &[Needle],
    hay: Utf32Str<'_>,
    matcher: &mut Matcher,
    greedy: bool,
) -> Option<(u32, u8)> {
    let mut total = 0u32;
    let mut weakest = tier::WORD;
    for (atom, needle) in pattern.atoms.iter().zip(needles) {
        let (s, t) = score_atom(atom, needle, hay, matcher, greedy)?;
        total += s;
        weakest = weakest.min(t);
    }
    Some((total, weakest))
}

/// One matching row: where it is, and its score split into the words before the last
/// and the last word, so a growing query rescores only its last word.
#[derive(Clone, Copy, Debug)]
struct Candidate {
    row: u32,
    pos: u32,
    before_last: u32,
    last: u32,
    /// The weakest tier of the words before the last, and the last word's.
    tier_before: u8,
    tier_last: u8,
}

/// Scores row `row` (at `pos` in the list's order) against every word of the pattern,
/// keeping the last word's score apart (see [`Candidate`]).
fn candidate(
    pattern: &Pattern,
    needles: &[Needle],
    h: Utf32Str<'_>,
    matcher: &mut Matcher,
    greedy: bool,
    row: u32,
    pos: u32,
) -> Option<Candidate> {
    let n = pattern.atoms.len();
    let mut before_last = 0u32;
    let mut tier_before = tier::WORD;
    let (mut last, mut tier_last) = (0, tier::WORD);
    for (k, (atom, needle)) in pattern.atoms.iter().zip(needles).enumerate() {
        let (s, t) = score_atom(atom, needle, h, matcher, greedy)?;
        if k + 1 == n {
            (last, tier_last) = (s, t);
        } else {
            before_last += s;
            tier_before = tier_before.min(t);
        }
    }
    Some(Candidate {
        row,
        pos,
        before_last,
        last,
        tier_before,
        tier_last,
    })
}

/// Scores `rows` (ascending) that are listed (`pos`: each row's place, see
/// [`positions`]) against the pattern. Many rows (a first letter, or a query scored
/// letter by letter over 100k): the second half on another core.
fn score_rows(
    rows: &[u32],
    pos: &[u32],
    hay: &Haystacks,
    pattern: &Pattern,
    needles: &[Needle],
    greedy: bool,
    matcher: &mut Matcher,
) -> Vec<Candidate> {
    let score = |part: &[u32], matcher: &mut Matcher| -> Vec<Candidate> {
        part.iter()
            .filter_map(|&row| {
                let p = *pos.get(row as usize)?;
                (p != u32::MAX).then_some(())?;
                candidate(pattern, needles, hay.get(row)?, matcher, greedy, row, p)
            })
            .collect()
    };
    if rows.len() <= PARALLEL_ABOVE {
        return score(rows, matcher);
    }
    let (a, b) = rows.split_at(rows.len() / 2);
    let config = matcher.config.clone();
    std::thread::scope(|scope| {
        let other = scope.spawn(|| score(b, &mut Matcher::new(config)));
        let mut first = score(a, matcher);
        // A thread that panicked scored nothing: score its half here.
        first.extend(other.join().unwrap_or_else(|_| score(b, matcher)));
        first
    })
}

/// Each row's place in the list's order `base` (`u32::MAX`: not listed).
fn positions(base: &[u32], rows: usize) -> Vec<u32> {
    let mut pos_of_row = vec![u32::MAX; rows];
    for (pos, &row) in base.iter().enumerate() {
        if let Some(p) = pos_of_row.get_mut(row as usize) {
            *p = u32::try_from(pos).unwrap_or(u32::MAX);
        }
    }
    pos_of_row
}

/// How a new query relates to the previous one, when it only grew.
enum Growth {
    /// The same words (a space was typed): nothing to rescore.
    Same,
    /// The last word grew: rescore it.
    LastWord,
    /// A new word after the previous ones: score only it.
    NewWord,
    /// Anything else: score every word.
    Other,
}

fn growth(old: &[String], new: &[String]) -> Growth {
    let n = new.len();
    if old == new {
        Growth::Same
    } else if n > 0 && old.len() == n && old[..n - 1] == new[..n - 1] {
        Growth::LastWord
    } else if n > 0 && old.len() + 1 == n && old[..] == new[..n - 1] {
        Growth::NewWord
    } else {
        Growth::Other
    }
}

/// The state of one list's filter.
pub struct Filter {
    query: String,
    /// Rows matching `query`, in row order: every one when `complete`, else only those
    /// where each word matched as a run of characters (the fast path of
    /// [`Filter::set_query`]), which a growing query cannot narrow from.
    candidates: Vec<Candidate>,
    complete: bool,
    /// The words of `query` as scored, and whether greedily (see [`GREEDY_ABOVE`]).
    words: Vec<String>,
    greedy: bool,
    /// Matching rows, best first (ties keep the base order); only the best `limit`
    /// when a limit is set, of `total`.
    ranked: Vec<u32>,
    total: usize,
    limit: Option<usize>,
    active: bool,
    matcher: Matcher,
    /// The query's words as parsed, and folded for the word search (for [`Filter::why`]).
    atoms: Vec<Atom>,
    needles: Vec<Needle>,
}

impl Default for Filter {
    fn default() -> Self {
        Self {
            query: String::new(),
            candidates: Vec::new(),
            complete: false,
            words: Vec::new(),
            greedy: false,
            ranked: Vec::new(),
            total: 0,
            limit: None,
            active: false,
            atoms: Vec::new(),
            needles: Vec::new(),
            matcher: Matcher::new({
                // Matches at the start of a name rank first ("cal" -> "Calendar").
                let mut c = Config::DEFAULT;
                c.prefer_prefix = true;
                c
            }),
        }
    }
}

impl std::fmt::Debug for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Filter")
            .field("query", &self.query)
            .field("matches", &self.ranked.len())
            .finish_non_exhaustive()
    }
}

impl Filter {
    /// The current query.
    #[must_use]
    pub fn query(&self) -> &str {
        &self.query
    }

    /// Whether a query is narrowing the rows.
    #[must_use]
    pub fn is_active(&self) -> bool {
        self.active
    }

    /// Matching rows, best first; only meaningful when [`Filter::is_active`].
    #[must_use]
    pub fn ranked(&self) -> &[u32] {
        &self.ranked
    }

    /// A filter that ranks only the best `limit` matches (and counts the rest): for a
    /// search that shows a few hundred results of many, sorting only those.
    #[must_use]
    pub fn with_limit(limit: usize) -> Self {
        Self {
            limit: Some(limit),
            ..Self::default()
        }
    }

    /// How many rows match in all (more than [`Filter::ranked`] holds when a limit is
    /// set).
    #[must_use]
    pub fn total(&self) -> usize {
        self.total
    }

    /// Drops the query.
    pub fn clear(&mut self) {
        self.query.clear();
        self.candidates.clear();
        self.ranked.clear();
        self.total = 0;
        self.active = false;
    }

    /// Sets the query and re-ranks. `base` is the list's row order (sorted by column);
    /// `hay` the folded haystack of every row.
    ///
    /// Weak matches are cut when strong ones exist (see [`Filter::finish`]), so when a
    /// word is ASCII the rows holding it as a run of characters are found first, in one
    /// pass over the shared buffer; when one of them matches every word at least inside
    /// a word, those are the whole answer, with no fuzzy scoring of the other rows.
    pub fn set_query(&mut self, query: &str, hay: &Haystacks, base: &[u32]) {
        let query_trimmed = query.trim();
        if query_trimmed.is_empty() {
            self.clear();
            self.query = query.to_string();
            return;
        }
        let pattern = Pattern::parse(query_trimmed, CaseMatching::Ignore, Normalization::Smart);
        let words: Vec<String> = query_trimmed.split_whitespace().map(str::to_string).collect();
        let needles = Needle::all(&pattern);
        // The most selective (longest) ASCII word that must occur as a run.
        let runs = pattern
            .atoms
            .iter()
            .zip(&needles)
            .filter(|(a, _)| !a.negative && matches!(a.kind, AtomKind::Fuzzy | AtomKind::Substring))
            .filter_map(|(_, n)| n.ascii.as_ref())
            .max_by_key(|f| f.needle().len());
        if let Some(finder) = runs {
            let greedy = hay.len() > GREEDY_ABOVE;
            let pos = positions(base, hay.len());
            let rows = if finder.needle().len() == 1 {
                // One letter (a first keystroke): nearly every row holds it, and scoring
                // finds it in each row anyway; a pass over the shared text first would
                // stop at nearly every row, on one core (7.5 of 41 ms at 386k rows).
                hay.every_row()
            } else {
                hay.rows_containing(finder)
            };
            let next = score_rows(&rows, &pos, hay, &pattern, &needles, greedy, &mut self.matcher);
            if next.iter().any(|c| c.tier_before.min(c.tier_last) > tier::FUZZY) {
                self.finish(query, next, false, pattern, needles, words, greedy);
                return;
            }
        }
        let narrow = self.active
            && self.complete
            && query.starts_with(self.query.as_str())
            && !query.contains('!')
            && !self.query.trim_end().ends_with('$')
            && !self.query.trim().is_empty();
        let rows = if narrow { self.candidates.len() } else { hay.len() };
        let greedy = rows > GREEDY_ABOVE;
        // Reuse the previous words' scores when only the last word changed or a word was
        // added, scored the same way (the words split as nucleo parses them).
        let reuse = if narrow && greedy == self.greedy && words.len() == pattern.atoms.len() {
            growth(&self.words, &words)
        } else {
            Growth::Other
        };
        let matcher = &mut self.matcher;
        let mut next: Vec<Candidate> = Vec::new();
        match (reuse, pattern.atoms.last()) {
            (Growth::Same, _) => next = std::mem::take(&mut self.candidates),
            (Growth::LastWord, Some(atom)) => {
                let needle = needles.last().cloned().unwrap_or_else(|| Needle::new(""));
                for c in &self.candidates {
                    if let Some(h) = hay.get(c.row)
                        && let Some((last, tier_last)) = score_atom(atom, &needle, h, matcher, greedy)
                    {
                        next.push(Candidate { last, tier_last, ..*c });
                    }
                }
            }
            (Growth::NewWord, Some(atom)) => {
                let needle = needles.last().cloned().unwrap_or_else(|| Needle::new(""));
                for c in &self.candidates {
                    if let Some(h) = hay.get(c.row)
                        && let Some((last, tier_last)) = score_atom(atom, &needle, h, matcher, greedy)
                    {
                        next.push(Candidate {
                            before_last: c.before_last + c.last,
                            last,
                            tier_before: c.tier_before.min(c.tier_last),
                            tier_last,
                            ..*c
                        });
                    }
                }
            }
            _ => {
                // Rows are visited in storage order (memory order of their haystacks),
                // not in the list's sort order: random access over 100k small
                // allocations costs more than the matching.
                if narrow {
                    for c in &self.candidates {
                        next.extend(
                            hay.get(c.row)
                                .and_then(|h| candidate(&pattern, &needles, h, matcher, greedy, c.row, c.pos)),
                        );
                    }
                } else {
                    let pos = positions(base, hay.len());
                    next = score_rows(&hay.every_row(), &pos, hay, &pattern, &needles, greedy, matcher);
                }
            }
        }
        self.finish(query, next, true, pattern, needles, words, greedy);
    }

    /// Ranks the matching rows `next` and keeps the query's state. The weak tail is
    /// cut: when some rows match every word at least inside a word, rows where a word
    /// only matches as scattered letters are dropped; when every row is such a scattered
    /// match, those under half the best score are.
    #[allow(clippy::too_many_arguments)]
    fn finish(
        &mut self,
        query: &str,
        next: Vec<Candidate>,
        complete: bool,
        pattern: Pattern,
        needles: Vec<Needle>,
        words: Vec<String>,
        greedy: bool,
    ) {
        let strongest = next
            .iter()
            .map(|c| c.tier_before.min(c.tier_last))
            .max()
            .unwrap_or(tier::FUZZY);
        let best = next.iter().map(|c| c.before_last + c.last).max().unwrap_or(0);
        // One sort key per row: the score descending, then the list's order.
        let mut ranked: Vec<(u64, u32)> = next
            .iter()
            .filter(|c| {
                if strongest > tier::FUZZY {
                    c.tier_before.min(c.tier_last) > tier::FUZZY
                } else {
                    (c.before_last + c.last) * 2 >= best
                }
            })
            .map(|c| {
                let score = u64::from(u32::MAX - (c.before_last + c.last));
                ((score << 32) | u64::from(c.pos), c.row)
            })
            .collect();
        self.total = ranked.len();
        if let Some(limit) = self.limit.filter(|l| *l < ranked.len()) {
            ranked.select_nth_unstable_by_key(limit, |&(key, _)| key);
            ranked.truncate(limit);
        }
        ranked.sort_unstable_by_key(|&(key, _)| key);
        self.ranked = ranked.into_iter().map(|(_, r)| r).collect();
        self.candidates = next;
        self.complete = complete;
        self.atoms = pattern.atoms;
        self.needles = needles;
        self.words = words;
        self.greedy = greedy;
        self.query = query.to_string();
        self.active = true;
    }

    /// Which search field (index into the kind's [`fields`]) made `hay` match the
    /// current query: where its strongest word was found. `None` without a query.
    pub fn why(&mut self, hay: Utf32Str<'_>) -> Option<usize> {
        let mut best: Option<(u8, usize)> = None;
        for (atom, needle) in self.atoms.iter().zip(&self.needles) {
            if atom.negative {
                continue;
            }
            let found = find_word(hay, needle).map(|(t, field, _)| (t, field)).or_else(|| {
                let mut at = Vec::new();
                atom.indices(hay, &mut self.matcher, &mut at)?;
                let first = *at.first()? as usize;
                let seps = (0..first)
                    .filter(|i| hay.get(u32::try_from(*i).unwrap_or(u32::MAX)) == SEP)
                    .count();
                Some((tier::FUZZY, seps))
            });
            if let Some(f) = found
                && best.is_none_or(|b| f.0 > b.0)
            {
                best = Some(f);
            }
        }
        best.map(|b| b.1)
    }

    /// Re-runs the query from scratch (after the rows or their order changed).
    pub fn rerun(&mut self, hay: &Haystacks, base: &[u32]) {
        let q = std::mem::take(&mut self.query);
        self.active = false;
        self.set_query(&q, hay, base);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Reverse;

    fn hay(items: &[&str]) -> Haystacks {
        items.iter().collect()
    }

    #[test]
    fn rows_read_back_and_are_found_on_both_sides_of_a_chunks_end() {
        let rows: Vec<String> = vec![
            "Anna".into(),
            "x".repeat(CHUNK - 10),
            // 8 bytes, 6 left in the first chunk: starts the second.
            "Bernhard".into(),
            // A whole chunk: does not fit after "bernhard", starts the third.
            "x".repeat(CHUNK),
            "Carla".into(),
            // Longer than a chunk: kept aside.
            "y".repeat(CHUNK + 1),
            String::new(),
            "Dora xx".into(),
        ];
        let h: Haystacks = rows.iter().collect();
        for (i, raw) in rows.iter().enumerate() {
            let row = h.get(u32::try_from(i).expect("row")).expect("row");
            assert_eq!(row.to_string(), fold(raw), "row {i}");
        }
        assert_eq!(h.chunks.len(), 4);
        assert_eq!(h.ascii(), rows.len() - 1);
        let holding = |needle: &str| h.rows_containing(&memchr::memmem::Finder::new(needle.as_bytes()));
        // The wide row (5) is always a candidate.
        assert_eq!(holding("ar"), [2, 4, 5]);
        assert_eq!(holding("xx"), [1, 3, 5, 7]);
        // "anna" then the x's lie side by side in the first chunk: not a match.
        assert_eq!(holding("ax"), [5]);
        let mut f = Filter::default();
        f.set_query("carla", &h, &h.every_row());
        assert_eq!(f.ranked(), [4]);
        f.set_query("bernhard", &h, &h.every_row());
        assert_eq!(f.ranked(), [2]);
    }

    #[test]
    fn ranks_matches_and_narrows_as_the_query_grows() {
        let h = hay(&[
            "Anna Müller Acme",
            "Jürgen Schmidt Nordlicht",
            "Hanna Weiß Acme",
            "Zoë Park",
        ]);
        let base: Vec<u32> = (0..4).collect();
        let mut f = Filter::default();
        f.set_query("mul", &h, &base);
        assert_eq!(f.ranked(), [0]);
        f.set_query("a", &h, &base);
        assert_eq!(f.ranked().len(), 3, "every row with an a");
        f.set_query("acme", &h, &base);
        let mut got = f.ranked().to_vec();
        got.sort_unstable();
        assert_eq!(got, [0, 2]);
        f.set_query("acme !hanna", &h, &base);
        assert_eq!(f.ranked(), [0]);
        f.set_query("", &h, &base);
        assert!(!f.is_active());
    }

    /// Narrowing as the query grows (rescoring only the last word, or only a new word)
    /// ranks exactly as scoring the whole query from scratch.
    #[test]
    fn growing_a_query_ranks_as_scoring_it_afresh() {
        let texts: Vec<String> = (0..500)
            .map(|i| format!("anna{} m{} nord {} berlin {}", i % 7, i % 13, i * 37 % 101, i % 3))
            .collect();
        let h: Haystacks = texts.iter().collect();
        let base: Vec<u32> = (0..500).rev().collect();
        let mut grown = Filter::default();
        let mut typed = String::new();
        for c in "anna m1 nord 4".chars() {
            typed.push(c);
            grown.set_query(&typed, &h, &base);
            let mut fresh = Filter::default();
            fresh.set_query(&typed, &h, &base);
            assert_eq!(grown.ranked(), fresh.ranked(), "'{typed}'");
        }
    }

    /// The ranking a plain reading of the rules gives: every row scored on every word,
    /// the weak tail cut, best first and ties in list order.
    fn reference(query: &str, hay: &Haystacks, base: &[u32]) -> Vec<u32> {
        let pattern = Pattern::parse(query.trim(), CaseMatching::Ignore, Normalization::Smart);
        let needles = Needle::all(&pattern);
        let mut matcher = Filter::default().matcher;
        let greedy = hay.len() > GREEDY_ABOVE;
        let scored: Vec<(u32, u32, u32, u8)> = base
            .iter()
            .enumerate()
            .filter_map(|(pos, &row)| {
                let (s, t) = score_pattern(&pattern, &needles, hay.get(row)?, &mut matcher, greedy)?;
                Some((row, u32::try_from(pos).ok()?, s, t))
            })
            .collect();
        let strongest = scored.iter().map(|r| r.3).max().unwrap_or(tier::FUZZY);
        let best = scored.iter().map(|r| r.2).max().unwrap_or(0);
        let mut kept: Vec<_> = scored
            .into_iter()
            .filter(|r| {
                if strongest > tier::FUZZY {
                    r.3 > tier::FUZZY
                } else {
                    r.2 * 2 >= best
                }
            })
            .collect();
        kept.sort_by_key(|r| (Reverse(r.2), r.1));
        kept.into_iter().map(|r| r.0).collect()
    }

    /// The fast path (rows holding a word found in one pass over the buffer) and the
    /// narrowing of a growing query rank exactly as scoring every row afresh, for
    /// queries with strong matches, only scattered ones, typos, anchors and negations,
    /// over ASCII and non-ASCII rows.
    #[test]
    fn every_path_ranks_as_the_plain_rules() {
        let texts: Vec<String> = (0..400)
            .map(|i| {
                let first = ["anna", "ann", "hanna", "jörg", "zoë", "nora", "an", "manon"][i % 8];
                let last = ["nordmann", "berg", "mann", "øster", "anders", "berlin"][i % 6];
                let city = ["berlin", "bern", "lisboa", "oslo", "annaberg"][i % 5];
                format!("{first} {last}{SEP}{city}{SEP}+49 30 {i:04}")
            })
            .collect();
        let hay: Haystacks = texts.iter().collect();
        let base: Vec<u32> = (0..400).rev().collect();
        for query in [
            "anna b",
            "ann",
            "nord",
            "nrdmn",
            "berlin !anna",
            "^hanna",
            "oslo$",
            "'mann",
            "+4930 00",
            "zoe",
            "oster",
            "an ber",
            "xyz",
            "a n n a",
        ] {
            let mut grown = Filter::default();
            let mut typed = String::new();
            for c in query.chars() {
                typed.push(c);
                grown.set_query(&typed, &hay, &base);
                assert_eq!(grown.ranked(), reference(&typed, &hay, &base), "grown '{typed}'");
                let mut fresh = Filter::default();
                fresh.set_query(&typed, &hay, &base);
                assert_eq!(fresh.ranked(), reference(&typed, &hay, &base), "fresh '{typed}'");
            }
        }
    }

    /// Over more rows than one core scores ([`PARALLEL_ABOVE`]), in a list order that
    /// is not the rows' order and leaves some rows out, both the word search and the
    /// scattered-letters pass rank as the plain rules.
    #[test]
    fn many_rows_scored_on_two_cores_rank_as_the_plain_rules() {
        let rows = PARALLEL_ABOVE + 10_001;
        let texts: Vec<String> = (0..rows)
            .map(|i| {
                let first = ["anna", "jörg", "nora", "manon", "zeta"][i % 5];
                let last = ["nordmann", "berg", "mann", "berlin"][i % 4];
                format!("{first} {last}{i}{SEP}+49 30 {i:05}")
            })
            .collect();
        let hay: Haystacks = texts.iter().collect();
        let base: Vec<u32> = (0..u32::try_from(rows).expect("rows"))
            .rev()
            .filter(|r| r % 97 != 0)
            .collect();
        for query in ["a", "n", "zt", "nrdmn", "anna b"] {
            let mut fresh = Filter::default();
            fresh.set_query(query, &hay, &base);
            assert_eq!(fresh.ranked(), reference(query, &hay, &base), "'{query}'");
            assert!(!fresh.ranked().is_empty(), "'{query}' matches");
        }
    }

    /// A row whose folded text is not ASCII reads back whole among ASCII and empty rows
    /// (only empty rows are looked up among the wide ones).
    #[test]
    fn wide_and_empty_rows_read_back_among_ascii_ones() {
        let rows = ["anna", "東京 tokyo", "", "Ωmega", "bern", ""];
        let h = hay(&rows);
        for (i, raw) in rows.iter().enumerate() {
            let row = h.get(u32::try_from(i).expect("row")).expect("row");
            assert_eq!(row.to_string(), fold(raw), "row {i}");
            assert_eq!(matches!(row, Utf32Str::Unicode(_)), !fold(raw).is_ascii(), "row {i}");
        }
    }

    /// A one-letter word is found as the general run search finds it: the first whole
    /// word, else the first word start, else the first occurrence, and its field.
    #[test]
    fn one_letter_runs_are_found_as_longer_runs_are() {
        let texts = [
            "anna",
            "n",
            "nn",
            "a n",
            "ban\x1fn\x1fx",
            "\x1f\x1fn",
            "man nora",
            "xnx\x1fbn n",
            "",
            "\x1f",
            "abc",
            "9n9 n9",
        ];
        for text in texts {
            let bytes = text.as_bytes();
            for letter in ["n", "a", "9", "x"] {
                let plain = (0..bytes.len()).filter(|&i| bytes[i..].starts_with(letter.as_bytes()));
                let expected = best_run(bytes, 1, plain, 0x1f, |b: u8| b.is_ascii_alphanumeric());
                let found = find_word(Utf32Str::Ascii(bytes), &Needle::new(letter));
                assert_eq!(found, expected, "{letter:?} in {text:?}");
            }
        }
    }

    #[test]
    fn folding_ignores_accents_and_case() {
        assert_eq!(fold("Zoë MÜLLER"), "zoe muller");
        assert_eq!(fold("Große Søren Paweł Yılmaz"), "grose soren pawel yilmaz");
        let h = hay(&["Zoë"]);
        let mut f = Filter::default();
        f.set_query("zoe", &h, &[0]);
        assert_eq!(f.ranked(), [0]);
    }

    /// A fixed corpus of account texts as the registry builds them (name, city, industry,
    /// e-mail, phone), fields separated as in the real haystacks.
    fn corpus() -> (Vec<String>, Haystacks) {
        let rows: Vec<String> = [
            ["Bright Robotics GmbH", "Berlin", "Robotics", "info@bright.example", ""],
            ["Iberia Motors SARL", "Madrid", "Automotive", "", "+351 912 345 678"],
            ["Iberian Foods S.L.", "Sevilla", "Food", "", ""],
            ["Nordlicht Iberia Trading", "Hamburg", "Trade", "", ""],
            ["Libera Art", "Roma", "Art", "", ""],
            [
                "Harbor Hotels Ltd",
                "Lisboa",
                "Hotels",
                "sales@harbor.example",
                "+351 21 000 1111",
            ],
        ]
        .iter()
        .map(|r| {
            join(
                r.iter()
                    .zip(["name", "city", "industry", "email", "phone"])
                    .map(|(v, k)| part(k, (*v).to_string())),
            )
        })
        .collect();
        let hay = rows.iter().collect();
        (rows, hay)
    }

    fn ranked(query: &str) -> Vec<u32> {
        let (rows, hay) = corpus();
        let base: Vec<u32> = (0..u32::try_from(rows.len()).expect("rows")).collect();
        let mut f = Filter::default();
        f.set_query(query, &hay, &base);
        f.ranked().to_vec()
    }

    #[test]
    fn whole_words_and_word_starts_rank_above_scattered_letters_which_are_cut() {
        // "iberia": the whole word first (the name before another field), the prefix of
        // "Iberian" next; "Libera" (inside a word) after; "Bright Robotics GmbH ... Berlin"
        // only has the letters scattered and is cut.
        assert_eq!(ranked("iberia"), [1, 3, 2]);
        assert!(!ranked("iberia").contains(&0));
        // With no strong match, scattered matches stay (a typo still finds something).
        assert!(!ranked("ibrmtrs").is_empty());
        // Two words: both must match.
        assert_eq!(ranked("iberia madrid"), [1]);
    }

    #[test]
    fn phones_match_in_any_spacing_and_say_which_field() {
        assert_eq!(ranked("+351912"), [1]);
        assert_eq!(ranked("912 345"), [1]);
        assert_eq!(ranked("+351"), [1, 5]);
        let (_, hay) = corpus();
        let mut f = Filter::default();
        f.set_query("+351912", &hay, &[0, 1, 2, 3, 4, 5]);
        assert_eq!(f.why(hay.get(1).expect("row")), Some(4), "the phone field");
        f.set_query("sevilla", &hay, &[0, 1, 2, 3, 4, 5]);
        assert_eq!(f.ranked(), [2]);
        assert_eq!(f.why(hay.get(2).expect("row")), Some(1), "the city field");
        f.set_query("bright.example", &hay, &[0, 1, 2, 3, 4, 5]);
        assert_eq!(f.why(hay.get(0).expect("row")), Some(3), "the e-mail field");
    }

    #[test]
    fn fzf_anchors_ignore_empty_fields() {
        assert_eq!(ranked("^harbor"), [5]);
        assert_eq!(ranked("'robotics !bright"), Vec::<u32>::new());
        assert!(score("sarl$", "Iberia Motors SARL\u{1f}\u{1f}").is_some());
        assert!(
            score(
                "sarl$",
                &join(["Iberia Motors SARL".to_string(), String::new()].into_iter())
            )
            .is_some()
        );
    }
}
