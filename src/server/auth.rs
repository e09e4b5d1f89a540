//! Tokens: random, shown once, stored only as a SHA-256 hash (they carry 160 bits of
//! entropy, so a fast hash is enough). A token's id is the start of its hash, safe to
//! show in lists and to name it when revoking.

use sha2::{Digest, Sha256};

use crate::model::records::Role;

/// Prefix of every token, so a leaked one is recognisable.
pub const TOKEN_PREFIX: &str = "opt_";
/// Prefix of every calendar feed secret (read-only; never a token).
pub const FEED_PREFIX: &str = "opf_";

/// The user a request acts as, taken from its token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// Login (the `owner` value of their records).
    pub user: String,
    /// Their role.
    pub role: Role,
    /// Their display name.
    pub name: Option<String>,
    /// Their e-mail address.
    pub email: Option<String>,
}

impl Principal {
    /// Whether an owner value names this user. A valid owner login compares exactly.
    /// An owner that is not a valid login was written by a laptop before its first
    /// login (the display name, the e-mail or the login typed in capitals), until
    /// adoption turns it into the login at that laptop's first sync: it names the user
    /// whose login, display name or e-mail it is, ignoring case.
    ///
    /// An owner written like a login (`sara`) names that login's user only: a display
    /// name that happens to equal another user's login must not open their records.
    /// A user whose own login is not valid (a mixed-case login of an old accounts
    /// file, which `outpost server doctor` reports) owns only what carries exactly
    /// that login: `ANNA` never acts as `anna`.
    #[must_use]
    pub fn is(&self, owner: &str) -> bool {
        let o = owner.trim();
        if o == self.user {
            return true;
        }
        let valid = |l: &str| crate::model::records::check_login(l).is_ok();
        if valid(o) || !valid(&self.user) {
            return false;
        }
        crate::model::records::names_person(o, &self.user, self.name.as_deref(), self.email.as_deref())
    }

    /// Managers and admins may change any record.
    #[must_use]
    pub fn may_change_anything(&self) -> bool {
        matches!(self.role, Role::Manager | Role::Admin)
    }
}

/// A freshly issued token: the secret (shown once) and what the server keeps.
#[derive(Clone, Debug)]
pub struct NewToken {
    /// The secret to give the user.
    pub secret: String,
    /// Its hash.
    pub hash: String,
    /// Its id.
    pub id: String,
}

/// Issues a new random token.
pub fn issue() -> Result<NewToken, String> {
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).map_err(|e| format!("no system randomness for a token: {e}"))?;
    let secret = format!("{TOKEN_PREFIX}{}", hex(&bytes));
    let hash = hash(&secret);
    Ok(NewToken {
        id: token_id(&hash),
        secret,
        hash,
    })
}

/// A new calendar feed secret: 160 random bits, hex, after [`FEED_PREFIX`].
pub fn issue_feed_secret() -> Result<String, String> {
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).map_err(|e| format!("no system randomness for a feed secret: {e}"))?;
    Ok(format!("{FEED_PREFIX}{}", hex(&bytes)))
}

/// Whether two secrets are equal, in time that depends on their lengths only (not on
/// where they first differ).
#[must_use]
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// The stored form of a token.
#[must_use]
pub fn hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.trim().as_bytes()))
}

/// The id of a token, from its hash.
#[must_use]
pub fn token_id(hash: &str) -> String {
    hash.chars().take(12).collect()
}

/// Lowercase hex.
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_compare_exact_logins_and_names_only_for_valid_logins() {
        let anna = Principal {
            user: "anna".into(),
            role: Role::Rep,
            name: Some("Anna Berg".into()),
            email: Some("anna@example.com".into()),
        };
        assert!(anna.is("anna") && anna.is(" anna "));
        assert!(anna.is("Anna Berg") && anna.is("anna berg") && anna.is("ANNA@example.com"));
        assert!(
            anna.is("ANNA"),
            "written offline before the first login, adopted at its first sync"
        );
        assert!(!anna.is("bob") && !anna.is("Bob Berg"));
        let shouty = Principal {
            user: "ANNA".into(),
            role: Role::Rep,
            name: Some("Anna".into()),
            email: None,
        };
        assert!(!shouty.is("anna"), "ANNA never acts as anna");
        assert!(!shouty.is("Anna") && !shouty.is("anna "));
        assert!(shouty.is("ANNA"));
    }

    #[test]
    fn feed_secrets_are_random_long_and_not_tokens() {
        let a = issue_feed_secret().expect("secret");
        let b = issue_feed_secret().expect("secret");
        assert_ne!(a, b);
        assert!(a.starts_with(FEED_PREFIX) && !a.starts_with(TOKEN_PREFIX));
        assert_eq!(a.len(), FEED_PREFIX.len() + 40, "160 bits in hex");
        assert!(same_secret(&a, &a.clone()));
        assert!(!same_secret(&a, &b));
        assert!(!same_secret(&a, &a[..a.len() - 1]));
    }

    #[test]
    fn tokens_are_random_and_hash_to_their_id() {
        let a = issue().expect("token");
        let b = issue().expect("token");
        assert_ne!(a.secret, b.secret);
        assert!(a.secret.starts_with(TOKEN_PREFIX));
        assert_eq!(hash(&a.secret), a.hash);
        assert_eq!(token_id(&a.hash), a.id);
    }
}
