//! Typed columns and filters. A `Column<M, T>` belongs to model `M` and holds `T`;
//! every comparison takes a value typed for `T`, and `filter` on a query for `M`
//! only accepts a `Filter<M>`, so a wrong type or another model's column is a
//! compile error.

use super::ast::{CompareOp, Expr, LikePosition, NullsOrder, OrderBy};
use crate::schema::{ColumnSchema, FieldType, Model, ModelSchema};
use crate::value::Value;
use std::marker::PhantomData;

/// A column of model `M` holding Rust type `T`. Generated as `User::email()`.
pub struct Column<M, T> {
    index: usize,
    _marker: PhantomData<fn() -> (M, T)>,
}

impl<M, T> Clone for Column<M, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<M, T> Copy for Column<M, T> {}

/// A value accepted where a column of type `T` is compared or assigned.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a value for a column of type `{T}`",
    label = "expected a value of type `{T}` here",
    note = "pass a value of type `{T}` (a `&str` works for String columns, and a plain value for Option columns)"
)]
pub trait ValueFor<T> {
    fn into_value_for(self) -> Value;
}

impl<T: FieldType> ValueFor<T> for T {
    fn into_value_for(self) -> Value {
        self.into_value()
    }
}

impl<T: FieldType> ValueFor<Option<T>> for T
where
    Option<T>: FieldType,
{
    fn into_value_for(self) -> Value {
        self.into_value()
    }
}

impl ValueFor<String> for &str {
    fn into_value_for(self) -> Value {
        Value::Text(self.to_owned())
    }
}

impl ValueFor<String> for &String {
    fn into_value_for(self) -> Value {
        Value::Text(self.clone())
    }
}

impl ValueFor<Option<String>> for &str {
    fn into_value_for(self) -> Value {
        Value::Text(self.to_owned())
    }
}

impl ValueFor<Option<String>> for &String {
    fn into_value_for(self) -> Value {
        Value::Text(self.clone())
    }
}

// Unbounded, so a field of an unsupported type is reported once (by the
// schema's `FieldType` use), not again here.
impl<M, T> Column<M, T> {
    #[doc(hidden)]
    #[inline(always)]
    pub const fn new(index: usize) -> Self {
        Column {
            index,
            _marker: PhantomData,
        }
    }
}

impl<M: Model, T: FieldType> Column<M, T> {
    #[inline(always)]
    pub fn schema(self) -> &'static ColumnSchema {
        M::SCHEMA.column(self.index)
    }

    #[inline(always)]
    fn compare(self, op: CompareOp, value: impl ValueFor<T>) -> Filter<M> {
        Filter::new(compare(self.schema(), op, value.into_value_for()))
    }

    #[inline(always)]
    pub fn eq(self, value: impl ValueFor<T>) -> Filter<M> {
        self.compare(CompareOp::Eq, value)
    }
    #[inline(always)]
    pub fn ne(self, value: impl ValueFor<T>) -> Filter<M> {
        self.compare(CompareOp::Ne, value)
    }
    #[inline(always)]
    pub fn lt(self, value: impl ValueFor<T>) -> Filter<M> {
        self.compare(CompareOp::Lt, value)
    }
    #[inline(always)]
    pub fn lte(self, value: impl ValueFor<T>) -> Filter<M> {
        self.compare(CompareOp::Lte, value)
    }
    #[inline(always)]
    pub fn gt(self, value: impl ValueFor<T>) -> Filter<M> {
        self.compare(CompareOp::Gt, value)
    }
    #[inline(always)]
    pub fn gte(self, value: impl ValueFor<T>) -> Filter<M> {
        self.compare(CompareOp::Gte, value)
    }

    pub fn in_<V: ValueFor<T>>(self, values: impl IntoIterator<Item = V>) -> Filter<M> {
        self.in_list(values, false)
    }
    pub fn not_in<V: ValueFor<T>>(self, values: impl IntoIterator<Item = V>) -> Filter<M> {
        self.in_list(values, true)
    }
    fn in_list<V: ValueFor<T>>(
        self,
        values: impl IntoIterator<Item = V>,
        negated: bool,
    ) -> Filter<M> {
        Filter::new(Expr::InList {
            expr: Box::new(Expr::Column(self.schema())),
            values: values.into_iter().map(ValueFor::into_value_for).collect(),
            negated,
        })
    }

    #[inline(always)]
    pub fn asc(self) -> Order<M> {
        self.order(false)
    }
    #[inline(always)]
    pub fn desc(self) -> Order<M> {
        self.order(true)
    }
    #[inline(always)]
    fn order(self, descending: bool) -> Order<M> {
        Order {
            order: OrderBy {
                column: self.schema(),
                descending,
                nulls: None,
            },
            _model: PhantomData,
        }
    }
}

