//! The render model: a rendered view as its HTML, its tokens and its fragments
//! (protocol §4.2).
//!
//! The process keeps the previous [`Rendered`] of its view so the next render can be
//! diffed against it. Tokens are byte ranges into the one rendered `String`, so a render
//! of any size costs one string plus twelve bytes per token.
//!
//! [`Rendered::new`] makes a render from scratch (escape, tokenize, split); the process
//! makes each later one with [`Rendered::following`] (in `incremental.rs`), which gives
//! the same render and re-tokenizes only what changed.

use super::escape::escape_reference_marks;
use super::fragment::Fragment;
use super::split::split;
use super::token::{tokenize, Token};

/// A rendered view: the HTML, its tokens in document order, and its fragments, root
/// first, in document order.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub(crate) html: String,
    pub(crate) tokens: Vec<Token>,
    pub(crate) fragments: Vec<Fragment>,
    /// Whether an `id` repeats, which makes the first of them a fragment and the rest
    /// inline: [`Rendered::following`] then never splits part of the render on its own.
    pub(crate) duplicate_ids: bool,
}

/// Two renders are equal when their HTML, tokens and fragments are (whether an id
/// repeats follows from those).
impl PartialEq for Rendered {
    fn eq(&self, other: &Self) -> bool {
        self.html == other.html && self.tokens == other.tokens && self.fragments == other.fragments
    }
}

impl Eq for Rendered {}

impl Rendered {
    /// Tokenizes `html` and splits it into fragments.
    pub fn new(html: String) -> Self {
        let html = escape_reference_marks(html);
        // Rendered HTML averages well over eight bytes a token; one allocation up front
        // instead of a string of regrowths.
        let mut tokens = Vec::with_capacity(html.len() / 8 + 4);
        tokenize(&html, false, &mut tokens);
        let (fragments, duplicate_ids) = split(&html, &tokens);
        Rendered {
            html,
            tokens,
            fragments,
            duplicate_ids,
        }
    }

    /// The rendered HTML.
    pub fn html(&self) -> &str {
        &self.html
    }

    /// The number of fragments, the root included.
    pub fn fragment_count(&self) -> usize {
        self.fragments.len()
    }

    /// The key of a fragment (`""` for the root).
    pub(crate) fn key(&self, fragment: &Fragment) -> &str {
        &self.html[fragment.key.0 as usize..fragment.key.1 as usize]
    }
}
