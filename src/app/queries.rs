//! Read-side use cases the front ends call instead of reading the store: one record,
//! filtered lists (index intersection, fuzzy search), a record's children, the trash,
//! and the store's housekeeping (backup, restore, check).

use std::io::{BufRead, Write};
use std::path::Path;

use serde_json::{Map, Value};

use super::view::Names;
use super::{App, AppError};
use crate::model::entity::Index;
use crate::model::{EntityKind, Id};
use crate::store::{BackupSummary, Stored, VerifyReport};

/// What `list` narrows by (all optional; given filters intersect).
#[derive(Clone, Debug, Default)]
pub struct ListQuery {
    /// Records related to this account (REF).
    pub account: Option<String>,
    /// Records owned by this user (login, name or e-mail).
    pub owner: Option<String>,
    /// Deals in this stage.
    pub stage: Option<String>,
    /// Search over the kind's search fields (`app::search`: fzf syntax); best matches
    /// first.
    pub search: Option<String>,
}

/// A trashed record.
#[derive(Clone, Debug)]
pub struct Trashed {
    /// Its kind.
    pub kind: EntityKind,
    /// Its id.
    pub id: Id,
    /// Its name.
    pub title: String,
    /// When it was trashed.
    pub when: Option<chrono::DateTime<chrono::Utc>>,
}

impl App {
    /// One record as stored (live or trashed), if it exists.
    pub fn record(&self, kind: EntityKind, id: Id) -> Result<Option<Stored>, AppError> {
        Ok(self.store.get(kind, id)?)
    }

    /// One record as an output object; `NotFound` when it does not exist.
    pub fn record_view(&self, kind: EntityKind, id: Id, names: &mut Names) -> Result<Map<String, Value>, AppError> {
        let stored = self
            .store
            .get(kind, id)?
            .ok_or_else(|| AppError::NotFound(id.to_string()))?;
        Ok(self.view(kind, id, &stored, names))
    }

    /// Output objects of the records with these ids that exist (trashed ones too).
    pub fn views(&self, kind: EntityKind, ids: &[Id], names: &mut Names) -> Result<Vec<Map<String, Value>>, AppError> {
        let mut out = Vec::new();
        for id in ids {
            if let Some(stored) = self.store.get(kind, *id)? {
                out.push(self.view(kind, *id, &stored, names));
            }
        }
        Ok(out)
    }

    /// Live records of a kind as output objects, narrowed by `query` (filters intersect
    /// through the indexes; a search ranks by fuzzy score).
    pub fn list(&self, kind: EntityKind, query: &ListQuery) -> Result<Vec<Map<String, Value>>, AppError> {
        let unranked = ListQuery {
            search: None,
            ..query.clone()
        };
        let mut rows = Vec::new();
        let Some(q) = &query.search else {
            self.list_each(kind, &unranked, &mut |_, row| {
                rows.push(row);
                Ok(true)
            })?;
            return Ok(rows);
        };
        // A search keeps each row's searched text, not the row, while it reads them all,
        // then makes again the rows that match.
        let mut ids = Vec::new();
        let mut hay = super::search::Haystacks::default();
        self.list_each(kind, &unranked, &mut |id, row| {
            hay.push(&super::search::text_of(kind, &row));
            ids.push(id);
            Ok(true)
        })?;
        let ranked = super::search::rank_texts(&hay, q)
            .unwrap_or_else(|| (0..u32::try_from(ids.len()).unwrap_or(u32::MAX)).collect());
        let mut names = Names::default();
        for i in ranked {
            let Some(id) = ids.get(i as usize).copied() else {
                continue;
            };
            if let Some(s) = self.store.get(kind, id)?.filter(|s| !s.deleted) {
                rows.push(self.view(kind, id, &s, &mut names));
            }
        }
        Ok(rows)
    }

    /// The records `query` narrows to, in id order, each handed to `row` (with its id) as
    /// it is read, until `row` answers false: a listing of a few records of a large store
    /// reads no further, and a long one is never held whole. A search ranks every match
    /// first, so it is for [`App::list`].
    pub fn list_each(
        &self,
        kind: EntityKind,
        query: &ListQuery,
        row: &mut dyn FnMut(Id, Map<String, Value>) -> Result<bool, AppError>,
    ) -> Result<(), AppError> {
        if query.search.is_some() {
            return Err(AppError::Invalid("a search ranks the whole list: use `list`".into()));
        }
        let mut filter: Option<Vec<Id>> = None;
        let mut narrow = |ids: Vec<Id>| {
            filter = Some(match filter.take() {
                None => ids,
                Some(prev) => prev.into_iter().filter(|i| ids.contains(i)).collect(),
            });
        };
        if let Some(a) = &query.account {
            let account = self.resolve(EntityKind::Account, a)?;
            narrow(self.store.children(account, kind)?);
        }
        if let Some(o) = &query.owner {
            let login = self.resolve_owner(o, "--owner")?;
            narrow(self.store.ids_by_index(Index::Owner, kind, &login)?);
        }
        if let Some(s) = &query.stage {
            let stage = self
                .config
                .pipeline
                .find(s)
                .ok_or_else(|| AppError::Invalid(self.config.pipeline.unknown(s)))?;
            narrow(self.store.ids_by_index(Index::Stage, kind, &stage.name)?);
        }
        let mut names = Names::default();
        match filter {
            Some(mut ids) => {
                ids.sort();
                for id in ids {
                    if let Some(s) = self.store.get(kind, id)?.filter(|s| !s.deleted)
                        && !row(id, self.view(kind, id, &s, &mut names))?
                    {
                        break;
                    }
                }
            }
            None => {
                for item in self.store.live(kind) {
                    let (id, s) = item?;
                    if !row(id, self.view(kind, id, &s, &mut names))? {
                        break;
                    }
                }
            }
        }
        Ok(())
    }

