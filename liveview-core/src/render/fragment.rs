//! A render split into fragments at `id`-bearing elements (protocol §4.2).
//!
//! The process keeps the previous [`Rendered`] of its view so the next render can be
//! diffed against it. Tokens are byte ranges into the one rendered `String`, so a render
//! of any size costs one string plus twelve bytes per token.

use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};

use rustc_hash::FxHashSet;

use super::token::{
    is_space, opens_raw_text, step, tag_name, tokenize, Token, TokenKind, LOOKAHEAD,
};

/// Elements without an end tag: a fragment on one of them is a single token.
const VOID: [&[u8]; 13] = [
    b"area", b"base", b"br", b"col", b"embed", b"hr", b"img", b"input", b"link", b"meta",
    b"source", b"track", b"wbr",
];

/// One fragment: an element with an `id` (or the root), as a range of the render's tokens.
///
/// A fragment's tokens are contiguous in document order, and so are each child's, nested
/// inside; the fragment's *own* tokens are its range with each child's range replaced by
/// one [`TokenKind::Ref`] token (see [`Rendered::own_tokens`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragment {
    /// Byte range of the key (the `id` attribute's value) in the source; empty for the root.
    pub(crate) key: (u32, u32),
    /// Token range `[start, end)` in [`Rendered::tokens`].
    pub(crate) start: u32,
    pub(crate) end: u32,
}

impl Fragment {
    /// The same fragment after `tokens` tokens and `bytes` bytes were added before it
    /// (removed, when negative).
    fn moved(&self, tokens: i64, bytes: i64) -> Fragment {
        Fragment {
            key: (offset(self.key.0, bytes), offset(self.key.1, bytes)),
            start: offset(self.start, tokens),
            end: offset(self.end, tokens),
        }
    }
}

/// `at` moved by `by` (a render's indices and offsets fit in `u32`).
fn offset(at: u32, by: i64) -> u32 {
    (at as i64 + by) as u32
}

/// A rendered view: the HTML, its tokens in document order, and its fragments, root
/// first, in document order.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub(crate) html: String,
    pub(crate) tokens: Vec<Token>,
    pub(crate) fragments: Vec<Fragment>,
    /// Whether an `id` repeats, which makes the first of them a fragment and the rest
    /// inline: [`Rendered::next`] then never splits part of the render on its own.
    duplicate_ids: bool,
    /// Identifies this render's content for [`Rendered::delta_from`]; clones share it.
    id: u64,
    /// Set by [`Rendered::next`]: the render this one was made from and what changed.
    origin: Option<(u64, Delta)>,
}

/// What [`Rendered::next`] learned about a render's difference from its predecessor,
/// which spares the diff from comparing fragments it already knows are equal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Delta {
    /// The same bytes.
    Identical,
    /// The same fragments with the same keys at the same indices; only these fragments'
    /// own tokens may differ.
    Within(Vec<usize>),
    /// The fragments at indices `old` were replaced by those at `new` (matched by key);
    /// around them, only fragment `around` (the same index in both) may have changed its own
    /// tokens, and the rest are the same fragments, perhaps moved.
    Spliced {
        around: usize,
        old: Range<usize>,
        new: Range<usize>,
    },
}

/// Two renders are equal when their HTML, tokens and fragments are, however they were made.
impl PartialEq for Rendered {
    fn eq(&self, other: &Self) -> bool {
        self.html == other.html && self.tokens == other.tokens && self.fragments == other.fragments
    }
}

impl Eq for Rendered {}

