//! A fragment's own tokens, and comparing two fragments by them.
//!
//! A fragment's *own* tokens are its tokens with each child fragment read as one
//! reference token (whose text is the child's key). They are what the diff compares and
//! what the wire carries for a fragment.

use super::fragment::Fragment;
use super::rendered::Rendered;
use super::token::{Token, TokenKind};

impl Rendered {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Each fragment of `html` split from scratch: its key and its own tokens, children
    /// written as `<#key>`.
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
}
