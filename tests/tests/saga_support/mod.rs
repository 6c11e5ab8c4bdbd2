//! The order saga the saga tests run: its tables, its context, its steps
//! (each counting its runs, and able to pause or fail on demand) and the
//! helpers that read the effects back.

// Each of saga.rs and saga_resume.rs uses part of it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use strata::saga::{Saga, SagaState, StepResult, StepStatus};
use strata::{decrement, increment, Db, Model};
use tokio::sync::Notify;

#[derive(Model, Debug, Clone)]
#[strata(table = "saga_stock")]
pub struct Stock {
    #[strata(id)]
    sku: String,
    quantity: i32,
}

#[derive(Model, Debug, Clone)]
#[strata(table = "saga_payments")]
pub struct Payment {
    #[strata(id)]
    order_ref: String,
    amount: i64,
}

#[derive(Model, Debug, Clone)]
#[strata(table = "saga_shipments")]
pub struct Shipment {
    #[strata(id)]
    order_ref: String,
}

/// What each action and compensation did, in order.
#[derive(Model, Debug, Clone)]
#[strata(table = "saga_log")]
pub struct Entry {
    #[strata(id, default = autoincrement)]
    id: i64,
    order_ref: String,
    what: String,
}

/// The saga's context: recorded as JSON after every step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    pub order_ref: String,
    pub sku: String,
    pub quantity: i32,
    pub amount: i64,
    /// Set by the charge step, read by its compensation.
    pub payment: Option<String>,
}

/// Short, so the tests wait little for a killed runner's lease to end.
pub const LEASE: Duration = Duration::from_millis(400);

/// Where a step stops for the test: in its action, before or after its
/// effect; the test then aborts the runner (a crash).
#[derive(Clone, Copy, PartialEq)]
pub enum Pause {
    BeforeEffect,
    AfterEffect,
}

/// How one "process" behaves: where it pauses, which action or
/// compensation fails, and how often each step ran.
#[derive(Default)]
pub struct Hooks {
    pub pause: Option<(&'static str, Pause)>,
    pub fail_action: Option<&'static str>,
    pub fail_compensation: Option<&'static str>,
    /// Where a step waits until `release` is notified (a slow step).
    pub hold: Option<&'static str>,
    pub release: Notify,
    /// A delay at each checkpoint: a step that takes a while.
    pub slow: Option<Duration>,
    pub reached: Notify,
    pub runs: Mutex<HashMap<String, u32>>,
}

impl Hooks {
    pub fn new() -> Arc<Hooks> {
        Arc::new(Hooks::default())
    }

    /// Counts the run; fails if this action is set to fail.
    fn enter(&self, step: &str) -> StepResult<()> {
        *self
            .runs
            .lock()
            .unwrap()
            .entry(step.to_owned())
            .or_default() += 1;
        match self.fail_action == Some(step) {
            true => Err(format!("{step} refused the order").into()),
            false => Ok(()),
        }
    }

    /// Stops here forever (until the runner is aborted) if asked to.
    async fn checkpoint(&self, step: &str, at: Pause) {
        if let Some(delay) = self.slow {
            tokio::time::sleep(delay).await;
        }
        if at == Pause::BeforeEffect && self.hold == Some(step) {
            self.reached.notify_one();
            self.release.notified().await;
        }
        if self.pause == Some((step, at)) {
            self.reached.notify_one();
            std::future::pending::<()>().await;
        }
    }