fn fresh_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl Rendered {
    /// Tokenizes `html` and splits it into fragments.
    pub fn new(html: String) -> Self {
        let html = escape_reference_marks(html);
        // Rendered HTML averages well over eight bytes a token; one allocation up front
        // instead of a string of regrowths.
        let mut tokens = Vec::with_capacity(html.len() / 8 + 4);
        tokenize(&html, false, &mut tokens);
        let (fragments, duplicate_ids) = split(&html, &tokens);
        Rendered::from_parts(html, tokens, fragments, duplicate_ids, None)
    }

    /// A render with a fresh id; `origin` is what [`Rendered::next`] knows of it.
    fn from_parts(
        html: String,
        tokens: Vec<Token>,
        fragments: Vec<Fragment>,
        duplicate_ids: bool,
        origin: Option<(u64, Delta)>,
    ) -> Rendered {
        Rendered {
            html,
            tokens,
            fragments,
            duplicate_ids,
            id: fresh_id(),
            origin,
        }
    }

    /// The render that follows this one, made from its HTML: the same result as
    /// [`Rendered::new`], but only the bytes that changed are tokenized again.
    ///
    /// A view's renders usually differ in a few places (a number, a row), so the common
    /// prefix and suffix are found with a byte comparison and their tokens reused. When the
    /// changed tags keep their shape (text or attributes other than `id` changed), the
    /// fragments are kept as well; when tags were added or removed, only the whole elements
    /// the change is in are split again. Either way [`diff`](super::diff) then compares
    /// only the fragments the change is in.
    ///
    /// ```
    /// use liveview_core::render::{diff, Rendered};
    ///
    /// let before = Rendered::new("<ul><li id=\"a\">1</li><li id=\"b\">2</li></ul>".into());
    /// let after = before.next("<ul><li id=\"a\">1</li><li id=\"b\">3</li></ul>".into());
    /// assert_eq!(diff(&before, &after).to_json(), r#"{"b":[[1,1,"3"]]}"#);
    /// ```
    pub fn next(&self, html: String) -> Rendered {
        let (old, new) = (self.html.as_bytes(), html.as_bytes());
        let prefix = common_prefix(old, new);
        if prefix == old.len() && prefix == new.len() {
            return Rendered::from_parts(
                html,
                self.tokens.clone(),
                self.fragments.clone(),
                self.duplicate_ids,
                Some((self.id, Delta::Identical)),
            );
        }
        let suffix = common_suffix(old, new, old.len().min(new.len()) - prefix);

        // The first old token whose cut may depend on a changed byte: the one holding the
        // first change, or an earlier one that looks ahead past its end (text, or markup
        // left open at the end of the input); never a raw text token, whose cut depends on
        // the tag before it.
        let mut first = self.tokens.partition_point(|t| t.end as usize <= prefix);
        while first > 0 && {
            let t = &self.tokens[first - 1];
            (t.kind == TokenKind::Text && t.end as usize + LOOKAHEAD > prefix)
                || t.end as usize == old.len()
        } {
            first -= 1;
        }
        if self.is_raw_text(first) {
            first -= 1;
        }
        let start = self.tokens.get(first).map_or(0, |t| t.start as usize);

        // Tokenize the new HTML from there, a step at a time, until a step ends inside the
        // common suffix where an old token (not raw text) starts: from there on the old
        // tokens, shifted, are what tokenizing would give.
        let shift = new.len() as i64 - old.len() as i64;
        let suffix_from = new.len() - suffix;
        // Rendered HTML averages well over eight bytes a token.
        let mut middle = Vec::with_capacity((suffix_from.saturating_sub(start)) / 8 + 4);
        let (mut at, mut resume) = (start, first);
        let resume = loop {
            if at >= suffix_from {
                let old_at = (at as i64 - shift) as usize;
                resume += self.tokens[resume..].partition_point(|t| (t.start as usize) < old_at);
                let aligned = self
                    .tokens
                    .get(resume)
                    .map_or(old_at == old.len(), |t| t.start as usize == old_at);
                if aligned && !self.is_raw_text(resume) {
                    break resume;
                }
            }
            at = step(new, at, false, &mut middle);
        };

        // A `<#` among the new tokens needs escaping, which moves bytes: rare enough to
        // take the long way.
        if memchr::memmem::find(&new[start..at], b"<#").is_some() {
            return Rendered::new(html);
        }

        let moved = |t: &Token| Token {
            kind: t.kind,
            start: offset(t.start, shift),
            end: offset(t.end, shift),
        };
        let mut tokens = Vec::with_capacity(first + middle.len() + self.tokens.len() - resume);
        tokens.extend_from_slice(&self.tokens[..first]);
        tokens.extend_from_slice(&middle);
        tokens.extend(self.tokens[resume..].iter().map(moved));

        // The tokens that changed: re-tokenizing started early and ended late, so some at
        // either end are the same tokens as before.
        let same =
            |(a, b): (&Token, &Token)| a.kind == b.kind && a.text(&self.html) == b.text(&html);
        let replaced = &self.tokens[first..resume];
        let lead = replaced
            .iter()
            .zip(&middle)
            .take_while(|&p| same(p))
            .count();
        let trail = replaced[lead..]
            .iter()
            .rev()
            .zip(middle[lead..].iter().rev())
            .take_while(|&p| same(p))
            .count();
        let replaced = first + lead..resume - trail;
        let inserted = replaced.start..replaced.start + middle.len() - lead - trail;
        let (fragments, duplicate_ids, delta) = if let Some((fragments, changed)) =
            self.reshape(&html, &tokens, replaced.clone(), inserted.clone())
        {
            (fragments, self.duplicate_ids, Some(Delta::Within(changed)))
        } else if let Some((fragments, delta)) = self.resplit(&html, &tokens, replaced, inserted) {
            (fragments, false, Some(delta))
        } else {
            let (fragments, duplicate_ids) = split(&html, &tokens);
            (fragments, duplicate_ids, None)
        };
        let origin = delta.map(|delta| (self.id, delta));
        Rendered::from_parts(html, tokens, fragments, duplicate_ids, origin)
    }

    /// The fragments of the render made by [`Rendered::next`] when the change added,
    /// removed or reshaped tags, splitting again only the elements the change is in; `None`
    /// when that cannot be known to agree with splitting the whole render.
    ///
    /// Old tokens `replaced` became `inserted` in `tokens`. The change is widened to the
    /// whole fragments it cuts through; both sides of it must then be whole elements (every
    /// end tag in them closes an element opened in them), so splitting either side leaves
    /// the elements around it as it found them. With no repeated ids anywhere, and none of
    /// the new ids used outside, the ids outside mean what they meant.
    fn resplit(
        &self,
        html: &str,
        tokens: &[Token],
        replaced: Range<usize>,
        inserted: Range<usize>,
    ) -> Option<(Vec<Fragment>, Delta)> {
        if self.duplicate_ids {
            return None;
        }
        let grown = inserted.len() as i64 - replaced.len() as i64;
        let shift = html.len() as i64 - self.html.len() as i64;
        let (a, b) = (replaced.start as u32, replaced.end as u32);
        let (mut from, mut to) = (a, b);
        for f in self.fragments[1..].iter().take_while(|f| f.start < b) {
            let around = f.start < a && f.end > b;
            if f.end > a && !around {
                from = from.min(f.start);
                to = to.max(f.end);
            }
        }
        let new_to = offset(to, grown);
        whole_elements(&self.html, &self.tokens, from..to)?;
        let new_side = whole_elements(html, tokens, from..new_to)?;

        // The old fragments the widened change replaces, by index.
        let below = |at: u32| 1 + self.fragments[1..].partition_point(|f| f.start < at);
        let (old_lo, old_hi) = (below(from), below(to));
        let old_keys: FxHashSet<&str> = self.fragments[old_lo..old_hi]
            .iter()
            .map(|f| self.key(f))
            .collect();
        let outside = || {
            self.fragments[1..old_lo]
                .iter()
                .chain(&self.fragments[old_hi..])
                .map(|f| self.key(f))
        };
        let mut outside_keys: Option<FxHashSet<&str>> = None;
        let mut new_keys = 0;
        for f in &new_side {
            let key = &html[f.key.0 as usize..f.key.1 as usize];
            if old_keys.contains(key) {
                continue;
            }
            // A few new keys are looked for one by one; more are worth a set.
            new_keys += 1;
            let used = if new_keys <= 4 {
                outside().any(|k| k == key)
            } else {
                outside_keys
                    .get_or_insert_with(|| outside().collect())
                    .contains(key)
            };
            if used {
                return None;
            }
        }

        let mut fragments = Vec::with_capacity(self.fragments.len() + new_side.len());
        fragments.push(Fragment {
            key: (0, 0),
            start: 0,
            end: tokens.len() as u32,
        });
        let mut around = 0;
        for (index, f) in self.fragments.iter().enumerate().take(old_lo).skip(1) {
            if f.end <= from {
                fragments.push(f.clone());
            } else {
                // Around the change: whole elements on both sides mean it ends after it.
                if f.end < to {
                    return None;
                }
                around = index;
                fragments.push(Fragment {
                    end: offset(f.end, grown),
                    ..f.clone()
                });
            }
        }
        let new_lo = fragments.len();
        fragments.extend(new_side);
        let new_hi = fragments.len();
        fragments.extend(
            self.fragments[old_hi..]
                .iter()
                .map(|f| f.moved(grown, shift)),
        );
        let delta = Delta::Spliced {
            around,
            old: old_lo..old_hi,
            new: new_lo..new_hi,
        };
        Some((fragments, delta))
    }

    /// The fragments of the render made by [`Rendered::next`], carried over from this one,
    /// and the fragments whose own tokens may have changed; `None` when the change could
    /// have moved fragment boundaries, and the fragments must be split again.
    ///
    /// Old tokens `replaced` became `inserted` in `tokens` (the new render's tokens, in
    /// `html`). Splitting reads only tags, and only their
    /// [`TagShape`]; when the replaced and the new tags have the same shapes in the same
    /// order, every fragment keeps its shape. Its start tag is the same tag, now perhaps
    /// elsewhere, and so is the tag its end is placed by.
    fn reshape(
        &self,
        html: &str,
        tokens: &[Token],
        replaced: Range<usize>,
        inserted: Range<usize>,
    ) -> Option<(Vec<Fragment>, Vec<usize>)> {
        let (first, resume) = (replaced.start, replaced.end);
        let (replaced, middle) = (&self.tokens[replaced], &tokens[inserted]);
        let is_tag = |t: &&Token| t.kind == TokenKind::Tag;
        // Token indices (old, new) of the tags in the change, paired.
        let mut tags = Vec::new();
        let mut new_tags = middle.iter().enumerate().filter(|(_, t)| is_tag(t));
        for (i, old) in replaced.iter().enumerate().filter(|(_, t)| is_tag(t)) {
            let (j, new) = new_tags.next()?;
            // Most tags in a change are the same bytes as before; only others are parsed.
            if old.text(&self.html) != new.text(html)
                && !TagShape::of(&self.html, old).same_as(
                    &self.html,
                    &TagShape::of(html, new),
                    html,
                )
            {
                return None;
            }
            tags.push(((first + i) as u32, (first + j) as u32));
        }
        if new_tags.next().is_some() {
            return None;
        }

        let grown = middle.len() as i64 - replaced.len() as i64;
        let shift = html.len() as i64 - self.html.len() as i64;
        let (first_u, resume_u) = (first as u32, resume as u32);
        // Where old tag `t` is in the new tokens.
        let tag_moved_to = |t: u32| -> u32 {
            if t < first_u {
                t
            } else if t >= resume_u {
                offset(t, grown)
            } else {
                tags[tags.partition_point(|&(old, _)| old < t)].1
            }
        };
        let old_is_tag = |i: u32| {
            self.tokens
                .get(i as usize)
                .is_some_and(|t| t.kind == TokenKind::Tag)
        };
        // Where a fragment's end moves: it sits just before a tag (closed by an ancestor's
        // end tag) or the end of the render (never closed), or just after a tag (its own end
        // tag). When the two candidates disagree (text was inserted between), which one
        // placed it is not known here.
        let end_moved_to = |end: u32| -> Option<u32> {
            if end < first_u {
                return Some(end);
            }
            if end > resume_u {
                return Some(offset(end, grown));
            }
            let before = (end > 0 && old_is_tag(end - 1)).then(|| tag_moved_to(end - 1) + 1);
            let at = if end as usize == self.tokens.len() {
                Some(tokens.len() as u32)
            } else {
                old_is_tag(end).then(|| tag_moved_to(end))
            };
            match (before, at) {
                (Some(a), Some(b)) if a != b => None,
                (a, b) => a.or(b),
            }
        };

        let mut fragments = Vec::with_capacity(self.fragments.len());
        fragments.push(Fragment {
            key: (0, 0),
            start: 0,
            end: tokens.len() as u32,
        });
        // The innermost fragment around the whole change, and those that overlap it.
        let mut innermost = 0;
        let mut changed = Vec::new();
        let middle_end = (first + middle.len()) as u32;
        for (index, f) in self.fragments.iter().enumerate().skip(1) {
            // Most fragments lie wholly before or after the change.
            if f.end < first_u {
                fragments.push(f.clone());
                continue;
            }
            if f.start > resume_u {
                fragments.push(f.moved(grown, shift));
                continue;
            }
            let start = tag_moved_to(f.start);
            let key = if f.start < first_u {
                f.key
            } else if f.start >= resume_u {
                f.moved(grown, shift).key
            } else {
                // The same id, perhaps elsewhere in its tag.
                let tag = tokens[start as usize];
                let (s, e) = id_value(tag.text(html).as_bytes())?;
                (tag.start + s as u32, tag.start + e as u32)
            };
            let end = end_moved_to(f.end)?;
            fragments.push(Fragment { key, start, end });
            // Around the change on both sides (a fragment that ends where text is inserted
            // is not around it), or overlapping it on either side.
            if f.start < first_u && f.end >= resume_u && end >= middle_end {
                innermost = index;
            } else if (f.start < resume_u && f.end > first_u)
                || (start < middle_end && end > first_u)
            {
                changed.push(index);
            }
        }
        changed.insert(0, innermost);
        changed.sort_unstable();
        Some((fragments, changed))
    }

    /// What changed since `old`, when this render was made from it by [`Rendered::next`].
    pub(crate) fn delta_from(&self, old: &Rendered) -> Option<&Delta> {
        self.origin
            .as_ref()
            .filter(|(from, _)| *from == old.id)
            .map(|(_, delta)| delta)
    }

    /// Whether token `index` is the raw text after a `<script>`, `<style>`, `<textarea>`
    /// or `<title>` tag.
    fn is_raw_text(&self, index: usize) -> bool {
        index > 0
            && self
                .tokens
                .get(index)
                .is_some_and(|t| t.kind == TokenKind::Text)
            && self.tokens[index - 1].kind == TokenKind::Tag
            && opens_raw_text(self.tokens[index - 1].text(&self.html))
    }

    /// The rendered HTML.
    pub fn html(&self) -> &str {
        &self.html
    }

    /// The key of a fragment (`""` for the root).
    pub(crate) fn key(&self, fragment: &Fragment) -> &str {
        &self.html[fragment.key.0 as usize..fragment.key.1 as usize]
    }

    /// The own tokens of fragment `index`: its tokens with each child as a reference
    /// token whose range is the child's key.
    pub(crate) fn own_tokens(&self, index: usize) -> OwnTokens<'_> {
        let fragment = &self.fragments[index];
        OwnTokens {
            rendered: self,
            next: fragment.start,
            end: fragment.end,
            next_child: index + 1,
        }
    }

    /// The bytes a fragment covers, children included.
    fn span(&self, fragment: &Fragment) -> &str {
        if fragment.start == fragment.end {
            return "";
        }
        let first = self.tokens[fragment.start as usize].start as usize;
        let last = self.tokens[fragment.end as usize - 1].end as usize;
        &self.html[first..last]
    }

    /// The fragments nested in fragment `index`, at any depth.
    fn descendants(&self, index: usize) -> &[Fragment] {
        let end = self.fragments[index].end;
        let rest = &self.fragments[index + 1..];
        let count = rest.iter().take_while(|f| f.start < end).count();
        &rest[..count]
    }

    /// True when fragment `a` of `self` and fragment `b` of `other` have the same own
    /// tokens. Identical bytes with identically placed children settle it with one
    /// comparison; otherwise the own tokens are compared one by one.
    pub(crate) fn same_own_tokens(&self, a: usize, other: &Rendered, b: usize) -> bool {
        let (fa, fb) = (&self.fragments[a], &other.fragments[b]);
        if self.span(fa) == other.span(fb) {
            let (da, db) = (self.descendants(a), other.descendants(b));
            // Equal bytes tokenize alike; only fragment boundaries (which depend on ids
            // earlier in the page) could differ.
            if da.len() == db.len()
                && da.iter().zip(db).all(|(x, y)| {
                    x.start - fa.start == y.start - fb.start && x.end - fa.start == y.end - fb.start
                })
            {
                return true;
            }
        }
        let mut xs = self.own_tokens(a);
        let mut ys = other.own_tokens(b);
        loop {
            match (xs.next(), ys.next()) {
                (None, None) => return true,
                (Some(x), Some(y))
                    if x.kind == y.kind && x.text(&self.html) == y.text(&other.html) => {}
                _ => return false,
            }
        }
    }

    /// The number of fragments, the root included.
    pub fn fragment_count(&self) -> usize {
        self.fragments.len()
    }
}

