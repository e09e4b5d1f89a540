//! Every command that writes to stdout ends quietly when the reader goes away
//! (`outpost conflicts list | head -1`): no panic, no backtrace, the same exit code as
//! with a reader that reads everything.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::Env;

/// How the reader leaves.
#[derive(Clone, Copy, Debug)]
enum Reader {
    /// Reads one line, then closes the pipe.
    OneLine,
    /// Closes the pipe before the command writes anything.
    Gone,
}

/// Runs `cmd` with its stdout into a pipe the reader closes early; returns the exit code
/// and stderr.
fn run_closed(mut cmd: Command, reader: Reader) -> (Option<i32>, String) {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn outpost");
    let stdout = child.stdout.take().expect("stdout");
    if let Reader::OneLine = reader {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
    } else {
        drop(stdout);
    }
    let out = child.wait_with_output().expect("wait");
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn every_listing_export_and_show_command_survives_a_closed_pipe() {
    let env = Env::new();
    env.ok(&["demo"]);
    // Something in the trash, so `trash list` has rows.
    let trashed = env.add(&["account", "add", "--name", "Gone Soon GmbH"]);
    env.ok(&["account", "rm", &trashed]);

    let mut commands: Vec<Vec<String>> = Vec::new();
    let mut push = |args: &[&str]| commands.push(args.iter().map(ToString::to_string).collect());
    let formats = ["table", "json", "ndjson", "csv"];
    for entity in [
        "account", "contact", "lead", "opp", "product", "quote", "activity", "event", "user",
    ] {
        let first = env.json(&[entity, "list", "--limit", "1"]);
        let id = first[0]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("a {entity}"))
            .to_string();
        for format in formats {
            push(&[entity, "list", "--format", format]);
            push(&[entity, "show", &id, "--format", format]);
        }
        push(&[entity, "--help"]);
    }
    for plural in [
        "accounts",
        "contacts",
        "leads",
        "opps",
        "products",
        "quotes",
        "quote_lines",
        "activities",
        "events",
        "users",
    ] {
        for format in formats {
            push(&["export", plural, "--format", format]);
        }
    }
    let quote = env.json(&["quote", "list", "--limit", "1"])[0]["id"]
        .as_str()
        .expect("a quote")
        .to_string();
    for format in formats {
        push(&["conflicts", "list", "--all", "--format", format]);
        push(&["trash", "list", "--format", format]);
        push(&["sync", "status", "--format", format]);
        push(&["quote", "lines", &quote, "--format", format]);
        for report in ["forecast", "pipeline", "funnel", "rfm", "cross-sell", "activity"] {
            push(&["report", report, "--format", format]);
        }
    }
    push(&["conflicts", "list"]);
    push(&["check"]);
    push(&["completions", "bash"]);
    push(&["completions", "zsh"]);
    push(&["--help"]);
    push(&["help", "import"]);
    push(&["--version"]);

    let mut failures = Vec::new();
    for args in &commands {
        let full = env.cmd().args(args).output().expect("run");
        let expected = full.status.code();
        for reader in [Reader::OneLine, Reader::Gone] {
            let mut cmd = env.cmd();
            cmd.args(args);
            let (code, stderr) = run_closed(cmd, reader);
            if code != expected || stderr.contains("panicked") || stderr.contains("Broken pipe") {
                failures.push(format!(
                    "outpost {} ({reader:?}): exit {code:?} (with a full reader {expected:?}), stderr: {stderr}",
                    args.join(" ")
                ));
            }
        }
        assert_eq!(expected, Some(0), "outpost {} fails even with a reader", args.join(" "));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
