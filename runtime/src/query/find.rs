//! Reads: find_many, find_first, find_unique, count, exists, and projections.

use super::ast::{CompareOp, Expr, OrderBy, Projection as SqlProjection, Select};
use super::filter::{merge, merge_expr, Column, Filter, IntoFilter, Order, UniqueKey};
use super::related::Counts;
use super::row_lock::{row_lock_methods, LockRequest};
use crate::error::{Error, Result};
use crate::execute::{Db, FirstRow, Rows};
use crate::intercept::chain::{op, Op, Prepared};
use crate::intercept::Action;
use crate::query::ast::Statement;
use crate::relation::{
    HasMany, Include, Includes, LazyRead, ReadFuture, ReadOutput, ReadStatement, Relation, Strategy,
};
use crate::render::{render, render_checked, render_shape, Dialect, Shape, ShapeKind, Shared};
use crate::schema::{ColumnSchema, FieldType, FromRow, Model, ModelSchema, PartialModel};
use crate::soft_delete::{soft_delete_methods, Scope as SoftDeleteScope};
use crate::value::Value;
use std::future::Future;
use std::marker::PhantomData;

#[inline(always)]
pub(crate) fn all_columns<M: Model>() -> Vec<&'static ColumnSchema> {
    M::SCHEMA.columns.iter().collect()
}

/// The parts of a read every builder shares. Not generic: the typed
/// builders only wrap it, so it and its drop are compiled once, in strata,
/// rather than per model in the user's crate.
pub(crate) struct ReadArgs {
    model: &'static ModelSchema,
    filter: Option<Expr>,
    order_by: Vec<OrderBy>,
    skip: Option<i64>,
    take: Option<i64>,
    /// The cursor row's unique key filter.
    cursor: Option<Expr>,
    distinct: bool,
    lock: LockRequest,
    /// Soft delete: live rows (the default), or `with_deleted`/`only_deleted`.
    soft_delete: SoftDeleteScope,
}

impl ReadArgs {
    fn new(model: &'static ModelSchema) -> Self {
        ReadArgs {
            model,
            filter: None,
            order_by: Vec::new(),
            skip: None,
            take: None,
            cursor: None,
            distinct: false,
            lock: LockRequest::default(),
            soft_delete: SoftDeleteScope::Live,
        }
    }

    fn add_filter(&mut self, filter: Expr) {
        self.filter = Some(merge_expr(self.filter.take(), filter));
    }

    /// The SELECT for these arguments with `projection`, `computed` columns
    /// (relation counts) after it.
    fn to_select(&self, projection: SqlProjection, computed: Vec<Expr>) -> Result<Select> {
        let (filter, order_by) = (self.filter.clone(), self.order_by.clone());
        self.select_of(projection, computed, filter, order_by, self.cursor.clone())
    }

    /// [`ReadArgs::to_select`] for a read about to run, which needs its
    /// filter, order and cursor only in the statement: they are moved
    /// there, not copied (a copy of each value, and of each node of the
    /// filter, then a drop of the originals).
    fn take_select(&mut self, projection: SqlProjection, computed: Vec<Expr>) -> Result<Select> {
        let (filter, order_by) = (self.filter.take(), std::mem::take(&mut self.order_by));
        let cursor = self.cursor.take();
        self.select_of(projection, computed, filter, order_by, cursor)
    }

    fn select_of(
        &self,
        projection: SqlProjection,
        computed: Vec<Expr>,
        filter: Option<Expr>,
        order_by: Vec<OrderBy>,
        cursor: Option<Expr>,
    ) -> Result<Select> {
        let mut select = Select::new(self.model.table, projection);
        select.computed = computed;
        select.distinct = self.distinct;
        select.limit = self.take;
        select.offset = self.skip;
        select.order_by = order_by;
        select.filter = filter;
        paginate(&mut select, self.model, cursor)?;
        self.lock.apply(&mut select, self.model.name);
        Ok(select)
    }

    /// `statement`, prepared when the read's future is first polled.
    fn lazy(self, action: Action, statement: Result<Statement>) -> ReadStatement {
        ReadStatement::Lazy(LazyRead {
            model: self.model,
            action,
            statement,
            lock: self.lock,
            soft_delete: self.soft_delete,
        })
    }

