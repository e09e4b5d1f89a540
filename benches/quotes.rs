//! Quote benchmarks; prints figures (run `cargo bench --bench quotes`).
//!
//! - totals of 10k quotes of 20 lines each through `model::totals::totals`
//! - a 200-line quote: `App::quote_doc` plus rendering it as PDF (krilla, WenQuanYi
//!   Micro Hei subset), HTML and Markdown, and opening and changing it in the TUI's
//!   quote editor

use std::time::Instant;

use outpost::app::App;
use outpost::app::ops::spec_of;
use outpost::model::EntityKind;
use outpost::model::totals::{LineIn, totals};
use rust_decimal::Decimal;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn time<T>(label: &str, f: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let out = f();
    println!("{label:<44} {:>8.3} s", started.elapsed().as_secs_f64());
    out
}

fn main() {
    let quotes: Vec<Vec<LineIn>> = (0..10_000i64)
        .map(|q| {
            (0..20i64)
                .map(|l| LineIn {
                    quantity: Decimal::from(1 + (q + l) % 50),
                    unit_price: Decimal::new(1999 + q * 7 + l * 13, 2),
                    discount_pct: Decimal::from((q + l) % 25),
                    tax_pct: [Decimal::ZERO, Decimal::from(7), Decimal::from(19)][usize::try_from(l % 3).unwrap_or(0)],
                })
                .collect()
        })
        .collect();
    let sum = time("totals of 10k quotes (20 lines each)", || {
        quotes
            .iter()
            .map(|ls| totals("EUR", ls, Decimal::from(3)).expect("totals").grand_total)
            .sum::<Decimal>()
    });
    println!("  (sum of grand totals {sum} EUR)");

    let dir = tempfile::tempdir().expect("temp dir");
    let app = App::open(dir.path()).expect("open");
    let v = |k: EntityKind, pairs: &[(&str, &str)]| -> outpost::app::ops::Values {
        pairs
            .iter()
            .map(|(f, x)| (spec_of(k, f), vec![(*x).to_string()]))
            .collect()
    };
    let acct = app
        .create(
            EntityKind::Account,
            &v(EntityKind::Account, &[("name", "Müller & Łódź 王小明 GmbH")]),
        )
        .expect("account");
    let opp = app
        .create(
            EntityKind::Opportunity,
            &v(
                EntityKind::Opportunity,
                &[("name", "Deal"), ("account_id", &acct.to_string()), ("amount", "1")],
            ),
        )
        .expect("opp");
    let q = app
        .create(
            EntityKind::Quote,
            &v(EntityKind::Quote, &[("opportunity_id", &opp.to_string())]),
        )
        .expect("quote");
    time("add 200 lines", || {
        for i in 0..200 {
            let line = v(
                EntityKind::QuoteLine,
                &[
                    (
                        "description",
                        &format!("Line {i}: Gateway Ωμέγα Жуков 王小明 with a longer description to wrap"),
                    ),
                    ("quantity", &format!("{}", 1 + i % 9)),
                    ("unit_price", "19.99"),
                    ("tax_pct", if i % 2 == 0 { "19" } else { "7" }),
                ],
            );
            app.add_line(q, &line, None).expect("line");
        }
    });
    for ext in ["pdf", "html", "md"] {
        let out = dir.path().join(format!("q.{ext}"));
        time(&format!("render the 200-line quote as {ext}"), || {
            app.render_quote(q, &out).expect("render")
        });
        println!("  ({} bytes)", std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0));
    }

    // The TUI's quote editor on the same quote: open (load + draw), then one quantity
    // change (the write, the reload of the document and totals, the draw).
    let app = std::sync::Arc::new(app);
    let mut s = outpost::tui::harness::Harness::new(app.clone(), chrono_tz::UTC, (120, 40));
    time("TUI: open the 200-line quote in the editor", || {
        outpost::tui::update::apply(&mut s.state, outpost::tui::effect::Effect::Open(EntityKind::Quote, q));
        s.settle();
        s.screen()
    });
    time("TUI: + on a line (write, reload, draw)", || {
        s.keys("+");
        s.screen()
    });
}
