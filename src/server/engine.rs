//! The push logic both backends share, as pure functions: check a push request against
//! the replica's state, then decide for each new change whether the actor may make it,
//! merge it, and collect the conflicts. The backend only loads and stores.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::StatusCode;

use super::auth::Principal;
use super::error::ApiError;
use crate::model::entity::{Context, Link, SCHEMA};
use crate::model::stage::{Pipeline, Stage, StageState};
use crate::model::{EntityKind, Hlc, Id, ReplicaId};
use crate::protocol::merge::{self, Detected};
use crate::protocol::wire::{Entry, MAX_PUSH_CHANGES, PushRequest, PushResponse, Refusal, UnknownRefusal};
use crate::protocol::{Change, ChangeOp, Conflict, Stored};

/// A record's key on the server.
pub type Key = (EntityKind, Id);

/// One change after planning, before the backend gives it a cursor.
#[derive(Clone, Debug)]
pub struct Draft {
    /// The change.
    pub change: Change,
    /// Conflicts it raised.
    pub conflicts: Vec<Detected>,
    /// Set when it was refused.
    pub refused: Option<Refusal>,
}

impl Draft {
    /// The log entry for this draft at `cursor`.
    #[must_use]
    pub fn into_entry(self, cursor: u64, actor: &str, at: chrono::DateTime<chrono::Utc>) -> Entry {
        let conflicts = self
            .conflicts
            .into_iter()
            .enumerate()
            .map(|(n, d)| Conflict {
                id: Conflict::make_id(cursor, n),
                kind: d.kind,
                entity: self.change.entity,
                record: self.change.id,
                field: d.field,
                winner: d.winner,
                loser: d.loser,
                actor: actor.to_string(),
                at,
                reason: None,
            })
            .collect();
        Entry {
            cursor,
            actor: actor.to_string(),
            at,
            change: self.change,
            conflicts,
            refused: self.refused,
        }
    }
}

/// Checks a push against the replica's owner and acknowledged sequence. Returns the
/// changes not seen before (a retried push repeats some).
pub fn new_changes<'a>(
    who: &Principal,
    owner: Option<&str>,
    acked: u64,
    req: &'a PushRequest,
) -> Result<&'a [Change], ApiError> {
    check_owner(who, owner, req.replica)?;
    let total = req.changes.len() + req.unknown.len();
    if total > MAX_PUSH_CHANGES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("{total} changes in one push; send at most {MAX_PUSH_CHANGES}"),
        ));
    }
    // Changes of unknown kinds were set aside when decoding; the sequence runs over all.
    let mut seqs: Vec<(u64, ReplicaId, bool)> = req
        .changes
        .iter()
        .map(|c| (c.seq, c.replica, c.hlc.replica == c.replica))
        .chain(req.unknown.iter().map(|u| (u.seq, u.replica, true)))
        .collect();
    if !req.unknown.is_empty() {
        seqs.sort_by_key(|s| s.0);
    }
    let mut previous: Option<u64> = None;
    for &(seq, replica, own_clock) in &seqs {
        if replica != req.replica {
            return Err(ApiError::invalid(format!(
                "change {seq} of replica {replica} is in a push of replica {}; a replica pushes only its own changes",
                req.replica
            )));
        }
        if !own_clock {
            return Err(ApiError::invalid(format!(
                "change {seq} of replica {replica} carries a clock of another replica; a replica stamps its \
                 changes with its own clock"
            )));
        }
        if seq == 0 {
            return Err(ApiError::invalid("change sequence numbers start at 1"));
        }
        if let Some(p) = previous.filter(|p| seq != p + 1) {
            return Err(gap(format!(
                "change {seq} follows change {p} in the push; changes must be contiguous"
            )));
        }
        previous = Some(seq);
    }
    let first = seqs.first().map_or(acked + 1, |s| s.0);
    if first > acked + 1 {
        return Err(gap(format!(
            "the server holds replica {} up to change {acked}, the push starts at {first}; send from {} on",
            req.replica,
            acked + 1
        )));
    }
    let skip = req.changes.iter().take_while(|c| c.seq <= acked).count();
    Ok(&req.changes[skip..])
}

/// Refuses the changes of kinds this server does not know, in the push answer itself:
/// they are acknowledged (so the replica's sequence goes on) but not logged, and the
/// server holds nothing of them. `response.acked` must already cover the known ones.
pub fn refuse_unknown(req: &PushRequest, acked: u64, response: &mut PushResponse) {
    for u in req.unknown.iter().filter(|u| u.seq > acked) {
        response.acked = response.acked.max(u.seq);
        response.refused += 1;
        response.refusals.push(UnknownRefusal {
            seq: u.seq,
            entity: u.entity.clone(),
            id: u.id.clone(),
            reason: u.reason.clone().unwrap_or_else(|| {
                format!(
                    "this server does not know records of kind '{}'; update the server to sync them",
                    u.entity
                )
            }),
        });
    }
    response.skipped += req.unknown.iter().filter(|u| u.seq <= acked).count();
}

fn gap(message: String) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "seq_gap", message)
}

/// A replica belongs to the first user that used it.
pub fn check_owner(who: &Principal, owner: Option<&str>, replica: ReplicaId) -> Result<(), ApiError> {
    match owner {
        Some(o) if o != who.user => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "replica_owned",
            format!(
                "replica {replica} belongs to user '{o}', not '{}'; log in as '{o}', or sync from a new data dir",
                who.user
            ),
        )),
        _ => Ok(()),
    }
}

/// The records a set of changes touches.
#[must_use]
pub fn keys(changes: &[Change]) -> BTreeSet<Key> {
    changes.iter().map(|c| (c.entity, c.id)).collect()
}

