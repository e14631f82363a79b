"""TinyCRM: a small marketing CRM (people, their status, their activities) for the tests.

declaration  what leadsync's core needs to know, as data (the entry point)
connector    `TinyCrmConnector`: reads and writes over TinyCRM's HTTP API
emulator     `TinyCrm`: the whole CRM in memory, served over real HTTP
"""
