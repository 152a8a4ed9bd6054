"""llama-cpp-python's own OpenAI-compatible server, with this machine's load fix.

``python -m players.llm.serve --model PATH --host 127.0.0.1 --port N [--api_key KEY]``
takes exactly the arguments of ``python -m llama_cpp.server``. The only
difference: models load without llama.cpp's CPU extra buffer types (see
``players.llm.backends``), which segfault on VMs that advertise AMX without
enabling it. With no ``--model``, the embedded SmolLM2 GGUF is served.
"""

from __future__ import annotations

import sys

import llama_cpp

from players.llm.backends import default_model_path


def _patch_default_params() -> None:
    default_params = llama_cpp.llama_model_default_params

    def without_extra_buffers():
        params = default_params()
        params.use_extra_bufts = False
        return params

    llama_cpp.llama_cpp.llama_model_default_params = without_extra_buffers


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if "--model" not in args and not any(a.startswith("--model=") for a in args):
        args += ["--model", str(default_model_path())]
    _patch_default_params()
    from llama_cpp.server.__main__ import main as server_main

    sys.argv = ["llama_cpp.server", *args]
    server_main()


if __name__ == "__main__":
    main()
