//! TUI figures on a big store (`outpost demo --scale 100000`), printed, not asserted:
//! time to first frame (open the store, build the state, draw into a TestBackend), the
//! background loads, and one keystroke of fuzzy filtering over 100k contacts with
//! nucleo-matcher (used) beside fuzzy-matcher's skim matcher (measured for comparison),
//! and the global search typed into its popup: each keystroke (drawn) and its results
//! (scored on the worker).
//!
//! `cargo bench --bench tui` uses `$OUTPOST_BENCH_STORE` (default
//! /tmp/outpost-bench-100k) and fills it with the demo first when it is empty (about a
//! minute).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;
use outpost::app::App;
use outpost::model::EntityKind;
use outpost::tui::clock::Zone;
use outpost::tui::event::Event;
use outpost::tui::harness::Harness;
use outpost::tui::jobs::{self, Job, Ticket};
use outpost::tui::keymap::Keymap;
use outpost::tui::state::{Options, State, ViewId};
use outpost::tui::theme::Theme;
use outpost::tui::{filter, ui, update};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

// The allocator the `outpost` binary uses (src/main.rs), so the figures are the TUI's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn options() -> Options {
    Options {
        zone: Zone::Local,
        keymap: Keymap::builtin().expect("keymap"),
        theme: Theme::builtin("dark", false),
        no_color: false,
        size: (120, 40),
    }
}

fn draw(st: &State) {
    let mut term = Terminal::new(TestBackend::new(st.size.0, st.size.1)).expect("backend");
    term.draw(|f| ui::draw(st, f.area(), f.buffer_mut())).expect("draw");
}

