//! The conformance suite of yauth's backends, free of any ORM: it needs only
//! `yauth-entity`, so that a backend built outside yauth's workspace (an application's
//! generated repositories, the toasty and diesel-libsql crates, each with its own lockfile)
//! runs the very same tests.
//!
//! [`suite`] holds the tests, written once against [`Repositories`]; a test file instantiates
//! them for one backend with [`conformance_tests!`]. A test binary opens one scratch database
//! for its backend and every test in it shares that database and one async runtime, with
//! unique data per test.

use std::future::Future;

use yauth_entity::Repositories;

pub mod rows;
pub mod suite;

/// The runtime and repositories shared by the tests of one binary.
pub struct Env {
    runtime: tokio::runtime::Runtime,
    repos: Repositories,
    /// Tests share it; a test that changes rows of every user (a sweep) holds it alone.
    gate: std::sync::RwLock<()>,
}

impl Env {
    pub fn new<F, Fut>(setup: F) -> Env
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Repositories>,
    {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(4)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let repos = runtime.block_on(setup());
        Env {
            runtime,
            repos,
            gate: std::sync::RwLock::new(()),
        }
    }

    /// Runs one test of the suite.
    pub fn run<F, Fut>(&self, test: F)
    where
        F: FnOnce(Repositories) -> Fut,
        Fut: Future<Output = ()>,
    {
        let _shared = self.gate.read().unwrap_or_else(|e| e.into_inner());
        self.runtime.block_on(test(self.repos.clone()));
    }

    /// Runs one test while no other test of the binary runs: the sweeps, whose range
    /// deletes over whole tables can deadlock on MariaDB with the cascading deletes of
    /// tests running beside them (InnoDB picks one side as the victim). The library does
    /// not retry a deadlock; the maintenance round simply tries again next time.
    pub fn run_alone<F, Fut>(&self, test: F)
    where
        F: FnOnce(Repositories) -> Fut,
        Fut: Future<Output = ()>,
    {
        let _alone = self.gate.write().unwrap_or_else(|e| e.into_inner());
        self.runtime.block_on(test(self.repos.clone()));
    }
}

/// Instantiates every test of [`suite`] for the backend that `$setup` (an async expression
/// returning [`Repositories`]) opens.
///
/// A backend that cannot pass a test names it as a known gap, with the reason:
/// `conformance_tests!(open(), gaps { foreign_keys_are_enforced: "known gap: …" })`. The test
/// then runs as `known_gaps::<name>` and must fail (`#[should_panic]`), so a gap is never a
/// silent skip, and one that closes fails the binary until it is removed from the list. A
/// name that is not a test of the suite does not compile.
#[macro_export]
macro_rules! conformance_tests {
    ($setup:expr) => {
        $crate::conformance_tests!($setup, gaps {});
    };
    ($setup:expr, gaps { $($gap:ident : $reason:literal),* $(,)? }) => {
        fn env() -> &'static $crate::Env {
            static ENV: std::sync::OnceLock<$crate::Env> = std::sync::OnceLock::new();
            ENV.get_or_init(|| $crate::Env::new(|| $setup))
        }

        /// The suite's tests this backend is known to fail, each with its reason.
        mod known_gaps {
            $(
                #[doc = $reason]
                #[test]
                #[should_panic]
                fn $gap() {
                    super::env().run($crate::suite::$gap);
                }
            )*
        }

        $crate::conformance_tests!(@cases [$($gap),*] $);
    };
    // A local macro whose first arms match the gaps' names literally (they get no regular
    // test); `$d` is a `$` (passed last, where a transcriber may write one) for the local
    // macro's own variables.
    (@cases [$($gap:ident),*] $d:tt) => {
        macro_rules! __yauth_conformance_case {
            $(
                ($d run:ident $gap) => {};
            )*
            ($d run:ident $d name:ident) => {
                #[test]
                fn $d name() {
                    env().$d run($crate::suite::$d name);
                }
            };
        }

        $crate::conformance_tests!(@each
            users_round_trip_every_column,
            unique_violations_are_conflicts,
            user_updates,
            extra_user_columns,
            user_pagination_and_search_are_stable,
            delete_user_cascades,
            foreign_keys_are_enforced,
            sessions,
            touch_session_slides_expiry_but_never_rewinds_or_revives,
            delete_user_session_cannot_end_another_users_session,
            audit_log,
            rate_limit_windows,
            passwords_and_history,
            email_verification_tokens,
            password_reset_tokens,
            passkeys,
            totp_and_backup_codes,
            oauth_client_accounts,
            bearer_refresh_tokens,
            api_keys,
            magic_links,
            oauth2_server,
            account_lockout,
            webhooks,
            register_is_all_or_nothing,
            reset_password_is_all_or_nothing,
            change_password_ends_other_sessions_and_pending_resets_all_or_nothing,
            race_one_time_token,
            race_refresh_rotation,
            race_authorization_code,
            race_rate_limit_counter,
        );
        $crate::conformance_tests!(@alone
            sweeps_remove_only_expired_rows,
        );
    };
    (@each $($name:ident),* $(,)?) => {
        $(
            __yauth_conformance_case!(run $name);
        )*
    };
    (@alone $($name:ident),* $(,)?) => {
        $(
            __yauth_conformance_case!(run_alone $name);
        )*
    };
}

#[cfg(test)]
mod tests {
    use yauth_migration::builtin::{DEFAULT_PREFIX, full_schema};
    use yauth_migration::queries::catalogue;

    const SUITE: &str = include_str!("suite.rs");
    const MACRO: &str = include_str!("lib.rs");

    #[test]
    fn every_catalogue_operation_is_exercised_by_the_suite() {
        let cat = catalogue();
        let schema = full_schema(DEFAULT_PREFIX);
        let names = cat
            .queries
            .iter()
            .map(|q| q.name.clone())
            .chain(cat.composites.iter().map(|c| c.name.clone()));
        let missing: Vec<String> = names
            .filter(|n| !SUITE.contains(&format!(".{n}(")))
            .collect();
        assert!(missing.is_empty(), "not exercised: {missing:?}");
        assert!(schema.tables.len() >= 30);
    }

    #[test]
    fn the_macro_runs_every_test_of_the_suite() {
        for line in SUITE.lines() {
            if let Some(rest) = line.strip_prefix("pub async fn ") {
                let name = rest.split('(').next().unwrap();
                assert!(MACRO.contains(&format!("            {name},\n")), "{name}");
            }
        }
    }
}
