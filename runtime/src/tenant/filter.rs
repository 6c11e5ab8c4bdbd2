//! The tenant filter over model statements: the built-in [`TenantFilter`]
//! interceptor, and the per-operation [`Filter`] that says what each
//! tenant-scoped table gets.

use super::{current, select, write, Tenant};
use crate::error::{Error, Result};
use crate::intercept::{Args, Flow, Interceptor, Operation};
use crate::query::ast::{CompareOp, Expr, Statement};
use crate::query::row_filter;
use crate::schema::reach::Reach;
use crate::schema::{ColumnSchema, SqlType};
use crate::value::Value;

/// The built-in interceptor behind every [`Tenancy`](super::Tenancy) mode
/// (alone in `Column`, under the database's own guard in the others):
/// every `Db` runs it after the user's interceptors and after soft delete
/// (whose conditions it adds to, never replaces). Inside
/// [`scope(id)`](super::scope) it ANDs `tenant_id = id` into every read of
/// a tenant-scoped table, at any depth, and checks or fills the tenant of
/// every row written; without a scope it fails such an operation with
/// [`Error::MissingTenant`]; under [`unscoped`](super::unscoped) it only
/// checks that a create names its tenant. An operation whose model reaches
/// no tenant-scoped table is left alone without reading the scope.
#[derive(Debug, Clone, Copy, Default)]
pub struct TenantFilter;

impl Interceptor for TenantFilter {
    fn before(&self, op: &mut Operation<'_>) -> Result<Flow> {
        if let Args::Select(query) = op.args() {
            // The builder's AST names its tenant tables: no scope is read
            // for a query that reads none.
            if !select::reads_tenant(query) {
                return Ok(Flow::Continue);
            }
            let tenant = current();
            if let Some(Tenant::Unscoped) = tenant {
                return Ok(Flow::Continue);
            }
            if let Args::Select(query) = op.args_mut() {
                select::apply(query, tenant.as_ref().and_then(Tenant::id))?;
            }
            return Ok(Flow::Continue);
        }
        let Some(model) = op.model() else {
            return Ok(Flow::Continue);
        };
        let reach = Reach::of(model);
        if !reach.tenant() {
            return Ok(Flow::Continue);
        }
        let tenant = current();
        let id = match &tenant {
            // Not filtered; a create must still say whose row it is.
            Some(Tenant::Unscoped) => return write::check_unscoped(op.args(), reach),
            Some(Tenant::Id(id)) => Some(id),
            None if model.tenant.is_some() => {
                return Err(Error::MissingTenant { model: model.name })
            }
            // A model that only relates to tenant tables: fine until a
            // statement reads one (an include, a relation filter).
            None => None,
        };
        let mut filter = Filter::new(reach, id);
        match op.args_mut() {
            Args::Statement(statement) => filter.statement(statement),
            Args::Statements(statements) => statements.iter_mut().for_each(|s| filter.statement(s)),
            Args::Load(load) => row_filter::in_load(load, &mut |t, _| filter.condition(t)),
            _ => {}
        }
        filter.finish().map(|()| Flow::Continue)
    }
}

/// One operation's tenant: the conditions and ids it gives each table, and
/// the first error met on the way (reported once the walk is done).
pub(super) struct Filter<'a> {
    reach: Reach,
    /// `None`: no scope at all (every tenant table met is an error).
    id: Option<&'a Value>,
    error: Option<Error>,
}

impl<'a> Filter<'a> {
    pub(super) fn new(reach: Reach, id: Option<&'a Value>) -> Self {
        Filter {
            reach,
            id,
            error: None,
        }
    }

    fn statement(&mut self, statement: &mut Statement) {
        match statement {
            Statement::Insert(insert) => write::insert(self, insert),
            Statement::Update(update) => write::update(self, update),
            Statement::Select(_) | Statement::Delete(_) => {}
        }
        row_filter::in_statement(statement, &mut |t, _| self.condition(t));
    }

    /// `"tenant_id" = $id` for a tenant-scoped `table` (the column
    /// unqualified: the renderer names it by the query's scope).
    fn condition(&mut self, table: &'static str) -> Option<Expr> {
        let (model, column) = self.reach.tenant_column(table)?;
        let id = self.id_for(model, column)?;
        Some(equals(Expr::Column(column), id))
    }

    /// The model name and tenant column of `table`, if it is tenant-scoped.
    pub(super) fn tenant_column(
        &self,
        table: &str,
    ) -> Option<(&'static str, &'static ColumnSchema)> {
        self.reach.tenant_column(table)
    }

