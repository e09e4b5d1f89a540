//! Territories through the real binary: add/list/show/edit/rm, `territory assign` (most
//! specific rule wins, dry run, a match-less account keeps its territory), `account
//! --territory`, the account's `territory_name`, export/import, and sync between two
//! laptops through a real server.

mod common;
mod sync_support;

use common::{Env, s};
use serde_json::Value;

/// `KIND show REF` as one JSON object.
fn show(env: &Env, kind: &str, name: &str) -> Value {
    match env.json(&[kind, "show", name]) {
        Value::Array(mut a) if a.len() == 1 => a.remove(0),
        other => panic!("show gave {other}"),
    }
}

fn account(env: &Env, name: &str) -> Value {
    show(env, "account", name)
}

#[test]
fn territories_are_added_listed_shown_edited_and_removed() {
    let env = Env::new();
    let dach = env.add(&["territory", "add", "--name", "DACH", "--countries", "de,Austria,CH"]);
    env.add(&[
        "territory",
        "add",
        "--name",
        "Munich",
        "--parent",
        "DACH",
        "--postcodes",
        "80, 81",
        "--member",
        "anna",
        "--member",
        "ben",
        "--industries",
        "Retail",
    ]);
    let t = show(&env, "territory", "Munich");
    assert_eq!(t["parent_id"], dach.as_str());
    assert_eq!(t["parent_name"], "DACH");
    assert_eq!(t["postcodes"], serde_json::json!(["80", "81"]));
    assert_eq!(t["members"], serde_json::json!(["anna", "ben"]));
    assert_eq!(t["industries"], serde_json::json!(["Retail"]));
    assert_eq!(
        show(&env, "territory", "DACH")["countries"],
        serde_json::json!(["DE", "AT", "CH"])
    );
    let list = env.ok(&["territory", "list"]);
    assert!(list.lines().next().unwrap_or_default().starts_with("ID"), "{list}");
    assert!(list.contains("Munich") && list.contains("DACH"), "{list}");
    // `show` lists sub-territories under their parent.
    let shown = env.ok(&["territory", "show", "DACH"]);
    assert!(shown.contains("Territories (1)") && shown.contains("Munich"), "{shown}");

    env.ok(&["territory", "edit", "Munich", "--name", "München"]);
    assert_eq!(show(&env, "territory", "München")["name"], "München");
    // Bad input: an unknown country, a login with spaces, a loop in the tree.
    let err = env.fails(&["territory", "add", "--name", "X", "--countries", "Atlantis"], 3);
    assert!(err.contains("countries") && err.contains("Atlantis"), "{err}");
    let err = env.fails(&["territory", "add", "--name", "X", "--member", "Sara L"], 3);
    assert!(err.contains("members"), "{err}");
    let err = env.fails(&["territory", "edit", "DACH", "--parent", "München"], 3);
    assert!(err.contains("parent"), "{err}");
    env.fails(&["territory", "show", "Nowhere"], 4);

    env.ok(&["territory", "rm", "München"]);
    assert!(!env.ok(&["territory", "list"]).contains("München"));
    let trash = env.ok(&["trash", "list"]);
    assert!(trash.contains("München"), "{trash}");
}

#[test]
fn assign_picks_the_most_specific_rule_and_dry_run_writes_nothing() {
    let env = Env::new();
    env.add(&["territory", "add", "--name", "DACH", "--countries", "DE,AT"]);
    env.add(&[
        "territory",
        "add",
        "--name",
        "Bavaria",
        "--parent",
        "DACH",
        "--countries",
        "DE",
        "--postcodes",
        "8",
    ]);
    env.add(&[
        "territory",
        "add",
        "--name",
        "Munich",
        "--parent",
        "Bavaria",
        "--postcodes",
        "80,81",
    ]);
    env.add(&["territory", "add", "--name", "Retail", "--industries", "Retail"]);
    // Same rule as DACH but deeper in the tree: wins the tie.
    env.add(&[
        "territory",
        "add",
        "--name",
        "Austria",
        "--parent",
        "DACH",
        "--countries",
        "AT",
    ]);
    env.add(&[
        "territory",
        "add",
        "--name",
        "Hand",
        "--countries",
        "JP",
        "--industries",
        "Mining",
    ]);

    env.add(&[
        "account",
        "add",
        "--name",
        "Munich Shop",
        "--country",
        "DE",
        "--postcode",
        "80331",
        "--industry",
        "Retail",
    ]);
    env.add(&[
        "account",
        "add",
        "--name",
        "Augsburg AG",
        "--country",
        "Germany",
        "--postcode",
        "86150",
    ]);
    env.add(&[
        "account",
        "add",
        "--name",
        "Berlin GmbH",
        "--country",
        "DE",
        "--postcode",
        "10115",
    ]);
    env.add(&["account", "add", "--name", "Wien AG", "--country", "AT"]);
    env.add(&[
        "account",
        "add",
        "--name",
        "Paris Retail",
        "--country",
        "FR",
        "--industry",
        "retail",
    ]);
    // A hand-set territory no rule matches stays.
    env.add(&[
        "account",
        "add",
        "--name",
        "Tokyo KK",
        "--country",
        "US",
        "--territory",
        "Hand",
    ]);
    assert_eq!(account(&env, "Tokyo KK")["territory_name"], "Hand");

    let dry = env.ok(&["territory", "assign", "--dry-run"]);
    assert!(dry.contains("Munich Shop: (none) -> Munich"), "{dry}");
    assert!(dry.contains("Augsburg AG: (none) -> Bavaria"), "{dry}");
    assert!(dry.contains("Berlin GmbH: (none) -> DACH"), "{dry}");
    assert!(dry.contains("Wien AG: (none) -> Austria"), "{dry}");
    assert!(dry.contains("Paris Retail: (none) -> Retail"), "{dry}");
    assert!(!dry.contains("Tokyo"), "{dry}");
    assert!(dry.contains("5 accounts would change (dry run"), "{dry}");
    assert_eq!(account(&env, "Munich Shop")["territory_id"], Value::Null);

    let done = env.ok(&["territory", "assign"]);
    assert!(done.contains("5 accounts changed"), "{done}");
    let m = account(&env, "Munich Shop");
    assert_eq!(m["territory_name"], "Munich");
    assert_eq!(account(&env, "Tokyo KK")["territory_name"], "Hand");
    // Again: nothing left to change.
    assert!(env.ok(&["territory", "assign"]).contains("0 accounts changed"));

    // A hand-set territory a rule contradicts is changed, and says from what.
    env.ok(&["account", "edit", "Berlin GmbH", "--territory", "Retail"]);
    let again = env.json(&["territory", "assign"]);
    assert_eq!(again["account_name"], "Berlin GmbH");
    assert_eq!(again["old_territory_name"], "Retail");
    assert_eq!(again["territory_name"], "DACH");
}

