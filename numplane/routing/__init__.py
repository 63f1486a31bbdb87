"""Call routing: the in-memory view of numbers and accounts that the hunt reads."""