    /// `statement` (a select/omit read of this model) past the `before` hooks.
    fn prepare(&self, db: &Db, statement: Statement) -> Result<Prepared<Shared>> {
        let op = Op::model(self.model, Action::FindMany)
            .on_primary(self.lock.requested())
            .soft_delete(self.soft_delete);
        let rendered = db.prepare_statement(op, statement)?;
        self.lock.check(db, self.model.name)?;
        Ok(rendered)
    }
}

/// The parts of a read of whole rows (`find_many`, `find_first`).
struct WholeRead<M> {
    args: ReadArgs,
    counts: Counts<M>,
    includes: Includes<M>,
}

impl<M: Model> WholeRead<M> {
    #[inline(always)]
    fn new(args: ReadArgs) -> Self {
        WholeRead {
            args,
            counts: Counts::new(),
            includes: Includes::new(),
        }
    }

    /// The SELECT of whole rows, counts and joined includes after them.
    #[inline(always)]
    fn statement(&self) -> Result<Statement> {
        let columns = SqlProjection::Columns(all_columns::<M>());
        let select = (self.args).to_select(columns, self.counts.exprs().to_vec());
        self.with_includes(select)
    }

    #[inline(always)]
    fn with_includes(&self, select: Result<Select>) -> Result<Statement> {
        let mut select = select?;
        self.includes.extend_select(&mut select);
        Ok(Statement::Select(select))
    }

    /// Reads the rows, their counts and includes.
    #[inline(always)]
    fn exec<O: ReadOutput<M>>(
        mut self,
        db: &Db,
        action: Action,
        rows: Rows,
    ) -> ReadFuture<'_, M, O> {
        let columns = SqlProjection::Columns(all_columns::<M>());
        let select = (self.args).take_select(columns, self.counts.exprs().to_vec());
        let statement = self.with_includes(select);
        let lock = self.args.lock;
        let prepare = self.args.lazy(action, statement);
        self.includes.fetch(db, prepare, self.counts, rows, lock)
    }
}

/// Why `select`/`omit` after `with_count` is refused.
fn refuse_counts(model: &'static ModelSchema, counted: bool, read: &str) -> Result<()> {
    if !counted {
        return Ok(());
    }
    Err(Error::InvalidValue {
        model: model.name,
        field: None,
        reason: format!(
            "with_count stores counts on the model's relation fields, so it cannot be combined with {read}"
        ),
    })
}

/// Makes a paginated `select`'s order total, and adds the `cursor`'s
/// condition (the cursor row's unique key filter) to its filter. Not
/// generic: each model's read only hands it the schema.
fn paginate(select: &mut Select, model: &'static ModelSchema, cursor: Option<Expr>) -> Result<()> {
    let paginated = select.offset.is_some() || select.limit.is_some() || cursor.is_some();
    if paginated {
        // Pages must not overlap or skip rows: make the order total by ending
        // it with the primary key.
        for &i in model.primary_key.columns {
            let column = model.column(i);
            if !select.order_by.iter().any(|o| o.column.is(column)) {
                select.order_by.push(OrderBy {
                    column,
                    descending: false,
                    nulls: None,
                });
            }
        }
    }
    if let Some(cursor) = cursor {
        let at_or_after = cursor_condition(model, cursor, &select.order_by)?;
        select.filter = Some(match select.filter.take() {
            Some(f) => Expr::And(vec![f, at_or_after]),
            None => at_or_after,
        });
    }
    Ok(())
}

