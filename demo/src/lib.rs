//! The demo server: yauth with every plugin it knows (`--plugins`), mounted at `/api/auth`,
//! on the database and ORM named on the command line, with one HTML page at `/` to try it in a
//! browser. It creates yauth's tables when they are missing (the library itself never runs
//! migrations).

mod spa;
pub mod telemetry;

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use yauth::email_password::EmailPasswordConfig;
use yauth::prelude::*;
use yauth_migration::{Dialect, builtin, diff::MigrationSql};

#[derive(Debug, Clone, clap::Parser)]
#[command(name = "yauth-demo", about = "A runnable yauth server")]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    /// `sqlite://file.db` (created), `sqlite:///abs/path.db`, `sqlite:/abs/path.db`,
    /// `postgres://…`, `mysql://…` (the database must exist) or `memory`.
    #[arg(long, default_value = "sqlite://yauth-demo.db")]
    pub database_url: String,
    /// Which generated backend runs the queries.
    #[arg(long, value_enum, default_value = "sqlx")]
    pub orm: Orm,
    /// Refuse login until the email is verified (the link is in the log).
    #[arg(long)]
    pub require_email_verification: bool,
    /// Send cookies without `Secure` even on a non-loopback address.
    #[arg(long)]
    pub insecure_cookies: bool,
    /// The HIBP range API's base URL (`/range/{prefix}` is appended).
    #[arg(long)]
    pub hibp_url: Option<String>,
    /// Do not check passwords against HIBP.
    #[arg(long)]
    pub no_hibp: bool,
    /// Send mail through this server: `smtp://[user:pass@]host:port` (plain text on a
    /// loopback host, STARTTLS otherwise; `?tls=starttls|none` overrides) or
    /// `smtps://…` (TLS). Without it, mails are written to the log.
    #[arg(long)]
    pub smtp_url: Option<String>,
    /// Where people reach this server, for the links in mails (default `http://<addr>`).
    #[arg(long)]
    pub public_url: Option<String>,
    /// The `From:` of every mail.
    #[arg(long, default_value = "yauth demo <no-reply@localhost>")]
    pub mail_from: String,
    /// A network of reverse proxies in front of the demo (`10.0.0.0/8`, `127.0.0.1/32`);
    /// repeatable. Their `X-Forwarded-For` names the client. Without it, forwarding headers
    /// are ignored.
    #[arg(long = "trusted-proxy", value_name = "CIDR")]
    pub trusted_proxies: Vec<yauth::config::IpNet>,
    /// The plugins to enable, comma-separated
    /// (`email-password,bearer,api-key,magic-link,account-lockout,passkey,mfa,admin,status,oauth2-server,oauth,webhooks,telemetry`),
    /// or `all`.
    #[arg(long, value_delimiter = ',', default_value = "all")]
    pub plugins: Vec<String>,
    /// How long a bearer access token works, in seconds (try expiry in a minute with 60).
    #[arg(long, value_name = "SECONDS", default_value_t = 900)]
    pub access_token_ttl: u64,
    /// How long the first account lock lasts, in seconds (it doubles for each further lock,
    /// up to 24 hours; try it with 30).
    #[arg(long, value_name = "SECONDS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub lockout_duration: u64,
    /// This account becomes an admin when it signs in with a magic link (or at start, once
    /// verified); its earlier credentials are removed first.
    #[arg(long, value_name = "EMAIL")]
    pub admin_email: Option<String>,
    /// Where the secret key that seals signing keys is kept when `YAUTH_SECRET_KEY` is unset
    /// (created with mode 0600 on first start). Default: `yauth-demo.key` beside the SQLite
    /// file; with `memory` the key lives only in the process; PostgreSQL and MySQL need
    /// `YAUTH_SECRET_KEY` or this flag.
    #[arg(long, value_name = "PATH")]
    pub secret_key_file: Option<PathBuf>,
    /// Let OAuth 2 clients register (`POST /api/auth/oauth/register`) with
    /// `Authorization: Bearer TOKEN` (at least 16 characters). Without it (or
    /// `--dcr-open`), registration is off.
    #[arg(long, value_name = "TOKEN")]
    pub dcr_token: Option<String>,
    /// Let anyone register OAuth 2 clients (for local experiments).
    #[arg(long, conflicts_with = "dcr_token")]
    pub dcr_open: bool,
    /// Requests per minute and client IP to the OAuth 2 token, introspection, revocation and
    /// device endpoints together.
    #[arg(long, value_name = "N", default_value_t = 600, value_parser = clap::value_parser!(u32).range(1..))]
    pub oauth_token_rate: u32,
    /// An OpenID provider to sign in with (repeatable):
    /// `name=NAME,issuer=URL,client-id=ID,client-secret=SECRET` (the secret may be left out
    /// for a public client). Register `<public URL>/api/auth/oauth/NAME/callback` as its
    /// redirect URI.
    #[arg(long = "oidc-provider", value_name = "SPEC", value_parser = parse_oidc_provider)]
    pub oidc_providers: Vec<OidcProviderArg>,
    /// The session cookie's name. Browsers share cookies across the ports of one host: two
    /// demos on one machine need different names (or one on `localhost`, the other on
    /// `127.0.0.1`).
    #[arg(long, value_name = "NAME")]
    pub cookie_name: Option<String>,
    /// Seconds before the first retry of a failed webhook delivery (each further retry waits
    /// twice as long); try it with 2 to watch retries.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub webhook_retry_delay: u64,
    /// Retries of a failed webhook delivery before it is given up.
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u32).range(0..=20))]
    pub webhook_max_retries: u32,
    /// Let webhooks target loopback and private addresses (a receiver on this machine).
    /// Never in production: it lets an admin reach internal services.
    #[arg(long)]
    pub webhooks_allow_private: bool,
    /// Export yauth's spans and counters over OTLP/HTTP (protobuf) to this collector: the
    /// base URL (`http://127.0.0.1:4318`), to which `/v1/traces` and `/v1/metrics` are
    /// appended. `OTEL_BSP_SCHEDULE_DELAY` and `OTEL_METRIC_EXPORT_INTERVAL` (milliseconds)
    /// set how often they are sent.
    #[arg(long, value_name = "URL")]
    pub otlp_endpoint: Option<String>,
    /// Share hot reads, rate-limit counters and ceremony state through this Redis
    /// (`redis://127.0.0.1:6379`); with it down, the demo keeps answering from the database.
    #[arg(long, value_name = "URL")]
    pub redis_url: Option<String>,
    /// Put before every key yauth writes to Redis (several applications can share one).
    #[arg(long, value_name = "PREFIX", default_value = "yauth:")]
    pub redis_prefix: String,
    /// Serve a built single-page app from this folder at `/` instead of the demo page (an
    /// example of `ts/examples`, built with `npm run build`): its files as they are, and its
    /// `index.html` for any other path outside `/api/`, where the app's router takes over
    /// (the mailed links `/verify-email?token=…` land there).
    #[arg(long, value_name = "DIR")]
    pub static_dir: Option<PathBuf>,
}

