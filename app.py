"""The server: `python app.py [--host H] [--port N] [--index DIR] [--seeds DIR] [--auth ...]
[--llm-url URL] ...`, the same as `qa serve` (every flag of it): the web chat at /, the REST API at
/api (docs at /docs), MCP at /mcp. Binds to 127.0.0.1 unless told otherwise;
GRADIO_SERVER_NAME / GRADIO_SERVER_PORT also work."""

import sys

from qa.cli import main

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