    pub fn runs(&self, step: &str) -> u32 {
        self.runs.lock().unwrap().get(step).copied().unwrap_or(0)
    }
}

pub async fn log(db: &Db, order: &Order, entry: &str) -> strata::Result<()> {
    Entry::create()
        .order_ref(&order.order_ref)
        .what(entry)
        .exec(db)
        .await
        .map(drop)
}

pub async fn reserve(db: Db, order: Order, hooks: Arc<Hooks>) -> StepResult<Order> {
    hooks.enter("reserve")?;
    hooks.checkpoint("reserve", Pause::BeforeEffect).await;
    Stock::update(Stock::by_sku(&order.sku))
        .quantity(decrement(order.quantity))
        .exec(&db)
        .await?;
    log(&db, &order, "do reserve").await?;
    hooks.checkpoint("reserve", Pause::AfterEffect).await;
    Ok(order)
}

pub async fn release(db: Db, order: Order, _hooks: Arc<Hooks>) -> StepResult<Order> {
    Stock::update(Stock::by_sku(&order.sku))
        .quantity(increment(order.quantity))
        .exec(&db)
        .await?;
    log(&db, &order, "undo reserve").await?;
    Ok(order)
}

/// Idempotent: a payment already made for the order (by an attempt that
/// crashed before recording "done") is not made again.
pub async fn charge(db: Db, mut order: Order, hooks: Arc<Hooks>) -> StepResult<Order> {
    hooks.enter("charge")?;
    hooks.checkpoint("charge", Pause::BeforeEffect).await;
    let existing = Payment::find_by_order_ref(&order.order_ref)
        .exec(&db)
        .await?;
    if existing.is_none() {
        Payment::create()
            .order_ref(&order.order_ref)
            .amount(order.amount)
            .exec(&db)
            .await?;
        log(&db, &order, "do charge").await?;
    }
    order.payment = Some(format!("pay-{}", order.order_ref));
    hooks.checkpoint("charge", Pause::AfterEffect).await;
    Ok(order)
}

pub async fn refund(db: Db, mut order: Order, hooks: Arc<Hooks>) -> StepResult<Order> {
    if hooks.fail_compensation == Some("charge") {
        return Err("the payment gateway is down".into());
    }
    Payment::delete_many()
        .filter(Payment::order_ref().eq(order.order_ref.clone()))
        .exec(&db)
        .await?;
    log(&db, &order, "undo charge").await?;
    order.payment = None;
    Ok(order)
}

pub async fn ship(db: Db, order: Order, hooks: Arc<Hooks>) -> StepResult<Order> {
    hooks.enter("ship")?;
    hooks.checkpoint("ship", Pause::BeforeEffect).await;
    Shipment::create()
        .order_ref(&order.order_ref)
        .exec(&db)
        .await?;
    log(&db, &order, "do ship").await?;
    Ok(order)
}

/// Idempotent: also runs for a ship step that crashed before shipping.
pub async fn unship(db: Db, order: Order, _hooks: Arc<Hooks>) -> StepResult<Order> {
    Shipment::delete_many()
        .filter(Shipment::order_ref().eq(order.order_ref.clone()))
        .exec(&db)
        .await?;
    log(&db, &order, "undo ship").await?;
    Ok(order)
}

/// Not idempotent (a second run fails on the payment's key): safe only as a
/// transactional step, whose effects a crash rolls back.
pub async fn charge_once(db: Db, mut order: Order, hooks: Arc<Hooks>) -> StepResult<Order> {
    hooks.enter("charge")?;
    Payment::create()
        .order_ref(&order.order_ref)
        .amount(order.amount)
        .exec(&db)
        .await?;
    log(&db, &order, "do charge").await?;
    order.payment = Some(format!("pay-{}", order.order_ref));
    hooks.checkpoint("charge", Pause::AfterEffect).await;
    Ok(order)
}

/// The order saga as one process defines it: each step function gets
/// that process's hooks.
pub fn order_saga(hooks: &Arc<Hooks>) -> Saga<Order> {
    macro_rules! with_hooks {
        ($step:ident) => {{
            let hooks = Arc::clone(hooks);
            move |db, order| $step(db, order, Arc::clone(&hooks))
        }};
    }
    Saga::new("order")
        .lease(LEASE)
        .step("reserve", with_hooks!(reserve), with_hooks!(release))
        .step("charge", with_hooks!(charge), with_hooks!(refund))
        .step("ship", with_hooks!(ship), with_hooks!(unship))
}

pub async fn setup(db: &Db, quantity: i32) {
    db.push_schema::<(Stock, Payment, Shipment, Entry)>()
        .await
        .unwrap();
    Stock::create()
        .sku("widget")
        .quantity(quantity)
        .exec(db)
        .await
        .unwrap();
}

pub fn order(order_ref: &str) -> Order {
    Order {
        order_ref: order_ref.to_owned(),
        sku: "widget".to_owned(),
        quantity: 3,
        amount: 4200,
        payment: None,
    }
}

/// The log of one order, in the order it was written.
pub async fn entries(db: &Db, order_ref: &str) -> Vec<String> {
    Entry::find_many()
        .filter(Entry::order_ref().eq(order_ref.to_owned()))
        .order_by(Entry::id().asc())
        .exec(db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.what)
        .collect()
}

pub async fn stock(db: &Db) -> i32 {
    Stock::find_by_sku("widget")
        .exec(db)
        .await
        .unwrap()
        .unwrap()
        .quantity
}

pub async fn payments(db: &Db) -> u64 {
    Payment::count().exec(db).await.unwrap()
}

pub async fn shipments(db: &Db) -> u64 {
    Shipment::count().exec(db).await.unwrap()
}

pub fn step_statuses(state: &SagaState) -> Vec<StepStatus> {
    state.steps.iter().map(|s| s.status).collect()
}

/// Runs `runner` in a task until it reaches the pause `hooks` sets, then
/// aborts the task: the process running the saga dies there.
pub async fn kill_at_pause<F>(hooks: &Arc<Hooks>, runner: F)
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let task = tokio::spawn(runner);
    tokio::time::timeout(Duration::from_secs(30), hooks.reached.notified())
        .await
        .expect("the runner reaches its pause");
    task.abort();
    match task.await {
        Err(e) => assert!(e.is_cancelled()),
        Ok(_) => panic!("the runner finished instead of dying at its pause"),
    }
}

/// Long enough for a killed runner's lease to end.
pub async fn wait_out_the_lease() {
    tokio::time::sleep(LEASE + Duration::from_millis(200)).await;
}

pub fn hooks(edit: impl FnOnce(&mut Hooks)) -> Arc<Hooks> {
    let mut hooks = Hooks::default();
    edit(&mut hooks);
    Arc::new(hooks)
}

/// The order saga with "charge" as a transactional step.
pub fn transactional_order_saga(hooks: &Arc<Hooks>) -> Saga<Order> {
    macro_rules! with_hooks {
        ($step:ident) => {{
            let hooks = Arc::clone(hooks);
            move |db, order| $step(db, order, Arc::clone(&hooks))
        }};
    }
    Saga::new("order")
        .lease(LEASE)
        .step("reserve", with_hooks!(reserve), with_hooks!(release))
        .transactional_step("charge", with_hooks!(charge_once), with_hooks!(refund))
        .step("ship", with_hooks!(ship), with_hooks!(unship))
}
