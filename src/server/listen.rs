//! The connection loop: plain HTTP/1.1 or HTTPS (rustls) on one listener, with the
//! limits that keep a slow or greedy client from starving everyone else: a bound on
//! open connections, a deadline for the request head (and for the TLS handshake), and
//! (in `routes.rs`) deadlines and caps for request bodies and concurrent requests.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::sync::{Semaphore, watch};

use super::tls::TlsFiles;

/// Limits of the server; [`Limits::default`] is what `outpost serve` uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Time a client has to send a request head (request line and headers), counted
    /// from the connection (or the previous response); also bounds a TLS handshake
    /// and an idle keep-alive connection.
    pub header_timeout: Duration,
    /// Time a client has to send a request body, once its head arrived.
    pub body_timeout: Duration,
    /// Open connections at most; more are closed as soon as they are accepted.
    pub max_connections: usize,
    /// Requests handled at once at most; more are answered `503 busy` (retry later).
    pub max_requests: usize,
    /// Push bodies read at once at most; each is at most `MAX_BODY_BYTES` (8 MiB), so
    /// request bodies hold at most this many times 8 MiB. Others wait (within the body
    /// deadline) before their body is read.
    pub max_bodies: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(60),
            max_connections: 1024,
            max_requests: 256,
            max_bodies: 4,
        }
    }
}

/// Serves `app` on `listener` (HTTPS when `tls` is given) until `shutdown` completes,
/// then lets the requests in flight finish.
pub async fn serve(
    app: axum::Router,
    listener: tokio::net::TcpListener,
    tls: Option<Arc<TlsFiles>>,
    limits: &Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let connections = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    let header_timeout = limits.header_timeout;
    loop {
        while tasks.try_join_next().is_some() {}
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            a = listener.accept() => a,
        };
        let (stream, _peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of descriptors and the like: wait a little instead of spinning.
                eprintln!("outpost serve: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&connections).try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let acceptor = tls.as_ref().map(|t| t.acceptor());
        let app = app.clone();
        let stop = stop_rx.clone();
        tasks.spawn(async move {
            let _permit = permit;
            match acceptor {
                None => connection(TokioIo::new(stream), app, header_timeout, stop).await,
                Some(acceptor) => {
                    // A handshake gets as long as a request head; a failed one just ends.
                    if let Ok(Ok(s)) = tokio::time::timeout(header_timeout, acceptor.accept(stream)).await {
                        connection(TokioIo::new(s), app, header_timeout, stop).await;
                    }
                }
            }
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    // Requests in flight finish; a connection that does not within a minute is dropped.
    let _ = tokio::time::timeout(Duration::from_secs(60), async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    tasks.abort_all();
    Ok(())
}

async fn connection<I>(io: TokioIo<I>, app: axum::Router, header_timeout: Duration, mut stop: watch::Receiver<bool>)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = TowerToHyperService::new(app);
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_buf_size(64 * 1024);
    let conn = builder.serve_connection(io, service);
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = stop.wait_for(|s| *s) => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}
