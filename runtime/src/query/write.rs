//! Writes: create, create_many, update, update_many, upsert, delete, delete_many.
//!
//! PostgreSQL and SQLite return written rows with RETURNING. MySQL cannot, so
//! there strata reads the row back by primary key after the write.

use super::ast::{
    ArithOp, AssignValue, Assignment, Delete as SqlDelete, Insert, OnConflict, Update as SqlUpdate,
};
use super::filter::{Filter, IntoFilter, UniqueKey, ValueFor};
use super::find::{all_columns, FindUnique};
use super::optimistic;
use crate::error::{Error, Result};
use crate::execute::bind::{Binds, Bound};
use crate::execute::{pin_in_place, Db, FirstRow};
use crate::intercept::chain::{op, Op, Prepared};
use crate::intercept::Action;
use crate::query::ast::{Expr, Statement};
use crate::relation::{CreateWith, Nested};
use crate::render::{
    remember, remembered, render, render_checked, render_owned, render_shape, Dialect, Shape,
    ShapeKind, Shared,
};
use crate::schema::{ColumnSchema, DefaultValue, FieldType, Model, RelationSchema, SqlType};
use crate::soft_delete::Scope as SoftDeleteScope;
use crate::value::Value;
use futures_util::future::BoxFuture;
use std::marker::PhantomData;

/// The current time as each time-typed column stores it, to microseconds (the
/// precision all three databases keep), so a written value reads back equal.
pub(crate) fn now_value(ty: SqlType) -> Option<Value> {
    use chrono::Timelike as _;
    let now = chrono::Utc::now();
    // Truncated to the microsecond as `DurationRound::duration_trunc` would
    // (the clock reads after 1970), without its 64-bit divisions: a
    // `create_many` reads the clock once per row.
    let now = now
        .with_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap_or(now);
    match ty {
        SqlType::Timestamptz => Some(Value::Timestamptz(now)),
        SqlType::Timestamp => Some(Value::Timestamp(now.naive_utc())),
        SqlType::Date => Some(Value::Date(now.date_naive())),
        _ => None,
    }
}

/// The value strata generates for `column` when a create leaves it unset
/// (uuid, cuid, now, updated_at); `None` leaves it to the database.
pub(crate) fn client_default(column: &ColumnSchema) -> Option<Value> {
    match column.default {
        Some(DefaultValue::Uuid) => Some(Value::Uuid(uuid::Uuid::new_v4())),
        Some(DefaultValue::Cuid) => Some(Value::Text(cuid2::create_id())),
        Some(DefaultValue::Now) => now_value(column.ty),
        _ if column.updated_at => now_value(column.ty),
        _ => None,
    }
}

/// Values for one new row, by column position. Generated `UserCreate` builders
/// wrap it and only hand it over once every required field is set.
pub struct Create<M> {
    values: Vec<Option<Value>>,
    /// Nested writes set on the builder itself: a `belongs_to` write that
    /// provides a required foreign key (`Post::create().author(..)`).
    pub(crate) nested: Vec<Nested<M>>,
    /// The relations whose foreign key one of `nested` must provide.
    pub(crate) keys_from: Vec<&'static RelationSchema>,
    _model: PhantomData<fn() -> M>,
}

impl<M: Model> Default for Create<M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M: Model> Create<M> {
    pub fn new() -> Self {
        Create {
            // Not `vec![None; n]`, which clones `None` into each slot.
            values: std::iter::repeat_with(|| None)
                .take(M::SCHEMA.columns.len())
                .collect(),
            nested: Vec::new(),
            keys_from: Vec::new(),
            _model: PhantomData,
        }
    }

    #[doc(hidden)]
    pub fn set(&mut self, index: usize, value: Value) {
        self.values[index] = Some(value);
    }

    /// Provides `relation`'s foreign key through the nested `write`
    /// (`connect`, `create` or `connect_or_create` on that relation).
    #[doc(hidden)]
    pub fn set_by_relation(&mut self, relation: &'static RelationSchema, write: Nested<M>) {
        self.keys_from.push(relation);
        self.nested.push(write);
    }

    /// Refuses nested writes where a plain insert is all that can run
    /// (`create_many`, `upsert`).
    pub(crate) fn refuse_nested(&self, what: &str) -> Result<()> {
        match self.keys_from.first() {
            None if self.nested.is_empty() => Ok(()),
            relation => Err(Error::InvalidValue {
                model: M::SCHEMA.name,
                field: relation.map(|r| r.field),
                reason: format!(
                    "{what} cannot run nested writes; create these rows one by one with `create`"
                ),
            }),
        }
    }

    /// Fills what strata generates client-side (uuid, cuid, now, updated_at) and
    /// returns the columns to insert with their values. Columns left out get the
    /// database default (autoincrement, literals, SQL defaults) or NULL; with
    /// `explicit_nulls`, unset nullable columns without a default are sent as NULL
    /// instead, so rows of a `create_many` share one column list.
    fn into_row(self, explicit_nulls: bool) -> Vec<(&'static ColumnSchema, Value)> {
        let mut columns = Vec::new();
        let values = self.into_values(explicit_nulls, |_, column| columns.push(column));
        columns.into_iter().zip(values).collect()
    }