/// Iterator over a fragment's own tokens; see [`Rendered::own_tokens`].
pub(crate) struct OwnTokens<'a> {
    rendered: &'a Rendered,
    next: u32,
    end: u32,
    /// The first fragment (in document order) that may start at or after `next`.
    next_child: usize,
}

impl Iterator for OwnTokens<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        if self.next >= self.end {
            return None;
        }
        let fragments = &self.rendered.fragments;
        if let Some(child) = fragments
            .get(self.next_child)
            .filter(|c| c.start == self.next)
        {
            self.next = child.end;
            // Step over the child's own descendants too.
            self.next_child += 1;
            while fragments
                .get(self.next_child)
                .is_some_and(|f| f.start < child.end)
            {
                self.next_child += 1;
            }
            return Some(Token {
                kind: TokenKind::Ref,
                start: child.key.0,
                end: child.key.1,
            });
        }
        let token = self.rendered.tokens[self.next as usize];
        self.next += 1;
        Some(token)
    }
}

/// Bytes compared at once when looking for the common prefix and suffix.
const CHUNK: usize = 32;

/// The `CHUNK` bytes at `at`: a fixed-size array compares in a few vector instructions,
/// where a slice of the same length would cost a call to `memcmp`.
fn chunk(bytes: &[u8], at: usize) -> &[u8; CHUNK] {
    bytes[at..at + CHUNK]
        .try_into()
        .expect("a CHUNK-long slice")
}

