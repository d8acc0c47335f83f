"""Redis: the connection and its topologies (client), the key layout's migration (layout),
the Lua scripts (scripts), and one module per store. Key names: moderator/keys.py."""
