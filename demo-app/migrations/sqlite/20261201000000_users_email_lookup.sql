-- The app looks users up by `lower(email) = lower($1)`, the one query that is
-- case-insensitive on PostgreSQL too; this index serves it (the NOCASE unique index on
-- `email` still enforces uniqueness). PostgreSQL's users_email_index does both.
CREATE INDEX users_email_lower_index ON users (lower(email));
