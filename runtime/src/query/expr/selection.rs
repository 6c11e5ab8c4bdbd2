//! What a query reads: one typed expression or a tuple of them, decoded by
//! position into the matching Rust value or tuple.

use super::AsExpr;
use crate::query::ast::Expr;
use crate::schema::FromRow;

/// Typed expressions read together; `Output` is what each row decodes as.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a selection of typed SQL expressions",
    note = "select one column or expression, or a tuple of up to 12, e.g. `(Post::author_id(), count_all(), sum(Post::views()))`"
)]
pub trait Selection {
    type Output: FromRow + Send + Unpin + 'static;
    /// How many expressions [`Selection::into_exprs`] writes: the select
    /// list is allocated once, at its size.
    const LEN: usize = 1;
    /// The expressions in select-list order.
    fn into_exprs(self, out: &mut Vec<Expr>);
}

impl<E: AsExpr> Selection for E
where
    E::Type: Unpin,
{
    type Output = E::Type;
    fn into_exprs(self, out: &mut Vec<Expr>) {
        out.push(self.into_expr());
    }
}

macro_rules! tuple_selection {
    ($($name:ident),+) => {
        impl<$($name: Selection),+> Selection for ($($name,)+) {
            type Output = ($($name::Output,)+);
            const LEN: usize = 0 $(+ $name::LEN)+;
            fn into_exprs(self, out: &mut Vec<Expr>) {
                #[allow(non_snake_case)]
                let ($($name,)+) = self;
                $($name.into_exprs(out);)+
            }
        }
    };
}
tuple_selection!(A);
tuple_selection!(A, B);
tuple_selection!(A, B, C);
tuple_selection!(A, B, C, D);
tuple_selection!(A, B, C, D, E);
tuple_selection!(A, B, C, D, E, F);
tuple_selection!(A, B, C, D, E, F, G);
tuple_selection!(A, B, C, D, E, F, G, H);
tuple_selection!(A, B, C, D, E, F, G, H, I);
tuple_selection!(A, B, C, D, E, F, G, H, I, J);
tuple_selection!(A, B, C, D, E, F, G, H, I, J, K);
tuple_selection!(A, B, C, D, E, F, G, H, I, J, K, L);
