//! The quote editor, the approvals queue, products and orders in the TUI: keys in, store
//! out; the editor's screens at 80x24 and 120x40; and the editor's grand total against
//! `outpost quote show --format json`.

mod tui_support;
use tui_support as common;

use std::path::Path;
use std::sync::Arc;

use outpost::app::App;
use outpost::app::ops::{Values, spec_of};
use outpost::model::records::QuoteStatus;
use outpost::model::{EntityKind, Id};
use outpost::tui::effect::Effect;
use outpost::tui::harness::Harness;
use outpost::tui::popups::Popup;
use outpost::tui::state::ViewId;
use outpost::tui::update;
use rust_decimal::Decimal;

/// Opens the store in `dir` as `role` (rep limit 15%, manager 40%), with the demo when
/// `fresh`.
fn open_as(dir: &Path, role: &str, fresh: bool) -> Arc<App> {
    std::fs::write(
        dir.join("config.toml"),
        format!("[quotes]\nrole = \"{role}\"\ndiscount_limits = {{ rep = 15, manager = 40 }}\n"),
    )
    .expect("config");
    // A session just dropped may still have a loading job holding the store for a moment
    // (sled lets go of its lock when the last handle goes), as a TUI quit and reopened.
    let mut tries = 0;
    let app = loop {
        match App::open_with_clock(dir, common::clock()) {
            Err(outpost::app::AppError::Store(outpost::store::StoreError::Locked { .. })) if tries < 100 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            other => break other.expect("open"),
        }
    };
    if fresh {
        app.demo_at(7, 800, &common::now()).expect("demo");
    }
    Arc::new(app)
}

fn values(kind: EntityKind, pairs: &[(&str, &str)]) -> Values {
    pairs
        .iter()
        .map(|(k, v)| (spec_of(kind, k), vec![(*v).to_string()]))
        .collect()
}

/// A draft quote on a demo deal with three lines: 3 x SKU-1002, 2 x SKU-1009 at
/// `discount`% off, 5 x SKU-1010.
fn new_quote(app: &App, discount: &str) -> Id {
    let opp = common::first_unique(app, EntityKind::Opportunity);
    let q = app
        .create(
            EntityKind::Quote,
            &values(EntityKind::Quote, &[("opportunity_id", &opp.to_string())]),
        )
        .expect("quote");
    for (sku, qty, disc) in [
        ("SKU-1002", "3", "0"),
        ("SKU-1009", "2", discount),
        ("SKU-1010", "5", "0"),
    ] {
        let p = app.resolve(EntityKind::Product, sku).expect("product");
        app.add_line(
            q,
            &values(
                EntityKind::QuoteLine,
                &[
                    ("product_id", &p.to_string()),
                    ("quantity", qty),
                    ("discount_pct", disc),
                ],
            ),
            None,
        )
        .expect("line");
    }
    q
}

/// A session with quote `q` open in the editor.
fn editing(app: &Arc<App>, q: Id, size: (u16, u16)) -> Harness {
    let mut s = Harness::new(app.clone(), common::ZONE, size);
    update::apply(&mut s.state, Effect::Open(EntityKind::Quote, q));
    s.settle();
    s
}

/// The grand total the open editor shows.
fn shown_total(s: &Harness) -> Decimal {
    let q = s
        .state
        .details
        .last()
        .and_then(|d| d.quote.as_ref())
        .expect("the quote editor");
    q.data.as_ref().expect("loaded").doc.totals.grand_total
}

fn message(s: &Harness) -> String {
    s.state.status.message.clone().map(|m| m.0).unwrap_or_default()
}

fn skus(app: &App, q: Id) -> Vec<String> {
    app.quote_doc(q)
        .expect("doc")
        .lines
        .iter()
        .map(|l| l.sku.clone().unwrap_or_default())
        .collect()
}

