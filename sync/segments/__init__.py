"""Customer segments: a query language, its compilation to SQL, and kept-current membership.

The pieces, in the order a query goes through them: `language` (text -> AST and back),
`catalog` (what attributes exist), `validate` (an AST the catalogue accepts), `compile`
(AST -> one SQL select of customer ids), `evaluate` (membership, entries and exits).
"""
