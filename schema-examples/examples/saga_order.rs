//! An order saga (the seed's "Saga Pattern"): reserve stock, charge, ship;
//! a step that fails undoes the ones before it, in reverse order, and a
//! process that dies mid-saga leaves it for the next one to finish.
//! Runs on an embedded SQLite file, or on `DATABASE_URL`.
//!
//!     cargo run -p schema-examples --example saga_order
//!     DATABASE_URL=postgres://postgres@127.0.0.1/postgres cargo run -p schema-examples --example saga_order

use std::time::Duration;

use serde::{Deserialize, Serialize};
use strata::saga::{Saga, SagaError, SagaRegistry, SagaState, StepResult};
use strata::{decrement, increment, Db, Model};

#[derive(Model, Debug, Clone)]
#[strata(table = "example_stock")]
struct Stock {
    #[strata(id)]
    sku: String,
    quantity: i32,
}

#[derive(Model, Debug, Clone)]
#[strata(table = "example_payments")]
struct Payment {
    #[strata(id)]
    order_ref: String,
    amount: i64,
}

/// What the steps share; recorded as JSON in `_strata_sagas` after each step.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Order {
    order_ref: String,
    sku: String,
    quantity: i32,
    amount: i64,
    /// The address ships to; "nowhere" makes the ship step fail.
    address: String,
    /// How long shipping takes: long enough, and the example's first
    /// process dies waiting.
    ship_delay_ms: u64,
}

async fn reserve(db: Db, order: Order) -> StepResult<Order> {
    Stock::update(Stock::by_sku(&order.sku))
        .quantity(decrement(order.quantity))
        .exec(&db)
        .await?;
    Ok(order)
}

async fn release(db: Db, order: Order) -> StepResult<Order> {
    Stock::update(Stock::by_sku(&order.sku))
        .quantity(increment(order.quantity))
        .exec(&db)
        .await?;
    Ok(order)
}

/// Keyed on the order anyway: a charge made twice would be the worst bug
/// to have, even if the transactional step already prevents it.
async fn charge(db: Db, order: Order) -> StepResult<Order> {
    if Payment::find_by_order_ref(&order.order_ref)
        .exec(&db)
        .await?
        .is_none()
    {
        Payment::create()
            .order_ref(&order.order_ref)
            .amount(order.amount)
            .exec(&db)
            .await?;
    }
    Ok(order)
}

async fn refund(db: Db, order: Order) -> StepResult<Order> {
    Payment::delete_many()
        .filter(Payment::order_ref().eq(order.order_ref.clone()))
        .exec(&db)
        .await?;
    Ok(order)
}

async fn ship(_db: Db, order: Order) -> StepResult<Order> {
    tokio::time::sleep(Duration::from_millis(order.ship_delay_ms)).await;
    if order.address == "nowhere" {
        return Err(format!("no carrier delivers to {:?}", order.address).into());
    }
    Ok(order)
}

fn order_saga() -> Saga<Order> {
    Saga::new("order")
        .lease(Duration::from_millis(500))
        .step("reserve", reserve, release)
        // Its effects are all in this database: they commit together with
        // the step's "done" record, or not at all.
        .transactional_step("charge", charge, refund)
        .step_without_compensation("ship", ship)
}

fn order(order_ref: &str, address: &str, ship_delay_ms: u64) -> Order {
    Order {
        order_ref: order_ref.to_owned(),
        sku: "widget".to_owned(),
        quantity: 2,
        amount: 1999,
        address: address.to_owned(),
        ship_delay_ms,
    }
}

async fn report(db: &Db, what: &str) -> strata::Result<()> {
    let stock = Stock::find_by_sku("widget").exec(db).await?;
    let payments = Payment::count().exec(db).await?;
    let quantity = stock.map_or(0, |s| s.quantity);
    println!("  {what}: {quantity} widgets in stock, {payments} payment(s)");
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = match std::env::var("DATABASE_URL") {
        Ok(url) => url,
        Err(_) => {
            let path = std::env::temp_dir().join("strata-saga-example.db");
            let _ = std::fs::remove_file(&path);
            format!("sqlite://{}", path.display())
        }
    };
    let db = Db::connect(&url).await?;
    db.reset_schema::<(Stock, Payment)>().await?;
    Stock::create().sku("widget").quantity(10).exec(&db).await?;
    let saga = order_saga();
    // Saga ids are unique in `_strata_sagas`, which outlives reset_schema:
    // each run of the example uses its own.
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis();
    let id = |n: u32| format!("A-{n}-{run}");

    println!("1. every step succeeds");
    saga.run_with_id(&db, id(1), order(&id(1), "Main St 1", 0))
        .await?;
    report(&db, "after order 1").await?;

    println!("2. shipping fails: the charge is refunded, then the stock released");
    match saga
        .run_with_id(&db, id(2), order(&id(2), "nowhere", 0))
        .await
    {
        Err(SagaError::StepFailed {
            step, compensated, ..
        }) => println!("  step {step:?} failed; compensated {compensated:?}"),
        other => println!("  unexpected: {other:?}"),
    }
    report(&db, "after order 2").await?;

    println!("3. the process dies while shipping; the next one resumes the saga");
    let dying = saga.run_with_id(&db, id(3), order(&id(3), "Elm St 2", 800));
    // Dropping the future mid-step is what a crash leaves behind: the saga
    // recorded as running, its "ship" step started, a lease held.
    let _ = tokio::time::timeout(Duration::from_millis(300), dying).await;
    let state = SagaState::load(&db, &id(3)).await?;
    println!(
        "  recorded: {} at step {:?} ({:?})",
        state.status, state.steps[state.step].name, state.steps[state.step].status
    );
    // On restart: register the sagas this program knows and resume the ones
    // no live process holds (here, once the dead one's lease has ended).
    tokio::time::sleep(Duration::from_millis(600)).await;
    let registry = SagaRegistry::new().with(&saga);
    for resumed in registry.resume_pending(&db).await? {
        println!(
            "  resumed {} ({}): {}",
            resumed.id,
            resumed.name,
            match resumed.outcome {
                Ok(_) => "completed".to_owned(),
                Err(e) => e.to_string(),
            }
        );
    }
    report(&db, "after order 3").await?;
    Ok(())
}