#[test]
fn a_quote_opened_from_the_list_shows_the_editor_with_the_one_functions_totals() {
    let (_dir, mut s) = common::session(120, 40);
    s.keys("7 enter");
    let d = s.state.details.last().expect("a quote opens");
    let q = d.quote.as_ref().expect("in the quote editor");
    let totals = s.state.app.quote_totals(q.id).expect("totals");
    assert_eq!(q.data.as_ref().expect("loaded").doc.totals, totals);
    assert!(s.screen().contains(&format!("{} EUR", totals.grand_total)));
}

#[test]
fn a_quote_opens_in_the_editor_from_its_deal() {
    let dir = tempfile::tempdir().expect("dir");
    let app = open_as(dir.path(), "rep", true);
    let q = new_quote(&app, "0");
    let deal = app.quote(q).expect("quote").opportunity_id.expect("deal");
    let mut s = Harness::new(app.clone(), common::ZONE, (120, 40));
    update::apply(&mut s.state, Effect::Open(EntityKind::Opportunity, deal));
    s.settle();
    let tabs = &s.state.details[0].data.as_ref().expect("loaded").tabs;
    let quotes = tabs
        .iter()
        .position(|t| t.kind == EntityKind::Quote)
        .expect("a Quotes tab");
    let row = tabs[quotes].items.iter().position(|i| i.id == q).expect("the quote");
    for _ in 0..quotes {
        s.keys("]");
    }
    for _ in 0..row {
        s.keys("j");
    }
    s.keys("enter");
    let top = s.state.details.last().expect("opened");
    assert_eq!((top.id, top.quote.is_some()), (q, true), "the quote editor");
    s.keys("esc");
    assert_eq!(
        s.state.details.last().map(|d| d.kind),
        Some(EntityKind::Opportunity),
        "back to the deal"
    );
}

#[test]
fn adding_a_line_by_sku_takes_the_price_books_price_and_the_totals_follow() {
    let dir = tempfile::tempdir().expect("dir");
    let app = open_as(dir.path(), "rep", true);
    let q = new_quote(&app, "0");
    let inactive = app.resolve(EntityKind::Product, "SKU-1000").expect("product");
    app.edit(
        EntityKind::Product,
        inactive,
        &values(EntityKind::Product, &[("active", "no")]),
    )
    .expect("deactivate");
    let mut s = editing(&app, q, (120, 40));
    let before = shown_total(&s);

    s.keys("a");
    let Some(Popup::Picker(p)) = s.state.popups.last() else {
        panic!("a opens the product picker");
    };
    assert!(p.choices.iter().any(|c| c.text.starts_with("SKU-1011")));
    assert!(
        !p.choices.iter().any(|c| c.id == inactive),
        "inactive products are not offered"
    );
    s.type_text("1011");
    s.keys("enter");
    assert!(
        matches!(s.state.popups.last(), Some(Popup::Form(_))),
        "the line's form opens"
    );
    s.keys("backspace");
    s.type_text("4");
    s.keys("ctrl-s");

    assert!(s.state.popups.is_empty(), "saved: {}", message(&s));
    assert_eq!(skus(&app, q), ["SKU-1002", "SKU-1009", "SKU-1010", "SKU-1011"]);
    let doc = app.quote_doc(q).expect("doc");
    let added = &doc.lines[3];
    let price = app
        .line_products(q)
        .expect("products")
        .into_iter()
        .find(|p| p.sku == "SKU-1011")
        .and_then(|p| p.price)
        .expect("a EUR price");
    assert_eq!(
        added.line.unit_price, price,
        "the price book's price, as `quote line-add`"
    );
    assert_eq!(added.line.quantity, Decimal::from(4));
    assert_eq!(added.position, 4);
    assert_eq!(shown_total(&s), doc.totals.grand_total);
    assert!(shown_total(&s) > before);

    s.keys("u");
    assert_eq!(skus(&app, q).len(), 3, "undo takes the line off again");
    assert_eq!(shown_total(&s), before);
    s.keys("U");
    assert_eq!(skus(&app, q).len(), 4, "redo puts it back");
}