    /// [`into_row`](Self::into_row) as the values alone, each written
    /// column's index and schema handed to `written` in order.
    fn into_values(
        mut self,
        explicit_nulls: bool,
        mut written: impl FnMut(usize, &'static ColumnSchema),
    ) -> Vec<Value> {
        self.fill(explicit_nulls);
        let mut values = Vec::with_capacity(self.values.len());
        for (i, (slot, column)) in self.values.into_iter().zip(M::SCHEMA.columns).enumerate() {
            if let Some(value) = slot {
                written(i, column);
                values.push(value);
            }
        }
        values
    }

    /// Fills, in place, the unset slots [`into_values`](Self::into_values)
    /// writes: after it, the set slots are the columns to insert.
    fn fill(&mut self, explicit_nulls: bool) {
        for (slot, column) in self.values.iter_mut().zip(M::SCHEMA.columns) {
            if slot.is_none() {
                *slot = match client_default(column) {
                    Some(value) => Some(value),
                    None if explicit_nulls && column.nullable && column.default.is_none() => {
                        Some(Value::Null(column.ty))
                    }
                    None => None,
                };
            }
        }
    }

    /// The INSERT .. RETURNING of this row, its text remembered per set of
    /// written columns (`render::shape`).
    fn render_insert_returning(mut self, dialect: Dialect) -> Shared {
        self.fill(false);
        let mut shape = Some(Shape::new::<M>(ShapeKind::InsertReturning, dialect));
        let mut values = Vec::with_capacity(self.values.len());
        // Each value moves into the binds; its slot stays `Some`, so the
        // written columns are known again on a miss without a list of
        // them built on every hit.
        for (i, slot) in self.values.iter_mut().enumerate() {
            if let Some(value) = slot {
                shape = shape.and_then(|s| s.push(i));
                values.push(value.take());
            }
        }
        let full = move |values: Vec<Value>| {
            let columns = (self.values.iter().zip(M::SCHEMA.columns))
                .filter_map(|(slot, column)| slot.as_ref().map(|_| column))
                .collect();
            let insert = Insert {
                table: M::SCHEMA.table,
                columns,
                rows: vec![values],
                on_conflict: None,
                returning: all_columns::<M>(),
            };
            render_owned(Statement::Insert(insert), dialect)
        };
        match shape.and_then(|s| s.binds(&values)) {
            Some(shape) => render_shape(shape, values, full),
            None => full(values).into(),
        }
    }

    /// The row's values without its nested writes: what `ToSql` renders
    /// (the INSERT of this row; nested writes are statements of their own).
    pub(crate) fn row_only(&self) -> Self {
        Create {
            values: self.values.clone(),
            nested: Vec::new(),
            keys_from: Vec::new(),
            _model: PhantomData,
        }
    }

    /// The INSERT this create runs (with client-side defaults filled in).
    pub fn statement(self) -> Statement {
        Statement::Insert(single_row_insert::<M>(self.into_row(false), None))
    }

    /// Inserts the row without reading it back: for nested creates, whose
    /// rows the caller does not see.
    pub(crate) async fn insert(self, db: &Db) -> Result<()>
    where
        M: Sync,
    {
        if !self.nested.is_empty() {
            return CreateWith::from_create(self).exec(db).await.map(drop);
        }
        let mut insert = single_row_insert::<M>(self.into_row(false), None);
        insert.returning = Vec::new();
        let rendered = db.prepare_statement(op::<M>(Action::Create), Statement::Insert(insert))?;
        db.run_execute(rendered).await.map(drop)
    }

    /// Inserts the row and returns it as stored, with its nested writes (if
    /// any) in one transaction.
    ///
    /// Boxed, like every write's `exec`: the generated builders return this
    /// future as is, and with an `async fn` (an opaque type) rustc would
    /// prove it `Send` again in the user's crate for each model, through
    /// every type the write holds across an `.await`, which measured ~15% of
    /// a 50-model crate's build.
    pub fn exec(self, db: &Db) -> BoxFuture<'_, Result<M>>
    where
        M: Sync,
    {
        pin_in_place(|| async move {
            if !self.nested.is_empty() {
                // Boxed, as every path but a plain INSERT is: held inline,
                // its state would make every create's box several times
                // larger, past the allocator's per-thread cache.
                return Box::pin(CreateWith::from_create(self).exec(db)).await;
            }
            self.insert_returning(db).await
        })
    }

    /// The INSERT alone, returning the row.
    pub(crate) async fn insert_returning(self, db: &Db) -> Result<M> {
        let op = op::<M>(Action::Create);
        if !db.dialect().supports_returning() {
            return Box::pin(self.insert_then_read(db, op)).await;
        }
        let rendered = if db.intercepts(&op) {
            db.prepare_statement(op, self.statement())?
                .map(Shared::from)
        } else {
            Prepared::new(op, self.render_insert_returning(db.dialect()))
        };
        let mut row = FirstRow::new();
        db.fetch_first(rendered, &mut row).await?;
        row.into_row().ok_or_else(not_found::<M>)
    }

    /// MySQL, which has no RETURNING: the INSERT, then the row read back
    /// by its primary key.
    async fn insert_then_read(self, db: &Db, op: Op) -> Result<M> {
        let row = self.into_row(false);
        let pk_values = primary_key_values::<M>(&row);
        let insert = single_row_insert::<M>(row, None);
        let rendered = db.prepare_statement(op, Statement::Insert(insert))?;
        let outcome = db.run_execute(rendered).await?;
        let key = match pk_values {
            Some(values) => values,
            None => vec![Value::I64(
                outcome
                    .last_insert_id
                    .and_then(|id| i64::try_from(id).ok())
                    .unwrap_or_default(),
            )],
        };
        FindUnique::new(UniqueKey::<M>::new(0, key))
            .exec_required(db)
            .await
    }
}

fn single_row_insert<M: Model>(
    row: Vec<(&'static ColumnSchema, Value)>,
    on_conflict: Option<OnConflict>,
) -> Insert {
    Insert {
        table: M::SCHEMA.table,
        columns: row.iter().map(|(c, _)| *c).collect(),
        rows: vec![row.into_iter().map(|(_, v)| v).collect()],
        on_conflict,
        returning: all_columns::<M>(),
    }
}

pub(crate) fn not_found<M: Model>() -> Error {
    Error::NotFound {
        model: M::SCHEMA.name,
    }
}

/// The primary key values of a row about to be inserted, if all are known
/// before the insert (i.e. none is generated by the database).
fn primary_key_values<M: Model>(row: &[(&'static ColumnSchema, Value)]) -> Option<Vec<Value>> {
    M::SCHEMA
        .primary_key
        .columns
        .iter()
        .map(|&i| {
            let column = M::SCHEMA.column(i);
            row.iter()
                .find(|(c, _)| c.is(column))
                .map(|(_, v)| v.clone())
        })
        .collect()
}

/// A finished create builder: only generated builders with every required field
/// set implement it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a complete create for `{M}`",
    note = "build it with `{M}::create()` and set every required field"
)]
pub trait IntoCreate<M> {
    fn into_create(self) -> Create<M>;
}

impl<M> IntoCreate<M> for Create<M> {
    fn into_create(self) -> Create<M> {
        self
    }
}

/// An update builder: generated `UserUpdate<T>` builders and [`Update`]
/// itself. `T` is the target: a [`UniqueKey`] (`User::update(key)`), a
/// [`Filter`] (`User::update_many(..)`) or `()` (`User::changes()`: the
/// assignments alone, for an upsert or a nested update).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an update of `{M}`",
    note = "build it with `{M}::changes()` (a nested update, an upsert) or `{M}::update(key)`"
)]
pub trait IntoUpdate<M, T> {
    fn into_update(self) -> Update<M, T>;
}