/// A push's new changes with the links each create names, read once per push: the
/// backend loads the records the changes touch ([`Batch::keys`]) in full and asks only
/// whether it holds the records their links name ([`Batch::link_keys`]); [`plan_batch`]
/// checks the links without reading the creates again.
#[derive(Debug)]
pub struct Batch<'a> {
    changes: &'a [Change],
    /// Per change: the links a create names (`None` for any other change, and for a
    /// create whose values do not fit its kind, which [`plan_batch`] refuses anyway).
    created: Vec<Option<Vec<Link>>>,
}

impl<'a> Batch<'a> {
    /// Reads the links of the creates in `changes`.
    #[must_use]
    pub fn new(changes: &'a [Change]) -> Self {
        let created = changes
            .iter()
            .map(|c| match &c.op {
                ChangeOp::Create { fields } => c.entity.links(fields),
                _ => None,
            })
            .collect();
        Self { changes, created }
    }

    /// The records the changes touch.
    #[must_use]
    pub fn keys(&self) -> BTreeSet<Key> {
        keys(self.changes)
    }

    /// The records the links of creates and of sets of a link field name, besides
    /// `loaded` (already read in full) and the records the changes touch (which
    /// [`plan_batch`] knows from `loaded` and what the push creates): the server need
    /// only say which it holds, so [`plan_batch`] can refuse a child whose parent the
    /// server does not hold.
    #[must_use]
    pub fn link_keys(&self, loaded: &BTreeMap<Key, Stored>) -> BTreeSet<Key> {
        let mut out = BTreeSet::new();
        for (c, created) in self.changes.iter().zip(&self.created) {
            if let Some(links) = created {
                out.extend(links.iter().map(|l| (l.kind, l.id)));
            } else if let ChangeOp::Set { field, value, .. } = &c.op
                && field.ends_with("_id")
                && let Some(id) = value.as_str().and_then(|s| s.parse::<Id>().ok())
            {
                // The kind is not known without the record; every kind is cheap to ask.
                out.extend(EntityKind::ALL.iter().map(|k| (*k, id)));
            }
        }
        let touched = self.keys();
        out.retain(|k| !loaded.contains_key(k) && !touched.contains(k));
        out
    }
}

/// Whether the server holds `key` (live or in its trash): `records` holds what the push
/// loaded in full and created so far (a parent created earlier in the same push
/// counts), `linked` the other records the push's links name that the server holds.
fn holds(key: &Key, records: &BTreeMap<Key, Stored>, linked: &BTreeSet<Key>) -> bool {
    records.get(key).map_or_else(|| linked.contains(key), merge::exists)
}

/// A link of `change` (a create, whose links are `created`, or a set of a link field)
/// to a record the server does not hold, live or in its trash (see [`holds`]). Returns
/// the refusal reason.
fn missing_link(
    change: &Change,
    created: Option<&[Link]>,
    current: Option<&Stored>,
    held: impl Fn(&Key) -> bool,
) -> Option<String> {
    match &change.op {
        ChangeOp::Create { .. } => first_missing(created?, current, held),
        ChangeOp::Set { field, value, .. } if field.ends_with("_id") => {
            let mut fields = current.map(|s| s.fields.clone()).unwrap_or_default();
            fields.insert(field.clone(), value.clone());
            let set: Vec<Link> = change
                .entity
                .links(&fields)?
                .into_iter()
                .filter(|l| l.field == field)
                .collect();
            first_missing(&set, current, held)
        }
        _ => None,
    }
}

/// The refusal reason for the first of `links` to a record the server does not hold.
fn first_missing(links: &[Link], current: Option<&Stored>, held: impl Fn(&Key) -> bool) -> Option<String> {
    for link in links {
        // A link the server's record already has was checked when it was written.
        let unchanged = current
            .filter(|s| merge::exists(s))
            .and_then(|s| s.fields.get(link.field))
            .and_then(|v| v.as_str())
            .is_some_and(|v| v == link.id.to_string());
        if unchanged {
            continue;
        }
        if !held(&(link.kind, link.id)) {
            return Some(format!(
                "its {} is not on the server (held on your laptop?): it goes once its {} does; \
                 fix or discard the {} first",
                link.kind, link.kind, link.kind
            ));
        }
    }
    None
}

/// The quote ids a change to a quote line touches: the one its record (live or in the
/// trash) is on, and the one a create or a change of `quote_id` names.
fn line_quotes(change: &Change, current: Option<&Stored>) -> Vec<Id> {
    use crate::model::records::fields::quote_line::QUOTE_ID;
    if change.entity != EntityKind::QuoteLine {
        return Vec::new();
    }
    let named = match &change.op {
        ChangeOp::Create { fields } => fields.get(QUOTE_ID),
        ChangeOp::Set { field, value, .. } if field == QUOTE_ID => Some(value),
        _ => None,
    };
    let mut out: Vec<Id> = current
        .and_then(|s| s.fields.get(QUOTE_ID))
        .into_iter()
        .chain(named)
        .filter_map(|v| v.as_str().and_then(|s| s.parse::<Id>().ok()))
        .collect();
    out.dedup();
    out
}

/// The quotes of the lines `changes` touch that `records` (as loaded for
/// [`Batch::keys`]) names but does not hold yet: the backend loads them too, so
/// [`plan`] can refuse a change to a line of a quote that is frozen on the server.
#[must_use]
pub fn line_quote_keys(changes: &[Change], records: &BTreeMap<Key, Stored>) -> BTreeSet<Key> {
    changes
        .iter()
        .flat_map(|c| line_quotes(c, records.get(&(c.entity, c.id))))
        .map(|q| (EntityKind::Quote, q))
        .filter(|k| !records.contains_key(k))
        .collect()
}

