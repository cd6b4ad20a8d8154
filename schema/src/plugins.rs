//! The plugin names yauth knows, what each one depends on, and how a list of them resolves.

use crate::SchemaError;

/// A plugin as `yauth.toml` and cargo features name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PluginInfo {
    pub name: &'static str,
    /// Plugins enabled along with this one.
    pub requires: &'static [&'static str],
    /// Whether the plugin owns tables (admin, status and telemetry do not).
    pub has_tables: bool,
    pub summary: &'static str,
}

/// Every plugin, in the order their tables are generated. `core` is always on and is not
/// listed: it is not something a user enables.
pub const PLUGINS: &[PluginInfo] = &[
    PluginInfo {
        name: "email-password",
        requires: &[],
        has_tables: true,
        summary: "registration, login, verification, password reset",
    },
    PluginInfo {
        name: "passkey",
        requires: &[],
        has_tables: true,
        summary: "WebAuthn registration and passwordless login",
    },
    PluginInfo {
        name: "mfa",
        requires: &[],
        has_tables: true,
        summary: "TOTP and backup codes",
    },
    PluginInfo {
        name: "oauth",
        requires: &[],
        has_tables: true,
        summary: "sign in with external OAuth providers",
    },
    PluginInfo {
        name: "bearer",
        requires: &[],
        has_tables: true,
        summary: "JWT access tokens and rotating refresh tokens",
    },
    PluginInfo {
        name: "api-key",
        requires: &[],
        has_tables: true,
        summary: "scoped API keys",
    },
    PluginInfo {
        name: "magic-link",
        requires: &[],
        has_tables: true,
        summary: "passwordless email links",
    },
    PluginInfo {
        name: "admin",
        requires: &[],
        has_tables: false,
        summary: "user and session management",
    },
    PluginInfo {
        name: "status",
        requires: &[],
        has_tables: false,
        summary: "lists enabled plugins",
    },
    PluginInfo {
        name: "oauth2-server",
        // Its access tokens are signed by the bearer plugin's key store.
        requires: &["bearer"],
        has_tables: true,
        summary: "OAuth2 authorization server",
    },
    PluginInfo {
        name: "account-lockout",
        requires: &[],
        has_tables: true,
        summary: "per-account brute-force protection",
    },
    PluginInfo {
        name: "webhooks",
        requires: &[],
        has_tables: true,
        summary: "signed HTTP callbacks on auth events",
    },
    PluginInfo {
        name: "oidc",
        requires: &["oauth2-server", "bearer"],
        has_tables: true,
        summary: "OpenID Connect provider",
    },
    PluginInfo {
        name: "telemetry",
        requires: &[],
        has_tables: false,
        summary: "OpenTelemetry instrumentation",
    },
];

/// The name of the always-present plugin that owns users, sessions, audit log and rate limits.
pub const CORE: &str = "core";

pub fn plugin(name: &str) -> Option<&'static PluginInfo> {
    PLUGINS.iter().find(|p| p.name == name)
}

/// The result of resolving what a user enabled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedPlugins {
    /// Every active plugin, in [`PLUGINS`] order, without `core`.
    pub active: Vec<&'static str>,
    /// Plugins that are active only because another one needs them, with the one that pulled
    /// each in: `("bearer", "oidc")`.
    pub implied: Vec<(&'static str, &'static str)>,
}

/// Resolves the plugins a user listed: checks every name and adds dependencies.
pub fn resolve(enabled: &[String]) -> Result<ResolvedPlugins, SchemaError> {
    let mut wanted: Vec<&'static str> = Vec::new();
    let mut implied = Vec::new();
    for name in enabled {
        let info = plugin(name).ok_or_else(|| SchemaError::UnknownPlugin(name.clone()))?;
        if !wanted.contains(&info.name) {
            wanted.push(info.name);
        }
    }
    let mut i = 0;
    while i < wanted.len() {
        let info = plugin(wanted[i]).expect("only known names are pushed");
        for dep in info.requires {
            if !wanted.contains(dep) {
                wanted.push(plugin(dep).expect("dependencies name known plugins").name);
                implied.push((plugin(dep).expect("known").name, info.name));
            }
        }
        i += 1;
    }
    let active = PLUGINS
        .iter()
        .map(|p| p.name)
        .filter(|name| wanted.contains(name))
        .collect();
    Ok(ResolvedPlugins { active, implied })
}

/// The enabled plugins that need `name`, directly or through another plugin.
pub fn dependents(enabled: &[String], name: &str) -> Vec<&'static str> {
    PLUGINS
        .iter()
        .filter(|p| p.name != name && enabled.iter().any(|e| e == p.name))
        .filter(|p| resolve(&[p.name.to_string()]).is_ok_and(|r| r.active.contains(&name)))
        .map(|p| p.name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn oidc_brings_oauth2_server_and_bearer() {
        let resolved = resolve(&names(&["oidc"])).unwrap();
        assert_eq!(resolved.active, vec!["bearer", "oauth2-server", "oidc"]);
        assert_eq!(
            resolved.implied,
            vec![("oauth2-server", "oidc"), ("bearer", "oidc")]
        );
    }

    #[test]
    fn oauth2_server_brings_bearer_whose_key_store_signs_its_tokens() {
        let resolved = resolve(&names(&["oauth2-server"])).unwrap();
        assert_eq!(resolved.active, vec!["bearer", "oauth2-server"]);
        assert_eq!(resolved.implied, vec![("bearer", "oauth2-server")]);
    }

    #[test]
    fn unknown_plugin_is_an_error() {
        assert!(
            matches!(resolve(&names(&["passwords"])), Err(SchemaError::UnknownPlugin(n)) if n == "passwords")
        );
    }

    #[test]
    fn dependents_finds_who_needs_a_plugin() {
        assert_eq!(dependents(&names(&["oidc", "mfa"]), "bearer"), vec!["oidc"]);
        assert!(dependents(&names(&["oidc", "mfa"]), "mfa").is_empty());
    }

    #[test]
    fn duplicates_and_order_do_not_matter() {
        let a = resolve(&names(&["mfa", "email-password", "mfa"])).unwrap();
        let b = resolve(&names(&["email-password", "mfa"])).unwrap();
        assert_eq!(a, b);
    }
}
