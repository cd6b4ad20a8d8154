//! What the generated modules share: converting values to and from toasty's dynamic
//! `Value`, and telling a unique violation from other driver failures.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use toasty::stmt::Value;
use uuid::Uuid;
use yauth_entity::RepoError;
use yauth_entity::support::unique_violation;

/// The connection of one operation, and (SQLite) its turn: the backend runs one operation
/// at a time there, released when this is dropped.
pub(crate) struct Conn {
    pub(crate) conn: toasty::Connection,
    pub(crate) _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

/// A value the generated code binds: the wire form of a column (what yauth's other backends
/// bind for the dialect) as toasty's dynamic value.
pub(crate) trait IntoValue {
    fn into_value(self) -> Result<Value, RepoError>;
}

/// A value read back from a result column, from toasty's dynamic value.
pub(crate) trait FromValue: Sized {
    fn from_value(value: Value) -> Result<Self, RepoError>;
}

pub(crate) fn to_value<T: IntoValue>(value: T) -> Result<Value, RepoError> {
    value.into_value()
}

/// The rows of a raw query, each as its columns in selected order.
pub(crate) fn rows(found: Vec<Value>) -> Result<impl Iterator<Item = Vec<Value>>, RepoError> {
    found
        .into_iter()
        .map(|row| match row {
            Value::Record(record) => Ok(record.into_iter().collect()),
            other => Err(RepoError::message(format!(
                "toasty returned a {} where a row was expected",
                kind(&other)
            ))),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Vec::into_iter)
}

/// Takes the column `index` of a row (leaving NULL in its place).
pub(crate) fn take<T: FromValue>(row: &mut [Value], index: usize) -> Result<T, RepoError> {
    let value = row
        .get_mut(index)
        .map(std::mem::take)
        .ok_or_else(|| RepoError::message(format!("result column {index} is missing")))?;
    T::from_value(value)
}

/// The variant's name, for errors (never the value, which may be a secret's hash).
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "NULL",
        Value::Bool(_) => "boolean",
        Value::String(_) => "string",
        Value::Bytes(_) => "byte string",
        Value::Uuid(_) => "uuid",
        Value::Timestamp(_) => "timestamp",
        Value::DateTime(_) => "datetime",
        Value::Record(_) => "record",
        Value::List(_) => "list",
        Value::I8(_) | Value::I16(_) | Value::I32(_) | Value::I64(_) => "integer",
        _ => "value of another kind",
    }
}

fn unexpected<T>(wanted: &str, got: &Value) -> Result<T, RepoError> {
    Err(RepoError::message(format!(
        "expected a {wanted} column, toasty returned a {}",
        kind(got)
    )))
}

impl IntoValue for &str {
    fn into_value(self) -> Result<Value, RepoError> {
        Ok(Value::String(self.to_string()))
    }
}

impl IntoValue for String {
    fn into_value(self) -> Result<Value, RepoError> {
        Ok(Value::String(self))
    }
}

impl IntoValue for bool {
    fn into_value(self) -> Result<Value, RepoError> {
        Ok(Value::Bool(self))
    }
}

impl IntoValue for i32 {
    fn into_value(self) -> Result<Value, RepoError> {
        Ok(Value::I32(self))
    }
}

impl IntoValue for i64 {
    fn into_value(self) -> Result<Value, RepoError> {
        Ok(Value::I64(self))
    }
}

impl IntoValue for &[u8] {
    fn into_value(self) -> Result<Value, RepoError> {
        Ok(Value::Bytes(self.to_vec()))
    }
}

impl IntoValue for Uuid {
    fn into_value(self) -> Result<Value, RepoError> {
        Ok(Value::Uuid(self))
    }
}