    /// The tenant column of `table`, its model's name and the scope's id
    /// as the column's value (`None` when `table` is not tenant-scoped, or
    /// the id is missing or does not fit: then the error is kept).
    pub(super) fn tenant_of(
        &mut self,
        table: &str,
    ) -> Option<(&'static str, &'static ColumnSchema, Value)> {
        let (model, column) = self.reach.tenant_column(table)?;
        Some((model, column, self.id_for(model, column)?))
    }

    /// The scope's id as a value of `column`, or the error why not.
    pub(super) fn id_for(&mut self, model: &'static str, column: &ColumnSchema) -> Option<Value> {
        let found = value_for(model, column, self.id);
        found.map_err(|e| self.fail(e)).ok()
    }

    /// Keeps the first error; the statement is not sent.
    pub(super) fn fail(&mut self, error: Error) {
        self.error.get_or_insert(error);
    }

    pub(super) fn finish(self) -> Result<()> {
        self.error.map_or(Ok(()), Err)
    }
}

/// The scope's id (`None`: no scope) as a value of `model`'s tenant
/// `column`.
pub(super) fn value_for(
    model: &'static str,
    column: &ColumnSchema,
    id: Option<&Value>,
) -> Result<Value> {
    let id = id.ok_or(Error::MissingTenant { model })?;
    refuse_padded(model, column, id)?;
    fit(id, column.ty).ok_or_else(|| Error::InvalidValue {
        model,
        field: Some(column.field),
        reason: format!(
            "the tenant scope's id {} does not fit the tenant column ({:?}): scope with the column's own Rust type (strata does not let the database cast it)",
            text(id),
            column.ty
        ),
    })
}

/// A text tenant id may not end in a space, on any database: MySQL and
/// MariaDB compare `'acme '` equal to `'acme'` (their collations pad), so
/// two such tenants would read each other's rows there.
pub(super) fn refuse_padded(model: &'static str, column: &ColumnSchema, id: &Value) -> Result<()> {
    match id {
        Value::Text(text) if text.ends_with(' ') => Err(Error::InvalidValue {
            model,
            field: Some(column.field),
            reason: format!(
                "the tenant id {text:?} ends in a space: MySQL/MariaDB compare it equal to the id without, so strata refuses such ids on every database"
            ),
        }),
        _ => Ok(()),
    }
}

/// `lhs = value`.
pub(super) fn equals(lhs: Expr, value: Value) -> Expr {
    Expr::Compare(Box::new(lhs), CompareOp::Eq, Box::new(Expr::Value(value)))
}

/// `id` as a value of a `ty` column: the same type, or an integer of
/// another width whose value fits. Anything else is refused rather than
/// left to the database's casts (a text id against a bigint column would
/// compare as text on one database and fail on another).
pub(super) fn fit(id: &Value, ty: SqlType) -> Option<Value> {
    let int = match id {
        Value::I16(v) => Some(i64::from(*v)),
        Value::I32(v) => Some(i64::from(*v)),
        Value::I64(v) => Some(*v),
        _ => None,
    };
    if let Some(v) = int {
        return match ty {
            SqlType::SmallInt => i16::try_from(v).ok().map(Value::I16),
            SqlType::Int => i32::try_from(v).ok().map(Value::I32),
            SqlType::BigInt => Some(Value::I64(v)),
            _ => None,
        };
    }
    let same = match (id, ty) {
        (Value::Text(_), SqlType::Text)
        | (Value::Uuid(_), SqlType::Uuid)
        | (Value::Bytes(_), SqlType::Bytes)
        | (Value::Bool(_), SqlType::Bool)
        | (Value::Date(_), SqlType::Date)
        | (Value::Timestamp(_), SqlType::Timestamp)
        | (Value::Timestamptz(_), SqlType::Timestamptz) => true,
        #[cfg(feature = "decimal")]
        (Value::Decimal(_), SqlType::Decimal) => true,
        (Value::Enum(a, _), SqlType::Enum(b)) => a.db_name == b.db_name,
        _ => false,
    };
    same.then(|| id.clone())
}

/// A tenant id as errors print it.
pub(super) fn text(value: &Value) -> String {
    match value {
        Value::I16(v) => v.to_string(),
        Value::I32(v) => v.to_string(),
        Value::I64(v) => v.to_string(),
        Value::Text(v) => format!("{v:?}"),
        Value::Uuid(v) => v.to_string(),
        Value::Enum(_, label) => (*label).to_owned(),
        other => format!("{other:?}"),
    }
}