/// One `--oidc-provider`.
#[derive(Clone, PartialEq, Eq)]
pub struct OidcProviderArg {
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<String>,
}

impl std::fmt::Debug for OidcProviderArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcProviderArg")
            .field("name", &self.name)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// Parses `name=…,issuer=…,client-id=…[,client-secret=…]`.
pub fn parse_oidc_provider(spec: &str) -> Result<OidcProviderArg, String> {
    let (mut name, mut issuer, mut client_id, mut client_secret) = (None, None, None, None);
    for part in spec.split(',') {
        let (key, value) = part
            .split_once('=')
            .ok_or_else(|| format!("`{part}` is not key=value"))?;
        let slot = match key.trim() {
            "name" => &mut name,
            "issuer" => &mut issuer,
            "client-id" => &mut client_id,
            "client-secret" => &mut client_secret,
            other => {
                return Err(format!(
                    "unknown key `{other}` (name, issuer, client-id, client-secret)"
                ));
            }
        };
        *slot = Some(value.trim().to_owned());
    }
    Ok(OidcProviderArg {
        name: name.ok_or("name= is missing")?,
        issuer: issuer.ok_or("issuer= is missing")?,
        client_id: client_id.ok_or("client-id= is missing")?,
        client_secret,
    })
}

/// Every plugin the demo can enable, in the order it adds them.
pub const PLUGINS: &[&str] = &[
    "email-password",
    "bearer",
    "api-key",
    "magic-link",
    "account-lockout",
    "passkey",
    "mfa",
    "admin",
    "status",
    "oauth2-server",
    "oauth",
    "webhooks",
    "telemetry",
];

