//! The contract between Touchline's generator and its sidecar, defined once.
//!
//! The generator writes a site that nginx serves and a manifest of what it wrote; the sidecar
//! turns logged request targets back into those routes. Both sides (and the end-to-end tests)
//! depend on this crate, so a change to the contract is one edit:
//!
//! - [`route`]: what a route is (`Route`), and which URL paths serve it (`/a` = `/a/` =
//!   `/a/index.html`).
//! - [`asset`]: the name of a fingerprinted asset (`/assets/app.<12 hex>.css`).
//! - [`manifest`]: `dist/_routes.json`, its version, reading and writing.

pub mod asset;
pub mod manifest;
pub mod route;

pub use manifest::{Manifest, ManifestError};
pub use route::{Route, RouteError};
