"""The xAPI language: validation, formats, identifiers. No Flask and no SQL in this package."""
