//! The conformance suite on the generated sqlx_mysql repositories (prefix `auth_`).

use yauth::prelude::DatabaseBackend as _;

yauth_conformance_suite::conformance_tests!(async {
    yauth_app_fixture::open::sqlx_mysql().await.repositories()
});
