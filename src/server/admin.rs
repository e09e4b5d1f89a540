//! What `outpost server user ...` and `outpost server token ...` do, over any backend's
//! [`Accounts`].

use super::auth::{self, NewToken};
use super::backend::{Accounts, UserInfo};
use super::error::{ApiError, BackendError};
use crate::model::records::Role;

/// Adds a user and issues their first token (returned once; only its hash is kept).
pub async fn add_user<A: Accounts>(accounts: &A, name: &str, role: Role) -> Result<NewToken, BackendError> {
    auth::check_user_name(name).map_err(ApiError::invalid)?;
    let token = auth::issue().map_err(BackendError::Storage)?;
    accounts.add_user(name, role, &token).await?;
    Ok(token)
}

/// Issues another token to a user.
pub async fn add_token<A: Accounts>(accounts: &A, name: &str) -> Result<NewToken, BackendError> {
    let token = auth::issue().map_err(BackendError::Storage)?;
    accounts.add_token(name, &token).await?;
    Ok(token)
}

/// Every user.
pub async fn users<A: Accounts>(accounts: &A) -> Result<Vec<UserInfo>, BackendError> {
    accounts.users().await
}

/// Revokes tokens named by `what`: a token itself, a token id or unique id prefix (at
/// least 4 characters), or — with `all_of_user` — every live token of that user.
/// Returns the revoked ids.
pub async fn revoke<A: Accounts>(accounts: &A, what: &str, all_of_user: bool) -> Result<Vec<String>, BackendError> {
    let users = accounts.users().await?;
    let live = |u: &UserInfo| {
        u.tokens
            .iter()
            .filter(|t| t.revoked.is_none())
            .map(|t| t.id.clone())
            .collect::<Vec<_>>()
    };
    let ids: Vec<String> = if all_of_user {
        let user = users
            .iter()
            .find(|u| u.name == what)
            .ok_or_else(|| ApiError::invalid(format!("no user '{what}'; see `outpost server user list`")))?;
        live(user)
    } else {
        let what = what.trim();
        let id = if what.starts_with(auth::TOKEN_PREFIX) {
            auth::token_id(&auth::hash(what))
        } else {
            what.to_ascii_lowercase()
        };
        if id.len() < 4 {
            return Err(ApiError::invalid(
                "give the token, or at least 4 characters of its id (see `outpost server user list`)",
            )
            .into());
        }
        let all: Vec<&str> = users
            .iter()
            .flat_map(|u| u.tokens.iter())
            .map(|t| t.id.as_str())
            .collect();
        let matching: Vec<String> = all
            .iter()
            .filter(|t| t.starts_with(&id))
            .map(|t| (*t).to_string())
            .collect();
        match matching.len() {
            0 => {
                return Err(
                    ApiError::invalid(format!("no token with id '{id}'; see `outpost server user list`")).into(),
                );
            }
            1 => matching,
            n => {
                return Err(ApiError::invalid(format!("'{id}' matches {n} tokens; give more of the id")).into());
            }
        }
    };
    let mut revoked = Vec::new();
    for id in ids {
        if accounts.revoke_token(&id).await? {
            revoked.push(id);
        }
    }
    Ok(revoked)
}
