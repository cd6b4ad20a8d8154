//! The conformance suite on the `seaorm_pg` backend.

yauth_conformance::conformance_tests!(yauth_conformance::setup::seaorm_pg());
