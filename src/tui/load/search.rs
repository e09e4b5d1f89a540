//! The global search: its index (every record's search text: the registry's search
//! fields, as `outpost <kind> list -s` and the list filter match them), and the query
//! scored over it on a worker. A keystroke only hands its query over ([`Searcher::ask`]),
//! so typing never waits for the 386k rows of a 100k-contact store to be scored; a newer
//! query supersedes one not yet started, as fzf and helix do.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::app::search::{Filter, field_label, fields};
use crate::app::{App, AppError};
use crate::model::{EntityKind, Id};

/// Kinds searched, in this order for equal scores.
pub const KINDS: [EntityKind; 8] = [
    EntityKind::Account,
    EntityKind::Contact,
    EntityKind::Lead,
    EntityKind::Opportunity,
    EntityKind::Quote,
    EntityKind::Event,
    EntityKind::Activity,
    EntityKind::Product,
];

/// How many results get their proper name looked up.
pub const SHOWN: usize = 200;

/// How many of the matches are ranked (the rest are only counted): sorting 400k
/// matches of a first letter costs more than a keystroke may.
pub const RANKED: usize = 1_000;

/// Every searched record with its search text (`app::search`).
pub type Titles = crate::app::search::Index;

/// Reads every record's search text (the registry's search fields of each kind).
pub fn load(app: &App, progress: &mut dyn FnMut(usize, usize)) -> Result<Titles, AppError> {
    app.search_index(&KINDS, progress)
}

/// The index and the filter over it (which keeps the last query's matches, so a
/// growing query narrows them), shared by the popup and the worker scoring a query.
#[derive(Clone)]
pub struct Searcher {
    engine: Arc<Mutex<Engine>>,
    /// The number of the newest query asked for: an older one not yet started is
    /// skipped.
    latest: Arc<AtomicU64>,
    /// How many records the index holds.
    records: usize,
}

impl std::fmt::Debug for Searcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Searcher").finish_non_exhaustive()
    }
}

struct Engine {
    titles: Titles,
    filter: Filter,
}

/// A query to score, numbered in the order asked.
#[derive(Clone)]
pub struct Query {
    searcher: Searcher,
    /// The typed text.
    pub text: String,
    seq: u64,
}

impl PartialEq for Query {
    fn eq(&self, other: &Self) -> bool {
        self.seq == other.seq && self.text == other.text && Arc::ptr_eq(&self.searcher.engine, &other.searcher.engine)
    }
}

impl Eq for Query {}

impl std::fmt::Debug for Query {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Query")
            .field("text", &self.text)
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}

/// What a query found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Found {
    /// The query's text.
    pub query: String,
    /// The best matching records, best first (at most [`RANKED`]).
    pub matches: Vec<(EntityKind, Id)>,
    /// The first [`SHOWN`] of them with their names: (kind, id, name).
    pub shown: Vec<(EntityKind, Id, String)>,
    /// Beside each shown result: the field it matched in ("city", "phones").
    pub why: Vec<String>,
    /// How many records match in all.
    pub total: usize,
}

impl Searcher {
    /// A searcher over `titles`.
    #[must_use]
    pub fn new(titles: Titles) -> Self {
        Self {
            records: titles.items.len(),
            engine: Arc::new(Mutex::new(Engine {
                titles,
                filter: Filter::with_limit(RANKED),
            })),
            latest: Arc::new(AtomicU64::new(0)),
        }
    }

    /// How many records the index holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.records
    }

    /// Whether the index holds no record.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// Asks for `text` to be scored; every query asked for before it is superseded.
    #[must_use]
    pub fn ask(&self, text: &str) -> Query {
        Query {
            searcher: self.clone(),
            text: text.to_string(),
            seq: self.supersede(),
        }
    }

    /// Supersedes every query asked for so far (the input was emptied); returns the
    /// next number.
    pub fn supersede(&self) -> u64 {
        self.latest.fetch_add(1, Ordering::SeqCst) + 1
    }

    fn engine(&self) -> std::sync::MutexGuard<'_, Engine> {
        self.engine.lock().unwrap_or_else(|poisoned| {
            // A query that panicked midway may have left the filter half-changed: it
            // starts again from nothing; the index itself is only read.
            self.engine.clear_poison();
            let mut engine = poisoned.into_inner();
            engine.filter.clear();
            engine
        })
    }
}

impl Query {
    /// Whether a newer query was asked for since this one.
    fn superseded(&self) -> bool {
        self.searcher.latest.load(Ordering::SeqCst) != self.seq
    }

