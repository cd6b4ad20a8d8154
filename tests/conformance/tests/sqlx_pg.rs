//! The conformance suite on the `sqlx_pg` backend.

yauth_conformance::conformance_tests!(yauth_conformance::setup::sqlx_pg());