/// PostgreSQL's `timestamptz` (already truncated to microseconds by the wire module). jiff
/// (toasty's time type) ends with the year 9999: a later instant, such as the saturated
/// expiry of a huge TTL (`DateTime::<Utc>::MAX_UTC`), is stored as jiff's last whole second,
/// which is as far in the future for every comparison yauth makes.
impl IntoValue for DateTime<Utc> {
    fn into_value(self) -> Result<Value, RepoError> {
        // Whole seconds: jiff accepts no fraction on its first and last second.
        let micros = self.timestamp_micros().clamp(
            jiff::Timestamp::MIN.as_second() * 1_000_000,
            jiff::Timestamp::MAX.as_second() * 1_000_000,
        );
        jiff::Timestamp::from_microsecond(micros)
            .map(Value::Timestamp)
            .map_err(|e| RepoError::internal("a timestamp outside toasty's range", e))
    }
}

/// MySQL's `datetime(6)`, holding UTC: toasty's MySQL driver binds a timestamp as its UTC
/// date and time.
impl IntoValue for NaiveDateTime {
    fn into_value(self) -> Result<Value, RepoError> {
        self.and_utc().into_value()
    }
}

/// PostgreSQL's `jsonb`: toasty binds a string typed `jsonb` as JSON text.
impl IntoValue for &serde_json::Value {
    fn into_value(self) -> Result<Value, RepoError> {
        Ok(Value::String(self.to_string()))
    }
}

impl<T: IntoValue> IntoValue for Option<T> {
    fn into_value(self) -> Result<Value, RepoError> {
        match self {
            Some(value) => value.into_value(),
            None => Ok(Value::Null),
        }
    }
}

impl FromValue for String {
    fn from_value(value: Value) -> Result<Self, RepoError> {
        match value {
            Value::String(s) => Ok(s),
            other => unexpected("text", &other),
        }
    }
}

impl FromValue for bool {
    fn from_value(value: Value) -> Result<Self, RepoError> {
        match value {
            Value::Bool(b) => Ok(b),
            Value::I8(i) => Ok(i != 0),
            Value::I32(i) => Ok(i != 0),
            Value::I64(i) => Ok(i != 0),
            other => unexpected("boolean", &other),
        }
    }
}

impl FromValue for i32 {
    fn from_value(value: Value) -> Result<Self, RepoError> {
        match value {
            Value::I32(i) => Ok(i),
            Value::I16(i) => Ok(i.into()),
            Value::I64(i) => {
                i32::try_from(i).map_err(|e| RepoError::internal("a 32-bit column out of range", e))
            }
            other => unexpected("32-bit integer", &other),
        }
    }
}

impl FromValue for i64 {
    fn from_value(value: Value) -> Result<Self, RepoError> {
        match value {
            Value::I64(i) => Ok(i),
            Value::I32(i) => Ok(i.into()),
            other => unexpected("64-bit integer", &other),
        }
    }
}

impl FromValue for Vec<u8> {
    fn from_value(value: Value) -> Result<Self, RepoError> {
        match value {
            Value::Bytes(b) => Ok(b),
            other => unexpected("binary", &other),
        }
    }
}

impl FromValue for Uuid {
    fn from_value(value: Value) -> Result<Self, RepoError> {
        match value {
            Value::Uuid(u) => Ok(u),
            Value::String(s) => yauth_entity::support::uuid_from_text(&s),
            other => unexpected("uuid", &other),
        }
    }
}

impl FromValue for DateTime<Utc> {
    fn from_value(value: Value) -> Result<Self, RepoError> {
        match value {
            Value::Timestamp(t) => DateTime::from_timestamp_micros(t.as_microsecond())
                .ok_or_else(|| RepoError::message("a stored timestamp outside chrono's range")),
            Value::DateTime(_) => NaiveDateTime::from_value(value).map(|n| n.and_utc()),
            other => unexpected("timestamp", &other),
        }
    }
}