/// The length of the longest common prefix of `a` and `b`.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + CHUNK <= n && chunk(a, i) == chunk(b, i) {
        i += CHUNK;
    }
    i + a[i..n]
        .iter()
        .zip(&b[i..n])
        .take_while(|(x, y)| x == y)
        .count()
}

/// The length of the longest common suffix of `a` and `b`, at most `limit`.
fn common_suffix(a: &[u8], b: &[u8], limit: usize) -> usize {
    let (a, b) = (&a[a.len() - limit..], &b[b.len() - limit..]);
    let mut n = 0;
    while n + CHUNK <= limit && chunk(a, limit - n - CHUNK) == chunk(b, limit - n - CHUNK) {
        n += CHUNK;
    }
    n + a[..limit - n]
        .iter()
        .rev()
        .zip(b[..limit - n].iter().rev())
        .take_while(|(x, y)| x == y)
        .count()
}

/// Rewrites a literal `<#` in text so it can never read as a reference on the wire
/// (protocol §4.3): `&lt;#` in words and RCDATA, a leading space in script and style.
fn escape_reference_marks(html: String) -> String {
    static MARK: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"<#"));
    if MARK.find(html.as_bytes()).is_none() {
        return html;
    }
    let mut tokens = Vec::new();
    tokenize(&html, false, &mut tokens);
    let mut out = String::with_capacity(html.len() + 8);
    let mut after_script = false;
    for token in &tokens {
        let text = token.text(&html);
        match token.kind {
            TokenKind::Text if after_script => {
                if text.starts_with("<#") {
                    out.push(' ');
                }
                out.push_str(text);
            }
            TokenKind::Text => out.push_str(&text.replace("<#", "&lt;#")),
            _ => out.push_str(text),
        }
        let b = text.as_bytes();
        after_script =
            token.kind == TokenKind::Tag && b.get(1).is_some_and(u8::is_ascii_alphabetic) && {
                let (s, e) = tag_name(b, 1);
                b[s..e].eq_ignore_ascii_case(b"script") || b[s..e].eq_ignore_ascii_case(b"style")
            };
    }
    out
}

