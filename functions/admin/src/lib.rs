//! herald-admin: `/admin/...` routes to configure sources and targets, test, preview and nudge them.

pub mod page;
pub mod router;