impl<M, T> IntoUpdate<M, T> for Update<M, T> {
    fn into_update(self) -> Update<M, T> {
        self
    }
}

/// Many rows in as few INSERT statements as the bind limit allows, all in one
/// transaction. Returns the number of rows inserted.
pub struct CreateMany<M> {
    rows: Vec<Create<M>>,
}

impl<M: Model> CreateMany<M> {
    pub fn new(rows: Vec<Create<M>>) -> Self {
        CreateMany { rows }
    }

    /// The INSERT statements for `dialect`: rows that set the same columns share a
    /// statement, split so no statement exceeds the dialect's bind limit.
    pub fn statements(self, dialect: Dialect) -> Vec<Statement> {
        let mut statements = Vec::new();
        for mut group in self.groups() {
            for chunk in group.take_chunks(dialect) {
                statements.push(Statement::Insert(group.insert::<M>(chunk)));
            }
        }
        statements
    }

    /// The rows grouped by the columns they set, in order of first appearance,
    /// each row's client-side values filled in where it holds them.
    fn groups(self) -> Vec<Group> {
        let mut groups: Vec<Group> = Vec::new();
        let count = self.rows.len();
        for mut create in self.rows {
            create.fill(true);
            let row = create.values;
            let written = || (row.iter().enumerate()).filter_map(|(i, v)| v.as_ref().map(|_| i));
            let group = match groups
                .iter()
                .position(|g| g.indices.iter().copied().eq(written()))
            {
                Some(i) => i,
                None => {
                    let (indices, columns) = (row.iter().zip(M::SCHEMA.columns).enumerate())
                        .filter(|(_, (v, _))| v.is_some())
                        .map(|(i, (_, column))| (i, column))
                        .unzip();
                    groups.push(Group {
                        indices,
                        columns,
                        // Usually every row sets the same columns.
                        rows: Vec::with_capacity(if groups.is_empty() { count } else { 0 }),
                    });
                    groups.len() - 1
                }
            };
            if let Some(group) = groups.get_mut(group) {
                group.rows.push(row);
            }
        }
        groups
    }

