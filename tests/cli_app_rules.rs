//! Rules that moved into `app`, and the front ends agreeing on them: a model error names
//! the field (typed), the CLI adds the flag, a form gets the bare reason; `list -s`
//! ranks through the app; the account a territory rule picks is the same for every
//! caller.

mod common;

use common::Env;
use outpost::app::AppError;
use outpost::app::ops::spec_of;
use outpost::model::EntityKind;

#[test]
fn a_missing_account_is_a_typed_field_error_the_cli_words_with_its_flag() {
    let env = Env::new();
    env.add(&["account", "add", "--name", "Acme"]);
    env.add(&["opp", "add", "--name", "Deal", "--account", "Acme", "--amount", "100"]);
    let err = env.fails(&["opp", "edit", "Deal", "--account", ""], 3);
    assert!(
        err.contains("opportunity 'Deal': account_id: an opportunity needs an account (--account REF)"),
        "{err}"
    );

    // The library says which field, without CLI words; a form shows the bare reason.
    let app = outpost::app::App::open(&env.data()).expect("open");
    let deal = app.resolve(EntityKind::Opportunity, "Deal").expect("deal");
    let values = vec![(spec_of(EntityKind::Opportunity, "account_id"), vec![String::new()])];
    match app.edit(EntityKind::Opportunity, deal, &values) {
        Err(AppError::Field {
            kind, field, reason, ..
        }) => {
            assert_eq!(kind, Some(EntityKind::Opportunity));
            assert_eq!(field, "account_id");
            assert!(!reason.contains("--"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let issues = app.check_form(EntityKind::Opportunity, Some(deal), &values);
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(issues[0].field, "account_id");
    assert!(!issues[0].message.contains("--"), "{:?}", issues[0]);
}

#[test]
fn list_search_is_the_apps_ranking() {
    let env = Env::new();
    for name in ["Nordwind Logistik", "Acme Robotics", "Acme"] {
        env.add(&["account", "add", "--name", name]);
    }
    let out = env.ok(&["account", "list", "-s", "acme", "--format", "csv"]);
    let cli: Vec<String> = out
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap_or_default().to_string())
        .collect();
    let app = outpost::app::App::open(&env.data()).expect("open");
    let query = outpost::app::queries::ListQuery {
        search: Some("acme".into()),
        ..Default::default()
    };
    let lib: Vec<String> = app
        .list(EntityKind::Account, &query)
        .expect("list")
        .iter()
        .map(|r| r["name"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(cli, lib);
    assert_eq!(lib.len(), 2, "{lib:?}");
}

#[test]
fn trash_and_conflicts_come_from_the_app() {
    let env = Env::new();
    env.add(&["territory", "add", "--name", "Gone"]);
    env.ok(&["territory", "rm", "Gone"]);
    let out = env.ok(&["trash", "list", "--format", "csv"]);
    let app = outpost::app::App::open(&env.data()).expect("open");
    let trashed = app.trash(None).expect("trash");
    assert_eq!(trashed.len(), 1);
    assert_eq!(trashed[0].title, "Gone");
    assert!(out.contains("Gone"), "{out}");
    assert!(app.conflicts(true).expect("conflicts").is_empty());
    drop(app);
    assert!(env.ok(&["conflicts", "list"]).contains("No open conflicts."));
}
