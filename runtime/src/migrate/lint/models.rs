//! strata's model-aware rules: what a migration does to tables and columns
//! the models still map, which no SQL-only linter can know. They read the
//! [`Change`]s every dialect's reader produces, so they apply everywhere.

use super::changes::{created_before, rebuilt, same_name, Change, ChangeKind};
use super::recipes;
use super::RawFinding;
use crate::render::Dialect;
use crate::schema::{IndexPartSchema, ModelSchema};

/// `models` and the generated join tables of their implicit `many_to_many`
/// relations, each once (the same walk as `render::ddl`'s, over the same
/// descriptors): a join table is mapped too.
pub(super) fn with_join_tables(models: &[&'static ModelSchema]) -> Vec<&'static ModelSchema> {
    let mut all = models.to_vec();
    let joins = (models.iter())
        .flat_map(|m| m.relations)
        .filter(|r| r.implicit_join)
        .filter_map(|r| r.join.map(|join| join()));
    for join in joins {
        if !all.iter().any(|m| m.table == join.table) {
            all.push(join);
        }
    }
    all
}

pub(super) fn check(
    changes: &[Change],
    models: &[&'static ModelSchema],
    dialect: Dialect,
) -> Vec<RawFinding> {
    let rules = Rules {
        changes,
        models,
        dialect,
    };
    let mut out = Vec::new();
    for change in changes {
        rules.check(change, &mut out);
    }
    out
}

struct Rules<'a> {
    changes: &'a [Change],
    models: &'a [&'static ModelSchema],
    dialect: Dialect,
}

impl Rules<'_> {
    fn check(&self, change: &Change, out: &mut Vec<RawFinding>) {
        let at = change.statement;
        let existing = !created_before(self.changes, change.kind.table(), at);
        let mut report = |rule: &str, message: String, recipe: &str| {
            out.push(RawFinding {
                statement: at,
                rule: rule.into(),
                severity: recipes::severity(rule),
                message,
                recipe: recipe.into(),
            })
        };
        let sql_only = self.dialect != Dialect::Postgres;
        match &change.kind {
            ChangeKind::DropColumn { table, column } if existing => {
                if let Some(model) = self.model(table).filter(|m| maps(m, column)) {
                    report("mapped-column-removed", format!("Model `{}` still maps `{table}.{column}`: every query of `{}` names the column, so from this statement on {}, in the new release and in the instances of the previous one still running during the deploy.", model.name, model.name, self.no_column()), recipes::CONTRACT_COLUMN);
                } else if sql_only {
                    report("ban-drop-column", format!("Dropping `{table}.{column}` breaks any code still reading or writing it, such as instances of the previous release during the deploy."), recipes::CONTRACT_COLUMN);
                }
            }
            ChangeKind::RenameColumn { table, from, to } if existing => {
                if let Some(model) = self.model(table).filter(|m| maps(m, from)) {
                    report("mapped-column-removed", format!("Model `{}` still maps `{table}.{from}`, which this renames to `{to}`: every query of `{}` names it, so from this statement on {}.", model.name, model.name, self.no_column()), recipes::RENAME_COLUMN);
                }
                let why = match self.model(table).filter(|m| maps(m, to)) {
                    Some(model) => format!("Model `{}` maps `{to}`, but instances of the previous release, still running during the deploy, name `{from}` in their queries, so once this runs {} (and the new release breaks the same way if it starts first).", model.name, self.no_column()),
                    None => format!("Renaming `{table}.{from}` to `{to}` in one step: code naming `{from}` fails from the moment this runs, code naming `{to}` until it has, and a rolling deploy always runs one of them."),
                };
                report("rename-in-one-step", why, recipes::RENAME_COLUMN);
            }
            ChangeKind::DropTable { table } if existing && !rebuilt(self.changes, table, at) => {
                if let Some(model) = self.model(table) {
                    report("mapped-table-removed", format!("Model `{}` still maps table `{table}`: every query of `{}` fails with {} from this statement on, in both releases.", model.name, model.name, self.no_table()), recipes::CONTRACT_TABLE);
                } else if sql_only {
                    report("ban-drop-table", format!("Dropping `{table}` breaks any code still using it, such as instances of the previous release during the deploy."), recipes::CONTRACT_TABLE);
                }
            }
            ChangeKind::RenameTable { from, to } if existing => {
                if let Some(model) = self.model(from) {
                    report("mapped-table-removed", format!("Model `{}` still maps table `{from}`, which this renames to `{to}`: every query of `{}` fails from this statement on.", model.name, model.name), recipes::RENAME_TABLE);
                }
            }
            ChangeKind::AddColumn {
                table,
                column,
                not_null: true,
                has_default: false,
            } if existing => {
                let populated = match self.model(table) {
                    Some(model) => format!(
                        "`{table}` is model `{}`'s table, so it has rows. ",
                        model.name
                    ),
                    None => format!(
                        "`{table}` was created by an earlier migration, so it may have rows. "
                    ),
                };
                report(
                    "not-null-without-default",
                    format!("{populated}{}", self.not_null_consequence(column)),
                    recipes::NOT_NULL_COLUMN,
                );
            }
            ChangeKind::AddForeignKey { table, columns }
                if existing && self.dialect != Dialect::MySql && !self.indexed(table, columns) =>
            {
                report("fk-without-index", format!("No index of `{table}` starts with ({}): every DELETE or key UPDATE on the referenced table scans `{table}` to check or cascade the key, holding its locks meanwhile, slower as the table grows.", columns.join(", ")), recipes::FK_INDEX);
            }
            _ => {}
        }
    }

    /// What queries naming a column that is gone do.
    fn no_column(&self) -> &'static str {
        match self.dialect {
            Dialect::Postgres => "they fail with `column .. does not exist`",
            Dialect::MySql => "they fail with `Unknown column ..`",
            // SQLite reads a double-quoted name it cannot resolve as a string
            // literal: reads do not fail, they return wrong values.
            Dialect::Sqlite => "writes fail with `no such column` and reads return the column's name as its value (SQLite takes a double-quoted name it cannot resolve for a string literal)",
        }
    }

    fn no_table(&self) -> &'static str {
        match self.dialect {
            Dialect::Postgres => "`relation .. does not exist`",
            Dialect::MySql => "`Table .. doesn't exist`",
            Dialect::Sqlite => "`no such table`",
        }
    }

    fn not_null_consequence(&self, column: &str) -> String {
        let old_inserts = format!("Code of the previous release inserts rows without `{column}`");
        match self.dialect {
            Dialect::Postgres => format!("PostgreSQL refuses a NOT NULL column without a default on a table with rows (they would hold NULL), so the migration fails there; and where it succeeds, {} and those INSERTs fail.", lower_first(&old_inserts)),
            Dialect::MySql => format!("MySQL fills existing rows with the type's implicit default (0, '') without a word; {}, and in strict mode those INSERTs fail with `Field '{column}' doesn't have a default value`.", lower_first(&old_inserts)),
            Dialect::Sqlite => format!("SQLite refuses it on a table with rows (`Cannot add a NOT NULL column with default value NULL`); and where it succeeds, {} and those INSERTs fail.", lower_first(&old_inserts)),
        }
    }

    fn model(&self, table: &str) -> Option<&'static ModelSchema> {
        self.models
            .iter()
            .copied()
            .find(|m| same_name(m.table, table))
    }

    /// Whether some index on `table`, declared by its model or built in this
    /// file, starts with `columns` (in any order: equality lookups on all of
    /// them use it either way).
    fn indexed(&self, table: &str, columns: &[String]) -> bool {
        let leads = |index: &[&str]| {
            index.get(..columns.len()).is_some_and(|prefix| {
                (columns.iter()).all(|c| prefix.iter().any(|p| same_name(p, c)))
            })
        };
        let in_file = self.changes.iter().any(|c| match &c.kind {
            ChangeKind::AddIndex {
                table: t,
                columns: cols,
            } if same_name(t, table) => leads(&cols.iter().map(String::as_str).collect::<Vec<_>>()),
            _ => false,
        });
        in_file
            || self
                .model(table)
                .is_some_and(|m| model_indexes(m, self.dialect).iter().any(|p| leads(p)))
    }
}

fn maps(model: &ModelSchema, column: &str) -> bool {
    model.columns.iter().any(|c| same_name(c.name, column))
}

/// The leading plain columns of every index the model declares on
/// `dialect`, keys included. Partial indexes serve only some rows: left out.
fn model_indexes(model: &ModelSchema, dialect: Dialect) -> Vec<Vec<&'static str>> {
    let names = |columns: &[usize]| -> Vec<&'static str> {
        (columns.iter())
            .map_while(|i| model.columns.get(*i).map(|c| c.name))
            .collect()
    };
    let keys = model.keys().map(|k| names(k.columns));
    let indexes = (model.indexes.iter())
        .filter(|i| i.exists_on(dialect) && i.predicate.is_none())
        .map(|i| {
            (i.parts.iter())
                .map_while(|part| match part {
                    IndexPartSchema::Column { column, .. } => model.columns.get(*column),
                    IndexPartSchema::Expression(_) => None,
                })
                .map(|c| c.name)
                .collect()
        });
    keys.chain(indexes).collect()
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
