"""Members' own data: the registry every feature adds its export and forget to, for `/privacy`."""
