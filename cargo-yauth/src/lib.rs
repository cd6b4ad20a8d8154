//! `cargo yauth`: writes `yauth.toml`, and the migrations and ORM schema files it describes.
//!
//! The binary is a thin wrapper around [`run`]; every command is also callable from Rust
//! through [`execute`], with its output going to the writers passed in.
//!
//! - `init` writes `yauth.toml` and the first migration;
//! - `add-plugin` / `remove-plugin` edit `[plugins] enabled` (keeping comments and key order)
//!   and write an incremental migration;
//! - `status` shows the configuration, the plugins and whether the files are fresh;
//! - `generate` writes what is missing or stale; `generate --check` only compares.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub mod edit;
pub mod generate;
pub mod project;
pub mod status;

/// The command line. `cargo` runs us as `cargo-yauth yauth <command>`; [`run`] drops that
/// `yauth` so that `cargo-yauth <command>` works as well.
#[derive(Debug, Parser)]
#[command(
    name = "cargo-yauth",
    bin_name = "cargo yauth",
    version,
    about = "Generate yauth migrations and ORM schema files from yauth.toml"
)]
pub struct Cli {
    /// The configuration file; relative paths inside it are resolved against its directory
    #[arg(
        short = 'f',
        long = "file",
        global = true,
        default_value = "yauth.toml",
        value_name = "PATH"
    )]
    pub file: PathBuf,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write yauth.toml and generate the first migration
    Init(InitArgs),
    /// Enable a plugin and generate the migration that adds its tables
    AddPlugin {
        /// A plugin name, e.g. mfa (`cargo yauth status` lists them)
        name: String,
    },
    /// Disable a plugin and generate the migration that drops its tables
    RemovePlugin {
        /// A plugin name, e.g. passkey
        name: String,
    },
    /// Show the configuration, the plugins and whether generated files are up to date
    Status,
    /// Write missing or stale files, and a new migration when yauth.toml changed
    Generate {
        /// Write nothing; exit non-zero when any generated file is missing or differs
        #[arg(long)]
        check: bool,
    },
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// diesel | sqlx | seaorm | toasty
    #[arg(long, value_name = "ORM")]
    pub orm: String,
    /// postgres | mysql | sqlite
    #[arg(long, value_name = "DIALECT")]
    pub dialect: String,
    /// Comma-separated plugins to enable, e.g. email-password,passkey
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub plugins: Vec<String>,
    /// Prefix of every table name
    #[arg(long, default_value = yauth_migration::builtin::DEFAULT_PREFIX, value_name = "PREFIX")]
    pub prefix: String,
    /// Where migrations and the schema snapshot go, relative to yauth.toml
    #[arg(long, default_value = yauth_migration::config::DEFAULT_MIGRATIONS_DIR, value_name = "DIR")]
    pub migrations_dir: String,
    /// Also generate yauth's repositories into your crate (`repositories = true`, written to
    /// src/yauth_repos.rs): needed for a prefix other than yauth_; diesel, sqlx and seaorm
    #[arg(long)]
    pub repositories: bool,
    /// Overwrite an existing yauth.toml (existing migrations are kept)
    #[arg(long)]
    pub force: bool,
}

/// Where a command writes: its report and its notices, warnings and problems.
pub struct Output<'a> {
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
}

/// Parses `args` (as `std::env::args_os` gives them), runs the command and returns the exit
/// code. Errors are printed on `err` as a single `error: ...` line.
pub fn run<I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    let mut args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    if args.get(1).is_some_and(|a| a == "yauth") {
        args.remove(1);
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = e.exit_code();
            if e.use_stderr() {
                let _ = writeln!(err, "{}", one_line_clap_error(&e));
            } else {
                // --help and --version
                let _ = write!(out, "{e}");
            }
            return code;
        }
    };
    let mut output = Output { out, err };
    match execute(&cli, &mut output) {
        Ok(()) => 0,
        Err(e) => {
            let message = format!("{e:#}");
            let message: Vec<&str> = message.lines().map(str::trim).collect();
            let _ = writeln!(output.err, "error: {}", message.join(" "));
            1
        }
    }
}

/// clap's messages span several lines (usage, tips); keep the message and its tips on one.
fn one_line_clap_error(e: &clap::Error) -> String {
    if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        return "error: no command given (expected init, add-plugin, remove-plugin, status or \
                generate; see `cargo yauth --help`)"
            .to_string();
    }
    let text = e.render().to_string();
    let mut parts: Vec<String> = Vec::new();
    let mut in_message = true;
    for line in text.lines().map(str::trim) {
        if line.is_empty() {
            in_message = false;
        } else if in_message {
            parts.push(line.to_string());
        } else if line.starts_with("tip:") {
            parts.push(format!("({line})"));
        }
    }
    let line = parts.join(" ");
    if line.starts_with("error:") {
        line
    } else {
        format!("error: {line}")
    }
}

/// Runs one parsed command.
pub fn execute(cli: &Cli, output: &mut Output<'_>) -> anyhow::Result<()> {
    let now = chrono::Utc::now().naive_utc();
    match &cli.command {
        Command::Init(args) => edit::init(&cli.file, args, now, output),
        Command::AddPlugin { name } => edit::add_plugin(&cli.file, name, now, output),
        Command::RemovePlugin { name } => edit::remove_plugin(&cli.file, name, now, output),
        Command::Status => status::status(&cli.file, now, output),
        Command::Generate { check: false } => {
            let project = project::Project::load(&cli.file)?;
            generate::generate(&project, now, output)
        }
        Command::Generate { check: true } => {
            let project = project::Project::load(&cli.file)?;
            generate::check(&project, now, output)
        }
    }
}
