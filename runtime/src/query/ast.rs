//! The statement AST. Builders produce it; `render` turns it into SQL text plus
//! binds for one dialect. It knows nothing about Rust types beyond [`Value`].

use crate::schema::ColumnSchema;
use crate::value::Value;

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Column(&'static ColumnSchema),
    Value(Value),
    Compare(Box<Expr>, CompareOp, Box<Expr>),
    /// `expr [NOT] IN (values)`; an empty list is rendered as constant false (or true).
    InList {
        expr: Box<Expr>,
        values: Vec<Value>,
        negated: bool,
    },
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
    /// A substring match. `needle` is the user's text; the renderer escapes its
    /// wildcards and adds its own.
    Like {
        expr: Box<Expr>,
        needle: String,
        position: LikePosition,
        case_insensitive: bool,
    },
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    /// A scalar subquery, e.g. the cursor row's sort key or a relation count.
    /// Rendered with its table aliased (`"t1"`, `"t2"`.. by nesting depth), so
    /// it may read the same table as the query around it.
    Subquery(Box<Select>),
    /// `[NOT] EXISTS (query)`: relation filters. `query` is aliased like a
    /// [`Expr::Subquery`] and refers to the row around it with [`Expr::Outer`].
    Exists {
        query: Box<Select>,
        negated: bool,
    },
    /// A column of the enclosing query's row, from inside a subquery: rendered
    /// qualified by that query's alias (or by `table` when the enclosing query
    /// is a top-level statement, whose table is not aliased).
    Outer {
        table: &'static str,
        column: &'static ColumnSchema,
    },
    /// `(expr) IS NOT TRUE`: false or NULL. How `every` treats a related row
    /// for which the condition is unknown as not satisfying it.
    IsNotTrue(Box<Expr>),
    /// The related rows of the enclosing row as one JSON array of row arrays:
    /// an include read in its parent's statement (strategy `Joined`).
    IncludeJson(Box<JsonInclude>),
    /// A column named with its table, or the alias the table was given: the
    /// select builder's columns, where several tables are in scope and a bare
    /// name could be ambiguous.
    Qualified {
        table: std::borrow::Cow<'static, str>,
        column: &'static ColumnSchema,
    },
    /// `COUNT(*)`, `SUM(x)`, `COUNT(DISTINCT x)`.. `result` is the SQL type
    /// strata decodes the value as; the renderer casts where a database's own
    /// result type differs (PostgreSQL's SUM of a bigint is numeric, MySQL's
    /// SUM of anything exact is DECIMAL).
    Aggregate(Aggregate),
    /// A condition strata could not build (a relation that does not resolve
    /// on a hand-written schema). Rendered as constant false; executing a
    /// statement that contains one returns its error instead of running.
    Invalid(InvalidExpr),
    /// A `sql!` fragment used as an expression (the select builder's escape
    /// hatch): rendered in parentheses, its values bound in statement order.
    Raw(crate::raw::Sql),
    /// A select builder query used as an expression: a scalar subquery,
    /// `[NOT] EXISTS`, `x [NOT] IN (query)` (`query::select`; rendered by
    /// render/select.rs).
    SelectSubquery(Box<crate::query::select::SubqueryExpr>),
}

/// Why an [`Expr::Invalid`] could not be built: becomes
/// [`Error::InvalidValue`](crate::Error::InvalidValue) when the statement runs.
#[derive(Debug, Clone, PartialEq)]
pub struct InvalidExpr {
    pub model: &'static str,
    pub field: Option<&'static str>,
    pub reason: String,
}

impl From<InvalidExpr> for crate::Error {
    fn from(e: InvalidExpr) -> Self {
        crate::Error::InvalidValue {
            model: e.model,
            field: e.field,
            reason: e.reason,
        }
    }
}

