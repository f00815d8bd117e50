//! The incremental path: [`Rendered::following`] makes the render that follows another
//! from its HTML, the same render [`Rendered::new`] would make, re-tokenizing only the
//! bytes that changed, and records what changed in a [`Delta`] for the diff.
//!
//! A view's renders usually differ in a few places (a number, a row). The steps:
//!
//! 1. **Same bytes?** Find the common byte prefix and suffix of the old and new HTML
//!    (32-byte chunks compared as arrays). When the two are equal, the tokens and
//!    fragments are reused as they are: [`Case::Identical`].
//! 2. **Where to start** ([`Rendered::first_to_retokenize`]): the first old token whose
//!    cut may depend on a changed byte. That is the one holding the first change, or an
//!    earlier one that looks ahead past its end (a word looks two bytes ahead, raw text up
//!    to ten, markup left open at the end of the input to the end), but never raw text,
//!    whose cut depends on the tag before it.
//! 3. **Re-tokenize** ([`Rendered::retokenize`]) the new HTML from there, one tokenizer
//!    step at a time, until a step ends inside the common suffix exactly where an old
//!    token (not raw text) starts: from there on the old tokens, shifted by the change in
//!    length, are what tokenizing would give.
//! 4. **Escape?** A `<#` in the re-tokenized bytes must be escaped, which moves bytes:
//!    rare enough to make the render from scratch with [`Rendered::new`]
//!    ([`Case::Unknown`]).
//! 5. **Splice the tokens:** the old tokens before the change, the new ones, and the old
//!    ones after it, shifted.
//! 6. **Trim** ([`Rendered::token_change`]): re-tokenizing started early and ended late,
//!    so some tokens at either end came out the same as before. Without them, the old
//!    tokens `replaced` became the new tokens `inserted`: a [`TokenChange`], which also
//!    holds how far the tokens (`grown`) and bytes (`shift`) after the change moved.
//! 7. **Fragments,** by the first of three cases that applies:
//!    1. The changed tags keep their shapes (text changed, or attributes other than
//!       `id`): every fragment is kept, perhaps moved
//!       ([`Rendered::keep_fragments_if_same_shapes`], [`Case::SameFragments`]).
//!    2. Tags were added or removed inside whole elements: only those elements are split
//!       again ([`Rendered::resplit_changed_elements`], [`Case::Spliced`]).
//!    3. Otherwise (a repeated id, elements cut in half) the whole render is split again
//!       from the spliced tokens ([`split`], [`Case::Unknown`]).
//!
//! The property test `a_following_render_is_the_same_as_one_made_from_scratch` checks that
//! the result is the render [`Rendered::new`] makes.

use std::ops::Range;

use rustc_hash::FxHashSet;

use super::delta::{Case, Delta};
use super::fragment::{offset, Fragment};
use super::rendered::Rendered;
use super::split::{id_value, split, whole_elements, TagShape};
use super::token::{opens_raw_text, step, Token, TokenKind, LOOKAHEAD};

/// How the tokens changed (step 6): old tokens `replaced` became new tokens `inserted`,
/// and everything after moved.
struct TokenChange {
    /// The old tokens that changed.
    replaced: Range<usize>,
    /// The new tokens that replaced them; starts where `replaced` does.
    inserted: Range<usize>,
    /// How many tokens were added (removed, when negative): how far token indices after
    /// the change moved.
    grown: i64,
    /// How many bytes were added (removed, when negative): how far byte offsets after the
    /// change moved.
    shift: i64,
}

impl Rendered {
    /// The render that follows this one, made from its HTML: the same render as
    /// [`Rendered::new`] makes, but only the bytes that changed are tokenized again; and
    /// what changed, for [`diff`](super::diff()), which then compares only the fragments the
    /// change is in.
    ///
    /// ```
    /// use liveview_core::render::{diff, Rendered};
    ///
    /// let before = Rendered::new("<ul><li id=\"a\">1</li><li id=\"b\">2</li></ul>".into());
    /// let (after, delta) = before.following("<ul><li id=\"a\">1</li><li id=\"b\">3</li></ul>".into());
    /// assert_eq!(diff(&before, &after, &delta).to_json(), r#"{"b":[[1,1,"3"]]}"#);
    /// ```
    pub fn following(&self, html: String) -> (Rendered, Delta) {
        // The steps are listed at the top of this file.
        // 1. Same bytes?
        let (old, new) = (self.html.as_bytes(), html.as_bytes());
        let prefix = common_prefix(old, new);
        if prefix == old.len() && prefix == new.len() {
            let same = Rendered {
                html,
                tokens: self.tokens.clone(),
                fragments: self.fragments.clone(),
                duplicate_ids: self.duplicate_ids,
            };
            return (same, Delta(Case::Identical));
        }
        let suffix = common_suffix(old, new, old.len().min(new.len()) - prefix);
        let shift = new.len() as i64 - old.len() as i64;

        // 2. Where to start.
        let first = self.first_to_retokenize(prefix);
        let start = self.tokens.get(first).map_or(0, |t| t.start as usize);

        // 3. Re-tokenize.
        let (middle, at, resume) = self.retokenize(new, start, first, new.len() - suffix, shift);

        // 4. Escape?
        if memchr::memmem::find(&new[start..at], b"<#").is_some() {
            return (Rendered::new(html), Delta::unknown());
        }

        // 5. Splice the tokens.
        let moved = |t: &Token| Token {
            kind: t.kind,
            start: offset(t.start, shift),
            end: offset(t.end, shift),
        };
        let mut tokens = Vec::with_capacity(first + middle.len() + self.tokens.len() - resume);
        tokens.extend_from_slice(&self.tokens[..first]);
        tokens.extend_from_slice(&middle);
        tokens.extend(self.tokens[resume..].iter().map(moved));

        // 6. Trim.
        let change = self.token_change(&html, first..resume, &middle, shift);

        // 7. Fragments.
        let (fragments, duplicate_ids, case) = if let Some((fragments, changed)) =
            self.keep_fragments_if_same_shapes(&html, &tokens, &change)
        {
            (fragments, self.duplicate_ids, Case::SameFragments(changed))
        } else if let Some((fragments, case)) =
            self.resplit_changed_elements(&html, &tokens, &change)
        {
            (fragments, false, case)
        } else {
            let (fragments, duplicate_ids) = split(&html, &tokens);
            (fragments, duplicate_ids, Case::Unknown)
        };
        let rendered = Rendered {
            html,
            tokens,
            fragments,
            duplicate_ids,
        };
        (rendered, Delta(case))
    }