impl<M: Model, T: FieldType> Column<M, Option<T>>
where
    Option<T>: FieldType,
{
    pub fn is_null(self) -> Filter<M> {
        Filter::new(Expr::IsNull {
            expr: Box::new(Expr::Column(self.schema())),
            negated: false,
        })
    }
    pub fn is_not_null(self) -> Filter<M> {
        Filter::new(Expr::IsNull {
            expr: Box::new(Expr::Column(self.schema())),
            negated: true,
        })
    }
}

/// Text matching exists only on `String` and `Option<String>` columns.
macro_rules! text_matchers {
    ($($ty:ty),*) => {$(
        impl<M: Model> Column<M, $ty> {
            /// Case-sensitive substring match; `%`, `_` and other wildcards in
            /// `needle` match themselves.
            pub fn contains(self, needle: impl Into<String>) -> TextMatch<M> {
                TextMatch::new(self.schema(), needle.into(), LikePosition::Contains)
            }
            pub fn starts_with(self, needle: impl Into<String>) -> TextMatch<M> {
                TextMatch::new(self.schema(), needle.into(), LikePosition::StartsWith)
            }
            pub fn ends_with(self, needle: impl Into<String>) -> TextMatch<M> {
                TextMatch::new(self.schema(), needle.into(), LikePosition::EndsWith)
            }
        }
    )*};
}
text_matchers!(String, Option<String>);

/// A text match; `.insensitive()` switches to case-insensitive mode. Usable
/// anywhere a filter is.
pub struct TextMatch<M> {
    column: &'static ColumnSchema,
    needle: String,
    position: LikePosition,
    case_insensitive: bool,
    _model: PhantomData<fn() -> M>,
}

impl<M> TextMatch<M> {
    fn new(column: &'static ColumnSchema, needle: String, position: LikePosition) -> Self {
        TextMatch {
            column,
            needle,
            position,
            case_insensitive: false,
            _model: PhantomData,
        }
    }

    /// ILIKE on PostgreSQL, `LOWER(..) LIKE LOWER(..)` on SQLite and MySQL.
    pub fn insensitive(mut self) -> Self {
        self.case_insensitive = true;
        self
    }
}

impl<M> From<TextMatch<M>> for Filter<M> {
    fn from(m: TextMatch<M>) -> Self {
        Filter::new(Expr::Like {
            expr: Box::new(Expr::Column(m.column)),
            needle: m.needle,
            position: m.position,
            case_insensitive: m.case_insensitive,
        })
    }
}

/// A condition on rows of model `M`.
pub struct Filter<M> {
    pub(crate) expr: Expr,
    _model: PhantomData<fn() -> M>,
}

impl<M> Clone for Filter<M> {
    fn clone(&self) -> Self {
        Filter::new(self.expr.clone())
    }
}

impl<M> std::fmt::Debug for Filter<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.expr.fmt(f)
    }
}

impl<M> Filter<M> {
    #[inline(always)]
    pub(crate) fn new(expr: Expr) -> Self {
        Filter {
            expr,
            _model: PhantomData,
        }
    }

    /// Both conditions. Chains flatten: `a.and(b).and(c)` is one `(a AND b AND c)`.
    #[inline(always)]
    pub fn and(self, other: impl IntoFilter<M>) -> Self {
        Filter::new(join(self.expr, other.into_filter().expr, true))
    }
    /// Either condition. Chains flatten like [`Filter::and`].
    #[inline(always)]
    pub fn or(self, other: impl IntoFilter<M>) -> Self {
        Filter::new(join(self.expr, other.into_filter().expr, false))
    }
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Self {
        Filter::new(Expr::Not(Box::new(self.expr)))
    }
}

/// All of `filters` (true when empty).
pub fn and<M, F: IntoFilter<M>>(filters: impl IntoIterator<Item = F>) -> Filter<M> {
    Filter::new(Expr::And(
        filters.into_iter().map(|f| f.into_filter().expr).collect(),
    ))
}

/// Any of `filters` (false when empty).
pub fn or<M, F: IntoFilter<M>>(filters: impl IntoIterator<Item = F>) -> Filter<M> {
    Filter::new(Expr::Or(
        filters.into_iter().map(|f| f.into_filter().expr).collect(),
    ))
}

/// Negation of `filter`.
pub fn not<M>(filter: impl IntoFilter<M>) -> Filter<M> {
    filter.into_filter().not()
}

/// Anything usable as a filter on model `M`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a filter on model `{M}`",
    label = "this condition is not on `{M}`'s columns",
    note = "a query on `{M}` can only be filtered by `{M}`'s own columns, e.g. `{M}::some_field().eq(..)`"
)]
pub trait IntoFilter<M> {
    fn into_filter(self) -> Filter<M>;
}

impl<M> IntoFilter<M> for Filter<M> {
    #[inline(always)]
    fn into_filter(self) -> Filter<M> {
        self
    }
}

