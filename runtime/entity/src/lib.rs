//! yauth's domain types and repository traits.
//!
//! Everything in [`generated`] comes from the schema and query catalogue of `yauth-migration`
//! (see `docs/queries.md`): one struct per table, one `<Table>Repository` trait per table,
//! [`CompositeRepository`] for the operations that must be all-or-nothing, and
//! [`DatabaseBackend`], which every backend crate implements. This file holds the hand-written
//! rest: the error type.

mod generated;
#[cfg(feature = "tracing")]
pub mod trace;

pub use generated::*;

/// What a repository operation can fail with. Every backend maps its database errors here.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// A unique key is taken (`users.email`, a token hash, ...). The text names the key when
    /// the backend knows it.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A row the operation needs does not exist.
    #[error("not found")]
    NotFound,
    /// Anything else: a lost connection, a foreign-key violation, a value that does not decode.
    /// The original error is kept as the source.
    #[error("database error: {message}")]
    Internal {
        message: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

impl RepoError {
    /// An internal error with its cause.
    pub fn internal(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        RepoError::Internal {
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }

    /// An internal error with no underlying cause.
    pub fn message(message: impl Into<String>) -> Self {
        RepoError::Internal {
            message: message.into(),
            source: None,
        }
    }

    pub fn is_conflict(&self) -> bool {
        matches!(self, RepoError::Conflict(_))
    }
}

/// An extra column the application declared on the users table (`[users.extra.<name>]` in
/// `yauth.toml`). Repositories generated into the application's crate store and read them;
/// their values travel in [`User::extra`], by name. yauth's own backends have none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtraColumn {
    pub name: &'static str,
    pub ty: ExtraType,
    pub nullable: bool,
    /// What a user who never set it has (and what a new user gets when none is given).
    pub default: Option<ExtraDefault>,
    /// Whether the user may set it, at registration and through `PATCH /me`.
    pub settable: bool,
}

/// The type of an [`ExtraColumn`]'s values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtraType {
    /// A string of at most 255 characters.
    String,
    /// A string of any length.
    Text,
    Bool,
    /// A 32-bit signed integer.
    Int,
    /// A 64-bit signed integer.
    BigInt,
}

/// The default of an [`ExtraColumn`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtraDefault {
    Bool(bool),
    Int(i64),
    String(&'static str),
}

impl ExtraDefault {
    /// The default as a JSON value.
    pub fn to_json(self) -> serde_json::Value {
        match self {
            ExtraDefault::Bool(b) => b.into(),
            ExtraDefault::Int(i) => i.into(),
            ExtraDefault::String(s) => s.into(),
        }
    }
}

/// Conversions every backend shares, so that a value written by one backend reads back
/// identically through every other.
pub mod support {
    // The crates that generated repositories use, for modules generated into an
    // application's crate (`cargo yauth generate` with `repositories = true`): they name
    // them through `yauth::entity::support`, so the application need not depend on them.
    pub use async_trait;
    pub use chrono;
    pub use serde_json;
    pub use uuid;