    /// [`statements`](Self::statements) ready to run, each statement's text
    /// remembered per columns and number of rows (`render::shape`). Once the
    /// text is known, the rows go to the driver as the builders held them
    /// (`Binds::Rows`): no list of every value is built on the way.
    fn render(self, dialect: Dialect) -> Vec<Bound> {
        let mut bound = Vec::new();
        for mut group in self.groups() {
            for chunk in group.take_chunks(dialect) {
                let shape = group
                    .indices
                    .iter()
                    .try_fold(Shape::new::<M>(ShapeKind::InsertMany, dialect), |s, &i| {
                        s.push(i)
                    })
                    .and_then(|s| s.push(chunk.len()))
                    .and_then(|s| s.column_casts(&chunk));
                let full =
                    |chunk| render_owned(Statement::Insert(group.insert::<M>(chunk)), dialect);
                bound.push(match shape {
                    Some(shape) => match remembered(&shape) {
                        Some(sql) => {
                            #[cfg(debug_assertions)]
                            {
                                let again = full(chunk.clone());
                                assert_eq!(again.sql, *sql, "{shape:?}: remembered text");
                                let binds: Vec<Value> =
                                    chunk.iter().flatten().flatten().cloned().collect();
                                assert_eq!(again.binds, binds, "{shape:?}: binds in render order");
                            }
                            let len = chunk.len() * group.indices.len();
                            Bound {
                                sql,
                                binds: Binds::Rows { rows: chunk, len },
                            }
                        }
                        None => {
                            let rendered = Shared::from(full(chunk));
                            remember(shape, &rendered.sql);
                            Bound::from(rendered)
                        }
                    },
                    None => Bound::from(full(chunk)),
                });
            }
        }
        bound
    }

    pub async fn exec(self, db: &Db) -> Result<u64> {
        for row in &self.rows {
            row.refuse_nested("create_many")?;
        }
        let (op, dialect) = (op::<M>(Action::CreateMany), db.dialect());
        let bound = if db.intercepts(&op) {
            let render = |statements: Vec<Statement>| {
                (statements.iter())
                    .map(|s| render_checked(s, dialect).map(Bound::from))
                    .collect::<Result<Vec<_>>>()
            };
            db.prepare(op, self.statements(dialect), render)?
        } else {
            Prepared::new(op, self.render(dialect))
        };
        db.run_atomically(bound).await
    }
}

/// Rows of a `create_many` that set the same columns.
struct Group {
    /// The columns' positions in the model.
    indices: Vec<usize>,
    columns: Vec<&'static ColumnSchema>,
    /// Each row's slots, one per column of the model: `Some` exactly at
    /// `indices`.
    rows: Vec<Vec<Option<Value>>>,
}

impl Group {
    /// The group's rows, taken out of it, in chunks of as many rows as one
    /// statement of `dialect` takes binds for; the usual single chunk is the
    /// rows' own list.
    fn take_chunks(&mut self, dialect: Dialect) -> Vec<Vec<Vec<Option<Value>>>> {
        let rows = std::mem::take(&mut self.rows);
        let per_statement = (dialect.max_binds() / self.columns.len().max(1)).max(1);
        if rows.len() <= per_statement {
            return vec![rows];
        }
        let mut rows = rows.into_iter();
        let mut chunks = Vec::new();
        loop {
            let chunk: Vec<_> = rows.by_ref().take(per_statement).collect();
            if chunk.is_empty() {
                return chunks;
            }
            chunks.push(chunk);
        }
    }

    /// The INSERT of `rows`, some of this group's rows.
    fn insert<M: Model>(&self, rows: Vec<Vec<Option<Value>>>) -> Insert {
        Insert {
            table: M::SCHEMA.table,
            columns: self.columns.clone(),
            rows: (rows.into_iter())
                .map(|row| row.into_iter().flatten().collect())
                .collect(),
            on_conflict: None,
            returning: Vec::new(),
        }
    }
}

/// `increment(n)`, `decrement(n)`, `multiply(n)`, `divide(n)`: an update computed
/// by the database from the current value, so concurrent updates do not race.
pub struct Arithmetic<T> {
    op: ArithOp,
    by: T,
}

pub fn increment<T>(by: T) -> Arithmetic<T> {
    Arithmetic {
        op: ArithOp::Add,
        by,
    }
}
pub fn decrement<T>(by: T) -> Arithmetic<T> {
    Arithmetic {
        op: ArithOp::Subtract,
        by,
    }
}
pub fn multiply<T>(by: T) -> Arithmetic<T> {
    Arithmetic {
        op: ArithOp::Multiply,
        by,
    }
}
pub fn divide<T>(by: T) -> Arithmetic<T> {
    Arithmetic {
        op: ArithOp::Divide,
        by,
    }
}

/// Numeric column types that take `increment` and friends.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not numeric",
    note = "increment/decrement/multiply/divide work on integer, float and decimal columns"
)]
pub trait Numeric: FieldType {}
impl Numeric for i16 {}
impl Numeric for i32 {}
impl Numeric for i64 {}
impl Numeric for f32 {}
impl Numeric for f64 {}
#[cfg(feature = "decimal")]
impl Numeric for rust_decimal::Decimal {}