    /// Scores the query and names its best results; `None` when a newer query
    /// superseded it before it started.
    #[must_use]
    pub fn run(&self, app: &App) -> Option<Found> {
        if self.superseded() {
            return None;
        }
        let mut engine = self.searcher.engine();
        // The lock may have been waited for, while a newer query was asked for.
        if self.superseded() {
            return None;
        }
        let Engine { titles, filter } = &mut *engine;
        // An empty query clears the filter, which then ranks nothing.
        filter.set_query(&self.text, &titles.hay, &titles.base);
        let mut found = Found {
            query: self.text.clone(),
            total: filter.total(),
            matches: filter
                .ranked()
                .iter()
                .filter_map(|i| titles.items.get(*i as usize).copied())
                .collect(),
            ..Found::default()
        };
        let best: Vec<u32> = filter.ranked().iter().take(SHOWN).copied().collect();
        for i in best {
            if let Some((kind, id)) = titles.items.get(i as usize) {
                found.shown.push((*kind, *id, app.title(*kind, *id)));
                let field = titles
                    .hay
                    .get(i)
                    .and_then(|h| filter.why(h))
                    .and_then(|f| fields(*kind).get(f));
                found.why.push(field.map(|f| field_label(f)).unwrap_or_default());
            }
        }
        Some(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::search::Haystacks;

    fn searcher(texts: &[&str]) -> Searcher {
        let items: Vec<(EntityKind, Id)> = texts.iter().map(|_| (EntityKind::Account, Id::new())).collect();
        let hay: Haystacks = texts.iter().collect();
        let base = (0..u32::try_from(texts.len()).expect("few")).collect();
        Searcher::new(Titles { items, hay, base })
    }

    fn app() -> (tempfile::TempDir, App) {
        let dir = tempfile::tempdir().expect("dir");
        let app = App::open(dir.path()).expect("app");
        (dir, app)
    }

    #[test]
    fn only_the_newest_query_is_scored() {
        let (_dir, app) = app();
        let s = searcher(&["acme gmbh", "abc ltd", "nordwind"]);
        let a = s.ask("a");
        let ab = s.ask("ab");
        assert_eq!(a.run(&app), None, "superseded by 'ab'");
        let found = ab.run(&app).expect("the newest runs");
        assert_eq!(found.query, "ab");
        assert_eq!(found.total, 1);
        assert_eq!(found.matches, vec![s.engine().titles.items[1]]);
        assert_eq!(found.shown.len(), 1);
        assert_eq!(found.why.len(), 1);
        // Emptying the input supersedes what was asked before it.
        let nord = s.ask("nord");
        s.supersede();
        assert_eq!(nord.run(&app), None);
    }

    #[test]
    fn results_are_the_filters_own_ranking() {
        let (_dir, app) = app();
        let texts = ["anna berg", "hanna", "banane", "johann", "ann"];
        let s = searcher(&texts);
        let found = s.ask("an").run(&app).expect("found");
        let t = s.engine();
        let mut f = Filter::with_limit(RANKED);
        f.set_query("an", &t.titles.hay, &t.titles.base);
        let want: Vec<_> = f.ranked().iter().map(|i| t.titles.items[*i as usize]).collect();
        assert_eq!(found.matches, want);
        assert_eq!(found.total, f.total());
    }

    /// Equal matches rank by title within a kind, whatever order the records are
    /// stored in (the index keeps texts as read, and the title order in `base`).
    #[test]
    fn equal_matches_rank_by_title_not_by_storage_order() {
        let (_dir, app) = app();
        let names = ["Acme South", "Acme North", "Acme Mitte"];
        let mut ids = Vec::new();
        for name in names {
            let values = [(
                crate::app::ops::spec_of(EntityKind::Account, "name"),
                vec![name.to_string()],
            )]
            .into_iter()
            .collect();
            ids.push(app.create(EntityKind::Account, &values).expect("account"));
            // Ids (UUIDv7) order by the millisecond they were made in.
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        let index = load(&app, &mut |_, _| {}).expect("index");
        let stored: Vec<Id> = index.items.iter().map(|(_, id)| *id).collect();
        assert_eq!(stored, ids, "texts kept in the order they were stored");
        let found = Searcher::new(index).ask("acme").run(&app).expect("found");
        let titles: Vec<&str> = found.shown.iter().map(|(_, _, t)| t.as_str()).collect();
        assert_eq!(titles, ["Acme Mitte", "Acme North", "Acme South"]);
    }

    #[test]
    fn a_query_that_panicked_leaves_a_searcher_that_still_answers() {
        let (_dir, app) = app();
        let s = searcher(&["acme gmbh", "abc ltd"]);
        assert_eq!(s.ask("ac").run(&app).expect("found").total, 1);
        let other = s.clone();
        let died = std::thread::spawn(move || {
            let _held = other.engine.lock();
            panic!("a query panicked midway");
        })
        .join();
        assert!(died.is_err());
        assert!(s.engine.is_poisoned());
        // The lock is taken back (not unwrapped into a panic of every later query) and
        // the filter, which the panic may have left half-changed, starts from nothing.
        assert_eq!(s.engine().filter.query(), "");
        assert!(!s.engine.is_poisoned());
        assert_eq!(s.ask("acm").run(&app).expect("found").total, 1);
    }
}
