//! herald-admin: `/admin/...` routes to configure sources and targets, test, preview and nudge them.

mod activity_routes;
pub mod page;
mod rotation_routes;
pub mod router;
