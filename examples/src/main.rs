//! `scim-example-server`: a SCIM 2.0 server for Entra ID and Okta, with tenant credentials.
//!
//! ```text
//! scim-example-server [--listen 127.0.0.1:8080] [--db ./scim-example.db] [--store sqlite|memory|postgres]
//!                     [--database-url postgres://…] [--base-url https://scim.example.com]
//!                     [--tls-cert cert.pem --tls-key key.pem] [--retention-days 30]
//! scim-example-server tenant create [--name NAME] [--profile lenient|strict|entra|okta|…] [--user-conflict conflict|adopt]
//! scim-example-server tenant list
//! scim-example-server tenant profile TENANT_ID PROFILE
//! scim-example-server tenant user-conflict TENANT_ID conflict|adopt
//! scim-example-server quirks
//! scim-example-server token issue --tenant ID [--label TEXT]
//! scim-example-server token list [--tenant ID]
//! scim-example-server token revoke TOKEN_ID
//! scim-example-server admin set-password < password.txt
//! ```
//! The admin console is served on `--admin-listen` (default `127.0.0.1:9090`) under `/admin`;
//! its sign-in is off until `admin set-password` ran.
//! On the first start with a new database it creates a tenant and prints `Tenant URL: …` and
//! `Secret Token: …`; later starts print the Tenant URL only.
//!
//! With `--store postgres` (the URL from `--database-url` or `DATABASE_URL`) everything lives
//! in PostgreSQL: users, groups, tenants, tokens and the outbox, so any number of servers can
//! share one database; the subcommands, given the same `--store postgres`, manage the
//! credentials every server reads (a revoked token is refused by all of them at once).

use clap::{Args, Parser, Subcommand, ValueEnum};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use scim_core::audit::AuditQuery;
use scim_core::quirks::{BUILTIN_PROFILES, Profile, Quirk};
use scim_core::{
    DynGroupStore, DynUserStore, Provisioning, PurgeTask, RateLimit, SchemaRegistry, ScimService, TenantId,
    UnknownAttributes, UserConflictPolicy,
};
use scim_example_server::credentials::{Credentials, FirstStart, TenantSettings};
use scim_example_server::outbox::Outbox;
use scim_example_server::{BASE_PATH, admin, axum_adapter, ops, shutdown_signal, tenant_url, tls};
use scim_store_memory::MemoryUserStore;
use scim_store_postgres::PostgresUserStore;
use scim_store_sqlite::SqliteUserStore;
use sqlx::postgres::PgPoolOptions;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

#[derive(Debug, Parser)]
#[command(name = "scim-example-server", version, about = "A SCIM 2.0 server for Entra ID and Okta provisioning")]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(flatten)]
    serve: Serve,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Args)]
struct Global {
    /// Where users and groups live (with `postgres`, the credentials and the outbox too).
    #[arg(long, global = true, value_enum, default_value_t = StoreKind::Sqlite)]
    store: StoreKind,
    /// The SQLite file holding credentials, the outbox and (with `--store sqlite`) the users;
    /// unused with `--store postgres`.
    #[arg(long, global = true, default_value = "./scim-example.db")]
    db: PathBuf,
    /// The PostgreSQL database of `--store postgres`: `postgres://user:password@host:port/db`
    /// (append `?options=-c%20search_path%3DSCHEMA` for a schema of its own).
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true, required_if_eq("store", "postgres"))]
    database_url: Option<String>,
    /// Address to listen on.
    #[arg(long, global = true, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The public origin clients use (behind a proxy), e.g. `https://scim.example.com`;
    /// default `http(s)://<listen address>`.
    #[arg(long, global = true)]
    base_url: Option<String>,
}

