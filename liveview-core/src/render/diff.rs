//! Diffing two renders into a [`Diff`]: unchanged fragments are skipped, changed ones
//! travel as `similar` (Myers) ops or whole, whichever is shorter on the wire.

use std::ops::Range;
use std::time::{Duration, Instant};

use rustc_hash::FxHashMap;
use similar::algorithms::{myers, DiffHook};

use super::delta::{Case, Delta};
use super::diff_format::{json_str_len, Change, Diff, Insert, Op};
use super::rendered::Rendered;
use super::token::{opens_raw_text, TokenKind};

/// Myers is quadratic in the number of differences; past this budget per fragment
/// `similar` settles for a coarser (still correct) diff, and the whole fragment often wins.
const DIFF_DEADLINE: Duration = Duration::from_millis(5);

/// The diff that turns a client holding `old` into one holding `new`.
///
/// `delta` is what [`Rendered::following`] returned with `new` when it made `new` from
/// `old`; only the fragments it names are compared. For two renders not made one from the
/// other, pass [`Delta::unknown()`]: every fragment is then compared, matched by key.
pub fn diff(old: &Rendered, new: &Rendered, delta: &Delta) -> Diff {
    diff_within(old, new, delta, DIFF_DEADLINE)
}

/// [`diff`] with a time budget per changed fragment for Myers' search; past it the edit
/// script is coarser (bigger patches), never wrong. `diff` uses 5 ms.
pub fn diff_within(old: &Rendered, new: &Rendered, delta: &Delta, budget: Duration) -> Diff {
    let mut out = Diff::default();
    match &delta.0 {
        Case::Identical => {}
        Case::SameFragments(fragments) => {
            for &i in fragments {
                compare(&mut out, old, i, new, i, budget);
            }
        }
        Case::Spliced {
            around,
            old: old_range,
            new: new_range,
        } => {
            compare(&mut out, old, *around, new, *around, budget);
            by_key(
                &mut out,
                old,
                old_range.clone(),
                new,
                new_range.clone(),
                budget,
            );
        }
        Case::Unknown => by_key(
            &mut out,
            old,
            0..old.fragments.len(),
            new,
            0..new.fragments.len(),
            budget,
        ),
    }
    out
}

/// Adds fragment `i` of `new` to the diff when its own tokens differ from those of its
/// predecessor, fragment `j` of `old`.
fn compare(out: &mut Diff, old: &Rendered, j: usize, new: &Rendered, i: usize, budget: Duration) {
    if !old.same_own_tokens(j, new, i) {
        let key = new.key(&new.fragments[i]).to_owned();
        out.entries.push((key, changed(old, j, new, i, budget)));
    }
}

/// Diffs the fragments `new_range` of `new` against their predecessors among `old_range`
/// of `old`, found by key: changed ones as ops or whole, new ones whole, and those gone as
/// removed.
fn by_key(
    out: &mut Diff,
    old: &Rendered,
    old_range: Range<usize>,
    new: &Rendered,
    new_range: Range<usize>,
    budget: Duration,
) {
    let mut old_by_key: Option<FxHashMap<&str, usize>> = None;
    let mut matched = 0;
    for i in new_range.clone() {
        let key = new.key(&new.fragments[i]);
        // Renders usually keep their fragments in the same order: try the same position
        // before paying for a map.
        let same_place = old_range.start + (i - new_range.start);
        let previous = match old.fragments.get(same_place) {
            Some(same) if old_range.contains(&same_place) && old.key(same) == key => {
                Some(same_place)
            }
            _ => old_by_key
                .get_or_insert_with(|| key_index(old, old_range.clone()))
                .get(key)
                .copied(),
        };
        match previous {
            Some(j) => {
                matched += 1;
                compare(out, old, j, new, i, budget);
            }
            None => out
                .entries
                .push((key.to_owned(), Change::Whole(whole(new, i)))),
        }
    }
    if matched < old_range.len() {
        let new_keys = key_index(new, new_range);
        for j in old_range {
            let key = old.key(&old.fragments[j]);
            if !new_keys.contains_key(key) {
                out.entries.push((key.to_owned(), Change::Removed));
            }
        }
    }
}

