//! The client's side of §4.3 in Rust: a fragment store that applies diffs and expands
//! back to HTML. The test harness uses it to see exactly what a browser would be sent,
//! and the property tests use it to prove `apply(diff(a, b), a) == b`.

use rustc_hash::FxHashMap;

use super::diff_format::{Change, Diff, DiffError, Insert};
use super::token::{tokenize, TokenKind};

/// What a client holds: each fragment's token list, references written as `<#key>`.
#[derive(Debug, Clone, Default)]
pub struct FragmentStore {
    fragments: FxHashMap<String, Vec<String>>,
}

impl FragmentStore {
    /// An empty document, as a client has before its join reply.
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies a diff; a diff that does not fit the document is refused whole,
    /// leaving the document as it was.
    pub fn apply(&mut self, diff: &Diff) -> Result<(), DiffError> {
        let mut next = self.fragments.clone();
        for (key, change) in &diff.entries {
            match change {
                Change::Whole(html) => {
                    next.insert(key.clone(), wire_tokens(html));
                }
                Change::Removed => {
                    next.remove(key);
                }
                Change::Ops(ops) => {
                    let tokens = next.entry(key.clone()).or_default();
                    for op in ops {
                        let end = op.index.checked_add(op.delete);
                        if end.is_none_or(|end| end > tokens.len()) {
                            return Err(DiffError(format!(
                                "op [{}, {}] out of range for fragment {key:?} of {} tokens",
                                op.index,
                                op.delete,
                                tokens.len()
                            )));
                        }
                        let inserted = op.insert.iter().flat_map(|item| match item {
                            Insert::Run(run) => wire_tokens(run),
                            Insert::Verbatim(token) => vec![token.clone()],
                        });
                        tokens.splice(op.index..op.index + op.delete, inserted);
                    }
                }
            }
        }
        self.fragments = next;
        Ok(())
    }

    /// The root fragment expanded to HTML.
    pub fn html(&self) -> Result<String, DiffError> {
        let mut out = String::new();
        let mut path = Vec::new();
        self.expand("", &mut out, &mut path)?;
        Ok(out)
    }

    fn expand<'a>(
        &'a self,
        key: &'a str,
        out: &mut String,
        path: &mut Vec<&'a str>,
    ) -> Result<(), DiffError> {
        if path.contains(&key) {
            return Err(DiffError(format!("fragment {key:?} contains itself")));
        }
        let tokens = self
            .fragments
            .get(key)
            .ok_or_else(|| DiffError(format!("missing fragment {key:?}")))?;
        path.push(key);
        for token in tokens {
            match reference(token) {
                Some(child) => self.expand(child, out, path)?,
                None => out.push_str(token),
            }
        }
        path.pop();
        Ok(())
    }
}

/// The key a token refers to, if it is a reference.
fn reference(token: &str) -> Option<&str> {
    token.strip_prefix("<#")?.strip_suffix('>')
}

fn wire_tokens(html: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    tokenize(html, true, &mut tokens);
    tokens
        .iter()
        .map(|t| {
            debug_assert!(t.kind != TokenKind::Ref || t.text(html).ends_with('>'));
            t.text(html).to_owned()
        })
        .collect()
}