#[test]
fn changing_the_quantity_changes_the_grand_total_at_once() {
    let dir = tempfile::tempdir().expect("dir");
    let app = open_as(dir.path(), "rep", true);
    let q = new_quote(&app, "0");
    let mut s = editing(&app, q, (120, 40));
    let before = shown_total(&s);
    let first = app.ordered_lines(q).expect("lines")[0].0;

    s.keys("+ +");
    let line = &app.ordered_lines(q).expect("lines")[0].1;
    assert_eq!(line.quantity, Decimal::from(5), "3 + 1 + 1");
    let after = shown_total(&s);
    assert!(after > before);
    assert_eq!(after, app.quote_totals(q).expect("totals").grand_total);
    assert!(s.screen().contains(&format!("{after} EUR")));

    // The line's form: quantity and discount.
    s.keys("e");
    assert!(matches!(s.state.popups.last(), Some(Popup::Form(_))));
    s.keys("backspace");
    s.type_text("7");
    s.keys("tab");
    s.type_text("10");
    s.keys("ctrl-s");
    let stored = app.record(EntityKind::QuoteLine, first).expect("get").expect("line");
    assert_eq!(stored.text("quantity"), "7");
    assert_eq!(stored.text("discount_pct"), "10");
    assert_eq!(shown_total(&s), app.quote_totals(q).expect("totals").grand_total);

    s.keys("u u u");
    assert_eq!(shown_total(&s), before, "three undos: the form, then both steps");
}

#[test]
fn lines_move_up_and_down_like_quote_line_move() {
    let dir = tempfile::tempdir().expect("dir");
    let app = open_as(dir.path(), "rep", true);
    let q = new_quote(&app, "0");
    let mut s = editing(&app, q, (120, 40));

    s.keys("G K");
    assert_eq!(skus(&app, q), ["SKU-1002", "SKU-1010", "SKU-1009"]);
    let positions: Vec<u32> = app
        .ordered_lines(q)
        .expect("lines")
        .iter()
        .map(|l| l.1.position)
        .collect();
    assert_eq!(positions, [1, 2, 3]);
    s.keys("K");
    assert_eq!(
        skus(&app, q),
        ["SKU-1010", "SKU-1002", "SKU-1009"],
        "the selection follows the line"
    );
    s.keys("K");
    assert!(message(&s).contains("first already"));
    s.keys("J");
    assert_eq!(skus(&app, q), ["SKU-1002", "SKU-1010", "SKU-1009"]);
    s.keys("u u u");
    assert_eq!(
        skus(&app, q),
        ["SKU-1002", "SKU-1009", "SKU-1010"],
        "undo puts them back"
    );
    // Removing the selected line asks first.
    s.keys("g D enter");
    assert_eq!(skus(&app, q), ["SKU-1009", "SKU-1010"]);
    assert!(
        s.state.details.last().is_some_and(|d| d.quote.is_some()),
        "the quote stays open"
    );
}

#[test]
fn a_sent_quote_refuses_changes_with_the_clis_message_and_offers_a_revision() {
    let dir = tempfile::tempdir().expect("dir");
    let app = open_as(dir.path(), "rep", true);
    let q = new_quote(&app, "5");
    let mut s = editing(&app, q, (120, 40));
    s.keys("S");
    assert_eq!(
        app.quote(q).expect("quote").status,
        QuoteStatus::Sent,
        "{}",
        message(&s)
    );
    let qty = app.ordered_lines(q).expect("lines")[0].1.quantity;

    s.keys("+");
    let cli = app
        .refuse_frozen(q, "changing its lines")
        .expect_err("frozen")
        .to_string();
    assert_eq!(message(&s), format!("{cli} · R revises it here"));
    assert_eq!(app.ordered_lines(q).expect("lines")[0].1.quantity, qty, "unchanged");
    s.keys("a");
    assert!(s.state.popups.is_empty(), "no picker on a frozen quote");
    assert!(message(&s).contains("adding a line is refused on a sent quote"));
    s.keys("K");
    assert!(message(&s).contains("moving a line is refused"));
    assert!(s.screen().contains("Sent quotes do not change · R makes revision 2"));

    s.keys("R");
    let new = s.state.details.last().map(|d| d.id).expect("the revision opens");
    assert_ne!(new, q);
    let revision = app.quote(new).expect("quote");
    assert_eq!((revision.revision, revision.status), (2, QuoteStatus::Draft));
    assert_eq!(skus(&app, new), skus(&app, q));
    s.keys("+");
    assert_eq!(app.ordered_lines(new).expect("lines")[0].1.quantity, qty + Decimal::ONE);
}

