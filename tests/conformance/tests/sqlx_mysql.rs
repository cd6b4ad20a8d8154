//! The conformance suite on the `sqlx_mysql` backend.

yauth_conformance::conformance_tests!(yauth_conformance::setup::sqlx_mysql());
