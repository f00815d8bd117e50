// The fragment store of protocol §4.3: each fragment's token list, references written as
// `<#key>`, plus which fragment refers to which, so a diff can be expanded to HTML.

import { tokenize, refKey, tagName } from './tokens.js';
import { ATTR_SKIP, ATTR_STREAM_RESET, ATTR_UPDATE, UPDATE_STREAM } from './protocol.js';

// How a stream container's start tag reads, exactly as the server writes it (§4.5).
const STREAM_MARK = `${ATTR_UPDATE}="${UPDATE_STREAM}"`;
const RESET_MARK = ` ${ATTR_STREAM_RESET}`;

const escapeAttr = (s) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;');

/**
 * The tokens one inserted item stands for (§4.3): a string is a run of tokens to tokenize,
 * `[token]` is one token taken verbatim; anything else is invalid (null).
 */
const insertedTokens = (item) => {
  if (typeof item === 'string') return tokenize(item, true);
  if (Array.isArray(item) && item.length === 1 && typeof item[0] === 'string') return [item[0]];
  return null;
};

export class FragmentStore {
  constructor() {
    this.reset();
  }

  /** Forgets every fragment (before a join reply). */
  reset() {
    /** @type {Map<string, string[]>} */
    this.frags = new Map();
    /** child key -> parent key */
    this.parents = new Map();
    /** parent key -> child keys */
    this.kids = new Map();
  }

  has(key) {
    return this.frags.has(key);
  }

  tokens(key) {
    return this.frags.get(key);
  }

  parent(key) {
    return this.parents.get(key);
  }

  /**
   * Applies a diff object. A diff that does not fit (an op out of range, a value of the
   * wrong type) throws and leaves the store as it was. Returns the set of changed keys
   * (those sent whole or as ops).
   */
  apply(diff) {
    const next = new Map();
    const changed = new Set();
    if (!diff || typeof diff !== 'object' || Array.isArray(diff)) throw new Error('a diff must be an object');
    for (const key of Object.keys(diff)) {
      const value = diff[key];
      if (value === null) {
        next.set(key, null);
      } else if (typeof value === 'string') {
        next.set(key, tokenize(value, true));
        changed.add(key);
      } else if (Array.isArray(value)) {
        const base = next.has(key) ? next.get(key) : this.frags.get(key);
        const tokens = base ? base.slice() : [];
        for (const op of value) {
          const [index, del, ...insert] = Array.isArray(op) ? op : [];
          const inserted = insert.map(insertedTokens);
          if (!Number.isInteger(index) || !Number.isInteger(del) || index < 0 || del < 0 ||
              index + del > tokens.length || inserted.includes(null)) {
            throw new Error(`bad op ${JSON.stringify(op)} for fragment "${key}" of ${tokens.length} tokens`);
          }
          tokens.splice(index, del, ...inserted.flat());
        }
        next.set(key, tokens);
        changed.add(key);
      } else {
        throw new Error(`fragment "${key}": unexpected ${JSON.stringify(value)}`);
      }
    }
    // Commit, then re-link parents: first unlink every touched fragment's children, then
    // link again, so a child that moved between two touched parents ends at its new one.
    for (const key of next.keys()) {
      for (const child of this.kids.get(key) || []) {
        if (this.parents.get(child) === key) this.parents.delete(child);
      }
      this.kids.delete(key);
    }
    for (const [key, tokens] of next) {
      if (tokens === null) {
        this.frags.delete(key);
        continue;
      }
      this.frags.set(key, tokens);
      const kids = [];
      for (const t of tokens) {
        const child = refKey(t);
        if (child !== null) {
          kids.push(child);
          this.parents.set(child, key);
        }
      }
      this.kids.set(key, kids);
    }
    return changed;
  }

  /**
   * Once the page has merged them (§4.5), the items of each changed stream container are
   * forgotten: the container keeps its start and end tags (without a reset), its
   * children's fragments go. A container whose first or last token is a child's (the root,
   * one never closed) is not one: that reference would point at a forgotten item.
   * The server does the same with its copy, so the next diff starts from the same tokens.
   */
  forgetStreamItems(changed) {
    for (const key of changed) {
      const tokens = this.frags.get(key);
      if (!tokens || tokens.length < 2 || !tokens[0].includes(STREAM_MARK)) continue;
      if (refKey(tokens[0]) !== null || refKey(tokens[tokens.length - 1]) !== null) continue;
      for (const child of this.kids.get(key) || []) this.forget(child);
      this.frags.set(key, [tokens[0].replace(RESET_MARK, ''), tokens[tokens.length - 1]]);
      this.kids.set(key, []);
    }
  }

  forget(key) {
    for (const child of this.kids.get(key) || []) this.forget(child);
    this.frags.delete(key);
    this.parents.delete(key);
    this.kids.delete(key);
  }

  /** Whether the fragment is part of the page: its chain of parents reaches the root. */
  reachable(key) {
    const seen = new Set();
    while (key !== '') {
      if (seen.has(key) || !this.frags.has(key)) return false;
      seen.add(key);
      key = this.parents.get(key);
      if (key === undefined) return false;
    }
    return this.frags.has('');
  }

  /**
   * The fragment as HTML. Without `changed`, every reference is expanded (the full HTML).
   * With it, a changed child is expanded recursively and an unchanged one becomes its start
   * tag with `data-phx-skip="key"`, then its end tag unless the child is one token (a
   * void element or a `/>` tag), so the placeholder parses like the child's full HTML.
   */
  html(key, changed = null) {
    const out = [];
    this.expand(key, changed, out, new Set());
    return out.join('');
  }

  expand(key, changed, out, path) {
    if (path.has(key)) throw new Error(`fragment "${key}" contains itself`);
    const tokens = this.frags.get(key);
    if (!tokens) throw new Error(`missing fragment "${key}"`);
    path.add(key);
    for (const t of tokens) {
      const child = refKey(t);
      if (child === null) out.push(t);
      else if (!changed || changed.has(child)) this.expand(child, changed, out, path);
      else out.push(this.placeholder(child));
    }
    path.delete(key);
  }

  placeholder(key) {
    const tokens = this.frags.get(key);
    if (!tokens) throw new Error(`missing fragment "${key}"`);
    const tag = tokens[0] || '';
    const name = tagName(tag);
    // The attribute goes right after the tag name: never inside an unquoted value.
    let html = `<${tag.slice(1, 1 + name.length)} ${ATTR_SKIP}="${escapeAttr(key)}"${tag.slice(1 + name.length)}`;
    // A one-token fragment (void element, `/>` tag) has no end tag in its full HTML either.
    if (tokens.length > 1) html += `</${name}>`;
    return html;
  }
}