/// What an update setter accepts for a column of type `T`: a value, or
/// arithmetic on the current value. `How` is [`ByValue`] or [`ByArithmetic`]; it
/// only keeps the two kinds of impl apart and is always inferred.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be assigned to a column of type `{T}`",
    note = "pass a value of type `{T}`, or `strata::increment(..)`/`decrement`/`multiply`/`divide` for numeric columns"
)]
pub trait IntoAssign<T, How> {
    fn into_assign(self) -> AssignValue;
}

#[doc(hidden)]
pub enum ByValue {}
#[doc(hidden)]
pub enum ByArithmetic {}

impl<T, V: ValueFor<T>> IntoAssign<T, ByValue> for V {
    fn into_assign(self) -> AssignValue {
        AssignValue::Set(self.into_value_for())
    }
}

impl<T: Numeric> IntoAssign<T, ByArithmetic> for Arithmetic<T> {
    fn into_assign(self) -> AssignValue {
        AssignValue::Arithmetic(self.op, self.by.into_value())
    }
}

impl<T: Numeric> IntoAssign<Option<T>, ByArithmetic> for Arithmetic<T> {
    fn into_assign(self) -> AssignValue {
        AssignValue::Arithmetic(self.op, self.by.into_value())
    }
}

/// Column assignments for rows chosen by `T`: a [`UniqueKey`] (one row, returned),
/// a [`Filter`] (many rows, counted) or `()` (the update half of an upsert).
pub struct Update<M, T> {
    target: T,
    set: Vec<Assignment>,
    /// The `#[strata(version)]` value the caller read: the update applies
    /// only to the row still at that version (`optimistic`).
    expected_version: Option<Value>,
    _model: PhantomData<fn() -> M>,
}

impl<M, T: Clone> Clone for Update<M, T> {
    fn clone(&self) -> Self {
        Update {
            target: self.target.clone(),
            set: self.set.clone(),
            expected_version: self.expected_version.clone(),
            _model: PhantomData,
        }
    }
}

impl<M: Model, T> Update<M, T> {
    pub fn new(target: T) -> Self {
        Update {
            target,
            set: Vec::new(),
            expected_version: None,
            _model: PhantomData,
        }
    }

    /// Applies the update only if the row's version column still holds
    /// `version` (the generated `expect_version` setter passes it).
    #[doc(hidden)]
    pub fn set_expected_version(&mut self, version: Value) {
        self.expected_version = Some(version);
    }

    #[doc(hidden)]
    pub fn assign(&mut self, index: usize, value: AssignValue) {
        let column = M::SCHEMA.column(index);
        self.set.retain(|a| !a.column.is(column));
        self.set.push(Assignment { column, value });
    }

    /// Whether any column was assigned (`updated_at` aside).
    pub(crate) fn has_assignments(&self) -> bool {
        !self.set.is_empty()
    }

    pub(crate) fn into_target(self) -> T {
        self.target
    }

    /// The same assignments for rows chosen by `target`.
    pub(crate) fn retarget<T2>(self, target: T2) -> Update<M, T2> {
        Update {
            target,
            set: self.set,
            expected_version: self.expected_version,
            _model: PhantomData,
        }
    }

    /// The assignments plus `updated_at` columns the user did not set, and
    /// last (MySQL's upsert reads the old version before it) the version bump.
    fn assignments(&self) -> Vec<Assignment> {
        Self::completed(self.set.clone())
    }

    /// [`Update::assignments`], the builder's own moved out rather than
    /// copied: for a write that does not read them again.
    fn take_assignments(&mut self) -> Vec<Assignment> {
        Self::completed(std::mem::take(&mut self.set))
    }

    fn completed(mut set: Vec<Assignment>) -> Vec<Assignment> {
        for column in M::SCHEMA.columns.iter().filter(|c| c.updated_at) {
            if !set.iter().any(|a| a.column.is(column)) {
                if let Some(now) = now_value(column.ty) {
                    set.push(Assignment {
                        column,
                        value: AssignValue::Set(now),
                    });
                }
            }
        }
        optimistic::push_bump::<M>(&mut set);
        set
    }
}

impl<M: Model> Update<M, UniqueKey<M>> {
    /// An update of `row` by its primary key that applies only if the row
    /// is still at the version `row` was read with (`row.checked_update()`).
    #[doc(hidden)]
    pub fn of_row(row: &M) -> Self {
        let mut update = Update::new(optimistic::primary_key_of_row(row));
        update.expected_version = optimistic::version_of(row);
        update
    }

    pub fn statement(&self) -> Statement {
        self.statement_with(self.assignments())
    }

    fn statement_with(&self, set: Vec<Assignment>) -> Statement {
        let key = self.target.filter().expr;
        let check =
            (self.expected_version.as_ref()).and_then(|v| optimistic::version_check::<M>(v, false));
        Statement::Update(SqlUpdate {
            table: M::SCHEMA.table,
            set,
            filter: Some(match check {
                Some(check) => Expr::all(vec![key, check]),
                None => key,
            }),
            returning: all_columns::<M>(),
        })
    }