/// Rows at or after the cursor row in `order` (Prisma's inclusive cursor):
/// `k1 > c1 OR (k1 = c1 AND k2 > c2) OR ... OR (k1 = c1 AND ... AND kn >= cn)`,
/// where each `ci` is read from the cursor row (the one `cursor` filters
/// to) by a subquery in the same statement.
fn cursor_condition(model: &'static ModelSchema, cursor: Expr, order: &[OrderBy]) -> Result<Expr> {
    if let Some(nullable) = order.iter().find(|o| o.column.nullable) {
        return Err(Error::InvalidValue {
            model: model.name,
            field: Some(nullable.column.field),
            reason: "cursor pagination needs non-nullable sort columns; sort by another column or filter out NULLs".into(),
        });
    }
    let cursor_value = |column: &'static ColumnSchema| {
        let mut sub = Select::new(model.table, SqlProjection::Columns(vec![column]));
        sub.filter = Some(cursor.clone());
        Expr::Subquery(Box::new(sub))
    };
    let compare = |o: &OrderBy, op: CompareOp| {
        Expr::Compare(
            Box::new(Expr::Column(o.column)),
            op,
            Box::new(cursor_value(o.column)),
        )
    };
    let mut alternatives = Vec::with_capacity(order.len());
    for (i, key) in order.iter().enumerate() {
        let last = i + 1 == order.len();
        let op = match (key.descending, last) {
            (false, false) => CompareOp::Gt,
            (false, true) => CompareOp::Gte,
            (true, false) => CompareOp::Lt,
            (true, true) => CompareOp::Lte,
        };
        let mut parts: Vec<Expr> = order[..i]
            .iter()
            .map(|o| compare(o, CompareOp::Eq))
            .collect();
        parts.push(compare(key, op));
        alternatives.push(Expr::all(parts));
    }
    Ok(Expr::Or(alternatives))
}

/// Builder methods every multi-row read shares.
macro_rules! read_builder_methods {
    () => {
        /// Keeps rows matching `filter`; repeated calls AND together.
        #[inline(always)]
        pub fn filter(mut self, filter: impl IntoFilter<M>) -> Self {
            self.read.args.add_filter(filter.into_filter().expr);
            self
        }
        /// Sorts by `order` after any earlier sort keys.
        #[inline(always)]
        pub fn order_by(mut self, order: Order<M>) -> Self {
            self.read.args.order_by.push(order.order);
            self
        }
        /// Skips the first `n` rows (offset pagination).
        #[inline(always)]
        pub fn skip(mut self, n: u64) -> Self {
            self.read.args.skip = Some(i64::try_from(n).unwrap_or(i64::MAX));
            self
        }
        /// Starts at the row with this unique key (inclusive), in the query's
        /// order with the primary key as tie-break (keyset pagination).
        #[inline(always)]
        pub fn cursor(mut self, key: UniqueKey<M>) -> Self {
            self.read.args.cursor = Some(key.filter().expr);
            self
        }
        /// Also counts each row's related rows of a to-many relation, in the
        /// same statement (a correlated `(SELECT COUNT(*) ..)`); read it with
        /// the relation field's `count()`. Only the relation's `filter` applies:
        /// `.with_count(User::posts().filter(Post::published().eq(true)))`.
        /// Reads of the whole model only (not with `select`/`omit`).
        #[inline(always)]
        pub fn with_count<C: PartialModel>(mut self, relation: Relation<M, C, HasMany<C>>) -> Self {
            self.read.counts.push(relation);
            self
        }

        row_lock_methods!(read.args.lock);
        soft_delete_methods!(read.args.soft_delete);
    };
}

/// `include` and `strategy`, shared by the reads that return whole rows.
macro_rules! include_method {
    ($($includes:ident).+) => {
        /// Also loads a relation of the rows read, e.g.
        /// `.include(User::posts().include(Post::comments()))`: one more
        /// statement per relation, however many rows there are (or none,
        /// with [`Strategy::Joined`]).
        #[inline(always)]
        pub fn include(mut self, include: impl Include<M> + 'static) -> Self {
            self.$($includes).+.push(Box::new(include));
            self
        }

        /// How the includes are read: [`Strategy::Batched`] (the default),
        /// one statement per include level, or [`Strategy::Joined`], the
        /// whole include tree in this read's one statement. Both give the
        /// same rows in the same order.
        #[inline(always)]
        pub fn strategy(mut self, strategy: Strategy) -> Self {
            self.$($includes).+.set_strategy(strategy);
            self
        }
    };
}

pub struct FindMany<M> {
    read: WholeRead<M>,
}

