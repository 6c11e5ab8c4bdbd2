//! The typed plan tree all three databases' plans are read into.

/// What a plan node does, across databases. [`PlanNode::label`] keeps the
/// database's own name ("Seq Scan", "SCAN items", "ALL").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKind {
    /// Every row of a table, in storage order: PostgreSQL's Seq Scan, SQLite's
    /// `SCAN t`, MySQL's access type `ALL`.
    FullScan,
    /// Every entry of an index: SQLite's `SCAN t USING INDEX i`, MySQL's
    /// access type `index`.
    FullIndexScan,
    /// Rows found through an index by a condition: PostgreSQL's Index Scan,
    /// SQLite's `SEARCH t USING INDEX i (..)`, MySQL's `ref`, `range`, `eq_ref`..
    IndexScan,
    /// An index scan answered from the index alone (a covering index).
    IndexOnlyScan,
    /// PostgreSQL's Bitmap Index Scan (collecting row locations).
    BitmapIndexScan,
    /// PostgreSQL's Bitmap Heap Scan (reading the rows a bitmap found).
    BitmapHeapScan,
    NestedLoop,
    HashJoin,
    MergeJoin,
    /// The hash table a hash join builds.
    Hash,
    /// A sort: PostgreSQL's Sort, SQLite's temp B-tree, MySQL's filesort.
    Sort,
    /// GROUP BY or an aggregate.
    Aggregate,
    Limit,
    /// Rows kept for reuse: Materialize, a CTE, a temporary table.
    Materialize,
    /// A query nested in the statement: a subquery, CTE, or query block.
    Subquery,
    /// An INSERT, UPDATE or DELETE.
    Modify,
    /// Anything else; the label says what.
    Other,
}

/// One node of a plan. Numbers the database does not report are `None`:
/// SQLite reports no row counts at all, MySQL's EXPLAIN only estimates, and
/// only PostgreSQL's ANALYZE has actual rows, loops and times.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanNode {
    pub kind: NodeKind,
    /// The database's name for the node.
    pub label: String,
    /// The table read, if the node reads one.
    pub relation: Option<String>,
    /// The index used, if any.
    pub index: Option<String>,
    /// The condition applied: an index condition, a filter, SQLite's `(a=?)`.
    pub condition: Option<String>,
    /// Rows the planner expected the node to return (per loop on PostgreSQL;
    /// per scan on MySQL).
    pub estimated_rows: Option<f64>,
    /// Rows the node returned, per loop (PostgreSQL ANALYZE).
    pub actual_rows: Option<f64>,
    /// How many times the node ran (PostgreSQL ANALYZE).
    pub loops: Option<f64>,
    /// Rows the node read and dropped by its filter, per loop (PostgreSQL ANALYZE).
    pub rows_removed_by_filter: Option<f64>,
    /// The planner's total cost (PostgreSQL; MySQL's prefix cost where given).
    pub total_cost: Option<f64>,
    /// Milliseconds until the node's last row, per loop (PostgreSQL ANALYZE).
    pub actual_time_ms: Option<f64>,
    /// How a sort ran: "quicksort", "top-N heapsort", "external merge"..
    pub sort_method: Option<String>,
    /// Kilobytes a sort, hash or aggregate wrote to disk.
    pub disk_kb: Option<f64>,
    /// Batches of a hash join's or hash aggregate's table; more than one means
    /// it did not fit in memory.
    pub hash_batches: Option<u64>,
    pub children: Vec<PlanNode>,
}

impl PlanNode {
    pub(crate) fn new(kind: NodeKind, label: impl Into<String>) -> Self {
        PlanNode {
            kind,
            label: label.into(),
            relation: None,
            index: None,
            condition: None,
            estimated_rows: None,
            actual_rows: None,
            loops: None,
            rows_removed_by_filter: None,
            total_cost: None,
            actual_time_ms: None,
            sort_method: None,
            disk_kb: None,
            hash_batches: None,
            children: Vec::new(),
        }
    }

    /// This node and every node under it, depth first, parents first.
    pub fn iter(&self) -> impl Iterator<Item = &PlanNode> {
        let mut stack = vec![self];
        std::iter::from_fn(move || {
            let node = stack.pop()?;
            stack.extend(node.children.iter().rev());
            Some(node)
        })
    }

    /// Whether the node wrote to disk: a sort that spilled, a hash that
    /// needed more than one batch.
    pub fn spilled(&self) -> bool {
        self.disk_kb.is_some_and(|kb| kb > 0.0)
            || self.hash_batches.is_some_and(|b| b > 1)
            || self
                .sort_method
                .as_deref()
                .is_some_and(|m| m.starts_with("external"))
    }
}
