// The tokenizer of protocol §4.1, twin of liveview-core/src/render/token.rs.
// All delimiters are ASCII, so cutting a JS string (UTF-16) at the same places as the
// Rust side cuts its UTF-8 bytes gives the same tokens.

const RAW_TEXT = ['script', 'style', 'textarea', 'title'];

const isSpace = (c) => c === 32 || c === 9 || c === 10 || c === 12 || c === 13;
const isAlpha = (c) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
// ASCII-only lowercasing, as Rust's eq_ignore_ascii_case.
const asciiLower = (s) => s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));

// 'c' comment, 'r' reference, 't' tag, or '' when no markup starts at i.
function markupAt(s, i, wire) {
  if (s.charCodeAt(i) !== 60 /* < */) return '';
  const c = s.charCodeAt(i + 1);
  if (c === 33 /* ! */ && s.startsWith('<!--', i)) return 'c';
  if (c === 35 /* # */ && wire) return 'r';
  if (isAlpha(c) || c === 47 /* / */ || c === 33 || c === 63 /* ? */) return 't';
  return '';
}

// End (exclusive) of the tag whose body starts at i: after the first `>` outside quotes.
function tagEnd(s, i) {
  const n = s.length;
  while (i < n) {
    const c = s[i];
    if (c === '>') return i + 1;
    if (c === '"' || c === "'") {
      const q = s.indexOf(c, i + 1);
      if (q < 0) return n;
      i = q + 1;
    } else i++;
  }
  return n;
}

/** The tag name of a start or end tag token, ASCII-lowercased (`<Div a>` -> `div`). */
export function tagName(tag) {
  let i = tag[1] === '/' ? 2 : 1;
  let end = i;
  while (end < tag.length && !isSpace(tag.charCodeAt(end)) && tag[end] !== '/' && tag[end] !== '>') end++;
  return asciiLower(tag.slice(i, end));
}

/**
 * Cuts `html` into tokens (strings whose concatenation is `html`). With `wire` set,
 * `<#key>` is a reference token (rule 4); otherwise it is text.
 */
export function tokenize(html, wire = false) {
  const out = [];
  const n = html.length;
  let i = 0;
  while (i < n) {
    const kind = markupAt(html, i, wire);
    if (kind === 'c') {
      const p = html.indexOf('-->', i + 4);
      const end = p < 0 ? n : p + 3;
      out.push(html.slice(i, end));
      i = end;
    } else if (kind === 'r') {
      const p = html.indexOf('>', i + 2);
      const end = p < 0 ? n : p + 1;
      out.push(html.slice(i, end));
      i = end;
    } else if (kind === 't') {
      const start = i;
      i = tagEnd(html, i + 1);
      const tag = html.slice(start, i);
      out.push(tag);
      if (isAlpha(tag.charCodeAt(1))) {
        const name = tagName(tag);
        if (RAW_TEXT.includes(name)) {
          const close = findEndTag(html, i, name);
          if (close > i) out.push(html.slice(i, close));
          i = close;
        }
      }
    } else {
      // A run of text up to the next markup, cut into words with their trailing whitespace.
      let textEnd = i;
      for (;;) {
        textEnd = html.indexOf('<', textEnd);
        if (textEnd < 0) { textEnd = n; break; }
        if (markupAt(html, textEnd, wire)) break;
        textEnd++;
      }
      while (i < textEnd) {
        const start = i;
        while (i < textEnd && !isSpace(html.charCodeAt(i))) i++;
        while (i < textEnd && isSpace(html.charCodeAt(i))) i++;
        out.push(html.slice(start, i));
      }
    }
  }
  return out;
}

// Position of `</name` (ASCII case-insensitive) at or after i, or the end of input.
function findEndTag(s, i, name) {
  for (;;) {
    const p = s.indexOf('</', i);
    if (p < 0) return s.length;
    if (asciiLower(s.slice(p + 2, p + 2 + name.length)) === name) return p;
    i = p + 2;
  }
}

/** The child key of a reference token (`<#key>` -> `key`), or null for any other token. */
export function refKey(token) {
  return token.startsWith('<#') && token.endsWith('>') ? token.slice(2, -1) : null;
}