/// What splitting into fragments reads from a tag token.
#[derive(Debug, Clone, Copy)]
enum TagShape {
    /// A start tag: its name, whether it has no content (a void element or `/>`), and the
    /// byte range of its `id` when that can be a key.
    Open {
        name: (usize, usize),
        self_contained: bool,
        id: Option<(usize, usize)>,
    },
    /// An end tag and its name.
    Close { name: (usize, usize) },
    /// A doctype, processing instruction or anything else splitting skips.
    Other,
}

impl TagShape {
    /// The shape of `token`, a tag cut from `html`; byte ranges are into `html`.
    fn of(html: &str, token: &Token) -> TagShape {
        let b = html.as_bytes();
        let start = token.start as usize;
        let text = &b[start..token.end as usize];
        if text.get(1).is_some_and(|c| c.is_ascii_alphabetic()) {
            let name = tag_name(text, 1);
            let name = (start + name.0, start + name.1);
            let self_contained = VOID
                .iter()
                .any(|v| v.eq_ignore_ascii_case(&b[name.0..name.1]))
                || text.ends_with(b"/>");
            // A key must fit in `<#key>`; maud escapes `<` and `>`, hand-written markup may not.
            let id = id_value(text)
                .map(|(s, e)| (start + s, start + e))
                .filter(|&(s, e)| !b[s..e].iter().any(|&c| c == b'<' || c == b'>'));
            TagShape::Open {
                name,
                self_contained,
                id,
            }
        } else if text.get(1) == Some(&b'/') {
            let name = tag_name(text, 2);
            TagShape::Close {
                name: (start + name.0, start + name.1),
            }
        } else {
            TagShape::Other
        }
    }