#[test]
fn a_discount_over_the_reps_limit_goes_to_a_manager_who_approves_it_from_the_queue() {
    let dir = tempfile::tempdir().expect("dir");
    let (q, other) = {
        let app = open_as(dir.path(), "rep", true);
        let q = new_quote(&app, "20");
        let other = new_quote(&app, "25");
        let mut s = editing(&app, q, (120, 40));
        s.keys("S");
        assert!(message(&s).contains("over your limit of 15%"), "{}", message(&s));
        assert_eq!(app.quote(q).expect("quote").status, QuoteStatus::Draft);
        s.keys("A");
        assert_eq!(app.quote(q).expect("quote").status, QuoteStatus::NeedsApproval);
        app.submit_quote(other).expect("submit");
        // A rep sees the queue but cannot decide.
        s.keys("esc");
        s.action(outpost::tui::action::Action::GotoApprovals);
        s.keys("a");
        assert!(message(&s).contains("for managers"), "{}", message(&s));
        (q, other)
    };
    let app = open_as(dir.path(), "manager", false);
    let mut s = Harness::new(app.clone(), common::ZONE, (120, 40));
    assert!(s.screen().contains("2 quotes to approve"), "the dashboard counts them");
    s.keys(": a p p r o v a l s enter");
    assert_eq!(s.state.view, ViewId::Approvals);
    let rows: Vec<Id> = s
        .state
        .approvals
        .rows
        .as_ref()
        .expect("rows")
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(
        rows,
        app.approvals().expect("queue").iter().map(|d| d.id).collect::<Vec<_>>()
    );
    let first = s.state.approvals.selected_row().expect("a row").id;

    s.keys("a");
    assert!(
        matches!(s.state.popups.last(), Some(Popup::Form(_))),
        "asks for a comment"
    );
    s.type_text("ok for Q2");
    s.keys("ctrl-s");
    let decided = app.quote(first).expect("quote");
    assert_eq!(decided.status, QuoteStatus::Approved);
    assert_eq!(decided.approval_comment.as_deref(), Some("ok for Q2"));
    assert_eq!(s.state.approvals.rows.as_ref().map(Vec::len), Some(1));

    s.keys("x");
    s.type_text("too deep");
    s.keys("ctrl-s");
    let rest = if first == q { other } else { q };
    let rejected = app.quote(rest).expect("quote");
    assert_eq!(rejected.status, QuoteStatus::Draft);
    assert_eq!(rejected.approval_comment.as_deref(), Some("too deep"));
    assert!(s.screen().contains("No quotes wait for approval"));
    s.keys("1");
    assert!(!s.screen().contains("to approve"), "no count when the queue is empty");
}

#[test]
fn an_order_moves_on_from_its_detail_and_shows_under_its_account() {
    let dir = tempfile::tempdir().expect("dir");
    let app = open_as(dir.path(), "rep", true);
    let q = new_quote(&app, "0");
    app.send_quote(q).expect("send");
    app.accept_quote(q, false).expect("accept");
    let order = app
        .create(
            EntityKind::Order,
            &values(EntityKind::Order, &[("quote_id", &q.to_string())]),
        )
        .expect("order");
    let account = app.quote(q).expect("quote").account_id.expect("account");
    let mut s = Harness::new(app.clone(), common::ZONE, (120, 40));
    update::apply(&mut s.state, Effect::Open(EntityKind::Account, account));
    s.settle();
    let tabs = &s
        .state
        .details
        .last()
        .and_then(|d| d.data.as_ref())
        .expect("loaded")
        .tabs;
    let orders = tabs
        .iter()
        .find(|t| t.kind == EntityKind::Order)
        .expect("an Orders tab");
    assert!(orders.items.iter().any(|i| i.id == order));

    update::apply(&mut s.state, Effect::Open(EntityKind::Order, order));
    s.settle();
    s.keys("o");
    assert!(matches!(s.state.popups.last(), Some(Popup::Form(_))));
    s.keys("ctrl-s");
    assert_eq!(app.order(order).expect("order").status.name(), "paid");
    s.keys("o");
    for _ in 0..4 {
        s.keys("backspace");
    }
    s.type_text("lost");
    s.keys("ctrl-s");
    assert!(
        matches!(s.state.popups.last(), Some(Popup::Form(_))),
        "a wrong status keeps the form open"
    );
    assert_eq!(app.order(order).expect("order").status.name(), "paid");
    s.keys("esc y");
    s.keys("u");
    assert_eq!(app.order(order).expect("order").status.name(), "confirmed", "undo");
}

