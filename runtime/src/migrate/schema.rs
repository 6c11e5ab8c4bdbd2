//! The database schema as data: what a set of models asks for on one dialect,
//! and what introspection reads back from a live database. Both produce this
//! same description, so the diff between them (or between a migration's recorded
//! schema and the models) is a comparison of two values.
//!
//! Everything is owned and serialisable: a generated migration stores the schema
//! it leads to (`schema.json`), and the next `generate` diffs against it without
//! a database.
//!
//! Types are spelled canonically on both sides (`normalize::column_type`), so
//! they compare with `==`. Expressions (defaults, CHECKs, partial-index
//! predicates, index expressions) are kept as written, because that text is
//! what DDL renders, and databases rewrite them (PostgreSQL stores
//! `CHECK (views >= 0)` as `CHECK ((views >= 0))`); the diff compares them
//! through `normalize::expression`, never with `==` on the raw text.

use serde::{Deserialize, Serialize};

use crate::schema::ReferentialAction;

/// Every enum type and table of one database schema, each list sorted by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbSchema {
    /// PostgreSQL enum types. Empty on SQLite and MySQL, where an enum is a CHECK
    /// or a column type.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enums: Vec<EnumType>,
    pub tables: Vec<Table>,
}

impl DbSchema {
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }

    pub fn enum_type(&self, name: &str) -> Option<&EnumType> {
        self.enums.iter().find(|e| e.name == name)
    }

    /// Sorts every list into the canonical order, so two descriptions of the
    /// same schema are `==`. Columns keep table order: it is part of the table.
    pub fn sort(&mut self) {
        self.enums.sort_by(|a, b| a.name.cmp(&b.name));
        self.tables.sort_by(|a, b| a.name.cmp(&b.name));
        for table in &mut self.tables {
            table.uniques.sort_by(|a, b| a.name.cmp(&b.name));
            table.foreign_keys.sort_by(|a, b| a.name.cmp(&b.name));
            table.indexes.sort_by(|a, b| a.name.cmp(&b.name));
            table.checks.sort_by(|a, b| a.name.cmp(&b.name));
        }
    }
}

/// A PostgreSQL `CREATE TYPE .. AS ENUM`: labels in declaration order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnumType {
    pub name: String,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    pub name: String,
    /// In table order.
    pub columns: Vec<Column>,
    pub primary_key: Option<PrimaryKey>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uniques: Vec<Unique>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub foreign_keys: Vec<ForeignKey>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indexes: Vec<Index>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<Check>,
    /// PostgreSQL row-level security of a tenant table (`None` elsewhere).
    /// Boxed: most tables have none, and `Change::RebuildTable` holds two
    /// tables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row_level_security: Option<Box<TenantPolicy>>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// A tenant table under PostgreSQL row-level security: `ENABLE` and `FORCE`
/// (so the owner is held to it too), and one policy letting a row be read or
/// written only when its tenant column equals the transaction's
/// `app.tenant_id` setting (`crate::tenant`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantPolicy {
    /// `{table}_tenant_isolation`.
    pub name: String,
    pub column: String,
    /// The type the setting is cast to: the tenant column's canonical type.
    #[serde(rename = "type")]
    pub ty: String,
}

impl TenantPolicy {
    /// The policy strata names for `table`.
    pub fn name_for(table: &str) -> String {
        format!("{table}_tenant_isolation")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    /// The dialect's canonical spelling, lower case: `bigint`, `text`,
    /// `timestamp with time zone`, `varchar(255)`, a PostgreSQL enum type's
    /// name, MySQL `enum('a','b')`.
    #[serde(rename = "type")]
    pub ty: String,
    pub nullable: bool,
    /// The `DEFAULT` expression as written. `None` for no default and for
    /// generated keys (see `generated`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// A database-generated key: PostgreSQL identity, SQLite `AUTOINCREMENT`,
    /// MySQL `AUTO_INCREMENT`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub generated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrimaryKey {
    /// The constraint name where the dialect keeps one (PostgreSQL); `None`
    /// elsewhere (SQLite and MySQL name every primary key alike).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub columns: Vec<String>,
}

/// A `UNIQUE` constraint (a unique index on plain columns, without options,
/// declared by `unique`/`unique(fields(..))`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unique {
    pub name: String,
    pub columns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignKey {
    pub name: String,
    pub columns: Vec<String>,
    pub referenced_table: String,
    pub referenced_columns: Vec<String>,
    pub on_delete: Action,
    pub on_update: Action,
}

/// A referential action, owned and serialisable (`schema::ReferentialAction` is
/// the descriptor's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

impl Action {
    pub fn sql(self) -> &'static str {
        ReferentialAction::from(self).sql()
    }
}

impl From<ReferentialAction> for Action {
    fn from(action: ReferentialAction) -> Self {
        match action {
            ReferentialAction::NoAction => Action::NoAction,
            ReferentialAction::Restrict => Action::Restrict,
            ReferentialAction::Cascade => Action::Cascade,
            ReferentialAction::SetNull => Action::SetNull,
            ReferentialAction::SetDefault => Action::SetDefault,
        }
    }
}

impl From<Action> for ReferentialAction {
    fn from(action: Action) -> Self {
        match action {
            Action::NoAction => ReferentialAction::NoAction,
            Action::Restrict => ReferentialAction::Restrict,
            Action::Cascade => ReferentialAction::Cascade,
            Action::SetNull => ReferentialAction::SetNull,
            Action::SetDefault => ReferentialAction::SetDefault,
        }
    }
}

/// `CREATE [UNIQUE] INDEX name ON table [USING method] (parts) [INCLUDE (..)] [WHERE ..]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    pub name: String,
    pub parts: Vec<IndexPart>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub unique: bool,
    /// The access method, lower case (`gin`, `gist`, `brin`, `hash`); `None` is
    /// the dialect's default (b-tree).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Covering columns (PostgreSQL `INCLUDE`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// A partial index's `WHERE` predicate, as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicate: Option<String>,
}

/// One key of an index: a column with its sort order, or an expression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndexPart {
    Column {
        name: String,
        #[serde(default, skip_serializing_if = "is_false")]
        descending: bool,
    },
    /// An expression key such as `lower(email)`, as written.
    Expression(String),
}

/// A named `CHECK (expression)` constraint, the expression as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    pub expression: String,
}

fn is_false(value: &bool) -> bool {
    !*value
}
