//! The built-in schema: every table of every plugin, declared once.
//!
//! Tables and columns that the spec's table list lacks are marked `added:` with the reason;
//! `docs/schema.md` lists them, and that list is part of the contract.

use crate::SchemaError;
use crate::plugins::{CORE, PLUGINS};
use crate::types::{
    Column, ColumnDefault, ForeignKey, Index, LogicalType, OnDelete, Schema, Table,
};
use LogicalType::String as Str;
use LogicalType::{BigInt, Bool, Bytes, Int, Json, ShortBytes, Text, Timestamp, Uuid};

/// The prefix the built-in runtime backends are compiled against.
pub const DEFAULT_PREFIX: &str = "yauth_";

/// A small builder so that each table reads as a list of columns.
struct TableBuilder {
    table: Table,
}

fn table(name: &str, plugin: &str) -> TableBuilder {
    TableBuilder {
        table: Table {
            name: name.to_string(),
            plugin: plugin.to_string(),
            columns: Vec::new(),
            primary_key: Vec::new(),
            indexes: Vec::new(),
            foreign_keys: Vec::new(),
        },
    }
}

impl TableBuilder {
    fn push(mut self, name: &str, ty: LogicalType, nullable: bool) -> Self {
        self.table.columns.push(Column {
            name: name.to_string(),
            ty,
            nullable,
            default: None,
            extra: false,
        });
        self
    }

    fn last(&self) -> String {
        self.table
            .columns
            .last()
            .expect("a column was declared")
            .name
            .clone()
    }

    /// A non-null column.
    fn col(self, name: &str, ty: LogicalType) -> Self {
        self.push(name, ty, false)
    }

    /// A nullable column.
    fn opt(self, name: &str, ty: LogicalType) -> Self {
        self.push(name, ty, true)
    }

    /// A `uuid` primary key named `id`.
    fn id(self) -> Self {
        self.col("id", Uuid).primary_key()
    }

    fn primary_key(mut self) -> Self {
        self.table.primary_key = vec![self.last()];
        self
    }

    fn default(mut self, value: ColumnDefault) -> Self {
        self.table
            .columns
            .last_mut()
            .expect("a column was declared")
            .default = Some(value);
        self
    }

    fn default_bool(self, value: bool) -> Self {
        self.default(ColumnDefault::Bool(value))
    }

    fn default_int(self, value: i64) -> Self {
        self.default(ColumnDefault::Int(value))
    }

    /// A unique index on the last column.
    fn unique(mut self) -> Self {
        let column = self.last();
        self.table.indexes.push(Index {
            columns: vec![column],
            unique: true,
        });
        self
    }

    /// A plain index on the last column.
    fn indexed(mut self) -> Self {
        let column = self.last();
        self.table.indexes.push(Index {
            columns: vec![column],
            unique: false,
        });
        self
    }

    /// A unique index over several columns.
    fn unique_together(mut self, columns: &[&str]) -> Self {
        let columns = columns.iter().map(|c| c.to_string()).collect();
        self.table.indexes.push(Index {
            columns,
            unique: true,
        });
        self
    }

    /// The last column references `table.column`.
    fn references(mut self, table: &str, column: &str, on_delete: OnDelete) -> Self {
        let fk = ForeignKey {
            column: self.last(),
            references: table.to_string(),
            referenced_column: column.to_string(),
            on_delete,
        };
        self.table.foreign_keys.push(fk);
        self
    }

    /// `user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE`, indexed: a row that
    /// belongs to one user.
    fn owner(self) -> Self {
        self.col("user_id", Uuid)
            .references("users", "id", OnDelete::Cascade)
            .indexed()
    }

    /// `client_id` referencing `oauth2_clients.client_id`, indexed: deleting a client deletes
    /// what was issued to it.
    fn client(self) -> Self {
        self.col("client_id", Str)
            .references("oauth2_clients", "client_id", OnDelete::Cascade)
            .indexed()
    }

    /// `expires_at`, indexed because expired rows are swept.
    fn expires(self) -> Self {
        self.col("expires_at", Timestamp).indexed()
    }

