//! What the tenant filter checks and fills in writes: every row a create
//! (create_many, nested creates, an upsert's insert) writes belongs to the
//! scope's tenant, an update never moves a row to another tenant, and an
//! upsert's conflict update only touches a row of the scope's tenant.

use super::filter::{equals, text, Filter};
use crate::error::{Error, Result};
use crate::intercept::{Args, Flow};
use crate::query::ast::{AssignValue, Assignment, Expr, Insert, Statement, Update};
use crate::schema::reach::Reach;
use crate::schema::ColumnSchema;
use crate::value::Value;

/// The rows an INSERT writes: the tenant column set to the scope's id
/// where the create left it out, refused where it names another tenant.
/// An upsert's conflict update is guarded too ([`guard_conflict`]).
pub(super) fn insert(filter: &mut Filter<'_>, insert: &mut Insert) {
    let Some((model, column, id)) = filter.tenant_of(insert.table) else {
        return;
    };
    match insert.columns.iter().position(|c| c.is(column)) {
        None => {
            insert.columns.push(column);
            insert.rows.iter_mut().for_each(|row| row.push(id.clone()));
        }
        Some(i) => {
            let other =
                (insert.rows.iter()).find_map(|row| row.get(i).filter(|v| !same(v, &id, column)));
            if let Some(written) = other {
                filter.fail(mismatch(model, column, &id, written));
                return;
            }
        }
    }
    if let Some(conflict) = &mut insert.on_conflict {
        if let Err(e) = check_assignments(model, column, &id, &conflict.set) {
            filter.fail(e);
            return;
        }
        guard_conflict(insert.table, column, id, conflict);
    }
}

/// An upsert's conflict update touches only a row of the scope's tenant:
/// `DO UPDATE .. WHERE "t"."tenant_id" = $id` (PostgreSQL, SQLite), each
/// assignment `IF("t"."tenant_id" = ?, new, old)` on MySQL (the renderer
/// writes `only_if` that way). A row of another tenant is left as it is and
/// returned by no RETURNING; the upsert then fails with
/// [`Error::TenantKeyTaken`]. An upsert that updates nothing still needs an
/// assignment to carry the guard: the tenant column set to itself.
fn guard_conflict(
    table: &'static str,
    column: &'static ColumnSchema,
    id: Value,
    conflict: &mut crate::query::ast::OnConflict,
) {
    let own = equals(
        Expr::Qualified {
            table: table.into(),
            column,
        },
        id.clone(),
    );
    crate::query::row_filter::and(&mut conflict.only_if, Some(own));
    if conflict.set.is_empty() {
        conflict.set.push(Assignment {
            column,
            value: AssignValue::Set(id),
        });
    }
}

/// An UPDATE may assign the tenant column only the scope's own id.
pub(super) fn update(filter: &mut Filter<'_>, update: &mut Update) {
    let Some((_, column)) = filter.tenant_column(update.table) else {
        return;
    };
    if !update.set.iter().any(|a| a.column.is(column)) {
        return;
    }
    let Some((model, column, id)) = filter.tenant_of(update.table) else {
        return;
    };
    if let Err(e) = check_assignments(model, column, &id, &update.set) {
        filter.fail(e);
    }
}

fn check_assignments(
    model: &'static str,
    column: &'static ColumnSchema,
    id: &Value,
    set: &[Assignment],
) -> Result<()> {
    for a in set.iter().filter(|a| a.column.is(column)) {
        match &a.value {
            AssignValue::Set(v) if same(v, id, column) => {}
            AssignValue::Set(v) => return Err(mismatch(model, column, id, v)),
            AssignValue::Arithmetic(..) => {
                return Err(Error::InvalidValue {
                    model,
                    field: Some(column.field),
                    reason:
                        "arithmetic on the tenant column: a row's tenant is set, never computed"
                            .into(),
                })
            }
        }
    }
    Ok(())
}

/// Under `unscoped()` nothing is filtered, but a create must name its
/// tenant: there is no scope to take it from.
pub(super) fn check_unscoped(args: &Args<'_>, reach: Reach) -> Result<Flow> {
    let inserts: &[Statement] = match args {
        Args::Statement(statement) => std::slice::from_ref(&**statement),
        Args::Statements(statements) => statements,
        _ => &[],
    };
    for statement in inserts {
        let Statement::Insert(insert) = statement else {
            continue;
        };
        let Some((model, column)) = reach.tenant_column(insert.table) else {
            continue;
        };
        let Some(at) = insert.columns.iter().position(|c| c.is(column)) else {
            return Err(Error::InvalidValue {
                model,
                field: Some(column.field),
                reason: "a create under `strata::tenant::unscoped` must set the tenant column itself: there is no scope to take it from".into(),
            });
        };
        for row in &insert.rows {
            if let Some(written) = row.get(at) {
                super::filter::refuse_padded(model, column, written)?;
            }
        }
    }
    Ok(Flow::Continue)
}

/// A written value names the scope's tenant (`id`, already a value of
/// `column`; an integer of another width compares by value).
fn same(written: &Value, id: &Value, column: &ColumnSchema) -> bool {
    super::filter::fit(written, column.ty).as_ref() == Some(id)
}

fn mismatch(model: &'static str, column: &ColumnSchema, id: &Value, written: &Value) -> Error {
    Error::TenantMismatch {
        model,
        field: column.field,
        scope: text(id),
        written: text(written),
    }
}

/// Whether an upsert of `M` runs under the tenant guard: `M` is
/// tenant-scoped and the task has a tenant (not `unscoped()`).
pub(crate) fn guards<M: crate::schema::Model>() -> bool {
    M::SCHEMA.tenant.is_some() && matches!(super::current(), Some(super::Tenant::Id(_)))
}

/// Why a guarded upsert returned no row (PostgreSQL, SQLite) or marked its
/// refusal (MySQL): the key is another tenant's row
/// ([`Error::TenantKeyTaken`]); or, with an expected version, the scope's
/// own row at another version ([`Error::Conflict`]), told apart by reading
/// the key under the scope (another tenant's row reads as none).
pub(crate) async fn upsert_refused<M: crate::schema::Model>(
    db: &crate::Db,
    key: &crate::query::UniqueKey<M>,
    expected: Option<&Value>,
) -> Error {
    let taken = || Error::TenantKeyTaken {
        model: M::SCHEMA.name,
        fields: key.columns().map(|c| c.field).collect(),
    };
    let Some(expected) = expected else {
        return taken();
    };
    match crate::query::FindUnique::new(key.clone()).exec(db).await {
        Ok(Some(_)) => crate::query::optimistic::conflict::<M>(key.values(), expected),
        Ok(None) => taken(),
        Err(e) => e,
    }
}