/// A change to a frozen (sent) quote, or to a line of one (a line added, edited, moved,
/// removed or restored): refused, with the reason (`protocol::frozen`).
fn frozen_quote(change: &Change, current: Option<&Stored>, records: &BTreeMap<Key, Stored>) -> Option<String> {
    let quotes: Vec<&Stored> = line_quotes(change, current)
        .into_iter()
        .filter_map(|q| records.get(&(EntityKind::Quote, q)))
        .collect();
    crate::protocol::frozen::refusal(change.entity, current.filter(|s| merge::exists(s)), &quotes, &change.op)
}

/// How far ahead of the server's clock a pushed change's clock may be, in
/// milliseconds (`outpost serve --max-clock-skew`, default one day).
static MAX_SKEW_MS: AtomicU64 = AtomicU64::new(Hlc::DEFAULT_MAX_SKEW_MS);

/// Sets the clock skew the server tolerates (`outpost serve --max-clock-skew`).
pub fn set_max_clock_skew(ms: u64) {
    MAX_SKEW_MS.store(ms, Ordering::Relaxed);
}

/// The clock skew the server tolerates, in milliseconds.
#[must_use]
pub fn max_clock_skew() -> u64 {
    MAX_SKEW_MS.load(Ordering::Relaxed)
}

/// The pipeline stages the server accepts (`outpost serve --stages`): the built-in
/// stages unless configured; `None` accepts any non-empty stage name.
static STAGES: std::sync::OnceLock<Option<Pipeline>> = std::sync::OnceLock::new();

/// Sets the stages the server accepts, once, before serving (`None`: any name).
pub fn set_stages(stages: Option<Vec<String>>) {
    let _ = STAGES.set(stages.map(|names| {
        Pipeline {
            stages: names
                .into_iter()
                .map(|name| Stage {
                    name,
                    probability: 0,
                    state: StageState::Open,
                })
                .collect(),
        }
    }));
}

/// What [`plan`] checks a push against besides the records: the server's clock and
/// tolerated skew, the record schema the pushing client speaks, and the server's users.
#[derive(Clone, Debug)]
pub struct Policy {
    /// The server's clock, milliseconds since the epoch.
    pub now_ms: u64,
    /// How far ahead of `now_ms` a change's clock may be.
    pub max_skew_ms: u64,
    /// The client's record schema (`model::entity::SCHEMA` when the push does not say).
    pub schema: u32,
    /// The logins of the server's users: an `owner` a change sets must be one of them,
    /// exactly. `None` checks nothing (the server's own directory changes).
    pub logins: Option<std::sync::Arc<BTreeSet<String>>>,
}

impl Policy {
    /// The policy for `req`, now, checking owners against `users` when given.
    #[must_use]
    pub fn of(req: &PushRequest, users: Option<&[super::backend::UserInfo]>) -> Self {
        Self {
            now_ms: u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0),
            max_skew_ms: max_clock_skew(),
            schema: req.schema.unwrap_or(SCHEMA),
            logins: users.map(|u| std::sync::Arc::new(u.iter().map(|u| u.login.clone()).collect())),
        }
    }
}

/// An `owner` that `change` sets (a create's, or a set of the field) and that is no
/// server user's login, exactly: the refusal reason, naming the field. Logins are
/// lowercase and ownership compares them exactly, so `ANNA` is not `anna`; the laptop
/// turns an owner typed any way into the login before it writes, and this refuses
/// what a laptop (or anything else) sends otherwise. An empty owner is "unowned".
fn unknown_owner(change: &Change, policy: &Policy) -> Option<String> {
    let logins = policy.logins.as_ref()?;
    if change.entity == EntityKind::User {
        return None;
    }
    let owner = match &change.op {
        ChangeOp::Create { fields } => fields.get("owner")?,
        ChangeOp::Set { field, value, .. } if field == "owner" => value,
        _ => return None,
    };
    let text = owner.as_str()?;
    if text.is_empty() || logins.contains(text) {
        return None;
    }
    let printable: String = text.chars().filter(|c| !c.is_control()).take(80).collect();
    let hint = logins
        .iter()
        .find(|l| l.eq_ignore_ascii_case(text.trim()))
        .map(|l| format!(" (logins are lowercase and compared exactly: did you mean '{l}'?)"))
        .unwrap_or_default();
    Some(format!(
        "owner: '{printable}' is not a user of this server{hint}; set the owner to a user's login \
         (`outpost server user list`) or leave it empty"
    ))
}

/// What the model's checks said of a record as the server would hold it after a change.
#[derive(Debug, PartialEq)]
enum ModelCheck {
    /// Only creates and sets are checked.
    NotRun,
    /// The checks passed.
    Passed,
    /// The checks refused the record: the reason, naming the field.
    Refused(String),
}

/// What the model's checks read besides the record, built once per push: the server's
/// clock, and the stages an opportunity is checked against (`outpost serve --stages`,
/// the built-in ones by default; `any` accepts any non-empty name).
struct Contexts {
    /// For any record the server's configured stages do not concern.
    plain: Context,
    /// For opportunities, when the server configures its stages.
    stages: Option<Context>,
}

impl Contexts {
    fn new(policy: &Policy) -> Self {
        let plain = Context {
            now: chrono::DateTime::from_timestamp_millis(i64::try_from(policy.now_ms).unwrap_or(0)).unwrap_or_default(),
            ..Context::default()
        };
        let stages = match STAGES.get() {
            Some(Some(p)) => Some(Context {
                pipeline: p.clone(),
                ..plain.clone()
            }),
            _ => None,
        };
        Self { plain, stages }
    }

    /// The context to check `state`, a record of `kind`, in.
    fn of(&self, kind: EntityKind, state: &Stored) -> Cow<'_, Context> {
        if kind != EntityKind::Opportunity {
            return Cow::Borrowed(&self.plain);
        }
        if let Some(ctx) = &self.stages {
            return Cow::Borrowed(ctx);
        }
        if !matches!(STAGES.get(), Some(None)) {
            return Cow::Borrowed(&self.plain);
        }
        // Any non-empty name: a pipeline of that one stage.
        let stage = state.fields.get("stage").and_then(|v| v.as_str()).map(str::trim);
        match stage.filter(|s| !s.is_empty()) {
            Some(name) => Cow::Owned(Context {
                pipeline: Pipeline {
                    stages: vec![Stage {
                        name: name.to_string(),
                        probability: 0,
                        state: StageState::Open,
                    }],
                },
                ..self.plain.clone()
            }),
            None => Cow::Borrowed(&self.plain),
        }
    }
}

