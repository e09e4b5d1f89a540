//! Territories in the TUI, through the generic list and detail: the palette's
//! `territories` opens the list (columns from the registry), Enter opens a territory with
//! its accounts; products and orders are reached the same way.

mod tui_support;
use tui_support as common;

use outpost::app::ops::spec_of;
use outpost::model::EntityKind;
use outpost::tui::harness::Harness;
use outpost::tui::state::ViewId;

#[test]
fn the_palette_opens_the_territories_list_and_a_territory_shows_its_accounts() {
    let (_dir, app) = common::demo_app();
    let t = EntityKind::Territory;
    let dach = app
        .create(
            t,
            &vec![
                (spec_of(t, "name"), vec!["DACH".to_string()]),
                (spec_of(t, "countries"), vec!["DE,AT,CH".to_string()]),
            ],
        )
        .expect("territory");
    let changed = app.assign_territories(false).expect("assign");
    assert!(!changed.is_empty(), "the demo has accounts in DACH");
    let mut s = Harness::new(app, common::ZONE, (120, 40));
    s.keys(": t e r r i t o r i e s enter");
    assert_eq!(s.state.view, ViewId::List(EntityKind::Territory));
    let screen = s.screen();
    assert!(screen.contains("DACH") && screen.contains("DE; AT; CH"), "{screen}");
    assert!(screen.contains("Countries"), "{screen}");
    let list = s.state.list(EntityKind::Territory).expect("list");
    assert_eq!(list.selected_id(), Some(dach));
    s.keys("enter");
    let screen = s.screen();
    assert!(screen.contains(&format!("Accounts ({})", changed.len())), "{screen}");
}

/// Products and orders have no tab but a list through the palette, like territories.
#[test]
fn the_palette_opens_the_products_and_orders_lists() {
    let (_dir, app) = common::demo_app();
    let mut s = Harness::new(app, common::ZONE, (120, 40));
    s.keys(": p r o d u c t s enter");
    assert_eq!(s.state.view, ViewId::List(EntityKind::Product));
    let list = s.state.list(EntityKind::Product).expect("list");
    assert!(!list.visible().is_empty(), "the demo has products");
    s.keys(": o r d e r s enter");
    assert_eq!(s.state.view, ViewId::List(EntityKind::Order));
}