    /// Step 2: the index of the first old token whose cut may depend on a byte at or
    /// after `prefix`, the first changed one.
    fn first_to_retokenize(&self, prefix: usize) -> usize {
        let mut first = self.tokens.partition_point(|t| t.end as usize <= prefix);
        while first > 0 && {
            let t = &self.tokens[first - 1];
            (t.kind == TokenKind::Text && t.end as usize + LOOKAHEAD > prefix)
                || t.end as usize == self.html.len()
        } {
            first -= 1;
        }
        if self.is_raw_text(first) {
            first -= 1;
        }
        first
    }

    /// Step 3: tokenizes `new` (the new HTML, whose bytes from `suffix_from` on are the
    /// old ones shifted by `shift`) from byte `start`, where old token `first` started,
    /// until it meets an old token again. Returns the new tokens, the byte where they end,
    /// and the index of the old token they end at.
    fn retokenize(
        &self,
        new: &[u8],
        start: usize,
        first: usize,
        suffix_from: usize,
        shift: i64,
    ) -> (Vec<Token>, usize, usize) {
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
                    .map_or(old_at == self.html.len(), |t| t.start as usize == old_at);
                if aligned && !self.is_raw_text(resume) {
                    break resume;
                }
            }
            at = step(new, at, false, &mut middle);
        };
        (middle, at, resume)
    }

    /// Step 6: the change from this render's tokens `retokenized` to `middle`, the tokens
    /// that replaced them in the new render (of `html`), without the tokens at either end
    /// that are the same as before.
    fn token_change(
        &self,
        html: &str,
        retokenized: Range<usize>,
        middle: &[Token],
        shift: i64,
    ) -> TokenChange {
        let same =
            |(a, b): (&Token, &Token)| a.kind == b.kind && a.text(&self.html) == b.text(html);
        let old = &self.tokens[retokenized.clone()];
        let lead = old.iter().zip(middle).take_while(|&p| same(p)).count();
        let trail = old[lead..]
            .iter()
            .rev()
            .zip(middle[lead..].iter().rev())
            .take_while(|&p| same(p))
            .count();
        let replaced = retokenized.start + lead..retokenized.end - trail;
        let inserted = replaced.start..replaced.start + middle.len() - lead - trail;
        TokenChange {
            grown: inserted.len() as i64 - replaced.len() as i64,
            replaced,
            inserted,
            shift,
        }
    }

    /// Step 7, case 1 (the changed tags keep their shapes): the fragments of the new render
    /// (of `html`, with `tokens`), carried over from this one, and the indices of those
    /// whose own tokens may have changed; `None` when the change could have moved fragment
    /// boundaries.
    ///
    /// Splitting reads only tags, and only their [`TagShape`]; when the replaced and the
    /// inserted tags have the same shapes in the same order, every fragment keeps its
    /// shape. Its start tag is the same tag, now perhaps elsewhere, and so is the tag its
    /// end is placed by.
    fn keep_fragments_if_same_shapes(
        &self,
        html: &str,
        tokens: &[Token],
        change: &TokenChange,
    ) -> Option<(Vec<Fragment>, Vec<usize>)> {
        let (first, resume) = (change.replaced.start, change.replaced.end);
        let replaced = &self.tokens[change.replaced.clone()];
        let inserted = &tokens[change.inserted.clone()];
        let is_tag = |t: &&Token| t.kind == TokenKind::Tag;
        // Token indices (old, new) of the tags in the change, paired.
        let mut tags = Vec::new();
        let mut new_tags = inserted.iter().enumerate().filter(|(_, t)| is_tag(t));
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

        let (grown, shift) = (change.grown, change.shift);
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
        fragments.push(Fragment::root(tokens.len()));
        // The innermost fragment around the whole change, and those that overlap it.
        let mut innermost = 0;
        let mut changed = Vec::new();
        let inserted_end = change.inserted.end as u32;
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
            if f.start < first_u && f.end >= resume_u && end >= inserted_end {
                innermost = index;
            } else if (f.start < resume_u && f.end > first_u)
                || (start < inserted_end && end > first_u)
            {
                changed.push(index);
            }
        }
        changed.insert(0, innermost);
        changed.sort_unstable();
        Some((fragments, changed))
    }

    /// Step 7, case 2 (tags were added or removed inside whole elements): the fragments of
    /// the new render (of `html`, with `tokens`), splitting again only the elements the
    /// change is in, and the [`Case::Spliced`] that says which; `None` when that cannot be
    /// known to agree with splitting the whole render.
    ///
    /// The change is widened to the whole fragments it cuts through; both sides of it must
    /// then be whole elements (every end tag in them closes an element opened in them), so
    /// splitting either side leaves the elements around it as it found them. With no
    /// repeated ids anywhere, and none of the new ids used outside, the ids outside mean
    /// what they meant.
    fn resplit_changed_elements(
        &self,
        html: &str,
        tokens: &[Token],
        change: &TokenChange,
    ) -> Option<(Vec<Fragment>, Case)> {
        if self.duplicate_ids {
            return None;
        }
        let (grown, shift) = (change.grown, change.shift);
        let (a, b) = (change.replaced.start as u32, change.replaced.end as u32);
        let (mut from, mut to) = (a, b);
        for f in self.fragments[1..].iter().take_while(|f| f.start < b) {
            let around = f.start < a && f.end > b;
            if f.end > a && !around {
                from = from.min(f.start);
                to = to.max(f.end);
            }
        }
        // Tokens appended to the render: a fragment that ended with it ended either at its
        // own end tag or because it was never closed, and only then does it take in what
        // was appended. Which of the two is not known here.
        if from as usize == self.tokens.len() && self.fragments[1..].iter().any(|f| f.end == from) {
            return None;
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
        fragments.push(Fragment::root(tokens.len()));
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
        let case = Case::Spliced {
            around,
            old: old_lo..old_hi,
            new: new_lo..new_hi,
        };
        Some((fragments, case))
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

#[cfg(test)]
mod tests {
    use super::*;

    const ROWS: &str = r#"<table><tbody id="rows"><tr id="r1"><td>Ada</td></tr><tr id="r2"><td>Bob</td></tr></tbody></table>"#;

    #[test]
    fn a_text_change_keeps_the_fragments_and_names_the_one_it_is_in() {
        let before = Rendered::new(ROWS.to_string());
        let (after, delta) = before.following(ROWS.replace("Bob", "Bobby Tables"));
        assert_eq!(after, Rendered::new(ROWS.replace("Bob", "Bobby Tables")));
        assert_eq!(delta, Delta(Case::SameFragments(vec![3])));
        assert_eq!(after.key(&after.fragments[3]), "r2");
    }

    #[test]
    fn a_change_of_tags_splits_again_only_the_elements_it_is_in() {
        let before = Rendered::new(ROWS.to_string());
        let html = ROWS.replace(r#"<tr id="r2"><td>Bob</td></tr>"#, "");
        let (after, delta) = before.following(html.clone());
        assert_eq!(after, Rendered::new(html));
        assert_eq!(after.fragment_count(), 3);
        // Only the removed row is looked at: the list around it lost a reference.
        assert_eq!(
            delta,
            Delta(Case::Spliced {
                around: 1,
                old: 3..4,
                new: 3..3
            })
        );
        // With an id used twice, what a removal means for the other use is not local.
        let twice = format!("{ROWS}<p id=\"r1\"></p>");
        let before = Rendered::new(twice.clone());
        let (_, delta) = before.following(twice.replace(r#"<tr id="r2"><td>Bob</td></tr>"#, ""));
        assert_eq!(delta, Delta::unknown());
    }

    #[test]
    fn tags_that_change_only_in_attributes_keep_the_fragments() {
        let before = Rendered::new(ROWS.to_string());
        let html = ROWS
            .replace(r#"<tr id="r2">"#, r#"<tr class="selected" id="r2">"#)
            .replace("Bob", "Robert")
            .replace("Ada", "Ada Lovelace");
        let (after, delta) = before.following(html.clone());
        assert_eq!(after, Rendered::new(html));
        // Both rows changed their own tokens; the fragments around them did not.
        assert_eq!(delta, Delta(Case::SameFragments(vec![1, 2, 3])));
        assert_eq!(after.key(&after.fragments[3]), "r2");
    }

    #[test]
    fn the_same_bytes_are_known_identical() {
        let before = Rendered::new(ROWS.to_string());
        let (after, delta) = before.following(ROWS.to_string());
        assert_eq!(after, before);
        assert_eq!(delta, Delta(Case::Identical));
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
                before.following(edited.to_string()).0,
                Rendered::new(edited.to_string())
            );
        }
    }
}