impl Args {
    /// The defaults of every flag, with this database: what tests and benches start from.
    pub fn new(database_url: impl Into<String>) -> Self {
        use clap::Parser as _;
        Args {
            database_url: database_url.into(),
            ..Args::parse_from(["yauth-demo"])
        }
    }

    /// The enabled plugins: `all`, or the names given (each checked).
    pub fn enabled_plugins(&self) -> anyhow::Result<Vec<&'static str>> {
        if self.plugins.iter().any(|p| p == "all") {
            return Ok(PLUGINS.to_vec());
        }
        self.plugins
            .iter()
            .map(|name| {
                PLUGINS
                    .iter()
                    .find(|p| **p == name.trim())
                    .copied()
                    .with_context(|| {
                        format!("unknown plugin `{name}` (known: {})", PLUGINS.join(", "))
                    })
            })
            .collect()
    }
}

/// The variable the demo reads its secret key from.
pub const SECRET_KEY_VAR: &str = "YAUTH_SECRET_KEY";

/// The secret key: `YAUTH_SECRET_KEY`, else the key file (created once, mode 0600), else
/// (memory) a key of this process only.
fn secret_key(args: &Args) -> anyhow::Result<SecretKey> {
    if let Ok(hex) = std::env::var(SECRET_KEY_VAR) {
        return SecretKey::from_hex(&hex)
            .with_context(|| format!("{SECRET_KEY_VAR} must be 64 hexadecimal characters"));
    }
    let path = match (&args.secret_key_file, dialect_of(&args.database_url)?) {
        (Some(path), _) => path.clone(),
        (None, None) => {
            tracing::info!(
                "no {SECRET_KEY_VAR}: a random secret key lives in this process only (memory database)"
            );
            return Ok(SecretKey::generate());
        }
        (None, Some(Dialect::Sqlite)) => {
            sqlite_path(&args.database_url)?.with_file_name("yauth-demo.key")
        }
        (None, Some(_)) => bail!(
            "set {SECRET_KEY_VAR} (64 hexadecimal characters) or --secret-key-file for this database"
        ),
    };
    read_or_create_key(&path)
}

/// Reads the key file, or creates it with a new random key, readable by its owner only.
pub fn read_or_create_key(path: &std::path::Path) -> anyhow::Result<SecretKey> {
    use std::io::Write as _;
    match std::fs::read_to_string(path) {
        Ok(text) => {
            return SecretKey::from_hex(&text).with_context(|| {
                format!("{} must hold 64 hexadecimal characters", path.display())
            });
        }
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(e).with_context(|| format!("reading {}", path.display()));
        }
        Err(_) => {}
    }
    let key = SecretKey::generate();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(key.to_hex().as_bytes())?;
    file.sync_all()?;
    tracing::info!(path = %path.display(), "created a secret key (mode 0600); keep it: it opens the stored signing keys");
    Ok(key)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Orm {
    Diesel,
    Sqlx,
    Seaorm,
}

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    pub handle: tokio::task::JoinHandle<()>,
}