    /// Whether splitting treats this tag of `html` and `other` of `other_html` alike.
    fn same_as(&self, html: &str, other: &TagShape, other_html: &str) -> bool {
        let text = |range: (usize, usize)| &html[range.0..range.1];
        let other_text = |range: (usize, usize)| &other_html[range.0..range.1];
        match (*self, *other) {
            (
                TagShape::Open {
                    name,
                    self_contained,
                    id,
                },
                TagShape::Open {
                    name: other_name,
                    self_contained: other_self_contained,
                    id: other_id,
                },
            ) => {
                text(name) == other_text(other_name)
                    && self_contained == other_self_contained
                    && id.map(text) == other_id.map(other_text)
            }
            (TagShape::Close { name }, TagShape::Close { name: other_name }) => {
                text(name) == other_text(other_name)
            }
            (TagShape::Other, TagShape::Other) => true,
            _ => false,
        }
    }
}

/// An element still open while splitting.
struct Open {
    name: (usize, usize),
    /// The fragment this element started, if it did.
    fragment: Option<usize>,
}

/// Splitting's state as it walks the tags in document order: the fragments found so far,
/// the elements still open, and the ids already used.
struct Splitter<'h> {
    html: &'h str,
    fragments: Vec<Fragment>,
    open: Vec<Open>,
    seen: FxHashSet<&'h str>,
    duplicate_ids: bool,
}

impl<'h> Splitter<'h> {
    fn new(html: &'h str, fragments: Vec<Fragment>) -> Self {
        Splitter {
            html,
            fragments,
            open: Vec::new(),
            seen: FxHashSet::default(),
            duplicate_ids: false,
        }
    }

    /// Takes tag token `i`. Returns false for an end tag that matches no open element
    /// (which splitting ignores).
    fn tag(&mut self, i: u32, token: &Token) -> bool {
        let (html, b) = (self.html, self.html.as_bytes());
        match TagShape::of(html, token) {
            TagShape::Open {
                name,
                self_contained,
                id,
            } => {
                let id = id.filter(|&(s, e)| {
                    let new = self.seen.insert(&html[s..e]);
                    self.duplicate_ids |= !new;
                    new
                });
                let fragment = id.map(|(s, e)| {
                    self.fragments.push(Fragment {
                        key: (s as u32, e as u32),
                        start: i,
                        end: i + 1,
                    });
                    self.fragments.len() - 1
                });
                if !self_contained {
                    self.open.push(Open { name, fragment });
                }
                true
            }
            TagShape::Close { name } => {
                let name = &b[name.0..name.1];
                let Some(matched) = self
                    .open
                    .iter()
                    .rposition(|o| b[o.name.0..o.name.1].eq_ignore_ascii_case(name))
                else {
                    return false;
                };
                // Anything opened after the match closes implicitly, before this tag.
                for o in self.open.drain(matched + 1..) {
                    if let Some(f) = o.fragment {
                        self.fragments[f].end = i;
                    }
                }
                if let Some(f) = self.open.pop().and_then(|o| o.fragment) {
                    self.fragments[f].end = i + 1;
                }
                true
            }
            TagShape::Other => true,
        }
    }
}

