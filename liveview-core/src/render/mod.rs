//! Render output to patches: tokens, fragments, the diff, its wire form and the applier.
//!
//! A view renders to one HTML string. [`Rendered`] cuts it into fragments at elements that
//! carry an `id`; [`diff`] compares two renders fragment by fragment and produces a
//! [`Patch`], which [`Document`] (and the browser client) apply. The format is specified in
//! `docs/protocol.md` §4.
//!
//! ```
//! use liveview_core::render::{diff, full, Document, Rendered};
//!
//! let before = Rendered::new("<h1>Counter: 0</h1>".to_string());
//! let after = Rendered::new("<h1>Counter: 1</h1>".to_string());
//! let patch = diff(&before, &after);
//! assert_eq!(patch.to_json(), r#"{"":[[2,1,"1"]]}"#);
//!
//! let mut client = Document::new();
//! client.apply(&full(&before)).unwrap();
//! client.apply(&patch).unwrap();
//! assert_eq!(client.html().unwrap(), "<h1>Counter: 1</h1>");
//! ```

mod diff;
mod document;
mod fragment;
mod patch;
mod token;

pub use diff::{diff, diff_within, full};
pub use document::Document;
pub use fragment::Rendered;
pub use patch::{write_json_str, Change, Insert, Op, Patch, PatchError};
pub use token::{tokenize, Token, TokenKind};
