//! `outpost serve`: run the sync server.

use std::io::Write;
use std::path::Path;

use clap::Args;

use crate::server::{self, Storage};

/// `outpost serve`.
#[derive(Args, Debug)]
#[command(after_help = "Examples:
  outpost serve --listen 0.0.0.0:8780 --data-dir /var/lib/outpost
  outpost serve --database postgres://outpost@db/outpost   (several servers may share it)

The first line on stdout is `listening on http://ADDR`. Stop with Ctrl-C or SIGTERM.")]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8780", value_name = "ADDR")]
    pub listen: String,
    /// PostgreSQL URL; without it the server keeps its data (sled) in --data-dir.
    #[arg(long, env = "OUTPOST_DATABASE", value_name = "URL")]
    pub database: Option<String>,
    /// Refuse changes whose clock is more than this ahead of the server's (e.g. 1d, 36h,
    /// 90m): a laptop with a wrong clock must not move everyone's clocks.
    #[arg(long, default_value = "1d", value_name = "DURATION", value_parser = crate::model::clock::parse_duration_ms)]
    pub max_clock_skew: u64,
    /// Pipeline stages accepted on opportunities, comma-separated (the `stages` of the
    /// laptops' config.toml); `any` accepts any non-empty stage. Default: the built-in
    /// stages (Prospecting, Qualification, Needs Analysis, Proposal, Negotiation,
    /// Closed Won, Closed Lost).
    #[arg(long, value_name = "LIST")]
    pub stages: Option<String>,
}

/// Runs the server until Ctrl-C or SIGTERM.
pub fn run(args: &ServeArgs, data_dir: &Path) -> anyhow::Result<()> {
    let storage = Storage::choose(args.database.as_deref(), data_dir);
    server::engine::set_max_clock_skew(args.max_clock_skew);
    match args.stages.as_deref().map(str::trim) {
        None => {}
        Some("any") => server::engine::set_stages(None),
        Some(list) => {
            let names: Vec<String> = list
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            if names.is_empty() {
                anyhow::bail!("--stages: give stage names separated by commas, or `any`");
            }
            server::engine::set_stages(Some(names));
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}; pick another --listen address", args.listen))?;
        let described = storage.describe();
        server::serve(&storage, listener, shutdown_signal(), |addr, id| {
            println!("listening on http://{addr}");
            let _ = std::io::stdout().flush();
            eprintln!("outpost serve: server {id}, {described}");
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    eprintln!("outpost serve: stopping");
}

#[cfg(test)]
mod tests {
    #[test]
    fn storage_defaults_to_sled_in_the_data_dir() {
        let s = crate::server::Storage::choose(None, std::path::Path::new("/x"));
        assert_eq!(s, crate::server::Storage::Sled("/x".into()));
    }
}
