// Every word of the protocol (docs/protocol.md) that the client sends, reads or puts on the
// page, named once. The other modules import these names instead of writing the strings.
// The groups FRAME_*, META_*, ATTR_*, CLASS_* and JS_* are also in tests/vectors/protocol_words.json,
// which the Rust side checks too: test/protocol.test.js keeps this module and that file equal
// (ATTR_STREAM_AT is key "stream_at" of its "attribute" group, and so on).
// Names the bundle does not use cost nothing: esbuild drops them.

// Kinds of client frames (§2): `[ref, kind, ...]`.
export const FRAME_JOIN = 'join';
export const FRAME_EVENT = 'event';
export const FRAME_NAV = 'nav';
export const FRAME_HEARTBEAT = 'hb';

// Keys of the `meta` member of server frames (§3).
export const META_ERROR = 'error';
export const META_FATAL = 'fatal';
export const META_RELOAD = 'reload';
export const META_PATCH = 'patch';
export const META_REPLACE = 'replace';
export const META_NAVIGATE = 'navigate';
export const META_REDIRECT = 'redirect';
export const META_EVENTS = 'events';
export const META_TITLE = 'title';
export const META_RESUME = 'resume';
export const META_SESSION = 'session';
export const META_FLASH = 'flash';

// Attributes the server renders and the client reads (§1, §4.4, §5), or writes (skip).
export const ATTR_MAIN = 'data-phx-main';
export const ATTR_SESSION = 'data-phx-session';
/** Marks an unchanged child in morph HTML (§4.4); its value is the fragment key. */
export const ATTR_SKIP = 'data-phx-skip';
export const ATTR_LINK = 'data-phx-link';
export const ATTR_CONFIRM = 'data-confirm';
export const ATTR_UPDATE = 'phx-update';
export const ATTR_STREAM_AT = 'data-phx-stream-at';
export const ATTR_STREAM_DELETE = 'data-phx-stream-delete';
export const ATTR_STREAM_RESET = 'data-phx-stream-reset';
export const ATTR_STREAM_LIMIT = 'data-phx-stream-limit';
// Bindings (§5). The key and focus ones are `phx-<type>` and `phx-window-<type>`, built
// from the two prefixes in bindings.js; the full names below are what they come to.
export const BINDING_PREFIX = 'phx-';
export const WINDOW_BINDING_PREFIX = 'phx-window-';
export const ATTR_CLICK = 'phx-click';
export const ATTR_SUBMIT = 'phx-submit';
export const ATTR_CHANGE = 'phx-change';
export const ATTR_KEYDOWN = 'phx-keydown';
export const ATTR_KEYUP = 'phx-keyup';
export const ATTR_FOCUS = 'phx-focus';
export const ATTR_BLUR = 'phx-blur';
export const ATTR_WINDOW_KEYDOWN = 'phx-window-keydown';
export const ATTR_WINDOW_KEYUP = 'phx-window-keyup';
export const ATTR_WINDOW_FOCUS = 'phx-window-focus';
export const ATTR_WINDOW_BLUR = 'phx-window-blur';
/** `phx-value-NAME="v"` adds `NAME: "v"` to the event's value. */
export const ATTR_VALUE_PREFIX = 'phx-value-';
export const ATTR_KEY = 'phx-key';
export const ATTR_DEBOUNCE = 'phx-debounce';
export const ATTR_THROTTLE = 'phx-throttle';
export const ATTR_DISABLE_WITH = 'phx-disable-with';
export const ATTR_AUTO_RECOVER = 'phx-auto-recover';
/** On the layout's <title>: what goes around each view's title (§3 "title"). */
export const ATTR_TITLE_PREFIX = 'data-prefix';
export const ATTR_TITLE_SUFFIX = 'data-suffix';

/** The cookie a redirect's signed flash rides in to the next page (§3). */
export const FLASH_COOKIE = 'lv_flash';

// JS commands (§5.1): the name of each command in a binding's command list.
export const JS_SHOW = 'show';
export const JS_HIDE = 'hide';
export const JS_TOGGLE = 'toggle';
export const JS_ADD_CLASS = 'add_class';
export const JS_REMOVE_CLASS = 'remove_class';
export const JS_TRANSITION = 'transition';
export const JS_PUSH = 'push';
export const JS_NAVIGATE = 'navigate';
export const JS_PATCH = 'patch';
export const JS_DISPATCH = 'dispatch';
export const JS_FOCUS = 'focus';
export const JS_SET_ATTRIBUTE = 'set_attribute';
export const JS_EXEC = 'exec';

// Attribute values with a meaning of their own.
export const LINK_PATCH = 'patch'; // data-phx-link="patch"
export const LINK_NAVIGATE = 'navigate'; // data-phx-link="navigate"
export const UPDATE_IGNORE = 'ignore'; // phx-update="ignore"
export const UPDATE_STREAM = 'stream'; // phx-update="stream"
export const AUTO_RECOVER_IGNORE = 'ignore'; // phx-auto-recover="ignore"
export const DEBOUNCE_BLUR = 'blur'; // phx-debounce="blur"

// Classes the client sets: the connection state on the container (§8), exactly one of them.
export const CLASS_LOADING = 'phx-loading';
export const CLASS_CONNECTED = 'phx-connected';
export const CLASS_ERROR = 'phx-error';
// While an event awaits its reply, its element has `phx-<type>-loading` (§5), type being
// the binding's kind (click, submit, change, keydown, keyup, focus, blur).
export const LOADING_CLASS_PREFIX = 'phx-';
export const LOADING_CLASS_SUFFIX = '-loading';
export const CLASS_CLICK_LOADING = 'phx-click-loading';
export const CLASS_SUBMIT_LOADING = 'phx-submit-loading';
export const CLASS_CHANGE_LOADING = 'phx-change-loading';
export const CLASS_KEYDOWN_LOADING = 'phx-keydown-loading';
export const CLASS_KEYUP_LOADING = 'phx-keyup-loading';
export const CLASS_FOCUS_LOADING = 'phx-focus-loading';
export const CLASS_BLUR_LOADING = 'phx-blur-loading';

/** DOM events the client dispatches are named `phx:NAME` (§3: `error`, `events`). */
export const DOM_EVENT_PREFIX = 'phx:';

/** sessionStorage key of the last reload asked by `fatal` + `reload` (§8). */
export const RELOAD_KEY = 'phx:reload-at';
