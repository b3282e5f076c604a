# Repository-level pytest settings only: the plugin tests drive pytest itself through pytester.
pytest_plugins = ["pytester"]
