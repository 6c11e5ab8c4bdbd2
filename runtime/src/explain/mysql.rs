//! `EXPLAIN FORMAT=JSON` read into a [`PlanNode`] tree, from MariaDB and
//! MySQL 8, whose documents differ: both nest a `query_block` holding a
//! `table` or a `nested_loop` of `{"table": ..}` entries, wrapped in sorts
//! and groupings, but MariaDB says `filesort`/`rows` and writes numbers as
//! numbers, MySQL says `ordering_operation`/`rows_examined_per_scan` and
//! writes many numbers as strings. Keys this reader does not know are walked
//! through, so nodes nested in them still appear.

use super::node::{NodeKind, PlanNode};
use serde_json::{Map, Value};

pub(crate) fn parse(json: &Value, sql: &str) -> Result<PlanNode, String> {
    let top = json
        .as_object()
        .ok_or("MySQL's plan is not a JSON object")?;
    let mut nodes = walk(top, sql);
    match nodes.len() {
        0 => Err("MySQL's plan has no query_block".into()),
        1 => Ok(nodes.remove(0)),
        _ => {
            let mut root = PlanNode::new(NodeKind::Other, "plan");
            root.children = nodes;
            Ok(root)
        }
    }
}

/// The plan nodes in one JSON object, in document order.
fn walk(object: &Map<String, Value>, sql: &str) -> Vec<PlanNode> {
    let mut nodes = Vec::new();
    for (key, value) in object {
        let inner = || match value {
            Value::Object(o) => walk(o, sql),
            Value::Array(items) => walk_all(items, sql),
            _ => Vec::new(),
        };
        let wrapper = |kind: NodeKind, label: String| {
            let mut node = PlanNode::new(kind, label);
            node.children = inner();
            node
        };
        match (key.as_str(), value) {
            ("table", Value::Object(table)) => nodes.push(table_node(table, sql)),
            ("query_block", Value::Object(block)) => {
                let label = match block.get("select_id").and_then(number) {
                    Some(id) => format!("query_block #{id}"),
                    None => "query_block".to_owned(),
                };
                let mut node = wrapper(NodeKind::Subquery, label);
                node.total_cost = block.get("cost_info").and_then(|c| field(c, "query_cost"));
                nodes.push(node);
            }
            ("nested_loop", Value::Array(_)) => {
                nodes.push(wrapper(NodeKind::NestedLoop, "nested_loop".into()))
            }
            ("filesort", Value::Object(sort)) => {
                let mut node = wrapper(NodeKind::Sort, "filesort".into());
                node.condition = text(sort, "sort_key");
                nodes.push(node);
            }
            ("ordering_operation", Value::Object(order))
                if order.get("using_filesort") == Some(&Value::Bool(true)) =>
            {
                nodes.push(wrapper(NodeKind::Sort, "filesort".into()))
            }
            ("grouping_operation", Value::Object(_)) => {
                nodes.push(wrapper(NodeKind::Aggregate, "grouping_operation".into()))
            }
            ("temporary_table", Value::Object(_)) => {
                nodes.push(wrapper(NodeKind::Materialize, "temporary_table".into()))
            }
            ("block-nl-join", Value::Object(join)) => {
                let label = match text(join, "join_type") {
                    Some(t) => format!("block-nl-join ({t})"),
                    None => "block-nl-join".to_owned(),
                };
                nodes.push(wrapper(NodeKind::Other, label));
            }
            ("union_result", Value::Object(_)) => {
                nodes.push(wrapper(NodeKind::Other, "union_result".into()))
            }
            // Wrappers without a meaning of their own (read_sorted_file,
            // subqueries, query_specifications, materialized..).
            _ => nodes.extend(inner()),
        }
    }
    nodes
}

fn walk_all(items: &[Value], sql: &str) -> Vec<PlanNode> {
    items
        .iter()
        .filter_map(Value::as_object)
        .flat_map(|o| walk(o, sql))
        .collect()
}

