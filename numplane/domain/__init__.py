"""The pure core of numplane: every lifecycle rule, with no I/O, no clock and no environment.

Everything here is a function of its arguments; the shells (store, resolvers, schema, jobs, cli) load
data, pass it in with the current time, and save what comes back.
"""