/// The SQLite file of a `sqlite:` URL.
pub fn sqlite_path(url: &str) -> anyhow::Result<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .context("not a sqlite URL")?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() {
        bail!("the sqlite URL names no file");
    }
    Ok(PathBuf::from(path))
}

fn dialect_of(url: &str) -> anyhow::Result<Option<Dialect>> {
    Ok(match url.split(':').next().unwrap_or_default() {
        "memory" => None,
        "sqlite" => Some(Dialect::Sqlite),
        "postgres" | "postgresql" => Some(Dialect::Postgres),
        "mysql" | "mariadb" => Some(Dialect::Mysql),
        other => bail!("unsupported database URL scheme `{other}`"),
    })
}

/// Creates yauth's tables unless `yauth_users` exists.
async fn migrate_sqlx<DB: sqlx::Database>(
    pool: &sqlx::Pool<DB>,
    dialect: Dialect,
) -> anyhow::Result<()>
where
    for<'c> &'c sqlx::Pool<DB>: sqlx::Executor<'c, Database = DB>,
{
    let probe = sqlx::raw_sql("SELECT 1 FROM yauth_users WHERE 1 = 0")
        .execute(pool)
        .await;
    if probe.is_ok() {
        return Ok(());
    }
    let schema = builtin::full_schema(builtin::DEFAULT_PREFIX);
    for statement in MigrationSql::between(None, &schema, dialect)?.up {
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
            .execute(pool)
            .await?;
    }
    tracing::info!(?dialect, "created yauth's tables");
    Ok(())
}

// The pools hand out connections without a health check first (sqlx's
// `test_before_acquire(false)`, deadpool's `RecyclingMethod::Fast`): a ping per checkout would
// double the round trips of the session check, which runs on every protected request. A
// connection that died meanwhile fails one query and the pool then replaces it (sqlx tests a
// connection as it comes back, deadpool drops a broken one).

macro_rules! deadpool {
    ($manager:expr) => {
        diesel_async::pooled_connection::deadpool::Pool::builder($manager)
            .build()
            .context("diesel pool")?
    };
}

/// A diesel-async connection manager for `url` whose connections are not pinged on checkout.
fn diesel_manager<C>(url: &str) -> diesel_async::pooled_connection::AsyncDieselConnectionManager<C>
where
    C: diesel_async::AsyncConnection + 'static,
{
    let mut config = diesel_async::pooled_connection::ManagerConfig::default();
    config.recycling_method = diesel_async::pooled_connection::RecyclingMethod::Fast;
    diesel_async::pooled_connection::AsyncDieselConnectionManager::new_with_config(url, config)
}

