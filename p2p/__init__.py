"""p2p: peer sessions, gossip and sync over aiohttp WebSockets. Never touches the database."""
