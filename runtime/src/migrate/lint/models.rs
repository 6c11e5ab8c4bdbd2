//! strata's model-aware rules: what a migration does to tables and columns
//! the models still map, which no SQL-only linter can know. They read the
//! [`Change`]s every dialect's reader produces, so they apply everywhere.

use super::changes::{created_before, rebuilt, same_name, Change, ChangeKind};
use super::recipes;
use super::RawFinding;
use crate::render::Dialect;
use crate::schema::{IndexPartSchema, ModelSchema};

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

/// A rule's verdict on one change: its name, why, and the recipe.
type Said = (&'static str, String, &'static str);

impl Rules<'_> {
    fn check(&self, change: &Change, out: &mut Vec<RawFinding>) {
        let at = change.statement;
        // A table this file creates is empty and unused: nothing to break.
        if created_before(self.changes, change.kind.table(), at) {
            return;
        }
        let said: Vec<Said> = match &change.kind {
            ChangeKind::DropColumn { table, column } => self.dropped_column(table, column),
            ChangeKind::RenameColumn { table, from, to } => self.renamed_column(table, from, to),
            ChangeKind::DropTable { table } if !rebuilt(self.changes, table, at) => {
                self.dropped_table(table)
            }
            ChangeKind::RenameTable { from, to } if !rebuilt(self.changes, from, at) => {
                self.renamed_table(from, to)
            }
            ChangeKind::AddColumn {
                table,
                column,
                not_null: true,
                has_default: false,
            } => vec![self.required_column(table, column)],
            ChangeKind::AddForeignKey { table, columns } => self.foreign_key(table, columns),
            _ => Vec::new(),
        };
        out.extend(said.into_iter().map(|(rule, message, recipe)| RawFinding {
            statement: at,
            rule: rule.into(),
            severity: recipes::severity(rule),
            message,
            recipe: recipe.into(),
        }));
    }

    /// `mapped-column-removed`, or (MySQL, SQLite, where squawk does not run)
    /// `ban-drop-column` for a column no model maps.
    fn dropped_column(&self, table: &str, column: &str) -> Vec<Said> {
        let said = match self.mapping(table, column) {
            Some(model) => (
                "mapped-column-removed",
                format!(
                    "Model `{model}` still maps `{table}.{column}`: every query of `{model}` \
                     names the column, so from this statement on {}, in the new release and in \
                     the instances of the previous one still running during the deploy.",
                    self.no_column()
                ),
                recipes::CONTRACT_COLUMN,
            ),
            None if self.dialect != Dialect::Postgres => (
                "ban-drop-column",
                format!(
                    "Dropping `{table}.{column}` breaks any code still reading or writing it, \
                     such as instances of the previous release during the deploy."
                ),
                recipes::CONTRACT_COLUMN,
            ),
            None => return Vec::new(),
        };
        vec![said]
    }

    /// `rename-in-one-step`, always; `mapped-column-removed` too (which then
    /// speaks for the statement) when a model maps the old name.
    fn renamed_column(&self, table: &str, from: &str, to: &str) -> Vec<Said> {
        let mut said = Vec::new();
        if let Some(model) = self.mapping(table, from) {
            let message = format!(
                "Model `{model}` still maps `{table}.{from}`, which this renames to `{to}`: \
                 every query of `{model}` names it, so from this statement on {}.",
                self.no_column()
            );
            said.push(("mapped-column-removed", message, recipes::RENAME_COLUMN));
        }
        let why = match self.mapping(table, to) {
            Some(model) => format!(
                "Model `{model}` maps `{to}`, but instances of the previous release, still \
                 running during the deploy, name `{from}` in their queries, so once this runs \
                 {} (and the new release breaks the same way if it starts first).",
                self.no_column()
            ),
            None => format!(
                "Renaming `{table}.{from}` to `{to}` in one step: code naming `{from}` fails \
                 from the moment this runs, code naming `{to}` until it has, and a rolling \
                 deploy always runs one of them."
            ),
        };
        said.push(("rename-in-one-step", why, recipes::RENAME_COLUMN));
        said
    }

    /// `mapped-table-removed`, or `ban-drop-table` (MySQL, SQLite) for a
    /// table no model maps.
    fn dropped_table(&self, table: &str) -> Vec<Said> {
        let said = match self.model(table) {
            Some(model) => (
                "mapped-table-removed",
                format!(
                    "Model `{}` still maps table `{table}`: every query of `{}` fails with {} \
                     from this statement on, in both releases.",
                    model.name,
                    model.name,
                    self.no_table()
                ),
                recipes::CONTRACT_TABLE,
            ),
            None if self.dialect != Dialect::Postgres => (
                "ban-drop-table",
                format!(
                    "Dropping `{table}` breaks any code still using it, such as instances of \
                     the previous release during the deploy."
                ),
                recipes::CONTRACT_TABLE,
            ),
            None => return Vec::new(),
        };
        vec![said]
    }

    /// `mapped-table-removed` for a renamed table a model maps.
    fn renamed_table(&self, from: &str, to: &str) -> Vec<Said> {
        let Some(model) = self.model(from) else {
            return Vec::new();
        };
        let message = format!(
            "Model `{}` still maps table `{from}`, which this renames to `{to}`: every query \
             of `{}` fails with {} from this statement on.",
            model.name,
            model.name,
            self.no_table()
        );
        vec![("mapped-table-removed", message, recipes::RENAME_TABLE)]
    }

    /// `not-null-without-default` on a table that existed before this file.
    fn required_column(&self, table: &str, column: &str) -> Said {
        let populated = match self.model(table) {
            Some(model) => format!(
                "`{table}` is model `{}`'s table, so it has rows.",
                model.name
            ),
            None => format!("`{table}` was created by an earlier migration, so it may have rows."),
        };
        let old_inserts = format!("code of the previous release inserts rows without `{column}`");
        let consequence = match self.dialect {
            Dialect::Postgres => format!(
                "PostgreSQL refuses a NOT NULL column without a default on a table with rows \
                 (they would hold NULL), so the migration fails there; and where it succeeds, \
                 {old_inserts} and those INSERTs fail."
            ),
            Dialect::MySql => format!(
                "MySQL fills existing rows with the type's implicit default (0, '') without a \
                 word; {old_inserts}, and in strict mode those INSERTs fail with \
                 `Field '{column}' doesn't have a default value`."
            ),
            Dialect::Sqlite => format!(
                "SQLite refuses it on a table with rows (`Cannot add a NOT NULL column with \
                 default value NULL`); and where it succeeds, {old_inserts} and those INSERTs \
                 fail."
            ),
        };
        (
            "not-null-without-default",
            format!("{populated} {consequence}"),
            recipes::NOT_NULL_COLUMN,
        )
    }

    /// `fk-without-index`; not on MySQL, where InnoDB indexes a foreign key
    /// itself.
    fn foreign_key(&self, table: &str, columns: &[String]) -> Vec<Said> {
        if self.dialect == Dialect::MySql || self.indexed(table, columns) {
            return Vec::new();
        }
        let message = format!(
            "No index of `{table}` starts with ({}): every DELETE or key UPDATE on the \
             referenced table scans `{table}` to check or cascade the key, holding its locks \
             meanwhile, slower as the table grows.",
            columns.join(", ")
        );
        vec![("fk-without-index", message, recipes::FK_INDEX)]
    }

    /// The name of the model mapping `table.column`, if one does.
    fn mapping(&self, table: &str, column: &str) -> Option<&'static str> {
        let model = self.model(table)?;
        let mapped = (model.columns.iter()).any(|c| same_name(c.name, column));
        mapped.then_some(model.name)
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
