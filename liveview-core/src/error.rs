//! The error type of view callbacks.

/// Any error a view callback returns. Like axum's and tower's `BoxError`, it lets `?`
/// work on every error type; the process logs it and ends the view (the client rejoins).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The result of a view callback.
pub type Result<T, E = BoxError> = std::result::Result<T, E>;
