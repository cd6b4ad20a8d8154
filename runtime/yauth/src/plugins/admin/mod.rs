//! The admin plugin: user and session management for accounts with `role = "admin"`.
//!
//! Every route requires the admin role (others get 403 `forbidden`), whatever the
//! credentials: a session, a bearer token or an API key of an admin. An admin cannot ban,
//! delete or impersonate another admin or themselves, nor change their own role (400
//! `cannot_target_self` for themselves, 403 `forbidden` for another admin), so an admin
//! account cannot be locked out by one of its peers' mistakes.
//!
//! - `routes`: the HTTP surface; `flows`: what each route does.

use utoipa_axum::router::OpenApiRouter;

use crate::contract::plugin::YAuthPlugin;
use crate::contract::state::YAuthState;

mod flows;
mod routes;

/// The plugin's name.
pub const NAME: &str = "admin";

/// The role that opens the admin routes.
pub const ADMIN_ROLE: &str = "admin";

/// The largest page of `GET /admin/users` and `GET /admin/sessions`.
pub const MAX_PER_PAGE: u64 = 100;

/// The plugin: `YAuthBuilder::with_admin()`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Admin;

impl YAuthPlugin for Admin {
    fn name(&self) -> &'static str {
        NAME
    }

    fn protected_routes(&self, _state: &YAuthState) -> Option<OpenApiRouter<YAuthState>> {
        Some(routes::protected())
    }
}