#[derive(Debug, Args)]
struct Serve {
    /// Where `/healthz`, `/readyz` and `/metrics` (Prometheus) are served; keep it private
    /// (the default is loopback only).
    #[arg(long, default_value = "127.0.0.1:9464")]
    metrics_listen: SocketAddr,
    /// Where the admin console (`/admin`) is served; keep it private (the default is loopback
    /// only). Sign-in is off until `admin set-password` ran.
    #[arg(long, default_value = "127.0.0.1:9090")]
    admin_listen: SocketAddr,
    /// How long an admin console session lasts after sign-in, in seconds.
    #[arg(long, hide = true, default_value_t = 8 * 3600, value_parser = clap::value_parser!(u64).range(1..=31_536_000))]
    admin_session_seconds: u64,
    /// Label request metrics with the tenant id (off: tenant ids are customer data, and each
    /// tenant adds series).
    #[arg(long)]
    metrics_tenant_labels: bool,
    /// Requests a second one tenant may send to this process (token bucket; `0` turns the
    /// limit off); over it the answer is `429` with `Retry-After`.
    #[arg(long, default_value_t = 100)]
    tenant_rate: u32,
    /// Requests one tenant may send at once after a quiet spell.
    #[arg(long, default_value_t = 1000)]
    tenant_burst: u32,
    /// PEM certificate chain; serves HTTPS with `--tls-key`.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// How long a suspended user is kept before the purge (at most 36 500 days).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(0..=36_500))]
    retention_days: u32,
    /// Retention in seconds (tests); overrides `--retention-days` (at most 100 years).
    #[arg(long, hide = true, value_parser = clap::value_parser!(u64).range(0..=3_153_600_000))]
    retention_seconds: Option<u64>,
    /// How often the purge runs, in seconds.
    #[arg(long, hide = true, default_value_t = 60)]
    purge_interval_seconds: u64,
    /// How long audit records are kept, in days (the purge removes older ones).
    #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=36_500))]
    audit_retention_days: u32,
    /// Do not keep an audit log of what identity providers change.
    #[arg(long)]
    no_audit: bool,
    /// What to do with attributes no schema defines: drop them (tolerant, the default) or
    /// answer `400 invalidValue`.
    #[arg(long, value_enum, default_value_t = UnknownPolicy::Ignore)]
    unknown_attributes: UnknownPolicy,
    /// The largest request body accepted, in bytes.
    #[arg(long, default_value_t = scim_core::Limits::default().max_body_bytes)]
    max_body_bytes: usize,
    /// How long a request body may take to arrive, in seconds (`408` after).
    #[arg(long, hide = true, default_value_t = 60)]
    body_read_timeout_seconds: u64,
    /// How long a connection may take to send a request's headers, in seconds (closed after).
    #[arg(long, hide = true, default_value_t = 30)]
    header_read_timeout_seconds: u64,
    /// A file holding the secret that signs RFC 9865 cursors (at least 16 bytes; e.g.
    /// `head -c 32 /dev/urandom > cursor.key`). Give every replica behind one load balancer
    /// the same file, or a cursor walk fails (`400 invalidCursor`) when its next request lands
    /// on another replica or after a restart. Without it each process draws a random secret.
    #[arg(long, env = "SCIM_CURSOR_KEY_FILE")]
    cursor_key_file: Option<PathBuf>,
    /// How long a cursor stays valid after the page that returned it, in seconds
    /// (`pagination.cursorTimeout`; `400 expiredCursor` after).
    #[arg(long, default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..=604_800))]
    cursor_timeout_seconds: u64,
}

/// The cursor key of `--cursor-key-file`: the file's bytes (a trailing newline dropped).
fn cursor_key(path: &std::path::Path) -> Result<scim_core::CursorKey, String> {
    let mut secret = std::fs::read(path).map_err(|e| format!("--cursor-key-file {}: {e}", path.display()))?;
    while secret.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        secret.pop();
    }
    scim_core::CursorKey::new(&secret).ok_or_else(|| {
        format!(
            "--cursor-key-file {}: the secret is shorter than {} bytes (make one with `head -c 32 /dev/urandom > {}`)",
            path.display(),
            scim_core::CursorKey::MIN_SECRET_BYTES,
            path.display()
        )
    })
}