impl<M: Model> Default for FindMany<M> {
    #[inline(always)]
    fn default() -> Self {
        Self::new()
    }
}

impl<M: Model> FindMany<M> {
    #[inline(always)]
    pub fn new() -> Self {
        FindMany {
            read: WholeRead::new(ReadArgs::new(M::SCHEMA)),
        }
    }

    read_builder_methods!();
    include_method!(read.includes);

    /// At most `n` rows.
    #[inline(always)]
    pub fn take(mut self, n: u64) -> Self {
        self.read.args.take = Some(i64::try_from(n).unwrap_or(i64::MAX));
        self
    }

    /// Drops duplicate rows (SELECT DISTINCT); most useful with `select`.
    #[inline(always)]
    pub fn distinct(mut self) -> Self {
        self.read.args.distinct = true;
        self
    }

    /// Reads only `columns` into a tuple (or one value), e.g.
    /// `.select((User::id(), User::email()))` gives `Vec<(i64, String)>`.
    #[inline(always)]
    pub fn select<P: Projection<M>>(self, columns: P) -> SelectMany<M, P> {
        SelectMany {
            args: self.read.args,
            columns,
            dropped_includes: !self.read.includes.is_empty(),
            counted: !self.read.counts.is_empty(),
            _model: PhantomData,
        }
    }

    /// Reads every column except `columns` (one column or a tuple) into
    /// `{Model}Partial`, whose omitted fields are `None`: for wide or sensitive
    /// columns a query should not carry.
    #[inline(always)]
    pub fn omit<P: Projection<M>>(self, columns: P) -> Omit<M> {
        let omitted = columns.columns();
        let selected = M::SCHEMA
            .columns
            .iter()
            .map(|c| !omitted.iter().any(|o| o.is(c)))
            .collect();
        Omit {
            args: self.read.args,
            selected,
            dropped_includes: !self.read.includes.is_empty(),
            counted: !self.read.counts.is_empty(),
            _model: PhantomData,
        }
    }

    #[inline(always)]
    pub fn statement(&self) -> Result<Statement> {
        self.read.statement()
    }

    #[inline(always)]
    pub fn exec(self, db: &Db) -> impl Future<Output = Result<Vec<M>>> + Send + '_ {
        self.read.exec(db, Action::FindMany, Rows::All)
    }
}

/// `find_many().select(..)`: only some columns.
pub struct SelectMany<M, P> {
    args: ReadArgs,
    columns: P,
    /// `include` came before `select`: refused at exec rather than ignored.
    dropped_includes: bool,
    /// `with_count` came before `select`: refused too.
    counted: bool,
    _model: PhantomData<fn() -> M>,
}

impl<M: Model, P: Projection<M>> SelectMany<M, P> {
    row_lock_methods!(args.lock);

    #[inline(always)]
    pub fn statement(&self) -> Result<Statement> {
        let columns = self.projection()?;
        Ok(Statement::Select(self.args.to_select(columns, Vec::new())?))
    }

    fn projection(&self) -> Result<SqlProjection> {
        refuse_counts(M::SCHEMA, self.counted, "select")?;
        Ok(SqlProjection::Columns(self.columns.columns()))
    }

    pub async fn exec(mut self, db: &Db) -> Result<Vec<P::Output>> {
        refuse_dropped_includes::<M>(self.dropped_includes)?;
        let lock = self.args.lock;
        // The filter, order and cursor move into the statement, as
        // `find_many`'s do.
        let select = self.args.take_select(self.projection()?, Vec::new())?;
        let rendered = self.args.prepare(db, Statement::Select(select))?;
        (db.run_all(rendered).await).map_err(|e| lock.classify(e, M::SCHEMA.name))
    }

    /// Each row converted into `S` (e.g. a struct with `From<(i64, String)>`).
    pub async fn exec_into<S: From<P::Output>>(self, db: &Db) -> Result<Vec<S>> {
        Ok(self.exec(db).await?.into_iter().map(S::from).collect())
    }
}

