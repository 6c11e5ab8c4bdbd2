//! Reads PostgreSQL statements (squawk's syntax tree) into [`Change`]s, and
//! notes the two things strata's PostgreSQL checks need beyond squawk's: table
//! rewrites (`VACUUM FULL`, `CLUSTER`) and drops of a `CHECK (col IS NOT NULL)`
//! that a `SET NOT NULL` has made redundant (the last step of the safe NOT
//! NULL recipe, which squawk's `ban-drop-constraint` would otherwise flag).

use std::collections::{HashMap, HashSet};

use squawk_syntax::ast::{self, AstNode, NameLike};

use super::changes::{same_name, ChangeKind, Changes};

#[derive(Debug, Default)]
pub(super) struct Read {
    pub changes: Vec<super::changes::Change>,
    /// Statements whose every `DROP CONSTRAINT` drops a redundant NOT NULL check.
    pub redundant_check_drops: HashSet<usize>,
    pub table_rewrites: Vec<usize>,
    /// Statements that PostgreSQL refuses inside a transaction block.
    pub concurrent: Vec<usize>,
    /// `ALTER TYPE t ADD VALUE 'v'` without BEFORE/AFTER: (statement, t, v).
    pub appended_enum_values: Vec<(usize, String, String)>,
}

/// What the safe NOT NULL recipe has done so far in this file.
#[derive(Default)]
struct NotNullSteps {
    /// `CHECK (col IS NOT NULL)` constraints by name: (table, column).
    checks: HashMap<String, (String, String)>,
    /// (table, constraint) validated in this file.
    validated: HashSet<(String, String)>,
    /// (table, column) set NOT NULL in this file.
    set_not_null: Vec<(String, String)>,
}

impl NotNullSteps {
    /// Whether dropping `constraint` of `table` loses nothing: the column it
    /// checked is NOT NULL now. A check added in an earlier migration (its
    /// expression unknown here) counts when it was validated in this file and
    /// a column of the table was then set NOT NULL.
    fn is_redundant(&self, table: &str, constraint: &str) -> bool {
        match self.checks.get(constraint) {
            Some((t, column)) => self.is_not_null(t, column) && same_name(t, table),
            None => {
                self.validated
                    .contains(&(table.to_string(), constraint.to_string()))
                    && self.set_not_null.iter().any(|(t, _)| same_name(t, table))
            }
        }
    }

    fn is_not_null(&self, table: &str, column: &str) -> bool {
        (self.set_not_null.iter()).any(|(t, c)| same_name(t, table) && same_name(c, column))
    }
}

pub(super) fn read<'a>(stmts: impl Iterator<Item = &'a ast::Stmt>) -> Read {
    let mut out = Changes::default();
    let mut read = Read::default();
    let mut steps = NotNullSteps::default();
    for (at, stmt) in stmts.enumerate() {
        out.statement = at;
        match stmt {
            ast::Stmt::CreateTable(create) => create_table(&mut out, create),
            ast::Stmt::DropTable(drop) => {
                for name in drop.table_name_refs() {
                    if let Some(table) = table_ref_name(&name) {
                        out.push(ChangeKind::DropTable { table });
                    }
                }
            }
            ast::Stmt::CreateIndex(index) => {
                if index.concurrently_token().is_some() {
                    read.concurrent.push(at);
                }
                create_index(&mut out, index);
            }
            ast::Stmt::DropIndex(drop) if drop.concurrently_token().is_some() => {
                read.concurrent.push(at)
            }
            ast::Stmt::Reindex(reindex) if reindex.is_concurrently() => read.concurrent.push(at),
            ast::Stmt::AlterType(alter) => {
                if let Some(appended) = appended_enum_value(alter) {
                    read.appended_enum_values.push((at, appended.0, appended.1));
                }
            }
            ast::Stmt::AlterTable(alter) => {
                let Some(table) = alter_table_name(alter) else {
                    continue;
                };
                let mut drops = (0, 0);
                for action in alter.actions() {
                    alter_action(&mut out, &mut steps, &table, &action, &mut drops);
                }
                if drops.0 > 0 && drops.0 == drops.1 {
                    read.redundant_check_drops.insert(at);
                }
            }
            ast::Stmt::Vacuum(vacuum) if vacuum.is_full() => read.table_rewrites.push(at),
            ast::Stmt::Cluster(_) => read.table_rewrites.push(at),
            _ => {}
        }
    }
    read.changes = out.list;
    read
}

