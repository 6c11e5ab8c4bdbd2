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
    /// A scalar subquery, e.g. the cursor row's sort key.
    Subquery(Box<Select>),
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

#[derive(Debug, Clone, PartialEq)]
pub enum Projection {
    Columns(Vec<&'static ColumnSchema>),
    CountAll,
    /// `SELECT 1`, for `exists`.
    One,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    pub table: &'static str,
    pub projection: Projection,
    pub distinct: bool,
    pub filter: Option<Expr>,
    pub order_by: Vec<OrderBy>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

impl Select {
    pub fn new(table: &'static str, projection: Projection) -> Self {
        Select {
            table,
            projection,
            distinct: false,
            filter: None,
            order_by: Vec::new(),
            limit: None,
            offset: None,
        }
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
