//! The entity commands (`account`, `contact`, `lead`, `opp`, `product`, `quote`,
//! `activity`, `event`, `user`): `add`, `list`, `show`, `edit`, `rm`, built from the field
//! registry so flags, import headers and export columns never drift apart; plus each
//! entity's own extra commands (derived with clap).

use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches, Subcommand};

use crate::app::ops::Values;
use crate::app::spec::{self, Ty};
use crate::model::EntityKind;

/// Options of `list`.
#[derive(Args, Debug, Clone, Default)]
pub struct ListArgs {
    /// Fuzzy filter over the kind's search fields, best match first (the TUI's syntax:
    /// words ANDed, 'exact, ^start, end$, !not).
    #[arg(long, short = 's', value_name = "TEXT")]
    pub search: Option<String>,
    /// Only records linked to this account (id, id prefix or name).
    #[arg(long, value_name = "REF")]
    pub account: Option<String>,
    /// Only records owned by this user.
    #[arg(long, value_name = "USER")]
    pub owner: Option<String>,
    /// Only opportunities in this stage.
    #[arg(long, value_name = "STAGE")]
    pub stage: Option<String>,
    /// Sort by this field (JSON name), e.g. close_date, amount, name.
    #[arg(long, value_name = "FIELD")]
    pub sort: Option<String>,
    /// Sort descending.
    #[arg(long)]
    pub desc: bool,
    /// Show at most N records.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
}

/// One parsed entity command.
#[derive(Debug, Clone)]
pub enum Action<E> {
    /// `add`: field values.
    Add(Values),
    /// `list`.
    List(ListArgs),
    /// `show REF`.
    Show(String),
    /// `edit REF --FIELD VALUE...`.
    Edit(String, Values),
    /// `rm REF [--cascade]`.
    Rm(String, bool),
    /// The entity's own commands.
    Extra(E),
}

fn field_args(kind: EntityKind, for_add: bool) -> Vec<Arg> {
    spec::specs(kind)
        .iter()
        .filter(|s| for_add || s.json != "quote_id")
        .map(|s| {
            let mut arg = Arg::new(s.flag).long(s.flag).help(s.help);
            arg = match s.ty {
                Ty::List => arg.action(ArgAction::Append).value_name("VALUE"),
                Ty::Bool => arg.num_args(0..=1).default_missing_value("true").value_name("BOOL"),
                Ty::Ref(_) => arg.value_name("REF"),
                Ty::Date => arg.value_name("DATE"),
                Ty::DateTime => arg.value_name("\"YYYY-MM-DD HH:MM\""),
                Ty::Amount | Ty::Prices => arg.value_name("AMOUNT").allow_negative_numbers(true),
                Ty::Currency | Ty::PriceCurrency => arg.value_name("CODE"),
                Ty::Choice(options) => {
                    arg.value_parser(clap::builder::PossibleValuesParser::new(options.iter().copied()))
                }
                Ty::Int => arg.value_name("N").allow_negative_numbers(true),
                Ty::Text => arg.value_name("TEXT"),
            };
            if for_add && s.required {
                arg = arg.required(true);
            }
            arg
        })
        .collect()
}

/// Builds `add/list/show/edit/rm` for `kind` onto `cmd`.
pub fn augment(cmd: Command, kind: EntityKind) -> Command {
    let noun = kind.name().replace('_', " ");
    // "an account", "a contact", "a user".
    let a = if noun.starts_with(['a', 'e', 'i', 'o']) {
        "an"
    } else {
        "a"
    };
    let reference = || {
        Arg::new("ref")
            .value_name("REF")
            .required(true)
            .help(format!("The {noun}: id, unique id prefix, or {}", ref_hint(kind)))
    };
    cmd.subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(
            Command::new("add")
                .about(format!("Create {a} {noun}; prints its id"))
                .args(field_args(kind, true)),
        )
        .subcommand(list_command(kind))
        .subcommand(
            Command::new("show")
                .about(format!("Show one {noun} with its related records"))
                .arg(reference()),
        )
        .subcommand(
            Command::new("edit")
                .about(format!("Change fields of {a} {noun}; an empty value clears a field"))
                .arg(reference())
                .args(field_args(kind, false)),
        )
        .subcommand(
            Command::new("rm")
                .visible_alias("delete")
                .about(format!(
                    "Move {a} {noun} to the trash (`outpost trash restore` brings it back)"
                ))
                .arg(reference())
                .arg(
                    Arg::new("cascade")
                        .long("cascade")
                        .action(ArgAction::SetTrue)
                        .help("Also trash the records that point at it"),
                ),
        )
}

