//! PostgreSQL's `EXPLAIN (FORMAT JSON)` output read into a [`PlanNode`] tree.
//!
//! The output is `[{"Plan": {..}, "Planning Time": .., "Execution Time": ..}]`;
//! each node names its type in "Node Type" and its children in "Plans".

use super::node::{NodeKind, PlanNode};
use serde_json::{Map, Value};

/// The root plan node and the statement's planning and execution times (ms).
pub(crate) struct Parsed {
    pub root: PlanNode,
    pub planning_ms: Option<f64>,
    pub execution_ms: Option<f64>,
}

pub(crate) fn parse(json: &Value) -> Result<Parsed, String> {
    let top = match json {
        Value::Array(items) => items.first(),
        Value::Object(_) => Some(json),
        _ => None,
    }
    .and_then(Value::as_object)
    .ok_or("PostgreSQL's plan is not a JSON object")?;
    let plan = top
        .get("Plan")
        .and_then(Value::as_object)
        .ok_or("PostgreSQL's plan has no \"Plan\"")?;
    Ok(Parsed {
        root: read_node(plan),
        planning_ms: number(top, "Planning Time"),
        execution_ms: number(top, "Execution Time"),
    })
}

fn read_node(plan: &Map<String, Value>) -> PlanNode {
    let label = text(plan, "Node Type").unwrap_or_else(|| "?".into());
    let mut node = PlanNode::new(kind(&label), describe(plan, &label));
    node.relation = text(plan, "Relation Name").or_else(|| text(plan, "CTE Name"));
    node.index = text(plan, "Index Name");
    node.condition = [
        "Index Cond",
        "Hash Cond",
        "Merge Cond",
        "Join Filter",
        "Filter",
    ]
    .iter()
    .find_map(|key| text(plan, key))
    .or_else(|| sort_key(plan));
    node.estimated_rows = number(plan, "Plan Rows");
    node.actual_rows = number(plan, "Actual Rows");
    node.loops = number(plan, "Actual Loops");
    node.rows_removed_by_filter = number(plan, "Rows Removed by Filter");
    node.total_cost = number(plan, "Total Cost");
    node.actual_time_ms = number(plan, "Actual Total Time");
    // A parallel sort reports per worker; the leader's own fields may be absent.
    let workers: Vec<&Map<String, Value>> = plan
        .get("Workers")
        .and_then(Value::as_array)
        .map(|w| w.iter().filter_map(Value::as_object).collect())
        .unwrap_or_default();
    let sources = || std::iter::once(plan).chain(workers.iter().copied());
    node.sort_method = sources()
        .filter_map(|p| text(p, "Sort Method"))
        .max_by_key(|m| m.starts_with("external"));
    let sort_disk: f64 = sources()
        .filter(|p| text(p, "Sort Space Type").as_deref() == Some("Disk"))
        .filter_map(|p| number(p, "Sort Space Used"))
        .sum();
    let other_disk: f64 = sources().filter_map(|p| number(p, "Disk Usage")).sum();
    let disk = sort_disk + other_disk;
    node.disk_kb = (disk > 0.0).then_some(disk);
    node.hash_batches = sources()
        .filter_map(|p| number(p, "Hash Batches").or_else(|| number(p, "HashAgg Batches")))
        .map(|b| b as u64)
        .max();
    node.children = plan
        .get("Plans")
        .and_then(Value::as_array)
        .map(|plans| {
            plans
                .iter()
                .filter_map(Value::as_object)
                .map(read_node)
                .collect()
        })
        .unwrap_or_default();
    node
}

/// The node's label with what PostgreSQL adds to its text form: a join's
/// type, an aggregate's strategy, a ModifyTable's operation.
fn describe(plan: &Map<String, Value>, label: &str) -> String {
    let detail = match label {
        "Aggregate" => text(plan, "Strategy").map(|s| match s.as_str() {
            "Hashed" => "HashAggregate".to_owned(),
            "Sorted" => "GroupAggregate".to_owned(),
            _ => "Aggregate".to_owned(),
        }),
        "ModifyTable" => text(plan, "Operation"),
        _ => None,
    };
    let mut out = detail.unwrap_or_else(|| label.to_owned());
    if let Some(join) = text(plan, "Join Type").filter(|j| j != "Inner") {
        out = format!("{out} ({join})");
    }
    out
}

fn kind(node_type: &str) -> NodeKind {
    match node_type {
        "Seq Scan" | "Parallel Seq Scan" => NodeKind::FullScan,
        "Index Scan" => NodeKind::IndexScan,
        "Index Only Scan" => NodeKind::IndexOnlyScan,
        "Bitmap Index Scan" => NodeKind::BitmapIndexScan,
        "Bitmap Heap Scan" => NodeKind::BitmapHeapScan,
        "Nested Loop" => NodeKind::NestedLoop,
        "Hash Join" => NodeKind::HashJoin,
        "Merge Join" => NodeKind::MergeJoin,
        "Hash" => NodeKind::Hash,
        "Sort" | "Incremental Sort" => NodeKind::Sort,
        "Aggregate" | "Group" | "WindowAgg" => NodeKind::Aggregate,
        "Limit" => NodeKind::Limit,
        "Materialize" | "Memoize" | "CTE Scan" => NodeKind::Materialize,
        "Subquery Scan" | "SubPlan" | "InitPlan" => NodeKind::Subquery,
        "ModifyTable" => NodeKind::Modify,
        _ => NodeKind::Other,
    }
}

fn sort_key(plan: &Map<String, Value>) -> Option<String> {
    let keys: Vec<&str> = plan
        .get("Sort Key")?
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    (!keys.is_empty()).then(|| keys.join(", "))
}

fn text(plan: &Map<String, Value>, key: &str) -> Option<String> {
    plan.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn number(plan: &Map<String, Value>, key: &str) -> Option<f64> {
    plan.get(key).and_then(Value::as_f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_spilled_sort_over_a_seq_scan() {
        let json = serde_json::json!([{
            "Plan": {
                "Node Type": "Sort", "Plan Rows": 100000, "Actual Rows": 100000,
                "Actual Loops": 1, "Total Cost": 9845.0, "Sort Key": ["payload"],
                "Sort Method": "external merge", "Sort Space Used": 2384,
                "Sort Space Type": "Disk",
                "Plans": [{
                    "Node Type": "Seq Scan", "Parent Relationship": "Outer",
                    "Relation Name": "events", "Plan Rows": 100000,
                    "Actual Rows": 100000, "Actual Loops": 1
                }]
            },
            "Planning Time": 0.1, "Execution Time": 52.5
        }]);
        let parsed = parse(&json).unwrap();
        let sort = &parsed.root;
        assert_eq!(sort.kind, NodeKind::Sort);
        assert_eq!(sort.condition.as_deref(), Some("payload"));
        assert_eq!(sort.disk_kb, Some(2384.0));
        assert!(sort.spilled());
        let scan = &sort.children[0];
        assert_eq!(scan.kind, NodeKind::FullScan);
        assert_eq!(scan.relation.as_deref(), Some("events"));
        assert!(!scan.spilled());
        assert_eq!(parsed.execution_ms, Some(52.5));
    }

    #[test]
    fn refuses_what_is_not_a_plan() {
        assert!(parse(&serde_json::json!([{"nope": 1}])).is_err());
        assert!(parse(&serde_json::json!("text")).is_err());
    }
}
