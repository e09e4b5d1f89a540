//! The read-side queries the front ends call instead of the store: counts, live records,
//! a record's live children, the title index.

use outpost::app::App;
use outpost::model::EntityKind;

fn demo() -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = App::open(dir.path()).expect("open");
    app.demo(7, 40).expect("demo");
    (dir, app)
}

#[test]
fn live_count_children_and_titles_agree_with_each_other() {
    let (_dir, app) = demo();
    let contacts: Vec<_> = app.live(EntityKind::Contact).map(|r| r.expect("live").0).collect();
    assert_eq!(contacts.len(), app.count(EntityKind::Contact));
    assert!(!contacts.is_empty());

    // Every live contact is a child of its account, and of no other account.
    let mut seen = 0;
    for item in app.live(EntityKind::Account) {
        let (account, _) = item.expect("account");
        let kids = app.children(account, EntityKind::Contact).expect("children");
        let ids: Vec<_> = kids.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, {
            let mut v = app.children_ids(account, EntityKind::Contact).expect("ids");
            v.sort();
            v
        });
        for (id, s) in &kids {
            assert!(!s.deleted);
            assert_eq!(s.text("account_id"), account.to_string(), "{id}");
        }
        seen += kids.len();
    }
    assert_eq!(seen, contacts.len());

    // The title index names every live record once, by its folded title.
    let titles = app.titles(EntityKind::Contact).expect("titles");
    assert_eq!(titles.len(), contacts.len());
    for (title, id) in titles.iter().take(10) {
        assert_eq!(&app.title(EntityKind::Contact, *id).to_lowercase(), title);
    }
}

#[test]
fn a_trashed_child_is_not_listed() {
    let (_dir, app) = demo();
    let (account, _) = app.live(EntityKind::Account).next().expect("an account").expect("read");
    let (gone, _) = app
        .children(account, EntityKind::Contact)
        .expect("children")
        .into_iter()
        .next()
        .expect("a contact");
    app.remove(EntityKind::Contact, gone, true).expect("remove");
    let left = app.children(account, EntityKind::Contact).expect("children");
    assert!(left.iter().all(|(id, _)| *id != gone));
    assert!(
        app.record(EntityKind::Contact, gone)
            .expect("read")
            .expect("kept")
            .deleted
    );
    assert!(
        app.titles(EntityKind::Contact)
            .expect("titles")
            .iter()
            .all(|(_, id)| *id != gone)
    );
}

#[test]
fn search_covers_the_registrys_search_fields_not_names_only() {
    use outpost::app::queries::ListQuery;
    use outpost::app::search;
    let (_dir, app) = demo();
    let (pid, product) = app.live(EntityKind::Product).next().expect("a product").expect("read");
    let (cid, contact) = app.live(EntityKind::Contact).next().expect("a contact").expect("read");
    let phone = contact.fields["phones"][0].as_str().expect("phone").to_string();
    let email = contact.fields["emails"][0].as_str().expect("e-mail").to_string();
    let index = app
        .search_index(&[EntityKind::Product, EntityKind::Contact], &mut |_, _| {})
        .expect("index");
    for (query, want) in [
        (format!("'{}", product.text("sku")), (EntityKind::Product, pid)),
        (format!("'{phone}"), (EntityKind::Contact, cid)),
        (format!("'{email}"), (EntityKind::Contact, cid)),
    ] {
        let mut f = search::Filter::default();
        f.set_query(&query, &index.hay, &index.base);
        let found: Vec<_> = f.ranked().iter().map(|i| index.items[*i as usize]).collect();
        assert!(found.contains(&want), "{query}: {found:?}");
        // list -s finds it too.
        let listed = app
            .list(
                want.0,
                &ListQuery {
                    search: Some(query.clone()),
                    ..Default::default()
                },
            )
            .expect("list");
        assert!(listed.iter().any(|r| r["id"] == want.1.to_string()), "{query}");
    }
}