/// The model's checks of a record as the server would hold it after `change`: the same
/// `EntityKind::check` the laptop runs before it writes, in the context
/// [`Contexts::of`] gives.
fn invalid(change: &Change, state: &Stored, old: Option<&Stored>, contexts: &Contexts, schema: u32) -> ModelCheck {
    if !matches!(change.op, ChangeOp::Create { .. } | ChangeOp::Set { .. }) {
        return ModelCheck::NotRun;
    }
    let ctx = contexts.of(change.entity, state);
    let old = old.filter(|s| merge::exists(s)).map(|s| &s.fields);
    match change.entity.check_pushed(&state.fields, old, &ctx, schema) {
        Ok(_) => ModelCheck::Passed,
        Err(e) => ModelCheck::Refused(format!("{}: {}", e.field, e.message)),
    }
}

/// The model's verdict on the record `state` that `change` makes: a value of the wrong
/// type for its kind fails the whole push; a record the model's checks refuse is
/// refused alone (`Some(reason)`).
fn verdict(
    change: &Change,
    state: &Stored,
    old: Option<&Stored>,
    contexts: &Contexts,
    schema: u32,
) -> Result<Option<String>, ApiError> {
    let check = invalid(change, state, old, contexts, schema);
    // Checks that passed with this server's schema read every field of `state` as its
    // kind, which is all `describe` asks: no need to read them again.
    let typed = check == ModelCheck::Passed && schema <= SCHEMA;
    if !typed && change.entity.describe(&state.fields).is_none() {
        return Err(ApiError::invalid(format!(
            "change {} ({} {}): a value has the wrong type for a {}; nothing was written",
            change.seq, change.entity, change.id, change.entity
        )));
    }
    Ok(match check {
        ModelCheck::Refused(reason) => Some(reason),
        ModelCheck::NotRun | ModelCheck::Passed => None,
    })
}

/// Plans `changes` against `records` (the server's state of the records they touch and
/// of the records their links name, updated in place): [`plan_batch`] with every record
/// loaded in full.
pub fn plan(
    who: &Principal,
    changes: &[Change],
    records: &mut BTreeMap<Key, Stored>,
    policy: &Policy,
) -> Result<(Vec<Draft>, BTreeSet<Key>), ApiError> {
    plan_batch(who, &Batch::new(changes), records, &BTreeSet::new(), policy)
}

/// Plans the changes of `batch` against `records` (the server's state of the records
/// they touch, and of the quotes of the lines they touch, updated in place) and
/// `linked` (the other records their links name that the server holds). Returns one
/// draft per change, and the keys of the records that changed. Fails, for the whole
/// push, on a change whose values do not fit its entity (types that do not parse, a
/// field name starting with `_`). A change the model's checks refuse, or whose clock is
/// out of bounds, is refused alone, with the reason.
pub fn plan_batch(
    who: &Principal,
    batch: &Batch<'_>,
    records: &mut BTreeMap<Key, Stored>,
    linked: &BTreeSet<Key>,
    policy: &Policy,
) -> Result<(Vec<Draft>, BTreeSet<Key>), ApiError> {
    let mut drafts = Vec::with_capacity(batch.changes.len());
    let mut dirty = BTreeSet::new();
    let contexts = Contexts::new(policy);
    for (change, created) in batch.changes.iter().zip(&batch.created) {
        if let Some(field) = reserved_field(&change.op) {
            return Err(ApiError::invalid(format!(
                "change {}: '{field}' is not a field name (names starting with '_' are the sync's own)",
                change.seq
            )));
        }
        let key = (change.entity, change.id);
        let current = records.get(&key);
        let clock = change.hlc.check_bounds(policy.now_ms, policy.max_skew_ms);
        if let Err(reason) = clock
            .and_then(|()| permitted(who, current, change))
            .and_then(|()| unknown_owner(change, policy).map_or(Ok(()), Err))
            .and_then(|()| {
                missing_link(change, created.as_deref(), current, |k| holds(k, records, linked)).map_or(Ok(()), Err)
            })
            .and_then(|()| frozen_quote(change, current, records).map_or(Ok(()), Err))
            .and_then(|()| forged_history(who, change, current, policy).map_or(Ok(()), Err))
        {
            drafts.push(refused(change, reason, current));
            continue;
        }
        let merged = merge::apply(current, change.hlc, &change.op);
        if merged.changed {
            if let Some(reason) = verdict(change, &merged.state, current, &contexts, policy.schema)? {
                drafts.push(refused(change, reason, current));
                continue;
            }
            records.insert(key, merged.state);
            dirty.insert(key);
        }
        drafts.push(Draft {
            change: change.clone(),
            conflicts: merged.conflicts,
            refused: None,
        });
    }
    Ok((drafts, dirty))
}

