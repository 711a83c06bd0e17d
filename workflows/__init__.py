"""Natural-language workflows: storage, scope resolution, matching and plan merging."""
