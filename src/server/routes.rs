//! The HTTP surface: `/v1/health`, `/v1/openapi.json`, `/v1/whoami`, `/v1/push`,
//! `/v1/pull`. Requests are size-limited, request bodies may be gzip-compressed (`Content-Encoding: gzip`), responses gzip-compressed when the client
//! accepts it, and every failure is a JSON error with a precise status.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::auth::{self, Principal};
use super::backend::Backend;
use super::error::ApiError;
use crate::model::ReplicaId;
use crate::protocol::wire::{API_VERSION, Health, MAX_BODY_BYTES, MAX_PAGE, PushRequest, WhoAmI};

/// The router for a backend.
pub fn router<B: Backend>(backend: Arc<B>) -> Router {
    Router::new()
        .route("/v1/health", get(health::<B>))
        .route("/v1/openapi.json", get(openapi))
        .route("/v1/whoami", get(whoami::<B>))
        .route("/v1/push", post(push::<B>))
        .route("/v1/pull", get(pull::<B>))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // Outside the body limit, so the limit counts decompressed bytes (no gzip bombs).
        .layer(tower_http::decompression::RequestDecompressionLayer::new())
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the server hit a bug; nothing was written",
            )
            .into_response()
        }))
        .with_state(backend)
}

async fn health<B: Backend>(State(b): State<Arc<B>>) -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        server_id: b.server_id().to_string(),
        api: API_VERSION,
        version: env!("CARGO_PKG_VERSION").into(),
        backend: b.backend_name().into(),
    })
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

/// The principal of a request's bearer token.
async fn principal<B: Backend>(b: &B, headers: &HeaderMap) -> Result<Principal, ApiError> {
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

/// Parses a JSON body: malformed JSON is 400, well-formed JSON of the wrong shape 422.
fn parse<T: serde::de::DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> Result<T, ApiError> {
    let bytes = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("the request body is over {MAX_BODY_BYTES} bytes; send smaller batches"),
            )
        } else {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_body",
                format!("could not read the request body: {e}"),
            )
        }
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
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

async fn push<B: Backend>(
    State(b): State<Arc<B>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let who = principal(b.as_ref(), &headers).await?;
    let req: PushRequest = parse(body)?;
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
    let limit = q.limit.unwrap_or(1000).clamp(1, MAX_PAGE);
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
