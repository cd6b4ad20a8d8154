//! The in-memory backend: every table is a `Vec` behind one mutex, so each operation (and each
//! composite operation) is atomic. Unique keys, foreign keys and `ON DELETE` rules behave as
//! on the databases. Nothing is persisted and nothing is shared between processes: use it for
//! tests and prototypes, not for several replicas.
//!
//! The operations themselves are generated (`generated.rs`); this file holds the store.

use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use yauth_entity::{RateLimit, RepoError};

mod generated;

pub(crate) use yauth_entity::support::{contains_folded, micros};

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
        // A panic while the lock was held cannot leave a half-applied operation behind
        // (operations mutate only after their checks), so a poisoned lock is still usable.
        self.store.lock().unwrap_or_else(|e| e.into_inner())
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
    rows: &mut Vec<RateLimit>,
    key: &str,
    now: DateTime<Utc>,
    window_end: DateTime<Utc>,
) -> RateLimit {
    let (now, window_end) = (micros(now), micros(window_end));
    if let Some(row) = rows.iter_mut().find(|r| r.key == key) {
        if row.expires_at <= now {
            row.count = 1;
            row.window_start = now;
            row.expires_at = window_end;
        } else {
            row.count += 1;
        }
        return row.clone();
    }
    let row = RateLimit {
        key: key.to_string(),
        window_start: now,
        count: 1,
        expires_at: window_end,
    };
    rows.push(row.clone());
    row
}