impl Expr {
    /// All of `parts`: the part itself when there is one, so a single-column
    /// key reads `"id" = $1` rather than `("id" = $1)`.
    pub fn all(mut parts: Vec<Expr>) -> Expr {
        match parts.pop() {
            Some(only) if parts.is_empty() => only,
            Some(last) => {
                parts.push(last);
                Expr::And(parts)
            }
            None => Expr::And(parts),
        }
    }

    /// Calls `f` on each operand of this operator (both sides of a
    /// comparison, an AND's items, an aggregate's argument..). Queries
    /// nested in it (subqueries, EXISTS, includes, builder subqueries) are
    /// not operands: a walker decides what to do with those itself.
    pub(crate) fn for_each_operand_mut(&mut self, mut f: impl FnMut(&mut Expr)) {
        match self {
            Expr::Compare(lhs, _, rhs) => {
                f(lhs);
                f(rhs);
            }
            Expr::InList { expr, .. }
            | Expr::IsNull { expr, .. }
            | Expr::Like { expr, .. }
            | Expr::Not(expr)
            | Expr::IsNotTrue(expr) => f(expr),
            Expr::And(items) | Expr::Or(items) => items.iter_mut().for_each(f),
            Expr::Aggregate(aggregate) => {
                if let Some(arg) = &mut aggregate.arg {
                    f(arg);
                }
            }
            Expr::Subquery(_)
            | Expr::Exists { .. }
            | Expr::IncludeJson(_)
            | Expr::SelectSubquery(_)
            | Expr::Column(_)
            | Expr::Value(_)
            | Expr::Outer { .. }
            | Expr::Qualified { .. }
            | Expr::Invalid(_)
            | Expr::Raw(_) => {}
        }
    }

    /// [`Expr::for_each_operand_mut`], reading.
    pub(crate) fn for_each_operand(&self, mut f: impl FnMut(&Expr)) {
        match self {
            Expr::Compare(lhs, _, rhs) => {
                f(lhs);
                f(rhs);
            }
            Expr::InList { expr, .. }
            | Expr::IsNull { expr, .. }
            | Expr::Like { expr, .. }
            | Expr::Not(expr)
            | Expr::IsNotTrue(expr) => f(expr),
            Expr::And(items) | Expr::Or(items) => items.iter().for_each(f),
            Expr::Aggregate(aggregate) => {
                if let Some(arg) = &aggregate.arg {
                    f(arg);
                }
            }
            Expr::Subquery(_)
            | Expr::Exists { .. }
            | Expr::IncludeJson(_)
            | Expr::SelectSubquery(_)
            | Expr::Column(_)
            | Expr::Value(_)
            | Expr::Outer { .. }
            | Expr::Qualified { .. }
            | Expr::Invalid(_)
            | Expr::Raw(_) => {}
        }
    }

    /// The first [`Expr::Invalid`] in this tree, if any.
    pub fn invalid(&self) -> Option<&InvalidExpr> {
        match self {
            Expr::Invalid(e) => Some(e),
            Expr::Raw(_) => None,
            Expr::SelectSubquery(sub) => sub.invalid(),
            Expr::Column(_) | Expr::Value(_) | Expr::Outer { .. } | Expr::Qualified { .. } => None,
            Expr::Aggregate(aggregate) => aggregate.arg.as_deref().and_then(Expr::invalid),
            Expr::Compare(lhs, _, rhs) => lhs.invalid().or_else(|| rhs.invalid()),
            Expr::InList { expr, .. }
            | Expr::IsNull { expr, .. }
            | Expr::Like { expr, .. }
            | Expr::Not(expr)
            | Expr::IsNotTrue(expr) => expr.invalid(),
            Expr::And(items) | Expr::Or(items) => items.iter().find_map(Expr::invalid),
            Expr::Subquery(query) | Expr::Exists { query, .. } => query.invalid(),
            Expr::IncludeJson(include) => include.invalid(),
        }
    }
}

/// An aggregate call; see [`Expr::Aggregate`].
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    pub function: AggregateFn,
    /// `COUNT(DISTINCT x)`, `SUM(DISTINCT x)`..
    pub distinct: bool,
    /// `None` only for `COUNT(*)`.
    pub arg: Option<Box<Expr>>,
    pub result: crate::schema::SqlType,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggregateFn {
    Count,
    Sum,
    Avg,
    Min,
    Max,
}

