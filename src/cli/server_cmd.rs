//! `outpost server`: users and tokens of the sync server. Acts on the server's storage
//! directly (`--data-dir` for sled, `--database` for PostgreSQL), also while it runs.

use std::path::Path;

use clap::{Args, Subcommand};
use serde_json::json;

use super::sync_cmd::print_rows;
use crate::app::AppError;
use crate::app::export::Format;
use crate::model::records::Role;
use crate::server::admin;
use crate::server::backend::{FileAccounts, NewUser, PgBackend};
use crate::server::error::BackendError;

/// `outpost server`.
#[derive(Args, Debug)]
#[command(after_help = "Examples:
  outpost server user add sara --name \"Sara Lindqvist\" --email sara@example.com
                                                 prints sara's token on the last line
  outpost server user add boss --role manager
  outpost server user list
  outpost server token add anna                  another token for anna
  outpost server token revoke 1a2b3c4d           by token id (see `user list`) or the token itself
  outpost server token revoke --user anna        every token of anna
  outpost server doctor                          report users older versions allowed (mixed-case logins)")]
pub struct ServerArgs {
    /// PostgreSQL URL of the server; without it, the sled server data in --data-dir.
    #[arg(long, env = "OUTPOST_DATABASE", value_name = "URL", global = true)]
    pub database: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: ServerCmd,
}

/// `outpost server` subcommands.
#[derive(Subcommand, Debug)]
pub enum ServerCmd {
    /// Users of the sync server.
    #[command(subcommand)]
    User(UserCmd),
    /// Tokens of the sync server.
    #[command(subcommand)]
    Token(TokenCmd),
    /// Check the server's users for what older versions allowed: logins that are not
    /// valid today (mixed case: ownership compares exact logins, so `ANNA` never acts
    /// as `anna`), logins equal ignoring case, names or e-mails naming another user.
    /// Exits 1 when something needs attention, and says what to do.
    Doctor,
}

/// `outpost server user`.
#[derive(Subcommand, Debug)]
pub enum UserCmd {
    /// Add a user and print their first token (alone on the last line; shown only once).
    /// Every user becomes a User record that every laptop receives on sync, so records
    /// can name their owner by login, display name or e-mail.
    Add {
        /// Login: lowercase letters, digits, '.', '_', '-' (e.g. sara, kenji.mori). The
        /// stable id that records' owner fields store.
        login: String,
        /// What they may do: reps change their own and unowned records, managers and
        /// admins any record.
        #[arg(long, value_enum, default_value_t = Role::Rep)]
        role: Role,
        /// Display name, any text (default: the login).
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        /// E-mail address.
        #[arg(long, value_name = "EMAIL")]
        email: Option<String>,
        /// Quarterly quota (an amount in the default currency).
        #[arg(long, value_name = "AMOUNT")]
        quota: Option<String>,
    },
    /// List users: login, name, e-mail, role and token ids.
    List,
}

/// `outpost server token`.
#[derive(Subcommand, Debug)]
pub enum TokenCmd {
    /// Issue another token to a user (printed alone on the last line).
    Add {
        /// The user's login.
        user: String,
    },
    /// Revoke a token: give the token, its id or an id prefix; or --user NAME for all of
    /// a user's tokens. Revoked tokens are refused at once.
    Revoke {
        /// Token, token id or id prefix.
        #[arg(required_unless_present = "user", conflicts_with = "user")]
        token: Option<String>,
        /// Revoke every token of this user (their login).
        #[arg(long, value_name = "LOGIN")]
        user: Option<String>,
    },
}

/// Runs `outpost server ...`.
pub fn run(args: &ServerArgs, data_dir: &Path, format: Format) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async {
        match &args.database {
            Some(url) => {
                let b = PgBackend::connect(url).await.map_err(|e| anyhow::anyhow!("{e}"))?;
                act(&b, &args.command, format).await
            }
            None => {
                let b = FileAccounts::new(data_dir).map_err(|e| anyhow::anyhow!("{e}"))?;
                act(&b, &args.command, format).await
            }
        }
    })
}