/// Opens the database, creates the tables if needed, and returns the backend's repositories.
pub async fn backend(url: &str, orm: Orm) -> anyhow::Result<Box<dyn DatabaseBackend>> {
    use yauth::backends::*;
    let Some(dialect) = dialect_of(url)? else {
        return Ok(Box::new(memory::InMemoryBackend::new()));
    };
    Ok(match dialect {
        Dialect::Sqlite => {
            let path = sqlite_path(url)?;
            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(&path)
                .create_if_missing(true)
                .foreign_keys(true)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(std::time::Duration::from_secs(30));
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .test_before_acquire(false)
                .connect_with(options)
                .await?;
            migrate_sqlx(&pool, dialect).await?;
            match orm {
                Orm::Sqlx => Box::new(sqlx_sqlite::SqlxSqliteBackend::from_pool(pool)),
                Orm::Seaorm => Box::new(seaorm_sqlite::SeaOrmSqliteBackend::from_connection(
                    sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(pool),
                )),
                Orm::Diesel => {
                    let manager =
                        diesel_sqlite::DieselSqliteBackend::manager(&path.display().to_string());
                    Box::new(diesel_sqlite::DieselSqliteBackend::from_pool(deadpool!(
                        manager
                    )))
                }
            }
        }
        Dialect::Postgres => {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .test_before_acquire(false)
                .connect(url)
                .await?;
            migrate_sqlx(&pool, dialect).await?;
            match orm {
                Orm::Sqlx => Box::new(sqlx_pg::SqlxPgBackend::from_pool(pool)),
                Orm::Seaorm => Box::new(seaorm_pg::SeaOrmPgBackend::from_connection(
                    sea_orm::SqlxPostgresConnector::from_sqlx_postgres_pool(pool),
                )),
                Orm::Diesel => {
                    let manager = diesel_manager::<diesel_async::AsyncPgConnection>(url);
                    Box::new(diesel_pg::DieselPgBackend::from_pool(deadpool!(manager)))
                }
            }
        }
        Dialect::Mysql => {
            let pool = sqlx::mysql::MySqlPoolOptions::new()
                .test_before_acquire(false)
                .connect(url)
                .await?;
            migrate_sqlx(&pool, dialect).await?;
            match orm {
                Orm::Sqlx => Box::new(sqlx_mysql::SqlxMysqlBackend::from_pool(pool)),
                Orm::Seaorm => Box::new(seaorm_mysql::SeaOrmMysqlBackend::from_connection(
                    sea_orm::SqlxMySqlConnector::from_sqlx_mysql_pool(pool),
                )),
                Orm::Diesel => {
                    let manager = diesel_manager::<diesel_async::AsyncMysqlConnection>(url);
                    Box::new(diesel_mysql::DieselMysqlBackend::from_pool(deadpool!(
                        manager
                    )))
                }
            }
        }
    })
}

/// Whether `localhost` names this address: the loopback address of either family, or a
/// wildcard (which includes it). Other loopback addresses (`127.0.0.2`) are not `localhost`.
fn names_localhost(ip: std::net::IpAddr) -> bool {
    ip.is_unspecified()
        || ip == std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)
        || ip == std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST)
}

