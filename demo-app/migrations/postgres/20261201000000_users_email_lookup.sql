-- Nothing to do on PostgreSQL: users_email_index, on lower(email), already serves the
-- lookups that SQLite's migration of this version adds an index for. Kept so both sets
-- have the same versions.
SELECT 1;