/// How long a client may take to finish its TLS handshake.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum StoreKind {
    /// SQLite in the `--db` file (durable).
    Sqlite,
    /// In memory (lost on exit; credentials stay in `--db`).
    Memory,
    /// PostgreSQL at `--database-url`, with the credentials and the outbox: for several
    /// servers on one database.
    Postgres,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum UnknownPolicy {
    /// Drop unknown attributes.
    Ignore,
    /// Reject them with `400 invalidValue`.
    Reject,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Manage tenants.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Manage bearer tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Read the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Manage the admin console.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// List the named quirks (deviations from RFC 7643/7644 that identity providers send) and
    /// the quirks each built-in compatibility profile allows.
    Quirks,
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Set the admin console's password, read from standard input (one line; at least 12
    /// characters). Stored as an argon2id hash; turns the console's sign-in on.
    SetPassword,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Print a tenant's audit records as JSON Lines, newest first: one record a line, with
    /// `time`, `tenant`, `actor`, `client`, `request_id`, `method`, `resource_type`,
    /// `resource_id`, `name`, `operation`, `changes`, `transition`, `status`, `scim_type`,
    /// `detail` and `seq`.
    Export {
        /// The tenant id.
        #[arg(long)]
        tenant: String,
        /// Only records about this user or group id.
        #[arg(long)]
        resource: Option<String>,
        /// Only records at or after this time (RFC 3339, e.g. `2026-12-01T00:00:00Z`).
        #[arg(long, value_parser = parse_time)]
        since: Option<chrono::DateTime<chrono::Utc>>,
    },
}

fn parse_time(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| format!("not an RFC 3339 time ({e}); e.g. 2026-12-01T00:00:00Z"))
}

