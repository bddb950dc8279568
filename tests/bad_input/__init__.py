"""The bad-input corpus: what a careless or hostile user can send, each answered with a message or a 404, never a
500, and never with anything half-written."""