/// A backend error as the CLI reports it: invalid input exits 3, an unknown user 4,
/// the rest 1.
fn fail(e: BackendError) -> anyhow::Error {
    match e {
        BackendError::Api(a) if a.code == "invalid" => AppError::Invalid(a.message).into(),
        BackendError::Api(a) if a.code == "not_found" => AppError::NotFound(a.message).into(),
        e => anyhow::anyhow!("{e}"),
    }
}

async fn act<A: crate::server::backend::Accounts>(accounts: &A, cmd: &ServerCmd, format: Format) -> anyhow::Result<()> {
    match cmd {
        ServerCmd::User(UserCmd::Add {
            login,
            role,
            name,
            email,
            quota,
        }) => {
            let user = NewUser {
                login: login.clone(),
                name: name.clone(),
                email: email.clone(),
                quota: quota.clone(),
                role: *role,
            };
            let token = admin::add(accounts, &user).await.map_err(fail)?;
            let shown = name.as_deref().map(str::trim).filter(|n| !n.is_empty() && n != login);
            println!(
                "Added user {login}{} ({}), token id {}.",
                shown.map(|n| format!(" \"{n}\"")).unwrap_or_default(),
                format!("{role:?}").to_lowercase(),
                token.id
            );
            println!("Give {login} this token (it is shown only once):");
            println!("{}", token.secret);
        }
        ServerCmd::User(UserCmd::List) => {
            let users = admin::users(accounts).await.map_err(fail)?;
            let rows: Vec<Vec<String>> = users
                .iter()
                .map(|u| {
                    let live: Vec<&str> = u
                        .tokens
                        .iter()
                        .filter(|t| t.revoked.is_none())
                        .map(|t| t.id.as_str())
                        .collect();
                    let revoked = u.tokens.len() - live.len();
                    vec![
                        u.login.clone(),
                        u.name.clone(),
                        u.email.clone().unwrap_or_default(),
                        format!("{:?}", u.role).to_lowercase(),
                        live.join(" "),
                        revoked.to_string(),
                        u.created.format("%Y-%m-%d %H:%M").to_string(),
                    ]
                })
                .collect();
            let items: Vec<serde_json::Value> = users.iter().map(|u| json!(u)).collect();
            print_rows(
                format,
                &["LOGIN", "NAME", "EMAIL", "ROLE", "TOKENS", "REVOKED", "ADDED (UTC)"],
                &rows,
                &items,
            )?;
        }
        ServerCmd::Doctor => {
            let found = admin::doctor(accounts).await.map_err(fail)?;
            let rows: Vec<Vec<String>> = found
                .iter()
                .map(|f| vec![f.login.clone(), f.problem.clone(), f.fix.clone()])
                .collect();
            let items: Vec<serde_json::Value> = found.iter().map(|f| json!(f)).collect();
            if found.is_empty() && matches!(format, Format::Table) {
                println!("ok: every login is valid and names one user");
            } else {
                print_rows(format, &["LOGIN", "PROBLEM", "FIX"], &rows, &items)?;
            }
            if !found.is_empty() {
                anyhow::bail!(
                    "{} problem(s) with the server's users need attention (see above)",
                    found.len()
                );
            }
        }
        ServerCmd::Token(TokenCmd::Add { user }) => {
            let token = admin::add_token(accounts, user).await.map_err(fail)?;
            println!("Issued token {} to {user} (it is shown only once):", token.id);
            println!("{}", token.secret);
        }
        ServerCmd::Token(TokenCmd::Revoke { token, user }) => {
            let (what, all) = match (token, user) {
                (_, Some(u)) => (u.as_str(), true),
                (Some(t), None) => (t.as_str(), false),
                (None, None) => anyhow::bail!("give a token, a token id, or --user NAME"),
            };
            let revoked = admin::revoke(accounts, what, all).await.map_err(fail)?;
            if revoked.is_empty() {
                println!("Nothing to revoke (already revoked).");
            } else {
                println!("Revoked {}.", revoked.join(", "));
            }
        }
    }
    Ok(())
}
