//! Adopting offline work: a rep who works before logging in writes records with no owner
//! or with their own name ("Sara Lindqvist", as `owner` in config.toml). Before the first
//! push, those become owned by the login the server knows them by, through the normal
//! write path (so each change is recorded in the outbox and synced). A store holding
//! `outpost demo` data is not pushed unless the user says so.

use serde_json::{Value, json};

use super::error::SyncError;
use crate::model::entity::Index;
use crate::model::records::names_person;
use crate::model::{EntityKind, Fields, Id};
use crate::protocol::wire::WhoAmI;
use crate::store::meta::{K_ADOPTED, K_DEMO};
use crate::store::{Folded, Mutation, Store, Stored};

/// The kinds of record that have an owner.
pub const OWNED_KINDS: [EntityKind; 5] = [
    EntityKind::Account,
    EntityKind::Contact,
    EntityKind::Lead,
    EntityKind::Opportunity,
    EntityKind::Activity,
];

/// Mutations per commit while adopting.
const BATCH: usize = 2000;

/// The user the store is adopted by, as the server describes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    /// Login.
    pub login: String,
    /// Display name.
    pub name: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
}

impl From<&WhoAmI> for Person {
    fn from(w: &WhoAmI) -> Self {
        Self {
            login: w.user.clone(),
            name: w.name.clone(),
            email: w.email.clone(),
        }
    }
}

impl Person {
    /// Whether a record with this owner value is theirs to adopt: no owner, or one that
    /// names them (login, display name or e-mail, ignoring case) but is not the login.
    #[must_use]
    pub fn adopts(&self, owner: Option<&str>) -> bool {
        match owner.map(str::trim) {
            None | Some("") => true,
            Some(o) => o != self.login && names_person(o, &self.login, self.name.as_deref(), self.email.as_deref()),
        }
    }
}

/// Whether the store has never synced and its offline work is not adopted yet.
pub fn pending(store: &Store) -> Result<bool, SyncError> {
    let state = store.sync_state()?;
    Ok(state.server_id.is_none() && store.meta(K_ADOPTED)?.is_none())
}

/// The message when a store holding demo data is about to be pushed.
#[must_use]
pub fn demo_message(store: &Store) -> String {
    format!(
        "the data dir {} holds `outpost demo` sample data; syncing would send it to the team's server. \
         Start a fresh data dir for real work (`outpost --data-dir NEW sync login ...`), \
         or pass `--keep-demo` to `outpost sync login` to push the demo data anyway (to try outpost with a team)",
        store.path().display()
    )
}

/// Whether the store holds demo data that may not be pushed (not kept with --keep-demo).
pub fn holds_unkept_demo(store: &Store) -> Result<bool, SyncError> {
    Ok(store.meta(K_DEMO)?.as_deref() == Some("1") && store.sync_state()?.server_id.is_none())
}

/// Allows pushing the demo data of this store.
pub fn keep_demo(store: &Store) -> Result<(), SyncError> {
    if store.meta(K_DEMO)?.is_some() {
        store.commit_with_meta(&[], &[(K_DEMO, Some("kept"))])?;
    }
    Ok(())
}

/// Makes `who` the owner of every live record with no owner or an owner naming them,
/// through [`Store::commit`], and records that the store was adopted. Returns how many
/// records changed owner. Does nothing (0) once the store was adopted or has synced.
pub fn adopt(store: &Store, who: &Person) -> Result<usize, SyncError> {
    if !pending(store)? {
        return Ok(0);
    }
    // Records whose create was never sent take the owner inside that create.
    let login = json!(who.login);
    // Only records whose create left them to be adopted are read.
    let may_take = |_: EntityKind, owner: Option<&Value>| who.adopts(owner.and_then(Value::as_str));
    let folded = store.fold_into_creates_where(&OWNED_KINDS, "owner", &may_take, &|kind, stored| {
        let owner = stored.fields.get("owner").and_then(Value::as_str);
        (who.adopts(owner) && fits(store, kind, &stored.fields, &who.login)).then(|| login.clone())
    })?;
    let mut muts = Vec::new();
    for kind in OWNED_KINDS {
        // Only the owner is read of each record; a record to adopt is then read whole.
        for item in store.live_picked(kind, &["owner"]) {
            let (id, picked) = item?;
            if !who.adopts(picked.get("owner").and_then(Value::as_str)) {
                continue;
            }
            let Some(stored) = store.get(kind, id)? else {
                continue;
            };
            let owner = stored.fields.get("owner").and_then(Value::as_str);
            if !stored.deleted && who.adopts(owner) && fits(store, kind, &stored.fields, &who.login) {
                let mut f = Fields::new();
                f.insert("owner".into(), json!(who.login));
                muts.push(Mutation::update(kind, id, f));
            }
        }
    }
    let total = folded + muts.len();
    let mut chunks = muts.chunks(BATCH).peekable();
    if chunks.peek().is_none() {
        store.commit_with_meta(&[], &[(K_ADOPTED, Some(&who.login))])?;
    }
    while let Some(chunk) = chunks.next() {
        let meta: &[(&str, Option<&str>)] = if chunks.peek().is_none() {
            &[(K_ADOPTED, Some(&who.login))]
        } else {
            &[]
        };
        store.commit_with_meta(chunk, meta)?;
    }
    Ok(total)
}

