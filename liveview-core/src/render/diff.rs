//! Diffing two renders into a [`Patch`]: unchanged fragments are skipped, changed ones
//! travel as `similar` (Myers) ops or whole, whichever is shorter on the wire.

use std::time::{Duration, Instant};

use rustc_hash::FxHashMap;
use similar::algorithms::{myers, DiffHook};

use super::fragment::{Fragment, Rendered};
use super::patch::{json_str_len, write_ops, Change, Op, Patch};
use super::token::TokenKind;

/// Myers is quadratic in the number of differences; past this budget per fragment
/// `similar` settles for a coarser (still correct) diff, and the whole fragment often wins.
const DIFF_DEADLINE: Duration = Duration::from_millis(5);

/// The patch that turns a client holding `old` into one holding `new`.
pub fn diff(old: &Rendered, new: &Rendered) -> Patch {
    let mut patch = Patch::default();
    let mut old_by_key: Option<FxHashMap<&str, usize>> = None;
    let mut matched = 0;

    for (i, fragment) in new.fragments.iter().enumerate() {
        let key = new.key(fragment);
        // Renders usually keep their fragments in the same order: try the same position
        // before paying for a map.
        let previous = match old.fragments.get(i) {
            Some(same) if old.key(same) == key => Some(same),
            _ => old_by_key
                .get_or_insert_with(|| key_index(old))
                .get(key)
                .map(|&j| &old.fragments[j]),
        };
        let change = match previous {
            Some(previous) => {
                matched += 1;
                if same_tokens(old, previous, new, fragment) {
                    continue;
                }
                changed(old, previous, new, fragment)
            }
            None => Change::Whole(whole(new, fragment)),
        };
        patch.entries.push((key.to_owned(), change));
    }

    if matched < old.fragments.len() {
        let new_keys = key_index(new);
        for fragment in &old.fragments {
            let key = old.key(fragment);
            if !new_keys.contains_key(key) {
                patch.entries.push((key.to_owned(), Change::Removed));
            }
        }
    }
    patch
}

/// The patch a join reply carries: every fragment whole.
pub fn full(rendered: &Rendered) -> Patch {
    Patch {
        entries: rendered
            .fragments
            .iter()
            .map(|f| {
                (
                    rendered.key(f).to_owned(),
                    Change::Whole(whole(rendered, f)),
                )
            })
            .collect(),
    }
}

fn key_index(rendered: &Rendered) -> FxHashMap<&str, usize> {
    rendered
        .fragments
        .iter()
        .enumerate()
        .map(|(i, f)| (rendered.key(f), i))
        .collect()
}

fn same_tokens(old: &Rendered, a: &Fragment, new: &Rendered, b: &Fragment) -> bool {
    a.tokens.len() == b.tokens.len()
        && a.tokens
            .iter()
            .zip(&b.tokens)
            .all(|(x, y)| x.kind == y.kind && x.text(&old.html) == y.text(&new.html))
}

/// A token as the diff compares it: a reference never equals text that looks like one.
type Comparable<'a> = (TokenKind, &'a str);

fn comparable<'a>(rendered: &'a Rendered, fragment: &Fragment) -> Vec<Comparable<'a>> {
    fragment
        .tokens
        .iter()
        .map(|t| (t.kind, t.text(&rendered.html)))
        .collect()
}

fn changed(old: &Rendered, previous: &Fragment, new: &Rendered, fragment: &Fragment) -> Change {
    let a = comparable(old, previous);
    let b = comparable(new, fragment);
    let mut splices = Splices {
        new: &b,
        ops: Vec::new(),
        shift: 0,
    };
    let deadline = Instant::now() + DIFF_DEADLINE;
    let Ok(()) = myers::diff_deadline(&mut splices, &a, 0..a.len(), &b, 0..b.len(), Some(deadline));
    let ops = splices.ops;

    let whole = whole(new, fragment);
    let mut encoded = String::new();
    write_ops(&mut encoded, &ops);
    if encoded.len() <= json_str_len(&whole) {
        Change::Ops(ops)
    } else {
        Change::Whole(whole)
    }
}

/// Turns Myers' edit script, which arrives in sequence order, into splices.
struct Splices<'a, 'b> {
    new: &'a [Comparable<'b>],
    ops: Vec<Op>,
    /// Tokens added minus tokens removed by the splices so far: an old token's position
    /// in the client's list is its old index plus this.
    shift: isize,
}

impl Splices<'_, '_> {
    fn splice(&mut self, old_index: usize, delete: usize, insert: &[Comparable<'_>]) {
        let index = (old_index as isize + self.shift) as usize;
        self.shift += insert.len() as isize - delete as isize;
        let insert = insert.iter().map(|&t| wire_token(t));
        // A splice that starts where the previous one's insertion ends joins it.
        match self.ops.last_mut() {
            Some(last) if last.index + last.insert.len() == index => {
                last.delete += delete;
                last.insert.extend(insert);
            }
            _ => self.ops.push(Op {
                index,
                delete,
                insert: insert.collect(),
            }),
        }
    }
}

impl DiffHook for Splices<'_, '_> {
    type Error = std::convert::Infallible;

    fn delete(&mut self, old_index: usize, old_len: usize, _: usize) -> Result<(), Self::Error> {
        self.splice(old_index, old_len, &[]);
        Ok(())
    }

    fn insert(
        &mut self,
        old_index: usize,
        new_index: usize,
        new_len: usize,
    ) -> Result<(), Self::Error> {
        self.splice(old_index, 0, &self.new[new_index..new_index + new_len]);
        Ok(())
    }
}

fn wire_token((kind, text): Comparable<'_>) -> String {
    match kind {
        TokenKind::Ref => format!("<#{text}>"),
        _ => text.to_owned(),
    }
}

/// The fragment's tokens concatenated, each child written as `<#key>`.
fn whole(rendered: &Rendered, fragment: &Fragment) -> String {
    let mut out = String::new();
    for token in &fragment.tokens {
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
