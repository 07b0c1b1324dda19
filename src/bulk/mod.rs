//! The `_bulk` API: encoding documents into bounded request bodies, and
//! reading the per-item answers.

pub mod encoder;
pub mod response;

pub use encoder::{Action, BulkBody, BulkEncoder};
pub use response::{ItemOutcome, ResponseError};