/// `find_many().omit(..)`: every column but some, into `{Model}Partial`.
pub struct Omit<M> {
    args: ReadArgs,
    selected: std::sync::Arc<[bool]>,
    /// `include` came before `omit`: refused at exec rather than ignored.
    dropped_includes: bool,
    /// `with_count` came before `omit`: refused too.
    counted: bool,
    _model: PhantomData<fn() -> M>,
}

impl<M: PartialModel> Omit<M> {
    row_lock_methods!(args.lock);

    #[inline(always)]
    pub fn statement(&self) -> Result<Statement> {
        let columns = self.projection()?;
        Ok(Statement::Select(self.args.to_select(columns, Vec::new())?))
    }

    fn projection(&self) -> Result<SqlProjection> {
        refuse_counts(M::SCHEMA, self.counted, "omit")?;
        let columns = M::SCHEMA
            .columns
            .iter()
            .zip(self.selected.iter())
            .filter_map(|(c, &keep)| keep.then_some(c))
            .collect();
        Ok(SqlProjection::Columns(columns))
    }

    pub async fn exec(mut self, db: &Db) -> Result<Vec<M::Partial>> {
        refuse_dropped_includes::<M>(self.dropped_includes)?;
        let lock = self.args.lock;
        // Moved into the statement, as in `SelectMany::exec`.
        let select = self.args.take_select(self.projection()?, Vec::new())?;
        let rendered = self.args.prepare(db, Statement::Select(select))?;
        let selected = self.selected;
        let decode = move |row: crate::schema::Row<'_>| M::decode_partial(row, &selected);
        (db.run_fetch(rendered, decode, Rows::All).await)
            .map_err(|e| lock.classify(e, M::SCHEMA.name))
    }
}

fn refuse_dropped_includes<M: Model>(dropped: bool) -> Result<()> {
    if dropped {
        return Err(Error::InvalidValue {
            model: M::SCHEMA.name,
            field: None,
            reason: "`include` fills relation fields of whole rows; it cannot be combined with `select` or `omit` on the same read (use select/omit inside the include instead)".into(),
        });
    }
    Ok(())
}

/// Columns of `M` read together into `Output`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a selection of `{M}`'s columns",
    note = "select one column of `{M}` or a tuple of up to 12 of them, e.g. `({M}::id(), {M}::name())`"
)]
pub trait Projection<M> {
    type Output: FromRow + Send + Unpin + 'static;
    fn columns(&self) -> Vec<&'static ColumnSchema>;
}

impl<M: Model, T: FieldType + Unpin> Projection<M> for Column<M, T> {
    type Output = T;
    fn columns(&self) -> Vec<&'static ColumnSchema> {
        vec![self.schema()]
    }
}

macro_rules! tuple_projection {
    ($($name:ident),+) => {
        impl<M: Model, $($name: Projection<M>),+> Projection<M> for ($($name,)+) {
            type Output = ($($name::Output,)+);
            fn columns(&self) -> Vec<&'static ColumnSchema> {
                #[allow(non_snake_case)]
                let ($($name,)+) = self;
                let mut columns = Vec::new();
                $(columns.extend($name.columns());)+
                columns
            }
        }
        impl<$($name: FromRow),+> FromRow for ($($name,)+) {
            fn from_row(row: crate::schema::Row<'_>, index: &mut usize) -> Result<Self, sqlx::Error> {
                Ok(($($name::from_row(row, index)?,)+))
            }
        }
    };
}
tuple_projection!(A);
tuple_projection!(A, B);
tuple_projection!(A, B, C);
tuple_projection!(A, B, C, D);
tuple_projection!(A, B, C, D, E);
tuple_projection!(A, B, C, D, E, F);
tuple_projection!(A, B, C, D, E, F, G);
tuple_projection!(A, B, C, D, E, F, G, H);
tuple_projection!(A, B, C, D, E, F, G, H, I);
tuple_projection!(A, B, C, D, E, F, G, H, I, J);
tuple_projection!(A, B, C, D, E, F, G, H, I, J, K);
tuple_projection!(A, B, C, D, E, F, G, H, I, J, K, L);

/// The first row in order, or `None`.
pub struct FindFirst<M> {
    read: WholeRead<M>,
}

