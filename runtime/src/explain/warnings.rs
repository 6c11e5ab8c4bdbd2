//! What a plan shows that usually makes a query slow, found by walking the
//! tree: [`PlanWarning`].

use super::node::{NodeKind, PlanNode};
use super::ExplainOptions;
use std::collections::HashMap;
use std::fmt;

/// A finding in a plan, naming the table, index and numbers behind it.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanWarning {
    /// Every row of a large table is read (PostgreSQL's Seq Scan, SQLite's
    /// `SCAN`, MySQL's `ALL`/`index`): an index on the filtered or sorted
    /// columns usually helps. `index` is set for a scan of a whole index.
    FullScan {
        table: String,
        index: Option<String>,
        /// The table's rows: the catalog's count or the plan's, whichever is
        /// larger (SQLite: counted, up to a cap).
        rows: f64,
        threshold: u64,
    },
    /// The planner expected `estimated` rows where `actual` came back
    /// (PostgreSQL ANALYZE), per loop: stale statistics (run ANALYZE) or
    /// correlated columns (extended statistics), and a plan chosen for the
    /// wrong size.
    Misestimate {
        node: String,
        table: Option<String>,
        estimated: f64,
        actual: f64,
    },
    /// A sort did not fit in working memory and ran on disk.
    SortSpill {
        /// The sort key.
        key: Option<String>,
        method: Option<String>,
        disk_kb: Option<f64>,
    },
    /// A hash table (a hash join's or a hash aggregate's) did not fit in
    /// working memory: it was split into batches written to disk.
    HashSpill {
        node: String,
        batches: Option<u64>,
        disk_kb: Option<f64>,
    },
    /// A nested loop runs its inner side once per outer row, and the outer
    /// side has many.
    LargeNestedLoop {
        outer: String,
        outer_table: Option<String>,
        outer_rows: f64,
        threshold: u64,
    },
}

impl fmt::Display for PlanWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanWarning::FullScan {
                table,
                index: None,
                rows,
                threshold,
            } => write!(
                f,
                "full scan of table {table:?}: {rows:.0} rows (threshold {threshold}); \
                 an index on the columns it filters or sorts by avoids reading them all"
            ),
            PlanWarning::FullScan {
                table,
                index: Some(index),
                rows,
                threshold,
            } => write!(
                f,
                "full scan of index {index:?} on table {table:?}: {rows:.0} rows \
                 (threshold {threshold}); the index is read whole, not searched"
            ),
            PlanWarning::Misestimate {
                node,
                table,
                estimated,
                actual,
            } => {
                write!(f, "{node}")?;
                if let Some(table) = table {
                    write!(f, " on {table:?}")?;
                }
                let factor = ratio(*estimated, *actual);
                write!(
                    f,
                    ": estimated {estimated:.0} rows, actually {actual:.0} ({factor:.0}x off); \
                     statistics are stale (run ANALYZE) or the columns are correlated \
                     (CREATE STATISTICS)"
                )
            }
            PlanWarning::SortSpill {
                key,
                method,
                disk_kb,
            } => {
                write!(f, "sort")?;
                if let Some(key) = key {
                    write!(f, " by {key}")?;
                }
                write!(f, " spilled to disk")?;
                if let Some(method) = method {
                    write!(f, " ({method}")?;
                    match disk_kb {
                        Some(kb) => write!(f, ", {kb:.0} kB)")?,
                        None => write!(f, ")")?,
                    }
                } else if let Some(kb) = disk_kb {
                    write!(f, " ({kb:.0} kB)")?;
                }
                write!(
                    f,
                    "; raise work_mem or sort fewer rows (an index in that order)"
                )
            }
            PlanWarning::HashSpill {
                node,
                batches,
                disk_kb,
            } => {
                write!(f, "{node} spilled to disk")?;
                match (batches, disk_kb) {
                    (Some(b), Some(kb)) => write!(f, " ({b} batches, {kb:.0} kB)")?,
                    (Some(b), None) => write!(f, " ({b} batches)")?,
                    (None, Some(kb)) => write!(f, " ({kb:.0} kB)")?,
                    (None, None) => {}
                }
                write!(f, "; raise work_mem or hash_mem_multiplier")
            }
            PlanWarning::LargeNestedLoop {
                outer,
                outer_table,
                outer_rows,
                threshold,
            } => {
                write!(
                    f,
                    "nested loop over {outer_rows:.0} outer rows from {outer}"
                )?;
                if let Some(table) = outer_table {
                    write!(f, " on {table:?}")?;
                }
                write!(
                    f,
                    " (threshold {threshold}): the inner side runs once per outer row; \
                     a hash join (or an index on the inner join column) usually fits better"
                )
            }
        }
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    let (a, b) = (a.max(1.0), b.max(1.0));
    (a / b).max(b / a)
}

