//! Pairs of spellings seen from each database, and what a model writes.

use super::{column_type, expression};
use crate::render::Dialect::{self, MySql, Postgres, Sqlite};

fn same_expression(dialect: Dialect, model: &str, database: &str) {
    assert_eq!(
        expression(dialect, model),
        expression(dialect, database),
        "{dialect:?}: {model:?} vs {database:?}"
    );
}

#[test]
fn postgres_types() {
    for (a, b) in [
        ("integer", "int4"),
        ("timestamptz", "timestamp with time zone"),
        ("timestamp", "timestamp without time zone"),
        ("varchar(255)", "character varying(255)"),
        ("double precision", "float8"),
        ("boolean", "bool"),
        ("numeric", "decimal"),
    ] {
        assert_eq!(column_type(Postgres, a), column_type(Postgres, b));
    }
    assert_eq!(column_type(Postgres, "character varying(255)"), "varchar(255)");
    assert_eq!(column_type(Postgres, "\"Role\""), "Role");
}

#[test]
fn mysql_types() {
    assert_eq!(column_type(MySql, "bigint(20)"), "bigint");
    assert_eq!(column_type(MySql, "int(11)"), "int");
    assert_eq!(column_type(MySql, "tinyint(1)"), "boolean");
    assert_eq!(column_type(MySql, "BOOLEAN"), "boolean");
    assert_eq!(column_type(MySql, "tinyint(4)"), "tinyint");
    assert_eq!(column_type(MySql, "DECIMAL(65, 30)"), "decimal(65,30)");
    assert_eq!(column_type(MySql, "enum('USER', 'Admin')"), "enum('USER','Admin')");
    assert_eq!(column_type(MySql, "LONGTEXT"), "longtext");
}

#[test]
fn sqlite_types_are_lower_case() {
    assert_eq!(column_type(Sqlite, "INTEGER"), "integer");
    assert_eq!(column_type(Sqlite, "VARCHAR(255)"), "varchar(255)");
}

#[test]
fn postgres_expressions() {
    same_expression(Postgres, "views >= 0", "((views >= 0))");
    same_expression(Postgres, "'DRAFT'", "'DRAFT'::post_status");
    same_expression(Postgres, "'{}'", "'{}'::jsonb");
    same_expression(Postgres, "now()", "CURRENT_TIMESTAMP");
    same_expression(Postgres, "\"email\" <> ''", "(email <> ''::text)");
    same_expression(Postgres, "a > 0 AND b > 0", "(((a > 0) AND (b > 0)))");
    same_expression(
        Postgres,
        "status IN ('a', 'b')",
        "((status)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[]))",
    );
    same_expression(Postgres, "-1", "'-1'::integer");
    same_expression(Postgres, "lower(email)", "lower(email)");
    assert_ne!(expression(Postgres, "a - (b - c)"), expression(Postgres, "a - b - c"));
    assert_ne!(expression(Postgres, "(a OR b) AND c"), expression(Postgres, "a OR b AND c"));
    assert_ne!(expression(Postgres, "\"A\" > 0"), expression(Postgres, "a > 0"));
}

#[test]
fn mysql_expressions() {
    same_expression(MySql, "FALSE", "0");
    same_expression(MySql, "CURRENT_TIMESTAMP(6)", "current_timestamp(6)");
    same_expression(MySql, "CURRENT_TIMESTAMP", "current_timestamp()");
    same_expression(MySql, "views >= 0", "`views` >= 0");
}

#[test]
fn sqlite_expressions() {
    same_expression(
        Sqlite,
        "(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
        "strftime('%Y-%m-%dT%H:%M:%fZ','now')",
    );
    same_expression(Sqlite, "\"role\" IN ('USER', 'ADMIN')", "role in ('USER','ADMIN')");
}