#[test]
fn territories_and_account_territories_survive_export_and_import() {
    let env = Env::new();
    env.add(&[
        "territory",
        "add",
        "--name",
        "DACH",
        "--countries",
        "DE,AT",
        "--member",
        "anna",
    ]);
    env.add(&[
        "account",
        "add",
        "--name",
        "Acme",
        "--country",
        "DE",
        "--postcode",
        "80331",
        "--territory",
        "DACH",
    ]);
    let territories = env.ok(&["export", "territories", "--format", "csv"]);
    assert!(
        territories.starts_with("id,name,parent_id,parent_name,members,countries"),
        "{territories}"
    );
    let accounts = env.ok(&["export", "accounts", "--format", "csv"]);
    assert!(accounts.contains("territory_id,territory_name"), "{accounts}");
    assert!(accounts.contains(",DACH,"), "{accounts}");
    let t = env.write("territories.csv", &territories);
    let a = env.write("accounts.csv", &accounts);

    let other = Env::new();
    other.ok(&["import", "territories", s(&t)]);
    other.ok(&["import", "accounts", s(&a)]);
    let acme = show(&other, "account", "Acme");
    assert_eq!(acme["territory_name"], "DACH");
    assert_eq!(acme["postcode"], "80331");
    assert_eq!(
        show(&other, "territory", "DACH")["countries"],
        serde_json::json!(["DE", "AT"])
    );
    // Importing the same file again matches by id (and by name): nothing new.
    other.ok(&["import", "territories", s(&t)]);
    let listed = other.json(&["territory", "list"]);
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    // Without ids a territory matches by its natural key, the name.
    let by_name = other.write("by-name.csv", "name,countries\nDACH,DE;AT;CH\n");
    other.ok(&["import", "territories", s(&by_name)]);
    assert_eq!(
        show(&other, "territory", "DACH")["countries"],
        serde_json::json!(["DE", "AT", "CH"])
    );
}

#[test]
fn a_territory_syncs_between_two_laptops() {
    let t = sync_support::temp();
    let server = sync_support::ServerProc::start(&t.path().join("server"), "127.0.0.1:0", None);
    let (ta, tb) = (server.add_user("anna", "manager"), server.add_user("ben", "manager"));
    let anna = sync_support::Laptop::new(&t, "anna");
    let ben = sync_support::Laptop::new(&t, "ben");
    anna.login(&server.url, &ta);
    ben.login(&server.url, &tb);
    anna.ok(&[
        "territory",
        "add",
        "--name",
        "Nordics",
        "--countries",
        "SE,NO",
        "--member",
        "anna",
    ]);
    anna.ok(&["account", "add", "--name", "Volvo AB", "--country", "SE"]);
    anna.ok(&["territory", "assign"]);
    anna.sync();
    ben.sync();
    let territories = ben.records("territories");
    assert_eq!(territories.len(), 1, "{territories:?}");
    assert_eq!(territories[0]["countries"], serde_json::json!(["SE", "NO"]));
    let accounts = ben.records("accounts");
    assert_eq!(accounts[0]["territory_name"], "Nordics");
    // An edit on ben's side comes back to anna.
    ben.ok(&["territory", "edit", "Nordics", "--countries", "SE,NO,FI"]);
    ben.sync();
    anna.sync();
    assert_eq!(
        anna.records("territories")[0]["countries"],
        serde_json::json!(["SE", "NO", "FI"])
    );
}