/// The warnings for `root`. `table_rows` holds row counts known from outside
/// the plan (the catalog), by table.
pub(crate) fn find(
    root: &PlanNode,
    options: &ExplainOptions,
    table_rows: &HashMap<String, f64>,
) -> Vec<PlanWarning> {
    let mut warnings = Vec::new();
    for node in root.iter() {
        if let Some(w) = full_scan(node, options, table_rows) {
            warnings.push(w);
        }
        warnings.extend(spill(node));
        if let Some(w) = nested_loop(node, options) {
            warnings.push(w);
        }
    }
    misestimates(root, options, false, &mut warnings);
    warnings
}

/// The full scans in `root`: the tables whose size decides a warning.
pub(crate) fn full_scans(root: &PlanNode) -> impl Iterator<Item = (&PlanNode, &str)> {
    root.iter().filter_map(|node| match node.kind {
        NodeKind::FullScan | NodeKind::FullIndexScan => {
            node.relation.as_deref().map(|table| (node, table))
        }
        _ => None,
    })
}

/// The rows a full scan reads, from the plan alone: the rows it returned
/// plus those its filter dropped (ANALYZE), or its estimate.
pub(crate) fn scanned_rows(node: &PlanNode) -> Option<f64> {
    let actual = node.actual_rows.map(|rows| {
        let per_loop = rows + node.rows_removed_by_filter.unwrap_or(0.0);
        // A parallel scan's numbers are per process; together they read the
        // table once.
        match node.label.starts_with("Parallel") {
            true => per_loop * node.loops.unwrap_or(1.0),
            false => per_loop,
        }
    });
    match (actual, node.estimated_rows) {
        (Some(a), Some(e)) => Some(a.max(e)),
        (a, e) => a.or(e),
    }
}

fn full_scan(
    node: &PlanNode,
    options: &ExplainOptions,
    table_rows: &HashMap<String, f64>,
) -> Option<PlanWarning> {
    if !matches!(node.kind, NodeKind::FullScan | NodeKind::FullIndexScan) {
        return None;
    }
    let table = node.relation.as_deref()?;
    let rows = scanned_rows(node)
        .into_iter()
        .chain(table_rows.get(table).copied())
        .fold(None, |max: Option<f64>, r| {
            Some(max.map_or(r, |m| m.max(r)))
        })?;
    (rows > options.full_scan_rows as f64).then(|| PlanWarning::FullScan {
        table: table.to_owned(),
        index: node.index.clone(),
        rows,
        threshold: options.full_scan_rows,
    })
}

fn spill(node: &PlanNode) -> Option<PlanWarning> {
    if !node.spilled() {
        return None;
    }
    Some(match node.kind {
        NodeKind::Sort => PlanWarning::SortSpill {
            key: node.condition.clone(),
            method: node.sort_method.clone(),
            disk_kb: node.disk_kb,
        },
        _ => PlanWarning::HashSpill {
            node: node.label.clone(),
            batches: node.hash_batches.filter(|&b| b > 1),
            disk_kb: node.disk_kb,
        },
    })
}

