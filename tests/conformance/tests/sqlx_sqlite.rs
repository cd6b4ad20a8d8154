//! The conformance suite on the `sqlx_sqlite` backend.

yauth_conformance::conformance_tests!(yauth_conformance::setup::sqlx_sqlite());
