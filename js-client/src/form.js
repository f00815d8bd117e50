// Form serialisation of protocol §5: FormData entries in document order, nested by name.
// `user[email]` -> {user: {email}}, `tags[]` -> {tags: [...]}, a repeated plain name
// keeps the last value. A file contributes its name (files do not travel over the socket).

// `a[b][c]` -> ['a', 'b', 'c'], `a[b][]` -> ['a', 'b', ''], anything else -> [name].
function path(name) {
  const m = /^([^[\]]+)((?:\[[^[\]]*\])+)$/.exec(name);
  if (!m) return [name];
  const parts = [m[1], ...m[2].slice(1, -1).split('][')];
  // An empty segment is only meaningful last ("collect an array").
  return parts.slice(0, -1).includes('') ? [name] : parts;
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Puts one name/value pair into `out`, following the nesting rules above. */
export function assign(out, name, value) {
  const keys = path(name);
  let node = out;
  for (let i = 0; i < keys.length - 1; i++) {
    const k = keys[i];
    const last = i === keys.length - 2;
    if (last && keys[i + 1] === '') {
      if (!Array.isArray(node[k])) node[k] = [];
      node[k].push(value);
      return out;
    }
    if (!isObject(node[k])) node[k] = {};
    node = node[k];
  }
  node[keys[keys.length - 1]] = value;
  return out;
}

/** The form's successful controls as nested JSON; `submitter` adds the clicked button. */
export function serializeForm(form, submitter = null) {
  const FormDataOf = form.ownerDocument.defaultView.FormData;
  const data = submitter ? new FormDataOf(form, submitter) : new FormDataOf(form);
  const out = {};
  for (const [name, value] of data) assign(out, name, typeof value === 'string' ? value : value.name);
  return out;
}