/// The list filters that only some kinds have: (flag, the kinds it applies to, whether
/// `kind` is one of them).
fn filters(kind: EntityKind) -> [(&'static str, &'static str, bool); 3] {
    let has = |json: &str| spec::specs(kind).iter().any(|s| s.json == json) || spec::derived(kind).contains(&json);
    [
        (
            "account",
            "contacts, opportunities, quotes, activities and events",
            has("account_id"),
        ),
        (
            "owner",
            "accounts, contacts, leads, opportunities and activities",
            has("owner"),
        ),
        ("stage", "opportunities", kind == EntityKind::Opportunity),
    ]
}

/// `list` for `kind`: a filter that does not apply to the kind is not offered (not in
/// `--help`), and giving it is a usage error that says which kinds have it.
fn list_command(kind: EntityKind) -> Command {
    let mut cmd = ListArgs::augment_args(
        Command::new("list")
            .visible_alias("ls")
            .about(format!("List {}", kind.plural())),
    );
    for (flag, kinds, applies) in filters(kind) {
        if !applies {
            let plural = kind.plural();
            cmd = cmd.mut_arg(flag, |a| {
                a.hide(true).value_parser(move |_: &str| -> Result<String, String> {
                    Err(format!("--{flag} does not apply to {plural}; it filters {kinds}"))
                })
            });
        }
    }
    cmd
}

fn ref_hint(kind: EntityKind) -> &'static str {
    // From the fields the kind's title is made of (see `app::kinds`).
    match crate::app::kinds::def(kind).title {
        ["first_name", "last_name"] => "\"First Last\"",
        ["number"] => "quote number",
        ["sku"] => "SKU",
        ["title"] => "title",
        ["subject"] => "subject",
        _ => "name",
    }
}

/// Reads the field flags of `add`/`edit`.
#[must_use]
pub fn values(kind: EntityKind, m: &ArgMatches) -> Values {
    let mut out = Values::new();
    for s in spec::specs(kind) {
        if m.try_contains_id(s.flag).unwrap_or(false)
            && let Ok(Some(vals)) = m.try_get_many::<String>(s.flag)
        {
            out.push((s, vals.cloned().collect()));
        }
    }
    out
}

/// Parses matches of an entity command whose extra commands are `E`.
pub fn parse<E: FromArgMatches>(kind: EntityKind, m: &ArgMatches) -> Result<Action<E>, clap::Error> {
    let reference = |sub: &ArgMatches| sub.get_one::<String>("ref").cloned().unwrap_or_default();
    Ok(match m.subcommand() {
        Some(("add", sub)) => Action::Add(values(kind, sub)),
        Some(("list", sub)) => Action::List(ListArgs::from_arg_matches(sub)?),
        Some(("show", sub)) => Action::Show(reference(sub)),
        Some(("edit", sub)) => Action::Edit(reference(sub), values(kind, sub)),
        Some(("rm", sub)) => Action::Rm(reference(sub), sub.get_flag("cascade")),
        _ => Action::Extra(E::from_arg_matches(m)?),
    })
}

/// No extra commands.
#[derive(Debug, Clone)]
pub enum NoExtra {}

impl FromArgMatches for NoExtra {
    fn from_arg_matches(_: &ArgMatches) -> Result<Self, clap::Error> {
        Err(clap::Error::new(clap::error::ErrorKind::InvalidSubcommand))
    }
    fn update_from_arg_matches(&mut self, _: &ArgMatches) -> Result<(), clap::Error> {
        Ok(())
    }
}

