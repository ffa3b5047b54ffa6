"""The Dash application: factory, configuration, callbacks and entry points."""