/// Whether the record, owned by `login`, passes the model's checks: a record written
/// before a check existed (a field over today's size limit) keeps its owner rather than
/// failing the whole adoption; it is held when it is sent.
fn fits(store: &Store, kind: EntityKind, fields: &Fields, login: &str) -> bool {
    let mut f = fields.clone();
    f.insert("owner".into(), json!(login));
    kind.validate(&f, Some(fields), store.context()).is_ok()
}

/// Meta key: set once owners were checked against the server's users (then again only
/// when a pull brings changed users; owners typed later are resolved as they are typed).
const K_OWNERS_CHECKED: &str = "owners_checked";

/// Whether owners were checked against the server's users at least once.
pub fn owners_checked(store: &Store) -> Result<bool, SyncError> {
    Ok(store.meta(K_OWNERS_CHECKED)?.is_some())
}

/// The server's users as this replica knows them (the User records with a login).
fn known_users(store: &Store) -> Result<Vec<Person>, SyncError> {
    let mut users = Vec::new();
    for item in store.live(EntityKind::User) {
        let (_, s) = item?;
        let login = s.text("login").trim();
        if !login.is_empty() {
            users.push(Person {
                login: login.to_string(),
                name: Some(s.text("name").trim().to_string()).filter(|n| !n.is_empty()),
                email: s.fields.get("email").and_then(Value::as_str).map(str::to_string),
            });
        }
    }
    Ok(users)
}

/// Once the replica knows the server's users, an owner this laptop wrote as a display
/// name or e-mail (before the user list was known: a manager assigning "Sara Lindqvist"
/// offline) becomes that user's login, through the write path, so lists, filters and
/// the server all see one value. Only owners written on this replica are touched (never
/// a value another laptop wrote); an owner naming nobody, or several, stays as typed.
/// Returns how many records changed.
pub fn owners_to_logins(store: &Store) -> Result<usize, SyncError> {
    let users = known_users(store)?;
    if users.is_empty() {
        return Ok(0);
    }
    // Before the first push (the first sync pulls the users first), the login goes
    // inside the records' unsent creates.
    let folded = store.fold_into_creates(&OWNED_KINDS, "owner", &|kind, stored| {
        login_for(store, &users, kind, stored).map(|login| json!(login))
    })?;
    Ok(folded + commit_logins(store, &users)?)
}

/// [`owners_to_logins`] before a push, the first time the server's users are known:
/// the logins are folded into the creates no push request carried, on a second thread,
/// while `send` pushes the creates the fold has passed (see `store/fold.rs`), so the
/// laptop folds while the server applies. `send` gets `None` when no user is known. The
/// owners the fold could not take are changed after `send` returns, and go out with the
/// next push. Only once all that is done are the owners checked, so a sync cut short
/// does the rest on the next.
pub fn owners_to_logins_sending(
    store: &Store,
    send: impl FnOnce(Option<&Folded>) -> Result<(), SyncError>,
) -> Result<usize, SyncError> {
    let users = known_users(store)?;
    if users.is_empty() {
        send(None)?;
        return Ok(0);
    }
    let pick = |kind: EntityKind, stored: &Stored| login_for(store, &users, kind, stored).map(|login| json!(login));
    let folding = Folded::default();
    let (folded, sent) = std::thread::scope(|scope| {
        let fold = scope.spawn(|| store.fold_into_creates_sharing(&OWNED_KINDS, "owner", &pick, &folding));
        let sent = send(Some(&folding));
        if sent.is_err() {
            folding.stop();
        }
        let folded = fold.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (folded, sent)
    });
    let folded = folded?;
    sent?;
    Ok(folded + commit_logins(store, &users)?)
}