/// A stage-history entry a change adds that says another user moved the deal, from a
/// rep: a rep records only their own moves (a manager may record anyone's). `by` names
/// another user when it is another login of this server, in any case. Entries the
/// server holds already are not looked at again. An entry's stage and time are not
/// checked: stages are renamed, and a laptop whose clock ran ahead wrote its moves with
/// that time; refusing either would hold a deal for good (its history only grows).
fn forged_history(who: &Principal, change: &Change, current: Option<&Stored>, policy: &Policy) -> Option<String> {
    use crate::model::records::StageHistory;
    const FIELD: &str = "stage_history";
    if change.entity != EntityKind::Opportunity || who.may_change_anything() {
        return None;
    }
    let logins = policy.logins.as_ref()?;
    let value = match &change.op {
        ChangeOp::Create { fields } => fields.get(FIELD)?,
        ChangeOp::Set { field, value, .. } if field == FIELD => value,
        _ => return None,
    };
    let held = current
        .and_then(|c| c.fields.get(FIELD))
        .map(StageHistory::from_value)
        .unwrap_or_default();
    StageHistory::from_value(value)
        .0
        .into_iter()
        .filter(|(id, _)| !held.0.contains_key(id))
        .find_map(|(_, entry)| {
            let by = entry.by?;
            let login = by.trim().to_lowercase();
            (!who.is(&by) && login != who.user && logins.contains(&login)).then(|| {
                format!(
                    "its stage history says '{by}' moved the deal, but the change is '{}''s; a rep records only their own moves",
                    who.user
                )
            })
        })
}

/// A field name a change may not carry, set or created: empty, or starting with `_`
/// (`_created` and `_deleted` are the clocks of a record's life, not fields). Such a
/// push is malformed, and refused whole.
fn reserved_field(op: &ChangeOp) -> Option<&str> {
    let reserved = |name: &str| name.is_empty() || name.starts_with('_');
    match op {
        ChangeOp::Set { field, .. } => Some(field.as_str()).filter(|f| reserved(f)),
        ChangeOp::Create { fields } => fields.keys().map(String::as_str).find(|f| reserved(f)),
        _ => None,
    }
}

/// The draft of a refused change, with the server's record as it is.
fn refused(change: &Change, reason: String, current: Option<&Stored>) -> Draft {
    Draft {
        change: change.clone(),
        conflicts: Vec::new(),
        refused: Some(Refusal {
            reason,
            current: current.cloned(),
        }),
    }
}