#[derive(Debug, Subcommand)]
enum TenantCommand {
    /// Create a tenant and its first token; prints its Tenant URL and Secret Token.
    Create {
        /// A name for the tenant.
        #[arg(long)]
        name: Option<String>,
        /// The compatibility profile: `lenient` (every known IdP deviation accepted), `strict`
        /// (RFC 7643/7644 only) or the identity provider's (`entra`, `okta`, `onelogin`,
        /// `jumpcloud`, `pingfederate`, `rippling`, `authentik`, `auth0`, `google`). See `quirks`.
        #[arg(long, default_value = "lenient")]
        profile: String,
        /// What a `POST /Users` whose `userName` exists does: `conflict` (409) or `adopt` (update
        /// the existing user when its `externalId` matches or is unset, restoring it if suspended).
        #[arg(long, default_value = "conflict")]
        user_conflict: UserConflictPolicy,
    },
    /// List tenants: id, name, created, profile, user conflict policy, Tenant URL.
    List,
    /// Change a tenant's compatibility profile (from its next request on).
    Profile {
        /// The tenant id.
        tenant: String,
        /// The profile's name (see `quirks`).
        profile: String,
    },
    /// Change what a tenant's `POST /Users` does when the `userName` exists: `conflict` or `adopt`.
    UserConflict {
        /// The tenant id.
        tenant: String,
        /// `conflict` or `adopt`.
        policy: UserConflictPolicy,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Issue another token for a tenant (rotation); prints the secret once.
    Issue {
        /// The tenant id.
        #[arg(long)]
        tenant: String,
        /// A label, e.g. `entra-prod`.
        #[arg(long)]
        label: Option<String>,
        /// The token stops working this long after it is issued (`90d`, `12h`, `1h30m`; units
        /// `w`, `d`, `h`, `m`, `s`): answered `401` like a revoked token from then on. Without
        /// it the token works until revoked.
        #[arg(long, value_parser = parse_duration_positive)]
        expires_in: Option<chrono::Duration>,
    },
    /// Rotate a token: issue a new one for its tenant with its label (printed once), and let the
    /// old one work only for `--overlap` more, so the identity provider can be updated first.
    Rotate {
        /// The id of the token to replace (`tok_…`).
        id: String,
        /// How long the old token keeps working (`0s` ends it at once). Default 24 hours.
        #[arg(long, value_parser = parse_duration, default_value = "24h")]
        overlap: chrono::Duration,
        /// The new token expires this long after it is issued; without it, it works until
        /// revoked.
        #[arg(long, value_parser = parse_duration_positive)]
        expires_in: Option<chrono::Duration>,
    },
    /// List tokens (never their secrets).
    List {
        /// Only this tenant's tokens.
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Revoke a token by id (`tok_…`); it stops working at once.
    Revoke {
        /// The token id.
        id: String,
    },
}

/// jemalloc rather than the system allocator (feature `jemalloc`, on by default): the server's
/// writes over HTTP were faster with it than with glibc's (README, *Performance*).
#[cfg(all(feature = "jemalloc", not(target_env = "msvc")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        // Colours only for a terminal: a log file or a collector gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let result = match cli.command {
        // A subcommand runs a few statements: one thread is plenty.
        Some(command) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the runtime: {e}"))
            .and_then(|rt| rt.block_on(run_command(&cli.global, command, cli.serve.tls_cert.is_some()))),
        None => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the runtime: {e}"))
            .and_then(|rt| rt.block_on(serve(&cli.global, &cli.serve))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn origin(global: &Global, listen: SocketAddr, tls: bool) -> String {
    match &global.base_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => format!("{}://{listen}", if tls { "https" } else { "http" }),
    }
}

/// The URL of `--store postgres` (clap requires it; this is the message should it not).
fn database_url(global: &Global) -> Result<&str, String> {
    global.database_url.as_deref().ok_or_else(|| "--store postgres needs --database-url (or DATABASE_URL)".to_owned())
}

/// The credentials the subcommands manage: in the `--db` file, or in PostgreSQL (a small pool
/// of its own; the tables are created if missing).
async fn open_credentials(global: &Global) -> Result<Credentials, String> {
    match global.store {
        StoreKind::Sqlite | StoreKind::Memory => Credentials::open(&global.db).map_err(|e| e.to_string()),
        StoreKind::Postgres => {
            let pool = PgPoolOptions::new()
                .max_connections(2)
                .acquire_timeout(Duration::from_secs(10))
                .connect(database_url(global)?)
                .await
                .map_err(|e| format!("cannot connect to PostgreSQL: {e}"))?;
            Credentials::connect_postgres(pool).await.map_err(|e| e.to_string())
        }
    }
}

async fn run_command(global: &Global, command: Command, tls: bool) -> Result<(), String> {
    if let Command::Audit(AuditCommand::Export { tenant, resource, since }) = command {
        return export_audit(global, &TenantId::new(tenant), resource, since).await;
    }
    if let Command::Quirks = command {
        print_quirks();
        return Ok(());
    }
    let creds = open_credentials(global).await?;
    let origin = origin(global, global.listen, tls);
    let result = run_on(&creds, &origin, command).await;
    creds.close().await;
    result
}

async fn run_on(creds: &Credentials, origin: &str, command: Command) -> Result<(), String> {
    match command {
        Command::Tenant(TenantCommand::Create { name, profile, user_conflict }) => {
            let settings = TenantSettings::new(&profile, user_conflict)?;
            let tenant = creds.create_tenant_with(name.as_deref(), &settings).await.map_err(|e| e.to_string())?;
            let token = creds.issue_token(&tenant.id, None).await.map_err(|e| e.to_string())?;
            println!("Tenant URL: {}", tenant_url(origin, &tenant.id));
            println!("Secret Token: {}", token.secret);
            println!("Profile: {}", settings.profile);
        }
        Command::Tenant(TenantCommand::List) => {
            for t in creds.tenants().await.map_err(|e| e.to_string())? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    t.id,
                    t.name.unwrap_or_default(),
                    t.created_at,
                    t.settings.profile,
                    t.settings.user_conflict,
                    tenant_url(origin, &t.id)
                );
            }
        }
        Command::Tenant(TenantCommand::Profile { tenant, profile }) => {
            let tenant = TenantId::new(tenant);
            let current = creds.tenant(&tenant).await.map_err(|e| e.to_string())?;
            let current = current.ok_or_else(|| format!("no tenant {tenant}"))?;
            let settings = TenantSettings::new(&profile, current.settings.user_conflict)?;
            creds.set_tenant_settings(&tenant, &settings).await.map_err(|e| e.to_string())?;
            println!("tenant {tenant}: profile {} (was {})", settings.profile, current.settings.profile);
        }
        Command::Tenant(TenantCommand::UserConflict { tenant, policy }) => {
            let tenant = TenantId::new(tenant);
            let current = creds.tenant(&tenant).await.map_err(|e| e.to_string())?;
            let current = current.ok_or_else(|| format!("no tenant {tenant}"))?;
            let settings = TenantSettings { user_conflict: policy, ..current.settings.clone() };
            creds.set_tenant_settings(&tenant, &settings).await.map_err(|e| e.to_string())?;
            println!("tenant {tenant}: user conflict {policy} (was {})", current.settings.user_conflict);
        }
        Command::Audit(_) | Command::Quirks => return Err("this command runs without the credentials".into()),
        Command::Token(TokenCommand::Issue { tenant, label, expires_in }) => {
            let expires_at = expires_in.map(|d| chrono::Utc::now() + d);
            let token = creds
                .issue_token_expiring(&TenantId::new(tenant), label.as_deref(), expires_at)
                .await
                .map_err(|e| e.to_string())?;
            println!("Token id: {}", token.id);
            println!("Secret Token: {}", token.secret);
            if let Some(at) = token.expires_at {
                println!("Expires: {}", scim_core::format_time(at));
            }
        }
        Command::Token(TokenCommand::Rotate { id, overlap, expires_in }) => {
            let expires_at = expires_in.map(|d| chrono::Utc::now() + d);
            let token = creds.rotate_token(&id, overlap, expires_at).await.map_err(|e| e.to_string())?;
            println!("Token id: {}", token.id);
            println!("Secret Token: {}", token.secret);
            if let Some(at) = token.expires_at {
                println!("Expires: {}", scim_core::format_time(at));
            }
            println!("{id} works until {}", scim_core::format_time(chrono::Utc::now() + overlap));
        }
        Command::Token(TokenCommand::List { tenant }) => {
            let tenant = tenant.map(TenantId::new);
            println!("ID\tTENANT\tLABEL\tCREATED\tLAST USED\tREVOKED\tEXPIRES");
            for t in creds.list_tokens(tenant.as_ref()).await.map_err(|e| e.to_string())? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    t.id,
                    t.tenant,
                    t.label.unwrap_or_default(),
                    t.created_at,
                    t.last_used_at.unwrap_or_else(|| "-".into()),
                    t.revoked_at.unwrap_or_else(|| "-".into()),
                    t.expires_at.unwrap_or_else(|| "-".into())
                );
            }
        }
        Command::Admin(AdminCommand::SetPassword) => {
            let mut password = String::new();
            std::io::stdin().read_line(&mut password).map_err(|e| format!("reading standard input: {e}"))?;
            let password = password.strip_suffix('\n').unwrap_or(&password);
            let password = password.strip_suffix('\r').unwrap_or(password).to_owned();
            let phc = tokio::task::spawn_blocking(move || admin::hash_password(&password))
                .await
                .map_err(|e| e.to_string())??;
            creds.set_admin_password_hash(&phc).await.map_err(|e| e.to_string())?;
            println!("admin password set; the console's sign-in is on");
        }
        Command::Token(TokenCommand::Revoke { id }) => {
            if creds.revoke(&id).await.map_err(|e| e.to_string())? {
                println!("revoked {id}");
            } else {
                return Err(format!("no active token {id}"));
            }
        }
    }
    Ok(())
}

