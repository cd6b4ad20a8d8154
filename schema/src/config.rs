//! `yauth.toml`: which ORM and dialect to generate for, where files go, and which plugins are on.

use serde::Deserialize;

use std::collections::BTreeMap;

use crate::SchemaError;
use crate::builtin::DEFAULT_PREFIX;
use crate::dialect::Dialect;
use crate::types::{Column, ColumnDefault, LogicalType};

/// The ORM whose files are generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Orm {
    Diesel,
    Sqlx,
    Seaorm,
    Toasty,
}

impl Orm {
    pub const ALL: [Orm; 4] = [Orm::Diesel, Orm::Sqlx, Orm::Seaorm, Orm::Toasty];

    pub fn name(self) -> &'static str {
        match self {
            Orm::Diesel => "diesel",
            Orm::Sqlx => "sqlx",
            Orm::Seaorm => "seaorm",
            Orm::Toasty => "toasty",
        }
    }

    pub fn parse(name: &str) -> Option<Orm> {
        Orm::ALL.into_iter().find(|o| o.name() == name)
    }

    /// Whether this ORM gets SQL migrations (toasty manages its schema with `push_schema`).
    pub fn has_sql_migrations(self) -> bool {
        self != Orm::Toasty
    }
}

impl std::str::FromStr for Orm {
    type Err = SchemaError;

    fn from_str(name: &str) -> Result<Orm, SchemaError> {
        Orm::parse(name).ok_or_else(|| {
            SchemaError::Config(format!(
                "unknown orm `{name}` (expected diesel, sqlx, seaorm or toasty)"
            ))
        })
    }
}

impl std::str::FromStr for Dialect {
    type Err = SchemaError;

    fn from_str(name: &str) -> Result<Dialect, SchemaError> {
        Dialect::parse(name).ok_or_else(|| {
            SchemaError::Config(format!(
                "unknown dialect `{name}` (expected postgres, mysql or sqlite)"
            ))
        })
    }
}

/// Defaults of the path keys, relative to the directory of `yauth.toml`.
pub const DEFAULT_MIGRATIONS_DIR: &str = "migrations";
pub const DEFAULT_SCHEMA_FILE: &str = "src/yauth_schema.rs";
pub const DEFAULT_ENTITIES_DIR: &str = "src/yauth_entities";
pub const DEFAULT_MODELS_DIR: &str = "src/yauth_models";
pub const DEFAULT_REPOSITORIES_FILE: &str = "src/yauth_repos.rs";

/// A parsed `yauth.toml`. Paths are as written, relative to the file's directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub orm: Orm,
    pub dialect: Dialect,
    /// SQL migrations (diesel, sqlx) or the sea-orm migration crate (seaorm), and the snapshot.
    pub migrations_dir: String,
    pub table_prefix: String,
    /// diesel: the generated `table!` file.
    pub schema_file: String,
    /// seaorm: the generated entity modules.
    pub entities_dir: String,
    /// toasty: the generated model modules.
    pub models_dir: String,
    /// The plugins the user asked for, as written; dependencies are resolved at generation.
    pub enabled: Vec<String>,
    /// `repositories = true`: the module of yauth's repositories generated into the
    /// application's crate (`repositories_file`), for the configured ORM, dialect and prefix.
    pub repositories_file: Option<String>,
    /// The application's extra columns on the users table (`[users.extra.<name>]`), by name.
    pub user_columns: Vec<UserColumn>,
}

/// An extra column on the users table, declared in `yauth.toml`:
///
/// ```toml
/// [users.extra.company]
/// type = "string"       # string | text | bool | int | bigint
/// nullable = true       # the default
/// settable = true       # the user may set it at registration and through PATCH /me
///
/// [users.extra.plan]
/// type = "string"
/// nullable = false      # needs a default
/// default = "free"
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserColumn {
    pub name: String,
    pub ty: LogicalType,
    pub nullable: bool,
    pub default: Option<ColumnDefault>,
    /// Whether the user may set it (at registration and through `PATCH /me`); otherwise only
    /// the application does, through the repositories.
    pub settable: bool,
}

impl UserColumn {
    /// The logical types an extra column may have.
    pub const TYPES: [LogicalType; 5] = [
        LogicalType::String,
        LogicalType::Text,
        LogicalType::Bool,
        LogicalType::Int,
        LogicalType::BigInt,
    ];

    /// The type as `yauth.toml` writes it (`string`, `bigint`, ...).
    pub fn type_name(&self) -> &'static str {
        type_name(self.ty)
    }

    /// The column as the schema holds it.
    pub fn column(&self) -> Column {
        Column {
            name: self.name.clone(),
            ty: self.ty,
            nullable: self.nullable,
            default: self.default.clone(),
            extra: true,
        }
    }
}

