"""Fakes and fault injection for tests, one module per seam they fake; the product never imports this package."""