    /// The UPDATE .. RETURNING of `set`, its text remembered per key and
    /// assignments (`render::shape`). The values move into the binds; only
    /// on a miss are they copied back to build the AST.
    fn render_returning(&self, mut set: Vec<Assignment>, dialect: Dialect) -> Shared {
        let mut shape = Shape::new::<M>(ShapeKind::UpdateByKey, dialect).push(self.target.index());
        let mut binds = Vec::with_capacity(set.len() + self.target.values().len() + 1);
        for assignment in &mut set {
            let column = M::SCHEMA
                .columns
                .iter()
                .position(|c| std::ptr::eq(c, assignment.column));
            let (operator, value) = match &mut assignment.value {
                AssignValue::Set(value) => (0, value),
                AssignValue::Arithmetic(op, value) => (1 + *op as usize, value),
            };
            shape = shape
                .zip(column)
                .and_then(|(s, i)| s.push(i * 8 + operator));
            binds.push(value.take());
        }
        binds.extend_from_slice(self.target.values());
        if let Some(expected) = &self.expected_version {
            // A part no assignment can be (column indices stay far below).
            shape = shape.and_then(|s| s.push(usize::from(u16::MAX)));
            binds.push(expected.clone());
        }
        let full = |binds: Vec<Value>| {
            for (assignment, bind) in set.iter_mut().zip(&binds) {
                match &mut assignment.value {
                    AssignValue::Set(value) | AssignValue::Arithmetic(_, value) => {
                        *value = bind.clone()
                    }
                }
            }
            render(&self.statement_with(set), dialect)
        };
        match shape.and_then(|s| s.binds(&binds)) {
            Some(shape) => render_shape(shape, binds, full),
            None => full(binds).into(),
        }
    }

    /// Updates the row and returns it as written; `Error::NotFound` if no row
    /// has that key, `Error::Conflict` if it has, but at another version
    /// than the one expected. Boxed for the reason [`Create::exec`] is.
    pub fn exec(self, db: &Db) -> BoxFuture<'_, Result<M>> {
        pin_in_place(|| self.write(db))
    }

    async fn write(mut self, db: &Db) -> Result<M> {
        let returning = db.dialect().supports_returning();
        // MySQL's path below builds its statement from the builder's own.
        let set = match returning {
            true => self.take_assignments(),
            false => self.assignments(),
        };
        // The paths other than an UPDATE .. RETURNING that found its row
        // are boxed: held inline, their state would more than double every
        // update's box, past the allocator's per-thread cache.
        if set.is_empty() {
            return Box::pin(FindUnique::new(self.target).exec_required(db)).await;
        }
        let op = op::<M>(Action::Update);
        if !returning {
            return Box::pin(self.write_then_read(db, op)).await;
        }
        let statement = |set: &Vec<Assignment>| self.statement_with(set.clone());
        let shaped = |set| Ok(self.render_returning(set, db.dialect()));
        let rendered = db.prepare_point(op, set, statement, shaped)?;
        let mut row = FirstRow::new();
        db.fetch_first(rendered, &mut row).await?;
        match row.into_row() {
            Some(row) => Ok(row),
            None => Err(Box::pin(self.missed(db)).await),
        }
    }

    /// MySQL, which has no RETURNING: find the primary key first, since the
    /// update may change the unique key used to find the row; update by it;
    /// read the row back.
    async fn write_then_read(self, db: &Db, op: Op) -> Result<M> {
        let not_found = not_found::<M>;
        let pk = primary_key_of::<M>(db, &self.target)
            .await?
            .ok_or_else(not_found)?;
        let by_pk = Update::<M, UniqueKey<M>> {
            target: pk.clone(),
            set: self.set.clone(),
            expected_version: self.expected_version.clone(),
            _model: PhantomData,
        };
        let rendered = db.prepare_statement(op, by_pk.statement())?;
        let outcome = db.run_execute(rendered).await?;
        // sqlx asks MySQL for matched rows, not changed ones, so 0 is a row
        // the version check (or a concurrent delete) left out.
        if outcome.rows_affected == 0 && self.expected_version.is_some() {
            return Err(self.missed(db).await);
        }
        let pk = rekey_after_update(pk, &by_pk.set);
        FindUnique::new(pk).exec_required(db).await
    }
}

impl<M: Model> Update<M, UniqueKey<M>> {
    /// Why the update matched no row: gone, or (with an expected version)
    /// changed by another writer.
    async fn missed(&self, db: &Db) -> Error {
        match &self.expected_version {
            Some(expected) => optimistic::missed(db, &self.target, expected).await,
            None => not_found::<M>(),
        }
    }
}

/// If an update assigned new primary key values, the key to read the row back by.
fn rekey_after_update<M: Model>(pk: UniqueKey<M>, set: &[Assignment]) -> UniqueKey<M> {
    let values = M::SCHEMA
        .primary_key
        .columns
        .iter()
        .zip(pk.values())
        .map(|(&i, old)| {
            let column = M::SCHEMA.column(i);
            set.iter()
                .find(|a| a.column.is(column))
                .and_then(|a| match &a.value {
                    AssignValue::Set(v) => Some(v.clone()),
                    AssignValue::Arithmetic(..) => None,
                })
                .unwrap_or_else(|| old.clone())
        })
        .collect();
    UniqueKey::new(0, values)
}