/// Builds the app: yauth at `/api/auth`, the page at `/`.
pub async fn app(args: &Args, email_password: EmailPasswordConfig) -> anyhow::Result<axum::Router> {
    let backend = backend(&args.database_url, args.orm).await?;
    // Plain http on a loopback address cannot carry a `Secure` cookie in every browser.
    let secure = !(args.insecure_cookies || args.addr.ip().is_loopback());
    if !secure {
        tracing::warn!(
            "session cookies are sent without `Secure` (plain http on {})",
            args.addr
        );
    }
    let base_url = match &args.public_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        // A wildcard address is not one a browser can open, and browsers refuse passkeys
        // on an IP address: the loopback address (or a wildcard) is named `localhost`.
        None if names_localhost(args.addr.ip()) => format!("http://localhost:{}", args.addr.port()),
        None => format!("http://{}", args.addr),
    };
    // A browser on this machine may name it by the address too: that is this app's
    // origin as well.
    let mut allowed_origins = vec![format!("http://{}", args.addr)];
    if names_localhost(args.addr.ip()) {
        allowed_origins.push(format!("http://localhost:{}", args.addr.port()));
        allowed_origins.push(format!("http://127.0.0.1:{}", args.addr.port()));
    }
    let mut config = YAuthConfig {
        base_url,
        allowed_origins,
        trusted_proxies: if args.trusted_proxies.is_empty() {
            yauth::config::TrustedProxies::None
        } else {
            yauth::config::TrustedProxies::networks(args.trusted_proxies.iter().copied())
        },
        ..YAuthConfig::default()
    };
    config.cookie.secure = secure;
    if let Some(name) = &args.cookie_name {
        config.cookie.name = name.clone();
    }
    let plugins = args.enabled_plugins()?;
    // Bearer signing keys, TOTP secrets, passkey stand-ins, provider tokens and webhook
    // secrets all hang off the secret key.
    if [
        "bearer",
        "mfa",
        "passkey",
        "oauth2-server",
        "oauth",
        "webhooks",
    ]
    .iter()
    .any(|name| plugins.contains(name))
    {
        config.secret_key = Some(secret_key(args)?);
    }
    let passkey_url = config.base_url.clone();
    let config_base_url = config.base_url.clone();
    let mailer: std::sync::Arc<dyn Mailer> = match &args.smtp_url {
        Some(url) => {
            let smtp = yauth::mail::SmtpConfig::from_url(url, args.mail_from.clone())
                .map_err(anyhow::Error::msg)?;
            tracing::info!(host = %smtp.host, port = smtp.port, security = ?smtp.security, "sending mail over SMTP");
            std::sync::Arc::new(yauth::mail::SmtpMailer::new(smtp).map_err(anyhow::Error::msg)?)
        }
        None => match &email_password.mailer {
            Some(mailer) => mailer.clone(),
            None => {
                tracing::warn!("no --smtp-url: mails, with their links, are written to the log");
                std::sync::Arc::new(LogMailer)
            }
        },
    };
    let mut builder = YAuthBuilder::new(BoxedBackend(backend), config);
    if plugins.contains(&"email-password") {
        builder = builder.with_email_password(EmailPasswordConfig {
            require_email_verification: args.require_email_verification,
            mailer: Some(mailer.clone()),
            hibp: match (&args.hibp_url, args.no_hibp) {
                (_, true) => None,
                (Some(url), false) => Some(yauth::hibp::HibpConfig {
                    base_url: url.clone(),
                    ..yauth::hibp::HibpConfig::default()
                }),
                (None, false) => email_password.hibp.clone(),
            },
            ..email_password
        });
    }
    if plugins.contains(&"bearer") {
        builder = builder.with_bearer(BearerConfig {
            access_token_ttl: std::time::Duration::from_secs(args.access_token_ttl),
            allowed_scopes: vec![
                "read".into(),
                "write".into(),
                "account".into(),
                "admin".into(),
            ],
            ..BearerConfig::default()
        });
    }
    if plugins.contains(&"api-key") {
        builder = builder.with_api_key(ApiKeyConfig {
            allowed_scopes: vec![
                "read".into(),
                "write".into(),
                "account".into(),
                "admin".into(),
            ],
            ..ApiKeyConfig::default()
        });
    }
    if plugins.contains(&"magic-link") {
        builder = builder.with_magic_link(MagicLinkConfig {
            mailer: Some(mailer.clone()),
            ..MagicLinkConfig::default()
        });
    }
    if plugins.contains(&"account-lockout") {
        builder = builder.with_account_lockout(AccountLockoutConfig {
            lockout_duration: std::time::Duration::from_secs(args.lockout_duration),
            mailer: Some(mailer.clone()),
            ..AccountLockoutConfig::default()
        });
    }
    if plugins.contains(&"passkey") {
        // The relying party is the public URL: `localhost` for a local run.
        match PasskeyConfig::for_public_url(&passkey_url) {
            Ok(config) if config.rp_id.parse::<std::net::IpAddr>().is_err() => {
                builder = builder.with_passkey(config);
            }
            _ => tracing::warn!(
                url = %passkey_url,
                "passkeys are off: browsers refuse them on an IP address; pass --public-url with a host name"
            ),
        }
    }
    if plugins.contains(&"mfa") {
        builder = builder.with_mfa(MfaConfig {
            issuer: "yauth demo".into(),
            ..MfaConfig::default()
        });
    }
    if plugins.contains(&"admin") {
        builder = builder.with_admin();
    }
    let admin_email = match &args.admin_email {
        Some(email) => Some(
            yauth::kit::validate::normalize_email(email)
                .map_err(|e| anyhow::anyhow!("--admin-email: {}", e.message))?,
        ),
        None => None,
    };
    if let Some(email) = &admin_email {
        builder = builder.with_plugin(Box::new(AdminEmail(email.clone())));
    }
    if plugins.contains(&"status") {
        builder = builder.with_status();
    }
    if plugins.contains(&"oauth2-server") {
        if !plugins.contains(&"bearer") {
            bail!(
                "oauth2-server signs its tokens with the bearer plugin's keys: enable bearer too"
            );
        }
        // The issuer is where the API is mounted; the sign-in and consent pages are the
        // demo page's.
        builder = builder.with_oauth2_server(OAuth2ServerConfig {
            registration: match (&args.dcr_token, args.dcr_open) {
                (Some(token), _) => ClientRegistration::InitialAccessToken(token.clone()),
                (None, true) => ClientRegistration::Open,
                (None, false) => ClientRegistration::Off,
            },
            oidc: Some(OidcConfig::new(format!("{}/api/auth", config_base_url))),
            rate_limits: yauth::plugins::oauth2_server::OAuth2RateLimits {
                token_per_ip: yauth::kit::limits::Limit::per_minute(args.oauth_token_rate),
                ..Default::default()
            },
            ..OAuth2ServerConfig::default()
        });
    }
    if plugins.contains(&"oauth") {
        builder = builder.with_oauth(OAuthConfig {
            providers: args
                .oidc_providers
                .iter()
                .map(|p| {
                    OAuthProvider::oidc(
                        p.name.clone(),
                        p.issuer.clone(),
                        p.client_id.clone(),
                        p.client_secret.clone(),
                    )
                })
                .collect(),
            mailer: Some(mailer.clone()),
            ..OAuthConfig::default()
        });
    }
    if plugins.contains(&"webhooks") {
        builder = builder.with_webhooks(WebhookConfig {
            retry_delay: std::time::Duration::from_secs(args.webhook_retry_delay),
            max_retries: args.webhook_max_retries,
            allow_private_targets: args.webhooks_allow_private,
            ..WebhookConfig::default()
        });
    }
    if plugins.contains(&"telemetry") {
        builder = builder.with_telemetry();
    }
    if let Some(url) = &args.redis_url {
        use yauth::redis::aio::ConnectionManagerConfig;
        let conn = yauth::redis::Client::open(url.as_str())
            .context("--redis-url")?
            .get_connection_manager_with_config(
                ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(std::time::Duration::from_secs(1)))
                    .set_response_timeout(Some(std::time::Duration::from_secs(1)))
                    .set_number_of_retries(2),
            )
            .await
            .context("connecting to --redis-url")?;
        builder = builder.with_redis_config(
            conn,
            yauth::cache::RedisConfig {
                prefix: args.redis_prefix.clone(),
                ..yauth::cache::RedisConfig::default()
            },
        );
    }
    let yauth = builder.build().await?;
    if let Some(email) = &admin_email {
        promote(yauth.state(), email).await?;
    }
    // Expired sessions, tokens and rate-limit windows are deleted every ten minutes.
    yauth.spawn_maintenance(std::time::Duration::from_secs(600));
    // Webhook deliveries (the outbox rows this process and others queued).
    yauth.spawn_workers();
    let pages = match &args.static_dir {
        Some(dir) => {
            let dir = std::sync::Arc::new(spa::canonical_dir(dir)?);
            axum::Router::new().fallback(move |method: axum::http::Method, uri: axum::http::Uri| {
                let dir = dir.clone();
                async move { spa::serve(&dir, &method, uri.path()).await }
            })
        }
        None => axum::Router::new()
            .route("/", axum::routing::get(page))
            // The mailed links (`{base_url}/verify-email?token=…`, `/reset-password?token=…`)
            // open the same page, which finishes the flow.
            .route("/verify-email", axum::routing::get(page))
            .route("/reset-password", axum::routing::get(page))
            .route("/magic-link", axum::routing::get(page))
            .route("/unlock-account", axum::routing::get(page))
            // The authorization server's sign-in, consent and device pages.
            .route("/login", axum::routing::get(page))
            .route("/consent", axum::routing::get(page))
            .route("/device", axum::routing::get(page)),
    };
    Ok(pages
        .nest("/api/auth", yauth.router())
        .with_state(yauth.state().clone())
        // RFC 8414's metadata at the host's root, for the issuer's path.
        .merge(yauth.root_router()))
}

