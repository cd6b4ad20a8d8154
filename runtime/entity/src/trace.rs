//! The `tracing` decorator of [`crate::traced`]: one span per repository operation.
//!
//! Each span is named `yauth.repo` (target `yauth::repo`, level INFO) and carries:
//! `otel.name` (`table.operation`, the name OpenTelemetry shows), `db.operation.name`,
//! `db.collection.name` (the table without its prefix, or `composite`), `yauth.plugin` (the
//! plugin whose table it is), `yauth.backend` and, once it finished, `yauth.outcome` (`ok`,
//! `conflict`, `not_found` or `error`); an `error` also sets `otel.status_code = "ERROR"`.
//! No argument and no result is ever recorded: they hold emails, hashes and sealed secrets.

use std::sync::Arc;

use crate::RepoError;

/// A repository whose operations run in spans; built by [`crate::traced`].
pub struct Traced<T: ?Sized> {
    pub(crate) inner: Arc<T>,
    backend: &'static str,
}

impl<T: ?Sized> Traced<T> {
    pub(crate) fn new(inner: Arc<T>, backend: &'static str) -> Self {
        Traced { inner, backend }
    }

    pub(crate) fn span(
        &self,
        name: &'static str,
        table: &'static str,
        plugin: &'static str,
    ) -> tracing::Span {
        let operation = name.rsplit('.').next().unwrap_or(name);
        tracing::info_span!(
            target: "yauth::repo",
            "yauth.repo",
            otel.name = name,
            otel.status_code = tracing::field::Empty,
            db.operation.name = operation,
            db.collection.name = table,
            yauth.plugin = plugin,
            yauth.backend = self.backend,
            yauth.outcome = tracing::field::Empty,
        )
    }
}

/// Records how an operation ended on its span.
pub(crate) fn finish<T>(span: &tracing::Span, result: &Result<T, RepoError>) {
    let outcome = match result {
        Ok(_) => "ok",
        Err(RepoError::Conflict(_)) => "conflict",
        Err(RepoError::NotFound) => "not_found",
        Err(RepoError::Internal { .. }) => {
            span.record("otel.status_code", "ERROR");
            "error"
        }
    };
    span.record("yauth.outcome", outcome);
}
