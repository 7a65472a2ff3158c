"""Discord adapters. Each public module here is an extension loaded by `FoyerBot`."""