    fn created_at(self) -> Self {
        self.col("created_at", Timestamp)
    }

    fn updated_at(self) -> Self {
        self.col("updated_at", Timestamp)
    }

    fn build(self) -> Table {
        self.table
    }
}

/// Every built-in table, in generation order (each after the tables it references).
pub fn all_tables() -> Vec<Table> {
    vec![
        // ---- core ----
        table("users", CORE)
            .id()
            // Stored lower-cased by the runtime; binary collation on MySQL.
            .col("email", Str)
            .unique()
            .opt("display_name", Str)
            .col("email_verified", Bool)
            .default_bool(false)
            .col("role", Str)
            .default(ColumnDefault::String("user".into()))
            .col("banned", Bool)
            .default_bool(false)
            .opt("banned_reason", Text)
            .opt("banned_until", Timestamp)
            .created_at()
            .updated_at()
            .build(),
        table("sessions", CORE)
            .id()
            .owner()
            .col("token_hash", Str)
            .unique()
            .opt("ip_address", Str)
            .opt("user_agent", Text)
            .expires()
            .created_at()
            // added: the admin who opened this session by impersonation, for the audit trail
            // and so that ending the impersonation can find it.
            .opt("impersonator_id", Uuid)
            .references("users", "id", OnDelete::Cascade)
            .indexed()
            // added: the last request seen, for the idle timeout (ASVS V3.3): the runtime
            // slides `expires_at` from it, capped by the absolute lifetime.
            .opt("last_seen_at", Timestamp)
            // added: a remember-me session, whose cookie carries Max-Age; the others get a
            // browser-session cookie.
            .col("persistent", Bool)
            .default_bool(false)
            .build(),
        table("audit_log", CORE)
            .id()
            // Nullable, SET NULL: a failed login for an unknown email has no user, and
            // deleting a user must not erase the trail.
            .opt("user_id", Uuid)
            .references("users", "id", OnDelete::SetNull)
            .indexed()
            .col("event_type", Str)
            .indexed()
            .opt("metadata", Json)
            .opt("ip_address", Str)
            // added: the client's User-Agent, so a row names the device as well as the IP.
            .opt("user_agent", Text)
            .col("created_at", Timestamp)
            .indexed()
            .build(),
        // added: fixed-window rate-limit counters shared by every replica.
        table("rate_limits", CORE)
            .col("key", Str)
            .primary_key()
            .col("window_start", Timestamp)
            .col("count", Int)
            .default_int(0)
            .expires()
            .build(),
        // ---- email-password ----
        table("passwords", "email-password")
            .col("user_id", Uuid)
            .primary_key()
            .references("users", "id", OnDelete::Cascade)
            .col("password_hash", Text)
            .build(),
        table("email_verifications", "email-password")
            .id()
            .owner()
            .col("token_hash", Str)
            .unique()
            .expires()
            .created_at()
            .build(),
        table("password_resets", "email-password")
            .id()
            .owner()
            .col("token_hash", Str)
            .unique()
            .expires()
            .opt("used_at", Timestamp)
            .created_at()
            .build(),
        // added: earlier password hashes, for `password_history_count`.
        table("password_history", "email-password")
            .id()
            .owner()
            .col("password_hash", Text)
            .created_at()
            .build(),
        // ---- passkey ----
        table("webauthn_credentials", "passkey")
            .id()
            .owner()
            // added: the raw credential id, unique, to find the credential at login.
            .col("credential_id", ShortBytes)
            .unique()
            .col("name", Str)
            .opt("aaguid", Str)
            .opt("device_name", Str)
            .col("credential", Json)
            .created_at()
            .opt("last_used_at", Timestamp)
            .build(),
        // added: WebAuthn ceremony state, so that any replica can finish a ceremony another
        // began. `user_id` is null for a discoverable (username-less) login.
        table("webauthn_challenges", "passkey")
            .id()
            .opt("user_id", Uuid)
            .references("users", "id", OnDelete::Cascade)
            .indexed()
            .col("kind", Str)
            .col("state", Json)
            .expires()
            .created_at()
            .build(),
        // ---- mfa ----
        table("totp_secrets", "mfa")
            .id()
            .col("user_id", Uuid)
            .references("users", "id", OnDelete::Cascade)
            .unique()
            // AEAD ciphertext (nonce + sealed secret).
            .col("encrypted_secret", Bytes)
            .col("verified", Bool)
            .default_bool(false)
            // added: the last accepted TOTP time step; a code from it or earlier is refused
            // (RFC 6238 section 5.2, replay).
            .opt("last_used_step", BigInt)
            .created_at()
            .build(),
        table("backup_codes", "mfa")
            .id()
            .col("user_id", Uuid)
            .references("users", "id", OnDelete::Cascade)
            // Hashed with the user id mixed in, so equal codes of two users differ: unique
            // per user only.
            .col("code_hash", Str)
            .unique_together(&["user_id", "code_hash"])
            .col("used", Bool)
            .default_bool(false)
            .created_at()
            .build(),
        // added: a login that passed the first factor and waits for the second, readable by
        // every replica. `token_hash` is the hash of the `pending_session_id` given to the client.
        table("mfa_pending_logins", "mfa")
            .id()
            .owner()
            .col("token_hash", Str)
            .unique()
            // added: how the first factor was proved (`email-password`, `magic-link`, …), the
            // `method` of the sign-in that the second factor finishes.
            .col("method", Str)
            .col("remember_me", Bool)
            .default_bool(false)
            // added: the scopes of a token sign-in (`POST /token`); null for a session.
            .opt("scopes", Json)
            .opt("ip_address", Str)
            .opt("user_agent", Text)
            .col("attempts", Int)
            .default_int(0)
            .expires()
            .created_at()
            .build(),
        // ---- oauth ----
        table("oauth_accounts", "oauth")
            .id()
            .owner()
            .col("provider", Str)
            .col("provider_user_id", Str)
            .unique_together(&["provider", "provider_user_id"])
            .opt("access_token_enc", Bytes)
            .opt("refresh_token_enc", Bytes)
            .opt("expires_at", Timestamp)
            .updated_at()
            .created_at()
            .build(),
        table("oauth_states", "oauth")
            // The SHA-256 of the `state` parameter sent to the provider and of the browser's
            // flow cookie (a state works only in the browser that started the flow).
            .col("state", Str)
            .primary_key()
            .col("provider", Str)
            .opt("redirect_url", Text)
            // added: PKCE verifier (RFC 7636; sealed, base64), OpenID nonce (its SHA-256), and
            // the signed-in user when the flow links a provider to an existing account.
            .opt("pkce_verifier", Str)
            .opt("nonce", Str)
            .opt("link_user_id", Uuid)
            .references("users", "id", OnDelete::Cascade)
            .indexed()
            .expires()
            .created_at()
            .build(),
        // ---- bearer ----
        table("refresh_tokens", "bearer")
            .id()
            .owner()
            .col("token_hash", Str)
            .unique()
            .col("family_id", Uuid)
            .indexed()
            // added: the scopes granted, carried over on rotation.
            .opt("scopes", Json)
            .expires()
            .col("revoked", Bool)
            .default_bool(false)
            .created_at()
            .build(),
        // added: asymmetric signing keys (the key store), persisted so that every replica
        // signs with and publishes (JWKS) the same keys. The private key is sealed (AEAD under
        // `YAuthConfig::secret_key`). Bearer tokens are the first user; oauth2-server and oidc
        // require bearer and sign with the same keys.
        table("signing_keys", "bearer")
            .id()
            .col("kid", Str)
            .unique()
            .col("algorithm", Str)
            .col("public_jwk", Json)
            .col("private_key_enc", Bytes)
            // Signs new tokens; false once rotated.
            .col("active", Bool)
            .default_bool(true)
            .created_at()
            // added: when a newer key took over signing; the key still verifies.
            .opt("rotated_at", Timestamp)
            // When it stopped verifying (every token it signed had expired); no longer
            // published.
            .opt("retired_at", Timestamp)
            .build(),
        // ---- api-key ----
        table("api_keys", "api-key")
            .id()
            .owner()
            .col("key_prefix", Str)
            .col("key_hash", Str)
            .unique()
            .col("name", Str)
            .opt("scopes", Json)
            .opt("last_used_at", Timestamp)
            .opt("expires_at", Timestamp)
            .created_at()
            .build(),
        // ---- magic-link ----
        table("magic_links", "magic-link")
            .id()
            .col("email", Str)
            .indexed()
            .col("token_hash", Str)
            .unique()
            .expires()
            .col("used", Bool)
            .default_bool(false)
            .created_at()
            .build(),
        // ---- oauth2-server ----
        table("oauth2_clients", "oauth2-server")
            .id()
            .col("client_id", Str)
            .unique()
            .opt("client_secret_hash", Str)
            .col("redirect_uris", Json)
            .opt("client_name", Str)
            .col("grant_types", Json)
            .opt("scopes", Json)
            .col("is_public", Bool)
            .default_bool(false)
            // added: the rest of the registered metadata (RFC 7591: the token endpoint's
            // authentication method, the id_token's algorithm, logout redirect URIs, ...),
            // echoed back and read by the authorization server.
            .opt("metadata", Json)
            .created_at()
            .build(),
        table("authorization_codes", "oauth2-server")
            .id()
            .col("code_hash", Str)
            .unique()
            .client()
            .owner()
            .opt("scopes", Json)
            .col("redirect_uri", Text)
            .col("code_challenge", Str)
            .col("code_challenge_method", Str)
            // Always present (OIDC fills it): columns never depend on other plugins.
            .opt("nonce", Str)
            // added: when the user signed in (their session's start), for `auth_time` in
            // the id_token and `max_age`.
            .opt("auth_time", Timestamp)
            .expires()
            .col("used", Bool)
            .default_bool(false)
            .created_at()
            .build(),
        table("consents", "oauth2-server")
            .id()
            .col("user_id", Uuid)
            .references("users", "id", OnDelete::Cascade)
            .col("client_id", Str)
            .references("oauth2_clients", "client_id", OnDelete::Cascade)
            .indexed()
            .unique_together(&["user_id", "client_id"])
            .opt("scopes", Json)
            .created_at()
            .build(),
        table("device_codes", "oauth2-server")
            .id()
            .col("device_code_hash", Str)
            .unique()
            .col("user_code", Str)
            .unique()
            .client()
            .opt("scopes", Json)
            // Null until the user approves the device.
            .opt("user_id", Uuid)
            .references("users", "id", OnDelete::Cascade)
            .indexed()
            .col("status", Str)
            .default(ColumnDefault::String("pending".into()))
            .col("interval", Int)
            .default_int(5)
            .expires()
            .opt("last_polled_at", Timestamp)
            .created_at()
            .build(),
        // added: issued access tokens by JWT id, for introspection (RFC 7662) and revocation
        // (RFC 7009). `user_id` is null for the client-credentials grant.
        table("oauth2_access_tokens", "oauth2-server")
            .id()
            .col("jti", Str)
            .unique()
            .client()
            .opt("user_id", Uuid)
            .references("users", "id", OnDelete::Cascade)
            .indexed()
            .opt("scopes", Json)
            // added: the grant it belongs to (the refresh family, whose id is the
            // authorization code's for the code grant): a reused code or refresh token
            // revokes every access token of its grant.
            .opt("grant_id", Uuid)
            .indexed()
            .expires()
            .col("revoked", Bool)
            .default_bool(false)
            .created_at()
            .build(),
        // added: refresh tokens issued to OAuth2 clients, bound to the client (RFC 6749
        // section 6) and rotated by family like the bearer plugin's.
        table("oauth2_refresh_tokens", "oauth2-server")
            .id()
            .col("token_hash", Str)
            .unique()
            .col("family_id", Uuid)
            .indexed()
            .client()
            .owner()
            .opt("scopes", Json)
            .expires()
            .col("revoked", Bool)
            .default_bool(false)
            .created_at()
            .build(),
        // ---- account-lockout ----
        // changed: keyed by the SHA-256 of the normalised email instead of `user_id`, since
        // an unknown email must be locked exactly like a known one (there is no user to
        // reference, and a lookup would tell them apart). The failures themselves are counted
        // in `rate_limits` (a windowed counter), so `failed_count` is gone; `expires_at`
        // says when the row (the backoff's memory) may be forgotten.
        table("account_locks", "account-lockout")
            .id()
            .col("email_hash", Str)
            .unique()
            .opt("locked_until", Timestamp)
            .col("lock_count", Int)
            .default_int(0)
            .opt("locked_reason", Text)
            .expires()
            .created_at()
            .updated_at()
            .build(),
        table("unlock_tokens", "account-lockout")
            .id()
            .owner()
            .col("token_hash", Str)
            .unique()
            .expires()
            .created_at()
            .build(),
        // ---- webhooks ----
        table("webhooks", "webhooks")
            .id()
            // added: the admin who created it, since `max_webhooks` is per admin; null once
            // that account is deleted (any admin manages every webhook, so it stays).
            .opt("user_id", Uuid)
            .references("users", "id", OnDelete::SetNull)
            .indexed()
            .col("url", Text)
            // The signing secret, AEAD-encrypted: it must be read back to sign deliveries.
            .col("secret_enc", Bytes)
            .col("events", Json)
            .col("active", Bool)
            .default_bool(true)
            .created_at()
            .updated_at()
            .build(),
        table("webhook_deliveries", "webhooks")
            .id()
            .col("webhook_id", Uuid)
            .references("webhooks", "id", OnDelete::Cascade)
            .indexed()
            .col("event_type", Str)
            .col("payload", Json)
            .opt("status_code", Int)
            // The start of the receiver's answer to the last attempt.
            .opt("response_body", Text)
            // added: why the last attempt failed without an answer (a refused address, a
            // timeout), or which status failed it.
            .opt("error", Text)
            .col("success", Bool)
            .default_bool(false)
            // The attempts started; a worker claims a row by raising it (compare and set).
            .col("attempt", Int)
            .default_int(0)
            // added: when the next attempt is due (or, while one runs, when its lease ends);
            // null once delivered or given up.
            .opt("next_attempt_at", Timestamp)
            .indexed()
            // added: when the last attempt ended.
            .opt("attempted_at", Timestamp)
            .created_at()
            .build(),
        // ---- oidc ----
        table("oidc_nonces", "oidc")
            .id()
            .col("nonce_hash", Str)
            .indexed()
            .col("authorization_code_id", Uuid)
            .references("authorization_codes", "id", OnDelete::Cascade)
            .indexed()
            .created_at()
            .build(),
    ]
}