/// The primary key of the row with `key`, read with one SELECT.
async fn primary_key_of<M: Model>(db: &Db, key: &UniqueKey<M>) -> Result<Option<UniqueKey<M>>> {
    use super::ast::{Projection, Select};
    let schema = M::SCHEMA;
    let pk_columns = schema
        .primary_key
        .columns
        .iter()
        .map(|&i| schema.column(i))
        .collect();
    let mut select = Select::new(schema.table, Projection::Columns(pk_columns));
    select.filter = Some(key.filter().expr);
    // Part of an update by key: a read of the row, as interceptors see it.
    let op = op::<M>(Action::FindUnique).on_primary(true);
    let rendered = db.prepare_statement(op, Statement::Select(select))?;
    let rows: Vec<PrimaryKeyRow<M>> = db.run_all(rendered).await?;
    Ok(rows
        .into_iter()
        .next()
        .map(|row| UniqueKey::new(0, row.values)))
}

/// The primary key columns of `M`, decoded by their schema types.
struct PrimaryKeyRow<M> {
    values: Vec<Value>,
    _model: PhantomData<fn() -> M>,
}

impl<M: Model> crate::schema::FromRow for PrimaryKeyRow<M> {
    fn from_row(row: crate::schema::Row<'_>, index: &mut usize) -> Result<Self, sqlx::Error> {
        let mut values = Vec::with_capacity(M::SCHEMA.primary_key.columns.len());
        for &i in M::SCHEMA.primary_key.columns {
            values.push(crate::value::decode_as(
                row,
                *index,
                M::SCHEMA.column(i).ty,
            )?);
            *index += 1;
        }
        Ok(PrimaryKeyRow {
            values,
            _model: PhantomData,
        })
    }
}

impl<M: Model> Update<M, Filter<M>> {
    pub fn statement(&self) -> Statement {
        Statement::Update(SqlUpdate {
            table: M::SCHEMA.table,
            set: self.assignments(),
            filter: Some(self.target.expr.clone()),
            returning: Vec::new(),
        })
    }

    /// Updates every matching row; returns how many matched. Boxed for the
    /// reason [`Create::exec`] is.
    pub fn exec(self, db: &Db) -> BoxFuture<'_, Result<u64>> {
        pin_in_place(|| async move {
            if self.assignments().is_empty() {
                return super::find::Count::<M>::new()
                    .filter(self.target)
                    .exec(db)
                    .await;
            }
            let rendered = db.prepare_statement(op::<M>(Action::UpdateMany), self.statement())?;
            Ok(db.run_execute(rendered).await?.rows_affected)
        })
    }
}

impl<M: Model> Update<M, ()> {
    pub(crate) fn into_assignments(self) -> Vec<Assignment> {
        self.assignments()
    }
}

/// Deletes the row with a unique key and returns it; `Error::NotFound` if none.
pub struct Delete<M> {
    key: UniqueKey<M>,
    soft_delete: SoftDeleteScope,
}

impl<M: Model> Delete<M> {
    pub fn new(key: UniqueKey<M>) -> Self {
        Delete {
            key,
            soft_delete: SoftDeleteScope::Live,
        }
    }

    /// Soft delete: removes the row for real (a DELETE), live or already
    /// soft-deleted. Without it, a soft-deleted model's row is only marked
    /// deleted. Changes nothing for a model without soft delete.
    pub fn force_delete(mut self) -> Self {
        self.soft_delete = SoftDeleteScope::WithDeleted;
        self
    }

    pub fn statement(&self) -> Statement {
        Statement::Delete(SqlDelete {
            table: M::SCHEMA.table,
            filter: Some(self.key.filter().expr),
            returning: all_columns::<M>(),
        })
    }

    pub async fn exec(self, db: &Db) -> Result<M> {
        let not_found = not_found::<M>;
        let scope = self.soft_delete;
        let op = op::<M>(Action::Delete).soft_delete(scope);
        if db.dialect().supports_returning() {
            let rendered = db.prepare_statement(op, self.statement())?;
            return db.run_optional(rendered).await?.ok_or_else(not_found);
        }
        let mut find = FindUnique::new(self.key.clone());
        if scope == SoftDeleteScope::WithDeleted {
            find = find.with_deleted();
        }
        let row = find.exec_required(db).await?;
        let rendered = db.prepare_statement(op, self.statement())?;
        if db.run_execute(rendered).await?.rows_affected == 0 {
            return Err(not_found());
        }
        // Soft-deleted, not removed: read it back as it is now (with its
        // deletion time), as RETURNING gives it elsewhere.
        if M::SCHEMA.soft_delete.is_some() && scope == SoftDeleteScope::Live {
            return FindUnique::new(self.key)
                .with_deleted()
                .exec_required(db)
                .await;
        }
        Ok(row)
    }
}

/// Deletes every matching row; returns how many.
pub struct DeleteMany<M> {
    filter: Option<Filter<M>>,
    soft_delete: SoftDeleteScope,
}

impl<M: Model> Default for DeleteMany<M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M: Model> DeleteMany<M> {
    pub fn new() -> Self {
        DeleteMany {
            filter: None,
            soft_delete: SoftDeleteScope::Live,
        }
    }

