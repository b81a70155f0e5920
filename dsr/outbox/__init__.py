"""Outgoing messages: written in the transaction of the change that causes them, claimed before sending,
delivered at most once by a worker."""
