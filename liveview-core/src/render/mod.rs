//! Render output to diffs: tokens, fragments, the diff, its wire form and the applier.
//!
//! A view renders to one HTML string. [`Rendered`] cuts it into fragments at elements that
//! carry an `id`; [`diff`] compares two renders fragment by fragment and produces a
//! [`Diff`], which [`FragmentStore`] (and the browser client) apply. The format is specified in
//! `docs/protocol.md` §4.
//!
//! ```
//! use liveview_core::render::{diff, full, FragmentStore, Rendered};
//!
//! let before = Rendered::new("<h1>Counter: 0</h1>".to_string());
//! let after = Rendered::new("<h1>Counter: 1</h1>".to_string());
//! let changes = diff(&before, &after);
//! assert_eq!(changes.to_json(), r#"{"":[[2,1,"1"]]}"#);
//!
//! let mut client = FragmentStore::new();
//! client.apply(&full(&before)).unwrap();
//! client.apply(&changes).unwrap();
//! assert_eq!(client.html().unwrap(), "<h1>Counter: 1</h1>");
//! ```

mod diff;
mod diff_format;
mod fragment;
mod fragment_store;
mod token;

pub use diff::{diff, diff_within, full};
pub use diff_format::{write_json_str, Change, Diff, DiffError, Insert, Op};
pub use fragment::Rendered;
pub use fragment_store::FragmentStore;
pub use token::{tokenize, Token, TokenKind};