fn owner_of(fields: &crate::model::Fields) -> Option<&str> {
    fields
        .get("owner")
        .and_then(|v| v.as_str())
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Whether `who` may make `change` to a record in state `current`: managers and admins
/// may change anything; a rep what they own or what has no owner. Anything but a create
/// needs the record to exist on the server.
fn permitted(who: &Principal, current: Option<&Stored>, change: &Change) -> Result<(), String> {
    // The client shows the reason beside the record, so it names the kind, not the id.
    let what = format!("this {}", change.entity);
    if who.user != super::directory::ACTOR && super::directory::is_managed(current, change) {
        return Err(format!(
            "{what} is a user of the sync server; their login, name, e-mail and role change only on the \
             server (`outpost server user ...`)"
        ));
    }
    if !who.may_change_anything() && crate::protocol::frozen::approves(change.entity, &change.op) {
        return Err(format!(
            "approving {what}'s discount is for managers and admins, and '{}' is a rep; `outpost quote submit` asks one",
            who.user
        ));
    }
    if change.entity == EntityKind::User && !who.may_change_anything() {
        return users_a_rep_may_change(who, current, change);
    }
    let current = current.filter(|s| merge::exists(s));
    let Some(current) = current else {
        return match &change.op {
            ChangeOp::Create { fields } => match owner_of(fields) {
                Some(o) if !who.may_change_anything() && !who.is(o) => Err(format!(
                    "{what} is owned by '{o}', not by you ('{}'): a rep creates only records they own or unowned \
                     ones; set the owner to yourself or leave it empty, or ask a manager to create it",
                    who.user
                )),
                _ => Ok(()),
            },
            _ => Err(format!("{what} is not on the server (its creation never reached it)")),
        };
    };
    if who.may_change_anything() {
        return Ok(());
    }
    match owner_of(&current.fields) {
        Some(o) if !who.is(o) => Err(format!(
            "{what} is owned by '{o}'; a rep may change only their own or unowned records (ask a manager)"
        )),
        _ => Ok(()),
    }
}

/// Users are the team's directory: a rep may only set their own quota (and its
/// currency); creating, deleting or renaming users is for managers, admins and the
/// server's own `outpost server user ...`.
fn users_a_rep_may_change(who: &Principal, current: Option<&Stored>, change: &Change) -> Result<(), String> {
    let own = current
        .filter(|s| merge::exists(s))
        .and_then(|s| s.fields.get("login"))
        .and_then(serde_json::Value::as_str)
        .is_some_and(|l| l == who.user);
    match &change.op {
        ChangeOp::Set { field, .. } if own && matches!(field.as_str(), "quota" | "currency") => Ok(()),
        ChangeOp::Set { .. } if own => Err(
            "a rep may change only the quota of their own user; name, e-mail and role change on the server \
             (`outpost server user ...`)"
                .to_string(),
        ),
        _ => Err(
            "users are the team's directory: only managers and admins add or change them (or the server's \
             `outpost server user add`); a rep may set their own quota"
                .to_string(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::records::Role;
    use crate::model::{Hlc, ReplicaId};

    fn policy() -> Policy {
        Policy {
            now_ms: 1_700_000_000_000,
            max_skew_ms: Hlc::DEFAULT_MAX_SKEW_MS,
            schema: SCHEMA,
            logins: None,
        }
    }

    fn create(seq: u64, wall: u64, id: Id, fields: serde_json::Value) -> Change {
        let serde_json::Value::Object(fields) = fields else {
            panic!("fields")
        };
        Change {
            replica: ReplicaId(7),
            seq,
            hlc: Hlc {
                wall,
                counter: 0,
                replica: ReplicaId(7),
            },
            entity: EntityKind::Account,
            id,
            op: ChangeOp::Create { fields },
        }
    }

    /// A push is malformed, and refused whole with a message that names what is wrong,
    /// when it carries another replica's change, a change stamped with another
    /// replica's clock, or a field name the sync keeps for itself.
    #[test]
    fn a_malformed_push_is_refused_whole_and_says_why() {
        let rep = Principal {
            user: "sara".into(),
            role: Role::Rep,
            name: None,
            email: None,
        };
        let message = |e: ApiError| format!("{e:?}");
        let mut foreign = create(1, 1000, Id::new(), json!({"name": "A"}));
        foreign.replica = ReplicaId(8);
        let e = new_changes(&rep, None, 0, &PushRequest::new(ReplicaId(7), vec![foreign])).expect_err("foreign");
        assert!(message(e).contains("is in a push of replica"));
        let mut stamped = create(1, 1000, Id::new(), json!({"name": "A"}));
        stamped.hlc.replica = ReplicaId(9);
        let e = new_changes(&rep, None, 0, &PushRequest::new(ReplicaId(7), vec![stamped])).expect_err("clock");
        assert!(message(e).contains("carries a clock of another replica"));
        let ghost = create(
            1,
            1000,
            Id::new(),
            json!({"name": "A", "owner": "sara", "_deleted": true}),
        );
        let e = plan(&rep, &[ghost], &mut BTreeMap::new(), &policy()).expect_err("reserved");
        assert!(message(e).contains("'_deleted' is not a field name"));
    }

    #[test]
    fn a_create_of_a_record_the_server_holds_merges_field_by_field() {
        let rep = Principal {
            user: "sara".into(),
            role: Role::Rep,
            name: None,
            email: None,
        };
        let id = Id::new();
        let mut records = BTreeMap::new();
        let first = create(1, 1000, id, json!({"name": "Nordic", "city": "Umeå", "owner": "sara"}));
        let again = create(2, 2000, id, json!({"name": "Nordic AB", "owner": "sara"}));
        let (drafts, dirty) = plan(&rep, &[first, again], &mut records, &policy()).expect("plan");
        assert!(drafts.iter().all(|d| d.refused.is_none()), "{drafts:?}");
        assert_eq!(dirty.len(), 1, "one record, not two");
        let s = &records[&(EntityKind::Account, id)];
        assert_eq!(s.fields["name"], "Nordic AB", "the newer value wins");
        assert_eq!(s.fields["city"], "Umeå", "a field the retry does not carry stays");
        assert_eq!(
            s.clocks[crate::protocol::CREATED].wall,
            1000,
            "created keeps the first clock"
        );
    }

    #[test]
    fn a_rep_may_create_only_own_or_unowned_records_and_the_refusal_says_the_server_has_none() {
        let rep = Principal {
            user: "sara".into(),
            role: Role::Rep,
            name: None,
            email: None,
        };
        let mut records = BTreeMap::new();
        let theirs = create(1, 1000, Id::new(), json!({"name": "A", "owner": "bob"}));
        let (drafts, dirty) = plan(&rep, &[theirs], &mut records, &policy()).expect("plan");
        let refusal = drafts[0].refused.as_ref().expect("refused");
        assert!(refusal.reason.contains("own"), "{}", refusal.reason);
        assert!(refusal.current.is_none(), "the server holds nothing");
        assert!(dirty.is_empty());
        let boss = Principal {
            user: "boss".into(),
            role: Role::Manager,
            name: None,
            email: None,
        };
        let assigned = create(1, 1000, Id::new(), json!({"name": "B", "owner": "bob"}));
        let (drafts, _) = plan(&boss, &[assigned], &mut records, &policy()).expect("plan");
        assert!(drafts[0].refused.is_none(), "a manager may assign");
    }

    #[test]
    fn a_child_whose_parent_the_server_does_not_hold_is_refused_unless_the_push_creates_it() {
        let rep = Principal {
            user: "sara".into(),
            role: Role::Rep,
            name: None,
            email: None,
        };
        let (parent, child) = (Id::new(), Id::new());
        let contact = |seq: u64| {
            let mut c = create(
                seq,
                2000,
                child,
                json!({"first_name": "A", "last_name": "B", "account_id": parent.to_string(), "owner": "sara"}),
            );
            c.entity = EntityKind::Contact;
            c
        };
        let mut records = BTreeMap::new();
        let mut load: BTreeMap<Key, Stored> = BTreeMap::new();
        assert!(
            Batch::new(&[contact(1)])
                .link_keys(&BTreeMap::new())
                .contains(&(EntityKind::Account, parent)),
            "loads the parent"
        );
        let (drafts, dirty) = plan(&rep, &[contact(1)], &mut load, &policy()).expect("plan");
        let refusal = drafts[0].refused.as_ref().expect("refused");
        assert!(
            refusal.reason.contains("its account is not on the server"),
            "{}",
            refusal.reason
        );
        assert!(refusal.current.is_none() && dirty.is_empty());

        let account = create(1, 1000, parent, json!({"name": "Held Co", "owner": "sara"}));
        let (drafts, dirty) = plan(&rep, &[account, contact(2)], &mut records, &policy()).expect("plan");
        assert!(drafts.iter().all(|d| d.refused.is_none()), "{drafts:?}");
        assert_eq!(dirty.len(), 2, "the parent created first in the same push counts");
    }

    #[test]
    fn a_linked_record_the_server_holds_counts_unread_and_one_it_does_not_is_refused() {
        let (parent, other, child) = (Id::new(), Id::new(), Id::new());
        let mut contact = create(
            1,
            1000,
            child,
            json!({"first_name": "A", "last_name": "B", "account_id": parent.to_string(), "owner": "sara"}),
        );
        contact.entity = EntityKind::Contact;
        let changes = [contact];
        let batch = Batch::new(&changes);
        assert_eq!(batch.keys(), BTreeSet::from([(EntityKind::Contact, child)]));
        assert_eq!(
            batch.link_keys(&BTreeMap::new()),
            BTreeSet::from([(EntityKind::Account, parent)]),
            "the parent is asked for, not the child"
        );
        let account = create(1, 500, parent, json!({"name": "Held Co", "owner": "sara"}));
        let both = [account, changes[0].clone()];
        assert!(
            Batch::new(&both).link_keys(&BTreeMap::new()).is_empty(),
            "a parent the push itself touches is not asked for"
        );
        let held = BTreeSet::from([(EntityKind::Account, parent)]);
        let (drafts, dirty) =
            plan_batch(&sara(), &batch, &mut BTreeMap::new(), &BTreeSet::new(), &policy()).expect("plan");
        assert!(drafts[0].refused.is_some() && dirty.is_empty(), "{drafts:?}");
        let mut records = BTreeMap::new();
        let (drafts, dirty) = plan_batch(&sara(), &batch, &mut records, &held, &policy()).expect("plan");
        assert!(drafts[0].refused.is_none() && dirty.len() == 1, "{drafts:?}");

        // A set of a link field asks for every kind of the id it names.
        let set = Change {
            seq: 2,
            hlc: Hlc {
                wall: 2000,
                counter: 0,
                replica: ReplicaId(7),
            },
            op: ChangeOp::Set {
                field: "account_id".into(),
                value: json!(other.to_string()),
                base: None,
            },
            ..changes[0].clone()
        };
        let sets = [set];
        let batch = Batch::new(&sets);
        let asked = batch.link_keys(&records);
        assert_eq!(asked.len(), EntityKind::ALL.len());
        assert!(asked.contains(&(EntityKind::Account, other)));
        let (drafts, _) = plan_batch(&sara(), &batch, &mut records.clone(), &held, &policy()).expect("plan");
        let why = &drafts[0].refused.as_ref().expect("refused").reason;
        assert!(why.contains("its account is not on the server"), "{why}");
        let held = BTreeSet::from([(EntityKind::Account, other)]);
        let (drafts, dirty) = plan_batch(&sara(), &batch, &mut records, &held, &policy()).expect("plan");
        assert!(drafts[0].refused.is_none() && dirty.len() == 1, "{drafts:?}");
    }

    #[test]
    fn a_value_of_the_wrong_type_fails_the_whole_push_for_any_client_schema() {
        let newer = Policy {
            schema: SCHEMA + 1,
            ..policy()
        };
        for p in [policy(), newer] {
            let bad = create(1, 1000, Id::new(), json!({"name": 5, "owner": "sara"}));
            let err = plan(&sara(), &[bad], &mut BTreeMap::new(), &p).expect_err("fails");
            assert!(format!("{err:?}").contains("wrong type"), "{err:?}");
        }
        // A delete is not checked by the model, but the record it leaves must still read as its kind.
        let id = Id::new();
        let mut records = BTreeMap::from([((EntityKind::Account, id), held_by_server(json!({"name": 5})))]);
        let mut delete = create(1, 1000, id, json!({}));
        delete.op = ChangeOp::Delete {
            base: None,
            seen: BTreeMap::new(),
        };
        let boss = Principal {
            user: "boss".into(),
            role: Role::Manager,
            name: None,
            email: None,
        };
        let err = plan(&boss, &[delete], &mut records, &policy()).expect_err("fails");
        assert!(format!("{err:?}").contains("wrong type"), "{err:?}");
    }

    /// A record as the server holds it, created at wall 500 by another replica.
    fn held_by_server(fields: serde_json::Value) -> Stored {
        let serde_json::Value::Object(fields) = fields else {
            panic!("fields")
        };
        let mut s = Stored::default();
        let at = Hlc {
            wall: 500,
            counter: 0,
            replica: ReplicaId(9),
        };
        for k in fields.keys() {
            s.clocks.insert(k.clone(), at);
        }
        s.clocks.insert(crate::protocol::CREATED.into(), at);
        s.fields = fields;
        s
    }

    #[test]
    fn a_change_to_a_line_of_a_quote_sent_meanwhile_is_refused_and_the_quote_is_loaded_for_it() {
        let boss = Principal {
            user: "boss".into(),
            role: Role::Manager,
            name: None,
            email: None,
        };
        let (quote, line) = (Id::new(), Id::new());
        let line_state = held_by_server(json!({
            "quote_id": quote.to_string(), "description": "Gateway", "quantity": "2",
            "unit_price": "100", "discount_pct": "0", "tax_pct": "23", "position": 1
        }));
        let change = |seq: u64, op: ChangeOp| Change {
            replica: ReplicaId(7),
            seq,
            hlc: Hlc {
                wall: 1000 + seq,
                counter: 0,
                replica: ReplicaId(7),
            },
            entity: EntityKind::QuoteLine,
            id: line,
            op,
        };
        let qty = change(
            1,
            ChangeOp::Set {
                field: "quantity".into(),
                value: json!("5"),
                base: None,
            },
        );
        let removal = change(
            2,
            ChangeOp::Delete {
                base: None,
                seen: BTreeMap::new(),
            },
        );
        // The backend loads the line first, then the quote it is on.
        let mut records = BTreeMap::from([((EntityKind::QuoteLine, line), line_state.clone())]);
        let wanted = line_quote_keys(std::slice::from_ref(&qty), &records);
        assert_eq!(wanted, BTreeSet::from([(EntityKind::Quote, quote)]));
        for (status, refused) in [("sent", true), ("accepted", true), ("draft", false)] {
            let mut records = records.clone();
            records.insert(
                (EntityKind::Quote, quote),
                held_by_server(json!({"number": "Q-1", "status": status, "currency": "EUR"})),
            );
            assert!(line_quote_keys(std::slice::from_ref(&qty), &records).is_empty());
            let (drafts, dirty) = plan(&boss, &[qty.clone(), removal.clone()], &mut records, &policy()).expect("plan");
            assert_eq!(
                drafts.iter().all(|d| d.refused.is_some()),
                refused,
                "{status}: {drafts:?}"
            );
            if refused {
                let why = &drafts[0].refused.as_ref().expect("refused").reason;
                assert!(why.contains("line's quantity") && why.contains(status), "{why}");
                assert!(dirty.is_empty());
                assert_eq!(
                    records[&(EntityKind::QuoteLine, line)],
                    line_state,
                    "the line is as sent"
                );
            }
        }
        records.clear();
        assert!(
            line_quote_keys(&[qty], &records).is_empty(),
            "no line loaded, no quote to load"
        );
    }

    fn sara() -> Principal {
        Principal {
            user: "sara".into(),
            role: Role::Rep,
            name: None,
            email: None,
        }
    }

    #[test]
    fn an_owner_must_be_a_login_of_the_server_exactly() {
        let with_users = Policy {
            logins: Some(std::sync::Arc::new(
                ["sara".to_string(), "bob".to_string()].into_iter().collect(),
            )),
            ..policy()
        };
        let boss = Principal {
            user: "boss".into(),
            role: Role::Manager,
            name: None,
            email: None,
        };
        let mut records = BTreeMap::new();
        let changes: Vec<Change> = ["bob", "", "ghost", "SARA", "sara "]
            .iter()
            .enumerate()
            .map(|(n, o)| {
                create(
                    n as u64 + 1,
                    1000,
                    Id::new(),
                    json!({"name": format!("A{n}"), "owner": o}),
                )
            })
            .collect();
        let (drafts, dirty) = plan(&boss, &changes, &mut records, &with_users).expect("plan");
        let refused: Vec<Option<&str>> = drafts
            .iter()
            .map(|d| d.refused.as_ref().map(|r| r.reason.as_str()))
            .collect();
        assert!(refused[0].is_none() && refused[1].is_none(), "{refused:?}");
        assert!(
            refused[2].is_some_and(|r| r.starts_with("owner: 'ghost' is not a user")),
            "{refused:?}"
        );
        assert!(
            refused[3].is_some_and(|r| r.contains("did you mean 'sara'")),
            "{refused:?}"
        );
        assert!(refused[4].is_some_and(|r| r.starts_with("owner: ")), "{refused:?}");
        assert_eq!(dirty.len(), 2);
        // A set of the owner is checked the same way; other fields are not.
        let id = *dirty.iter().next().map(|(_, id)| id).expect("id");
        let set = |seq: u64, field: &str, value: &str| Change {
            op: ChangeOp::Set {
                field: field.into(),
                value: json!(value),
                base: None,
            },
            ..create(seq, 2000, id, json!({}))
        };
        let (drafts, _) = plan(
            &boss,
            &[set(6, "owner", "Bob"), set(7, "city", "Oslo")],
            &mut records,
            &with_users,
        )
        .expect("plan");
        assert!(drafts[0].refused.is_some() && drafts[1].refused.is_none(), "{drafts:?}");
    }

    #[test]
    fn a_newer_clients_unknown_field_is_kept_and_an_older_or_equal_ones_refused() {
        let fields = json!({"name": "Nordic", "owner": "sara", "shoe_size": 44});
        let mut records = BTreeMap::new();
        let same = create(1, 1000, Id::new(), fields.clone());
        let (drafts, dirty) = plan(&sara(), &[same], &mut records, &policy()).expect("plan");
        let why = &drafts[0].refused.as_ref().expect("refused").reason;
        assert!(why.contains("shoe_size"), "{why}");
        assert!(dirty.is_empty());
        let newer = Policy {
            schema: SCHEMA + 1,
            ..policy()
        };
        let id = Id::new();
        let (drafts, dirty) = plan(&sara(), &[create(1, 1000, id, fields)], &mut records, &newer).expect("plan");
        assert!(drafts[0].refused.is_none(), "{drafts:?}");
        assert_eq!(dirty.len(), 1);
        assert_eq!(records[&(EntityKind::Account, id)].fields["shoe_size"], 44, "kept");
        // Known fields are still checked for a newer client.
        let bad = create(2, 1000, Id::new(), json!({"name": "", "shoe_size": 1}));
        let (drafts, _) = plan(&sara(), &[bad], &mut records, &newer).expect("plan");
        assert!(
            drafts[0]
                .refused
                .as_ref()
                .is_some_and(|r| r.reason.starts_with("name:"))
        );
    }

    #[test]
    fn an_invalid_set_on_a_held_record_is_refused_with_the_servers_record_and_clocks_are_bounded() {
        let id = Id::new();
        let mut records = BTreeMap::new();
        let first = create(1, 1000, id, json!({"name": "Nordic", "owner": "sara"}));
        plan(&sara(), &[first], &mut records, &policy()).expect("plan");
        let mut set = create(2, 2000, id, json!({}));
        set.op = ChangeOp::Set {
            field: "email".into(),
            value: json!("not an email"),
            base: None,
        };
        let (drafts, dirty) = plan(&sara(), &[set], &mut records, &policy()).expect("plan");
        let r = drafts[0].refused.as_ref().expect("refused");
        assert!(r.reason.starts_with("email:"), "{}", r.reason);
        assert_eq!(
            r.current.as_ref().map(|s| s.fields["name"].clone()),
            Some(json!("Nordic"))
        );
        assert!(dirty.is_empty() && records[&(EntityKind::Account, id)].fields.get("email").is_none());
        let p = policy();
        let ahead = create(
            3,
            p.now_ms + p.max_skew_ms + 1,
            Id::new(),
            json!({"name": "Soon", "owner": "sara"}),
        );
        let within = create(
            4,
            p.now_ms + p.max_skew_ms,
            Id::new(),
            json!({"name": "Fine", "owner": "sara"}),
        );
        let (drafts, _) = plan(&sara(), &[ahead, within], &mut records, &p).expect("plan");
        assert!(drafts[0].refused.as_ref().is_some_and(|r| r.reason.contains("ahead")));
        assert!(drafts[1].refused.is_none());
    }
}
