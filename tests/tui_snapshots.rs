//! Screen tests: every view drawn on a TestBackend at 80x24 and 120x40 from the demo
//! data at a fixed clock, compared with tests/snapshots/*.txt (UPDATE_SNAPSHOTS=1
//! rewrites them).

mod tui_support;
use tui_support as common;

use std::sync::{Arc, OnceLock};

use outpost::app::App;
use outpost::tui::harness::Harness;

fn app() -> Arc<App> {
    static APP: OnceLock<(tempfile::TempDir, Arc<App>)> = OnceLock::new();
    APP.get_or_init(common::demo_app).1.clone()
}

/// Opens a session at each size, presses `keys`, and checks the screen.
fn check(name: &str, keys: &str) {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut s = Harness::new(app(), common::ZONE, (w, h));
        s.keys(keys);
        common::assert_snapshot(&format!("{name}-{w}x{h}"), &common::mask(&s.screen()));
    }
}

#[test]
fn dashboard() {
    check("dashboard", "");
}

#[test]
fn pipeline_board() {
    check("pipeline", "2");
}

#[test]
fn pipeline_board_filtered_by_owner_and_period() {
    check("pipeline-filtered", "2 o p");
}

#[test]
fn accounts_list() {
    check("accounts", "3");
}

#[test]
fn contacts_list_filtered() {
    check("contacts-filtered", "4 / m u l l e r enter");
}

#[test]
fn leads_list() {
    check("leads", "5");
}

#[test]
fn opportunities_list_sorted_by_amount_descending() {
    check("opportunities-by-amount", "6 S S S S R");
}

#[test]
fn quotes_list() {
    check("quotes", "7");
}

#[test]
fn activities_list() {
    check("activities", "8");
}

#[test]
fn calendar_agenda() {
    check("calendar-agenda", "9");
}

#[test]
fn calendar_week() {
    check("calendar-week", "9 w");
}

#[test]
fn account_detail_with_tabs() {
    check("account-detail", "3 enter ]");
}

#[test]
fn opportunity_detail_timeline() {
    check("opportunity-detail", "2 enter");
}

#[test]
fn help_overlay() {
    check("help", "?");
}

#[test]
fn command_palette() {
    check("palette", ": p i p e");
}

#[test]
fn global_search() {
    check("search", "s n o r d");
}

#[test]
fn new_account_form_with_inline_errors() {
    check("form-errors", "3 n tab t a b ctrl-s");
}

#[test]
fn form_asking_to_discard_changes() {
    check("form-discard", "3 n A c m e esc");
}

#[test]
fn log_call_form() {
    check("log-call", "4 c");
}

#[test]
fn too_small() {
    let mut s = Harness::new(app(), common::ZONE, (60, 20));
    s.keys("2");
    common::assert_snapshot("too-small-60x20", &s.screen());
}

/// A demo store with four conflicts pulled in (see `tui_support::pull_conflicts`).
fn app_with_conflicts() -> Arc<App> {
    static APP: OnceLock<(tempfile::TempDir, Arc<App>)> = OnceLock::new();
    APP.get_or_init(|| {
        let (dir, app) = common::demo_app();
        common::pull_conflicts(&app);
        (dir, app)
    })
    .1
    .clone()
}

fn check_on(app: &Arc<App>, name: &str, keys: &str) {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut s = Harness::new(app.clone(), common::ZONE, (w, h));
        s.keys(keys);
        common::assert_snapshot(&format!("{name}-{w}x{h}"), &common::mask(&s.screen()));
    }
}

#[test]
fn conflicts_inbox_empty() {
    check("conflicts-empty", "0");
}

#[test]
fn conflicts_inbox() {
    check_on(&app_with_conflicts(), "conflicts", "0 j j j");
}

#[test]
fn conflicts_inbox_value_form() {
    check_on(&app_with_conflicts(), "conflicts-value", "0 j e");
}

#[test]
fn dashboard_with_open_conflicts() {
    check_on(&app_with_conflicts(), "dashboard-conflicts", "");
}

#[test]
fn reports_forecast_chart() {
    check("reports-forecast", "r");
}

#[test]
fn reports_funnel_chart() {
    check("reports-funnel", "r ]");
}

#[test]
fn reports_win_rate_sparkline() {
    check("reports-winrate", "r ] ] ]");
}

#[test]
fn reports_stale_deals() {
    check("reports-stale", "r l l l l l j");
}

#[test]
fn reports_records_behind_a_row() {
    check("reports-drill", "r ] ] enter");
}

/// A demo store with a deal whose name and account are longer than any card: it closes
/// soonest, so it is the first card of Prospecting.
fn app_with_long_names() -> Arc<App> {
    static APP: OnceLock<(tempfile::TempDir, Arc<App>)> = OnceLock::new();
    APP.get_or_init(|| {
        let (dir, app) = common::demo_app();
        let spec = |k, f| outpost::app::ops::spec_of(k, f);
        use outpost::model::EntityKind::{Account, Opportunity};
        let acc = app
            .create(
                Account,
                &vec![(
                    spec(Account, "name"),
                    vec!["Iberian Foods Distribución Mayorista S.L.".into()],
                )],
            )
            .expect("account");
        app.create(
            Opportunity,
            &vec![
                (
                    spec(Opportunity, "name"),
                    vec!["Upgrade – December 2026 multi-site rollout".into()],
                ),
                (spec(Opportunity, "account_id"), vec![acc.to_string()]),
                (spec(Opportunity, "amount"), vec!["42000".into()]),
                (spec(Opportunity, "close_date"), vec!["2026-03-11".into()]),
            ],
        )
        .expect("deal");
        (dir, app)
    })
    .1
    .clone()
}

#[test]
fn pipeline_board_with_long_names() {
    check_on(&app_with_long_names(), "pipeline-long-names", "2");
}

#[test]
fn pipeline_board_scrolled_right_with_closed_stages_shown() {
    check_on(&app_with_long_names(), "pipeline-scrolled", "2 z l l l l l");
}