/// The fragments `range` of a render by key.
fn key_index(rendered: &Rendered, range: Range<usize>) -> FxHashMap<&str, usize> {
    range
        .map(|i| (rendered.key(&rendered.fragments[i]), i))
        .collect()
}

/// The diff a join reply carries: every fragment whole.
pub fn full(rendered: &Rendered) -> Diff {
    Diff {
        entries: (0..rendered.fragments.len())
            .map(|i| {
                let key = rendered.key(&rendered.fragments[i]).to_owned();
                (key, Change::Whole(whole(rendered, i)))
            })
            .collect(),
    }
}

/// A token as the diff compares it: a reference never equals text that looks like one.
type Comparable<'a> = (TokenKind, &'a str);

fn comparable(rendered: &Rendered, fragment: usize) -> Vec<Comparable<'_>> {
    // The fragment's token count bounds its own tokens: one allocation, not a doubling run.
    let f = &rendered.fragments[fragment];
    let mut tokens = Vec::with_capacity((f.end - f.start) as usize);
    tokens.extend(
        rendered
            .own_tokens(fragment)
            .map(|t| (t.kind, t.text(&rendered.html))),
    );
    tokens
}

fn changed(
    old: &Rendered,
    previous: usize,
    new: &Rendered,
    fragment: usize,
    budget: Duration,
) -> Change {
    let a = comparable(old, previous);
    let b = comparable(new, fragment);
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (old_end, new_end) = (a.len() - suffix, b.len() - suffix);

    let (old_mid, new_mid) = (old_end - prefix, new_end - prefix);
    let ops = if old_mid.min(new_mid) <= 1 && old_mid.max(new_mid) <= SMALL_EDIT {
        // A few tokens in one place (a number, a cell): one splice, no search needed.
        Some(vec![Op {
            index: prefix,
            delete: old_mid,
            insert: insert_items(&b, prefix, new_mid),
        }])
    } else if let Some(ops) = aligned_splices(&a, &b, prefix..old_end) {
        Some(ops)
    } else {
        let mut script = EditScript::default();
        let deadline = Instant::now() + budget;
        let Ok(()) = myers::diff_deadline(
            &mut script,
            &a,
            prefix..old_end,
            &b,
            prefix..new_end,
            Some(deadline),
        );
        script.splices(prefix..old_end, &b, prefix..new_end)
    };
    match ops {
        Some(ops) if no_longer_than_whole(ops_json_len(&ops), &b) => Change::Ops(ops),
        _ => Change::Whole(whole(new, fragment)),
    }
}

