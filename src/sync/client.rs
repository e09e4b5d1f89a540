//! The HTTP client (ureq, blocking, rustls). [`Api`] is what the sync procedure needs;
//! [`HttpApi`] implements it over HTTP, retrying `409 retry` and `503` with backoff.
//! Tests wrap it to drop or repeat requests.

use std::time::Duration;

use serde::de::DeserializeOwned;

use super::error::SyncError;
use crate::model::ReplicaId;
use crate::protocol::wire::{ErrorBody, Health, MAX_RESPONSE_BYTES, PullResponse, PushRequest, PushResponse, WhoAmI};

/// The server calls sync makes.
pub trait Api {
    /// Server identity (no token needed).
    fn health(&self) -> Result<Health, SyncError>;
    /// The token's user and the server id.
    fn whoami(&self) -> Result<WhoAmI, SyncError>;
    /// Sends outbox changes.
    fn push(&self, req: &PushRequest) -> Result<PushResponse, SyncError>;
    /// Reads one page after `after`.
    fn pull(&self, replica: ReplicaId, after: u64, limit: usize) -> Result<PullResponse, SyncError>;
}

/// The HTTP implementation.
pub struct HttpApi {
    base: String,
    token: String,
    agent: ureq::Agent,
    retries: u32,
}

impl HttpApi {
    /// A client for the server at `base` (`http://host:port`) with `token`.
    #[must_use]
    pub fn new(base: &str, token: &str) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(5)))
            .timeout_global(Some(Duration::from_secs(120)))
            .user_agent(concat!("outpost/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Self {
            base: base.trim_end_matches('/').to_string(),
            token: token.trim().to_string(),
            agent,
            retries: 8,
        }
    }

    /// The server URL.
    #[must_use]
    pub fn base(&self) -> &str {
        &self.base
    }

    fn unreachable(&self, e: &ureq::Error) -> SyncError {
        SyncError::Unreachable {
            server: self.base.clone(),
            detail: e.to_string(),
        }
    }

    /// Sends a request (built by `send`), retrying races, and decodes the answer.
    fn call<T: DeserializeOwned>(
        &self,
        what: &str,
        send: impl Fn() -> Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<T, SyncError> {
        let mut attempt = 0;
        loop {
            let mut resp = send().map_err(|e| self.unreachable(&e))?;
            let status = resp.status().as_u16();
            let bytes = resp
                .body_mut()
                .with_config()
                .limit(MAX_RESPONSE_BYTES)
                .read_to_vec()
                .map_err(|e| self.unreachable(&e))?;
            if (200..300).contains(&status) {
                return serde_json::from_slice(&bytes).map_err(|e| SyncError::Protocol(format!("{what}: {e}")));
            }
            let (code, message) = match serde_json::from_slice::<ErrorBody>(&bytes) {
                Ok(b) => (b.error.code, b.error.message),
                Err(_) => (
                    "http".to_string(),
                    format!(
                        "{what}: HTTP {status}: {}",
                        String::from_utf8_lossy(&bytes).chars().take(200).collect::<String>()
                    ),
                ),
            };
            if (status == 409 && code == "retry" || status == 503) && attempt < self.retries {
                attempt += 1;
                std::thread::sleep(Duration::from_millis(25 << attempt.min(6)));
                continue;
            }
            return Err(match status {
                401 => SyncError::Unauthorized {
                    server: self.base.clone(),
                    message,
                },
                _ => SyncError::Rejected { status, code, message },
            });
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Api for HttpApi {
    fn health(&self) -> Result<Health, SyncError> {
        let url = self.url("/v1/health");
        self.call("health", || self.agent.get(&url).call())
    }

    fn whoami(&self) -> Result<WhoAmI, SyncError> {
        let url = self.url("/v1/whoami");
        let auth = format!("Bearer {}", self.token);
        self.call("whoami", || self.agent.get(&url).header("Authorization", &auth).call())
    }

    fn push(&self, req: &PushRequest) -> Result<PushResponse, SyncError> {
        let url = self.url("/v1/push");
        let auth = format!("Bearer {}", self.token);
        let body = gzip(&serde_json::to_vec(req).map_err(|e| SyncError::Protocol(e.to_string()))?)?;
        self.call("push", || {
            self.agent
                .post(&url)
                .header("Authorization", &auth)
                .header("Content-Encoding", "gzip")
                .content_type("application/json")
                .send(&body[..])
        })
    }

    fn pull(&self, replica: ReplicaId, after: u64, limit: usize) -> Result<PullResponse, SyncError> {
        let url = self.url("/v1/pull");
        let auth = format!("Bearer {}", self.token);
        let (replica, after, limit) = (replica.to_string(), after.to_string(), limit.to_string());
        self.call("pull", || {
            self.agent
                .get(&url)
                .header("Authorization", &auth)
                .query("replica", &replica)
                .query("after", &after)
                .query("limit", &limit)
                .call()
        })
    }
}

/// Compresses a request body (push batches of JSON shrink about tenfold).
fn gzip(bytes: &[u8]) -> Result<Vec<u8>, SyncError> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::with_capacity(bytes.len() / 4), flate2::Compression::fast());
    enc.write_all(bytes)
        .and_then(|()| enc.finish())
        .map_err(|e| SyncError::Protocol(format!("compressing a push: {e}")))
}
