//! The status plugin: `GET /status` (authenticated) lists the enabled plugins, sorted.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::contract::plugin::YAuthPlugin;
use crate::contract::state::YAuthState;
use crate::contract::user::AuthUser;
use crate::kit::openapi::Unauthorized;

/// The plugin's name.
pub const NAME: &str = "status";

/// The plugin: `YAuthBuilder::with_status()`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Status;

impl YAuthPlugin for Status {
    fn name(&self) -> &'static str {
        NAME
    }

    fn protected_routes(&self, _state: &YAuthState) -> Option<OpenApiRouter<YAuthState>> {
        Some(OpenApiRouter::new().routes(routes!(status)))
    }
}

/// The answer of `GET /status`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct StatusBody {
    /// The enabled plugins' names (`core`, always there, left out), sorted.
    plugins: Vec<&'static str>,
}

#[utoipa::path(
    get,
    path = "/status",
    tag = "status",
    operation_id = "statusGet",
    summary = "The enabled plugins",
    security(("session" = [])),
    responses(
        (status = 200, description = "The enabled plugins, sorted", body = StatusBody),
        Unauthorized,
    )
)]
async fn status(State(state): State<YAuthState>, _caller: AuthUser) -> Json<StatusBody> {
    let mut plugins = state.plugin_names();
    plugins.sort_unstable();
    Json(StatusBody { plugins })
}
