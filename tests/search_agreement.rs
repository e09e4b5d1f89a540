//! One search for the three places a user searches: `outpost <kind> list -s` (through
//! `App::list`), the TUI list filter (`/`) and the TUI global search (`s`) find the same
//! records for the same query on the demo data, ranked by the same score; only ties keep
//! each front end's own order (id order, the list's sort, title order), so the test
//! compares the rankings with ties broken by id.

mod tui_support;
use tui_support as common;

use outpost::app::queries::ListQuery;
use outpost::app::search;
use outpost::model::{EntityKind, Id};
use outpost::tui::popups::Popup;
use serde_json::{Map, Value};

fn id_of(row: &Map<String, Value>) -> Id {
    row["id"].as_str().expect("id").parse().expect("id")
}

/// (score, id) in rank order, and the same sorted by (score desc, id).
fn scored(query: &str, ids: &[Id], texts: &std::collections::HashMap<Id, String>) -> Vec<(u32, Id)> {
    ids.iter()
        .map(|id| (search::score(query, &texts[id]).expect("a ranked row matches"), *id))
        .collect()
}

fn check(kind: EntityKind, tab: &str, query: &str) {
    let (_dir, app) = common::demo_app();

    // The CLI's list -s.
    let cli_rows = app
        .list(
            kind,
            &ListQuery {
                search: Some(query.into()),
                ..Default::default()
            },
        )
        .expect("list");
    let all = app.list(kind, &ListQuery::default()).expect("list");
    let texts: std::collections::HashMap<Id, String> =
        all.iter().map(|r| (id_of(r), search::text_of(kind, r))).collect();
    let cli: Vec<Id> = cli_rows.iter().map(id_of).collect();
    assert!(!cli.is_empty(), "{kind} '{query}' finds something");

    // The TUI list filter.
    let mut s = outpost::tui::harness::Harness::new(app.clone(), common::ZONE, (120, 40));
    s.keys(tab);
    s.keys("/");
    s.type_text(query);
    s.keys("enter");
    let list = s.state.list(kind).expect("list");
    let data = list.data.as_ref().expect("rows");
    let tui: Vec<Id> = list.visible().iter().map(|i| data.rows[*i as usize].id).collect();

    // The TUI global search, narrowed to the kind.
    let mut g = outpost::tui::harness::Harness::new(app.clone(), common::ZONE, (120, 40));
    g.keys("s");
    g.type_text(query);
    let Some(Popup::Search(popup)) = g.state.popups.last() else {
        panic!("search is open")
    };
    let global: Vec<Id> = popup
        .matches()
        .iter()
        .copied()
        .filter(|(k, _)| *k == kind)
        .map(|(_, id)| id)
        .collect();
    assert_eq!(popup.total(), popup.matches().len());

    let mut want = scored(query, &cli, &texts);
    want.sort_by_key(|(s, id)| (std::cmp::Reverse(*s), *id));
    for (name, got) in [("list -s", &cli), ("list filter", &tui), ("global search", &global)] {
        let ranked = scored(query, got, &texts);
        assert!(
            ranked.windows(2).all(|w| w[0].0 >= w[1].0),
            "{name}: best first for '{query}'"
        );
        let mut by_id = ranked.clone();
        by_id.sort_by_key(|(s, id)| (std::cmp::Reverse(*s), *id));
        assert_eq!(by_id, want, "{name} vs list -s for {kind} '{query}'");
    }
}

#[test]
fn contacts_by_name_and_e_mail() {
    check(EntityKind::Contact, "4", "muller");
    check(EntityKind::Contact, "4", "'anna !cedar");
}

#[test]
fn accounts_with_fzf_syntax() {
    check(EntityKind::Account, "3", "^nord");
    check(EntityKind::Account, "3", "nord !logistik");
}

#[test]
fn deals_by_account() {
    check(EntityKind::Opportunity, "6", "'harbor");
}

#[test]
fn the_issue_examples_agree_everywhere() {
    check(EntityKind::Account, "3", "iberia");
    check(EntityKind::Contact, "4", "+49");
    check(EntityKind::Activity, "8", "renewal");
}

#[test]
fn search_finds_what_a_person_looks_for_and_cuts_the_scattered_tail() {
    let (_dir, app) = common::demo_app();
    let names = |kind: EntityKind, q: &str| -> Vec<String> {
        app.list(
            kind,
            &ListQuery {
                search: Some(q.into()),
                ..Default::default()
            },
        )
        .expect("list")
        .iter()
        .map(|r| r["name"].as_str().unwrap_or_default().to_string())
        .collect()
    };
    // `/iberia`: only accounts with the word (or a word starting with it) in a field,
    // never "Bright Robotics GmbH ... Berlin" for its scattered letters.
    let iberia = names(EntityKind::Account, "iberia");
    assert!(!iberia.is_empty());
    let all = app.list(EntityKind::Account, &ListQuery::default()).expect("list");
    for name in &iberia {
        let row = all.iter().find(|r| r["name"] == name.as_str()).expect("row");
        assert!(
            search::text_of(EntityKind::Account, row)
                .to_lowercase()
                .contains("iberia"),
            "'{name}' does not contain iberia"
        );
    }
    assert!(iberia[0].starts_with("Iberia"), "the names first: {iberia:?}");
    // A product by a word of its name.
    let licence = names(EntityKind::Product, "licence");
    assert!(
        !licence.is_empty() && licence.iter().all(|n| n.contains("Licence")),
        "{licence:?}"
    );

    // A phone in any spacing: the first account's number, typed without spaces.
    let row = &all[0];
    let phone = row["phone"].as_str().expect("a demo phone").to_string();
    let compact: String = phone.chars().filter(|c| *c != ' ').collect();
    let typed = &compact[..compact.len() - 3];
    let found = names(EntityKind::Account, typed);
    assert!(
        found.contains(&row["name"].as_str().expect("name").to_string()),
        "{typed}: {found:?}"
    );

    // Global search says why a record matched.
    let mut g = outpost::tui::harness::Harness::new(app.clone(), common::ZONE, (120, 40));
    g.keys("s");
    g.type_text(typed);
    let Some(Popup::Search(popup)) = g.state.popups.last() else {
        panic!("search is open")
    };
    let i = popup
        .shown()
        .iter()
        .position(|(k, id, _)| *k == EntityKind::Account && *id == id_of(row))
        .expect("the account is found");
    assert_eq!(popup.why()[i], "phone");
    assert!(g.screen().contains("· phone"), "{}", g.screen());
}