/// `--admin-email`: the account with this (normalised) email becomes an admin when its owner
/// signs in with a magic link (which proves the mailbox), or at start when the account
/// exists and its email is verified. Promotion first removes every credential the account
/// had (password, sessions, refresh tokens, API keys): whoever registered the address
/// before its owner, with a password of their own, must not become the admin. The owner
/// signs in by magic link, and sets a password with `/forgot-password` if they want one.
#[derive(Debug)]
struct AdminEmail(String);

impl YAuthPlugin for AdminEmail {
    fn name(&self) -> &'static str {
        "demo-admin-email"
    }

    fn on_event<'a>(&'a self, event: &'a AuthEvent, state: &'a YAuthState) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            // Emitted before the link's session is created, so the wipe spares it.
            if let AuthEvent::MagicLinkVerified { .. } = event
                && let Err(e) = promote(state, &self.0).await
            {
                tracing::error!(error = %e, "could not make the --admin-email account an admin");
            }
        })
    }
}

/// Gives the account of `email`, if there is one, its email is verified and it is not an
/// admin yet, the role `admin`, after removing every credential it had.
async fn promote(state: &YAuthState, email: &str) -> anyhow::Result<()> {
    let repos = state.repos();
    let Some(user) = repos.users.find_user_by_email(email).await? else {
        return Ok(());
    };
    if !user.email_verified || user.role == "admin" {
        return Ok(());
    }
    yauth::kit::session::forget_credentials(state, user.id)
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    repos
        .users
        .update_user_admin(
            user.display_name.as_deref(),
            "admin",
            true,
            chrono::Utc::now(),
            user.id,
        )
        .await?;
    tracing::info!(
        %email,
        "gave the account the role admin (--admin-email); its earlier credentials were removed: sign in with a magic link"
    );
    Ok(())
}