    /// Ids of the records of `child` kind that point at `parent` (live or not).
    pub fn children_ids(&self, parent: Id, child: EntityKind) -> Result<Vec<Id>, AppError> {
        Ok(self.store.children(parent, child)?)
    }

    /// The live lines of a quote, in id order.
    pub fn quote_lines(&self, quote: Id) -> Result<Vec<Id>, AppError> {
        let mut ids = self.store.children(quote, EntityKind::QuoteLine)?;
        ids.sort();
        Ok(ids)
    }

    /// Trashed records, of one kind or all, in export order.
    pub fn trash(&self, kind: Option<EntityKind>) -> Result<Vec<Trashed>, AppError> {
        let mut rows = Vec::new();
        for k in EntityKind::ALL.into_iter().filter(|k| kind.is_none_or(|w| w == *k)) {
            for item in self.store.scan_bytes(k) {
                let (id, bytes) = item?;
                // Most records are live: only whether it is trashed is read of each.
                let lean = crate::protocol::record::Cells::decode(&bytes, &[])
                    .map_err(|e| crate::store::StoreError::Corrupt(format!("{k} {id}: {e}")))?;
                if lean.deleted {
                    let s = crate::store::decode(&bytes)?;
                    let title = k.describe(&s.fields).map(|c| c.title).unwrap_or_default();
                    let when = s
                        .clocks
                        .get("_deleted")
                        .and_then(|c| chrono::DateTime::from_timestamp_millis(i64::try_from(c.wall).unwrap_or(0)));
                    rows.push(Trashed {
                        kind: k,
                        id,
                        title,
                        when,
                    });
                }
            }
        }
        Ok(rows)
    }

    /// How many records of a kind the store holds (trashed ones included; for progress
    /// bars: it walks every record's key).
    #[must_use]
    pub fn count(&self, kind: EntityKind) -> usize {
        self.store.count(kind)
    }

    /// [`App::count`] up to `limit`, walking no further.
    #[must_use]
    pub fn count_at_most(&self, kind: EntityKind, limit: usize) -> usize {
        self.store.count_at_most(kind, limit)
    }

    /// The live records of a kind, in id (creation) order, decoded one at a time.
    pub fn live(&self, kind: EntityKind) -> impl Iterator<Item = Result<(Id, Stored), AppError>> + '_ {
        self.store.live(kind).map(|r| r.map_err(AppError::from))
    }

    /// The live records of `child` kind that point at `parent`, in id order.
    pub fn children(&self, parent: Id, child: EntityKind) -> Result<Vec<(Id, Stored)>, AppError> {
        let mut out = Vec::new();
        for id in self.store.children(parent, child)? {
            if let Some(s) = self.store.get(child, id)?.filter(|s| !s.deleted) {
                out.push((id, s));
            }
        }
        Ok(out)
    }

    /// Every live record's folded (lower-case) title of a kind with its id, from the
    /// title index (no record is decoded), in title order.
    pub fn titles(&self, kind: EntityKind) -> Result<Vec<(String, Id)>, AppError> {
        Ok(self.store.index_entries_titles(kind)?)
    }

    /// The first `n` live records of a kind in title order (case-folded), from the
    /// title index: a big list's first page without reading the rest.
    pub fn first_by_title(&self, kind: EntityKind, n: usize) -> Result<Vec<Id>, AppError> {
        Ok(self
            .store
            .first_titles(kind, n)?
            .into_iter()
            .map(|(_, id)| id)
            .collect())
    }

    /// Where the data lives.
    #[must_use]
    pub fn data_path(&self) -> &Path {
        self.store.path()
    }

    /// Writes a portable backup of everything (records, clocks, outbox).
    pub fn backup(&self, out: &mut dyn Write) -> Result<BackupSummary, AppError> {
        Ok(crate::store::write_backup(&self.store, out)?)
    }

    /// Checks indexes, outbox, records and links.
    pub fn verify(&self) -> Result<VerifyReport, AppError> {
        Ok(self.store.verify()?)
    }

    /// Rebuilds the indexes from the records.
    pub fn rebuild_indexes(&self) -> Result<(), AppError> {
        Ok(self.store.rebuild_indexes()?)
    }
}

/// Restores a backup into the (empty) store at `dir`; `file` names the input in
/// messages. Nothing is restored when the file does not parse (see `Store::restore`).
pub fn restore(dir: &Path, file: &Path, input: &mut (dyn BufRead + Send)) -> Result<BackupSummary, AppError> {
    let mut store = crate::store::Store::open(dir).map_err(AppError::Store)?;
    let _churn = crate::tuning::churn(crate::tuning::Churn::Bulk);
    store.restore(input).map_err(|e| match e {
        crate::store::RestoreError::Invalid(m) => {
            AppError::Invalid(format!("{}: {m}; nothing was restored", file.display()))
        }
        crate::store::RestoreError::Store(e) => AppError::Store(e),
    })
}
