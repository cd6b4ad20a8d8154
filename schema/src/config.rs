//! `yauth.toml`: which ORM and dialect to generate for, where files go, and which plugins are on.

use serde::Deserialize;

use crate::SchemaError;
use crate::builtin::DEFAULT_PREFIX;
use crate::dialect::Dialect;

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
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    migration: RawMigration,
    #[serde(default)]
    plugins: RawPlugins,
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
            // Like the other path keys, `repositories_file` may be set while unused.
            repositories_file: m.repositories.unwrap_or(false).then(|| {
                m.repositories_file
                    .unwrap_or_else(|| DEFAULT_REPOSITORIES_FILE.into())
            }),
        };
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
            if value.trim_matches('/').trim().is_empty()
                || std::path::Path::new(value).is_absolute()
            {
                return Err(SchemaError::Config(format!(
                    "`{key}` must name a path relative to yauth.toml"
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
    }
}