impl<M: Model> Default for FindFirst<M> {
    #[inline(always)]
    fn default() -> Self {
        Self::new()
    }
}

impl<M: Model> FindFirst<M> {
    #[inline(always)]
    pub fn new() -> Self {
        let mut args = ReadArgs::new(M::SCHEMA);
        args.take = Some(1);
        FindFirst {
            read: WholeRead::new(args),
        }
    }

    read_builder_methods!();
    include_method!(read.includes);

    #[inline(always)]
    pub fn statement(&self) -> Result<Statement> {
        self.read.statement()
    }

    #[inline(always)]
    pub fn exec(self, db: &Db) -> impl Future<Output = Result<Option<M>>> + Send + '_ {
        self.read.exec(db, Action::FindFirst, Rows::First)
    }
}

/// The row with a unique key, or `None`.
pub struct FindUnique<M> {
    key: UniqueKey<M>,
    counts: Counts<M>,
    includes: Includes<M>,
    lock: LockRequest,
    soft_delete: SoftDeleteScope,
}

impl<M: Model> FindUnique<M> {
    #[inline(always)]
    pub fn new(key: UniqueKey<M>) -> Self {
        FindUnique {
            key,
            counts: Counts::new(),
            includes: Includes::new(),
            lock: LockRequest::default(),
            soft_delete: SoftDeleteScope::Live,
        }
    }

    include_method!(includes);
    row_lock_methods!(lock);
    soft_delete_methods!(soft_delete);

    /// Also counts the row's related rows of a to-many relation; see
    /// [`FindMany::with_count`].
    #[inline(always)]
    pub fn with_count<C: PartialModel>(mut self, relation: Relation<M, C, HasMany<C>>) -> Self {
        self.counts.push(relation);
        self
    }

    #[inline(always)]
    pub fn statement(&self) -> Statement {
        self.statement_of(self.key.values())
    }

    /// The statement with `key_values` as the key's values.
    fn statement_of(&self, key_values: &[Value]) -> Statement {
        let mut select = Select::new(M::SCHEMA.table, SqlProjection::Columns(all_columns::<M>()));
        select.computed = self.counts.exprs().to_vec();
        select.filter = Some(self.key.filter_of(key_values).expr);
        self.includes.extend_select(&mut select);
        self.lock.apply(&mut select, M::SCHEMA.name);
        Statement::Select(select)
    }

    pub async fn exec(mut self, db: &Db) -> Result<Option<M>> {
        // Moved into the binds, not copied: the key is not read again.
        let key_values = self.key.take_values();
        let rendered = self.prepare(db, key_values)?;
        let lock = self.lock;
        lock.check(db, M::SCHEMA.name)?;
        let found = if self.includes.is_empty() && self.counts.is_empty() {
            // The row alone: `Includes::fetch` would read it into a vector.
            let mut row = FirstRow::new();
            (db.fetch_first(rendered, &mut row).await).map(|()| row.into_row())
        } else {
            let statement = ReadStatement::Prepared(rendered);
            (self.includes)
                .fetch(db, statement, self.counts, Rows::First, lock)
                .await
        };
        found.map_err(|e| lock.classify(e, M::SCHEMA.name))
    }

    /// Past the interceptors: unless one changed it, the text of a
    /// statement with no counts, includes or lock comes from
    /// `render::shape`.
    fn prepare(&self, db: &Db, key_values: Vec<Value>) -> Result<Prepared<Shared>> {
        let op = op::<M>(Action::FindUnique)
            .on_primary(self.lock.requested())
            .soft_delete(self.soft_delete);
        let statement = |values: &Vec<Value>| self.statement_of(values);
        let shaped = |values| self.render(values, db.dialect());
        db.prepare_point(op, key_values, statement, shaped)
    }

