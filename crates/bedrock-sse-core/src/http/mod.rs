//! What the core knows of HTTP heads: the [`Request`] a watch asks for,
//! the response headers it reads ([`HeaderPair`]), what a status means,
//! which values are safe to send, and where a redirect may lead.
//!
//! Drivers only carry these between the core and an HTTP client: building
//! a request, judging a response, following a redirect and choosing what
//! to send where are all decided here.

mod redirect;
mod request;
mod response;
mod value;

pub use redirect::{InvalidLocation, Origin};
pub use request::{Header, Request};
pub use response::HeaderPair;

pub(crate) use redirect::resolve_location;
pub(crate) use response::{Class, Head, classify};
pub use value::InvalidHeaderValue;

pub(crate) use value::{checked, parse_u64, round_trips};
