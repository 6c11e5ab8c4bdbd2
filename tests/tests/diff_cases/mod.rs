//! The change cases `diff_snapshots.rs` snapshots and `generate.rs` applies
//! to real databases: a small `users`/`posts` schema (`base`), changed one
//! thing at a time.
#![allow(dead_code)] // each test file uses its own part

use strata::migrate::diff::DiffOptions;
use strata::migrate::{
    Action, Check, Column, DbSchema, EnumType, ForeignKey, Index, IndexPart, PrimaryKey, Table,
    Unique,
};
use strata::Dialect;

fn ty(d: Dialect, kind: &str) -> String {
    match (d, kind) {
        (Dialect::Postgres, "id") => "bigint",
        (Dialect::Sqlite, "id" | "int" | "bigint") => "integer",
        (Dialect::MySql, "id") => "bigint",
        (Dialect::Postgres | Dialect::Sqlite, "string") => "text",
        (Dialect::MySql, "string") => "varchar(255)",
        (Dialect::Postgres, "int") => "integer",
        (Dialect::MySql, "int") => "int",
        (_, "bigint") => "bigint",
        (Dialect::Postgres, "json") => "jsonb",
        (Dialect::Sqlite, "json") => "text",
        (Dialect::MySql, "json") => "json",
        _ => kind,
    }
    .into()
}

fn column(name: &str, ty: String, nullable: bool, default: Option<&str>) -> Column {
    Column {
        name: name.into(),
        ty,
        nullable,
        default: default.map(Into::into),
        generated: false,
    }
}

fn status_type(d: Dialect, labels: &[&str]) -> String {
    match d {
        Dialect::Postgres => "post_status".into(),
        Dialect::MySql => format!(
            "enum({})",
            labels
                .iter()
                .map(|l| format!("'{l}'"))
                .collect::<Vec<_>>()
                .join(",")
        ),
        Dialect::Sqlite => "text".into(),
    }
}

/// PostgreSQL's enum type, MySQL's enum column, SQLite's CHECK.
fn set_status_labels(s: &mut DbSchema, d: Dialect, labels: &[&str]) {
    if d == Dialect::Postgres {
        s.enums = vec![EnumType {
            name: "post_status".into(),
            values: labels.iter().map(|l| l.to_string()).collect(),
        }];
    }
    let posts = table_mut(s, "posts");
    if let Some(c) = posts.columns.iter_mut().find(|c| c.name == "status") {
        c.ty = status_type(d, labels);
    }
    posts.checks.retain(|c| c.name != "posts_status_enum_check");
    if d == Dialect::Sqlite {
        let list: Vec<String> = labels.iter().map(|l| format!("'{l}'")).collect();
        posts.checks.push(Check {
            name: "posts_status_enum_check".into(),
            expression: format!("\"status\" IN ({})", list.join(", ")),
        });
    }
    s.sort();
}

fn key(table: &str, d: Dialect) -> Option<PrimaryKey> {
    Some(PrimaryKey {
        name: (d == Dialect::Postgres).then(|| format!("{table}_pkey")),
        columns: vec!["id".into()],
    })
}

pub fn base(d: Dialect) -> DbSchema {
    let mut id = column("id", ty(d, "id"), false, None);
    id.generated = true;
    let users = Table {
        name: "users".into(),
        columns: vec![
            id.clone(),
            column("email", ty(d, "string"), false, None),
            column("name", ty(d, "string"), true, None),
        ],
        primary_key: key("users", d),
        uniques: vec![Unique {
            name: "users_email_key".into(),
            columns: vec!["email".into()],
        }],
        foreign_keys: vec![],
        indexes: vec![],
        checks: vec![],
        row_level_security: None,
    };
    let posts = Table {
        name: "posts".into(),
        columns: vec![
            id,
            column("user_id", ty(d, "id"), false, None),
            column("title", ty(d, "string"), false, None),
            column("views", ty(d, "int"), false, Some("0")),
            column("status", status_type(d, &[]), false, Some("'DRAFT'")),
            column("metadata", ty(d, "json"), true, None),
        ],
        primary_key: key("posts", d),
        uniques: vec![],
        foreign_keys: vec![ForeignKey {
            name: "posts_user_id_fkey".into(),
            columns: vec!["user_id".into()],
            referenced_table: "users".into(),
            referenced_columns: vec!["id".into()],
            on_delete: Action::Cascade,
            on_update: Action::NoAction,
        }],
        indexes: vec![index("posts_user_id_idx", &["user_id"])],
        checks: vec![],
        row_level_security: None,
    };
    let mut schema = DbSchema {
        enums: vec![],
        tables: vec![posts, users],
    };
    set_status_labels(&mut schema, d, &["DRAFT", "PUBLISHED"]);
    schema
}

fn index(name: &str, columns: &[&str]) -> Index {
    Index {
        name: name.into(),
        parts: (columns.iter())
            .map(|c| IndexPart::Column {
                name: (*c).into(),
                descending: false,
            })
            .collect(),
        unique: false,
        method: None,
        include: vec![],
        predicate: None,
    }
}