/// Changes, through the write path, each owner that [`login_for`] turns into a login,
/// then records that the owners were checked.
fn commit_logins(store: &Store, users: &[Person]) -> Result<usize, SyncError> {
    let mut muts = Vec::new();
    for kind in OWNED_KINDS {
        let mut consider = |id, stored: &Stored| {
            if let Some(login) = login_for(store, users, kind, stored) {
                let mut f = Fields::new();
                f.insert("owner".into(), json!(login));
                muts.push(Mutation::update(kind, id, f));
            }
        };
        match maybe_not_owned_by_a_login(store, users, kind)? {
            Some(ids) => {
                for id in ids {
                    if let Some(stored) = store.get(kind, id)?.filter(|s| !s.deleted) {
                        consider(id, &stored);
                    }
                }
            }
            None => {
                for item in store.live(kind) {
                    let (id, stored) = item?;
                    consider(id, &stored);
                }
            }
        }
    }
    for chunk in muts.chunks(BATCH) {
        store.commit(chunk)?;
    }
    store.commit_with_meta(&[], &[(K_OWNERS_CHECKED, Some("1"))])?;
    Ok(muts.len())
}

/// The records of `kind` whose owner may be no login, read through the owner index:
/// those of values that are no user's login (after a first sync's fold, of 369k
/// records at 100k contacts, none at all) instead of every record. `None` (read them
/// all) while the indexes are being filled. A record the model cannot read has no index
/// entry, and no owner to change ([`fits`] refuses it). It trusts the owner index, as
/// lists and filters do: an index found damaged (`outpost check`) is repaired with
/// `check --repair`, and the owners are checked again when the server's users change.
fn maybe_not_owned_by_a_login(store: &Store, users: &[Person], kind: EntityKind) -> Result<Option<Vec<Id>>, SyncError> {
    let Some(values) = store.index_values(Index::Owner, kind)? else {
        return Ok(None);
    };
    let mut ids = Vec::new();
    for value in values.iter().filter(|v| !users.iter().any(|u| u.login == v.trim())) {
        ids.extend(store.ids_by_index(Index::Owner, kind, value)?);
    }
    Ok(Some(ids))
}