fn table_node(table: &Map<String, Value>, sql: &str) -> PlanNode {
    let access = text(table, "access_type");
    let covering = table.get("using_index") == Some(&Value::Bool(true));
    let kind = match access.as_deref() {
        Some("ALL") => NodeKind::FullScan,
        Some("index") => NodeKind::FullIndexScan,
        Some(_) if covering => NodeKind::IndexOnlyScan,
        Some(_) => NodeKind::IndexScan,
        None => NodeKind::Other,
    };
    let mut node = PlanNode::new(kind, access.unwrap_or_else(|| "table".to_owned()));
    node.relation = text(table, "table_name").map(|name| {
        super::table_of_alias(&name, sql, '`')
            .map(str::to_owned)
            .unwrap_or(name)
    });
    node.index = text(table, "key");
    node.condition = text(table, "index_condition").or_else(|| text(table, "attached_condition"));
    node.estimated_rows = table
        .get("rows")
        .and_then(number)
        .or_else(|| table.get("rows_examined_per_scan").and_then(number));
    // MariaDB's ANALYZE FORMAT=JSON adds r_rows (per loop) and r_loops.
    node.actual_rows = table.get("r_rows").and_then(number);
    node.loops = table.get("r_loops").and_then(number);
    node.total_cost = table
        .get("cost_info")
        .and_then(|c| field(c, "prefix_cost"))
        .or_else(|| table.get("cost").and_then(number));
    node.children = walk(table, sql);
    node
}

fn text(object: &Map<String, Value>, key: &str) -> Option<String> {
    object.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn field(object: &Value, key: &str) -> Option<f64> {
    object.get(key).and_then(number)
}

/// A number, or a string holding one (MySQL 8 writes `"filtered": "10.00"`).
fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_mariadb_sorted_join() {
        let sql = "SELECT * FROM `items` AS `i` JOIN `o` ON ..";
        let json = serde_json::json!({"query_block": {"select_id": 1, "nested_loop": [
            {"read_sorted_file": {"filesort": {"sort_key": "o.item_id", "table": {
                "table_name": "o", "access_type": "ALL", "rows": 100, "filtered": 100}}}},
            {"table": {"table_name": "i", "access_type": "eq_ref", "key": "PRIMARY",
                "rows": 1, "attached_condition": "i.v = 'x'"}}
        ]}});
        let root = parse(&json, sql).unwrap();
        assert_eq!(root.label, "query_block #1");
        let join = &root.children[0];
        assert_eq!(join.kind, NodeKind::NestedLoop);
        let sort = &join.children[0];
        assert_eq!(sort.kind, NodeKind::Sort);
        let scan = &sort.children[0];
        assert_eq!(scan.kind, NodeKind::FullScan);
        assert_eq!(scan.estimated_rows, Some(100.0));
        let lookup = &join.children[1];
        assert_eq!(lookup.relation.as_deref(), Some("items"));
        assert_eq!(lookup.index.as_deref(), Some("PRIMARY"));
    }

    #[test]
    fn reads_mysql_8_shape() {
        let json = serde_json::json!({"query_block": {"select_id": 1,
            "cost_info": {"query_cost": "10146.25"},
            "ordering_operation": {"using_filesort": true, "table": {
                "table_name": "events", "access_type": "ALL",
                "rows_examined_per_scan": 99750, "rows_produced_per_join": 9975,
                "filtered": "10.00", "cost_info": {"prefix_cost": "10146.25"},
                "attached_condition": "(`events`.`kind` = 'x')"}}}});
        let root = parse(&json, "").unwrap();
        assert_eq!(root.total_cost, Some(10146.25));
        let sort = &root.children[0];
        assert_eq!(sort.kind, NodeKind::Sort);
        let scan = &sort.children[0];
        assert_eq!(scan.kind, NodeKind::FullScan);
        assert_eq!(scan.estimated_rows, Some(99750.0));
        assert_eq!(scan.total_cost, Some(10146.25));
    }
}
