//! The conformance suite on the `diesel_mysql` backend.

yauth_conformance::conformance_tests!(yauth_conformance::setup::diesel_mysql());
