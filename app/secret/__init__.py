"""Secret votes in the app: the trustees' key ceremony, encrypted casting, the format 2 seal."""