impl Subcommand for NoExtra {
    fn augment_subcommands(cmd: Command) -> Command {
        cmd
    }
    fn augment_subcommands_for_update(cmd: Command) -> Command {
        cmd
    }
    fn has_subcommand(_: &str) -> bool {
        false
    }
}

/// Declares the clap argument type of one entity command.
macro_rules! entity_args {
    ($(#[$doc:meta])* $name:ident, $kind:expr, $extra:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub Action<$extra>);

        impl FromArgMatches for $name {
            fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
                parse($kind, m).map($name)
            }
            fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
                *self = Self::from_arg_matches(m)?;
                Ok(())
            }
        }

        impl Args for $name {
            fn augment_args(cmd: Command) -> Command {
                <$extra as Subcommand>::augment_subcommands(augment(cmd, $kind))
            }
            fn augment_args_for_update(cmd: Command) -> Command {
                Self::augment_args(cmd)
            }
        }
    };
}

entity_args!(/// `outpost account ...`
    AccountArgs, EntityKind::Account, NoExtra);
entity_args!(/// `outpost contact ...`
    ContactArgs, EntityKind::Contact, NoExtra);
entity_args!(/// `outpost lead ...`
    LeadArgs, EntityKind::Lead, LeadExtra);
entity_args!(/// `outpost opp ...`
    OppArgs, EntityKind::Opportunity, OppExtra);
entity_args!(/// `outpost product ...`
    ProductArgs, EntityKind::Product, NoExtra);
entity_args!(/// `outpost quote ...`
    QuoteArgs, EntityKind::Quote, QuoteExtra);
entity_args!(/// `outpost order ...`
    OrderArgs, EntityKind::Order, OrderExtra);
entity_args!(/// `outpost activity ...`
    ActivityArgs, EntityKind::Activity, ActivityExtra);
entity_args!(/// `outpost event ...`
    EventArgs, EntityKind::Event, EventExtra);
entity_args!(/// `outpost user ...`
    UserArgs, EntityKind::User, NoExtra);
entity_args!(/// `outpost territory ...`
    TerritoryArgs, EntityKind::Territory, TerritoryExtra);

