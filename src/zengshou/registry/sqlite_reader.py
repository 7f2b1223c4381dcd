"""The SQLite side of the registry reader: a process of its own that answers queries as Arrow streams.

Why a process: the ADBC SQLite driver links its own copy of SQLite. Two copies in one process do not
see each other's POSIX locks (closing a file in one drops the other's locks), which SQLite names as a
way to corrupt a database; in a process of its own the driver locks like any other reader. It holds
one read transaction (one WAL snapshot) for every query it answers, and never writes.

Protocol, one query at a time: a JSON line ``{"sql": …, "params": […]}`` in; out, an 8-byte length
and that many bytes of Arrow IPC stream, or a negative length and the error's text. End of input ends
the process. Run as ``python -m zengshou.registry.sqlite_reader DATABASE``.
"""

from __future__ import annotations

import json
import struct
import sys

#: ADBC SQLite infers each column's type from its first batch; one batch for the whole result means
#: the inference sees every value (a column of nulls, then text; integers, then a decimal).
BATCH_ROWS = "2000000000"
LENGTH = struct.Struct("<q")


def serve(database: str) -> None:
    import adbc_driver_sqlite.dbapi
    import pyarrow as pa

    out = sys.stdout.buffer
    # not in autocommit: the driver's transaction takes its snapshot at the first read and keeps it
    with adbc_driver_sqlite.dbapi.connect(database) as con:
        for line in sys.stdin.buffer:
            request = json.loads(line)
            try:
                with con.cursor() as cur:
                    cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": BATCH_ROWS})
                    cur.execute(request["sql"], request["params"] or None)
                    table = cur.fetch_arrow_table()
                sink = pa.BufferOutputStream()
                with pa.ipc.new_stream(sink, table.schema) as writer:
                    writer.write_table(table)
                data = sink.getvalue()
                out.write(LENGTH.pack(len(data)))
                out.write(data)
            except Exception as exc:  # the reader's caller raises it with the query named
                text = f"{type(exc).__name__}: {exc}".encode()
                out.write(LENGTH.pack(-len(text)))
                out.write(text)
            out.flush()


if __name__ == "__main__":
    serve(sys.argv[1])
