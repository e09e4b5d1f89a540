//! The central sync server (`outpost serve`): axum over one storage trait, with a sled
//! backend (default, one process) and a PostgreSQL backend (many processes, one
//! database). Users and tokens are managed with `outpost server ...` (see `admin.rs`).

pub mod admin;
pub mod auth;
pub mod backend;
pub mod directory;
pub mod engine;
pub mod error;
pub mod feed;
pub mod listen;
pub mod openapi;
pub mod routes;
pub mod tls;

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use backend::{Backend, PgBackend, SledBackend};
use error::BackendError;
pub use listen::Limits;
use tls::TlsFiles;

/// How the server talks to clients: its limits, and TLS when it serves HTTPS.
#[derive(Clone, Default)]
pub struct Transport {
    /// Timeouts and caps.
    pub limits: Limits,
    /// The certificate and key when serving HTTPS.
    pub tls: Option<Arc<TlsFiles>>,
}

impl Transport {
    /// `https` or `http`.
    #[must_use]
    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() { "https" } else { "http" }
    }
}

/// Where the server keeps its data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Storage {
    /// sled in this directory (and `accounts.json` beside it).
    Sled(PathBuf),
    /// PostgreSQL at this URL.
    Postgres(String),
}

impl Storage {
    /// PostgreSQL when a URL is given, sled in `data_dir` otherwise.
    #[must_use]
    pub fn choose(database: Option<&str>, data_dir: &Path) -> Self {
        match database {
            Some(url) => Self::Postgres(url.to_string()),
            None => Self::Sled(data_dir.to_path_buf()),
        }
    }

    /// A short description for messages.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::Sled(dir) => format!("sled in {}", dir.display()),
            Self::Postgres(url) => format!("postgres at {}", redact(url)),
        }
    }
}

/// A URL without its password.
#[must_use]
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{}@{}", &url[..s + 3], user, &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

/// Serves `backend` on `listener` until `shutdown` completes.
pub async fn run<B: Backend>(
    backend: Arc<B>,
    listener: tokio::net::TcpListener,
    transport: &Transport,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = routes::router(backend, &transport.limits);
    listen::serve(app, listener, transport.tls.clone(), &transport.limits, shutdown).await
}

/// Opens the storage and serves it on `listener`; `ready` is told the bound address.
pub async fn serve(
    storage: &Storage,
    listener: tokio::net::TcpListener,
    transport: &Transport,
    shutdown: impl Future<Output = ()> + Send + 'static,
    ready: impl FnOnce(SocketAddr, &str),
) -> Result<(), BackendError> {
    let addr = listener.local_addr().map_err(BackendError::storage)?;
    match storage {
        Storage::Sled(dir) => {
            let b = Arc::new(SledBackend::open(dir)?);
            ready(addr, b.server_id_str());
            run(b, listener, transport, shutdown)
                .await
                .map_err(BackendError::storage)
        }
        Storage::Postgres(url) => {
            let b = Arc::new(PgBackend::connect(url).await?);
            ready(addr, backend::Changes::server_id(b.as_ref()));
            run(b, listener, transport, shutdown)
                .await
                .map_err(BackendError::storage)
        }
    }
}

impl SledBackend {
    fn server_id_str(&self) -> &str {
        backend::Changes::server_id(self)
    }
}

/// A server running on a background thread with its own runtime (tests, benchmarks,
/// the simulation). Dropping it stops the server.
pub struct Running {
    /// The address it listens on.
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    /// Starts a server for `storage` on `addr` (port 0 picks a free port).
    pub fn start(storage: Storage, addr: SocketAddr) -> Result<Self, BackendError> {
        Self::start_with(storage, addr, Limits::default())
    }

    /// Starts a server with these limits (plain HTTP).
    pub fn start_with(storage: Storage, addr: SocketAddr, limits: Limits) -> Result<Self, BackendError> {
        let transport = Transport { limits, tls: None };
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<SocketAddr, String>>();
        let thread = std::thread::spawn(move || {
            let rt = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(e.to_string()));
                    return;
                }
            };
            rt.block_on(async move {
                let listener = match tokio::net::TcpListener::bind(addr).await {
                    Ok(l) => l,
                    Err(e) => {
                        let _ = ready_tx.send(Err(format!("cannot listen on {addr}: {e}")));
                        return;
                    }
                };
                let tx = ready_tx.clone();
                let result = serve(
                    &storage,
                    listener,
                    &transport,
                    async move {
                        let _ = stop_rx.await;
                    },
                    move |a, _| {
                        let _ = tx.send(Ok(a));
                    },
                )
                .await;
                if let Err(e) = result {
                    let _ = ready_tx.send(Err(e.to_string()));
                }
            });
        });
        match ready_rx.recv() {
            Ok(Ok(addr)) => Ok(Self {
                addr,
                stop: Some(stop_tx),
                thread: Some(thread),
            }),
            Ok(Err(e)) => Err(BackendError::Storage(e)),
            Err(_) => Err(BackendError::storage("the server thread ended before it was ready")),
        }
    }

    /// The base URL (`http://127.0.0.1:PORT`).
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the server and waits until its storage is closed.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.halt();
    }
}
