//! The client's side of §4.3 in Rust: a fragment store that applies diffs and expands
//! back to HTML. The test harness uses it to see exactly what a browser would be sent,
//! and the property tests use it to prove `apply(diff(a, b), a) == b`.

use rustc_hash::FxHashMap;

use super::stream_items::stream_marker;
use crate::protocol::attribute;

use super::diff_format::{Change, Diff, DiffError, Insert};
use super::token::{tokenize, TokenKind};

/// What a client holds: each fragment's token list, references written as `<#key>`.
#[derive(Debug, Clone, Default)]
pub struct FragmentStore {
    fragments: FxHashMap<String, Vec<String>>,
    /// The children the browser keeps in each `phx-update="stream"` container (§4.5), by
    /// container key: each child's DOM id and HTML, in order.
    streams: FxHashMap<String, Vec<(String, String)>>,
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
        self.merge_streams(diff)
    }

    /// Does to stream containers what the browser does (§4.5): a changed container merges
    /// its new children into the ones it kept (update in place, insert at a position,
    /// delete, reset, limit), then forgets them as fragments: its token list goes back to
    /// its start and end tags, as the server's copy does.
    fn merge_streams(&mut self, diff: &Diff) -> Result<(), DiffError> {
        let fragments = &self.fragments;
        self.streams.retain(|key, _| fragments.contains_key(key));
        let marker = stream_marker();
        for (key, change) in &diff.entries {
            if matches!(change, Change::Removed) {
                continue;
            }
            let Some(tokens) = self.fragments.get(key) else {
                continue;
            };
            // A stream container has a last token of its own, kept with its first once
            // merged; one whose last token is a child's (never closed) is not one.
            // A reference first is a child's start, whatever its key says.
            let Some(start) = tokens
                .first()
                .filter(|start| start.contains(&marker) && reference(start).is_none())
            else {
                continue;
            };
            if tokens.len() < 2 || tokens.last().and_then(|t| reference(t)).is_some() {
                continue;
            }
            let start = start.clone();
            let children: Vec<String> = tokens
                .iter()
                .filter_map(|t| reference(t).map(str::to_owned))
                .collect();
            let mut incoming = Vec::new();
            for child in &children {
                let mut html = String::new();
                self.expand(child, &mut html, &mut Vec::new())?;
                incoming.push((child.clone(), html));
            }
            merge(
                self.streams.entry(key.clone()).or_default(),
                &start,
                incoming,
            );
            for child in &children {
                self.forget(child);
            }
            if let Some(tokens) = self.fragments.get_mut(key) {
                if tokens.len() > 2 {
                    let end = tokens.pop().unwrap_or_default();
                    tokens.truncate(1);
                    tokens.push(end);
                }
                // The first reset only, as the browser client does.
                tokens[0] = tokens[0].replacen(&format!(" {}", attribute::STREAM_RESET), "", 1);
            }
        }
        Ok(())
    }

    /// Drops a fragment and the fragments it refers to.
    fn forget(&mut self, key: &str) {
        if let Some(tokens) = self.fragments.remove(key) {
            for token in &tokens {
                if let Some(child) = reference(token) {
                    self.forget(child);
                }
            }
        }
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
        if let (Some(kept), [start, .., end]) = (self.streams.get(key), tokens.as_slice()) {
            out.push_str(start);
            for (_, html) in kept {
                out.push_str(html);
            }
            out.push_str(end);
            path.pop();
            return Ok(());
        }
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

/// Merges a container's new children into the ones it kept, as the browser's morph does.
fn merge(kept: &mut Vec<(String, String)>, container_start: &str, incoming: Vec<(String, String)>) {
    if container_start.contains(attribute::STREAM_RESET) {
        // The children become exactly the new ones, in their order (deletes aside).
        kept.clear();
        kept.extend(
            incoming
                .into_iter()
                .filter(|(_, html)| !first_tag(html).contains(attribute::STREAM_DELETE)),
        );
        return apply_limit(kept, container_start);
    }
    for (id, html) in incoming {
        let first_tag = first_tag(&html);
        let existing = kept.iter().position(|(kept_id, _)| *kept_id == id);
        let delete = first_tag.contains(attribute::STREAM_DELETE);
        match existing {
            Some(i) if delete => {
                kept.remove(i);
            }
            None if delete => {}
            Some(i) => kept[i].1 = html,
            None => {
                let at = attribute_value(first_tag, attribute::STREAM_AT)
                    .and_then(|v| v.parse::<usize>().ok())
                    .map_or(kept.len(), |at| at.min(kept.len()));
                kept.insert(at, (id, html));
            }
        }
    }
    apply_limit(kept, container_start);
}

/// The container's `data-phx-stream-limit`, applied to its kept children.
fn apply_limit(kept: &mut Vec<(String, String)>, container_start: &str) {
    let limit = attribute_value(container_start, attribute::STREAM_LIMIT)
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(0);
    let keep = usize::try_from(limit.unsigned_abs()).unwrap_or(usize::MAX);
    if limit > 0 {
        kept.truncate(keep);
    } else if limit < 0 && kept.len() > keep {
        kept.drain(..kept.len() - keep);
    }
}

/// The first tag of an element's HTML.
fn first_tag(html: &str) -> &str {
    html.split('>').next().unwrap_or_default()
}

/// The value of attribute `name` in a start tag, when it is written `name="value"`.
fn attribute_value<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    tag[at..].split('"').next()
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
