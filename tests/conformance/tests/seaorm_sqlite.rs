//! The conformance suite on the `seaorm_sqlite` backend.

yauth_conformance::conformance_tests!(yauth_conformance::setup::seaorm_sqlite());