#[test]
fn a_product_opens_with_its_price_book() {
    let dir = tempfile::tempdir().expect("dir");
    let app = open_as(dir.path(), "rep", true);
    let p = app.resolve(EntityKind::Product, "SKU-1002").expect("product");
    app.edit(
        EntityKind::Product,
        p,
        &values(
            EntityKind::Product,
            &[("price_book", "EUR 80 10+ 2026-01-01..2026-06-30")],
        ),
    )
    .expect("edit");
    let mut s = Harness::new(app.clone(), common::ZONE, (120, 40));
    update::apply(&mut s.state, Effect::Open(EntityKind::Product, p));
    s.settle();
    let d = s.state.details.last().expect("a product opens");
    let tab = &d.data.as_ref().expect("loaded").tabs[0];
    assert_eq!(tab.title, "Price book (3)");
    let rows: Vec<String> = tab.items.iter().map(|i| i.cells.join(" ")).collect();
    assert!(
        rows.iter().any(|r| r.contains("EUR")
            && r.contains("80.00")
            && r.contains("from 10")
            && r.contains("2026-01-01..2026-06-30")),
        "{rows:?}"
    );
    assert!(
        rows.iter().any(|r| r.contains("USD") && r.contains("always")),
        "{rows:?}"
    );
    let screen = s.screen();
    assert!(
        screen.contains("Active") && screen.contains("Price book (3)"),
        "{screen}"
    );
    s.keys("enter");
    assert_eq!(s.state.details.len(), 1, "a price row opens nothing");
}

#[test]
fn the_editors_grand_total_is_quote_show_jsons() {
    let dir = tempfile::tempdir().expect("dir");
    let (q, shown) = {
        let app = open_as(dir.path(), "rep", true);
        let q = new_quote(&app, "12.5");
        app.edit(
            EntityKind::Quote,
            q,
            &values(EntityKind::Quote, &[("discount_pct", "3")]),
        )
        .expect("quote discount");
        let s = editing(&app, q, (120, 40));
        let shown = shown_total(&s);
        assert!(s.screen().contains(&format!("{shown} EUR")));
        (q, shown)
    };
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_outpost"))
        .env("OUTPOST_DATA_DIR", dir.path())
        .env("NO_COLOR", "1")
        .args(["quote", "show", &q.to_string(), "--format", "json"])
        .output()
        .expect("run outpost");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json[0]["totals"]["grand_total"], serde_json::json!(shown.to_string()));
}

/// Screens: the editor on a demo quote, and the approvals queue.
#[test]
fn snapshots_of_the_quote_editor_and_the_approvals_queue() {
    let dir = tempfile::tempdir().expect("dir");
    let app = open_as(dir.path(), "rep", true);
    let q = new_quote(&app, "20");
    app.edit(
        EntityKind::Quote,
        q,
        &values(EntityKind::Quote, &[("discount_pct", "2")]),
    )
    .expect("quote discount");
    for (w, h) in [(80, 24), (120, 40)] {
        let s = editing(&app, q, (w, h));
        common::assert_snapshot(&format!("quote-editor-{w}x{h}"), &common::mask(&s.screen()));
    }
    app.submit_quote(q).expect("submit");
    for (w, h) in [(80, 24), (120, 40)] {
        let mut s = Harness::new(app.clone(), common::ZONE, (w, h));
        s.action(outpost::tui::action::Action::GotoApprovals);
        common::assert_snapshot(&format!("approvals-{w}x{h}"), &common::mask(&s.screen()));
    }
}

