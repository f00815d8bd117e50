-- The users of /users and /api/users. `email` is unique case-insensitively (the column's
-- NOCASE collation applies to its index): the database, not a check before the insert,
-- decides which of two racing sign-ups with one email wins. Timestamps are ISO 8601 UTC
-- text (`2026-11-23T10:00:00Z`), set by the app; only the password's hash is stored.
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL COLLATE NOCASE,
    name TEXT NOT NULL,
    hashed_password TEXT NOT NULL,
    is_admin BOOLEAN NOT NULL DEFAULT FALSE,
    confirmed_at TEXT,
    inserted_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE UNIQUE INDEX users_email_index ON users (email);