    /// Soft delete: removes the matching rows for real (a DELETE), live or
    /// already soft-deleted (`.filter(Model::deleted_at().lt(cutoff))`
    /// purges old ones). Changes nothing for a model without soft delete.
    pub fn force_delete(mut self) -> Self {
        self.soft_delete = SoftDeleteScope::WithDeleted;
        self
    }

    pub fn filter(mut self, filter: impl IntoFilter<M>) -> Self {
        self.filter = Some(super::filter::merge(
            self.filter.take(),
            filter.into_filter(),
        ));
        self
    }

    pub fn statement(&self) -> Statement {
        Statement::Delete(SqlDelete {
            table: M::SCHEMA.table,
            filter: self.filter.as_ref().map(|f| f.expr.clone()),
            returning: Vec::new(),
        })
    }

    pub async fn exec(self, db: &Db) -> Result<u64> {
        let op = op::<M>(Action::DeleteMany).soft_delete(self.soft_delete);
        let rendered = db.prepare_statement(op, self.statement())?;
        Ok(db.run_execute(rendered).await?.rows_affected)
    }
}

/// Inserts a row, or updates the row with the same unique key, in one atomic
/// statement (ON CONFLICT / ON DUPLICATE KEY UPDATE). Returns the row.
pub struct Upsert<M> {
    key: UniqueKey<M>,
    create: Create<M>,
    update: Update<M, ()>,
}

impl<M: Model> Upsert<M> {
    pub fn new(key: UniqueKey<M>, create: Create<M>, update: Update<M, ()>) -> Self {
        Upsert {
            key,
            create,
            update,
        }
    }

    /// The upsert without the create's nested writes (which `exec`
    /// refuses): what `ToSql` renders.
    pub(crate) fn row_only(&self) -> Self {
        Upsert {
            key: self.key.clone(),
            create: self.create.row_only(),
            update: self.update.clone(),
        }
    }

    pub fn statement(self) -> Statement {
        let target: Vec<_> = self.key.columns().collect();
        let mut create = self.create;
        // The row to insert carries the key it is looked up by.
        for (column, value) in target.iter().zip(self.key.values()) {
            if let Some(i) = M::SCHEMA.columns.iter().position(|c| c.is(column)) {
                if create.values[i].is_none() {
                    create.set(i, value.clone());
                }
            }
        }
        let only_if = (self.update.expected_version.as_ref())
            .and_then(|v| optimistic::version_check::<M>(v, true));
        let on_conflict = OnConflict {
            target,
            set: self.update.into_assignments(),
            only_if,
        };
        Statement::Insert(single_row_insert::<M>(
            create.into_row(false),
            Some(on_conflict),
        ))
    }

    /// Inserts or updates the row and returns it. With an expected version
    /// (`changes().expect_version(v)`), an existing row at another version
    /// is left as it is and the result is `Error::Conflict`; a missing row
    /// is still inserted.
    pub async fn exec(self, db: &Db) -> Result<M> {
        self.create.refuse_nested("upsert")?;
        let key = self.key.clone();
        let expected = self.update.expected_version.clone();
        let conflict = |expected: &Value| optimistic::conflict::<M>(key.values(), expected);
        let rendered = db.prepare_statement(op::<M>(Action::Upsert), self.statement())?;
        if db.dialect().supports_returning() {
            // No row back: the key existed and the DO UPDATE's WHERE
            // refused it.
            let row = match db.run_optional(rendered).await {
                // Under row-level security the policy refuses the conflict
                // update of a row it hides, before the guard's WHERE can.
                Err(Error::RowSecurityViolation { .. }) if crate::tenant::guards::<M>() => {
                    return Err(crate::tenant::upsert_refused(db, &key, expected.as_ref()).await)
                }
                other => other?,
            };
            return match (row, &expected) {
                (Some(row), _) => Ok(row),
                // The tenant filter's guard refused the row, or the version.
                (None, expected) if crate::tenant::guards::<M>() => {
                    Err(crate::tenant::upsert_refused(db, &key, expected.as_ref()).await)
                }
                (None, Some(expected)) => Err(conflict(expected)),
                (None, None) => Err(not_found::<M>()),
            };
        }
        let outcome = db.run_execute(rendered).await?;
        if outcome.last_insert_id == Some(optimistic::MYSQL_REFUSED_INSERT_ID) {
            if crate::tenant::guards::<M>() {
                return Err(crate::tenant::upsert_refused(db, &key, expected.as_ref()).await);
            }
            if let Some(expected) = &expected {
                return Err(conflict(expected));
            }
        }
        FindUnique::new(key).exec_required(db).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_is_truncated_to_microseconds() {
        for _ in 0..100 {
            match now_value(SqlType::Timestamptz) {
                Some(Value::Timestamptz(now)) => {
                    use chrono::Timelike as _;
                    assert_eq!(now.nanosecond() % 1_000, 0, "{now:?}");
                    let expected = chrono::DurationRound::duration_trunc(
                        now,
                        chrono::TimeDelta::microseconds(1),
                    );
                    assert_eq!(expected, Ok(now));
                }
                other => panic!("{other:?}"),
            }
        }
    }
}