/// A duration such as `90d`, `12h`, `1h30m` or `0s`: numbers each followed by a unit (`w`, `d`,
/// `h`, `m`, `s`), at most ten years.
fn parse_duration(text: &str) -> Result<chrono::Duration, String> {
    const MAX_SECONDS: i64 = 10 * 366 * 86_400;
    let bad = || format!("\"{text}\" is not a duration; e.g. 90d, 12h, 1h30m, 0s");
    let mut total: i64 = 0;
    let mut number: Option<i64> = None;
    for c in text.trim().chars() {
        if let Some(d) = c.to_digit(10) {
            let n = number.unwrap_or(0).checked_mul(10).and_then(|n| n.checked_add(i64::from(d))).ok_or_else(bad)?;
            number = Some(n.min(MAX_SECONDS + 1));
            continue;
        }
        let unit = match c {
            'w' => 7 * 86_400,
            'd' => 86_400,
            'h' => 3_600,
            'm' => 60,
            's' => 1,
            _ => return Err(bad()),
        };
        let n = number.take().ok_or_else(bad)?;
        total = total.saturating_add(n.saturating_mul(unit));
    }
    if number.is_some() || text.trim().is_empty() {
        return Err(bad());
    }
    if total > MAX_SECONDS {
        return Err(format!("\"{text}\" is longer than ten years"));
    }
    Ok(chrono::Duration::seconds(total))
}

