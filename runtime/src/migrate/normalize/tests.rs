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
    assert_eq!(
        column_type(Postgres, "character varying(255)"),
        "varchar(255)"
    );
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
    assert_eq!(
        column_type(MySql, "enum('USER', 'Admin')"),
        "enum('USER','Admin')"
    );
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
    assert_ne!(
        expression(Postgres, "a - (b - c)"),
        expression(Postgres, "a - b - c")
    );
    assert_ne!(
        expression(Postgres, "(a OR b) AND c"),
        expression(Postgres, "a OR b AND c")
    );
    assert_ne!(
        expression(Postgres, "\"A\" > 0"),
        expression(Postgres, "a > 0")
    );
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
    same_expression(
        Sqlite,
        "\"role\" IN ('USER', 'ADMIN')",
        "role in ('USER','ADMIN')",
    );
}

/// What each database returned for the blog and shop schemas
/// (tests/tests/introspect.rs), beside what the models wrote.
#[test]
fn strings_read_back_from_the_databases() {
    for (dialect, model, database) in [
        (Postgres, "views >= 0", "((views >= 0))"),
        (Postgres, "'USER'", "'USER'::role"),
        (Postgres, "'each'", "'each'::text"),
        (Postgres, "-1", "'-1'::integer"),
        (Postgres, "FALSE", "false"),
        (Postgres, "1 + 1", "(1 + 1)"),
        (
            Postgres,
            "price_cents >= 0 AND weight_grams > 0",
            "(((price_cents >= 0) AND (weight_grams > (0)::double precision)))",
        ),
        (MySql, "CURRENT_DATE", "curdate()"),
        (MySql, "CURRENT_TIMESTAMP(6)", "current_timestamp(6)"),
        (MySql, "TRUE", "1"),
        (MySql, "(1 + 1)", "(1 + 1)"),
        (MySql, "quantity > 0", "`quantity` > 0"),
        (
            MySql,
            "price_cents >= 0 AND weight_grams > 0",
            "`price_cents` >= 0 and `weight_grams` > 0",
        ),
        (
            Sqlite,
            "(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
            "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
        ),
        (Sqlite, "(1 + 1)", "1 + 1"),
        (Sqlite, "TRUE", "TRUE"),
    ] {
        same_expression(dialect, model, database);
    }
    assert_eq!(
        column_type(Postgres, "timestamp with time zone"),
        "timestamptz"
    );
    assert_eq!(
        column_type(MySql, "enum('USER','ADMIN','MODERATOR')"),
        "enum('USER','ADMIN','MODERATOR')"
    );
}

#[test]
fn different_expressions_stay_different() {
    for (dialect, a, b) in [
        (Postgres, "views >= 0", "views > 0"),
        (Postgres, "'USER'", "'ADMIN'::role"),
        (MySql, "1", "2"),
        (Sqlite, "quantity < 10", "quantity <= 10"),
        (Sqlite, "'a'", "\"a\""),
    ] {
        assert_ne!(
            expression(dialect, a),
            expression(dialect, b),
            "{dialect:?}: {a} vs {b}"
        );
    }
}