/// Splits a render's tokens into fragments, root first; also says whether an id repeats.
fn split(html: &str, tokens: &[Token]) -> (Vec<Fragment>, bool) {
    let n = tokens.len() as u32;
    let root = Fragment {
        key: (0, 0),
        start: 0,
        end: n,
    };
    let mut splitter = Splitter::new(html, vec![root]);
    for (i, token) in tokens.iter().enumerate() {
        if token.kind == TokenKind::Tag {
            splitter.tag(i as u32, token);
        }
    }
    // Elements never closed end with the render.
    for o in splitter.open {
        if let Some(f) = o.fragment {
            splitter.fragments[f].end = n;
        }
    }
    (splitter.fragments, splitter.duplicate_ids)
}

/// The fragments of tokens `range`, when they are whole elements: every end tag closes an
/// element opened in the range, every element opened is closed in it, and no id repeats.
fn whole_elements(html: &str, tokens: &[Token], range: Range<u32>) -> Option<Vec<Fragment>> {
    let mut splitter = Splitter::new(html, Vec::new());
    for i in range {
        let token = &tokens[i as usize];
        if token.kind == TokenKind::Tag && !splitter.tag(i, token) {
            return None;
        }
    }
    (splitter.open.is_empty() && !splitter.duplicate_ids).then_some(splitter.fragments)
}

