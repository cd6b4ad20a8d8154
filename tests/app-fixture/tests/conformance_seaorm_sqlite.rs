//! The conformance suite on the generated seaorm_sqlite repositories (prefix `auth_`).

use yauth::prelude::DatabaseBackend as _;

yauth_conformance_suite::conformance_tests!(async {
    yauth_app_fixture::open::seaorm_sqlite()
        .await
        .repositories()
});