fn table_mut<'a>(s: &'a mut DbSchema, name: &str) -> &'a mut Table {
    s.tables
        .iter_mut()
        .find(|t| t.name == name)
        .expect("a table of the base schema")
}

fn column_mut<'a>(s: &'a mut DbSchema, table: &str, name: &str) -> &'a mut Column {
    (table_mut(s, table).columns.iter_mut())
        .find(|c| c.name == name)
        .expect("a column of the base schema")
}

pub type Edit = fn(&mut DbSchema, Dialect);

/// One change to the base schema.
pub struct Case {
    pub name: &'static str,
    pub edit: Edit,
    pub options: DiffOptions,
    pub dialects: &'static [Dialect],
}

impl Case {
    /// The base schema and the changed one on `d`.
    pub fn schemas(&self, d: Dialect) -> (DbSchema, DbSchema) {
        let from = base(d);
        let mut to = from.clone();
        (self.edit)(&mut to, d);
        to.sort();
        (from, to)
    }
}

fn case(
    cases: &mut Vec<Case>,
    name: &'static str,
    edit: Edit,
    options: DiffOptions,
    dialects: &'static [Dialect],
) {
    cases.push(Case {
        name,
        edit,
        options,
        dialects,
    });
}

pub const ALL: [Dialect; 3] = [Dialect::Postgres, Dialect::Sqlite, Dialect::MySql];

fn allow() -> DiffOptions {
    DiffOptions {
        allow_data_loss: true,
        ..DiffOptions::default()
    }
}

fn rename(hint: &str) -> DiffOptions {
    DiffOptions {
        renames: vec![hint.parse().expect("a rename hint")],
        allow_data_loss: false,
    }
}

fn columns(cases: &mut Vec<Case>) {
    let none = DiffOptions::default;
    case(
        cases,
        "add_column_nullable",
        |s, d| {
            table_mut(s, "users")
                .columns
                .push(column("bio", ty(d, "string"), true, None))
        },
        none(),
        &ALL,
    );
    case(
        cases,
        "add_column_not_null_default",
        |s, d| {
            table_mut(s, "users")
                .columns
                .push(column("credits", ty(d, "int"), false, Some("0")))
        },
        none(),
        &ALL,
    );
    case(
        cases,
        "add_column_not_null_without_default",
        |s, d| {
            table_mut(s, "users")
                .columns
                .push(column("credits", ty(d, "int"), false, None))
        },
        none(),
        &ALL,
    );
    case(
        cases,
        "drop_column_refused",
        |s, _| table_mut(s, "users").columns.retain(|c| c.name != "name"),
        none(),
        &ALL,
    );
    case(
        cases,
        "drop_column_allowed",
        |s, _| table_mut(s, "users").columns.retain(|c| c.name != "name"),
        allow(),
        &ALL,
    );
    case(
        cases,
        "rename_column_with_hint",
        |s, _| column_mut(s, "users", "name").name = "full_name".into(),
        rename("users.name=full_name"),
        &ALL,
    );
    case(
        cases,
        "rename_column_without_hint",
        |s, _| column_mut(s, "users", "name").name = "full_name".into(),
        none(),
        &ALL,
    );
    case(
        cases,
        "change_type_widening",
        |s, d| column_mut(s, "posts", "views").ty = ty(d, "bigint"),
        none(),
        &ALL,
    );
    case(
        cases,
        "change_type_narrowing_refused",
        |s, d| column_mut(s, "posts", "title").ty = ty(d, "int"),
        none(),
        &ALL,
    );
    case(
        cases,
        "set_not_null",
        |s, _| column_mut(s, "users", "name").nullable = false,
        none(),
        &ALL,
    );
    case(
        cases,
        "drop_not_null_and_default",
        |s, _| {
            let views = column_mut(s, "posts", "views");
            views.nullable = true;
            views.default = None;
        },
        none(),
        &ALL,
    );
}

/// A column defaulting to the current time, as the models declare one.
fn created_at(d: Dialect) -> Column {
    let (ty, now) = match d {
        Dialect::Postgres => ("timestamptz", "CURRENT_TIMESTAMP"),
        Dialect::MySql => ("datetime(6)", "CURRENT_TIMESTAMP(6)"),
        Dialect::Sqlite => ("text", "(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"),
    };
    column("created_at", ty.into(), false, Some(now))
}