/// Records one `ALTER TABLE` action; `drops` counts (DROP CONSTRAINTs,
/// redundant ones).
fn alter_action(
    out: &mut Changes,
    steps: &mut NotNullSteps,
    table: &str,
    action: &ast::AlterTableAction,
    drops: &mut (usize, usize),
) {
    let table = table.to_string();
    match action {
        ast::AlterTableAction::AddColumn(add) => {
            let Some(column) = add.column_name().map(|c| c.text()) else {
                return;
            };
            let (mut not_null, mut has_default) = (false, false);
            for constraint in add.constraints() {
                match constraint {
                    ast::Constraint::NotNullConstraint(_) => not_null = true,
                    ast::Constraint::DefaultConstraint(_)
                    | ast::Constraint::GeneratedConstraint(_) => has_default = true,
                    other => column_constraint(out, &table, &column, &other),
                }
            }
            out.push(ChangeKind::AddColumn {
                table,
                column,
                not_null,
                has_default,
            });
        }
        ast::AlterTableAction::DropColumn(drop) => {
            if let Some(column) = drop.column_name_ref().map(|c| c.text()) {
                out.push(ChangeKind::DropColumn { table, column });
            }
        }
        ast::AlterTableAction::RenameColumn(rename) => {
            let from = rename.column_name_ref().map(|c| c.text());
            let to = rename.column_name().map(|c| c.text());
            if let (Some(from), Some(to)) = (from, to) {
                out.push(ChangeKind::RenameColumn { table, from, to });
            }
        }
        ast::AlterTableAction::TableRenameTo(rename) => {
            let to = rename.table_name().and_then(|n| n.path()?.segment());
            if let Some(to) = to.map(|s| s.text()) {
                out.push(ChangeKind::RenameTable { from: table, to });
            }
        }
        ast::AlterTableAction::AddConstraint(add) => {
            let Some(constraint) = add.constraint() else {
                return;
            };
            if let ast::Constraint::CheckConstraint(check) = &constraint {
                let name = check
                    .constraint_name_clause()
                    .and_then(|c| c.constraint_name())
                    .map(|n| n.text());
                if let (Some(name), Some(column)) = (name, check.expr().and_then(not_null_check)) {
                    steps.checks.insert(name, (table.clone(), column));
                }
            }
            table_constraint(out, &table, &constraint);
        }
        ast::AlterTableAction::ValidateConstraint(validate) => {
            if let Some(name) = constraint_ref_name(validate.constraint_name_ref()) {
                steps.validated.insert((table, name));
            }
        }
        ast::AlterTableAction::AlterColumn(alter) => {
            if let (Some(ast::AlterColumnOption::SetNotNull(_)), Some(column)) =
                (alter.option(), alter.column_name_ref())
            {
                steps.set_not_null.push((table, column.text()));
            }
        }
        ast::AlterTableAction::DropConstraint(drop) => {
            drops.0 += 1;
            let name = constraint_ref_name(drop.constraint_name_ref());
            if name.is_some_and(|name| steps.is_redundant(&table, &name)) {
                drops.1 += 1;
            }
        }
        _ => {}
    }
}

fn create_table(out: &mut Changes, create: &ast::CreateTable) {
    let Some(table) = (create.table_name())
        .and_then(|n| n.path()?.segment())
        .map(|s| s.text())
    else {
        return;
    };
    out.push(ChangeKind::CreateTable {
        table: table.clone(),
    });
    let args = create.table_arg_list().into_iter().flat_map(|l| l.args());
    for arg in args {
        match arg {
            ast::TableArg::Column(column) => {
                let Some(name) = column.name().map(|n| n.text()) else {
                    continue;
                };
                for clause in column.clauses() {
                    if let ast::ColumnClause::ColumnConstraint(c) = clause {
                        column_constraint_of_table(out, &table, &name, &c);
                    }
                }
            }
            ast::TableArg::TableConstraint(constraint) => {
                table_constraint_node(out, &table, constraint.syntax());
            }
            ast::TableArg::LikeClause(_) => {}
        }
    }
}

