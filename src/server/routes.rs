//! The HTTP surface: `/v1/live`, `/v1/ready` (= `/v1/health`), `/v1/openapi.json`,
//! `/v1/whoami`, `/v1/push`, `/v1/pull`, and the calendar feed (`/v1/feed`, see
//! `feed.rs`). Requests are size-limited (with `Expect: 100-continue`, a
//! `Content-Length` over the limit is answered 413 before any body is read, without
//! `100 Continue`), request bodies may be gzip-compressed (`Content-Encoding: gzip`),
//! push bodies are JSON only and read within a deadline, at most a few at once;
//! responses are gzip-compressed when the client accepts it, and every failure is a
//! JSON error with a precise status.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, FromRequest, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::feed;
use axum::{Extension, Json, Router};
use serde::Deserialize;
use tokio::sync::Semaphore;

use super::listen::Limits;

use super::auth::{self, Principal};
use super::backend::Backend;
use super::error::ApiError;
use crate::model::ReplicaId;
use crate::protocol::wire::{API_VERSION, Health, MAX_BODY_BYTES, MAX_PAGE, PushRequest, WhoAmI};

/// How long `/v1/ready` waits for the storage.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// What the push handler needs to bound request bodies.
struct BodyLimits {
    timeout: Duration,
    bodies: Semaphore,
}

/// The router for a backend.
pub fn router<B: Backend>(backend: Arc<B>, limits: &Limits) -> Router {
    let bodies = Arc::new(BodyLimits {
        timeout: limits.body_timeout,
        bodies: Semaphore::new(limits.max_bodies.max(1)),
    });
    let requests = Arc::new(Semaphore::new(limits.max_requests.max(1)));
    Router::new()
        .route("/v1/health", get(ready::<B>))
        .route("/v1/ready", get(ready::<B>))
        .route("/v1/live", get(live::<B>))
        .route("/v1/openapi.json", get(openapi))
        .route("/v1/whoami", get(whoami::<B>))
        .route("/v1/push", post(push::<B>))
        .route("/v1/pull", get(pull::<B>))
        .route(
            "/v1/feed",
            get(feed::show::<B>).post(feed::rotate::<B>).delete(feed::revoke::<B>),
        )
        .route("/v1/feed/{file}", get(feed::calendar::<B>))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // Outside the body limit, so the limit counts decompressed bytes (no gzip bombs).
        .layer(tower_http::decompression::RequestDecompressionLayer::new())
        // The fastest level: on a pull of a big log the default level spent two thirds
        // of the server's time compressing (issue 13); JSON still shrinks several fold.
        .layer(tower_http::compression::CompressionLayer::new().quality(tower_http::CompressionLevel::Fastest))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the server hit a bug; nothing was written",
            )
            .into_response()
        }))
        .layer(Extension(bodies))
        .layer(middleware::from_fn_with_state(requests, limit_requests))
        .layer(middleware::from_fn(refuse_large))
        .with_state(backend)
}

/// 413 for a declared body over the limit from a client waiting on
/// `Expect: 100-continue`, before anything reads the body: it is told no instead of
/// `100 Continue`. A client already sending its body is refused by the body limit (at
/// most `MAX_BODY_BYTES` read), so it gets to read the answer instead of a reset.
async fn refuse_large(req: Request, next: Next) -> Response {
    let expects = req
        .headers()
        .get("expect")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("100-continue"));
    if !expects {
        return next.run(req).await;
    }
    let declared = req
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().parse::<u64>().unwrap_or(u64::MAX));
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return too_large().into_response();
    }
    next.run(req).await
}

/// `503 busy` when the server is already handling its maximum of requests.
async fn limit_requests(State(requests): State<Arc<Semaphore>>, req: Request, next: Next) -> Response {
    match requests.try_acquire() {
        Ok(_permit) => next.run(req).await,
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "the server is handling as many requests as it takes; retry in a moment",
        )
        .into_response(),
    }
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        format!("the request body is over {MAX_BODY_BYTES} bytes; send smaller batches"),
    )
}

fn health_of<B: Backend>(b: &B) -> Health {
    Health {
        status: "ok".into(),
        server_id: b.server_id().to_string(),
        api: API_VERSION,
        version: env!("CARGO_PKG_VERSION").into(),
        backend: b.backend_name().into(),
    }
}

/// The process is up and answering (no storage check).
async fn live<B: Backend>(State(b): State<Arc<B>>) -> Json<Health> {
    Json(health_of(b.as_ref()))
}

/// The storage answers (a read on sled, `SELECT 1` on PostgreSQL, within 2 s): 200, or
/// 503 so that a load balancer sends the traffic elsewhere.
async fn ready<B: Backend>(State(b): State<Arc<B>>) -> Result<Json<Health>, ApiError> {
    match tokio::time::timeout(READY_TIMEOUT, b.ping()).await {
        Ok(Ok(())) => Ok(Json(health_of(b.as_ref()))),
        Ok(Err(e)) => Err(ApiError::unavailable(format!(
            "the server's storage does not answer: {e}"
        ))),
        Err(_) => Err(ApiError::unavailable(format!(
            "the server's storage did not answer within {} s",
            READY_TIMEOUT.as_secs()
        ))),
    }
}

