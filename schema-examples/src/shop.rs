//! A small shop/inventory schema, the second schema migrations round-trip
//! (beside the blog): composite primary keys and a composite foreign key to
//! one, a composite unique key, a self-relation whose key is set NULL, an
//! enum, JSON, bytes, dates and timestamps with and without zone, a default of
//! every kind, field and table CHECKs, and every index kind (descending,
//! unique, partial, covering, expression, GIN), the database-specific ones
//! scoped with `dialects(..)`.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use strata::{BelongsTo, Enum, HasMany, Model};
use uuid::Uuid;

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[strata(name = "order_state")]
pub enum OrderState {
    #[strata(rename = "PENDING")]
    Pending,
    #[strata(rename = "PAID")]
    Paid,
    #[strata(rename = "SHIPPED")]
    Shipped,
    #[strata(rename = "CANCELLED")]
    Cancelled,
}

/// Warehouses form a tree: closing a parent leaves its children without one.
#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "warehouses")]
pub struct Warehouse {
    #[strata(id, default = autoincrement)]
    pub id: i64,
    #[strata(unique)]
    pub code: String,
    pub name: String,
    #[strata(default = true)]
    pub active: bool,
    #[strata(default = -1)]
    pub priority: i16,
    pub opened_on: Option<NaiveDate>,
    pub parent_id: Option<i64>,
    #[strata(belongs_to(fields(parent_id), references(id)), on_delete = set_null)]
    pub parent: BelongsTo<Option<Warehouse>>,
    #[strata(has_many)]
    pub children: HasMany<Warehouse>,
    #[strata(has_many)]
    pub stock: HasMany<StockLevel>,
}

/// A product is unique per vendor and SKU; searched by name ignoring case.
// Clippy's duplicated_attributes lint takes `postgres` in both indexes'
// `dialects(..)` for one option written twice (see README, "Model attributes").
#[allow(clippy::duplicated_attributes)]
#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "products")]
#[strata(unique(fields(vendor, sku)))]
#[strata(index(fields(name), include(price_cents), dialects(postgres)))]
#[strata(index(
    expression = "lower(name)",
    name = "products_name_lower_idx",
    dialects(postgres, sqlite)
))]
#[strata(index(fields(attributes), using = gin, dialects(postgres)))]
// Full-text search over the name (GIN) and a GiST index over the same
// vector: both are PostgreSQL access methods over an expression.
#[strata(index(
    expression = "to_tsvector('english', name)",
    name = "products_name_search_idx",
    using = gin,
    dialects(postgres)
))]
#[strata(index(
    expression = "to_tsvector('simple', sku)",
    name = "products_sku_search_idx",
    using = gist,
    dialects(postgres)
))]
#[strata(check(
    name = "products_positive_check",
    expr = "price_cents >= 0 AND weight_grams > 0"
))]
pub struct Product {
    #[strata(id, default = uuid)]
    pub id: Uuid,
    pub vendor: String,
    pub sku: String,
    pub name: String,
    #[strata(default = 0)]
    pub price_cents: i64,
    #[strata(default = 1.5)]
    pub weight_grams: f64,
    #[strata(default = "each")]
    pub unit: String,
    pub attributes: serde_json::Value,
    pub thumbnail: Option<Vec<u8>>,
    #[strata(default = now)]
    pub created_at: DateTime<Utc>,
    pub released_at: Option<NaiveDateTime>,
    #[strata(has_many)]
    pub stock: HasMany<StockLevel>,
}

/// How many of a product one warehouse holds: keyed by both.
#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "stock_levels", id(fields(warehouse_id, product_id)))]
#[strata(index(fields(product_id, quantity(desc))))]
#[strata(index(
    fields(quantity),
    name = "stock_levels_low_idx",
    where = "quantity < 10",
    dialects(postgres, sqlite)
))]
pub struct StockLevel {
    pub warehouse_id: i64,
    pub product_id: Uuid,
    #[strata(default = 0, check = "quantity >= 0")]
    pub quantity: i32,
    #[strata(updated_at)]
    pub updated_at: DateTime<Utc>,
    #[strata(belongs_to(fields(warehouse_id), references(id)), on_delete = cascade)]
    pub warehouse: BelongsTo<Warehouse>,
    #[strata(belongs_to(fields(product_id), references(id)), on_delete = restrict)]
    pub product: BelongsTo<Product>,
    #[strata(has_many)]
    pub lines: HasMany<OrderLine>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "orders")]
#[strata(index(fields(state, placed_on(desc))))]
pub struct Order {
    #[strata(id, default = cuid)]
    pub id: String,
    #[strata(default = "PENDING")]
    pub state: OrderState,
    pub customer_email: String,
    #[strata(default = now)]
    pub placed_on: NaiveDate,
    #[strata(default(sql = "1 + 1"))]
    pub priority: i32,
    pub note: Option<String>,
    #[strata(has_many)]
    pub lines: HasMany<OrderLine>,
}

/// One line of an order, taken from one warehouse's stock of a product: a
/// composite key, and a composite foreign key to `stock_levels`.
#[derive(Model, Debug, Clone, PartialEq)]
#[strata(table = "order_lines", id(fields(order_id, line_no)))]
pub struct OrderLine {
    pub order_id: String,
    pub line_no: i32,
    pub warehouse_id: i64,
    pub product_id: Uuid,
    #[strata(default = 1, check = "quantity > 0")]
    pub quantity: i32,
    #[strata(belongs_to(fields(order_id), references(id)), on_delete = cascade)]
    pub order: BelongsTo<Order>,
    #[strata(belongs_to(fields(warehouse_id, product_id), references(warehouse_id, product_id)))]
    pub stock: BelongsTo<StockLevel>,
}

/// Every shop model, in an order `push_schema` accepts.
pub type ShopSchema = (Warehouse, Product, StockLevel, Order, OrderLine);
