//! Render output to diffs: tokens, fragments, the diff, its wire form and the applier.
//!
//! A view renders to one HTML string. [`Rendered`] cuts it into fragments at elements that
//! carry an `id`; [`Rendered::following`] makes each later render from the one before,
//! re-tokenizing only what changed, and returns a [`Delta`] saying what did. [`diff`](diff())
//! compares two renders fragment by fragment (only those the [`Delta`] names) and produces
//! a [`Diff`], which [`FragmentStore`] (and the browser client) apply. The format is
//! specified in `docs/protocol.md` §4.
//!
//! ```
//! use liveview_core::render::{diff, full, FragmentStore, Rendered};
//!
//! let before = Rendered::new("<h1>Counter: 0</h1>".to_string());
//! let (after, delta) = before.following("<h1>Counter: 1</h1>".to_string());
//! let changes = diff(&before, &after, &delta);
//! assert_eq!(changes.to_json(), r#"{"":[[2,1,"1"]]}"#);
//!
//! let mut client = FragmentStore::new();
//! client.apply(&full(&before)).unwrap();
//! client.apply(&changes).unwrap();
//! assert_eq!(client.html().unwrap(), "<h1>Counter: 1</h1>");
//! ```
//!
//! One concept per file, each using only those listed before it:
//!
//! | file | concept |
//! | --- | --- |
//! | `token.rs` | the tokenizer (protocol §4.1) |
//! | `fragment.rs` | `Fragment`: an `id`-bearing element as a token range; the root fragment |
//! | `escape.rs` | escaping a literal `<#` so it never reads as a reference |
//! | `split.rs` | splitting tokens into fragments: `TagShape`, `Splitter`, `id_value` |
//! | `rendered.rs` | the model: `Rendered` (HTML, tokens, fragments) and `Rendered::new` |
//! | `own_tokens.rs` | a fragment's own tokens and comparing two fragments by them |
//! | `delta.rs` | `Delta`: what `Rendered::following` learned, for the diff |
//! | `incremental.rs` | `Rendered::following`: the incremental re-tokenizing, step by step |
//! | `stream_items.rs` | a render without its stream items, as the client holds it once merged |
//! | `diff_format.rs` | `Diff`, the wire form of a diff, and its JSON |
//! | `diff.rs` | the diff algorithm: `diff`, `diff_within`, `full` |
//! | `fragment_store.rs` | `FragmentStore`, the Rust applier (the JS client's twin) |

mod delta;
mod diff;
mod diff_format;
mod escape;
mod fragment;
mod fragment_store;
mod incremental;
mod own_tokens;
mod rendered;
mod split;
mod stream_items;
mod token;

pub use delta::Delta;
pub use diff::{diff, diff_within, full};
pub use diff_format::{Change, Diff, DiffError, Insert, Op};
pub use fragment_store::FragmentStore;
pub use rendered::Rendered;
pub use token::{tokenize, Token, TokenKind};

#[cfg(feature = "fuzzing")]
pub(crate) use split::id_value;
