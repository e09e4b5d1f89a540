//! The HTTP client (ureq, blocking, rustls). [`Api`] is what the sync procedure needs;
//! [`HttpApi`] implements it over HTTP, retrying `409 retry` and `503` with backoff.
//! Tests wrap it to drop or repeat requests.
//!
//! Transport security ([`HttpApi::for_login`]): plain `http://` is refused to anything
//! but a loopback address (`127.0.0.0/8`, `::1`, `localhost`) unless the login says
//! `insecure_http`. HTTPS trusts Mozilla's root certificates, compiled in (ureq's
//! `webpki-roots`; the OS store is not read), and with a login's `ca_cert` that private
//! CA plus the system's PEM bundle (`SSL_CERT_FILE`, else the usual distribution paths)
//! in place of the compiled-in roots.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::de::DeserializeOwned;

use super::error::SyncError;
use crate::model::ReplicaId;
use crate::protocol::wire::{
    ErrorBody, FeedInfo, FeedRevoked, Health, MAX_RESPONSE_BYTES, PullResponse, PushRequest, PushResponse, WhoAmI,
};

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
    /// A client for the server at `base` (`http://host:port`) with `token`, trusting
    /// the compiled-in roots. No transport check: [`HttpApi::for_login`] is what the
    /// application uses.
    #[must_use]
    pub fn new(base: &str, token: &str) -> Self {
        Self::with_roots(base, token, None)
    }

    fn with_roots(base: &str, token: &str, roots: Option<ureq::tls::RootCerts>) -> Self {
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .https_only(false)
            .timeout_connect(Some(Duration::from_secs(5)))
            .timeout_global(Some(Duration::from_secs(120)))
            .user_agent(concat!("outpost/", env!("CARGO_PKG_VERSION")));
        if let Some(roots) = roots {
            config = config.tls_config(ureq::tls::TlsConfig::builder().root_certs(roots).build());
        }
        let agent: ureq::Agent = config.build().into();
        Self {
            base: base.trim_end_matches('/').to_string(),
            token: token.trim().to_string(),
            agent,
            retries: 8,
        }
    }

    /// A client for `server` with `token` that checks the transport first: refuses plain
    /// `http://` to a host that is not a loopback address unless `insecure_http`, and
    /// trusts `ca_cert` (PEM) besides the system roots when given.
    pub fn secured(server: &str, token: &str, ca_cert: Option<&Path>, insecure_http: bool) -> Result<Self, SyncError> {
        check_transport(server, insecure_http)?;
        let roots = match ca_cert {
            Some(path) => Some(roots_with(path)?),
            None => None,
        };
        Ok(Self::with_roots(server, token, roots))
    }

    /// [`HttpApi::secured`] for a saved login.
    pub fn for_login(login: &super::login::Login) -> Result<Self, SyncError> {
        Self::secured(
            &login.server,
            &login.token,
            login.ca_cert.as_deref(),
            login.insecure_http,
        )
    }

    /// The server URL.
    #[must_use]
    pub fn base(&self) -> &str {
        &self.base
    }

    fn unreachable(&self, e: &ureq::Error) -> SyncError {
        let mut detail = e.to_string();
        if detail.contains("certificate") || detail.contains("UnknownIssuer") {
            detail.push_str(
                " (a server whose certificate a private CA signed needs `outpost sync login --ca-cert FILE`)",
            );
        }
        SyncError::Unreachable {
            server: self.base.clone(),
            detail,
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

    /// The token's user's calendar feed (`GET /v1/feed`): `None` when they have none.
    pub fn feed(&self) -> Result<Option<FeedInfo>, SyncError> {
        let url = self.url("/v1/feed");
        let auth = format!("Bearer {}", self.token);
        match self.call("feed", || self.agent.get(&url).header("Authorization", &auth).call()) {
            Ok(f) => Ok(Some(f)),
            Err(SyncError::Rejected { status: 404, code, .. }) if code == "no_feed" => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A new calendar feed secret for the token's user (`POST /v1/feed`); the old URL
    /// stops answering.
    pub fn rotate_feed(&self) -> Result<FeedInfo, SyncError> {
        let url = self.url("/v1/feed");
        let auth = format!("Bearer {}", self.token);
        self.call("feed", || {
            self.agent.post(&url).header("Authorization", &auth).send_empty()
        })
    }

    /// Revokes the token's user's calendar feed (`DELETE /v1/feed`).
    pub fn revoke_feed(&self) -> Result<FeedRevoked, SyncError> {
        let url = self.url("/v1/feed");
        let auth = format!("Bearer {}", self.token);
        self.call("feed", || self.agent.delete(&url).header("Authorization", &auth).call())
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

/// Whether `host` (as in a URL, IPv6 in brackets or not) is a loopback address.
#[must_use]
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Refuses `http://` to a non-loopback host unless `insecure_http`; refuses any other
/// scheme.
pub fn check_transport(server: &str, insecure_http: bool) -> Result<(), SyncError> {
    let uri: ureq::http::Uri = server
        .parse()
        .map_err(|e| SyncError::Config(format!("'{server}' is not a server URL: {e}")))?;
    let host = uri.host().unwrap_or("");
    match uri.scheme_str() {
        Some("https") => Ok(()),
        Some("http") if is_loopback(host) || insecure_http => Ok(()),
        Some("http") => Err(SyncError::Config(format!(
            "refusing plain http:// to {host}: the token and your customers' data would cross the network \
             unencrypted (anyone on the same Wi-Fi could read them); use https:// (the server runs \
             `outpost serve --tls-cert FILE --tls-key FILE`, or sits behind a TLS proxy), or, on a network you \
             trust, log in again with `outpost sync login --server {server} --token TOKEN --insecure-http`"
        ))),
        _ => Err(SyncError::Config(format!(
            "'{server}' is not a server URL; use https://HOST (or http://127.0.0.1:PORT)"
        ))),
    }
}

/// The certificates of a PEM file; the error names the file.
fn pem_certs(path: &Path) -> Result<Vec<ureq::tls::Certificate<'static>>, String> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    CertificateDer::pem_slice_iter(&bytes)
        .map(|c| {
            c.map(|der| ureq::tls::Certificate::from_der(&der).to_owned())
                .map_err(|e| format!("{}: {e}", path.display()))
        })
        .collect()
}

/// Where the system's PEM bundle of root certificates is, if anywhere.
#[must_use]
pub fn system_bundle() -> Option<PathBuf> {
    let from_env = std::env::var_os("SSL_CERT_FILE").map(PathBuf::from);
    let known = [
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/pki/tls/certs/ca-bundle.crt",
        "/etc/ssl/ca-bundle.pem",
        "/etc/ssl/cert.pem",
        "/usr/local/etc/openssl/cert.pem",
    ];
    from_env
        .into_iter()
        .chain(known.iter().map(PathBuf::from))
        .find(|p| p.is_file())
}

/// Checks that `path` holds at least one PEM certificate (for `sync login --ca-cert`).
pub fn check_ca_file(path: &Path) -> Result<usize, SyncError> {
    let certs = pem_certs(path).map_err(SyncError::Config)?;
    if certs.is_empty() {
        return Err(SyncError::Config(format!(
            "{}: no PEM certificate (-----BEGIN CERTIFICATE-----) in the file; give the CA certificate that \
             signed the server's certificate",
            path.display()
        )));
    }
    Ok(certs.len())
}

/// The CA of `path` plus the system bundle's roots (when one is found).
fn roots_with(path: &Path) -> Result<ureq::tls::RootCerts, SyncError> {
    check_ca_file(path)?;
    let mut certs = pem_certs(path).map_err(SyncError::Config)?;
    if let Some(bundle) = system_bundle() {
        certs.extend(pem_certs(&bundle).unwrap_or_default());
    }
    Ok(ureq::tls::RootCerts::new_with_certs(&certs))
}

#[cfg(test)]
mod tests {
    use super::{check_transport, is_loopback};

    #[test]
    fn loopback_hosts_are_the_loopback_addresses_and_localhost() {
        for host in ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", "LOCALHOST"] {
            assert!(is_loopback(host), "{host}");
        }
        for host in [
            "10.255.255.1",
            "192.168.1.2",
            "example.com",
            "localhost.evil.com",
            "",
            "0.0.0.0",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn plain_http_goes_only_to_loopback_unless_allowed() {
        assert!(check_transport("http://127.0.0.1:8780", false).is_ok());
        assert!(check_transport("http://[::1]:8780", false).is_ok());
        assert!(check_transport("https://crm.example.com", false).is_ok());
        let refused = check_transport("http://10.255.255.1:1", false).expect_err("refused");
        assert!(refused.to_string().contains("--insecure-http"), "{refused}");
        assert!(check_transport("http://server:8780", false).is_err());
        assert!(check_transport("http://server:8780", true).is_ok());
        assert!(check_transport("ftp://server", true).is_err());
    }
}
