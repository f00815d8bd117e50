-- The /chat messages. `inserted_at` is Unix time in milliseconds, set by the app, so the
-- same column works on every database.
CREATE TABLE messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    inserted_at BIGINT NOT NULL
);
