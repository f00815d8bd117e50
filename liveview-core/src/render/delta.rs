//! The change record: what [`Rendered::following`](super::Rendered::following) learned
//! about how a render differs from the one it was made from, handed to
//! [`diff`](super::diff()) so it compares only the fragments the change is in.

use std::ops::Range;

/// What [`Rendered::following`](super::Rendered::following) learned about how the new
/// render differs from the one it was made from: pass it to [`diff`](super::diff()) with
/// those two renders, and only the fragments the change is in are compared.
///
/// A `Delta` describes one pair of renders; given another pair, the diff would be wrong.
/// For two renders not made one from the other, use [`Delta::unknown`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delta(pub(crate) Case);

impl Delta {
    /// Nothing known about how the two renders differ: [`diff`](super::diff()) compares
    /// every fragment, matched by key.
    pub fn unknown() -> Delta {
        Delta(Case::Unknown)
    }
}

/// Which case [`Rendered::following`](super::Rendered::following) met, with the fragment
/// indices the diff has to look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Case {
    /// Nothing known: every fragment may have changed, been added or been removed.
    Unknown,
    /// The same bytes.
    Identical,
    /// The changed tags kept their shapes: the same fragments with the same keys at the
    /// same indices, and only these fragments' own tokens may differ.
    SameFragments(Vec<usize>),
    /// Tags were added or removed inside whole elements: the fragments at indices `old`
    /// were replaced by those at `new` (matched by key); around them, only fragment
    /// `around` (the same index in both) may have changed its own tokens, and the rest are
    /// the same fragments, perhaps moved.
    Spliced {
        around: usize,
        old: Range<usize>,
        new: Range<usize>,
    },
}
