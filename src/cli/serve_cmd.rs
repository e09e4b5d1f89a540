//! `outpost serve`: run the sync server.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use crate::server::tls::TlsFiles;
use crate::server::{self, Limits, Storage, Transport};

/// `outpost serve`.
#[derive(Args, Debug)]
#[command(after_help = "Examples:
  outpost serve --listen 0.0.0.0:8780 --tls-cert /etc/outpost/cert.pem --tls-key /etc/outpost/key.pem
  outpost serve --database postgres://outpost@db/outpost   (several servers may share it)
  outpost serve   (plain HTTP on 127.0.0.1:8780, behind a TLS reverse proxy)

The first line on stdout is `listening on http://ADDR` (or https://). Stop with Ctrl-C or
SIGTERM. With --tls-cert, SIGHUP reads the certificate and key again (renewals): new
connections use the new pair; a pair that fails to load is reported and the old one kept.
Health: /v1/live (the process answers), /v1/ready and /v1/health (the storage answers, else 503).")]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8780", value_name = "ADDR")]
    pub listen: String,
    /// PostgreSQL URL; without it the server keeps its data (sled) in --data-dir.
    #[arg(long, env = "OUTPOST_DATABASE", value_name = "URL")]
    pub database: Option<String>,
    /// Serve HTTPS with this PEM certificate chain (server certificate first); needs --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Seconds a client has to send a request's headers (and to finish a TLS handshake);
    /// also closes idle connections.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600), value_name = "SECS")]
    pub header_timeout: u64,
    /// Seconds a client has to send a push body.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600), value_name = "SECS")]
    pub body_timeout: u64,
    /// Open connections at most; further ones are closed at once.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=1_000_000), value_name = "N")]
    pub max_connections: u64,
    /// Requests handled at once at most; further ones get 503 busy (clients retry).
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..=100_000), value_name = "N")]
    pub max_requests: u64,
    /// Push bodies read at once at most (each up to 8 MiB, so this bounds the memory held
    /// by request bodies); further pushes wait.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=1024), value_name = "N")]
    pub max_bodies: u64,
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

impl ServeArgs {
    fn limits(&self) -> Limits {
        let n = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
        Limits {
            header_timeout: Duration::from_secs(self.header_timeout),
            body_timeout: Duration::from_secs(self.body_timeout),
            max_connections: n(self.max_connections),
            max_requests: n(self.max_requests),
            max_bodies: n(self.max_bodies),
        }
    }
}

/// Runs the server until Ctrl-C or SIGTERM.
pub fn run(args: &ServeArgs, data_dir: &Path) -> anyhow::Result<()> {
    // A server applies pushes for its whole life, freeing and allocating sled's node
    // copies all the time: it keeps freed memory a little, as a restore does.
    let _churn = crate::tuning::churn(crate::tuning::Churn::Bulk);
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
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(Arc::new(
            TlsFiles::load(cert, key).map_err(|e| anyhow::anyhow!("cannot serve HTTPS: {e}"))?,
        )),
        _ => None,
    };
    let transport = Transport {
        limits: args.limits(),
        tls,
    };
    let scheme = transport.scheme();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}; pick another --listen address", args.listen))?;
        if let Some(tls) = transport.tls.clone() {
            tokio::spawn(reload_on_hangup(tls));
        }
        let described = storage.describe();
        server::serve(&storage, listener, &transport, shutdown_signal(), |addr, id| {
            println!("listening on {scheme}://{addr}");
            let _ = std::io::stdout().flush();
            eprintln!("outpost serve: server {id}, {described}");
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
    })
}

/// Reads the certificate and key again on each SIGHUP.
async fn reload_on_hangup(tls: Arc<TlsFiles>) {
    #[cfg(unix)]
    {
        let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else {
            return;
        };
        while hup.recv().await.is_some() {
            match tls.reload() {
                Ok(()) => eprintln!(
                    "outpost serve: reloaded the TLS certificate {}",
                    tls.cert_path().display()
                ),
                Err(e) => eprintln!("outpost serve: kept the previous TLS certificate: {e}"),
            }
        }
    }
    #[cfg(not(unix))]
    let _ = tls;
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