/// [`parse_duration`], more than zero.
fn parse_duration_positive(text: &str) -> Result<chrono::Duration, String> {
    let d = parse_duration(text)?;
    if d <= chrono::Duration::zero() {
        return Err(format!("\"{text}\" must be longer than zero"));
    }
    Ok(d)
}

/// `quirks`: the registry of accepted deviations and what each built-in profile allows.
fn print_quirks() {
    for quirk in Quirk::ALL {
        println!("{}", quirk.name());
        println!("  accepts: {}", quirk.accepts());
        println!("  strict answer: {}", quirk.strict_answer());
        if !quirk.senders().is_empty() {
            println!("  sent by: {}", quirk.senders().join("; "));
        }
        for source in quirk.sources() {
            println!("  source: {source}");
        }
    }
    println!();
    println!("PROFILE\tQUIRKS");
    for name in BUILTIN_PROFILES {
        if let Some(profile) = Profile::builtin(name) {
            println!("{name}\t{}", profile.quirks());
        }
    }
}

/// `audit export`: pages through the tenant's log, newest first, and prints each record as one
/// line of JSON. Stops quietly when stdout closes (`| head`).
async fn export_audit(
    global: &Global,
    tenant: &TenantId,
    resource: Option<String>,
    since: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<(), String> {
    use std::io::Write as _;
    let users: Arc<DynUserStore> = match global.store {
        StoreKind::Sqlite => Arc::new(SqliteUserStore::open(&global.db).map_err(|e| format!("sqlite store: {e}"))?),
        StoreKind::Postgres => Arc::new(
            PostgresUserStore::connect(database_url(global)?).await.map_err(|e| format!("postgres store: {e}"))?,
        ),
        StoreKind::Memory => {
            return Err("the memory store keeps its audit log in the server's process only; nothing to export".into());
        }
    };
    let log = users.audit_log().ok_or("this store keeps no audit log")?;
    let mut query = AuditQuery::new().with_limit(scim_core::audit::MAX_AUDIT_PAGE);
    query.resource_id = resource;
    query.since = since;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    loop {
        let page = log.list_audit(tenant, &query).await.map_err(|e| format!("reading the audit log: {e}"))?;
        for record in &page.records {
            if writeln!(out, "{}", record.to_json()).is_err() {
                return Ok(());
            }
        }
        match page.next {
            Some(next) => query.cursor = Some(next),
            None => break,
        }
    }
    let _ = out.flush();
    Ok(())
}

/// Where the server keeps its data, as `--store` says.
struct Backends {
    users: Arc<DynUserStore>,
    groups: Arc<DynGroupStore>,
    creds: Arc<Credentials>,
    outbox: Outbox,
}

async fn open_backends(global: &Global) -> Result<Backends, String> {
    let (users, groups, creds, outbox): (Arc<DynUserStore>, Arc<DynGroupStore>, _, _) = match global.store {
        StoreKind::Sqlite => {
            let creds = Credentials::open(&global.db).map_err(|e| e.to_string())?;
            let store = Arc::new(SqliteUserStore::open(&global.db).map_err(|e| format!("sqlite store: {e}"))?);
            let outbox = Outbox::open(&global.db).map_err(|e| e.to_string())?;
            (store.clone(), store, creds, outbox)
        }
        StoreKind::Memory => {
            let creds = Credentials::open(&global.db).map_err(|e| e.to_string())?;
            let store = Arc::new(MemoryUserStore::new());
            let outbox = Outbox::open(&global.db).map_err(|e| e.to_string())?;
            (store.clone(), store, creds, outbox)
        }
        StoreKind::Postgres => {
            let store =
                PostgresUserStore::connect(database_url(global)?).await.map_err(|e| format!("postgres store: {e}"))?;
            // One pool (so one schema) for the store, the credentials and the outbox.
            let creds = Credentials::connect_postgres(store.pool().clone()).await.map_err(|e| e.to_string())?;
            let outbox = Outbox::connect_postgres(store.pool().clone()).await.map_err(|e| e.to_string())?;
            let store = Arc::new(store);
            (store.clone(), store, creds, outbox)
        }
    };
    Ok(Backends { users, groups, creds: Arc::new(creds), outbox })
}

async fn serve(global: &Global, opts: &Serve) -> Result<(), String> {
    let metrics = ops::install_recorder()?;
    let Backends { users, groups, creds, outbox } = open_backends(global).await?;
    let users: Arc<DynUserStore> = Arc::new(ops::Metered::new(users));
    let groups: Arc<DynGroupStore> = Arc::new(ops::Metered::new(groups));
    let metrics_listener = TcpListener::bind(opts.metrics_listen)
        .await
        .map_err(|e| format!("cannot listen on {} (--metrics-listen): {e}", opts.metrics_listen))?;
    let metrics_local = metrics_listener.local_addr().map_err(|e| e.to_string())?;
    let ops_app = ops::router(metrics, users.clone());
    tokio::spawn(async move {
        if let Err(e) = axum::serve(metrics_listener, ops_app).await {
            tracing::error!(error = %e, "the metrics listener stopped");
        }
    });
    let tls = match (&opts.tls_cert, &opts.tls_key) {
        (Some(cert), Some(key)) => Some(tls::server_config(cert, key)?),
        _ => None,
    };
    let listener =
        TcpListener::bind(global.listen).await.map_err(|e| format!("cannot listen on {}: {e}", global.listen))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    let origin = origin(global, local, tls.is_some());

    let retention = match opts.retention_seconds {
        Some(s) => chrono::Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX)),
        None => chrono::Duration::days(i64::from(opts.retention_days)),
    };
    let policy = match opts.unknown_attributes {
        UnknownPolicy::Ignore => UnknownAttributes::Ignore,
        UnknownPolicy::Reject => UnknownAttributes::Reject,
    };
    let registry = SchemaRegistry::scim_default().with_unknown_attributes(policy);
    let key = opts.cursor_key_file.as_deref().map(cursor_key).transpose()?;
    if key.is_none() && matches!(global.store, StoreKind::Postgres) {
        tracing::warn!(
            "no --cursor-key-file: cursors are signed with a secret of this process only, so a cursor walk fails \
             when its next request reaches another replica"
        );
    }
    let provisioning = Provisioning::from_stores(users, groups)
        .with_registry(Arc::new(registry))
        .with_retention(retention)
        .with_audit(!opts.no_audit)
        .with_audit_retention(chrono::Duration::days(i64::from(opts.audit_retention_days)))
        .with_events(Arc::new(outbox.clone()))
        .with_limits(
            scim_core::Limits::default()
                .with_max_body_bytes(opts.max_body_bytes)
                .with_tenant_rate((opts.tenant_rate > 0).then(|| RateLimit::new(opts.tenant_rate, opts.tenant_burst)))
                .with_token_rate((opts.tenant_rate > 0).then(|| RateLimit::new(opts.tenant_rate, opts.tenant_burst)))
                .with_cursor_timeout(Duration::from_secs(opts.cursor_timeout_seconds)),
        );
    let provisioning = match key {
        Some(key) => provisioning.with_cursor_key(key),
        None => provisioning,
    };
    let admin_listener = TcpListener::bind(opts.admin_listen)
        .await
        .map_err(|e| format!("cannot listen on {} (--admin-listen): {e}", opts.admin_listen))?;
    let admin_local = admin_listener.local_addr().map_err(|e| e.to_string())?;
    let console = admin::Admin::new(
        provisioning.clone(),
        creds.clone(),
        Some(outbox),
        admin::AdminConfig {
            origin: origin.clone(),
            secure_cookies: tls.is_some(),
            session_ttl: Duration::from_secs(opts.admin_session_seconds),
            retention,
        },
    );
    let service =
        ScimService::new(provisioning.clone(), creds.clone()).with_base_path(BASE_PATH).with_public_url(origin.clone());

    // Of several servers starting at once on an empty database, exactly one creates the tenant.
    match creds.first_start(Some("first tenant"), Some("first")).await.map_err(|e| e.to_string())? {
        FirstStart::Created { tenant, token } => {
            println!("Tenant URL: {}", tenant_url(&origin, &tenant.id));
            println!("Secret Token: {}", token.secret);
        }
        FirstStart::Existing(tenants) => {
            for tenant in &tenants {
                println!("Tenant URL: {}", tenant_url(&origin, &tenant.id));
            }
        }
    }
    println!("Metrics URL: http://{metrics_local}/metrics");
    println!("Admin URL: {}://{admin_local}/admin", if tls.is_some() { "https" } else { "http" });

    // Purges expired suspended users at start and then every interval, until the process exits.
    PurgeTask::new(provisioning, Duration::from_secs(opts.purge_interval_seconds.max(1)))
        .with_report(log_purge)
        .spawn();
    let app = axum_adapter::router_configured(
        service,
        Duration::from_secs(opts.body_read_timeout_seconds),
        opts.metrics_tenant_labels,
    );
    tracing::info!(%local, tls = tls.is_some(), "serving SCIM");
    let header_read_timeout = Duration::from_secs(opts.header_read_timeout_seconds.max(1));
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    let admin_app = admin::router(console);
    let admin_tls = acceptor.clone();
    tokio::spawn(async move {
        if let Err(e) = serve_http(admin_listener, admin_app, admin_tls, header_read_timeout).await {
            tracing::error!(error = %e, "the admin console listener stopped");
        }
    });
    serve_http(listener, app, acceptor, header_read_timeout).await
}

