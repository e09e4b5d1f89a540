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
        .into_iter()
        .filter(|(k, _)| *k == kind)
        .map(|(_, id)| id)
        .collect();
    assert_eq!(popup.total, popup.matches().len());

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