/// The login a record's owner becomes: an owner written on this replica that is no
/// login but names exactly one of `users` (and the record fits with it).
fn login_for<'u>(store: &Store, users: &'u [Person], kind: EntityKind, stored: &Stored) -> Option<&'u str> {
    if !OWNED_KINDS.contains(&kind) {
        return None;
    }
    let owner = stored.text("owner").trim();
    let written_here = stored.clocks.get("owner").is_some_and(|h| h.replica == store.replica());
    if owner.is_empty() || !written_here || users.iter().any(|u| u.login == owner) {
        return None;
    }
    let named: Vec<&Person> = users
        .iter()
        .filter(|u| names_person(owner, &u.login, u.name.as_deref(), u.email.as_deref()))
        .collect();
    match named.as_slice() {
        [one] if fits(store, kind, &stored.fields, &one.login) => Some(one.login.as_str()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;

    use super::*;

    /// The create of an account named `name`, owned by `owner`.
    fn account(name: &str, owner: Option<&str>) -> Mutation {
        let mut f = Fields::new();
        f.insert("name".into(), json!(name));
        if let Some(owner) = owner {
            f.insert("owner".into(), json!(owner));
        }
        Mutation::create(EntityKind::Account, f)
    }

    /// The stored owner of an account.
    fn owner_of(store: &Store, id: crate::model::Id) -> String {
        store
            .get(EntityKind::Account, id)
            .expect("get")
            .expect("record")
            .text("owner")
            .to_string()
    }

    fn sara() -> Person {
        Person {
            login: "sara".into(),
            name: Some("Sara Lindqvist".into()),
            email: Some("sara@example.com".into()),
        }
    }

    #[test]
    fn unowned_records_and_the_persons_names_are_adopted_others_are_not() {
        let p = sara();
        assert!(p.adopts(None));
        assert!(p.adopts(Some("  ")));
        assert!(p.adopts(Some("Sara Lindqvist")));
        assert!(p.adopts(Some(" sara lindqvist ")));
        assert!(p.adopts(Some("SARA@example.com")));
        assert!(p.adopts(Some("Sara")), "the login in other case");
        assert!(!p.adopts(Some("sara")), "already the login");
        assert!(!p.adopts(Some("Ben Okafor")));
        let old_server = Person {
            login: "sara".into(),
            name: None,
            email: None,
        };
        assert!(!old_server.adopts(Some("Sara Lindqvist")));
    }

    #[test]
    fn adoption_goes_through_the_write_path_once() {
        let dir = tempfile::tempdir().expect("temp");
        let store = Store::open(dir.path()).expect("store");
        let mine = account("Nordic Paper AB", Some("Sara Lindqvist"));
        let unowned = account("Unowned AB", None);
        let theirs = account("Ben's AB", Some("ben"));
        store
            .commit(&[mine.clone(), unowned.clone(), theirs.clone()])
            .expect("commit");
        let before = store.outbox_len();
        assert_eq!(adopt(&store, &sara()).expect("adopt"), 2);
        assert_eq!(
            store.outbox_len(),
            before,
            "nothing was sent yet: the owner goes inside each create, no change is added"
        );
        let sent_owner = |m: &Mutation| {
            store
                .pending(10)
                .expect("outbox")
                .into_iter()
                .find(|c| c.id == m.id)
                .and_then(|c| match c.op {
                    crate::protocol::ChangeOp::Create { fields } => fields.get("owner").cloned(),
                    _ => None,
                })
        };
        assert_eq!(sent_owner(&unowned), Some(json!("sara")));
        assert_eq!(sent_owner(&theirs), Some(json!("ben")));
        let owner = |m: &Mutation| owner_of(&store, m.id);
        assert_eq!(
            (owner(&mine), owner(&unowned), owner(&theirs)),
            ("sara".into(), "sara".into(), "ben".into())
        );
        assert_eq!(adopt(&store, &sara()).expect("again"), 0, "only once");
        let check = store.verify().expect("verify");
        assert!(check.ok(), "indexes follow the folded owner: {:?}", check.problems);
    }

    /// The fold reads only records whose create left them to be adopted; a record whose
    /// create named somebody else and that was made unowned since is adopted all the
    /// same, by a change of its own (its owner is no longer the create's).
    #[test]
    fn a_record_unowned_after_its_create_named_somebody_else_is_adopted_too() {
        let dir = tempfile::tempdir().expect("temp");
        let store = Store::open(dir.path()).expect("store");
        let released = account("Released AB", Some("ben"));
        let theirs = account("Ben's AB", Some("ben"));
        store.commit(&[released.clone(), theirs.clone()]).expect("commit");
        let mut f = Fields::new();
        f.insert("owner".into(), json!(""));
        store
            .commit(&[Mutation::update(EntityKind::Account, released.id, f)])
            .expect("unowned");
        let before = store.outbox_len();
        assert_eq!(adopt(&store, &sara()).expect("adopt"), 1);
        assert_eq!(owner_of(&store, released.id), "sara");
        assert_eq!(owner_of(&store, theirs.id), "ben");
        assert_eq!(store.outbox_len(), before + 1, "a change of its own, not folded");
        assert!(store.verify().expect("verify").ok());
    }

    #[test]
    fn once_a_push_may_have_gone_adoption_adds_changes_instead() {
        let dir = tempfile::tempdir().expect("temp");
        let store = Store::open(dir.path()).expect("store");
        let unowned = account("Unowned AB", None);
        store.commit(std::slice::from_ref(&unowned)).expect("commit");
        // An owner edited after the create is not the create's to carry.
        let edited = account("Edited AB", None);
        store.commit(std::slice::from_ref(&edited)).expect("commit");
        let mut f = Fields::new();
        f.insert("owner".into(), json!("Sara Lindqvist"));
        store
            .commit(&[Mutation::update(EntityKind::Account, edited.id, f)])
            .expect("edit");
        store.mark_pushed().expect("mark");
        let before = store.outbox_len();
        assert_eq!(adopt(&store, &sara()).expect("adopt"), 2);
        assert_eq!(store.outbox_len(), before + 2, "each adoption is an outbox change");
    }

    #[test]
    fn after_a_push_owners_named_as_users_become_their_logins_found_through_the_owner_index() {
        let dir = tempfile::tempdir().expect("temp");
        let store = Store::open(dir.path()).expect("store");
        let user = |login: &str, name: &str| {
            let mut f = Fields::new();
            f.insert("login".into(), json!(login));
            f.insert("name".into(), json!(name));
            Mutation::create(EntityKind::User, f)
        };
        store
            .commit(&[user("anna", "Anna Becker"), user("tom", "Tom Hughes")])
            .expect("users");
        let named = account("Named AB", Some("Anna Becker"));
        let also = account("Also AB", Some("Anna Becker"));
        let longer = account("Longer AB", Some("Anna Becker Jr"));
        let login = account("Login AB", Some("tom"));
        let nobody = account("Nobody AB", Some("Nobody"));
        let trashed = account("Trashed AB", Some("Tom Hughes"));
        let all = [&named, &also, &longer, &login, &nobody, &trashed];
        store.commit(&all.map(Mutation::clone)).expect("accounts");
        store
            .commit(&[Mutation {
                kind: EntityKind::Account,
                id: trashed.id,
                op: crate::store::Op::Delete,
            }])
            .expect("trash");
        store.mark_pushed().expect("as if a push had gone: nothing folds");
        let before = store.outbox_len();
        assert_eq!(owners_to_logins(&store).expect("logins"), 2);
        assert_eq!(store.outbox_len(), before + 2, "one change each");
        let owners: Vec<String> = all.iter().map(|m| owner_of(&store, m.id)).collect();
        assert_eq!(
            owners,
            ["anna", "anna", "Anna Becker Jr", "tom", "Nobody", "Tom Hughes"]
        );
        assert!(store.verify().expect("verify").ok());
        assert_eq!(owners_to_logins(&store).expect("again"), 0);
    }

    #[test]
    fn a_fold_beside_a_push_takes_only_creates_no_push_request_carried() {
        let dir = tempfile::tempdir().expect("temp");
        let store = Store::open(dir.path()).expect("store");
        let accounts: Vec<Mutation> = ["Alpha AB", "Beta AB", "Gamma AB"]
            .iter()
            .map(|name| account(name, Some("Sara Lindqvist")))
            .collect();
        store.commit(&accounts).expect("commit");
        let first = store.pending(1).expect("outbox")[0].seq;
        // A push request carried the first create; the fold may no longer change it.
        store.mark_pushed_through(first).expect("mark");
        assert!(!store.nothing_sent().expect("sent"));
        assert_eq!(
            store
                .fold_into_creates(&OWNED_KINDS, "owner", &|_, _| Some(json!("sara")))
                .expect("fold"),
            0,
            "the whole-outbox fold waits for a store that sent nothing"
        );
        let folding = Folded::default();
        let folded = store
            .fold_into_creates_sharing(&OWNED_KINDS, "owner", &|_, _| Some(json!("sara")), &folding)
            .expect("fold");
        assert_eq!(folded, 2);
        assert_eq!(
            folding.wait_for(u64::MAX, &AtomicBool::new(false)),
            Some(u64::MAX),
            "it ended"
        );
        let creates: Vec<Option<serde_json::Value>> = store
            .pending(10)
            .expect("outbox")
            .into_iter()
            .map(|c| match c.op {
                crate::protocol::ChangeOp::Create { fields } => fields.get("owner").cloned(),
                _ => None,
            })
            .collect();
        assert_eq!(
            creates,
            [json!("Sara Lindqvist"), json!("sara"), json!("sara")].map(Some)
        );
        let owners: Vec<String> = accounts.iter().map(|m| owner_of(&store, m.id)).collect();
        assert_eq!(owners, ["Sara Lindqvist", "sara", "sara"]);
        // The push marker never moves back.
        store.mark_pushed_through(0).expect("mark");
        let folding = Folded::default();
        let again = store
            .fold_into_creates_sharing(&OWNED_KINDS, "owner", &|_, _| Some(json!("ana")), &folding)
            .expect("fold");
        assert_eq!(again, 2, "the marker did not move back to before the first create");
        assert_eq!(owner_of(&store, accounts[0].id), "Sara Lindqvist");
        let check = store.verify().expect("verify");
        assert!(check.ok(), "{:?}", check.problems);
    }

    #[test]
    fn a_push_waiting_on_a_fold_that_panics_hears_that_it_ended() {
        let dir = tempfile::tempdir().expect("temp");
        let store = Store::open(dir.path()).expect("store");
        store
            .commit(&[account("Alpha AB", Some("Sara Lindqvist"))])
            .expect("commit");
        let folding = Folded::default();
        let (heard, joined) = std::thread::scope(|scope| {
            let fold = scope.spawn(|| {
                store.fold_into_creates_sharing(&OWNED_KINDS, "owner", &|_, _| panic!("a bug in a pick"), &folding)
            });
            (folding.wait_for(u64::MAX, &AtomicBool::new(false)), fold.join())
        });
        assert_eq!(
            heard, None,
            "the push hears the fold failed instead of waiting for ever"
        );
        assert!(joined.is_err(), "the panic goes on to whoever joins the fold");
    }
}
