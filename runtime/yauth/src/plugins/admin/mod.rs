//! The admin plugin: user and session management for accounts with `role = "admin"`.
//!
//! Every route requires the admin role (others get 403 `forbidden`): an admin's own
//! session, or an admin's bearer token or API key with the `admin` scope; never a session
//! opened by impersonation. An admin cannot ban, delete or impersonate themselves (400
//! `cannot_target_self`), nor change their own role; another admin is out of reach
//! altogether (403 `forbidden`: no edit, ban, delete, impersonation or ended session), so
//! no admin can demote a peer and then lock them out.
//!
//! - `routes`: the HTTP surface; `flows`: what each route does.

use utoipa_axum::router::OpenApiRouter;

use crate::contract::plugin::YAuthPlugin;
use crate::contract::state::YAuthState;

mod flows;
mod routes;

/// The plugin's name.
pub const NAME: &str = "admin";

pub use crate::contract::user::ADMIN_ROLE;

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