async fn openapi() -> Response {
    ([("content-type", "application/json")], super::openapi::document()).into_response()
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such endpoint; see /v1/openapi.json",
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take that method; see /v1/openapi.json",
    )
}

/// The principal of a request's bearer token.
pub(super) async fn principal<B: Backend>(b: &B, headers: &HeaderMap) -> Result<Principal, ApiError> {
    let value = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            ApiError::unauthorized("no token; log in with `outpost sync login --server URL --token TOKEN`")
        })?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or_else(|| ApiError::unauthorized("the Authorization header must be `Bearer TOKEN`"))?;
    b.authenticate(&auth::hash(token)).await?.ok_or_else(|| {
        ApiError::unauthorized(
            "the token is unknown or revoked on this server; ask an admin for a new one \
             (`outpost server token add USER`) and log in again",
        )
    })
}

async fn whoami<B: Backend>(State(b): State<Arc<B>>, headers: HeaderMap) -> Result<Json<WhoAmI>, ApiError> {
    let who = principal(b.as_ref(), &headers).await?;
    let me = b.users().await?.into_iter().find(|u| u.login == who.user);
    Ok(Json(WhoAmI {
        name: me.as_ref().map(|u| u.name.clone()),
        email: me.and_then(|u| u.email),
        user: who.user,
        role: who.role,
        server_id: b.server_id().to_string(),
        now: Some(chrono::Utc::now()),
        max_clock_skew_ms: Some(super::engine::max_clock_skew()),
    }))
}

/// Parses a JSON body with `decode`: malformed JSON is 400, well-formed JSON of the wrong
/// shape 422.
fn parse<T>(
    body: Result<Bytes, BytesRejection>,
    decode: impl FnOnce(&[u8]) -> serde_json::Result<T>,
) -> Result<T, ApiError> {
    let bytes = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_body",
                format!("could not read the request body: {e}"),
            )
        }
    })?;
    decode(&bytes).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Data => ApiError::invalid(format!("the request does not fit the API: {e}")),
            _ => ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_json",
                format!("the request body is not valid JSON: {e}"),
            ),
        }
    })
}

/// 415 unless the body is declared `application/json` (parameters such as a charset
/// are allowed).
fn json_only(headers: &HeaderMap) -> Result<(), ApiError> {
    let declared = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    let media = declared.split(';').next().unwrap_or("").trim();
    if media.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "the body must be `Content-Type: application/json`, not `{}`",
                if declared.is_empty() { "(none)" } else { declared }
            ),
        ))
    }
}

async fn push<B: Backend>(
    State(b): State<Arc<B>>,
    Extension(limits): Extension<Arc<BodyLimits>>,
    request: Request,
) -> Result<Response, ApiError> {
    let headers = request.headers().clone();
    let who = principal(b.as_ref(), &headers).await?;
    json_only(&headers)?;
    let busy = || {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "the server is reading as many pushes as it takes; retry in a moment",
        )
    };
    let _permit = tokio::time::timeout(limits.timeout, limits.bodies.acquire())
        .await
        .map_err(|_| busy())?
        .map_err(|_| busy())?;
    let body = tokio::time::timeout(limits.timeout, Bytes::from_request(request, &()))
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "body_timeout",
                format!(
                    "the request body did not arrive within {} s; send smaller batches or retry",
                    limits.timeout.as_secs()
                ),
            )
        })?;
    let req = parse(body, PushRequest::from_json)?;
    let response = b.push(who, req).await?;
    Ok(Json(response).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PullQuery {
    replica: String,
    #[serde(default)]
    after: u64,
    limit: Option<usize>,
}

async fn pull<B: Backend>(
    State(b): State<Arc<B>>,
    headers: HeaderMap,
    query: Result<Query<PullQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let who = principal(b.as_ref(), &headers).await?;
    let Query(q) = query.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_query",
            format!("{e}; expected ?replica=HEX&after=N&limit=N"),
        )
    })?;
    let replica: ReplicaId = q
        .replica
        .parse()
        .map_err(|e: String| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", e))?;
    let limit = q.limit.unwrap_or(1000);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_query",
            format!("limit {limit} is outside 1..{MAX_PAGE}"),
        ));
    }
    // Users added or changed since the last pull (also by `outpost server user add` in
    // another process) become User records before the page is read.
    let users = b.users().await?;
    b.reconcile_users(users).await?;
    let page = b.pull(who, replica, q.after, limit).await?;
    let mut body = String::with_capacity(page.entries.iter().map(|e| e.len() + 1).sum::<usize>() + 96);
    body.push_str("{\"entries\":[");
    for (i, e) in page.entries.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(e);
    }
    body.push_str(&format!(
        "],\"next\":{},\"more\":{},\"head\":{}}}",
        page.next, page.more, page.head
    ));
    Ok(([("content-type", "application/json")], body).into_response())
}
