"""The admin console: a small server-rendered web app over the same functions as the CLI.

`app` builds it, `security` decides who may do what, `users` keeps accounts, `actions` is the
one door to changes, and `health`, `people`, `mappings`, `rules`, `charts` turn the store and
the config into what the pages show. `leadsync console` (sync/cli_console.py) starts it.
"""
