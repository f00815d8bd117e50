//! Derive macros for `liveview-core`. Use them through `liveview_core`, which re-exports
//! them next to the traits they implement.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::{format_ident, quote};
use syn::{parse_macro_input, Data, DeriveInput, Fields, LitStr};

/// Derives `liveview_core::LiveEvent` for an enum: each variant is an event named by its
/// snake_case name (kebab-case is accepted too), or by `#[event(rename = "...")]`.
///
/// * a unit variant takes no payload (any value is ignored);
/// * a struct variant deserialises its fields from the event value (the `phx-value-*`
///   attributes or the serialised form); `#[serde(...)]` attributes on fields apply;
/// * a tuple variant with one field deserialises the whole value into that field.
///
/// See the trait's documentation for an example.
#[proc_macro_derive(LiveEvent, attributes(event, serde))]
pub fn derive_live_event(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

fn expand(input: &DeriveInput) -> syn::Result<Tokens> {
    let Data::Enum(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "LiveEvent can only be derived for enums: one variant per event",
        ));
    };
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &input.generics,
            "LiveEvent cannot be derived for generic enums",
        ));
    }
    let ident = &input.ident;
    let mut names = Vec::new();
    let mut arms = Vec::new();
    for variant in &data.variants {
        let name = event_name(variant)?;
        let v = &variant.ident;
        let decode = match &variant.fields {
            Fields::Unit => quote! { ::core::result::Result::Ok(Self::#v) },
            Fields::Unnamed(fields) if fields.unnamed.len() == 1 => {
                quote! { ::core::result::Result::Ok(Self::#v(__p::payload(name, value)?)) }
            }
            Fields::Unnamed(fields) => {
                return Err(syn::Error::new_spanned(
                    fields,
                    "a tuple event variant takes exactly one field; use named fields for more",
                ))
            }
            Fields::Named(fields) => {
                let holder = format_ident!("__{}Fields", v);
                let field_defs = fields.named.iter().map(|f| {
                    let serde_attrs = f.attrs.iter().filter(|a| a.path().is_ident("serde"));
                    let (name, ty) = (&f.ident, &f.ty);
                    quote! { #(#serde_attrs)* #name: #ty }
                });
                let moves = fields.named.iter().map(|f| {
                    let name = &f.ident;
                    quote! { #name: fields.#name }
                });
                quote! {{
                    #[derive(::liveview_core::__private::serde::Deserialize)]
                    #[serde(crate = "::liveview_core::__private::serde")]
                    struct #holder { #(#field_defs),* }
                    let fields: #holder = __p::payload(name, value)?;
                    ::core::result::Result::Ok(Self::#v { #(#moves),* })
                }}
            }
        };
        arms.push(quote! {
            if __p::name_matches(name, #name) {
                return #decode;
            }
        });
        names.push(name);
    }
    Ok(quote! {
        impl ::liveview_core::LiveEvent for #ident {
            const NAMES: &'static [&'static str] = &[#(#names),*];

            #[allow(unused_variables)]
            fn decode(
                name: &str,
                value: ::liveview_core::__private::serde_json::Value,
            ) -> ::core::result::Result<Self, ::liveview_core::EventError> {
                use ::liveview_core::__private as __p;
                #(#arms)*
                ::core::result::Result::Err(::liveview_core::EventError::Unknown {
                    name: name.to_owned(),
                    known: Self::NAMES,
                })
            }
        }
    })
}

/// `#[event(rename = "...")]`, or the variant's name in snake_case.
fn event_name(variant: &syn::Variant) -> syn::Result<String> {
    let mut rename = None;
    for attr in variant.attrs.iter().filter(|a| a.path().is_ident("event")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                rename = Some(meta.value()?.parse::<LitStr>()?.value());
                Ok(())
            } else {
                Err(meta.error("expected `rename = \"...\"`"))
            }
        })?;
    }
    Ok(rename.unwrap_or_else(|| snake_case(&variant.ident.to_string())))
}

fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.char_indices() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::snake_case;

    #[test]
    fn variant_names_become_snake_case() {
        assert_eq!(snake_case("Increment"), "increment");
        assert_eq!(snake_case("SaveUser"), "save_user");
    }
}
