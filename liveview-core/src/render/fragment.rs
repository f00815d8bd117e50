//! A fragment: an element with an `id` (or the root) as a range of a render's tokens.

/// One fragment: an element with an `id` (or the root), as a range of the render's tokens.
///
/// A fragment's tokens are contiguous in document order, and so are each child's, nested
/// inside; the fragment's *own* tokens are its range with each child's range replaced by
/// one [`TokenKind::Ref`](super::TokenKind::Ref) token (see
/// [`Rendered::own_tokens`](super::Rendered::own_tokens)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fragment {
    /// Byte range of the key (the `id` attribute's value) in the source; empty for the root.
    pub(crate) key: (u32, u32),
    /// Token range `[start, end)` in the render's tokens.
    pub(crate) start: u32,
    pub(crate) end: u32,
}

impl Fragment {
    /// The root fragment of a render of `tokens` tokens: all of them, with the key `""`.
    pub(crate) fn root(tokens: usize) -> Fragment {
        Fragment {
            key: (0, 0),
            start: 0,
            end: tokens as u32,
        }
    }

    /// The same fragment after `tokens` tokens and `bytes` bytes were added before it
    /// (removed, when negative).
    pub(crate) fn moved(&self, tokens: i64, bytes: i64) -> Fragment {
        Fragment {
            key: (offset(self.key.0, bytes), offset(self.key.1, bytes)),
            start: offset(self.start, tokens),
            end: offset(self.end, tokens),
        }
    }
}

/// `at` moved by `by` (a render's indices and offsets fit in `u32`).
pub(crate) fn offset(at: u32, by: i64) -> u32 {
    (at as i64 + by) as u32
}
