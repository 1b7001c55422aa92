"""The server: `python app.py [--host H] [--port N] [--index DIR] [--seeds DIR] [--llm-url URL]
[--llm-model M]`: the web chat at /, the REST API at /api (docs at /docs), MCP at /mcp. Binds to
127.0.0.1 unless told otherwise; GRADIO_SERVER_NAME / GRADIO_SERVER_PORT also work."""

import argparse
import sys

import qa
from qa.server import serve
from qa.settings import gradio_env


def main() -> int:
    ap = argparse.ArgumentParser(description="qa server: web chat, REST API, MCP")
    ap.add_argument("--host")
    ap.add_argument("--port", type=int)
    ap.add_argument("--index")
    ap.add_argument("--seeds")
    ap.add_argument("--llm-url", help="OpenAI-compatible server for LLM answers; off by default")
    ap.add_argument("--llm-model")
    args = ap.parse_args()
    env_host, env_port = gradio_env()
    try:
        settings = qa.load_settings(
            host=args.host or env_host,
            port=args.port or env_port,
            index=args.index,
            seeds=args.seeds,
            llm_url=args.llm_url,
            llm_model=args.llm_model,
        )
        serve(settings)
    except qa.QAError as e:
        print(f"qa: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
