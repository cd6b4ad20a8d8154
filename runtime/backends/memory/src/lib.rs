//! The in-memory backend: every table is keyed by its primary key, with hash indexes over
//! the keys that are looked up (token hashes, emails, rate-limit keys, owners), all behind
//! one mutex, so each operation (and each composite operation) is atomic. Unique keys,
//! foreign keys and `ON DELETE` rules behave as on the databases; every write is journaled,
//! and an operation or composite that fails is undone. Nothing is persisted and nothing is
//! shared between processes: use it for tests and prototypes, not for several replicas.
//!
//! The operations themselves are generated (`generated.rs`); `table.rs` holds one table.

use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use yauth_entity::{RateLimit, RepoError};

mod generated;
mod table;

pub(crate) use yauth_entity::support::{contains_folded, micros};

use table::Table;

/// yauth's in-memory backend. Cloning it shares the store.
#[derive(Debug, Clone, Default)]
pub struct InMemoryBackend {
    store: Arc<Mutex<generated::Tables>>,
}

impl InMemoryBackend {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, generated::Tables> {
        // A panic while the lock was held leaves the journal of the interrupted operation
        // behind: undo it, and the store is as it was before that operation.
        let mut tables = self.store.lock().unwrap_or_else(|e| e.into_inner());
        if !tables.journal.is_empty() {
            tables.finish(false);
        }
        tables
    }
}

pub(crate) fn conflict(key: &str) -> RepoError {
    RepoError::Conflict(key.to_string())
}

pub(crate) fn foreign_key_violation(key: &str) -> RepoError {
    RepoError::message(format!("foreign key violation: {key}"))
}

/// The fixed-window counter: one more hit on `key`, or a new window when the last one ended.
pub(crate) fn window(
    rows: &mut Table<RateLimit>,
    journal: &mut Vec<generated::Undo>,
    key: &str,
    now: DateTime<Utc>,
    window_end: DateTime<Utc>,
) -> RateLimit {
    let (now, window_end) = (micros(now), micros(window_end));
    let hit = |row: &mut RateLimit| {
        if row.expires_at <= now {
            row.count = 1;
            row.window_start = now;
            row.expires_at = window_end;
        } else {
            row.count += 1;
        }
    };
    if let Some(row) = rows.modify(key, journal, hit) {
        return row.clone();
    }
    let row = RateLimit {
        key: key.to_string(),
        window_start: now,
        count: 1,
        expires_at: window_end,
    };
    rows.insert(row.clone(), journal);
    row
}