impl<M> IntoFilter<M> for TextMatch<M> {
    #[inline(always)]
    fn into_filter(self) -> Filter<M> {
        self.into()
    }
}

/// A sort key of model `M`.
pub struct Order<M> {
    pub(crate) order: OrderBy,
    _model: PhantomData<fn() -> M>,
}

impl<M> Order<M> {
    pub fn nulls_first(mut self) -> Self {
        self.order.nulls = Some(NullsOrder::First);
        self
    }
    pub fn nulls_last(mut self) -> Self {
        self.order.nulls = Some(NullsOrder::Last);
        self
    }
}

/// A value of a unique key of `M` (primary key or a `unique`): what
/// `find_unique`, `update`, `delete`, `upsert` and `cursor` accept. Generated as
/// `User::by_email(..)`.
pub struct UniqueKey<M> {
    key: usize,
    values: Vec<Value>,
    _model: PhantomData<fn() -> M>,
}

impl<M> Clone for UniqueKey<M> {
    fn clone(&self) -> Self {
        UniqueKey {
            key: self.key,
            values: self.values.clone(),
            _model: PhantomData,
        }
    }
}

impl<M: Model> UniqueKey<M> {
    #[doc(hidden)]
    pub fn new(key: usize, values: Vec<Value>) -> Self {
        UniqueKey {
            key,
            values,
            _model: PhantomData,
        }
    }

    pub(crate) fn columns(&self) -> impl Iterator<Item = &'static ColumnSchema> {
        key_columns(M::SCHEMA, self.key)
    }

    pub(crate) fn values(&self) -> &[Value] {
        &self.values
    }

    /// Which of `M`'s keys this is (0: the primary key).
    pub(crate) fn index(&self) -> usize {
        self.key
    }

    /// The key's values, moved out (into a statement's binds); the key
    /// keeps its index and [`UniqueKey::filter_of`] builds its filter.
    pub(crate) fn take_values(&mut self) -> Vec<Value> {
        std::mem::take(&mut self.values)
    }

    #[inline(always)]
    pub(crate) fn filter(&self) -> Filter<M> {
        self.filter_of(&self.values)
    }

    /// `column = value` for this key's columns and `values` (its own, or
    /// the ones [`UniqueKey::take_values`] took).
    pub(crate) fn filter_of(&self, values: &[Value]) -> Filter<M> {
        Filter::new(key_filter(M::SCHEMA, self.key, values))
    }
}

/// The columns of `model`'s unique key number `key`. `key` comes from
/// generated code, so it always names a key of the model; an out-of-range
/// one would match no columns rather than panic.
fn key_columns(
    model: &'static ModelSchema,
    key: usize,
) -> impl Iterator<Item = &'static ColumnSchema> {
    let columns = model.keys().nth(key).map_or(&[][..], |k| k.columns);
    columns.iter().map(move |&i| model.column(i))
}

/// `column = value` for each column of `model`'s key number `key`.
fn key_filter(model: &'static ModelSchema, key: usize, values: &[Value]) -> Expr {
    let parts: Vec<Expr> = key_columns(model, key)
        .zip(values)
        .map(|(column, value)| compare(column, CompareOp::Eq, value.clone()))
        .collect();
    if parts.is_empty() {
        // Never "every row": a key with no columns matches nothing.
        return Expr::Or(Vec::new());
    }
    Expr::all(parts)
}

/// `left AND right` (`all`) or `left OR right`, extending `left` if it is
/// that chain already. Not generic: the typed builders only wrap it.
fn join(left: Expr, right: Expr, all: bool) -> Expr {
    match (left, all) {
        (Expr::And(mut items), true) | (Expr::Or(mut items), false) => {
            items.push(right);
            if all {
                Expr::And(items)
            } else {
                Expr::Or(items)
            }
        }
        (left, true) => Expr::And(vec![left, right]),
        (left, false) => Expr::Or(vec![left, right]),
    }
}

/// `column <op> value`.
fn compare(column: &'static ColumnSchema, op: CompareOp, value: Value) -> Expr {
    Expr::Compare(
        Box::new(Expr::Column(column)),
        op,
        Box::new(Expr::Value(value)),
    )
}

/// [`merge`] of untyped conditions: compiled once, in strata.
pub(crate) fn merge_expr(existing: Option<Expr>, filter: Expr) -> Expr {
    match existing {
        Some(existing) => join(existing, filter, true),
        None => filter,
    }
}

/// `existing AND filter`, or just `filter`: how repeated `.filter()` calls combine.
#[inline(always)]
pub(crate) fn merge<M>(existing: Option<Filter<M>>, filter: Filter<M>) -> Filter<M> {
    match existing {
        Some(existing) => existing.and(filter),
        None => filter,
    }
}