/// The longest name an extra column may have: PostgreSQL's identifier limit (63) less the
/// `j_` of the alias a joined read gives it.
const MAX_COLUMN_NAME: usize = 61;

/// Names an extra column may not take: Rust's keywords (strict and reserved), and the names
/// diesel's `table!` keeps for itself. The generated ORM files name fields after columns.
const RESERVED_NAMES: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "unsafe", "unsized", "use", "virtual", "where", "while", "yield", "table", "star", "columns",
    "dsl", "extra",
];

fn type_name(ty: LogicalType) -> &'static str {
    match ty {
        LogicalType::String => "string",
        LogicalType::Text => "text",
        LogicalType::Bool => "bool",
        LogicalType::Int => "int",
        LogicalType::BigInt => "bigint",
        _ => "unsupported",
    }
}

impl UserColumn {
    fn parse(name: &str, raw: RawExtra) -> Result<UserColumn, SchemaError> {
        let bad = |msg: String| Err(SchemaError::Config(format!("users.extra.{name}: {msg}")));
        let users = crate::builtin::full_schema(DEFAULT_PREFIX);
        let users = users.table("users").expect("the built-in schema has users");
        // `snake_case` words: no leading, trailing or doubled underscore, so that no two
        // names meet in an ORM's PascalCase.
        let words_ok = name.split('_').all(|word| {
            !word.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
        if name.len() > MAX_COLUMN_NAME
            || !name.starts_with(|c: char| c.is_ascii_lowercase())
            || !words_ok
        {
            return bad(format!(
                "a column name is lowercase words of letters and digits joined by single \
                 underscores, starting with a letter, at most {MAX_COLUMN_NAME} characters"
            ));
        }
        if users.column(name).is_some() {
            return bad("the users table already has a column of that name".into());
        }
        if RESERVED_NAMES.contains(&name) {
            return bad(
                "the name is reserved (a Rust keyword, or one diesel or yauth uses)".into(),
            );
        }
        let Some(ty) = UserColumn::TYPES
            .into_iter()
            .find(|t| type_name(*t) == raw.r#type)
        else {
            return bad(format!(
                "type `{}` is not one an extra column may have (string, text, bool, int, bigint)",
                raw.r#type
            ));
        };
        let nullable = raw.nullable.unwrap_or(true);
        let default = match (&raw.default, ty) {
            (None, _) => None,
            // Written into SQL (quotes doubled): no backslash (MySQL's escape), no control
            // character, no NUL (PostgreSQL refuses it).
            (Some(toml::Value::String(s)), LogicalType::String)
                if s.chars().count() <= 255 && !s.chars().any(|c| c == '\\' || c.is_control()) =>
            {
                Some(ColumnDefault::String(s.clone()))
            }
            (Some(toml::Value::Boolean(b)), LogicalType::Bool) => Some(ColumnDefault::Bool(*b)),
            (Some(toml::Value::Integer(i)), LogicalType::Int) if i32::try_from(*i).is_ok() => {
                Some(ColumnDefault::Int(*i))
            }
            (Some(toml::Value::Integer(i)), LogicalType::BigInt) => Some(ColumnDefault::Int(*i)),
            (Some(_), LogicalType::Text) => {
                return bad("a text column takes no default (MySQL refuses one)".into());
            }
            (Some(value), _) => {
                return bad(format!(
                    "default {value} is not a value of type {}",
                    raw.r#type
                ));
            }
        };
        if !nullable && default.is_none() {
            return bad(
                "a column that is not nullable needs a default (existing users get it)".into(),
            );
        }
        Ok(UserColumn {
            name: name.to_string(),
            ty,
            nullable,
            default,
            settable: raw.settable.unwrap_or(false),
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    migration: RawMigration,
    #[serde(default)]
    plugins: RawPlugins,
    #[serde(default)]
    users: RawUsers,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawUsers {
    #[serde(default)]
    extra: BTreeMap<String, RawExtra>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExtra {
    r#type: String,
    nullable: Option<bool>,
    default: Option<toml::Value>,
    settable: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMigration {
    orm: String,
    dialect: String,
    migrations_dir: Option<String>,
    table_prefix: Option<String>,
    schema_file: Option<String>,
    entities_dir: Option<String>,
    models_dir: Option<String>,
    repositories: Option<bool>,
    repositories_file: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPlugins {
    #[serde(default)]
    enabled: Vec<String>,
}

impl Config {
    /// Parses and checks the text of a `yauth.toml`.
    pub fn parse(text: &str) -> Result<Config, SchemaError> {
        let raw: RawFile =
            toml::from_str(text).map_err(|e| SchemaError::Config(e.message().to_string()))?;
        let m = raw.migration;
        let orm: Orm = m.orm.parse()?;
        let dialect: Dialect = m.dialect.parse()?;
        let config = Config {
            orm,
            dialect,
            migrations_dir: m
                .migrations_dir
                .unwrap_or_else(|| DEFAULT_MIGRATIONS_DIR.into()),
            table_prefix: m.table_prefix.unwrap_or_else(|| DEFAULT_PREFIX.into()),
            schema_file: m.schema_file.unwrap_or_else(|| DEFAULT_SCHEMA_FILE.into()),
            entities_dir: m
                .entities_dir
                .unwrap_or_else(|| DEFAULT_ENTITIES_DIR.into()),
            models_dir: m.models_dir.unwrap_or_else(|| DEFAULT_MODELS_DIR.into()),
            enabled: raw.plugins.enabled,
            user_columns: raw
                .users
                .extra
                .into_iter()
                .map(|(name, raw)| UserColumn::parse(&name, raw))
                .collect::<Result<_, _>>()?,
            // Like the other path keys, `repositories_file` may be set while unused.
            repositories_file: m.repositories.unwrap_or(false).then(|| {
                m.repositories_file
                    .unwrap_or_else(|| DEFAULT_REPOSITORIES_FILE.into())
            }),
        };
        let users_table = format!("{}users", config.table_prefix);
        if let Some(c) = config.user_columns.iter().find(|c| c.name == users_table) {
            return Err(SchemaError::Config(format!(
                "users.extra.{}: a column may not be named like its table (diesel refuses it)",
                c.name
            )));
        }
        if config.repositories_file.is_some() && config.orm == Orm::Toasty {
            return Err(SchemaError::Config(
                "`repositories = true` generates repositories for diesel, sqlx and seaorm; \
                 toasty is not supported yet"
                    .into(),
            ));
        }
        if !config.table_prefix.is_empty() && !crate::types::is_identifier(&config.table_prefix) {
            return Err(SchemaError::Config(format!(
                "table_prefix `{}` must be letters, digits and underscores",
                config.table_prefix
            )));
        }
        for (key, value) in [
            ("migrations_dir", &config.migrations_dir),
            ("schema_file", &config.schema_file),
            ("entities_dir", &config.entities_dir),
            ("models_dir", &config.models_dir),
            (
                "repositories_file",
                config
                    .repositories_file
                    .as_ref()
                    .unwrap_or(&config.models_dir),
            ),
        ] {
            let path = std::path::Path::new(value);
            if value.trim_matches('/').trim().is_empty()
                || path.is_absolute()
                || path
                    .components()
                    .any(|c| matches!(c, std::path::Component::ParentDir))
            {
                return Err(SchemaError::Config(format!(
                    "`{key}` must name a path relative to yauth.toml, inside its folder"
                )));
            }
        }
        crate::plugins::resolve(&config.enabled)?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply() {
        let config =
            Config::parse("[migration]\norm = \"diesel\"\ndialect = \"postgres\"\n").unwrap();
        assert_eq!(config.migrations_dir, "migrations");
        assert_eq!(config.table_prefix, "yauth_");
        assert!(config.enabled.is_empty());
        assert_eq!(config.repositories_file, None);
    }

    #[test]
    fn extra_user_columns_are_parsed_and_checked() {
        let head = "[migration]\norm = \"sqlx\"\ndialect = \"sqlite\"\n";
        let config = Config::parse(&format!(
            "{head}[users.extra.plan]\ntype = \"string\"\nnullable = false\ndefault = \"free\"\n\
             [users.extra.company]\ntype = \"string\"\nsettable = true\n"
        ))
        .unwrap();
        let names: Vec<&str> = config
            .user_columns
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(names, ["company", "plan"], "sorted by name");
        assert!(config.user_columns[0].settable && config.user_columns[0].nullable);
        assert!(!config.user_columns[1].settable && !config.user_columns[1].nullable);
        assert_eq!(
            config.user_columns[1].default,
            Some(ColumnDefault::String("free".into()))
        );
        assert!(config.user_columns[1].column().extra);

        let long = format!("[users.extra.{}]\ntype = \"string\"\n", "a".repeat(62));
        for (table, needle) in [
            ("[users.extra.email]\ntype = \"string\"\n", "already has"),
            ("[users.extra.extra]\ntype = \"string\"\n", "reserved"),
            ("[users.extra.Company]\ntype = \"string\"\n", "lowercase"),
            ("[users.extra.\"a-b\"]\ntype = \"string\"\n", "lowercase"),
            ("[users.extra.a__b]\ntype = \"string\"\n", "lowercase"),
            ("[users.extra.b_]\ntype = \"string\"\n", "lowercase"),
            ("[users.extra.type]\ntype = \"string\"\n", "reserved"),
            (
                "[users.extra.yauth_users]\ntype = \"string\"\n",
                "named like its table",
            ),
            ("[users.extra.try]\ntype = \"string\"\n", "reserved"),
            ("[users.extra.table]\ntype = \"string\"\n", "reserved"),
            (long.as_str(), "at most 61"),
            (
                "[users.extra.dir]\ntype = \"string\"\ndefault = 'C:\\new'\n",
                "not a value",
            ),
            (
                "[users.extra.dir]\ntype = \"string\"\ndefault = \"a\\u0000b\"\n",
                "not a value",
            ),
            ("[users.extra.avatar]\ntype = \"bytes\"\n", "bytes"),
            ("[users.extra.born]\ntype = \"timestamp\"\n", "timestamp"),
            (
                "[users.extra.plan]\ntype = \"string\"\nnullable = false\n",
                "needs a default",
            ),
            (
                "[users.extra.age]\ntype = \"int\"\ndefault = \"x\"\n",
                "not a value",
            ),
            (
                "[users.extra.age]\ntype = \"int\"\ndefault = 3000000000\n",
                "not a value",
            ),
            (
                "[users.extra.bio]\ntype = \"text\"\ndefault = \"\"\n",
                "text",
            ),
            (
                "[users.extra.age]\ntype = \"int\"\nsetable = true\n",
                "setable",
            ),
        ] {
            let err = Config::parse(&format!("{head}{table}")).unwrap_err();
            assert!(err.to_string().contains(needle), "{table}: {err}");
        }
    }

    #[test]
    fn repositories_default_to_one_module_and_are_refused_for_toasty() {
        let head = "[migration]\norm = \"sqlx\"\ndialect = \"sqlite\"\n";
        let config = Config::parse(&format!("{head}repositories = true\n")).unwrap();
        assert_eq!(
            config.repositories_file.as_deref(),
            Some("src/yauth_repos.rs")
        );
        let config = Config::parse(&format!(
            "{head}repositories = true\nrepositories_file = \"src/auth/repos.rs\"\n"
        ))
        .unwrap();
        assert_eq!(
            config.repositories_file.as_deref(),
            Some("src/auth/repos.rs")
        );
        let config = Config::parse(&format!(
            "{head}repositories = false\nrepositories_file = \"src/r.rs\"\n"
        ))
        .unwrap();
        assert_eq!(config.repositories_file, None);
        let err = Config::parse(&format!(
            "{head}repositories = true\nrepositories_file = \"/r.rs\"\n"
        ))
        .unwrap_err();
        assert!(err.to_string().contains("repositories_file"), "{err}");
        let err = Config::parse(
            "[migration]\norm = \"toasty\"\ndialect = \"sqlite\"\nrepositories = true\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("toasty"), "{err}");
    }

    #[test]
    fn bad_values_are_named() {
        let err = Config::parse("[migration]\norm = \"hibernate\"\ndialect = \"postgres\"\n")
            .unwrap_err();
        assert!(err.to_string().contains("hibernate"));
        let err = Config::parse("[migration]\norm = \"sqlx\"\ndialect = \"oracle\"\n").unwrap_err();
        assert!(err.to_string().contains("oracle"));
        let err = Config::parse(
            "[migration]\norm = \"sqlx\"\ndialect = \"mysql\"\n[plugins]\nenabled = [\"sso\"]\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("sso"));
        let err = Config::parse(
            "[migration]\norm = \"sqlx\"\ndialect = \"mysql\"\ntable_prefx = \"a\"\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("table_prefx"), "{err}");
        assert!(Config::parse("not toml [").is_err());
        let err = Config::parse(
            "[migration]\norm = \"sqlx\"\ndialect = \"mysql\"\nmigrations_dir = \"/\"\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("migrations_dir"), "{err}");
        let err = Config::parse(
            "[migration]\norm = \"sqlx\"\ndialect = \"mysql\"\nschema_file = \"/etc/x.rs\"\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("schema_file"), "{err}");
        let err = Config::parse(
            "[migration]\norm = \"sqlx\"\ndialect = \"mysql\"\nrepositories = true\nrepositories_file = \"../../escape.rs\"\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("repositories_file"), "{err}");
    }
}