/// The byte range of a non-empty `id` attribute's value inside a start tag.
pub(crate) fn id_value(tag: &[u8]) -> Option<(usize, usize)> {
    let mut i = tag_name(tag, 1).1;
    let n = tag.len();
    loop {
        while i < n && (is_space(tag[i]) || tag[i] == b'/') {
            i += 1;
        }
        if i >= n || tag[i] == b'>' {
            return None;
        }
        let name_start = i;
        while i < n && !is_space(tag[i]) && !matches!(tag[i], b'=' | b'>' | b'/') {
            i += 1;
        }
        let name = &tag[name_start..i];
        while i < n && is_space(tag[i]) {
            i += 1;
        }
        let mut value = (i, i);
        if i < n && tag[i] == b'=' {
            i += 1;
            while i < n && is_space(tag[i]) {
                i += 1;
            }
            if i < n && (tag[i] == b'"' || tag[i] == b'\'') {
                let quote = tag[i];
                let end = memchr::memchr(quote, &tag[i + 1..]).map_or(n, |p| i + 1 + p);
                value = (i + 1, end);
                i = (end + 1).min(n);
            } else {
                let start = i;
                while i < n && !is_space(tag[i]) && tag[i] != b'>' {
                    i += 1;
                }
                value = (start, i);
            }
        }
        if name.eq_ignore_ascii_case(b"id") {
            return (value.1 > value.0).then_some(value);
        }
        if i == name_start {
            // A byte that is neither a name nor a separator: step over it.
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(html: &str) -> Vec<(String, Vec<String>)> {
        let r = Rendered::new(html.to_string());
        (0..r.fragments.len())
            .map(|i| {
                let f = &r.fragments[i];
                let toks = r
                    .own_tokens(i)
                    .map(|t| match t.kind {
                        TokenKind::Ref => format!("<#{}>", t.text(&r.html)),
                        _ => t.text(&r.html).to_string(),
                    })
                    .collect();
                (r.key(f).to_string(), toks)
            })
            .collect()
    }

    #[test]
    fn elements_with_ids_become_child_fragments() {
        let s = shape(r#"<ul id="list"><li id="a">A</li><li>B</li></ul><p>x</p>"#);
        assert_eq!(
            s[0],
            (
                "".into(),
                vec!["<#list>".into(), "<p>".into(), "x".into(), "</p>".into()]
            )
        );
        assert_eq!(s[1].0, "list");
        assert_eq!(
            s[1].1,
            [r#"<ul id="list">"#, "<#a>", "<li>", "B", "</li>", "</ul>"]
        );
        assert_eq!(s[2].1, [r#"<li id="a">"#, "A", "</li>"]);
    }

    #[test]
    fn void_and_self_closing_elements_are_one_token_fragments() {
        let s = shape(r#"<input id="q" value="x"><br id=b/><div id="d"/>t"#);
        // An unquoted value runs to whitespace or `>`, so the id here is `b/`.
        assert_eq!(s[0].1, ["<#q>", "<#b/>", "<#d>", "t"]);
        assert_eq!(s.len(), 4);
    }

    #[test]
    fn duplicate_ids_stay_inline_and_stray_end_tags_are_kept() {
        let s = shape(r#"<i id="x">1</i><i id="x">2</i></b>"#);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].1, ["<#x>", r#"<i id="x">"#, "2", "</i>", "</b>"]);
    }

    #[test]
    fn an_unclosed_child_closes_with_its_parent() {
        let s = shape(r#"<div id="p"><span id="c">x</div>y"#);
        assert_eq!(s[1].1, [r#"<div id="p">"#, "<#c>", "</div>"]);
        assert_eq!(s[2].1, [r#"<span id="c">"#, "x"]);
        assert_eq!(s[0].1, ["<#p>", "y"]);
    }

    const ROWS: &str = r#"<table><tbody id="rows"><tr id="r1"><td>Ada</td></tr><tr id="r2"><td>Bob</td></tr></tbody></table>"#;

    #[test]
    fn a_text_change_keeps_the_fragments_and_names_the_one_it_is_in() {
        let before = Rendered::new(ROWS.to_string());
        let after = before.next(ROWS.replace("Bob", "Bobby Tables"));
        assert_eq!(after, Rendered::new(ROWS.replace("Bob", "Bobby Tables")));
        assert_eq!(after.delta_from(&before), Some(&Delta::Within(vec![3])));
        assert_eq!(after.key(&after.fragments[3]), "r2");
        // Only the render it was made from: a clone of it shares its content and its id.
        assert_eq!(
            after.delta_from(&before.clone()),
            Some(&Delta::Within(vec![3]))
        );
        assert_eq!(after.delta_from(&Rendered::new(ROWS.to_string())), None);
    }

    #[test]
    fn a_change_of_tags_splits_again_only_the_elements_it_is_in() {
        let before = Rendered::new(ROWS.to_string());
        let html = ROWS.replace(r#"<tr id="r2"><td>Bob</td></tr>"#, "");
        let after = before.next(html.clone());
        assert_eq!(after, Rendered::new(html));
        assert_eq!(after.fragment_count(), 3);
        // Only the removed row is looked at: the list around it lost a reference.
        assert_eq!(
            after.delta_from(&before),
            Some(&Delta::Spliced {
                around: 1,
                old: 3..4,
                new: 3..3
            })
        );
        // With an id used twice, what a removal means for the other use is not local.
        let twice = format!("{ROWS}<p id=\"r1\"></p>");
        let before = Rendered::new(twice.clone());
        let after = before.next(twice.replace(r#"<tr id="r2"><td>Bob</td></tr>"#, ""));
        assert_eq!(after.delta_from(&before), None);
    }

    #[test]
    fn tags_that_change_only_in_attributes_keep_the_fragments() {
        let before = Rendered::new(ROWS.to_string());
        let html = ROWS
            .replace(r#"<tr id="r2">"#, r#"<tr class="selected" id="r2">"#)
            .replace("Bob", "Robert")
            .replace("Ada", "Ada Lovelace");
        let after = before.next(html.clone());
        assert_eq!(after, Rendered::new(html));
        // Both rows changed their own tokens; the fragments around them did not.
        assert_eq!(
            after.delta_from(&before),
            Some(&Delta::Within(vec![1, 2, 3]))
        );
        assert_eq!(after.key(&after.fragments[3]), "r2");
    }

    #[test]
    fn the_same_bytes_are_known_identical() {
        let before = Rendered::new(ROWS.to_string());
        let after = before.next(ROWS.to_string());
        assert_eq!(after, before);
        assert_eq!(after.delta_from(&before), Some(&Delta::Identical));
    }

    #[test]
    fn a_change_next_to_raw_text_retokenizes_from_its_tag() {
        let html = "<p>a</p><textarea>x y</textarea><p>b</p>";
        let before = Rendered::new(html.to_string());
        for edited in [
            "<p>a</p><textarea>x z</textarea><p>b</p>",
            "<p>a</p><textarea>x y</textareb><p>b</p>",
            "<p>a</p><textareb>x y</textarea><p>b</p>",
            "<p>a</p><textarea>x y <#k></textarea><p>b</p>",
        ] {
            assert_eq!(
                before.next(edited.to_string()),
                Rendered::new(edited.to_string())
            );
        }
    }

    #[test]
    fn id_is_found_among_other_attributes_only_as_a_whole_name() {
        assert_eq!(id_value(br#"<a data-id="no" id='yes'>"#), Some((20, 23)));
        assert_eq!(id_value(br#"<a idx="no">"#), None);
        assert_eq!(id_value(br#"<a id="">"#), None);
        assert_eq!(id_value(b"<a id=bare>"), Some((6, 10)));
    }
}