    use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};
    use uuid::Uuid;

    use crate::RepoError;

    /// Timestamps are stored with microsecond precision on every database; the memory backend
    /// and every encoder truncate to it so that what is read back equals what was stored.
    pub fn micros(ts: DateTime<Utc>) -> DateTime<Utc> {
        ts.trunc_subsecs(6)
    }

    /// The text form of a timestamp where the database has no timestamp type (SQLite):
    /// `YYYY-MM-DD HH:MM:SS[.ffffff]` in UTC, which sorts like the instants it names.
    pub const TEXT_TIMESTAMP_FORMAT: &str = "%Y-%m-%d %H:%M:%S%.f";

    pub fn timestamp_to_text(ts: DateTime<Utc>) -> String {
        micros(ts).format(TEXT_TIMESTAMP_FORMAT).to_string()
    }

    pub fn timestamp_from_text(text: &str) -> Result<DateTime<Utc>, RepoError> {
        NaiveDateTime::parse_from_str(text, TEXT_TIMESTAMP_FORMAT)
            .map(|n| n.and_utc())
            .map_err(|e| RepoError::internal(format!("stored timestamp `{text}`"), e))
    }

    pub fn uuid_from_text(text: &str) -> Result<Uuid, RepoError> {
        Uuid::parse_str(text).map_err(|e| RepoError::internal(format!("stored uuid `{text}`"), e))
    }

    pub fn json_from_text(text: &str) -> Result<serde_json::Value, RepoError> {
        serde_json::from_str(text).map_err(|e| RepoError::internal("stored JSON", e))
    }

    /// The `LIKE` pattern of a search: lower-cased, wrapped in `%`, with `%`, `_` and the
    /// escape character `!` escaped (queries say `ESCAPE '!'`).
    pub fn like_pattern(search: &str) -> String {
        let mut out = String::with_capacity(search.len() + 2);
        out.push('%');
        for c in search.to_lowercase().chars() {
            if matches!(c, '%' | '_' | '!') {
                out.push('!');
            }
            out.push(c);
        }
        out.push('%');
        out
    }

    /// What `LOWER(haystack) LIKE like_pattern(needle)` decides, for backends without SQL.
    pub fn contains_folded(haystack: &str, needle: &str) -> bool {
        haystack.to_lowercase().contains(&needle.to_lowercase())
    }

    /// The `Conflict` for a unique violation, naming the key but never the value: MySQL's
    /// message quotes the duplicate value (an email, a token hash), which must not end up in
    /// logs. PostgreSQL drivers report the constraint; SQLite's message names the columns.
    pub fn unique_violation(constraint: Option<&str>, message: &str) -> RepoError {
        if let Some(name) = constraint {
            return RepoError::Conflict(name.to_string());
        }
        // MySQL / MariaDB: "Duplicate entry '<value>' for key '<name>'".
        if let Some(rest) = message.rsplit_once(" for key ").map(|(_, k)| k) {
            return RepoError::Conflict(rest.trim_matches(|c| c == '\'' || c == '`').to_string());
        }
        // SQLite: "UNIQUE constraint failed: table.column, ...".
        if let Some(rest) = message.split_once("constraint failed: ").map(|(_, k)| k) {
            // libSQL quotes SQLite's message in backticks.
            return RepoError::Conflict(rest.trim_end_matches('`').to_string());
        }
        if message.contains("Duplicate entry") {
            return RepoError::Conflict("unique key".to_string());
        }
        RepoError::Conflict(message.to_string())
    }

    /// The value to write for the extra column `name` from a row's `extra` map, as the
    /// column's Rust type: `default` when the key is absent, `None` when it is null. A value
    /// of another type is an error naming the column, never the value (the runtime
    /// validates what users send before it reaches a repository).
    pub fn extra_or<T: serde::de::DeserializeOwned>(
        extra: &serde_json::Map<String, serde_json::Value>,
        name: &str,
        default: Option<T>,
    ) -> Result<Option<T>, RepoError> {
        match extra.get(name) {
            None => Ok(default),
            Some(serde_json::Value::Null) => Ok(None),
            Some(value) => T::deserialize(value).map(Some).map_err(|_| {
                RepoError::message(format!("extra column `{name}`: a value of another type"))
            }),
        }
    }

    /// Whether a row's `extra` map names the column `name` (a profile update sets only
    /// those).
    pub fn extra_given(extra: &serde_json::Map<String, serde_json::Value>, name: &str) -> bool {
        extra.contains_key(name)
    }

    /// A `limit` or `offset` as SQL takes it.
    pub fn count_to_sql(n: u64) -> i64 {
        i64::try_from(n).unwrap_or(i64::MAX)
    }

    /// A `COUNT(*)` as the traits return it.
    pub fn count_from_sql(n: i64) -> u64 {
        u64::try_from(n).unwrap_or(0)
    }

    /// Shared by the wire modules: search patterns and row counts.
    macro_rules! common_wire {
        () => {
            pub fn enc_pattern(search: &str) -> String {
                super::like_pattern(search)
            }

            pub fn enc_count(n: u64) -> i64 {
                super::count_to_sql(n)
            }

            pub fn dec_count(n: i64) -> u64 {
                super::count_from_sql(n)
            }
        };
    }

    /// How PostgreSQL backends exchange values: uuid, timestamptz and jsonb are native.
    pub mod wire_postgres {
        use chrono::{DateTime, Utc};
        use uuid::Uuid;

        use crate::RepoError;

        common_wire!();

        pub fn enc_uuid(v: Uuid) -> Uuid {
            v
        }

        pub fn dec_uuid(v: Uuid) -> Result<Uuid, RepoError> {
            Ok(v)
        }

        pub fn enc_ts(v: DateTime<Utc>) -> DateTime<Utc> {
            super::micros(v)
        }

        pub fn dec_ts(v: DateTime<Utc>) -> Result<DateTime<Utc>, RepoError> {
            Ok(v)
        }

        pub fn enc_json(v: &serde_json::Value) -> &serde_json::Value {
            v
        }

        pub fn dec_json(v: serde_json::Value) -> Result<serde_json::Value, RepoError> {
            Ok(v)
        }
    }

    /// How MySQL backends exchange values: uuids and JSON as text, timestamps as `datetime(6)`
    /// holding UTC.
    pub mod wire_mysql {
        use chrono::{DateTime, NaiveDateTime, Utc};
        use uuid::Uuid;

        use crate::RepoError;

        common_wire!();

        pub fn enc_uuid(v: Uuid) -> String {
            v.hyphenated().to_string()
        }

        pub fn dec_uuid(v: String) -> Result<Uuid, RepoError> {
            super::uuid_from_text(&v)
        }

        pub fn enc_ts(v: DateTime<Utc>) -> NaiveDateTime {
            super::micros(v).naive_utc()
        }

        pub fn dec_ts(v: NaiveDateTime) -> Result<DateTime<Utc>, RepoError> {
            Ok(v.and_utc())
        }

        pub fn enc_json(v: &serde_json::Value) -> String {
            v.to_string()
        }

        pub fn dec_json(v: String) -> Result<serde_json::Value, RepoError> {
            super::json_from_text(&v)
        }
    }

    /// How SQLite backends exchange values: uuids, timestamps ([`TEXT_TIMESTAMP_FORMAT`])
    /// and JSON as text.
    pub mod wire_sqlite {
        use chrono::{DateTime, Utc};
        use uuid::Uuid;

        use crate::RepoError;

        common_wire!();

        pub fn enc_uuid(v: Uuid) -> String {
            v.hyphenated().to_string()
        }

        pub fn dec_uuid(v: String) -> Result<Uuid, RepoError> {
            super::uuid_from_text(&v)
        }

        pub fn enc_ts(v: DateTime<Utc>) -> String {
            super::timestamp_to_text(v)
        }

        pub fn dec_ts(v: String) -> Result<DateTime<Utc>, RepoError> {
            super::timestamp_from_text(&v)
        }

        pub fn enc_json(v: &serde_json::Value) -> String {
            v.to_string()
        }

        pub fn dec_json(v: String) -> Result<serde_json::Value, RepoError> {
            super::json_from_text(&v)
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn conflicts_name_the_key_but_not_the_value() {
            let mysql = unique_violation(
                None,
                "Duplicate entry 'alice@example.com' for key 'yauth_users_email_key'",
            );
            assert_eq!(mysql.to_string(), "conflict: yauth_users_email_key");
            let sqlite = unique_violation(None, "UNIQUE constraint failed: yauth_users.email");
            assert_eq!(sqlite.to_string(), "conflict: yauth_users.email");
            let pg = unique_violation(Some("yauth_users_email_key"), "duplicate key value");
            assert_eq!(pg.to_string(), "conflict: yauth_users_email_key");
            let odd = unique_violation(None, "Duplicate entry 'secret'");
            assert!(!odd.to_string().contains("secret"));
        }

        #[test]
        fn like_patterns_escape_wildcards() {
            assert_eq!(like_pattern("A_b%c!"), "%a!_b!%c!!%");
        }

        #[test]
        fn text_timestamps_round_trip_and_sort() {
            let a = DateTime::parse_from_rfc3339("2026-01-01T00:00:00.123456789Z")
                .unwrap()
                .to_utc();
            let text = timestamp_to_text(a);
            assert_eq!(text, "2026-01-01 00:00:00.123456");
            assert_eq!(timestamp_from_text(&text).unwrap(), micros(a));
            let whole = timestamp_to_text(micros(a).trunc_subsecs(0));
            assert!(whole < text);
        }
    }
}