impl AggregateFn {
    pub(crate) fn sql(self) -> &'static str {
        match self {
            AggregateFn::Count => "COUNT",
            AggregateFn::Sum => "SUM",
            AggregateFn::Avg => "AVG",
            AggregateFn::Min => "MIN",
            AggregateFn::Max => "MAX",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Lte,
    Gt,
    Gte,
}

impl CompareOp {
    pub(crate) fn sql(self) -> &'static str {
        match self {
            CompareOp::Eq => "=",
            CompareOp::Ne => "<>",
            CompareOp::Lt => "<",
            CompareOp::Lte => "<=",
            CompareOp::Gt => ">",
            CompareOp::Gte => ">=",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LikePosition {
    Contains,
    StartsWith,
    EndsWith,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NullsOrder {
    First,
    Last,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderBy {
    pub column: &'static ColumnSchema,
    pub descending: bool,
    /// `None` means strata's portable default: NULLs sort as the largest value
    /// (last ascending, first descending), as PostgreSQL does.
    pub nulls: Option<NullsOrder>,
}

impl OrderBy {
    /// Where NULLs go, made explicit so every dialect agrees.
    pub fn effective_nulls(&self) -> NullsOrder {
        self.nulls.unwrap_or(if self.descending {
            NullsOrder::First
        } else {
            NullsOrder::Last
        })
    }
}

/// A sort key over any expression (an aggregate, a group key). `nulls`
/// `None` is [`OrderBy`]'s portable default.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderByExpr {
    pub expr: Expr,
    pub descending: bool,
    pub nulls: Option<NullsOrder>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Projection {
    Columns(Vec<&'static ColumnSchema>),
    CountAll,
    /// `SELECT 1`, for `exists`.
    One,
    /// Typed expressions in order: a model's aggregates and group keys.
    Exprs(Vec<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    pub table: &'static str,
    pub projection: Projection,
    /// Expressions read after the projection's columns, in order (relation
    /// counts: one scalar subquery each).
    pub computed: Vec<Expr>,
    pub distinct: bool,
    pub filter: Option<Expr>,
    pub order_by: Vec<OrderBy>,
    /// `GROUP BY` expressions: a model's `group_by` keys.
    pub group_by: Vec<Expr>,
    /// `HAVING`: a condition on each group.
    pub having: Option<Expr>,
    /// Sort keys over expressions (aggregates, group keys), after
    /// `order_by`'s columns.
    pub order_exprs: Vec<OrderByExpr>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
    /// A locking read: `FOR UPDATE` and kin, written after LIMIT/OFFSET.
    /// Only a top-level SELECT's lock is rendered (render/row_lock.rs).
    pub lock: Option<RowLock>,
}

/// The row lock a read takes on the rows it returns, held until its
/// transaction ends. Rendered per dialect by render/row_lock.rs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowLock {
    pub strength: LockStrength,
    pub wait: LockWait,
}

/// PostgreSQL's four row lock strengths, strongest first. MySQL/MariaDB
/// have two (exclusive and shared): the PostgreSQL-only ones are written as
/// the stronger lock there; SQLite has none (its transactions hold the
/// whole database's write lock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockStrength {
    /// `FOR UPDATE`: no other transaction may lock, update or delete the rows.
    Update,
    /// `FOR NO KEY UPDATE`: like `Update`, but lets other transactions take
    /// `KeyShare` locks (inserts referencing the rows by foreign key).
    NoKeyUpdate,
    /// `FOR SHARE`: others may read-lock the rows too, but not change them.
    Share,
    /// `FOR KEY SHARE`: blocks only deletes and key changes.
    KeyShare,
}

/// What a locking read does when another transaction holds a conflicting
/// lock on a row it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockWait {
    /// Waits for it (up to the database's lock timeout).
    Wait,
    /// Fails at once: `NOWAIT`, [`Error::LockNotAvailable`](crate::Error::LockNotAvailable).
    NoWait,
    /// Leaves the row out of the result: `SKIP LOCKED` (job queues).
    SkipLocked,
}

impl Select {
    pub fn new(table: &'static str, projection: Projection) -> Self {
        Select {
            table,
            projection,
            computed: Vec::new(),
            distinct: false,
            filter: None,
            order_by: Vec::new(),
            group_by: Vec::new(),
            having: None,
            order_exprs: Vec::new(),
            limit: None,
            offset: None,
            lock: None,
        }
    }

    /// The first [`Expr::Invalid`] in this query's expressions, if any.
    pub fn invalid(&self) -> Option<&InvalidExpr> {
        let projected = match &self.projection {
            Projection::Exprs(exprs) => exprs.as_slice(),
            _ => &[],
        };
        self.computed
            .iter()
            .chain(projected)
            .chain(&self.filter)
            .chain(&self.group_by)
            .chain(&self.having)
            .chain(self.order_exprs.iter().map(|o| &o.expr))
            .find_map(Expr::invalid)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Insert {
    pub table: &'static str,
    pub columns: Vec<&'static ColumnSchema>,
    /// Each row has one value per column.
    pub rows: Vec<Vec<Value>>,
    pub on_conflict: Option<OnConflict>,
    pub returning: Vec<&'static ColumnSchema>,
}

/// The atomic upsert: `ON CONFLICT (target) DO UPDATE` / `ON DUPLICATE KEY UPDATE`.
#[derive(Debug, Clone, PartialEq)]
pub struct OnConflict {
    pub target: Vec<&'static ColumnSchema>,
    /// Empty means "do nothing but still report the row" (an update of the key to itself).
    pub set: Vec<Assignment>,
    /// Update only an existing row for which this holds (its columns
    /// written [`Expr::Qualified`] by the table): the expected version of
    /// optimistic locking. `WHERE` on PostgreSQL and SQLite; MySQL has none
    /// there, so each assignment becomes `IF(condition, new, current)`.
    pub only_if: Option<Expr>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    pub column: &'static ColumnSchema,
    pub value: AssignValue,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AssignValue {
    Set(Value),
    Arithmetic(ArithOp, Value),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Subtract,
    Multiply,
    Divide,
}

impl ArithOp {
    pub(crate) fn sql(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Subtract => "-",
            ArithOp::Multiply => "*",
            ArithOp::Divide => "/",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    pub table: &'static str,
    pub set: Vec<Assignment>,
    pub filter: Option<Expr>,
    pub returning: Vec<&'static ColumnSchema>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Delete {
    pub table: &'static str,
    pub filter: Option<Expr>,
    pub returning: Vec<&'static ColumnSchema>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    Select(Select),
    Insert(Insert),
    Update(Update),
    Delete(Delete),
}

/// The read behind one include level: the related rows of a batch of parents.
/// Every row carries the child's `columns`, and the parent key it belongs to:
/// read from those columns when they hold it ([`Load::key_positions`]),
/// otherwise after them, aliased `__k0`, `__k1`.. (a many-to-many join's key,
/// or a foreign key `select`/`omit` left out), so rows can be handed to their
/// parents.
#[derive(Debug, Clone, PartialEq)]
pub struct Load {
    pub table: &'static str,
    pub columns: Vec<&'static ColumnSchema>,
    /// The child's columns holding parent key values (direct relations).
    /// Empty when `join` is set: the join table holds them.
    pub key: Vec<&'static ColumnSchema>,
    pub join: Option<LoadJoin>,
    /// The parents' key tuples, distinct and without NULLs, flattened:
    /// `key_width()` values per parent, one allocation for the whole batch.
    pub keys: Vec<Value>,
    pub filter: Option<Expr>,
    /// The include's order, ending with the child's primary key; empty
    /// when the client sorts each parent's rows by primary key instead.
    pub order_by: Vec<OrderBy>,
    /// Per-parent page: rows numbered within each parent, `skip < n <= skip + take`.
    pub skip: Option<i64>,
    pub take: Option<i64>,
}

/// A many-to-many include's join table: `parent_side` holds the parents'
/// key values and `child_side` matches the child's `child_key`.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadJoin {
    pub table: &'static str,
    pub parent_side: Vec<&'static ColumnSchema>,
    pub child_side: Vec<&'static ColumnSchema>,
    pub child_key: Vec<&'static ColumnSchema>,
    /// A condition on the join table's own rows (its columns
    /// [`Expr::Column`]): the built-in row filters' (a tenant-scoped or
    /// soft-deleted join model), so only links that pass them lead to a
    /// child row.
    pub filter: Option<Expr>,
}

impl Load {
    /// How many parent key columns each row carries.
    pub fn key_width(&self) -> usize {
        match &self.join {
            Some(join) => join.parent_side.len(),
            None => self.key.len(),
        }
    }

    /// Where in `columns` each parent key column is, when a direct
    /// relation reads all of them anyway: then they are not sent a second
    /// time under an alias (that copy was ~6% of the peers associations
    /// bench on PostgreSQL: 11,000 rows in two include levels).
    pub fn key_positions(&self) -> Option<Vec<usize>> {
        match self.join {
            Some(_) => None,
            None => key_positions(&self.columns, &self.key),
        }
    }

    /// Where each row of this load carries its parent key: the child's own
    /// columns ([`Load::key_positions`]), or else the `__k*` aliases the
    /// renderer writes right after `columns`.
    pub fn row_key_positions(&self) -> Vec<usize> {
        let after = self.columns.len();
        self.key_positions()
            .unwrap_or_else(|| (after..after + self.key_width()).collect())
    }
}

/// The position of each of `key` in `columns`, if all are there.
fn key_positions(columns: &[&ColumnSchema], key: &[&ColumnSchema]) -> Option<Vec<usize>> {
    (key.iter())
        .map(|k| columns.iter().position(|c| c.is(k)))
        .collect()
}

/// One include read inside the statement of its parent rows (strategy
/// `Joined`): the rows related to the enclosing row, filtered, ordered and
/// paged like a [`Load`], each rendered as a JSON array of its `columns` (in
/// order) followed by one element per `nested` include, all aggregated into
/// one JSON array in `order_by` order (`[]` when there are none). Rendered
/// by `render/json_load.rs` as a correlated subquery (a `LEFT JOIN LATERAL`
/// at the top level on PostgreSQL).
#[derive(Debug, Clone, PartialEq)]
pub struct JsonInclude {
    /// The enclosing row's table, and its columns the children match.
    pub parent_table: &'static str,
    pub parent_key: Vec<&'static ColumnSchema>,
    pub table: &'static str,
    /// The child's columns written into each row's array.
    pub columns: Vec<&'static ColumnSchema>,
    /// The child's columns equal to `parent_key` (direct relations). Empty
    /// when `join` is set.
    pub key: Vec<&'static ColumnSchema>,
    /// A many-to-many relation's join table: `parent_side` equals
    /// `parent_key`, `child_side` the child's `child_key`.
    pub join: Option<LoadJoin>,
    pub filter: Option<Expr>,
    /// The include's order, ending with the child's primary key.
    pub order_by: Vec<OrderBy>,
    /// Per-parent page: the enclosing row's rows `skip < n <= skip + take`.
    pub skip: Option<i64>,
    pub take: Option<i64>,
    /// The nested includes ([`Expr::IncludeJson`], or [`Expr::Invalid`]).
    pub nested: Vec<Expr>,
}

impl JsonInclude {
    /// The first [`Expr::Invalid`] in this include or those nested in it.
    pub fn invalid(&self) -> Option<&InvalidExpr> {
        self.filter
            .iter()
            .chain(&self.nested)
            .find_map(Expr::invalid)
    }
}
