//! Owners: a record's `owner` stores a login (the server's stable id for a user); people
//! type and read display names. The users a replica knows are its User records with a
//! login, which the sync server sends to every replica. Before the first sync there are
//! none, and an owner is kept as typed.

use serde_json::Value;

use super::{App, AppError};
use crate::model::EntityKind;
use crate::model::records::names_person;
use crate::store::Store;

/// One known user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Known {
    /// Login.
    pub login: String,
    /// Display name.
    pub name: String,
    /// E-mail address.
    pub email: Option<String>,
}

/// The users this replica knows (from the server), by login.
#[derive(Clone, Debug, Default)]
pub struct Directory {
    users: Vec<Known>,
}

impl Directory {
    /// The live User records with a login.
    pub fn load(store: &Store) -> Result<Self, AppError> {
        let mut users = Vec::new();
        for item in store.live(EntityKind::User) {
            let (_, s) = item?;
            let login = s.text("login").trim();
            if login.is_empty() {
                continue;
            }
            users.push(Known {
                login: login.to_string(),
                name: s.text("name").trim().to_string(),
                email: s.fields.get("email").and_then(Value::as_str).map(str::to_string),
            });
        }
        users.sort_by(|a, b| a.login.cmp(&b.login));
        Ok(Self { users })
    }

    /// Whether the user list is known (the replica has synced the server's users).
    #[must_use]
    pub fn known(&self) -> bool {
        !self.users.is_empty()
    }

    /// The users.
    #[must_use]
    pub fn users(&self) -> &[Known] {
        &self.users
    }

    /// The login `text` names (a login, display name or e-mail, any case). Before the
    /// user list is known, the text itself (trimmed). `what` says where it came from in
    /// the error ("--owner", "owner in config.toml").
    pub fn resolve(&self, text: &str, what: &str) -> Result<String, AppError> {
        let t = text.trim();
        if !self.known() {
            return Ok(t.to_string());
        }
        let matching = |f: &dyn Fn(&Known) -> bool| self.users.iter().filter(|u| f(u)).collect::<Vec<_>>();
        // A login beats a name: "ben" is the user ben even if someone's name is "Ben".
        let by_login = matching(&|u| u.login.eq_ignore_ascii_case(t) || u.login.to_lowercase() == t.to_lowercase());
        let found = if by_login.len() == 1 {
            by_login
        } else {
            matching(&|u| names_person(t, &u.login, Some(&u.name), u.email.as_deref()))
        };
        match found.as_slice() {
            [one] => Ok(one.login.clone()),
            [] => Err(AppError::Invalid(format!(
                "{what}: '{t}' is not a user of the sync server; known users:\n{}",
                self.listing()
            ))),
            many => Err(AppError::Invalid(format!(
                "{what}: '{t}' names {} users; give the login:\n{}",
                many.len(),
                many.iter().map(|u| line(u)).collect::<Vec<_>>().join("\n")
            ))),
        }
    }

    /// The display name of an owner value: the user's name when it is a known login,
    /// the value itself otherwise.
    #[must_use]
    pub fn display<'a>(&'a self, owner: &'a str) -> &'a str {
        self.users
            .iter()
            .find(|u| u.login == owner)
            .map_or(owner, |u| if u.name.is_empty() { &u.login } else { &u.name })
    }

    fn listing(&self) -> String {
        self.users.iter().map(line).collect::<Vec<_>>().join("\n")
    }
}

fn line(u: &Known) -> String {
    let mut s = format!("  {}  {}", u.login, u.name);
    if let Some(e) = &u.email {
        s.push_str(&format!(" <{e}>"));
    }
    s
}