fn nested_loop(node: &PlanNode, options: &ExplainOptions) -> Option<PlanWarning> {
    if node.kind != NodeKind::NestedLoop || node.children.len() < 2 {
        return None;
    }
    // The outer side's rows: the first node on it that reports any (a sort
    // wrapping a table in MySQL's plans reports none itself).
    let outer = node.children[0]
        .iter()
        .find(|n| n.actual_rows.is_some() || n.estimated_rows.is_some())?;
    let rows = match (outer.actual_rows, outer.loops) {
        (Some(rows), loops) => rows * loops.unwrap_or(1.0),
        (None, _) => outer.estimated_rows?,
    };
    (rows > options.nested_loop_outer_rows as f64).then(|| PlanWarning::LargeNestedLoop {
        outer: outer.label.clone(),
        outer_table: outer.relation.clone(),
        outer_rows: rows,
        threshold: options.nested_loop_outer_rows,
    })
}

/// Adds a warning for each node whose estimate is off from its actual rows
/// by the options' factor, unless a node under it already is (the error
/// propagates upwards; the deepest node is where it starts). Below a Limit
/// a node may stop early, so there only underestimates count. Returns
/// whether `node` or a node under it was flagged.
fn misestimates(
    node: &PlanNode,
    options: &ExplainOptions,
    under_limit: bool,
    warnings: &mut Vec<PlanWarning>,
) -> bool {
    let limited = under_limit || node.kind == NodeKind::Limit;
    let mut below = false;
    for child in &node.children {
        below |= misestimates(child, options, limited, warnings);
    }
    if below {
        return true;
    }
    let (Some(estimated), Some(actual)) = (node.estimated_rows, node.actual_rows) else {
        return false;
    };
    if node.loops == Some(0.0) || (under_limit && actual < estimated) {
        return false;
    }
    let off = ratio(estimated, actual) >= options.misestimate_factor
        && estimated.max(actual) >= options.misestimate_min_rows as f64;
    if off {
        warnings.push(PlanWarning::Misestimate {
            node: node.label.clone(),
            table: node.relation.clone(),
            estimated,
            actual,
        });
    }
    off
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(table: &str, estimated: f64, actual: Option<f64>) -> PlanNode {
        let mut node = PlanNode::new(NodeKind::FullScan, "Seq Scan");
        node.relation = Some(table.into());
        node.estimated_rows = Some(estimated);
        node.actual_rows = actual;
        node.loops = actual.map(|_| 1.0);
        node
    }

    #[test]
    fn full_scan_needs_more_rows_than_the_threshold() {
        let options = ExplainOptions::default();
        let rows = HashMap::new();
        assert!(find(&scan("small", 10_000.0, None), &options, &rows).is_empty());
        let big = find(&scan("big", 10_001.0, None), &options, &rows);
        assert!(matches!(&big[..], [PlanWarning::FullScan { table, .. }] if table == "big"));
        // The catalog's count decides where the plan only counts filtered rows.
        let catalog = HashMap::from([("small".to_owned(), 50_000.0)]);
        assert_eq!(find(&scan("small", 5.0, None), &options, &catalog).len(), 1);
    }

    #[test]
    fn misestimate_is_reported_where_it_starts() {
        let options = ExplainOptions {
            full_scan_rows: u64::MAX,
            ..ExplainOptions::default()
        };
        let mut top = PlanNode::new(NodeKind::Aggregate, "Aggregate");
        top.estimated_rows = Some(10.0);
        top.actual_rows = Some(1000.0);
        top.children = vec![scan("t", 10.0, Some(1000.0))];
        let warnings = find(&top, &options, &HashMap::new());
        assert!(
            matches!(&warnings[..], [PlanWarning::Misestimate { node, .. }] if node == "Seq Scan"),
            "{warnings:?}"
        );
        // 9x off, or 10x off on a handful of rows: nothing.
        assert!(find(&scan("t", 10.0, Some(90.0)), &options, &HashMap::new()).is_empty());
        assert!(find(&scan("t", 1.0, Some(20.0)), &options, &HashMap::new()).is_empty());
        // A scan under a Limit stops early: fewer rows than estimated is normal.
        let mut limit = PlanNode::new(NodeKind::Limit, "Limit");
        limit.children = vec![scan("t", 5000.0, Some(1.0))];
        assert!(find(&limit, &options, &HashMap::new()).is_empty());
    }
}
