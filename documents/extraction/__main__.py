"""The child process of :func:`documents.extraction.extract_file_isolated`.

``python -m documents.extraction PATH [--limits JSON] [--filename NAME]``
prints one JSON object on stdout: the result, or ``{"error": code,
"message": ...}``. It configures minimal Django settings itself and never
touches the database.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys

from . import ExtractionError, Limits, extract_file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m documents.extraction")
    parser.add_argument("path")
    parser.add_argument("--limits", default=None, help="Limits as JSON")
    parser.add_argument("--filename", default=None)
    args = parser.parse_args(argv)

    from django.conf import settings

    if not settings.configured:
        settings.configure(USE_I18N=False)

    import logging
    import warnings

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    warnings.simplefilter("ignore")

    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # stray prints must not corrupt the JSON answer
    try:
        if args.limits:
            fields = {f.name for f in dataclasses.fields(Limits)}
            given = json.loads(args.limits)
            limits = Limits(**{k: int(v) for k, v in given.items() if k in fields})
        else:
            limits = Limits()
        result = extract_file(args.path, limits=limits, filename=args.filename)
        payload = dataclasses.asdict(result)
        payload["warnings"] = list(result.warnings)
    except ExtractionError as exc:
        payload = {"error": exc.code, "message": exc.message}
    except MemoryError:
        payload = {"error": "bomb", "message": ""}
    except RecursionError:
        payload = {"error": "corrupt", "message": ""}
    except OSError as exc:
        payload = {"error": "corrupt", "message": str(exc)}
    try:
        out.write(json.dumps(payload, ensure_ascii=False).encode("utf-8"))
        out.flush()
    except MemoryError:
        os.write(1, b'{"error": "bomb", "message": ""}')
    return 0


if __name__ == "__main__":
    sys.exit(main())
