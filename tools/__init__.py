"""Developer tools that are not part of the product (see docs/mutation.md)."""
