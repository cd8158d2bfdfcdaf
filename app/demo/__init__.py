"""The demo trust that `flask demo` builds: build (the whole story), council, treasury."""
