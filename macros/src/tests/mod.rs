//! Unit tests on the `*_inner` entry points, fed with `parse_quote!` input.

mod enum_errors;
mod expansion;
mod indexes;
mod model_errors;
mod relations;
mod tenant;

use proc_macro2::TokenStream;

/// The messages of the `compile_error!`s in an expansion, in order.
fn errors(tokens: &TokenStream) -> Vec<String> {
    let text = tokens.to_string();
    text.match_indices("compile_error !")
        .map(|(at, _)| {
            let rest = &text[at..];
            let start = rest.find('"').expect("message literal") + 1;
            let end = rest[start..]
                .find("\" }")
                .or_else(|| rest[start..].find("\")"))
                .expect("end");
            rest[start..start + end]
                .replace("\\\"", "\"")
                .replace("\\n", "\n")
        })
        .collect()
}
