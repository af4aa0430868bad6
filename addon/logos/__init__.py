"""The solutions' logos (our own images) and the code that draws them."""