/// A constraint written on one column: a key or unique index on it, or a
/// foreign key from it.
fn column_constraint(out: &mut Changes, table: &str, column: &str, c: &ast::Constraint) {
    match c {
        ast::Constraint::PrimaryKeyConstraint(_) | ast::Constraint::UniqueConstraint(_) => {
            out.push(index_on(table, vec![column.to_string()]))
        }
        ast::Constraint::ReferencesConstraint(_) | ast::Constraint::ForeignKeyConstraint(_) => out
            .push(ChangeKind::AddForeignKey {
                table: table.to_string(),
                columns: vec![column.to_string()],
            }),
        _ => {}
    }
}

fn column_constraint_of_table(
    out: &mut Changes,
    table: &str,
    column: &str,
    c: &ast::ColumnConstraint,
) {
    if let Some(constraint) = ast::Constraint::cast(c.syntax().clone()) {
        column_constraint(out, table, column, &constraint);
    }
}

fn table_constraint(out: &mut Changes, table: &str, c: &ast::Constraint) {
    table_constraint_node(out, table, c.syntax());
}

/// `PRIMARY KEY (..)`, `UNIQUE (..)` and `FOREIGN KEY (..)` written apart
/// from the columns.
fn table_constraint_node(out: &mut Changes, table: &str, node: &squawk_syntax::SyntaxNode) {
    if let Some(fk) = ast::ForeignKeyConstraint::cast(node.clone()) {
        let columns: Vec<String> = (fk.from_columns().into_iter())
            .flat_map(|l| l.column_name_refs())
            .map(|c| c.text())
            .collect();
        if !columns.is_empty() {
            out.push(ChangeKind::AddForeignKey {
                table: table.to_string(),
                columns,
            });
        }
    } else if ast::PrimaryKeyConstraint::can_cast(node.kind())
        || ast::UniqueConstraint::can_cast(node.kind())
    {
        let columns: Vec<String> = (node.children().find_map(ast::ColumnList::cast).into_iter())
            .flat_map(|l| l.column_names())
            .map(|c| c.text())
            .collect();
        if !columns.is_empty() {
            out.push(index_on(table, columns));
        }
    }
}

/// `CREATE INDEX`: the leading plain columns. A partial index is left out, as
/// it serves only the rows its predicate keeps.
fn create_index(out: &mut Changes, index: &ast::CreateIndex) {
    if index.where_clause().is_some() {
        return;
    }
    let Some(table) = (index.table_relation_name())
        .and_then(|r| r.table_name_ref())
        .and_then(|t| table_ref_name(&t))
    else {
        return;
    };
    let columns: Vec<String> = (index.partition_item_list().into_iter())
        .flat_map(|l| l.partition_items())
        .map_while(|item| match item.expr() {
            Some(ast::Expr::NameRef(name)) => Some(name.text()),
            _ => None,
        })
        .collect();
    if !columns.is_empty() {
        out.push(index_on(&table, columns));
    }
}

fn index_on(table: &str, columns: Vec<String>) -> ChangeKind {
    ChangeKind::AddIndex {
        table: table.to_string(),
        columns,
    }
}

fn alter_table_name(alter: &ast::AlterTable) -> Option<String> {
    table_ref_name(&alter.table_relation_name()?.table_name_ref()?)
}

/// The table's own name, without a schema qualifier.
fn table_ref_name(name: &ast::TableNameRef) -> Option<String> {
    Some(name.path_ref()?.segment()?.text())
}

fn constraint_ref_name(name: Option<ast::ConstraintNameRef>) -> Option<String> {
    Some(name?.path_ref()?.segment()?.text())
}

/// `col IS NOT NULL` -> `col`.
fn not_null_check(expr: ast::Expr) -> Option<String> {
    let ast::Expr::BinExpr(bin) = expr else {
        return None;
    };
    let ast::BinOp::IsNot(_) = bin.op()? else {
        return None;
    };
    let ast::Expr::Literal(literal) = bin.rhs()? else {
        return None;
    };
    if !matches!(literal.kind(), Some(ast::LitKind::Null(_))) {
        return None;
    }
    match bin.lhs()? {
        ast::Expr::NameRef(name) => Some(name.text()),
        _ => None,
    }
}

/// `ALTER TYPE t ADD VALUE 'v'` with no position: `(t, v)`.
fn appended_enum_value(alter: &ast::AlterType) -> Option<(String, String)> {
    let ast::AlterTypeAction::AddValue(add) = alter.action()? else {
        return None;
    };
    if add.value_position().is_some() {
        return None;
    }
    let name = alter.type_name_ref()?.path_ref()?.segment()?.text();
    Some((name, add.literal()?.string_value()?))
}
