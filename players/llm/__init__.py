"""LLM players: chat models bargaining in the ``consumer`` and ``bilateral`` worlds.

Modules, one job each: ``backends`` (llama-cpp-python in-process, any
OpenAI-compatible endpoint), ``cache`` (the SQLite reply cache), ``parser``
(tolerant reading of replies), ``prompts`` (what the models are told),
``client`` (cache -> backend -> parse -> bounded retries), ``consumer`` (the
consumer-world buyer/seller), ``negotiator`` (the negmas negotiator for
``bilateral``), ``serve`` (llama-cpp-python's OpenAI-compatible server with
this machine's load fix).
"""