    /// The statement with the key's values `binds`; without counts,
    /// includes or a lock, its text remembered per key (`render::shape`).
    fn render(&self, binds: Vec<Value>, dialect: Dialect) -> Result<Shared> {
        if !self.counts.is_empty() || !self.includes.is_empty() || self.lock.requested() {
            return render_checked(&self.statement_of(&binds), dialect).map(Shared::from);
        }
        let shape = Shape::new::<M>(ShapeKind::SelectByKey, dialect)
            .push(self.key.index())
            .and_then(|s| s.binds(&binds));
        let full = |binds: Vec<Value>| render(&self.statement_of(&binds), dialect);
        Ok(match shape {
            Some(shape) => render_shape(shape, binds, full),
            None => full(binds).into(),
        })
    }

    /// Like `exec`, but a missing row is `Error::NotFound`.
    pub async fn exec_required(self, db: &Db) -> Result<M> {
        self.exec(db)
            .await?
            .ok_or_else(super::write::not_found::<M>)
    }
}

/// `SELECT COUNT(*)` of matching rows.
pub struct Count<M> {
    filter: Option<Filter<M>>,
    soft_delete: SoftDeleteScope,
    _model: PhantomData<fn() -> M>,
}

impl<M: Model> Default for Count<M> {
    #[inline(always)]
    fn default() -> Self {
        Self::new()
    }
}

impl<M: Model> Count<M> {
    #[inline(always)]
    pub fn new() -> Self {
        Count {
            filter: None,
            soft_delete: SoftDeleteScope::Live,
            _model: PhantomData,
        }
    }

    soft_delete_methods!(soft_delete);

    #[inline(always)]
    pub fn filter(mut self, filter: impl IntoFilter<M>) -> Self {
        let filter = filter.into_filter();
        self.filter = Some(merge(self.filter.take(), filter));
        self
    }

    #[inline(always)]
    pub fn statement(&self) -> Statement {
        let mut select = Select::new(M::SCHEMA.table, SqlProjection::CountAll);
        select.filter = self.filter.as_ref().map(|f| f.expr.clone());
        Statement::Select(select)
    }

    #[inline(always)]
    pub fn exec(self, db: &Db) -> impl Future<Output = Result<u64>> + Send + '_ {
        let op = op::<M>(Action::Count).soft_delete(self.soft_delete);
        count_rows(db, op, self.statement())
    }
}

/// Whether any row matches (`SELECT 1 ... LIMIT 1`).
pub struct Exists<M> {
    filter: Option<Filter<M>>,
    soft_delete: SoftDeleteScope,
}

impl<M: Model> Default for Exists<M> {
    #[inline(always)]
    fn default() -> Self {
        Self::new()
    }
}

impl<M: Model> Exists<M> {
    #[inline(always)]
    pub fn new() -> Self {
        Exists {
            filter: None,
            soft_delete: SoftDeleteScope::Live,
        }
    }

    soft_delete_methods!(soft_delete);

    #[inline(always)]
    pub fn filter(mut self, filter: impl IntoFilter<M>) -> Self {
        let filter = filter.into_filter();
        self.filter = Some(merge(self.filter.take(), filter));
        self
    }

    #[inline(always)]
    pub fn statement(&self) -> Statement {
        let mut select = Select::new(M::SCHEMA.table, SqlProjection::One);
        select.filter = self.filter.as_ref().map(|f| f.expr.clone());
        select.limit = Some(1);
        Statement::Select(select)
    }

    #[inline(always)]
    pub fn exec(self, db: &Db) -> impl Future<Output = Result<bool>> + Send + '_ {
        let op = op::<M>(Action::Exists).soft_delete(self.soft_delete);
        any_row(db, op, self.statement())
    }
}

/// [`Count::exec`]'s future, not generic: compiled once, in strata.
async fn count_rows(db: &Db, op: Op, statement: Statement) -> Result<u64> {
    let rendered = db.prepare_statement(op, statement)?;
    let count: Vec<i64> = db.run_all(rendered).await?;
    Ok(count.first().copied().unwrap_or(0).max(0) as u64)
}

/// [`Exists::exec`]'s future, not generic: compiled once, in strata.
async fn any_row(db: &Db, op: Op, statement: Statement) -> Result<bool> {
    let rendered = db.prepare_statement(op, statement)?;
    let rows: Vec<()> = db.run_all(rendered).await?;
    Ok(!rows.is_empty())
}