/// Logs what a purge run did: the users it purged, or its failure (the task goes on).
fn log_purge(outcome: &Result<usize, scim_core::ScimError>) {
    ops::record_purge(outcome);
    match outcome {
        Ok(0) => {}
        Ok(n) => tracing::info!(purged = n, "purged expired suspended users"),
        Err(e) => tracing::error!(error = %e, "purge failed"),
    }
}

/// Serves HTTP/1.1 (over TLS with `tls`) until a shutdown signal, then lets in-flight
/// connections finish for up to 30 s. A connection must send a request's headers within
/// `header_read_timeout` of opening or of its previous response (an idle keep-alive
/// connection is closed after it), and finish a TLS handshake within [`TLS_HANDSHAKE_TIMEOUT`]:
/// clients that trickle or send nothing do not hold connections open.
async fn serve_http(
    listener: TcpListener,
    app: axum::Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
    header_read_timeout: Duration,
) -> Result<(), String> {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new()).header_read_timeout(header_read_timeout);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (tcp, peer) = match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        // A connection that failed before it was accepted: the next one may be
                        // fine. Anything else (no file descriptors left, say) lasts a while:
                        // wait a second rather than spin and flood the log.
                        let per_connection = matches!(
                            e.kind(),
                            std::io::ErrorKind::ConnectionRefused
                                | std::io::ErrorKind::ConnectionAborted
                                | std::io::ErrorKind::ConnectionReset
                        );
                        tracing::warn!(error = %e, "accept failed");
                        if !per_connection {
                            tokio::time::sleep(Duration::from_secs(1)).await;
                        }
                        continue;
                    }
                };
                let tls = tls.clone();
                let service = TowerToHyperService::new(app.clone());
                let watcher = graceful.watcher();
                let http = http.clone();
                tokio::spawn(async move {
                    let result = match tls {
                        None => watcher.watch(http.serve_connection(TokioIo::new(tcp), service)).await,
                        Some(acceptor) => {
                            let stream = match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                                Ok(Ok(s)) => s,
                                Ok(Err(e)) => {
                                    tracing::debug!(%peer, error = %e, "TLS handshake failed");
                                    return;
                                }
                                Err(_) => {
                                    tracing::debug!(%peer, "TLS handshake timed out");
                                    return;
                                }
                            };
                            watcher.watch(http.serve_connection(TokioIo::new(stream), service)).await
                        }
                    };
                    if let Err(e) = result {
                        tracing::debug!(%peer, error = %e, "connection ended with an error");
                    }
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => Ok(()),
        () = tokio::time::sleep(Duration::from_secs(30)) => {
            tracing::warn!("in-flight connections did not finish within 30 s");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_duration, parse_duration_positive};
    use chrono::Duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90d"), Ok(Duration::days(90)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::minutes(90)));
        assert_eq!(parse_duration("2w1s"), Ok(Duration::seconds(14 * 86_400 + 1)));
        assert_eq!(parse_duration("0s"), Ok(Duration::zero()));
        for bad in ["", "5", "d", "1x", "-1d", "1.5h", "99999999999999999999999d", "3700d"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert!(parse_duration_positive("0s").is_err());
        assert_eq!(parse_duration_positive("1s"), Ok(Duration::seconds(1)));
    }
}
