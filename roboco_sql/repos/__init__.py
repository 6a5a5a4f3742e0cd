"""Typed async repository functions, one module per aggregate, over sql/queries/<aggregate>.sql.

Every function takes the connection first; the caller owns the transaction.
"""