#[test]
fn the_header_form_sets_the_quote_discount_and_the_totals_follow() {
    let dir = tempfile::tempdir().expect("dir");
    let app = open_as(dir.path(), "rep", true);
    let q = new_quote(&app, "0");
    let mut s = editing(&app, q, (80, 24));
    let before = shown_total(&s);
    s.keys("E");
    let Some(Popup::Form(f)) = s.state.popups.last() else {
        panic!("E opens the header form");
    };
    let keys: Vec<&str> = f.fields.iter().map(|f| f.key).collect();
    assert_eq!(keys, ["discount_pct", "valid_until", "contact_id", "date", "notes"]);
    s.keys("backspace");
    s.type_text("10");
    s.keys("ctrl-s");
    assert_eq!(app.quote(q).expect("quote").discount_pct, Decimal::from(10));
    let t = app.quote_totals(q).expect("totals");
    assert_eq!(shown_total(&s), t.grand_total);
    assert!(shown_total(&s) < before);
    assert!(
        s.screen().contains(&format!("-{}", t.discount)),
        "the discount line shows"
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(16))]
    /// Whatever the lines, the editor prints the one function's figures: every line's
    /// net, the tax per rate and the grand total, as `quote show --format json` has them
    /// (`App::quote_json`), in EUR, JPY and KWD.
    #[test]
    fn the_editor_prints_the_one_functions_totals(
        raw in proptest::collection::vec(
            (1u32..500, 0i64..5_000_000, 0u32..=60, proptest::sample::select(vec![0u32, 7, 19, 21])),
            1..8,
        ),
        q in 0u32..=30,
        cur in proptest::sample::select(vec![("EUR", 2u32), ("JPY", 0), ("KWD", 3)]),
    ) {
        let dir = tempfile::tempdir().expect("dir");
        let app = Arc::new(App::open_with_clock(dir.path(), common::clock()).expect("open"));
        let account = app
            .create(EntityKind::Account, &values(EntityKind::Account, &[("name", "Łódź Müller 王")]))
            .expect("account");
        let opp = app
            .create(
                EntityKind::Opportunity,
                &values(EntityKind::Opportunity, &[("name", "Deal"), ("account_id", &account.to_string())]),
            )
            .expect("deal");
        let quote = app
            .create(
                EntityKind::Quote,
                &values(
                    EntityKind::Quote,
                    &[("opportunity_id", &opp.to_string()), ("currency", cur.0), ("discount_pct", &q.to_string())],
                ),
            )
            .expect("quote");
        for (n, p, dsc, tax) in &raw {
            let price = Decimal::new(*p, cur.1).to_string();
            app.add_line(
                quote,
                &values(
                    EntityKind::QuoteLine,
                    &[
                        ("description", "Item"),
                        ("quantity", &n.to_string()),
                        ("unit_price", &price),
                        ("discount_pct", &dsc.to_string()),
                        ("tax_pct", &tax.to_string()),
                    ],
                ),
                None,
            )
            .expect("line");
        }
        let s = editing(&app, quote, (120, 40));
        let screen = s.screen();
        let json = app.quote_json(quote).expect("json");
        let grand = json["totals"]["grand_total"].as_str().expect("grand total").to_string();
        proptest::prop_assert_eq!(shown_total(&s).to_string(), grand.clone());
        let want = format!("{grand} {}", cur.0);
        proptest::prop_assert!(screen.contains(&want), "{} not on\n{}", want, screen);
        for t in json["totals"]["taxes"].as_array().expect("taxes") {
            let tax = t["tax"].as_str().expect("tax");
            proptest::prop_assert!(screen.contains(tax), "tax {} not on\n{}", tax, screen);
        }
        for l in json["lines"].as_array().expect("lines") {
            let net = l["net"].as_str().expect("net");
            proptest::prop_assert!(screen.contains(net), "net {} not on\n{}", net, screen);
        }
    }
}