fn main() {
    let dir: PathBuf =
        std::env::var_os("OUTPOST_BENCH_STORE").map_or_else(|| "/tmp/outpost-bench-100k".into(), PathBuf::from);
    {
        let app = App::open(&dir).expect("open");
        if app.count(EntityKind::Contact) == 0 {
            eprintln!(
                "filling {} with the demo at 100,000 contacts (about a minute)…",
                dir.display()
            );
            app.demo(1, 100_000).expect("demo");
            // As `outpost demo` does after writing (`App::settle`).
            drop(app);
            App::settle(&dir).expect("settle");
        }
    }

    // First frame: what `outpost` does before the first draw. Loading is handed to
    // worker threads there; the frame shows placeholders until it lands.
    let t0 = Instant::now();
    let app = Arc::new(App::open(&dir).expect("open"));
    let opened = t0.elapsed();
    let mut st = State::new(app.clone(), options());
    draw(&st);
    let first = t0.elapsed();
    println!(
        "store: {} contacts, {} opportunities, {} activities",
        app.count(EntityKind::Contact),
        app.count(EntityKind::Opportunity),
        app.count(EntityKind::Activity)
    );
    println!(
        "first frame (open store + state + draw 120x40): {} (open alone {})",
        ms(first),
        ms(opened)
    );

    // The background loads, timed one by one, with the contacts list shown: rows that
    // arrive for a list the user has left are not kept (`update::loaded`).
    st.view = ViewId::List(EntityKind::Contact);
    for job in [
        Job::Dashboard,
        Job::Deals,
        Job::ListHead(EntityKind::Contact),
        Job::List(EntityKind::Contact),
        Job::Titles,
    ] {
        let t = Instant::now();
        let result = jobs::run(&app, &st.clock, &job, &mut |_, _| {}).map_err(|e| e.to_string());
        let took = t.elapsed();
        if let Err(e) = &result {
            panic!("{}: {e}", job.label());
        }
        let ticket = Ticket {
            job: job.clone(),
            generation: st.started,
        };
        st.started += 1;
        update::handle_event(&mut st, Event::Loaded(ticket, result));
        println!("background load {:<32} {}", job.label(), ms(took));
    }
    st.view = ViewId::Dashboard;
    let t = Instant::now();
    draw(&st);
    println!("dashboard frame with data: {}", ms(t.elapsed()));

    // Keystrokes in the contacts filter.
    st.view = ViewId::List(EntityKind::Contact);
    let t = Instant::now();
    draw(&st);
    println!("contacts list frame (100k rows loaded): {}", ms(t.elapsed()));
    {
        let data = st
            .list(EntityKind::Contact)
            .and_then(|l| l.data.as_ref())
            .expect("rows");
        let ascii = data.hay.ascii();
        println!("contact haystacks: {} of {} ASCII after folding", ascii, data.hay.len());
    }
    let mut worst = Duration::ZERO;
    let mut query = String::new();
    for c in "anna m".chars() {
        query.push(c);
        let list = st.list_mut(EntityKind::Contact).expect("list");
        let t = Instant::now();
        list.set_query(&query);
        let took = t.elapsed();
        let n = list.visible().len();
        let t2 = Instant::now();
        draw(&st);
        let frame = t2.elapsed();
        worst = worst.max(took);
        println!(
            "nucleo keystroke '{query}': {} ({n} matches) + frame {}",
            ms(took),
            ms(frame)
        );
    }
    for q in ["m", "zz", "berlin", "+4930", "iberia"] {
        let list = st.list_mut(EntityKind::Contact).expect("list");
        list.set_query("");
        let t = Instant::now();
        list.set_query(q);
        let took = t.elapsed();
        worst = worst.max(took);
        println!(
            "nucleo first keystroke(s) '{q}' from scratch: {} ({} matches)",
            ms(took),
            list.visible().len()
        );
    }
    println!("nucleo worst keystroke: {} (target < 16 ms)", ms(worst));

    // The same rows with fuzzy-matcher, for the record.
    let texts: Vec<String> = app
        .live(EntityKind::Contact)
        .map(|r| {
            let (_, s) = r.expect("contact");
            let mut names = outpost::app::view::Names::default();
            filter::fold(&outpost::app::search::text_from(
                &app,
                EntityKind::Contact,
                &s.fields,
                &mut names,
            ))
        })
        .collect();
    let skim = SkimMatcherV2::default();
    for q in ["a", "an", "anna", "anna m"] {
        let t = Instant::now();
        let mut scored: Vec<(i64, usize)> = texts
            .iter()
            .enumerate()
            .filter_map(|(i, h)| skim.fuzzy_match(h, q).map(|s| (s, i)))
            .collect();
        scored.sort_unstable_by_key(|s| std::cmp::Reverse(s.0));
        println!(
            "fuzzy-matcher (skim) '{q}' over all rows: {} ({} matches)",
            ms(t.elapsed()),
            scored.len()
        );
    }

    // Global search over every record's search fields, typed into the popup: the
    // keystroke (the input echoed and drawn, the query handed to a worker) and its
    // results (the query scored and the best 200 named, on the worker).
    let mut h = Harness::with_options(app.clone(), options());
    let t = Instant::now();
    h.keys("s");
    let Some(outpost::tui::popups::Popup::Search(popup)) = h.state.popups.last() else {
        panic!("the search popup is open")
    };
    println!(
        "search index: {} records in {}",
        popup
            .searcher
            .as_ref()
            .map_or(0, outpost::tui::load::search::Searcher::len),
        ms(t.elapsed())
    );
    for c in ['n', 'o', 'r', 'd'] {
        let t = Instant::now();
        update::handle_event(&mut h.state, Event::Key(outpost::tui::keys::KeyPress::char(c)));
        draw(&h.state);
        let keystroke = t.elapsed();
        for ticket in h.state.take_jobs() {
            let result = h.run(&ticket);
            h.deliver(ticket, result);
        }
        let Some(outpost::tui::popups::Popup::Search(popup)) = h.state.popups.last() else {
            panic!("the search popup is open")
        };
        println!(
            "search keystroke '{}': {} drawn, results in {} ({} matches, best 200 named)",
            popup.input.text(),
            ms(keystroke),
            ms(t.elapsed()),
            popup.total()
        );
    }

    // Typing through the harness end to end (key routing included).
    let mut h = Harness::with_options(
        app,
        Options {
            size: (120, 40),
            ..options()
        },
    );
    h.keys("4");
    let t = Instant::now();
    h.keys("/ a");
    println!(
        "harness: '/' then 'a' on 100k contacts incl. routing: {}",
        ms(t.elapsed())
    );
}
