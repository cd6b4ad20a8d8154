//! The conformance suite on the `diesel_pg` backend.

yauth_conformance::conformance_tests!(yauth_conformance::setup::diesel_pg());