/// When both sides have the same number of tokens in `range` and few of them differ
/// position by position (the same words in every row of a list, say), the splices that
/// replace each run of differing tokens: found in one pass, where Myers' search costs far
/// more and finds nothing shorter. `None` when the lengths differ or too many positions do
/// (content that moved), which is Myers' job.
fn aligned_splices(
    a: &[Comparable<'_>],
    b: &[Comparable<'_>],
    range: Range<usize>,
) -> Option<Vec<Op>> {
    if a.len() != b.len() {
        return None;
    }
    let differing = range.clone().filter(|&i| a[i] != b[i]).count();
    if differing * ALIGNED_AT_MOST > range.len() {
        return None;
    }
    let mut ops = Vec::new();
    let mut i = range.start;
    while i < range.end {
        if a[i] == b[i] {
            i += 1;
            continue;
        }
        let run = i;
        while i < range.end && a[i] != b[i] {
            i += 1;
        }
        ops.push(Op {
            index: run,
            delete: i - run,
            insert: insert_items(b, run, i - run),
        });
    }
    Some(ops)
}

/// [`aligned_splices`] applies when at most one position in this many differs.
const ALIGNED_AT_MOST: usize = 3;

/// After the common prefix and suffix, when one side has at most one token left and the
/// other at most this many, a single splice is sent without running Myers: with at most one
/// old (or new) token there is at most one token a search could keep.
const SMALL_EDIT: usize = 8;

/// Whether `len` bytes of JSON are no more than the fragment sent whole. Escaping only
/// lengthens a JSON string, so the fragment's raw length, a lower bound, settles it without
/// scanning every byte for characters to escape whenever the ops are small.
fn no_longer_than_whole(len: usize, tokens: &[Comparable<'_>]) -> bool {
    let raw = tokens
        .iter()
        .map(|&(kind, text)| text.len() + if kind == TokenKind::Ref { 3 } else { 0 })
        .sum::<usize>()
        + 2;
    len <= raw || len <= whole_json_len(tokens)
}

/// The JSON length of a fragment sent whole, without building it.
fn whole_json_len(tokens: &[Comparable<'_>]) -> usize {
    tokens
        .iter()
        .map(|&(kind, text)| json_str_len(text) - 2 + if kind == TokenKind::Ref { 3 } else { 0 })
        .sum::<usize>()
        + 2
}

/// The JSON length of an op list, without writing it.
fn ops_json_len(ops: &[Op]) -> usize {
    let digits = |n: usize| n.checked_ilog10().unwrap_or(0) as usize + 1;
    ops.iter()
        .map(|op| {
            let items: usize = op
                .insert
                .iter()
                .map(|item| match item {
                    Insert::Run(run) => 1 + json_str_len(run),
                    Insert::Verbatim(token) => 3 + json_str_len(token),
                })
                .sum();
            // `[index,delete` ... `]`
            3 + digits(op.index) + digits(op.delete) + items
        })
        .sum::<usize>()
        // The enclosing `[]` and the commas between ops.
        + 2
        + ops.len().saturating_sub(1)
}

/// One step of an edit script, in old/new token indices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Edit {
    old: usize,
    /// Deletions first, then insertions, then equal runs, at the same old index.
    rank: u8,
    new: usize,
    old_len: usize,
    new_len: usize,
}

/// Myers' edit script as the hook receives it.
///
/// Within the deadline the steps arrive in sequence order, but when the deadline cuts the
/// search short `similar` reports them out of order (and a deletion's `new_index` is not
/// always its position), so the steps are collected, sorted by old index, and checked to
/// cover both sides exactly once before they become splices.
#[derive(Default)]
struct EditScript {
    edits: Vec<Edit>,
}

impl EditScript {
    /// The splices turning the `old` token range into the `new` one (everything outside
    /// them is equal), or `None` if the script does not cover both ranges exactly once (the
    /// caller then sends the fragment whole).
    fn splices(
        mut self,
        old: Range<usize>,
        new_tokens: &[Comparable<'_>],
        new: Range<usize>,
    ) -> Option<Vec<Op>> {
        self.edits.sort_unstable();
        let (mut old_at, mut new_at) = (old.start, new.start);
        // Each op with the number of tokens it inserts.
        let mut ops: Vec<(Op, usize)> = Vec::new();
        // Tokens added minus tokens removed so far: an old token's position in the client's
        // list is its old index plus this.
        let mut shift = 0isize;
        for edit in &self.edits {
            // Where the splice goes: after every old token consumed so far.
            let index = (old_at as isize + shift) as usize;
            match edit.rank {
                DELETE => {
                    if edit.old != old_at {
                        return None;
                    }
                    old_at += edit.old_len;
                }
                // An insertion's old index may name the start or the end of the deletion it
                // pairs with; only its new side must follow on.
                INSERT => {
                    if edit.new != new_at {
                        return None;
                    }
                    new_at += edit.new_len;
                }
                _ => {
                    if edit.old != old_at || edit.new != new_at {
                        return None;
                    }
                    old_at += edit.old_len;
                    new_at += edit.new_len;
                    continue;
                }
            }
            shift += edit.new_len as isize - edit.old_len as isize;
            let insert = insert_items(new_tokens, edit.new, edit.new_len);
            // A splice that starts where the previous one's insertion ends joins it.
            match ops.last_mut() {
                Some((last, inserted)) if last.index + *inserted == index => {
                    last.delete += edit.old_len;
                    *inserted += edit.new_len;
                    for item in insert {
                        match (last.insert.last_mut(), item) {
                            (Some(Insert::Run(run)), Insert::Run(more)) => run.push_str(&more),
                            (_, item) => last.insert.push(item),
                        }
                    }
                }
                _ => ops.push((
                    Op {
                        index,
                        delete: edit.old_len,
                        insert,
                    },
                    edit.new_len,
                )),
            }
        }
        (old_at == old.end && new_at == new.end)
            .then(|| ops.into_iter().map(|(op, _)| op).collect())
    }
}

const DELETE: u8 = 0;
const INSERT: u8 = 1;
const EQUAL: u8 = 2;

impl DiffHook for EditScript {
    type Error = std::convert::Infallible;

    fn equal(&mut self, old: usize, new: usize, len: usize) -> Result<(), Self::Error> {
        self.edits.push(Edit {
            old,
            rank: EQUAL,
            new,
            old_len: len,
            new_len: len,
        });
        Ok(())
    }

    fn delete(&mut self, old: usize, old_len: usize, _: usize) -> Result<(), Self::Error> {
        // The reported new index is unreliable; it plays no part in ordering a deletion.
        self.edits.push(Edit {
            old,
            rank: DELETE,
            new: 0,
            old_len,
            new_len: 0,
        });
        Ok(())
    }

    fn insert(&mut self, old: usize, new: usize, new_len: usize) -> Result<(), Self::Error> {
        self.edits.push(Edit {
            old,
            rank: INSERT,
            new,
            old_len: 0,
            new_len,
        });
        Ok(())
    }
}

/// Tokens `new[start..start + len]` as they travel: one run string, which the receiver
/// tokenizes back into the same tokens (concatenated tokens re-tokenize identically), except
/// a raw text token whose opening tag is not in the run: alone it would be cut into words,
/// so it travels verbatim.
fn insert_items(new: &[Comparable<'_>], start: usize, len: usize) -> Vec<Insert> {
    let mut items = Vec::new();
    let mut run = String::new();
    for (j, &(kind, text)) in new.iter().enumerate().skip(start).take(len) {
        let raw_text = kind == TokenKind::Text
            && j > 0
            && new[j - 1].0 == TokenKind::Tag
            && opens_raw_text(new[j - 1].1);
        if raw_text && j == start {
            items.push(Insert::Verbatim(text.to_owned()));
            continue;
        }
        if kind == TokenKind::Ref {
            run.push_str("<#");
            run.push_str(text);
            run.push('>');
        } else {
            run.push_str(text);
        }
    }
    if !run.is_empty() {
        items.push(Insert::Run(run));
    }
    items
}

/// The fragment's own tokens concatenated, each child written as `<#key>`.
fn whole(rendered: &Rendered, fragment: usize) -> String {
    let mut out = String::new();
    for token in rendered.own_tokens(fragment) {
        let text = token.text(&rendered.html);
        if token.kind == TokenKind::Ref {
            out.push_str("<#");
            out.push_str(text);
            out.push('>');
        } else {
            out.push_str(text);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::diff_format::write_ops;

    #[test]
    fn a_word_changed_in_every_row_is_one_splice_per_row() {
        let list = |q: &str| {
            let rows: String = (0..4).map(|i| format!("<li>{q} result {i}</li>")).collect();
            Rendered::new(format!(r#"<ul id="r">{rows}</ul>"#))
        };
        let before = list("rust");
        let (after, delta) = before.following(list("tokio").html().to_owned());
        assert_eq!(
            diff(&before, &after, &delta).to_json(),
            r#"{"r":[[2,1,"tokio "],[7,1,"tokio "],[12,1,"tokio "],[17,1,"tokio "]]}"#
        );
    }

    #[test]
    fn computed_json_lengths_match_the_written_json() {
        let ops = vec![
            Op {
                index: 0,
                delete: 12,
                insert: vec![Insert::Run("a \"b\"".into())],
            },
            Op {
                index: 105,
                delete: 0,
                insert: vec![Insert::Verbatim("x<y".into()), Insert::Run("é".into())],
            },
        ];
        let mut written = String::new();
        write_ops(&mut written, &ops);
        assert_eq!(ops_json_len(&ops), written.len());
        assert_eq!(ops_json_len(&[]), 2);

        let tokens = [
            (TokenKind::Tag, "<p>"),
            (TokenKind::Ref, "k\"1"),
            (TokenKind::Text, "new\nline"),
        ];
        let whole = "<p><#k\"1>new\nline";
        assert_eq!(whole_json_len(&tokens), json_str_len(whole));
    }
}
