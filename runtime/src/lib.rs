//! # strata
//!
//! A typed ORM over sqlx for PostgreSQL, SQLite and MySQL/MariaDB. Annotate a
//! struct with `#[derive(strata::Model)]`; strata generates a const schema
//! descriptor and thin typed builders, and renders SQL for the connected
//! database in its runtime, from a small statement AST.
//!
//! ```ignore
//! let user = User::create().email("ann@example.com").name("Ann").exec(&db).await?;
//! let posts = Post::find_many()
//!     .filter(Post::published().eq(true).and(Post::title().contains("rust")))
//!     .order_by(Post::created_at().desc())
//!     .take(10)
//!     .exec(&db)
//!     .await?;
//! ```
//!
//! Layout (see ARCHITECTURE.md): [`schema`] (descriptors and field types),
//! [`query`] (typed builders and the AST), [`render`] (SQL per dialect),
//! `execute` (sqlx pools, binds, errors).
//!
//! Items under `__private` support generated code and are not covered by semver.

#[cfg(feature = "cli")]
pub mod cli;
mod error;
mod execute;
pub mod explain;
pub mod intercept;
// Always built: `push_schema` renders through the schema description and DDL;
// the feature adds migration files, the runner and backfills.
pub mod migrate;
// Query, error and pool metrics through the `metrics` facade (opt-in).
#[cfg(feature = "metrics")]
pub mod metrics;
pub mod observe;
pub mod query;
pub mod raw;
pub mod relation;
pub mod render;
// Durable sagas over `_strata_sagas`: always built, no extra dependency.
pub mod saga;
pub mod schema;
// Soft delete (`#[strata(soft_delete = ..)]`): the AST rewrites and the
// built-in interceptor that applies them.
pub mod soft_delete;
pub mod tenant;
mod value;

pub use error::{Error, Result};
pub use execute::{
    AcquireHistogram, Db, DbBuilder, Isolation, PoolOptions, PoolStatus, RetryPolicy, Retrying,
    Transaction, TransactionOptions, ACQUIRE_BUCKETS,
};
pub use explain::{Explain, ExplainOptions, Plan, PlanNode, PlanWarning};
pub use query::expr::{dsl, AsExpr, Condition, Operand, OrderExpr, Selection, SqlExpr};
pub use query::optimistic;
pub use query::select::{select, Compound, SelectQuery, Table};
pub use query::{
    and, decrement, divide, increment, multiply, not, or, Column, Count, Create, CreateMany,
    Delete, DeleteMany, Exists, Filter, FindFirst, FindMany, FindUnique, IntoAssign, IntoCreate,
    IntoFilter, IntoUpdate, Omit, Order, Projection, SelectMany, ToSql, UniqueKey, Update, Upsert,
    ValueFor,
};
pub use query::{Aggregate, AggregateSelection, GroupBy};
pub use raw::{Sql, SqlArg};
pub use relation::{
    BelongsTo, CreateWith, HasMany, HasOne, ManyToMany, Nested, UpdateWith, WithNested,
};
pub use render::Dialect;
pub use schema::{Json, Model, ModelRef, PartialModel};
pub use strata_macros::{sql, Enum, FromRow, Model};
pub use value::Value;

/// A set of models to create together: a model or a tuple of models.
pub trait ModelSet {
    fn schemas() -> Vec<&'static schema::ModelSchema>;
}

impl<M: Model> ModelSet for M {
    fn schemas() -> Vec<&'static schema::ModelSchema> {
        vec![M::SCHEMA]
    }
}

macro_rules! tuple_model_set {
    ($($name:ident),+) => {
        impl<$($name: Model),+> ModelSet for ($($name,)+) {
            fn schemas() -> Vec<&'static schema::ModelSchema> {
                vec![$($name::SCHEMA),+]
            }
        }
    };
}
tuple_model_set!(A);
tuple_model_set!(A, B);
tuple_model_set!(A, B, C);
tuple_model_set!(A, B, C, D);
tuple_model_set!(A, B, C, D, E);
tuple_model_set!(A, B, C, D, E, F);
tuple_model_set!(A, B, C, D, E, F, G);
tuple_model_set!(A, B, C, D, E, F, G, H);
tuple_model_set!(A, B, C, D, E, F, G, H, I);
tuple_model_set!(A, B, C, D, E, F, G, H, I, J);
tuple_model_set!(A, B, C, D, E, F, G, H, I, J, K);
tuple_model_set!(A, B, C, D, E, F, G, H, I, J, K, L);

#[doc(hidden)]
pub mod __private;
