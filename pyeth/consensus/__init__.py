"""Consensus engines: who seals the next block and when. `dev` seals on demand or on a timer for
the dev node; a Clique signer is to join it here."""
