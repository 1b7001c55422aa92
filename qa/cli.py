"""The `qa` command: parses arguments, calls the qa package, formats the result. User mistakes
print one line on stderr and exit 2; nothing here knows how the pipeline works."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from dataclasses import asdict

from .answer import answer_dict, answer_text
from .errors import QAError, one_line


def _common(p: argparse.ArgumentParser, seeds: bool = False) -> None:
    p.add_argument("--index", help="index folder (default: index, or QA_INDEX)")
    p.add_argument("--model", help="embedding model name or path (default: the bundled multilingual e5)")
    if seeds:
        p.add_argument("--seeds", help="documents folder (default: seeds, or QA_SEEDS)")


def _llm(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--llm-url", help="OpenAI-compatible server for LLM answers (or QA_LLM_URL); off by default"
    )
    p.add_argument("--llm-model", help="model name on that server (or QA_LLM_MODEL)")


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="qa", description="Answers questions from your documents with quotes.")
    ap.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("index", help="build or update the index from the documents folder")
    _common(p, seeds=True)
    p.add_argument("--json", action="store_true", help="print the build report as JSON")
    p.add_argument("--watch", action="store_true", help="keep following the documents folder (Ctrl-C stops)")
    p.add_argument(
        "--ray",
        nargs="?",
        const="local",
        metavar="ADDRESS",
        help="build on a Ray cluster: 'auto' joins the running one, host:port another; alone, starts Ray here",
    )
    p = sub.add_parser("search", help="show the passages that best match a query")
    p.add_argument("query")
    p.add_argument("-k", type=int, help="number of hits (default 5)")
    p.add_argument("--json", action="store_true")
    _common(p)
    p = sub.add_parser("ask", help="answer a question with verbatim quotes")
    p.add_argument("question")
    p.add_argument("--json", action="store_true")
    _common(p)
    _llm(p)
    p = sub.add_parser("serve", help="open the web chat, the REST API (/api, /docs) and MCP (/mcp)")
    _common(p, seeds=True)
    p.add_argument(
        "--host", help="address to bind (default 127.0.0.1; another needs --auth or stays read-only)"
    )
    p.add_argument("--port", type=int)
    p.add_argument("--auth", help="user:password, or a file of user:password lines: people log in")
    p.add_argument(
        "--api-key", help="programs must send it (Authorization: Bearer KEY); QA_API_KEY keeps it out of ps"
    )
    p.add_argument(
        "--read-only",
        action=argparse.BooleanOptionalAction,
        help="no uploads, rebuilds or deletions (default: on when serving beyond loopback without --auth)",
    )
    p.add_argument("--allowed-hosts", help="comma-separated Host names to serve besides loopback and --host")
    _llm(p)
    p = sub.add_parser("mcp", help="serve the MCP tools over stdio (for agents)")
    _common(p)
    p = sub.add_parser("status", help="show the index and how the model runs on this machine")
    p.add_argument("--json", action="store_true")
    _common(p, seeds=True)
    p = sub.add_parser("eval", help="score the system on a SQuAD-format or JSONL question file")
    p.add_argument("file")
    p.add_argument("--json", action="store_true")
    _common(p)
    return ap


def _report_lines(r) -> str:
    lines = [f"{r.documents} documents, {r.chunks} chunks, {r.embedded} embedded, version {r.version}"]
    if not r.written:
        lines.append("index up to date")
    lines += [
        f"{name}: {', '.join(getattr(r, name))}"
        for name in ("added", "changed", "removed")
        if getattr(r, name)
    ]
    lines += [f"renamed: {a} -> {b}" for a, b in r.renamed]
    if r.rebuilt:
        lines.append(f"full rebuild: {r.rebuilt}")
    lines += [f"skipped {s.source}: {s.reason}" for s in r.skipped]
    return "\n".join(lines)


def _ask_llm(a, settings, as_json: bool) -> None:
    """The LLM's checked reply, printed sentence by sentence as each one's citations settle,
    then the cited quotes as in extractive mode."""
    from .answer import answer_text
    from .lexical import language
    from .llm import chat_from, claim_text, grounded, llm_dict

    printed, r = 0, None
    for r in grounded(a, chat_from(settings), settings.llm_timeout):
        for c in [] if as_json else r.settled[printed:]:
            print(claim_text(c, language(a.question)), end=" ", flush=True)
        printed = max(printed, len(r.settled))
    if as_json:
        print(json.dumps(llm_dict(r), ensure_ascii=False, indent=1))
    elif r.claims:
        print(f"\n\n{answer_text(a.question, r.quotes)}")
    else:  # the extractive answer with the notice saying why
        print(("\n" if printed else "") + r.text)


def run(args: argparse.Namespace) -> int:
    import qa

    settings = qa.load_settings(
        index=args.index,
        model=args.model,
        seeds=getattr(args, "seeds", None),
        k=getattr(args, "k", None),
        **{
            name: getattr(args, name, None)
            for name in (
                "host",
                "port",
                "auth",
                "api_key",
                "read_only",
                "allowed_hosts",
                "llm_url",
                "llm_model",
            )
        },
        ray_address=getattr(args, "ray", None),
    )
    if args.cmd == "index":

        def show(r):
            print(
                json.dumps(asdict(r), ensure_ascii=False, indent=1) if args.json else _report_lines(r),
                flush=True,
            )

        if args.watch:
            from .build import watch

            print(f"watching {settings.seeds} (Ctrl-C stops)", file=sys.stderr)
            watch(settings.seeds, settings.index, settings, on_report=show)
        else:
            show(
                qa.build_index(
                    settings.seeds, settings.index, settings.model, settings=settings, progress=True
                )
            )
    elif args.cmd == "search":
        hits = qa.Retriever.load(settings.index, args.model, settings=settings).search(args.query, settings.k)
        if args.json:
            print(json.dumps([asdict(h) for h in hits], ensure_ascii=False, indent=1))
        for i, h in enumerate([] if args.json else hits, 1):
            print(f"[{i}] {h.source}:{h.line_start}-{h.line_end} score {h.score:.3f}\n    {h.text[:300]}")
    elif args.cmd == "ask":
        a = qa.Assistant(qa.Retriever.load(settings.index, args.model, settings=settings)).ask(args.question)
        if settings.llm_url:
            _ask_llm(a, settings, args.json)
        elif args.json:
            print(json.dumps(answer_dict(a), ensure_ascii=False, indent=1))
        else:  # the answer span inside each quote: bold on a terminal, **marked** elsewhere
            bold = (lambda s: f"[1m{s}[0m") if sys.stdout.isatty() else (lambda s: f"**{s}**")
            print(answer_text(a.question, a.quotes, bold) if a.found else a.text)
    elif args.cmd == "mcp":
        from .mcp_server import run_stdio

        run_stdio(settings)
    elif args.cmd == "serve":
        from .server import serve
        from .settings import gradio_env

        env_host, env_port = gradio_env()
        serve(
            dataclasses.replace(
                settings,
                host=args.host or env_host or settings.host,
                port=args.port or env_port or settings.port,
            )
        )
    elif args.cmd == "status":
        from .build import index_status
        from .embedding import describe

        st = index_status(settings.seeds, settings.index)
        shown = {"index": str(settings.index)}
        if st["built"]:
            shown |= {k: st[k] for k in ("version", "documents", "chunks", "built_at", "stale")}
        else:
            shown["version"] = "not built yet (qa index)"
        model = args.model or (st["model"] if st["built"] else settings.model)
        shown |= describe(qa.load_embedder(model, settings=settings))
        print(
            json.dumps(shown, ensure_ascii=False, indent=1)
            if args.json
            else "\n".join(f"{k}: {v}" for k, v in shown.items())
        )
    elif args.cmd == "eval":
        from .evaluate import evaluate, format_report

        res = evaluate(args.file, settings, index=args.index, progress=True)
        print(json.dumps(res, ensure_ascii=False, indent=1) if args.json else format_report(res))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    try:
        return run(args)
    except QAError as e:
        print(f"qa: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("qa: stopped", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `qa ask ... | head`: the reader left, nothing to report
        sys.stderr.close()
        return 0
    except Exception as e:  # noqa: BLE001 - anything else is one line too; -v logs the traceback
        logging.getLogger("qa").info("traceback:", exc_info=True)
        hint = "" if args.verbose else "; run with -v for the details"
        print(f"qa: {one_line(e)}{hint}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
