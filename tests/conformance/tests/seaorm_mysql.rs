//! The conformance suite on the `seaorm_mysql` backend.

yauth_conformance::conformance_tests!(yauth_conformance::setup::seaorm_mysql());