fn indexes_and_constraints(cases: &mut Vec<Case>) {
    let none = DiffOptions::default;
    case(
        cases,
        "add_index",
        |s, _| {
            table_mut(s, "posts")
                .indexes
                .push(index("posts_title_idx", &["title"]))
        },
        none(),
        &ALL,
    );
    case(
        cases,
        "add_unique",
        |s, _| {
            table_mut(s, "users").uniques.push(Unique {
                name: "users_name_key".into(),
                columns: vec!["name".into()],
            })
        },
        none(),
        &ALL,
    );
    case(
        cases,
        "change_index",
        |s, _| {
            let posts = table_mut(s, "posts");
            posts.indexes = vec![index("posts_user_id_idx", &["user_id", "title"])];
        },
        none(),
        &ALL,
    );
    case(
        cases,
        "postgres_index_kinds",
        |s, _| {
            let posts = table_mut(s, "posts");
            let mut partial = index("posts_published_idx", &["title"]);
            partial.predicate = Some("status = 'PUBLISHED'".into());
            let mut covering = index("posts_user_id_covering_idx", &["user_id"]);
            covering.include = vec!["title".into()];
            let mut expression = index("posts_title_lower_idx", &[]);
            expression.parts = vec![IndexPart::Expression("lower(title)".into())];
            expression.unique = true;
            let mut gin = index("posts_metadata_idx", &["metadata"]);
            gin.method = Some("gin".into());
            posts.indexes.extend([partial, covering, expression, gin]);
        },
        none(),
        &[Dialect::Postgres],
    );
    case(
        cases,
        "add_foreign_key",
        |s, d| {
            let posts = table_mut(s, "posts");
            posts
                .columns
                .push(column("editor_id", ty(d, "id"), true, None));
            posts
                .indexes
                .push(index("posts_editor_id_idx", &["editor_id"]));
            posts.foreign_keys.push(ForeignKey {
                name: "posts_editor_id_fkey".into(),
                columns: vec!["editor_id".into()],
                referenced_table: "users".into(),
                referenced_columns: vec!["id".into()],
                on_delete: Action::SetNull,
                on_update: Action::NoAction,
            });
        },
        none(),
        &ALL,
    );
    case(
        cases,
        "change_foreign_key_action",
        |s, _| table_mut(s, "posts").foreign_keys[0].on_delete = Action::Restrict,
        none(),
        &ALL,
    );
    case(
        cases,
        "add_check",
        |s, _| {
            table_mut(s, "posts").checks.push(Check {
                name: "posts_views_check".into(),
                expression: "views >= 0".into(),
            })
        },
        none(),
        &ALL,
    );
}

fn enums_and_tables(cases: &mut Vec<Case>) {
    let none = DiffOptions::default;
    case(
        cases,
        "add_column_default_now",
        |s, d| table_mut(s, "users").columns.push(created_at(d)),
        none(),
        &ALL,
    );
    case(
        cases,
        "change_primary_key",
        |s, _| {
            if let Some(key) = &mut table_mut(s, "posts").primary_key {
                key.columns.push("user_id".into());
            }
        },
        none(),
        // SQLite's AUTOINCREMENT key cannot be part of a composite key.
        &[Dialect::Postgres, Dialect::MySql],
    );
    case(
        cases,
        "rename_table_with_hint",
        |s, _| rename_users(s),
        rename("users=accounts"),
        &ALL,
    );
    case(
        cases,
        "rename_table_without_hint",
        |s, _| rename_users(s),
        none(),
        &ALL,
    );
    case(
        cases,
        "add_enum_value",
        |s, d| set_status_labels(s, d, &["DRAFT", "PUBLISHED", "ARCHIVED"]),
        none(),
        &ALL,
    );
    case(
        cases,
        "drop_enum_value",
        |s, d| set_status_labels(s, d, &["DRAFT"]),
        allow(),
        &ALL,
    );
    case(
        cases,
        "create_table",
        |s, d| {
            let mut id = column("id", ty(d, "id"), false, None);
            id.generated = true;
            s.tables.push(Table {
                name: "comments".into(),
                columns: vec![
                    id,
                    column("post_id", ty(d, "id"), false, None),
                    column("body", ty(d, "string"), false, None),
                ],
                primary_key: key("comments", d),
                uniques: vec![],
                foreign_keys: vec![ForeignKey {
                    name: "comments_post_id_fkey".into(),
                    columns: vec!["post_id".into()],
                    referenced_table: "posts".into(),
                    referenced_columns: vec!["id".into()],
                    on_delete: Action::Cascade,
                    on_update: Action::NoAction,
                }],
                indexes: vec![index("comments_post_id_idx", &["post_id"])],
                checks: vec![],
                row_level_security: None,
            });
        },
        none(),
        &ALL,
    );
    case(
        cases,
        "drop_table_refused",
        |s, _| s.tables.retain(|t| t.name != "posts"),
        none(),
        &ALL,
    );
    case(
        cases,
        "drop_table_allowed",
        |s, _| s.tables.retain(|t| t.name != "posts"),
        allow(),
        &ALL,
    );
}

/// Every case, in a fixed order.
pub fn all() -> Vec<Case> {
    let mut cases = Vec::new();
    columns(&mut cases);
    indexes_and_constraints(&mut cases);
    enums_and_tables(&mut cases);
    cases
}

/// `users` renamed `accounts`; what references it follows.
fn rename_users(s: &mut DbSchema) {
    table_mut(s, "users").name = "accounts".into();
    for fk in table_mut(s, "posts").foreign_keys.iter_mut() {
        fk.referenced_table = "accounts".into();
    }
}
