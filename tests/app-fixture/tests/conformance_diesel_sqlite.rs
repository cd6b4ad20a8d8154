//! The conformance suite on the generated diesel_sqlite repositories (prefix `auth_`).

use yauth::prelude::DatabaseBackend as _;

yauth_conformance_suite::conformance_tests!(async {
    yauth_app_fixture::open::diesel_sqlite()
        .await
        .repositories()
});
