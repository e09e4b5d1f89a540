//! What `outpost server user ...` and `outpost server token ...` do, over any backend's
//! [`Accounts`].

use super::auth::{self, NewToken};
use super::backend::{Accounts, NewUser, UserInfo};
use super::error::{ApiError, BackendError};
use crate::model::records::{Role, check_login};

/// Adds a user with only a login (the display name is the login) and issues their
/// first token.
pub async fn add_user<A: Accounts>(accounts: &A, login: &str, role: Role) -> Result<NewToken, BackendError> {
    add(
        accounts,
        &NewUser {
            login: login.to_string(),
            role,
            ..NewUser::default()
        },
    )
    .await
}

/// Adds a user and issues their first token (returned once; only its hash is kept).
/// The login must be valid (lowercase letters, digits, `.`, `_`, `-`); the name, e-mail
/// and quota must fit a User record. Invalid input is a 422 `invalid` error.
pub async fn add<A: Accounts>(accounts: &A, user: &NewUser) -> Result<NewToken, BackendError> {
    let user = checked(user).map_err(ApiError::invalid)?;
    let existing = accounts.users().await?;
    if let Some(other) = existing
        .iter()
        .find(|o| o.login != user.login && o.login.eq_ignore_ascii_case(&user.login))
    {
        return Err(ApiError::invalid(format!(
            "login '{}' differs from the existing user '{}' only in case; logins are unique ignoring case \
             (see `outpost server doctor`)",
            user.login, other.login
        ))
        .into());
    }
    clashes(&user, &existing).map_err(ApiError::invalid)?;
    let token = auth::issue().map_err(BackendError::Storage)?;
    accounts.add_user(&user, &token).await?;
    Ok(token)
}

/// Refuses a user whose login, display name or e-mail names another user already:
/// laptops resolve `--owner` by any of the three, so each must name one person (a
/// display name equal to someone's login would make two people look the same, and
/// `--owner` ambiguous). The same login is left to the backend's own check.
fn clashes(user: &NewUser, existing: &[UserInfo]) -> Result<(), String> {
    let mine = [
        ("login", Some(user.login.as_str())),
        ("--name", user.name.as_deref()),
        ("--email", user.email.as_deref()),
    ];
    for other in existing.iter().filter(|o| !o.login.eq_ignore_ascii_case(&user.login)) {
        for (what, value) in mine {
            if let Some(v) = value
                && crate::model::records::names_person(v, &other.login, Some(&other.name), other.email.as_deref())
            {
                return Err(format!(
                    "{what} '{v}' already names user '{}' ({}); give each user a login, name and e-mail of \
                     their own (e.g. --name \"{v} ({})\")",
                    other.login, other.name, user.login
                ));
            }
        }
    }
    Ok(())
}

/// The user with its values checked and tidied.
fn checked(user: &NewUser) -> Result<NewUser, String> {
    check_login(&user.login)?;
    let name = user.name.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if user.name.is_some() && name.is_none() {
        return Err("--name must not be empty (leave it out to use the login)".into());
    }
    let email = match user.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) => Some(crate::model::validate::email("email", e).map_err(|e| format!("--{e}"))?),
        None => None,
    };
    let quota = match user.quota.as_deref().map(str::trim) {
        Some(q) => {
            let d: rust_decimal::Decimal = q
                .parse()
                .map_err(|_| format!("--quota: '{q}' is not an amount; write it like 150000 or 150000.50"))?;
            crate::model::money::check_range(d).map_err(|m| format!("--quota: {m}"))?;
            Some(d.normalize().to_string())
        }
        None => None,
    };
    Ok(NewUser {
        login: user.login.clone(),
        name: name.map(str::to_string),
        email,
        quota,
        role: user.role,
    })
}

/// Something `outpost server doctor` found that needs attention.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// The user concerned.
    pub login: String,
    /// What is wrong.
    pub problem: String,
    /// What to do about it.
    pub fix: String,
}

/// Checks the users of an accounts store made by older versions: logins that are not
/// valid today (mixed case, spaces), logins equal ignoring case, and display names or
/// e-mails that name another user. Ownership compares exact logins, so a user `ANNA`
/// never acts as `anna`; a login is never renamed here, because records store it.
pub async fn doctor<A: Accounts>(accounts: &A) -> Result<Vec<Finding>, BackendError> {
    let users = accounts.users().await?;
    let mut out = Vec::new();
    for u in &users {
        let live = u.tokens.iter().any(|t| t.revoked.is_none());
        if let Err(why) = check_login(&u.login) {
            out.push(Finding {
                login: u.login.clone(),
                problem: format!("{why}. Records it owns carry exactly '{}'", u.login),
                fix: format!(
                    "add the person under a valid login (`outpost server user add {} ...`), reassign their records \
                     (`--owner`), then revoke the old login's tokens (`outpost server token revoke --user {}`){}",
                    crate::model::records::suggest_login(&u.login).unwrap_or_else(|| "LOGIN".into()),
                    u.login,
                    if live { "" } else { " (it has no live token)" }
                ),
            });
        }
        for o in users
            .iter()
            .filter(|o| o.login < u.login && o.login.eq_ignore_ascii_case(&u.login))
        {
            out.push(Finding {
                login: u.login.clone(),
                problem: format!("differs from user '{}' only in case", o.login),
                fix: format!(
                    "keep one of them: revoke the other's tokens (`outpost server token revoke --user {}`)",
                    u.login
                ),
            });
        }
        if let Err(why) = clashes(
            &NewUser {
                login: u.login.clone(),
                name: Some(u.name.clone()).filter(|n| *n != u.login),
                email: u.email.clone(),
                quota: None,
                role: u.role,
            },
            &users.iter().filter(|o| o.login != u.login).cloned().collect::<Vec<_>>(),
        ) {
            out.push(Finding {
                login: u.login.clone(),
                problem: why,
                fix: "give each user a display name and e-mail of their own".into(),
            });
        }
    }
    Ok(out)
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
            .find(|u| u.login == what)
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
