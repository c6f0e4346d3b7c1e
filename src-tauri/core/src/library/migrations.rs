//! Versioned schema migrations, with a copy of the database taken before any of them runs.
//! Steps are only ever appended; the schema version is the number of steps applied.

use std::path::Path;

use rusqlite::Connection;
use rusqlite_migration::{Migrations, SchemaVersion, M};

use super::backups::copy_database;
use super::now_ms;
use crate::error::{Error, Result};

const STEPS: &[&str] = &[
    include_str!("migrations/0001_initial.sql"),
    include_str!("migrations/0002_usage_by_message.sql"),
    include_str!("migrations/0003_search_prefixes.sql"),
    include_str!("migrations/0004_search_index.sql"),
];

pub(super) fn migrate(conn: &mut Connection, backup_dir: &Path) -> Result<()> {
    migrate_steps(conn, STEPS, backup_dir)
}

fn migrate_steps(conn: &mut Connection, steps: &[&'static str], backup_dir: &Path) -> Result<()> {
    let migrations = Migrations::new(steps.iter().map(|sql| M::up(sql)).collect());
    let current = match migrations.current_version(conn)? {
        SchemaVersion::NoneSet => 0,
        SchemaVersion::Inside(v) => v.get(),
        SchemaVersion::Outside(v) => {
            return Err(Error::Storage(format!(
                "the library was written by a newer version of Nexhina Studio (schema {v}); update the app to open it"
            )))
        }
    };
    if current == steps.len() {
        return Ok(());
    }
    if current > 0 {
        backup(conn, backup_dir, current)?;
    }
    migrations.to_latest(conn)?;
    Ok(())
}

/// The online backup API copies a consistent snapshot even while another process has the
/// file open, with the same code as the daily backups.
fn backup(conn: &Connection, backup_dir: &Path, version: usize) -> Result<()> {
    let name = format!("library-schema{version}-{}.sqlite3", now_ms());
    copy_database(conn, backup_dir, &name, None).map_err(|e| match e {
        Error::Storage(why) => Error::Storage(format!("could not back up the library before upgrading it: {why}")),
        other => other,
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        Migrations::new(STEPS.iter().map(|sql| M::up(sql)).collect()).validate().unwrap();
    }

    #[test]
    fn upgrade_copies_the_database_first_and_keeps_every_row() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("library.sqlite3");
        let backups = dir.path().join("backups");
        let mut conn = Connection::open(&db).unwrap();
        migrate_steps(&mut conn, STEPS, &backups).unwrap();
        assert!(!backups.exists(), "a new library needs no backup");
        conn.execute(
            "INSERT INTO conversations (title, created_at, updated_at) VALUES ('keep me', 1, 1)",
            [],
        )
        .unwrap();

        let mut next: Vec<&'static str> = STEPS.to_vec();
        next.push("ALTER TABLE conversations ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;");
        migrate_steps(&mut conn, &next, &backups).unwrap();

        let title: String = conn.query_row("SELECT title FROM conversations WHERE archived = 0", [], |r| r.get(0)).unwrap();
        assert_eq!(title, "keep me");
        let copies: Vec<_> = std::fs::read_dir(&backups).unwrap().map(|e| e.unwrap().path()).collect();
        assert_eq!(copies.len(), 1);
        let copy = Connection::open(&copies[0]).unwrap();
        let old_title: String = copy.query_row("SELECT title FROM conversations", [], |r| r.get(0)).unwrap();
        assert_eq!(old_title, "keep me");
        let version: i64 = copy.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, STEPS.len() as i64);
    }

    #[test]
    fn the_copy_is_the_database_page_for_page() {
        // The online backup API copies pages as they are, free ones included; VACUUM INTO
        // would have written a compacted file.
        let dir = tempfile::tempdir().unwrap();
        let backups = dir.path().join("backups");
        let mut conn = Connection::open(dir.path().join("library.sqlite3")).unwrap();
        migrate_steps(&mut conn, STEPS, &backups).unwrap();
        conn.execute_batch(
            "CREATE TABLE scratch (b BLOB);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 64)
             INSERT INTO scratch SELECT randomblob(3000) FROM n;
             DELETE FROM scratch;",
        )
        .unwrap();
        let pragma = |c: &Connection, name: &str| -> i64 { c.query_row(&format!("PRAGMA {name}"), [], |r| r.get(0)).unwrap() };
        let (pages, free) = (pragma(&conn, "page_count"), pragma(&conn, "freelist_count"));
        assert!(free > 0);

        let mut next: Vec<&'static str> = STEPS.to_vec();
        next.push("CREATE TABLE later (x INTEGER);");
        migrate_steps(&mut conn, &next, &backups).unwrap();

        let copy = std::fs::read_dir(&backups).unwrap().map(|e| e.unwrap().path()).next().unwrap();
        let copy = Connection::open(copy).unwrap();
        assert_eq!((pragma(&copy, "page_count"), pragma(&copy, "freelist_count")), (pages, free));
    }

    #[test]
    fn a_newer_schema_is_refused_not_damaged() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let err = migrate_steps(&mut conn, STEPS, dir.path()).unwrap_err();
        assert!(err.to_string().contains("newer version"), "{err}");
    }
}
