//! Errors the server answers with. Every one maps to a precise status and a stable code;
//! a race between server processes is `409 retry` (the client retries), storage being
//! down is `503`, never a bare 500 for something the client did.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::protocol::wire::{ErrorBody, ErrorDetail};

/// An error answer: status, stable code, message for people.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable code (see [`ErrorDetail::code`]).
    pub code: &'static str,
    /// What went wrong and what to do.
    pub message: String,
}

impl ApiError {
    /// An error with this status and code.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// 422: the request is well-formed JSON but its content is not acceptable.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
    }

    /// 401: no token, or a token the server does not know or has revoked.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 409: a race with another writer; retrying is safe.
    pub fn retry(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "retry", message)
    }

    /// 503: the storage is unreachable.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message,
            },
        };
        (self.status, axum::Json(body)).into_response()
    }
}

/// Errors of a storage backend.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The request cannot be accepted (answered as is).
    #[error("{0}")]
    Api(#[from] ApiError),
    /// A race with another server process; the client retries.
    #[error("a concurrent write got in the way ({0}); retry")]
    Retry(String),
    /// The storage failed or is unreachable.
    #[error("storage error: {0}")]
    Storage(String),
}

impl BackendError {
    /// A storage failure.
    pub fn storage(e: impl std::fmt::Display) -> Self {
        Self::Storage(e.to_string())
    }
}

impl From<BackendError> for ApiError {
    fn from(e: BackendError) -> Self {
        match e {
            BackendError::Api(a) => a,
            BackendError::Retry(m) => Self::retry(format!("{m}; retry the request")),
            BackendError::Storage(m) => Self::unavailable(format!("the server's storage failed: {m}")),
        }
    }
}

impl IntoResponse for BackendError {
    fn into_response(self) -> Response {
        ApiError::from(self).into_response()
    }
}