impl FromValue for NaiveDateTime {
    fn from_value(value: Value) -> Result<Self, RepoError> {
        match value {
            Value::DateTime(d) => NaiveDate::from_ymd_opt(
                d.year().into(),
                d.month().unsigned_abs().into(),
                d.day().unsigned_abs().into(),
            )
            .and_then(|date| {
                date.and_hms_nano_opt(
                    d.hour().unsigned_abs().into(),
                    d.minute().unsigned_abs().into(),
                    d.second().unsigned_abs().into(),
                    d.subsec_nanosecond().unsigned_abs(),
                )
            })
            .ok_or_else(|| RepoError::message("a stored datetime chrono cannot represent")),
            Value::Timestamp(_) => DateTime::<Utc>::from_value(value).map(|t| t.naive_utc()),
            other => unexpected("datetime", &other),
        }
    }
}

/// JSON read as its text (PostgreSQL's `jsonb` with the `String` read type; MySQL's and
/// SQLite's text).
impl FromValue for serde_json::Value {
    fn from_value(value: Value) -> Result<Self, RepoError> {
        match value {
            Value::String(s) => yauth_entity::support::json_from_text(&s),
            other => unexpected("JSON", &other),
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: Value) -> Result<Self, RepoError> {
        match value {
            Value::Null => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

/// Maps a toasty error to the repository error: a unique violation (found in the driver's
/// own error, which toasty wraps) is a conflict naming the key; a PostgreSQL error is
/// internal with its code and message only (its `DETAIL` quotes the row's values, which may
/// be token hashes or emails); anything else is internal and keeps its source.
pub(crate) fn db_err(e: toasty::Error) -> RepoError {
    if let Some(known) = known(&e) {
        return known;
    }
    RepoError::internal("toasty", e)
}

fn known(e: &toasty::Error) -> Option<RepoError> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        #[cfg(feature = "postgresql")]
        if let Some(db) = err
            .downcast_ref::<tokio_postgres::Error>()
            .and_then(tokio_postgres::Error::as_db_error)
        {
            if *db.code() == tokio_postgres::error::SqlState::UNIQUE_VIOLATION {
                return Some(unique_violation(db.constraint(), db.message()));
            }
            return Some(RepoError::message(format!(
                "toasty: PostgreSQL error {}: {}",
                db.code().code(),
                db.message()
            )));
        }
        #[cfg(feature = "mysql")]
        if let Some(sqlx_core::Error::Database(db)) = err.downcast_ref::<sqlx_core::Error>()
            && db.is_unique_violation()
        {
            return Some(unique_violation(db.constraint(), db.message()));
        }
        #[cfg(feature = "sqlite")]
        if let Some(rusqlite::Error::SqliteFailure(failure, message)) =
            err.downcast_ref::<rusqlite::Error>()
            && matches!(
                failure.extended_code,
                rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            )
        {
            return Some(unique_violation(None, message.as_deref().unwrap_or("")));
        }
        source = err.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use chrono::Datelike as _;

    use super::*;

    #[test]
    fn an_expiry_past_the_year_9999_is_stored_as_the_last_instant_toasty_knows() {
        // `expires_after` saturates a huge TTL to chrono's last instant (year 262143).
        let stored = DateTime::<Utc>::MAX_UTC.into_value().unwrap();
        let back = DateTime::<Utc>::from_value(stored).unwrap();
        assert_eq!(back.year(), 9999);
        assert!(back > Utc::now());
    }

    #[test]
    fn timestamps_keep_their_microseconds_both_ways() {
        let at = DateTime::<Utc>::from_timestamp_micros(1_764_900_000_123_456).unwrap();
        let back = DateTime::<Utc>::from_value(at.into_value().unwrap()).unwrap();
        assert_eq!(back, at);
        let naive = NaiveDateTime::from_value(Value::DateTime(jiff::civil::date(2026, 12, 5).at(
            3,
            4,
            5,
            123_456_000,
        )))
        .unwrap();
        assert_eq!(naive.and_utc().timestamp_subsec_micros(), 123_456);
    }

    #[test]
    fn a_value_of_another_kind_is_an_error_naming_no_value() {
        let err = String::from_value(Value::I64(42)).unwrap_err().to_string();
        assert!(err.contains("integer"), "{err}");
        assert!(!err.contains("42"), "{err}");
    }
}