/// Extra territory commands.
#[derive(Subcommand, Debug, Clone)]
pub enum TerritoryExtra {
    /// Set each account's territory from the rules and print what changed (account,
    /// old -> new). Among the territories whose rules all match an account, the longest
    /// matching postcode prefix wins, then a country match, then an industry match; a
    /// tie goes to the deeper territory in the tree, then to the name. An account no
    /// rule matches keeps the territory it has.
    Assign {
        /// Print what would change without writing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Extra opportunity commands.
#[derive(Subcommand, Debug, Clone)]
pub enum OppExtra {
    /// Move a deal to another stage (the probability follows the stage; the change is
    /// kept in the stage history).
    Move {
        /// The opportunity: id, unique id prefix, or name.
        #[arg(value_name = "REF")]
        reference: String,
        /// The stage, e.g. Proposal, "Closed Won", closed-won.
        stage: String,
        /// Why the deal was lost (only with a lost stage; kept on the deal as
        /// `loss_reason`).
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
}

/// Extra lead commands.
#[derive(Subcommand, Debug, Clone)]
pub enum LeadExtra {
    /// Convert a lead into an account (created, or linked by company name), a contact and,
    /// unless --no-opp, an opportunity; the lead is marked converted with links to them.
    Convert {
        /// The lead: id, unique id prefix, or "First Last".
        #[arg(value_name = "REF")]
        reference: String,
        /// Do not create an opportunity.
        #[arg(long)]
        no_opp: bool,
        /// Name of the new opportunity (default "<company> - new business").
        #[arg(long, value_name = "NAME")]
        opp_name: Option<String>,
        /// Amount of the new opportunity (default 0).
        #[arg(long, value_name = "AMOUNT")]
        amount: Option<String>,
        /// Close date of the new opportunity.
        #[arg(long, value_name = "DATE")]
        close: Option<String>,
    },
}

/// Extra activity commands.
#[derive(Subcommand, Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum ActivityExtra {
    /// Log a call, visit, meeting, e-mail, note or task, optionally with a follow-up task.
    Log {
        /// What happened.
        #[arg(value_enum)]
        kind: crate::model::records::ActivityKind,
        /// One-line summary.
        #[arg(long)]
        subject: String,
        /// Related account.
        #[arg(long, value_name = "REF")]
        account: Option<String>,
        /// Related contact.
        #[arg(long, value_name = "REF")]
        contact: Option<String>,
        /// Related opportunity.
        #[arg(long, value_name = "REF")]
        opp: Option<String>,
        /// Related lead.
        #[arg(long, value_name = "REF")]
        lead: Option<String>,
        /// Outcome of the call or visit.
        #[arg(long)]
        outcome: Option<String>,
        /// Longer text.
        #[arg(long)]
        body: Option<String>,
        /// Due date (for tasks).
        #[arg(long, value_name = "DATE")]
        due: Option<String>,
        /// Create a follow-up task with this subject.
        #[arg(long, value_name = "TEXT")]
        next_step: Option<String>,
        /// Due date of the follow-up task (default: in 3 days).
        #[arg(long, value_name = "DATE", requires = "next_step")]
        next_due: Option<String>,
    },
    /// Mark a task done (`--undo` to reopen it).
    Done {
        /// The task: id, unique id prefix, or subject.
        #[arg(value_name = "REF")]
        reference: String,
        /// Reopen instead.
        #[arg(long)]
        undo: bool,
    },
}

/// Extra event commands: exceptions of a recurring event.
#[derive(Subcommand, Debug, Clone)]
pub enum EventExtra {
    /// Cancel one occurrence of a recurring event (adds its day to the EXDATEs).
    Cancel {
        /// The recurring event: id, unique id prefix, or title.
        #[arg(value_name = "REF")]
        reference: String,
        /// The day of the occurrence: YYYY-MM-DD.
        #[arg(long, value_name = "DATE")]
        on: String,
    },
    /// Move one occurrence of a recurring event to another time (it becomes an event of
    /// its own, linked to the series by `series_id` and `recurrence_id`; the series is
    /// unchanged). Moving it again updates that event.
    Move {
        /// The recurring event: id, unique id prefix, or title.
        #[arg(value_name = "REF")]
        reference: String,
        /// The day of the occurrence: YYYY-MM-DD.
        #[arg(long, value_name = "DATE")]
        on: String,
        /// New start: "YYYY-MM-DD HH:MM" in the event's zone, or RFC 3339.
        #[arg(long, value_name = "WHEN")]
        to: String,
        /// New end [default: the new start plus the occurrence's length].
        #[arg(long, value_name = "WHEN")]
        end: Option<String>,
    },
}

/// Extra order commands.
#[derive(Subcommand, Debug, Clone)]
pub enum OrderExtra {
    /// Move an order on: confirmed -> paid | shipped -> delivered (paid and shipped in
    /// either order), or cancelled before delivery; the time of each change is kept
    /// (`history`).
    Status {
        /// The order: number or id.
        #[arg(value_name = "ORDER")]
        reference: String,
        /// paid, shipped, delivered or cancelled.
        #[arg(value_name = "STATUS", value_parser = ["paid", "shipped", "delivered", "cancelled"])]
        status: String,
    },
}

/// Extra quote commands.
#[derive(Subcommand, Debug, Clone)]
pub enum QuoteExtra {
    /// Add a line to a draft quote (description, price and tax default to the product's;
    /// the price is the product's price-book entry valid on the quote's date for the
    /// quantity).
    LineAdd {
        /// The quote: number or id.
        #[arg(value_name = "QUOTE")]
        reference: String,
        /// Product: SKU or id.
        #[arg(long, value_name = "SKU")]
        product: Option<String>,
        /// Line text.
        #[arg(long, value_name = "D")]
        description: Option<String>,
        /// Quantity (default 1).
        #[arg(long, value_name = "N")]
        qty: Option<String>,
        /// Unit price in the quote currency.
        #[arg(long, value_name = "P")]
        price: Option<String>,
        /// Line discount in percent.
        #[arg(long, value_name = "PCT")]
        discount: Option<String>,
        /// Tax rate in percent.
        #[arg(long, value_name = "PCT")]
        tax: Option<String>,
        /// Put it at this place (1 = first) instead of last.
        #[arg(long, value_name = "N")]
        at: Option<usize>,
    },
    /// Change a line of a draft quote, named by its place (as `quote show` numbers them).
    LineEdit {
        /// The quote: number or id.
        #[arg(value_name = "QUOTE")]
        reference: String,
        /// The line's place, 1 = first.
        #[arg(value_name = "N")]
        place: usize,
        /// Line text.
        #[arg(long, value_name = "D")]
        description: Option<String>,
        /// Quantity.
        #[arg(long, value_name = "N")]
        qty: Option<String>,
        /// Unit price.
        #[arg(long, value_name = "P")]
        price: Option<String>,
        /// Line discount in percent.
        #[arg(long, value_name = "PCT")]
        discount: Option<String>,
        /// Tax rate in percent.
        #[arg(long, value_name = "PCT")]
        tax: Option<String>,
    },
    /// Move a line of a draft quote from one place to another (the lines between shift).
    LineMove {
        /// The quote: number or id.
        #[arg(value_name = "QUOTE")]
        reference: String,
        /// The line's place now, 1 = first.
        #[arg(value_name = "FROM")]
        from: usize,
        /// Its new place.
        #[arg(value_name = "TO")]
        to: usize,
    },
    /// List the lines of a quote, in order.
    Lines {
        /// The quote: number or id.
        #[arg(value_name = "QUOTE")]
        reference: String,
    },
    /// Remove a line from a draft quote: `line-rm QUOTE N` (its place) or `line-rm LINE`
    /// (the line's id or id prefix).
    LineRm {
        /// The quote (with N), or the line's id or id prefix.
        #[arg(value_name = "QUOTE|LINE")]
        line: String,
        /// The line's place on the quote, 1 = first.
        #[arg(value_name = "N")]
        place: Option<usize>,
    },
    /// Ask a manager to approve a discount over your limit (`[quotes] discount_limits`).
    Submit {
        /// The quote: number or id.
        #[arg(value_name = "QUOTE")]
        reference: String,
    },
    /// Quotes waiting for a manager's approval.
    Approvals,
    /// Approve the discount of a quote waiting for approval (managers and admins).
    Approve {
        /// The quote: number or id.
        #[arg(value_name = "QUOTE")]
        reference: String,
        /// A note for the rep.
        #[arg(long, value_name = "TEXT")]
        comment: Option<String>,
    },
    /// Send a quote waiting for approval back to draft (managers and admins).
    Reject {
        /// The quote: number or id.
        #[arg(value_name = "QUOTE")]
        reference: String,
        /// Why, for the rep.
        #[arg(long, value_name = "TEXT")]
        comment: Option<String>,
    },
    /// Mark a quote sent; it is frozen from then on (`quote revise` makes a new draft).
    Send {
        /// The quote: number or id.
        #[arg(value_name = "QUOTE")]
        reference: String,
    },
    /// The customer accepted: the deal's amount becomes the quote's grand total.
    Accept {
        /// The quote: number or id.
        #[arg(value_name = "QUOTE")]
        reference: String,
        /// Also close the deal won.
        #[arg(long)]
        win: bool,
        /// Also make an order from it (`order add --quote`).
        #[arg(long)]
        order: bool,
    },
    /// The customer turned the quote down.
    Decline {
        /// The quote: number or id.
        #[arg(value_name = "QUOTE")]
        reference: String,
    },
    /// Make the next revision (-R2, -R3, ...) as a new draft with the same lines; prints
    /// its id. Of a quote sent on another laptop while this one changed it, the revision
    /// takes those changes (waiting in `outpost conflicts`) and settles them.
    Revise {
        /// The quote: number or id.
        #[arg(value_name = "QUOTE")]
        reference: String,
    },
    /// Write the quote as a document: PDF, HTML or Markdown by the file's extension
    /// (.pdf, .html or .htm, .md).
    Render {
        /// The quote: number or id.
        #[arg(value_name = "QUOTE")]
        reference: String,
        /// The file to write.
        #[arg(long, short, value_name = "FILE")]
        output: std::path::PathBuf,
    },
}