impl App {
    /// The login an owner text names (see [`Directory::resolve`]).
    pub fn resolve_owner(&self, text: &str, what: &str) -> Result<String, AppError> {
        self.owner_directory()?.resolve(text, what)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> Directory {
        Directory {
            users: vec![
                Known {
                    login: "ben".into(),
                    name: "Ben Okafor".into(),
                    email: None,
                },
                Known {
                    login: "sara".into(),
                    name: "Sara Lindqvist".into(),
                    email: Some("sara@example.com".into()),
                },
            ],
        }
    }

    #[test]
    fn owners_resolve_by_login_name_or_email_once_users_are_known() {
        let d = dir();
        for text in ["sara", "SARA", " Sara Lindqvist ", "sara lindqvist", "Sara@Example.com"] {
            assert_eq!(d.resolve(text, "--owner").expect(text), "sara");
        }
        let e = d.resolve("Kenji Mori", "--owner").expect_err("unknown");
        assert!(matches!(e, AppError::Invalid(_)));
        let msg = e.to_string();
        assert!(
            msg.contains("--owner: 'Kenji Mori'") && msg.contains("sara  Sara Lindqvist"),
            "{msg}"
        );
        assert_eq!(d.display("sara"), "Sara Lindqvist");
        assert_eq!(d.display("Someone"), "Someone");
    }

    #[test]
    fn an_app_resolves_owners_once_it_holds_the_servers_users() {
        use crate::app::spec;
        use crate::model::records::user_record_id;
        use crate::store::{Mutation, Op};
        use serde_json::json;

        let dir = tempfile::tempdir().expect("temp");
        let mut app = App::open(dir.path()).expect("app");
        let (name, owner) = (
            spec::lookup(EntityKind::Account, "name").expect("name"),
            spec::lookup(EntityKind::Account, "owner").expect("owner"),
        );
        let values = |n: &str, o: &str| vec![(name, vec![n.to_string()]), (owner, vec![o.to_string()])];
        let owner_of = |app: &App, id| {
            app.store
                .get(EntityKind::Account, id)
                .expect("get")
                .expect("record")
                .text("owner")
                .to_string()
        };
        let before = app
            .create(EntityKind::Account, &values("A", "Sara Lindqvist"))
            .expect("as typed");
        assert_eq!(owner_of(&app, before), "Sara Lindqvist");
        let mut f = crate::model::Fields::new();
        for (k, v) in [
            ("login", "sara"),
            ("name", "Sara Lindqvist"),
            ("email", "sara@example.com"),
        ] {
            f.insert(k.into(), json!(v));
        }
        app.store
            .commit(&[Mutation {
                kind: EntityKind::User,
                id: user_record_id("sara"),
                op: Op::Create(f),
            }])
            .expect("user");
        let after = app
            .create(EntityKind::Account, &values("B", "SARA@example.com"))
            .expect("by e-mail");
        assert_eq!(owner_of(&app, after), "sara");
        assert!(matches!(
            app.create(EntityKind::Account, &values("C", "Kenji")),
            Err(AppError::Invalid(_))
        ));
        let issues = app.check_form(EntityKind::Account, None, &values("C", "Kenji"));
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(issues[0].field, "owner");
        let stored = app.store.get(EntityKind::Account, after).expect("get").expect("record");
        let view = app.view(
            EntityKind::Account,
            after,
            &stored,
            &mut super::super::view::Names::default(),
        );
        assert_eq!(view["owner_name"], "Sara Lindqvist");
        app.config.owner = Some("Sara Lindqvist".into());
        let configured = app
            .create(EntityKind::Account, &vec![(name, vec!["D".to_string()])])
            .expect("config owner");
        assert_eq!(owner_of(&app, configured), "sara");
        app.config.owner = Some("Nobody".into());
        let e = app
            .create(EntityKind::Account, &vec![(name, vec!["E".to_string()])])
            .expect_err("unknown");
        assert!(e.to_string().contains("owner in config.toml"), "{e}");
    }

    #[test]
    fn before_the_first_sync_owners_are_kept_as_typed() {
        let d = Directory::default();
        assert!(!d.known());
        assert_eq!(
            d.resolve(" Sara Lindqvist ", "--owner").expect("as typed"),
            "Sara Lindqvist"
        );
        assert_eq!(d.display("Sara Lindqvist"), "Sara Lindqvist");
    }
}
