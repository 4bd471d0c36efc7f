//! The one error type of the store: every variant names the database path.

use std::path::PathBuf;

/// What can go wrong with the store. Every message names the database file, so the CLI can
/// print it as one sentence.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The directory that should hold the database could not be created.
    #[error("cannot create the directory {dir} for the database {path}: {source}; pass --db PATH to choose another place")]
    CreateDir {
        /// The database path asked for.
        path: PathBuf,
        /// The directory that could not be created.
        dir: PathBuf,
        /// The I/O error behind it.
        #[source]
        source: std::io::Error,
    },
    /// The database file could not be created (privately, mode 0600).
    #[error("cannot create the database {path}: {source}; check that the directory is writable, or pass --db PATH")]
    Create {
        /// The database path.
        path: PathBuf,
        /// The I/O error behind it.
        #[source]
        source: std::io::Error,
    },
    /// SQLite could not open (or create) the file.
    #[error("cannot open the database {path}: {source}; check that the directory exists and is writable, or pass --db PATH")]
    Open {
        /// The database path.
        path: PathBuf,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// A read-only open of a database that does not exist.
    #[error("the database {path} does not exist; record something with `leakscope watch` first, or pass --db PATH")]
    NotFound {
        /// The database path.
        path: PathBuf,
    },
    /// The file is not an SQLite database, or it is corrupt.
    #[error("{path} is not a readable leakscope database (not SQLite, or corrupt): {source}")]
    NotADatabase {
        /// The database path.
        path: PathBuf,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// The file is an SQLite database that belongs to some other program.
    #[error("{path} is an SQLite database but not a leakscope one ({why}); refusing to touch it, pass another --db PATH")]
    Foreign {
        /// The database path.
        path: PathBuf,
        /// What gave it away.
        why: String,
    },
    /// The schema is newer than this build understands; nothing was changed.
    #[error("the database {path} has schema version {found}, newer than this leakscope understands (up to {supported}); upgrade leakscope. The file was not changed")]
    TooNew {
        /// The database path.
        path: PathBuf,
        /// The `user_version` found in the file.
        found: i64,
        /// The newest schema version this build knows.
        supported: i64,
    },
    /// A read-only open of a file that has no leakscope schema yet.
    #[error("the database {path} is empty (no leakscope schema yet); record something with `leakscope watch` first")]
    Uninitialized {
        /// The database path.
        path: PathBuf,
    },
    /// No such target in the database.
    #[error("the database {path} has no target named {target:?}")]
    NoSuchTarget {
        /// The database path.
        path: PathBuf,
        /// The target name asked for.
        target: String,
    },
    /// The target exists but has no such series.
    #[error("the database {path} has no series {field:?} for target {target:?}")]
    NoSuchSeries {
        /// The database path.
        path: PathBuf,
        /// The target name asked for.
        target: String,
        /// The field asked for.
        field: String,
    },
    /// A [`crate::TargetId`] that this database never handed out.
    #[error("the database {path} has no target with id {id}")]
    UnknownTargetId {
        /// The database path.
        path: PathBuf,
        /// The id.
        id: i64,
    },
    /// A stored chunk or log row does not decode (the file was damaged or written by
    /// something else).
    #[error("the database {path} holds damaged data ({what}); `PRAGMA integrity_check` may say more, or start a new --db PATH")]
    Damaged {
        /// The database path.
        path: PathBuf,
        /// What did not decode.
        what: String,
    },
    /// Any other SQLite failure (disk full, locked past the busy timeout, I/O error).
    #[error("database {path}: {source}")]
    Sqlite {
        /// The database path.
        path: PathBuf,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
}

impl StoreError {
    /// Wrap a SQLite error, telling corruption ("not a database", "malformed") apart from the rest.
    pub(crate) fn sql(path: &std::path::Path, source: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        let path = path.to_path_buf();
        match source.sqlite_error_code() {
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => {
                StoreError::NotADatabase { path, source }
            }
            _ => StoreError::Sqlite { path, source },
        }
    }
}

/// A failure inside the store before the database path is attached.
#[derive(Debug)]
pub(crate) enum Fail {
    Sql(rusqlite::Error),
    Damaged(&'static str),
}

impl From<rusqlite::Error> for Fail {
    fn from(e: rusqlite::Error) -> Self {
        Fail::Sql(e)
    }
}

impl From<rusqlite::types::FromSqlError> for Fail {
    fn from(_: rusqlite::types::FromSqlError) -> Self {
        Fail::Damaged("a blob column holds another type")
    }
}

impl From<crate::codec::Corrupt> for Fail {
    fn from(e: crate::codec::Corrupt) -> Self {
        Fail::Damaged(e.0)
    }
}

impl Fail {
    /// The error for the database at `path`.
    pub(crate) fn at(self, path: &std::path::Path) -> StoreError {
        match self {
            Fail::Sql(e) => StoreError::sql(path, e),
            Fail::Damaged(what) => StoreError::Damaged {
                path: path.to_path_buf(),
                what: what.to_owned(),
            },
        }
    }
}