/// The schema of `core` plus the given plugins (already resolved), with `prefix`.
pub fn schema_for(plugins: &[&str], prefix: &str) -> Result<Schema, SchemaError> {
    for name in plugins {
        if *name != CORE && !PLUGINS.iter().any(|p| p.name == *name) {
            return Err(SchemaError::UnknownPlugin(name.to_string()));
        }
    }
    let schema = Schema {
        prefix: prefix.to_string(),
        tables: all_tables()
            .into_iter()
            .filter(|t| t.plugin == CORE || plugins.contains(&t.plugin.as_str()))
            .collect(),
    };
    schema.validate()?;
    Ok(schema)
}

/// The schema of every plugin.
pub fn full_schema(prefix: &str) -> Schema {
    let all: Vec<&str> = PLUGINS.iter().map(|p| p.name).collect();
    schema_for(&all, prefix).expect("the built-in schema is valid")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugins::resolve;

    #[test]
    fn built_in_schema_is_valid_and_ordered() {
        full_schema(DEFAULT_PREFIX).validate().unwrap();
    }

    #[test]
    fn every_plugin_alone_resolves_to_a_valid_schema() {
        for plugin in PLUGINS {
            let resolved = resolve(&[plugin.name.to_string()]).unwrap();
            let schema = schema_for(&resolved.active, DEFAULT_PREFIX).unwrap();
            let own = schema
                .tables
                .iter()
                .filter(|t| t.plugin == plugin.name)
                .count();
            assert_eq!(own > 0, plugin.has_tables, "{}", plugin.name);
        }
    }

    #[test]
    fn required_lookups_are_unique() {
        let schema = full_schema(DEFAULT_PREFIX);
        let unique = [
            ("users", "email"),
            ("sessions", "token_hash"),
            ("email_verifications", "token_hash"),
            ("password_resets", "token_hash"),
            ("refresh_tokens", "token_hash"),
            ("api_keys", "key_hash"),
            ("magic_links", "token_hash"),
            ("unlock_tokens", "token_hash"),
            ("authorization_codes", "code_hash"),
            ("device_codes", "device_code_hash"),
            ("device_codes", "user_code"),
            ("webauthn_credentials", "credential_id"),
            ("oauth2_access_tokens", "jti"),
            ("oauth2_clients", "client_id"),
        ];
        for (table, column) in unique {
            assert!(
                schema.table(table).unwrap().is_unique(column),
                "{table}.{column}"
            );
        }
        let backup = schema.table("backup_codes").unwrap();
        assert!(!backup.is_unique("code_hash"));
        assert!(
            backup
                .indexes
                .iter()
                .any(|i| i.unique && i.columns == ["user_id", "code_hash"])
        );
    }

    #[test]
    fn every_user_id_and_expiry_is_indexed() {
        for table in full_schema(DEFAULT_PREFIX).tables {
            for column in ["user_id", "expires_at", "email"] {
                if table.column(column).is_some()
                    && !(table.name == "api_keys" && column == "expires_at")
                    && !(table.name == "oauth_accounts" && column == "expires_at")
                {
                    assert!(table.is_indexed(column), "{}.{column}", table.name);
                }
            }
        }
    }

    #[test]
    fn user_foreign_keys_cascade_and_are_not_null_except_the_documented_ones() {
        let nullable_ok = [
            ("audit_log", "user_id"),
            ("device_codes", "user_id"),
            ("sessions", "impersonator_id"),
            ("oauth_states", "link_user_id"),
            ("webauthn_challenges", "user_id"),
            ("oauth2_access_tokens", "user_id"),
            ("webhooks", "user_id"),
        ];
        for table in full_schema(DEFAULT_PREFIX).tables {
            for fk in table
                .foreign_keys
                .iter()
                .filter(|f| f.references == "users")
            {
                let column = table.column(&fk.column).unwrap();
                let exception = nullable_ok.contains(&(table.name.as_str(), fk.column.as_str()));
                assert_eq!(column.nullable, exception, "{}.{}", table.name, fk.column);
                // The audit trail and the webhooks outlive the user they name.
                let expected = if matches!(table.name.as_str(), "audit_log" | "webhooks") {
                    OnDelete::SetNull
                } else {
                    OnDelete::Cascade
                };
                assert_eq!(fk.on_delete, expected, "{}.{}", table.name, fk.column);
            }
        }
    }

    #[test]
    fn identifiers_fit_postgres_and_mysql_limits() {
        let schema = full_schema(DEFAULT_PREFIX);
        for table in &schema.tables {
            for index in &table.indexes {
                let name = table.index_name(&schema.prefix, index);
                assert!(
                    name.len() <= 63 && !name.contains(char::is_whitespace),
                    "{name}"
                );
            }
        }
    }

    #[test]
    fn long_identifiers_are_shortened_deterministically() {
        let long = "x".repeat(80);
        let a = crate::types::bounded_identifier(long.clone());
        assert_eq!(a.len(), 63);
        assert_eq!(a, crate::types::bounded_identifier(long));
        assert_ne!(a, crate::types::bounded_identifier("x".repeat(81)));
    }
}