/// A boxed backend is a backend (what [`backend`] answers, for `YAuthBuilder::new`).
pub struct BoxedBackend(pub Box<dyn DatabaseBackend>);

impl DatabaseBackend for BoxedBackend {
    fn repositories(&self) -> Repositories {
        self.0.repositories()
    }

    fn type_name(&self) -> &'static str {
        self.0.type_name()
    }
}

/// Starts serving `args.addr` (port 0 picks a free one) and returns at once.
pub async fn start_with(args: Args, email_password: EmailPasswordConfig) -> anyhow::Result<Server> {
    // The process's TLS provider for HTTP clients built without their own configuration
    // (yauth's HIBP client brings its own). ring, like the rest of the build; an error only
    // means one is already installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let listener = tokio::net::TcpListener::bind(args.addr).await?;
    let addr = listener.local_addr()?;
    // Mailed links name the port actually bound (`--addr 127.0.0.1:0` picks one).
    let args = Args { addr, ..args };
    let app = app(&args, email_password).await?;
    let handle = tokio::spawn(async move {
        let service = app.into_make_service_with_connect_info::<SocketAddr>();
        if let Err(e) = axum::serve(listener, service).await {
            tracing::error!(error = %e, "server stopped");
        }
    });
    Ok(Server { addr, handle })
}

pub async fn start(args: Args) -> anyhow::Result<Server> {
    start_with(args, EmailPasswordConfig::default()).await
}

/// The page, which must not be framed and must not send its URL (a mailed token) onward.
async fn page() -> impl axum::response::IntoResponse {
    (
        [
            (axum::http::header::REFERRER_POLICY, "no-referrer"),
            (axum::http::header::X_FRAME_OPTIONS, "DENY"),
            (axum::http::header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        axum::response::Html(include_str!("page.html")),
    )
}
