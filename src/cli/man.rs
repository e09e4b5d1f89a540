//! Man pages generated from the clap definitions: `outpost.1` and one page per
//! subcommand (`outpost-account.1`, `outpost-account-add.1`, ...).

use clap::CommandFactory;

/// (file name, roff text) of every page.
pub fn pages() -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let mut cmd = super::Cli::command();
    cmd.build();
    let mut out = Vec::new();
    collect(&cmd, "outpost", &mut out)?;
    Ok(out)
}

fn collect(cmd: &clap::Command, name: &str, out: &mut Vec<(String, Vec<u8>)>) -> anyhow::Result<()> {
    if cmd.is_hide_set() {
        return Ok(());
    }
    let page = cmd.clone().name(name.to_string()).bin_name(name.replace('-', " "));
    let mut buf = Vec::new();
    clap_mangen::Man::new(page).render(&mut buf)?;
    out.push((format!("{name}.1"), buf));
    for sub in cmd.get_subcommands() {
        if sub.get_name() != "help" {
            collect(sub, &format!("{name}-{}", sub.get_name()), out)?;
        }
    }
    Ok(())
}
